//===- PackWeights.cpp - lq-cpu-pack-weights ------------------------------===//
//
// Repacks the constant weight of every linear layer at compile time so the
// vectorized kernel (lq-cpu-tile-and-vectorize) streams it contiguously.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPUPACKWEIGHTS
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

/// W [N, K] (or [K, N] for a plain matmul) becomes panels P [N/panel, K,
/// panel] with P[b, k, j] = W[panel*b + j, k], and the matmul a contraction
/// over them (the pass description has the IR).
static LogicalResult packConstantWeights(ModuleOp module, int64_t panel) {
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
      return op->emitError("cannot read the weight of a linear layer (is its blob missing?)");
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
    auto out3Type =
        RankedTensorType::get({outType.getDimSize(0), N / panel, panel}, b.getF32Type());
    Value out3 = tensor::ExpandShapeOp::create(b, loc, out3Type, op.getOutputs()[0], split);
    // Dims (m, b, j, k): y[m, b, j] += x[m, k] * P[b, k, j].
    AffineExpr dm, db, dj, dk;
    bindDims(ctx, dm, db, dj, dk);
    SmallVector<AffineMap> genericMaps = AffineMap::inferFromExprList(
        ArrayRef<ArrayRef<AffineExpr>>{{dm, dk}, {db, dk, dj}, {dm, db, dj}}, ctx);
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{out3Type}, ValueRange{op.getInputs()[0], weight}, ValueRange{out3},
        genericMaps, iterators, [](OpBuilder &nb, Location l, ValueRange args) {
          Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
          linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], p)});
        });
    for (NamedAttribute a : op->getDiscardableAttrs())
      generic->setAttr(a.getName(), a.getValue());
    Value result = tensor::CollapseShapeOp::create(b, loc, outType, generic.getResult(0), split);
    op->replaceAllUsesWith(ValueRange{result});
    op.erase();
    if (cst->use_empty())
      cst.erase();
  }
  return success();
}

namespace {
struct LQCPUPackWeightsPass : public mlir::lq::impl::LQCPUPackWeightsBase<LQCPUPackWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (panel < 1 || panel > 64) {
      getOperation().emitError() << "lq-cpu-pack-weights: panel must be in [1, 64], got "
                                 << int64_t(panel);
      return signalPassFailure();
    }
    if (failed(packConstantWeights(getOperation(), panel)))
      signalPassFailure();
  }
};
} // namespace
