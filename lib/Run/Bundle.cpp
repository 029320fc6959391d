//===- Bundle.cpp - Kernels and packed weights for other runtimes ---------===//
//
// emitBundle takes a module's quantized linears apart into kernels (one per
// shape, encoding and activation width) and weights (one set per linear):
//
// * cpu: every linear becomes a function of its own, lq-cpu-packed-matmul
//   re-packs its weight and rewrites it into a call of the kernel shared by
//   its shape and encoding, with the packed parts as operands (named by the
//   call's lq.packed_parts). The parts go to the weights file; the kernels,
//   made public with a C interface, are lowered and compiled to an object.
// * cuda: lq-lower-to-nvptx packs each linear's blob (a module of one
//   batch-1 function per linear, its host code thrown away), and, for one
//   function per kernel over a dynamic batch, builds the kernel instances
//   per chunk size whose contracts (lq.gpu_abi) the library's table lists;
//   the device code is serialized to PTX once per architecture.
//
// The C side (one function per kernel, the tables of lq_bundle_internal.h)
// is generated as C source and compiled with the runtime (lq_bundle_runtime.c)
// by the system's C compiler into each target's shared library. This file
// finds the linears and writes the manifest, header and weights files;
// BundleTargets.cpp builds the targets' libraries.
//
//===----------------------------------------------------------------------===//


#include "BundleInternal.h"

#include "lq/Run/Bundle.h"

#include "lq/Bundle/BundleSources.inc"
#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Model/Llama.h"
#include "lq/Model/Safetensors.h"
#include "lq/Numerics/Quantize.h"
#include "lq/Run/Engine.h"
#include "lq/Run/Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Parser/Parser.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <map>

using namespace mlir;

namespace lq::run {
namespace bundle_detail {

std::string printed(Attribute attr) {
  std::string s;
  llvm::raw_string_ostream os(s);
  attr.print(os);
  return s;
}

llvm::Error writeText(const llvm::Twine &path, llvm::StringRef text) {
  return llvm::writeToOutput(path.str(), [&](llvm::raw_ostream &os) {
    os << text;
    return llvm::Error::success();
  });
}

} // namespace bundle_detail

namespace {
using namespace bundle_detail;

/// The Hugging Face name of the weight of role `role` ("layers.3.attn.q" ->
/// "model.layers.3.self_attn.q_proj.weight"); the role itself otherwise.
std::string weightName(llvm::StringRef role) {
  if (role == "lm_head")
    return names::LMHead;
  llvm::StringRef rest = role;
  int64_t layer;
  if (!rest.consume_front("layers.") || rest.consumeInteger(10, layer) ||
      !rest.consume_front("."))
    return role.str();
  using names::LayerTensor;
  static const std::pair<llvm::StringRef, LayerTensor> kinds[] = {
      {"attn.q", LayerTensor::Q},      {"attn.k", LayerTensor::K},
      {"attn.v", LayerTensor::V},      {"attn.o", LayerTensor::O},
      {"mlp.gate", LayerTensor::Gate}, {"mlp.up", LayerTensor::Up},
      {"mlp.down", LayerTensor::Down}};
  for (auto [suffix, kind] : kinds)
    if (rest == suffix)
      return names::layer(layer, kind);
  return role.str();
}

/// quant-bench's kind names: w4g128, w4pc, w4g128a (zero points), w4a8g128,
/// b3g128, pvq8k6a4g8.
std::string kindName(const ::lq::Encoding &enc, int64_t cols, int64_t actBits) {
  if (auto *u = std::get_if<::lq::UniformEncoding>(&enc))
    return llvm::formatv("w{0}{1}{2}{3}", u->bits, actBits ? "a" + std::to_string(actBits) : "",
                         u->group == cols ? "pc" : "g" + std::to_string(u->group),
                         u->symmetric ? "" : "a");
  if (auto *p = std::get_if<::lq::PVQEncoding>(&enc))
    return llvm::formatv("pvq{0}k{1}a{2}g{3}", p->dim, p->pulses, p->ampBits, p->ampGroup);
  const auto &b = std::get<::lq::BinaryEncoding>(enc);
  return llvm::formatv("b{0}g{1}", b.planes, b.group);
}

/// The quantized linears of `module` and their kernels. A weight used by
/// several functions (@forward and @decode) is one linear.
llvm::Error collectLinears(ModuleOp module, std::vector<Linear> &linears,
                           std::vector<Kernel> &kernels) {
  std::map<std::pair<const void *, int64_t>, size_t> kernelOf;
  llvm::StringMap<size_t> byName;
  llvm::StringSet<> kernelNames;
  std::string problem;
  module.walk([&](mlir::lq::MatmulOp op) {
    auto constant = op.getWeight().getDefiningOp<mlir::lq::ConstantOp>();
    if (!constant) {
      problem = "a quantized linear's weight is not an lq.constant";
      return WalkResult::interrupt();
    }
    if (op.getActScale()) {
      problem = "static activation scales (act_scale) have no bundle kernels yet";
      return WalkResult::interrupt();
    }
    auto role = op->getAttrOfType<StringAttr>("lq.role");
    std::string name =
        role ? weightName(role.getValue()) : "linear_" + std::to_string(linears.size());
    int64_t actBits = op.getActBits().value_or(0);
    mlir::lq::WeightType type = constant.getType();
    if (auto it = byName.find(name); it != byName.end()) {
      const Kernel &k = kernels[linears[it->second].kernel];
      if (k.type != type || k.actBits != actBits) {
        problem = "two linears named '" + name + "' differ";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    auto [it, added] = kernelOf.try_emplace({type.getAsOpaquePointer(), actBits}, kernels.size());
    if (added) {
      Kernel k;
      k.type = type;
      k.actBits = actBits;
      k.firstLinear = linears.size();
      std::string base = llvm::formatv("lq_{0}_{1}x{2}",
                                       kindName(type.getEncoding().getNumericEncoding(),
                                                type.getCols(), actBits),
                                       type.getRows(), type.getCols());
      k.name = base;
      for (int i = 2; !kernelNames.insert(k.name).second; ++i)
        k.name = base + "_" + std::to_string(i);
      kernels.push_back(std::move(k));
    }
    byName[name] = linears.size();
    linears.push_back(
        {name, role ? role.getValue().str() : "", constant, op.getLoc(), it->second, {}, {}});
    return WalkResult::advance();
  });
  if (!problem.empty())
    return err(problem);
  if (linears.empty())
    return err("the module has no quantized linears (lq.matmul of an lq.constant)");
  return llvm::Error::success();
}

/// The encoding's parameters as manifest fields.
llvm::json::Object encodingFields(const Kernel &k) {
  llvm::json::Object o;
  ::lq::Encoding enc = k.type.getEncoding().getNumericEncoding();
  o["encoding"] = printed(k.type.getEncoding());
  if (auto *u = std::get_if<::lq::UniformEncoding>(&enc)) {
    o["kind"] = "uniform";
    o["bits"] = u->bits;
    o["group"] = u->group;
    o["symmetric"] = u->symmetric;
  } else if (auto *p = std::get_if<::lq::PVQEncoding>(&enc)) {
    o["kind"] = "pvq";
    o["dim"] = p->dim;
    o["pulses"] = p->pulses;
    o["amp_bits"] = p->ampBits;
    o["amp_group"] = p->ampGroup;
  } else {
    const auto &b = std::get<::lq::BinaryEncoding>(enc);
    o["kind"] = "binary";
    o["planes"] = b.planes;
    o["group"] = b.group;
  }
  o["bits_per_weight"] = k.type.getBitsPerWeight();
  o["act_bits"] = k.actBits;
  return o;
}

llvm::json::Array tensorList(llvm::ArrayRef<size_t> indices,
                             llvm::ArrayRef<BundleTensor> tensors) {
  llvm::json::Array out;
  for (size_t i : indices)
    out.push_back(llvm::json::Object{{"name", tensors[i].name},
                                     {"part", tensors[i].part},
                                     {"dtype", tensors[i].dtype},
                                     {"shape", llvm::json::Array(tensors[i].shape)}});
  return out;
}

/// A target's weights file: its tensors, and per tensor a metadata entry
/// (JSON text) saying what it is.
llvm::Error writeWeights(llvm::StringRef path, llvm::StringRef target,
                         llvm::ArrayRef<BundleTensor> tensors, llvm::ArrayRef<Linear> linears,
                         llvm::ArrayRef<Kernel> kernels, bool cuda) {
  std::vector<SafetensorsTensor> out;
  std::map<std::string, std::string> metadata = {{"format", "lq-bundle-weights"},
                                                 {"target", target.str()}};
  for (const Linear &l : linears) {
    const Kernel &k = kernels[l.kernel];
    for (size_t i : cuda ? l.cudaTensors : l.cpuTensors) {
      const BundleTensor &t = tensors[i];
      out.push_back({t.name, t.dtype, t.shape, t.bytes});
      llvm::json::Object about = encodingFields(k);
      about["linear"] = l.name;
      about["part"] = t.part;
      about["kernel"] = k.name;
      about["rows"] = k.rows();
      about["cols"] = k.cols();
      metadata[t.name] = llvm::formatv("{0}", llvm::json::Value(std::move(about))).str();
    }
  }
  return writeSafetensors(path, out, metadata);
}

/// lq_kernels.h: one declaration per kernel, with what it computes and the
/// tensors it takes on each target.
std::string kernelsHeader(llvm::ArrayRef<Linear> linears, llvm::ArrayRef<Kernel> kernels,
                          llvm::ArrayRef<BundleTensor> cpuTensors, llvm::StringRef source,
                          const BundleOptions &options, bool cpu, bool cuda) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* lq_kernels.h - generated by quant-run emit from " << source << ".\n"
     << " *\n"
     << " * One function per kernel: y[batch, rows] = x[batch, cols] * W^T (lq_bundle.h's\n"
     << " * lq_kernel_fn), batch 1.." << options.maxBatch << ".\n"
     << " * cpu  (cpu/liblq_kernels.so): x, y host f32; the weights are the packed parts\n"
     << " *      listed below, in docs/Layout.md's CPU kernel layouts.\n"
     << " * cuda (cuda/liblq_kernels.so): x device f16, y device f32; one weight, the\n"
     << " *      linear's blob in docs/GPULayout.md's layout.\n"
     << " * Tensor names are the model's weight names (cpu: plus \".<part>\"); manifest.json\n"
     << " * lists every linear with its kernel and tensors. */\n"
     << "#ifndef LQ_KERNELS_H\n#define LQ_KERNELS_H\n\n#include \"lq_bundle.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (auto [i, k] : llvm::enumerate(kernels)) {
    int64_t users = llvm::count_if(linears, [&](const Linear &l) { return l.kernel == i; });
    const Linear &first = linears[k.firstLinear];
    os << "/* " << k.name << ": W [" << k.rows() << ", " << k.cols() << "] "
       << printed(k.type.getEncoding());
    if (k.actBits)
      os << ", activations quantized to int" << k.actBits << " per row";
    os << "; " << users << " linear" << (users == 1 ? "" : "s") << ", e.g. " << first.name
       << ".\n";
    if (cpu) {
      os << " *   cpu weights:";
      for (size_t t : first.cpuTensors) {
        os << " " << cpuTensors[t].part << " " << cpuTensors[t].dtype << " [";
        for (auto [d, size] : llvm::enumerate(cpuTensors[t].shape))
          os << (d ? ", " : "") << size;
        os << "]";
      }
      os << "\n";
    }
    if (cuda)
      os << " *   cuda weights: blob U8\n";
    os << " */\nint " << k.name
       << "(void *stream, const void *x, void *y, const void *const *weights, int64_t batch);\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* LQ_KERNELS_H */\n";
  return text;
}


/// `e`, said to come from `target`'s part of the bundle.
llvm::Error inTarget(llvm::Error e, llvm::StringRef target, bool otherTarget) {
  return err(llvm::formatv("the {0} target: {1}{2}", target, llvm::toString(std::move(e)),
                           otherTarget ? llvm::formatv("\n(--targets {0} leaves it out)",
                                                       target == "cpu" ? "cuda" : "cpu")
                                             .str()
                                       : ""));
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>> buildMatmulSpecModule(MLIRContext *ctx, int64_t rows,
                                                            int64_t cols,
                                                            llvm::StringRef quantize,
                                                            int64_t actBits, uint64_t seed) {
  registerRunPasses();
  if (rows < 1 || cols < 1)
    return err(llvm::formatv("a matmul needs positive sizes, got {0}x{1}", rows, cols));
  if (rows * cols > (int64_t(1) << 32))
    return err(llvm::formatv("{0}x{1} is too large for an example weight", rows, cols));
  // linalg.matmul of x [M, K] and W [N, K] (y = x W^T), as an imported
  // model's linears are, so lq-quantize-weights takes it like theirs.
  std::string text = llvm::formatv(R"mlir(
func.func @matmul(%x: tensor<?x{1}xf32>) -> tensor<?x{0}xf32> {
  %w = arith.constant dense<0.0> : tensor<{0}x{1}xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x{1}xf32>
  %init = tensor.empty(%m) : tensor<?x{0}xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<?x{0}xf32>) -> tensor<?x{0}xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                      affine_map<(d0, d1, d2) -> (d1, d2)>,
                                      affine_map<(d0, d1, d2) -> (d0, d1)>]
         {{lq.role = "matmul"}
         ins(%x, %w : tensor<?x{1}xf32>, tensor<{0}x{1}xf32>)
         outs(%fill : tensor<?x{0}xf32>) -> tensor<?x{0}xf32>
  return %y : tensor<?x{0}xf32>
}
)mlir",
                                   rows, cols);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, ParserConfig(ctx));
  if (!module)
    return err("internal error: cannot parse the matmul module");
  // A seeded weight of N(0, 0.02) entries (Box-Muller over a 64-bit LCG, the
  // same everywhere).
  std::vector<float> weight(rows * cols);
  uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((state >> 11) + 0.5) / double(uint64_t(1) << 53);
  };
  for (float &w : weight)
    w = float(0.02 * std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()));
  module->walk([&](arith::ConstantOp c) {
    if (auto type = dyn_cast<RankedTensorType>(c.getType()); type && type.getRank() == 2)
      c.setValueAttr(mlir::lq::makeResource(type, "matmul.weight", llvm::ArrayRef(weight)));
  });
  std::string pipeline = "lq-quantize-weights{" + quantize.str() + "}";
  if (actBits)
    pipeline += ",lq-quantize-activations{bits=" + std::to_string(actBits) + "}";
  if (llvm::Error e = runPassPipeline(*module, "quantize", pipeline))
    return std::move(e);
  bool quantized = false;
  module->walk([&](mlir::lq::MatmulOp) { quantized = true; });
  if (!quantized)
    return err("'" + quantize + "' left the matmul unquantized");
  return module;
}

llvm::Error emitBundle(ModuleOp module, llvm::StringRef dir, llvm::StringRef source,
                       const BundleOptions &options) {
  registerRunPasses();
  bool cpu = llvm::is_contained(options.targets, "cpu");
  bool cuda = llvm::is_contained(options.targets, "cuda");
  for (const std::string &t : options.targets)
    if (t != "cpu" && t != "cuda")
      return err("unknown bundle target '" + t + "' (expected cpu or cuda)");
  if (!cpu && !cuda)
    return err("no bundle target given");
  if (cuda && options.chips.empty())
    return err("the cuda target needs at least one chip");
  if (options.maxBatch < 1)
    return err(llvm::formatv("the largest batch must be positive, got {0}", options.maxBatch));
  if (llvm::sys::fs::exists(dir))
    return err(llvm::formatv("'{0}' exists; a bundle is written to a new directory", dir));
  std::vector<Linear> linears;
  std::vector<Kernel> kernels;
  if (llvm::Error e = collectLinears(module, linears, kernels))
    return e;
  auto t0 = std::chrono::steady_clock::now();
  auto progress = [&](llvm::StringRef what) {
    if (options.log)
      *options.log << llvm::formatv(
          "emit: {0} ({1:f1} s)\n", what,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  progress(llvm::formatv("{0} linears, {1} kernels", linears.size(), kernels.size()).str());

  // Built beside `dir` and renamed into place at the end.
  // (createUniqueDirectory puts relative names in the temporary folder.)
  llvm::SmallString<256> absolute(dir), temp;
  if (std::error_code ec = llvm::sys::fs::make_absolute(absolute))
    return err(llvm::formatv("cannot resolve '{0}': {1}", dir, ec.message()));
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(absolute + ".tmp", temp))
    return err(llvm::formatv("cannot create a directory beside '{0}': {1}", dir, ec.message()));
  llvm::scope_exit removeTemp([&] {
    if (!temp.empty())
      llvm::sys::fs::remove_directories(temp);
  });
  if (std::error_code ec = llvm::sys::fs::create_directories(temp + "/src"))
    return err("cannot create " + temp + "/src: " + ec.message());
  for (auto [name, text] : {std::pair{"/lq_bundle.h", llvm::StringRef(bundle::kPublicHeader)},
                            std::pair{"/src/lq_bundle_internal.h",
                                      llvm::StringRef(bundle::kInternalHeader)},
                            std::pair{"/src/lq_bundle_runtime.c",
                                      llvm::StringRef(bundle::kRuntimeSource)}})
    if (llvm::Error e = writeText(temp + name, text))
      return e;

  MLIRContext *ctx = module.getContext();
  std::vector<BundleTensor> cpuTensors, cudaTensors;
  std::vector<CudaImage> images;
  if (cpu) {
    if (llvm::Error e = emitCPU(ctx, linears, kernels, cpuTensors, temp, source, options))
      return inTarget(std::move(e), "cpu", cuda);
    if (llvm::Error e = writeWeights((temp + "/cpu/weights.safetensors").str(), "cpu", cpuTensors,
                                     linears, kernels, /*cuda=*/false))
      return e;
    progress("cpu library and weights");
  }
  if (cuda) {
    if (llvm::Error e =
            emitCUDA(ctx, linears, kernels, cudaTensors, temp, source, options, images))
      return inTarget(std::move(e), "cuda", cpu);
    if (llvm::Error e = writeWeights((temp + "/cuda/weights.safetensors").str(), "cuda", cudaTensors,
                                     linears, kernels, /*cuda=*/true))
      return e;
    progress("cuda library and weights");
  }
  if (options.referenceWeights) {
    std::deque<std::vector<float>> decoded;
    std::vector<SafetensorsTensor> reference;
    for (const Linear &l : linears) {
      FailureOr<::lq::EncodedWeight> storage = mlir::lq::readStorage(l.weight);
      if (failed(storage))
        return err(l.name + ": cannot read the encoded weight");
      const Kernel &k = kernels[l.kernel];
      decoded.push_back(::lq::decodeWeight(k.type.getEncoding().getNumericEncoding(), *storage));
      reference.push_back({l.name, "F32", {k.rows(), k.cols()},
                           llvm::StringRef(reinterpret_cast<const char *>(decoded.back().data()),
                                           decoded.back().size() * sizeof(float))});
    }
    if (llvm::Error e = writeSafetensors((temp + "/reference.safetensors").str(), reference,
                                         {{"format", "lq-bundle-reference"}}))
      return e;
    progress("reference weights");
  }
  if (llvm::Error e = writeText(temp + "/lq_kernels.h",
                                kernelsHeader(linears, kernels, cpuTensors, source, options, cpu,
                                              cuda)))
    return e;

  // The manifest ties kernels, tensors and files together.
  llvm::json::Object targets;
  if (cpu)
    targets["cpu"] = llvm::json::Object{
        {"library", "cpu/liblq_kernels.so"},
        {"object", "cpu/lq_kernels.o"},
        {"weights", "cpu/weights.safetensors"},
        {"features", hostFeatures()},
        {"x", "f32"},
        {"y", "f32"}};
  if (cuda) {
    llvm::json::Array imageList;
    for (const CudaImage &image : images)
      imageList.push_back(llvm::json::Object{
          {"arch", image.arch},
          {image.cubin ? "cubin" : "ptx",
           "cuda/lq_kernels_" + image.arch + (image.cubin ? ".cubin" : ".ptx")}});
    targets["cuda"] = llvm::json::Object{{"library", "cuda/liblq_kernels.so"},
                                         {"weights", "cuda/weights.safetensors"},
                                         {"images", std::move(imageList)},
                                         {"x", "f16"},
                                         {"y", "f32"}};
  }
  llvm::json::Array kernelList, linearList;
  for (auto [i, k] : llvm::enumerate(kernels)) {
    llvm::json::Object o = encodingFields(k);
    o["name"] = k.name;
    o["rows"] = k.rows();
    o["cols"] = k.cols();
    o["max_batch"] = options.maxBatch;
    if (cuda) {
      llvm::json::Array instances;
      for (const CudaInstance &in : k.instances) {
        llvm::json::Object j{{"batch", in.batch},
                             {"kernel", in.kernel},
                             {"grid", in.grid},
                             {"threads", in.threads}};
        if (!in.prologue.empty()) {
          j["prologue"] = in.prologue;
          j["prologue_grid"] = in.prologueGrid;
          j["prologue_threads"] = in.prologueThreads;
          j["scratch_bytes"] = in.scratchBytes;
        }
        instances.push_back(std::move(j));
      }
      o["cuda_instances"] = std::move(instances);
    }
    kernelList.push_back(std::move(o));
  }
  for (const Linear &l : linears) {
    llvm::json::Object o{{"name", l.name}, {"role", l.role}, {"kernel", kernels[l.kernel].name}};
    if (cpu)
      o["cpu"] = tensorList(l.cpuTensors, cpuTensors);
    if (cuda)
      o["cuda"] = tensorList(l.cudaTensors, cudaTensors);
    linearList.push_back(std::move(o));
  }
  llvm::json::Object manifest{{"format", "lq-bundle"},
                              {"version", 1},
                              {"source", source},
                              {"header", "lq_kernels.h"},
                              {"targets", std::move(targets)},
                              {"kernels", std::move(kernelList)},
                              {"linears", std::move(linearList)}};
  if (options.referenceWeights)
    manifest["reference"] = "reference.safetensors";
  if (llvm::Error e = writeText(temp + "/manifest.json",
                                llvm::formatv("{0:2}\n", llvm::json::Value(std::move(manifest)))
                                    .str()))
    return e;
  if (std::error_code ec = llvm::sys::fs::rename(temp, dir))
    return err(llvm::formatv("cannot move the bundle to '{0}': {1}", dir, ec.message()));
  temp.clear();
  progress("written to " + dir.str());
  return llvm::Error::success();
}

} // namespace lq::run
