//===- Verify.cpp - Check an imported module against the reference --------===//
//
// The lowering is the upstream pipeline docs and tests use for modules of
// linalg on tensors, plus upstream's deallocation (the checked entry points
// run once per token, and their temporaries are freed as in any runner):
//   one-shot-bufferize{bufferize-function-boundaries},
//   buffer-deallocation-pipeline, convert-bufferization-to-memref,
//   convert-linalg-to-loops,
//   convert-scf-to-cf, expand-strided-metadata, lower-affine,
//   finalize-memref-to-llvm, convert-math-to-llvm, convert-math-to-libm,
//   convert-arith-to-llvm, convert-func-to-llvm, convert-cf-to-llvm,
//   reconcile-unrealized-casts
// so a pass here exercises exactly what other tools run.
//
//===----------------------------------------------------------------------===//

#include "Verify.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"

#include <cmath>
#include <cstdlib>

using namespace mlir;

void lq::registerVerifyExtensions(DialectRegistry &registry) {
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerSubsetOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

namespace {

llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}
llvm::Error makeError(const llvm::formatv_object_base &msg) {
  return makeError(msg.str());
}

LogicalResult lowerToLLVM(ModuleOp module) {
  PassManager pm(module->getContext());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  return pm.run(module);
}

/// Largest |a - b| and largest |b| over compared logits; a NaN anywhere
/// fails the comparison.
struct Diff {
  double maxAbs = 0, maxRef = 0;
  bool sawNaN = false;
  void add(float got, float want) {
    double d = std::fabs(double(got) - double(want));
    if (std::isnan(d))
      sawNaN = true;
    else
      maxAbs = std::max(maxAbs, d);
    maxRef = std::max(maxRef, std::fabs(double(want)));
  }
  bool within(double tolerance) const {
    return !sawNaN && maxAbs <= tolerance * std::max(1.0, maxRef);
  }
  std::string summary(double tolerance) const {
    return llvm::formatv("max |diff| {0:e2}{1}, max |ref| {2:f3}: {3}", maxAbs,
                         sawNaN ? " (and NaN)" : "", maxRef,
                         within(tolerance) ? "ok" : "MISMATCH")
        .str();
  }
};

template <typename T, int N>
T at(const StridedMemRefType<T, N> &m, std::array<int64_t, N> idx) {
  int64_t off = m.offset;
  for (int i = 0; i < N; ++i)
    off += idx[i] * m.strides[i];
  return m.data[off];
}

/// Frees a buffer the compiled code returned, unless it is `arg` (a result
/// that bufferized in place into an argument).
template <typename T, int N>
void release(const StridedMemRefType<T, N> &m, const void *arg = nullptr) {
  if (m.basePtr && m.basePtr != arg && m.data != arg)
    std::free(m.basePtr);
}

} // namespace

llvm::Error lq::verifyAgainstReference(ModuleOp module,
                                       const Transformer &reference,
                                       llvm::ArrayRef<int32_t> tokens,
                                       double tolerance,
                                       llvm::raw_ostream &log) {
  const LlamaConfig &c = reference.config();
  int64_t T = tokens.size(), V = c.vocabSize;
  auto info = module->getAttrOfType<DictionaryAttr>("lq.model");
  auto contextAttr = info ? info.getAs<IntegerAttr>("context") : IntegerAttr();
  if (!contextAttr)
    return makeError("verify: the module has no lq.model context");
  int64_t C = contextAttr.getInt();
  if (T == 0 || T > std::min(C, c.maxSeqLen))
    return makeError(llvm::formatv("verify: {0} tokens given; between 1 and "
                                   "{1} are needed",
                                   T, std::min(C, c.maxSeqLen)));
  for (int32_t t : tokens)
    if (t < 0 || t >= V)
      return makeError(llvm::formatv("verify: token {0} is outside the "
                                     "vocabulary of {1}",
                                     t, V));
  bool hasForward = module.lookupSymbol<func::FuncOp>("forward") != nullptr;
  bool hasDecode = module.lookupSymbol<func::FuncOp>("decode") != nullptr;

  auto want = reference.forward(tokens);
  if (!want)
    return want.takeError();

  OwningOpRef<ModuleOp> lowered = module.clone();
  if (failed(lowerToLLVM(*lowered)))
    return makeError("verify: lowering the module to LLVM failed");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto optimize = makeOptimizingTransformer(/*optLevel=*/2, /*sizeLevel=*/0,
                                            /*targetMachine=*/nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = optimize;
  auto engine = ExecutionEngine::create(*lowered, engineOptions);
  if (!engine)
    return makeError("verify: JIT compilation failed: " +
                     llvm::toString(engine.takeError()));
  // memref.copy between strided views (the cache-slot writes before
  // canonicalization) calls the runtime's memrefCopy.
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("memrefCopy")] = {
        llvm::orc::ExecutorAddr::fromPtr(&memrefCopy),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });

  bool ok = true;
  std::vector<int64_t> ids(tokens.begin(), tokens.end());
  if (hasForward) {
    auto fn = (*engine)->lookup("_mlir_ciface_forward");
    if (!fn)
      return fn.takeError();
    StridedMemRefType<int64_t, 2> in{ids.data(), ids.data(), 0, {1, T}, {T, 1}};
    StridedMemRefType<float, 3> out{};
    reinterpret_cast<void (*)(StridedMemRefType<float, 3> *,
                              StridedMemRefType<int64_t, 2> *)>(*fn)(&out,
                                                                     &in);
    if (out.sizes[0] != 1 || out.sizes[1] != T || out.sizes[2] != V)
      return makeError(llvm::formatv("verify: @forward returned shape "
                                     "{0}x{1}x{2}, expected 1x{3}x{4}",
                                     out.sizes[0], out.sizes[1], out.sizes[2],
                                     T, V));
    Diff d;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t v = 0; v < V; ++v)
        d.add(at<float, 3>(out, {0, t, v}), (*want)[t * V + v]);
    release(out);
    log << llvm::formatv("verify: @forward, {0} tokens: {1}\n", T,
                         d.summary(tolerance));
    ok &= d.within(tolerance);
  }

  if (hasDecode) {
    auto fn = (*engine)->lookup("_mlir_ciface_decode");
    if (!fn)
      return fn.takeError();
    int64_t L = c.nLayers, KV = c.nKVHeads, hd = c.headDim();
    std::vector<float> kc(L * KV * C * hd, 0.0f), vc(kc.size(), 0.0f);
    auto cacheRef = [&](std::vector<float> &buf) {
      return StridedMemRefType<float, 4>{
          buf.data(), buf.data(), 0, {L, KV, C, hd},
          {KV * C * hd, C * hd, hd, 1}};
    };
    struct Results {
      StridedMemRefType<float, 2> logits;
      StridedMemRefType<float, 4> k, v;
    };
    using DecodeFn = void (*)(Results *, StridedMemRefType<int64_t, 1> *,
                              StridedMemRefType<int64_t, 1> *,
                              StridedMemRefType<float, 4> *,
                              StridedMemRefType<float, 4> *);
    Diff d;
    for (int64_t t = 0; t < T; ++t) {
      int64_t tok = ids[t], pos = t;
      StridedMemRefType<int64_t, 1> tokRef{&tok, &tok, 0, {1}, {1}};
      StridedMemRefType<int64_t, 1> posRef{&pos, &pos, 0, {1}, {1}};
      auto kRef = cacheRef(kc), vRef = cacheRef(vc);
      Results r{};
      reinterpret_cast<DecodeFn>(*fn)(&r, &tokRef, &posRef, &kRef, &vRef);
      for (int64_t v = 0; v < V; ++v)
        d.add(at<float, 2>(r.logits, {0, v}), (*want)[t * V + v]);
      release(r.logits);
      // The caches normally update in place; copy them back otherwise.
      for (auto [res, buf] : {std::pair{&r.k, &kc}, std::pair{&r.v, &vc}}) {
        if (res->data == buf->data() && res->offset == 0)
          continue;
        for (int64_t i0 = 0; i0 < L; ++i0)
          for (int64_t i1 = 0; i1 < KV; ++i1)
            for (int64_t i2 = 0; i2 < C; ++i2)
              for (int64_t i3 = 0; i3 < hd; ++i3)
                (*buf)[((i0 * KV + i1) * C + i2) * hd + i3] =
                    at<float, 4>(*res, {i0, i1, i2, i3});
        release(*res, buf->data());
      }
    }
    log << llvm::formatv("verify: @decode, {0} steps: {1}\n", T,
                         d.summary(tolerance));
    ok &= d.within(tolerance);
  }
  if (!ok)
    return makeError(llvm::formatv("verify: logits differ from the reference "
                                   "by more than {0:e1} x max(1, max |ref|)",
                                   tolerance));
  return llvm::Error::success();
}
