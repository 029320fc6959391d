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
// by the system's C compiler into each target's shared library.
//
//===----------------------------------------------------------------------===//

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
namespace {

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// A tensor of a target's weights file.
struct BundleTensor {
  std::string name, dtype, part;
  std::vector<int64_t> shape;
  llvm::StringRef bytes;
};

/// One compiled instance of a cuda kernel (lq.gpu_abi).
struct CudaInstance {
  int64_t batch = 0, grid = 0, threads = 0;
  std::string kernel, prologue;
  int64_t prologueGrid = 0, prologueThreads = 0, scratchBytes = 0;
  bool operator==(const CudaInstance &o) const {
    return std::tie(batch, grid, threads, kernel, prologue, prologueGrid, prologueThreads,
                    scratchBytes) == std::tie(o.batch, o.grid, o.threads, o.kernel, o.prologue,
                                              o.prologueGrid, o.prologueThreads, o.scratchBytes);
  }
};

/// A kernel: one C function, shared by the linears of one weight type and
/// activation width.
struct Kernel {
  std::string name;
  mlir::lq::WeightType type;
  int64_t actBits = 0;
  /// The first linear of the kernel (the one whose weight builds it).
  size_t firstLinear = 0;
  /// cpu: the packed parts the kernel takes, and the lowered function.
  std::vector<std::string> cpuParts;
  std::string cpuFunction;
  /// cuda: instances by decreasing batch.
  std::vector<CudaInstance> instances;
  int64_t rows() const { return type.getRows(); }
  int64_t cols() const { return type.getCols(); }
};

/// A device code image of the cuda library.
struct CudaImage {
  std::string arch, bytes;
  bool cubin = false;
};

/// A quantized linear of the module.
struct Linear {
  std::string name, role;
  mlir::lq::ConstantOp weight;
  /// The lq.matmul's, for diagnostics of the functions built from it.
  Location loc;
  size_t kernel = 0;
  /// Indices into each target's tensors, in kernel-argument order.
  std::vector<size_t> cpuTensors, cudaTensors;
};

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

std::string printed(Attribute attr) {
  std::string s;
  llvm::raw_string_ostream os(s);
  attr.print(os);
  return s;
}

/// `s` as a C string literal.
std::string cString(llvm::StringRef s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += {'\\', (char)c};
    else if (c >= 0x20 && c < 0x7f)
      out += c;
    else
      out += llvm::formatv("\\{0:o3}", (unsigned)c).str();
  }
  return out + "\"";
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

/// A module of one function per element of `items` (each of one linear:
/// its weight and location), `f(x) = lq.matmul(x, W)`
/// with x `[batch, cols]` (dynamic when batch < 0) of f32, or of f16
/// widened to f32 (the GPU kernels then read f16).
template <typename Items, typename LinearOf, typename KernelOf>
OwningOpRef<ModuleOp> buildMatmulFunctions(MLIRContext *ctx, const Items &items,
                                           llvm::StringRef prefix, int64_t batch, bool f16Input,
                                           LinearOf linearOf, KernelOf kernelOf) {
  OpBuilder b(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  Type f32 = b.getF32Type(), f16 = b.getF16Type();
  int64_t m = batch < 0 ? ShapedType::kDynamic : batch;
  for (auto [i, item] : llvm::enumerate(items)) {
    const Linear &linear = linearOf(item);
    mlir::lq::ConstantOp weight = linear.weight;
    Location loc = linear.loc;
    const Kernel &k = kernelOf(item);
    auto xType = RankedTensorType::get({m, k.cols()}, f16Input ? f16 : f32);
    auto yType = RankedTensorType::get({m, k.rows()}, f32);
    OpBuilder::InsertionGuard guard(b);
    auto func = func::FuncOp::create(b, loc, (prefix + llvm::Twine(i)).str(),
                                     b.getFunctionType({xType}, {yType}));
    b.setInsertionPointToStart(func.addEntryBlock());
    Value x = func.getArgument(0);
    if (f16Input)
      x = arith::ExtFOp::create(b, loc, RankedTensorType::get({m, k.cols()}, f32), x);
    Value w = b.clone(*weight)->getResult(0);
    Value y = mlir::lq::MatmulOp::create(b, loc, yType, x, w,
                                         k.actBits ? b.getI64IntegerAttr(k.actBits) : IntegerAttr(),
                                         FloatAttr());
    func::ReturnOp::create(b, loc, y);
  }
  return module;
}

llvm::Error writeText(const llvm::Twine &path, llvm::StringRef text) {
  return llvm::writeToOutput(path.str(), [&](llvm::raw_ostream &os) {
    os << text;
    return llvm::Error::success();
  });
}

/// A tensor of the bytes of the constant `value` (an arith.constant or a
/// memref.global's initial value).
FailureOr<BundleTensor> tensorOf(ElementsAttr value, std::string name, std::string part) {
  FailureOr<ArrayRef<char>> bytes = mlir::lq::getRawBytes(value);
  llvm::StringRef dtype = mlir::lq::safetensorsDType(value.getElementType());
  if (failed(bytes) || dtype.empty())
    return failure();
  BundleTensor t;
  t.name = std::move(name);
  t.part = std::move(part);
  t.dtype = dtype.str();
  t.shape.assign(value.getShapedType().getShape().begin(), value.getShapedType().getShape().end());
  t.bytes = llvm::StringRef(bytes->data(), bytes->size());
  return t;
}

//===----------------------------------------------------------------------===//
// C source of the tables (lq_bundle_internal.h)
//===----------------------------------------------------------------------===//

void writeTensorTable(llvm::raw_ostream &os, llvm::ArrayRef<BundleTensor> tensors) {
  os << "const lq_tensor_spec lq__tensors[] = {\n";
  for (const BundleTensor &t : tensors) {
    int64_t elements = 1;
    for (int64_t d : t.shape)
      elements *= d;
    os << "  {" << cString(t.name) << ", " << cString(t.dtype) << ", " << t.shape.size() << ", {";
    for (size_t i = 0; i < 4; ++i)
      os << (i ? ", " : "") << (i < t.shape.size() ? t.shape[i] : 0);
    os << "}, " << t.bytes.size() << "},\n";
  }
  os << "};\nconst int lq__num_tensors = " << tensors.size() << ";\n\n";
}

void writeLinearTable(llvm::raw_ostream &os, llvm::ArrayRef<Linear> linears, bool cuda) {
  for (auto [i, l] : llvm::enumerate(linears)) {
    os << "static const int lq__linear_" << i << "_tensors[] = {";
    for (auto [j, t] : llvm::enumerate(cuda ? l.cudaTensors : l.cpuTensors))
      os << (j ? ", " : "") << t;
    os << "};\n";
  }
  os << "const lq_linear_spec lq__linears[] = {\n";
  for (auto [i, l] : llvm::enumerate(linears))
    os << "  {" << cString(l.name) << ", " << l.kernel << ", lq__linear_" << i << "_tensors},\n";
  os << "};\nconst int lq__num_linears = " << linears.size() << ";\n";
}

void writeTableHeader(llvm::raw_ostream &os, llvm::StringRef target, llvm::StringRef source) {
  os << "/* lq_kernels_table.c - generated by quant-run emit from " << source << " (" << target
     << "):\n * the tables of lq_bundle_internal.h and one C function per kernel. */\n"
     << "#include \"lq_bundle_internal.h\"\n\n#include <stdlib.h>\n#include <string.h>\n\n"
     << "const char lq__target[] = " << cString(target) << ";\n";
}

/// The kernels' table; `launch(k)` writes the body of kernel k's function.
template <typename Body>
void writeKernels(llvm::raw_ostream &os, llvm::ArrayRef<Kernel> kernels, int64_t maxBatch,
                  bool cuda, Body body) {
  for (auto [i, k] : llvm::enumerate(kernels)) {
    os << "int " << k.name
       << "(void *stream, const void *x, void *y, const void *const *weights, int64_t batch) {\n";
    body(os, i, k);
    os << "}\n\n";
  }
  for (auto [i, k] : llvm::enumerate(kernels)) {
    if (!cuda || k.instances.empty())
      continue;
    os << "static const lq_cuda_instance lq__kernel_" << i << "_instances[] = {\n";
    for (const CudaInstance &in : k.instances) {
      os << "  {" << in.batch << ", " << cString(in.kernel) << ", " << in.grid << ", "
         << in.threads << ", ";
      if (in.prologue.empty())
        os << "NULL, 0, 0, 0},\n";
      else
        os << cString(in.prologue) << ", " << in.prologueGrid << ", " << in.prologueThreads
           << ", " << in.scratchBytes << "},\n";
    }
    os << "};\n";
  }
  os << "const lq_kernel_spec lq__kernels[] = {\n";
  for (auto [i, k] : llvm::enumerate(kernels)) {
    os << "  {" << cString(k.name) << ", " << k.name << ", " << k.rows() << ", " << k.cols()
       << ", " << maxBatch << ", " << (cuda ? 1 : k.cpuParts.size()) << ", ";
    if (cuda)
      os << k.instances.size() << ", lq__kernel_" << i << "_instances, 2, ";
    else
      os << "0, NULL, 4, ";
    os << k.actBits << "},\n";
  }
  os << "};\nconst int lq__num_kernels = " << kernels.size() << ";\n\n";
}

//===----------------------------------------------------------------------===//
// Building a target's library
//===----------------------------------------------------------------------===//

/// Compiles `table` (a generated lq_kernels_table.c, written to
/// `<targetDir>/lq_kernels_table.c`) and the runtime, and links them with
/// `objects` into `<targetDir>/liblq_kernels.so` (and, with `relocatable`,
/// `<targetDir>/lq_kernels.o`, one object for static linking).
llvm::Error buildLibrary(llvm::StringRef bundleDir, llvm::StringRef targetDir,
                         llvm::StringRef table, llvm::ArrayRef<std::string> objects,
                         bool relocatable) {
  auto cc = findCCompiler("build a bundle library");
  if (!cc)
    return cc.takeError();
  std::string tablePath = (targetDir + "/lq_kernels_table.c").str();
  if (llvm::Error e = writeText(tablePath, table))
    return e;
  std::string includeRoot = ("-I" + bundleDir).str(), includeSrc = ("-I" + bundleDir + "/src").str();
  std::vector<std::string> compiled;
  std::deque<llvm::FileRemover> removers;
  for (std::string source : {tablePath, (bundleDir + "/src/lq_bundle_runtime.c").str()}) {
    llvm::SmallString<256> object;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-bundle", "o", object))
      return err("cannot create a temporary object file: " + ec.message());
    removers.emplace_back(object);
    llvm::SmallVector<llvm::StringRef> args = {*cc,        "-std=c11", "-O2", "-fPIC",
                                               includeRoot, includeSrc, "-c",  source,
                                               "-o",        object};
    if (llvm::Error e = runProgram(args, "compiling " + llvm::sys::path::filename(source).str()))
      return e;
    compiled.push_back(object.str().str());
  }
  auto link = [&](llvm::ArrayRef<llvm::StringRef> head, llvm::ArrayRef<llvm::StringRef> tail,
                  const std::string &what) {
    llvm::SmallVector<llvm::StringRef> args(head.begin(), head.end());
    for (const std::string &o : objects)
      args.push_back(o);
    for (const std::string &o : compiled)
      args.push_back(o);
    args.append(tail.begin(), tail.end());
    return runProgram(args, what);
  };
  std::string library = (targetDir + "/liblq_kernels.so").str();
  // The libraries the runtime needs come after the objects (static links
  // resolve left to right).
  if (llvm::Error e = link({*cc, "-shared", "-o", library}, {"-lm", "-ldl", "-lpthread"},
                           "linking " + library))
    return e;
  if (relocatable) {
    std::string object = (targetDir + "/lq_kernels.o").str();
    if (llvm::Error e = link({*cc, "-r", "-nostdlib", "-o", object}, {}, "linking " + object))
      return e;
  }
  return llvm::Error::success();
}

/// The x86 features the host-compiled kernels may use that the runtime
/// checks before it runs them.
std::string hostFeatures() {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> used;
  for (llvm::StringRef f : {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl",
                            "avx512vnni", "avx512bf16"})
    if (host.lookup(f))
      used.push_back(f.str());
  return llvm::join(used, ",");
}

/// cpu: packs every linear for the packed kernels, compiles the kernels, and
/// fills `tensors` and each linear's cpuTensors.
llvm::Error emitCPU(MLIRContext *ctx, std::vector<Linear> &linears, std::vector<Kernel> &kernels,
                    std::vector<BundleTensor> &tensors, llvm::StringRef bundleDir,
                    llvm::StringRef source, const BundleOptions &options) {
  OwningOpRef<ModuleOp> module = buildMatmulFunctions(
      ctx, linears, "lin_", /*batch=*/-1, /*f16Input=*/false,
      [](const Linear &l) -> const Linear & { return l; },
      [&](const Linear &l) -> const Kernel & { return kernels[l.kernel]; });
  LoweringOptions lowering;
  lowering.log = options.log;
  bool vnni = hostHasAVX512VNNI();
  if (llvm::Error e = runPassPipeline(
          *module, "packed",
          llvm::formatv("lq-cpu-packed-matmul{{vnni={0}}", vnni ? "true" : "false").str(),
          lowering))
    return e;
  // Each linear's function is now a call of its kernel on its packed parts.
  for (auto [i, l] : llvm::enumerate(linears)) {
    auto func = module->lookupSymbol<func::FuncOp>("lin_" + std::to_string(i));
    Kernel &k = kernels[l.kernel];
    func::CallOp call;
    func.walk([&](func::CallOp c) {
      if (c->hasAttr(mlir::lq::kPackedPartsAttrName))
        call = c;
    });
    if (!call)
      return err(llvm::formatv("{0}: {1}{2} has no packed CPU kernel",
                               l.name, printed(TypeAttr::get(k.type)),
                               k.actBits ? llvm::formatv(" with act({0})", k.actBits).str() : ""));
    auto parts = call->getAttrOfType<ArrayAttr>(mlir::lq::kPackedPartsAttrName);
    if (call.getNumOperands() != parts.size() + 1)
      return err(l.name + ": the packed kernel takes operands other than its weights");
    std::vector<std::string> partNames;
    for (auto [part, operand] : llvm::zip(parts.getAsValueRange<StringAttr>(),
                                          call.getOperands().drop_front())) {
      ElementsAttr value;
      if (auto constant = operand.getDefiningOp<arith::ConstantOp>())
        value = dyn_cast<ElementsAttr>(constant.getValue());
      FailureOr<BundleTensor> t = failure();
      if (value)
        t = tensorOf(value, l.name + "." + part.str(), part.str());
      if (failed(t))
        return err(llvm::formatv("{0}: packed part '{1}' is not constant data", l.name, part));
      l.cpuTensors.push_back(tensors.size());
      tensors.push_back(std::move(*t));
      partNames.push_back(part.str());
    }
    if (k.cpuFunction.empty()) {
      k.cpuFunction = call.getCallee().str();
      k.cpuParts = partNames;
    } else if (k.cpuFunction != call.getCallee() || k.cpuParts != partNames) {
      return err(llvm::formatv("{0}: packed differently from the other linears of {1}", l.name,
                               k.name));
    }
    // Every linear of a kernel passes parts of the same types.
    const Linear &first = linears[k.firstLinear];
    for (auto [a, b] : llvm::zip(first.cpuTensors, l.cpuTensors))
      if (tensors[a].shape != tensors[b].shape || tensors[a].dtype != tensors[b].dtype)
        return err(llvm::formatv("{0}: part '{1}' differs in shape from {2}'s", l.name,
                                 tensors[b].part, first.name));
  }
  // Only the kernels stay, public and callable from C.
  for (size_t i = 0; i < linears.size(); ++i)
    module->lookupSymbol<func::FuncOp>("lin_" + std::to_string(i)).erase();
  for (Kernel &k : kernels) {
    auto func = module->lookupSymbol<func::FuncOp>(k.cpuFunction);
    std::string name = k.name + "_packed";
    if (failed(SymbolTable::replaceAllSymbolUses(func, StringAttr::get(ctx, name), *module)))
      return err("cannot rename " + k.cpuFunction);
    SymbolTable::setSymbolName(func, name);
    func.setPublic();
    func->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    k.cpuFunction = name;
  }
  lowering.packed = false;
  lowering.externalWeights = false;
  lowering.threads = false;
  lowering.outlineLayers = false;
  if (llvm::Error e = lowerToLLVMDialect(*module, lowering))
    return e;
  llvm::SmallString<256> object;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-kernels", "o", object))
    return err("cannot create a temporary object file: " + ec.message());
  llvm::FileRemover removeObject(object);
  if (llvm::Error e = writeObjectFile(*module, object))
    return e;

  std::string table;
  llvm::raw_string_ostream os(table);
  writeTableHeader(os, "cpu", source);
  os << "const char lq__cpu_features[] = " << cString(hostFeatures()) << ";\n"
     << "const lq_cuda_image lq__cuda_images[1] = {{NULL, NULL, 0, 0}};\n"
     << "const int lq__num_cuda_images = 0;\n\n";
  writeTensorTable(os, tensors);
  // The MLIR C interface: memref descriptors by rank, results first.
  for (int rank = 1; rank <= 4; ++rank)
    os << "typedef struct {\n  void *allocated, *aligned;\n  int64_t offset, sizes[" << rank
       << "], strides[" << rank << "];\n} lq_memref_" << rank << ";\n";
  os << "\n";
  auto rankOf = [&](const Kernel &k, size_t part) {
    return tensors[linears[k.firstLinear].cpuTensors[part]].shape.size();
  };
  for (const Kernel &k : kernels) {
    os << "void _mlir_ciface_" << k.cpuFunction << "(lq_memref_2 *, lq_memref_2 *";
    for (size_t p = 0; p < k.cpuParts.size(); ++p)
      os << ", lq_memref_" << rankOf(k, p) << " *";
    os << ");\n";
  }
  os << "\n";
  writeKernels(os, kernels, options.maxBatch, /*cuda=*/false,
               [&](llvm::raw_ostream &os, size_t i, const Kernel &k) {
    const Linear &l = linears[k.firstLinear];
    os << "  (void)stream;\n"
       << "  int status = lq__check_call(" << i << ", x, y, weights, batch);\n"
       << "  if (status != LQ_OK)\n    return status;\n"
       << "  lq_memref_2 in = {(void *)x, (void *)x, 0, {batch, " << k.cols() << "}, {"
       << k.cols() << ", 1}}, out;\n";
    for (auto [p, t] : llvm::enumerate(l.cpuTensors)) {
      const std::vector<int64_t> &shape = tensors[t].shape;
      os << "  lq_memref_" << shape.size() << " w" << p << " = {(void *)weights[" << p
         << "], (void *)weights[" << p << "], 0, {";
      for (auto [d, size] : llvm::enumerate(shape))
        os << (d ? ", " : "") << size;
      os << "}, {";
      for (size_t d = 0; d < shape.size(); ++d) {
        int64_t stride = 1;
        for (size_t e = d + 1; e < shape.size(); ++e)
          stride *= shape[e];
        os << (d ? ", " : "") << stride;
      }
      os << "}};\n";
    }
    os << "  _mlir_ciface_" << k.cpuFunction << "(&out, &in";
    for (size_t p = 0; p < l.cpuTensors.size(); ++p)
      os << ", &w" << p;
    os << ");\n"
       << "  /* The kernel returns a buffer of its own (malloc'ed). */\n"
       << "  memcpy(y, (const float *)out.aligned + out.offset, (size_t)batch * " << k.rows()
       << " * sizeof(float));\n"
       << "  free(out.allocated);\n"
       << "  return LQ_OK;\n";
  });
  writeLinearTable(os, linears, /*cuda=*/false);
  std::string targetDir = (bundleDir + "/cpu").str();
  if (std::error_code ec = llvm::sys::fs::create_directories(targetDir))
    return err("cannot create " + targetDir + ": " + ec.message());
  return buildLibrary(bundleDir, targetDir, table, {object.str().str()}, /*relocatable=*/true);
}

/// The kernel instances lq-lower-to-nvptx launched from `func`, by
/// decreasing batch, from their lq.gpu_abi.
llvm::Expected<std::vector<CudaInstance>> instancesOf(ModuleOp module, func::FuncOp func) {
  std::vector<CudaInstance> out;
  llvm::StringSet<> seen;
  std::string problem;
  func.walk([&](gpu::LaunchFuncOp launch) {
    auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
        module, launch.getKernelAttr());
    auto abi = kernel ? kernel->getAttrOfType<DictionaryAttr>("lq.gpu_abi") : DictionaryAttr();
    if (!abi || !seen.insert(kernel.getName()).second)
      return; // a prologue, or an instance seen before
    auto get = [&](llvm::StringRef key) -> int64_t {
      auto value = abi.getAs<IntegerAttr>(key);
      if (!value)
        problem = ("kernel " + kernel.getName() + " has no " + key + " in lq.gpu_abi").str();
      return value ? value.getInt() : 0;
    };
    CudaInstance in;
    in.kernel = kernel.getName().str();
    in.batch = get("batch");
    in.grid = get("grid");
    in.threads = get("threads");
    if (auto prologue = abi.getAs<StringAttr>("prologue")) {
      in.prologue = prologue.getValue().str();
      in.prologueGrid = get("prologue_grid");
      in.prologueThreads = get("prologue_threads");
      in.scratchBytes = get("scratch_bytes");
    }
    out.push_back(std::move(in));
  });
  if (!problem.empty())
    return err(problem);
  if (out.empty())
    return err("no GPU kernel was built for @" + func.getName());
  llvm::sort(out, [](const CudaInstance &a, const CudaInstance &b) { return a.batch > b.batch; });
  return out;
}

/// cuda: packs every linear's blob, builds the kernels for each chip, and
/// fills `tensors` and each linear's cudaTensors.
llvm::Error emitCUDA(MLIRContext *ctx, std::vector<Linear> &linears, std::vector<Kernel> &kernels,
                     std::vector<BundleTensor> &tensors, llvm::StringRef bundleDir,
                     llvm::StringRef source, const BundleOptions &options,
                     std::vector<CudaImage> &images) {
  LoweringOptions lowering;
  lowering.log = options.log;
  std::string chip0 = options.chips.front();
  // The blobs: one batch-1 function per linear; only the packed globals of
  // the result are kept.
  {
    OwningOpRef<ModuleOp> module = buildMatmulFunctions(
        ctx, linears, "lin_", /*batch=*/1, /*f16Input=*/true,
        [](const Linear &l) -> const Linear & { return l; },
        [&](const Linear &l) -> const Kernel & { return kernels[l.kernel]; });
    if (llvm::Error e = runPassPipeline(*module, "gpu-pack",
                                        "lq-lower-to-nvptx{chip=" + chip0 + "}", lowering))
      return e;
    for (auto [i, l] : llvm::enumerate(linears)) {
      auto func = module->lookupSymbol<func::FuncOp>("lin_" + std::to_string(i));
      memref::GlobalOp global;
      func.walk([&](func::CallOp call) {
        auto upload = module->lookupSymbol<func::FuncOp>(call.getCallee());
        if (!upload || !upload->hasAttr("lq.device_upload"))
          return;
        upload.walk([&](memref::GetGlobalOp get) {
          global = module->lookupSymbol<memref::GlobalOp>(get.getName());
        });
      });
      auto value = global ? dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr())
                          : ElementsAttr();
      FailureOr<BundleTensor> t = failure();
      if (value)
        t = tensorOf(value, l.name, "blob");
      if (failed(t))
        return err(l.name + ": lq-lower-to-nvptx left no packed weight");
      t->dtype = "U8"; // bytes of the layout, whatever their meaning
      l.cudaTensors = {tensors.size()};
      tensors.push_back(std::move(*t));
    }
  }
  // The kernels: one function per kernel over a dynamic batch, lowered for
  // each chip; the instances must agree (the library has one table).
  OwningOpRef<ModuleOp> base = buildMatmulFunctions(
      ctx, kernels, "kernel_", /*batch=*/-1, /*f16Input=*/true,
      [&](const Kernel &k) -> const Linear & { return linears[k.firstLinear]; },
      [](const Kernel &k) -> const Kernel & { return k; });
  for (const std::string &chip : options.chips) {
    OwningOpRef<ModuleOp> module = base->clone();
    if (llvm::Error e = runPassPipeline(
            *module, "gpu-" + chip,
            "lq-lower-to-nvptx{chip=" + chip + " device-resident=true}", lowering))
      return e;
    for (auto [i, k] : llvm::enumerate(kernels)) {
      auto func = module->lookupSymbol<func::FuncOp>("kernel_" + std::to_string(i));
      auto instances = instancesOf(*module, func);
      if (!instances)
        return instances.takeError();
      if (chip == chip0)
        k.instances = std::move(*instances);
      else if (*instances != k.instances)
        return err(llvm::formatv("{0}: the kernels for {1} and {2} differ in launch geometry; "
                                 "emit them in separate bundles (--chips)",
                                 k.name, chip0, chip));
    }
    if (llvm::Error e = runPassPipeline(
            *module, "serialize-" + chip,
            "gpu.module(convert-gpu-to-nvvm),gpu-module-to-binary{format=isa}", lowering))
      return e;
    std::string ptx;
    module->walk([&](gpu::BinaryOp binary) {
      if (binary.getName() == "lq_gpu_kernels")
        ptx = cast<gpu::ObjectAttr>(binary.getObjects()[0]).getObject().str();
    });
    if (ptx.empty())
      return err("no PTX was produced for " + chip);
    images.push_back({chip, std::move(ptx), false});
  }
  // Where ptxas is on PATH, cubins too: they load without the driver's JIT.
  if (auto ptxas = llvm::sys::findProgramByName("ptxas")) {
    size_t ptxImages = images.size();
    for (size_t i = 0; i < ptxImages; ++i) {
      llvm::SmallString<256> ptxFile, cubinFile;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-bundle", "ptx", ptxFile))
        return err("cannot create a temporary file: " + ec.message());
      llvm::FileRemover removePtx(ptxFile);
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-bundle", "cubin", cubinFile))
        return err("cannot create a temporary file: " + ec.message());
      llvm::FileRemover removeCubin(cubinFile);
      if (llvm::Error e = writeText(ptxFile, images[i].bytes))
        return e;
      std::string arch = "-arch=" + images[i].arch;
      if (llvm::Error e = runProgram({*ptxas, arch, "-O3", ptxFile, "-o", cubinFile},
                                       "assembling the " + images[i].arch + " kernels"))
        return e;
      auto cubin = llvm::MemoryBuffer::getFile(cubinFile);
      if (!cubin)
        return err("cannot read " + cubinFile + ": " + cubin.getError().message());
      images.push_back({images[i].arch, (*cubin)->getBuffer().str(), true});
    }
  }

  std::string table;
  llvm::raw_string_ostream os(table);
  writeTableHeader(os, "cuda", source);
  os << "const char lq__cpu_features[] = \"\";\n\n";
  for (auto [i, image] : llvm::enumerate(images)) {
    os << "static const unsigned char lq__image_" << i << "[] = {";
    for (auto [j, c] : llvm::enumerate(image.bytes))
      os << (j % 24 ? "" : "\n  ") << (unsigned)(unsigned char)c << ",";
    os << "0};\n";
  }
  os << "const lq_cuda_image lq__cuda_images[] = {\n";
  for (auto [i, image] : llvm::enumerate(images))
    os << "  {" << cString(image.arch) << ", lq__image_" << i << ", "
       << image.bytes.size() + (image.cubin ? 0 : 1) << ", " << image.cubin << "},\n";
  os << "};\nconst int lq__num_cuda_images = " << images.size() << ";\n\n";
  writeTensorTable(os, tensors);
  writeKernels(os, kernels, options.maxBatch, /*cuda=*/true,
               [&](llvm::raw_ostream &os, size_t i, const Kernel &) {
    os << "  return lq__cuda_launch(" << i << ", stream, x, y, weights, batch);\n";
  });
  writeLinearTable(os, linears, /*cuda=*/true);
  std::string targetDir = (bundleDir + "/cuda").str();
  if (std::error_code ec = llvm::sys::fs::create_directories(targetDir))
    return err("cannot create " + targetDir + ": " + ec.message());
  for (const CudaImage &image : images)
    if (llvm::Error e = writeText(targetDir + "/lq_kernels_" + image.arch +
                                      (image.cubin ? ".cubin" : ".ptx"),
                                  image.bytes))
      return e;
  return buildLibrary(bundleDir, targetDir, table, {}, /*relocatable=*/false);
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
