//===- Lowering.cpp - Model module to the LLVM dialect --------------------===//
//
// Upstream passes only, run from textual pipelines so each stage reads like
// the mlir-opt invocation that reproduces it.
//
//===----------------------------------------------------------------------===//

#include "lq/Run/Lowering.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <mutex>

using namespace mlir;

namespace lq::run {

void registerRunPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    mlir::lq::registerLQTransformsPasses();
    mlir::lq::registerLQConversionPasses();
  });
}

namespace {
/// Collects error diagnostics emitted while a stage runs.
struct DiagnosticCollector {
  std::string text;
  llvm::raw_string_ostream os{text};
  ScopedDiagnosticHandler handler;
  explicit DiagnosticCollector(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          if (d.getSeverity() == DiagnosticSeverity::Error ||
              d.getSeverity() == DiagnosticSeverity::Warning) {
            os << d.getLocation() << ": " << d << "\n";
            for (Diagnostic &note : d.getNotes())
              os << "  note: " << note << "\n";
          }
          return success();
        }) {}
};
} // namespace

/// Runs the textual `pipeline` on `module`; `stage` names it in messages.
static llvm::Error runPipeline(ModuleOp module, llvm::StringRef stage,
                               llvm::StringRef pipeline,
                               const LoweringOptions &options) {
  auto t0 = std::chrono::steady_clock::now();
  MLIRContext *ctx = module.getContext();
  DiagnosticCollector diags(ctx);
  PassManager pm(ctx, ModuleOp::getOperationName(), OpPassManager::Nesting::Implicit);
  std::string parseErrors;
  llvm::raw_string_ostream parseOS(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, parseOS)))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("internal error: bad {0} pipeline: {1}", stage, parseErrors));
  if (failed(pm.run(module)))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("lowering failed in stage '{0}':\n{1}", stage, diags.text));
  if (options.log)
    *options.log << llvm::formatv(
        "  lower: {0,-12} {1,7:f2} s\n", stage,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return llvm::Error::success();
}

/// Bufferization of the whole module, function boundaries included.
static constexpr const char *kBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}";

/// Deallocation: the entry points run thousands of times in one process, so
/// every temporary must be freed. Upstream's buffer-deallocation-pipeline
/// minus buffer-deallocation-simplification, whose alias proofs (Presburger
/// arithmetic over every tiled loop) cost seconds of compile time to save a
/// few pointer comparisons at run time.
static constexpr const char *kDealloc =
    "expand-realloc,ownership-based-buffer-deallocation,canonicalize,"
    "bufferization-lower-deallocations,cse,canonicalize";

/// Deallocation makes every result a fresh buffer, so @decode would copy both
/// KV caches (updated in place in the argument buffers) on every step. A
/// result that is a clone of an argument returns the argument itself: the
/// caller then gets back the buffer it passed (see writeCHeader and
/// ModelRunner::decode, which check for that).
static void returnArgumentsInPlace(ModuleOp module) {
  module.walk([](func::ReturnOp ret) {
    for (OpOperand &operand : ret->getOpOperands()) {
      auto clone = operand.get().getDefiningOp<bufferization::CloneOp>();
      if (!clone || !clone->hasOneUse())
        continue;
      auto arg = dyn_cast<BlockArgument>(clone.getInput());
      if (!arg || !isa<func::FuncOp>(arg.getOwner()->getParentOp()) ||
          arg.getType() != clone.getType())
        continue;
      operand.set(arg);
      clone->erase();
    }
  });
}

/// From loops, vectors and memrefs down to the LLVM dialect.
static constexpr const char *kToLLVM =
    "convert-vector-to-scf{full-unroll=true},func.func(lower-vector-mask),convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "convert-vector-to-llvm,finalize-memref-to-llvm,convert-math-to-llvm,"
    "convert-math-to-libm,convert-arith-to-llvm,convert-index-to-llvm,"
    "convert-func-to-llvm,convert-cf-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts";

/// memref.copy between strided buffers lowers to a call into MLIR's C runner
/// library; as linalg.copy it becomes loops, so neither the JIT nor objects
/// written for AOT use depend on that library.
static void copiesToLinalg(ModuleOp module) {
  SmallVector<memref::CopyOp> copies;
  module.walk([&](memref::CopyOp op) { copies.push_back(op); });
  for (memref::CopyOp op : copies) {
    OpBuilder b(op);
    linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
    op.erase();
  }
}

/// Repacks the constant weight of every linear layer at compile time so the
/// vectorized kernel (Vectorize.cpp) streams it contiguously: W [N, K] (or
/// [K, N] for a plain matmul) becomes panels P [N/16, K, 16] with
/// P[b, k, j] = W[16b + j, k], and the matmul a contraction over them. One
/// panel is K x 64 contiguous bytes, read once per row tile; in the [K, N]
/// layout the same panel spans K pages and thrashes the TLB.
static llvm::Error packConstantWeights(ModuleOp module, int64_t panel) {
  MLIRContext *ctx = module.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto maps = [&](ArrayRef<ArrayRef<AffineExpr>> exprs) {
    return AffineMap::inferFromExprList(exprs, ctx);
  };
  SmallVector<AffineMap> transposedB = maps({{m, k}, {n, k}, {m, n}});
  SmallVector<AffineMap> plainB = maps({{m, k}, {k, n}, {m, n}});
  SmallVector<linalg::MatmulOp> matmuls;
  module.walk([&](linalg::MatmulOp op) {
    auto indexing = op.getIndexingMapsArray();
    if (op.hasPureTensorSemantics() && (indexing == transposedB || indexing == plainB) &&
        op.getInputs()[1].getDefiningOp<arith::ConstantOp>())
      matmuls.push_back(op);
  });
  unsigned counter = 0;
  for (linalg::MatmulOp op : matmuls) {
    auto cst = op.getInputs()[1].getDefiningOp<arith::ConstantOp>();
    auto attr = dyn_cast<ElementsAttr>(cst.getValue());
    auto type = cast<RankedTensorType>(cst.getType());
    auto outType = cast<RankedTensorType>(op.getOutputs()[0].getType());
    if (!attr || !type.getElementType().isF32() || !type.hasStaticShape() ||
        !outType.getElementType().isF32())
      continue;
    bool transposed = op.getIndexingMapsArray() == transposedB;
    int64_t N = type.getDimSize(transposed ? 0 : 1), K = type.getDimSize(transposed ? 1 : 0);
    if (N % panel != 0)
      continue; // stays a matmul; the kernel then reads the weight as it is
    FailureOr<std::vector<float>> values = mlir::lq::readFloats(attr);
    if (failed(values))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "cannot read the weight of a linear layer (is its blob missing?)");
    const std::vector<float> &w = *values;
    std::vector<float> packed(w.size());
    for (int64_t nb = 0; nb < N / panel; ++nb)
      for (int64_t kk = 0; kk < K; ++kk)
        for (int64_t j = 0; j < panel; ++j) {
          int64_t row = nb * panel + j;
          packed[(nb * K + kk) * panel + j] = transposed ? w[row * K + kk] : w[kk * N + row];
        }

    OpBuilder b(op);
    Location loc = op.getLoc();
    auto packedType = RankedTensorType::get({N / panel, K, panel}, b.getF32Type());
    auto blob = mlir::lq::makeResource(packedType, llvm::formatv("lq_run_w{0}", counter++).str(),
                                       ArrayRef<float>(packed));
    Value weight = arith::ConstantOp::create(b, loc, packedType, blob);
    SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
    auto out3Type = RankedTensorType::get({outType.getDimSize(0), N / panel, panel},
                                          b.getF32Type());
    Value out3 = tensor::ExpandShapeOp::create(b, loc, out3Type, op.getOutputs()[0], split);
    // Dims (m, b, j, k): y[m, b, j] += x[m, k] * P[b, k, j].
    AffineExpr dm, db, dj, dk;
    bindDims(ctx, dm, db, dj, dk);
    SmallVector<AffineMap> genericMaps =
        AffineMap::inferFromExprList(ArrayRef<ArrayRef<AffineExpr>>{{dm, dk}, {db, dk, dj},
                                                                    {dm, db, dj}},
                                     ctx);
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::parallel, utils::IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{out3Type}, ValueRange{op.getInputs()[0], weight}, ValueRange{out3},
        genericMaps, iterators, [](OpBuilder &nb, Location l, ValueRange args) {
          Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
          linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], p)});
        });
    for (NamedAttribute a : op->getDiscardableAttrs())
      generic->setAttr(a.getName(), a.getValue());
    Value result =
        tensor::CollapseShapeOp::create(b, loc, outType, generic.getResult(0), split);
    op->replaceAllUsesWith(ValueRange{result});
    op.erase();
    if (cst->use_empty())
      cst.erase();
  }
  return llvm::Error::success();
}

llvm::Error lowerToLLVMDialect(ModuleOp module, const LoweringOptions &options) {
  registerRunPasses();
  bool hasLQ = false;
  module.walk([&](Operation *op) {
    if (isa<mlir::lq::LQDialect>(op->getDialect()))
      hasLQ = true;
    return hasLQ ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (hasLQ) {
    std::string expand = llvm::formatv("lq-expand{{library-decode={0}},canonicalize,cse",
                                       options.compileTimeDecode ? "true" : "false");
    if (llvm::Error e = runPipeline(module, "lq-expand", expand, options))
      return e;
  }

  const bool fast = options.strategy == LoweringStrategy::Fast;
  if (fast)
    if (llvm::Error e = packConstantWeights(module, options.tileN))
      return e;
  if (llvm::Error e = runPipeline(module, "bufferize", kBufferize, options))
    return e;
  if (llvm::Error e = runPipeline(module, "dealloc", kDealloc, options))
    return e;
  returnArgumentsInPlace(module);
  if (llvm::Error e = runPipeline(module, "clones", "convert-bufferization-to-memref", options))
    return e;
  // Tiling after bufferization keeps one-shot-bufferize's analysis on the
  // small untiled IR; linalg tiles and vectorizes buffers as well.
  if (fast) {
    auto t0 = std::chrono::steady_clock::now();
    if (llvm::Error e = tileAndVectorize(module, options))
      return e;
    if (!options.dumpVectorized.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(options.dumpVectorized, ec);
      if (ec)
        return llvm::createStringError(ec, "cannot write '" + options.dumpVectorized + "'");
      module->print(os, OpPrintingFlags().elideLargeElementsAttrs(16).elideLargeResourceString(64));
    }
    if (options.log)
      *options.log << llvm::formatv(
          "  lower: {0,-12} {1,7:f2} s\n", "vectorize",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  copiesToLinalg(module);
  if (llvm::Error e = runPipeline(module, "loops", "convert-linalg-to-loops,canonicalize,cse", options))
    return e;
  return runPipeline(module, "to-llvm", kToLLVM, options);
}

} // namespace lq::run
