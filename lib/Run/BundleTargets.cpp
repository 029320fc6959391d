//===- BundleTargets.cpp - Each target's library of a bundle --------------===//
//
// emitCPU and emitCUDA (see Bundle.cpp's file comment for how each target's
// kernels and weights are taken apart), the C source of the tables of
// lq_bundle_internal.h they generate, and the C compiler run that links it
// with the runtime into the target's library.
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

namespace lq::run::bundle_detail {
namespace {

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

} // namespace

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
  if (llvm::Error e = runPassPipeline(
          *module, "packed",
          llvm::formatv("lq-cpu-packed-matmul{{int8-dot={0}}", int8DotName(lowering.int8Dot)).str(),
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
static llvm::Expected<std::vector<CudaInstance>> instancesOf(ModuleOp module, func::FuncOp func) {
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

} // namespace lq::run::bundle_detail
