//===- QuantizeKV.cpp - lq-quantize-kv: WKVQuant's KV cache quantization -----===//
//
// Keys (after RoPE) and values are quantized per token to `bits` with
// lq.kv_quantize / lq.kv_dequantize, optionally after a static per-channel
// smoothing (2-D quantization). Past-only: a query attends to the cached,
// quantized keys and values of earlier tokens and to its own in full
// precision.
//
//===----------------------------------------------------------------------===//
#include "passes/LinearModel.h"
#include "passes/Passes.h"

#include "lq/Transforms/FPT.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQQUANTIZEKV
#include "passes/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-quantize-kv";

struct QuantizeKVPass : public mlir::lq::impl::LQQuantizeKVBase<QuantizeKVPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  ModelShape shape;
  /// Per-layer static channel scales (2-D quantization), keyed by role.
  std::map<std::string, DenseElementsAttr> channelScales;

  FailureOr<DenseElementsAttr> channelScale(ModuleOp module, Operation *linear, bool keys);
  /// x (any shape whose elements are one or more tokens of [KV, hd]) as
  /// [tokens, KV * hd], quantized and dequantized, in x's shape again.
  Value fakeQuantize(OpBuilder &b, Location loc, Value x, DenseElementsAttr cs);
  LogicalResult rewriteAttention(linalg::GenericOp g, unsigned operand, DenseElementsAttr cs);
  LogicalResult rewriteCacheWrite(tensor::InsertSliceOp insert, DenseElementsAttr cs);
  LogicalResult rewriteUses(Value kv, Operation *linear, DenseElementsAttr cs);
};

FailureOr<DenseElementsAttr> QuantizeKVPass::channelScale(ModuleOp module, Operation *linear,
                                                          bool keys) {
  if (!smooth)
    return DenseElementsAttr();
  std::string role = roleOf(linear).str();
  auto it = channelScales.find(role);
  if (it != channelScales.end())
    return it->second;
  int64_t hd = shape.headDim, c = shape.kvHeads * hd;
  FailureOr<std::vector<float>> absmax =
      findStatistic(module, role, "lq.out_absmax", c, linear, kPass);
  if (failed(absmax))
    return failure();
  std::vector<double> range(absmax->begin(), absmax->end());
  if (keys && shape.rope) {
    // The cache holds keys after RoPE, which mixes the two channels of each
    // frequency pair: both reach the pair's norm, bounded by hypot(a, b).
    std::vector<double> pre = range;
    for (int64_t h = 0; h < shape.kvHeads; ++h)
      for (int64_t i = 0; i < hd / 2; ++i) {
        auto [a, b] = ::lq::ropePair(*shape.rope, hd, i);
        double r = std::hypot(pre[h * hd + a], pre[h * hd + b]);
        range[h * hd + a] = range[h * hd + b] = r;
      }
  }
  // Dividing each channel by its range flattens the token's profile: with
  // per-token steps set by the largest channel, the rounding noise mapped
  // back (times the channel scale) sums to sum_c r_c^2, its minimum.
  std::vector<double> s = ::lq::migrationScales(range, std::vector<double>(c, 1.0), 1.0);
  DenseElementsAttr attr = f32Attr(&getContext(), {c}, s);
  channelScales[role] = attr;
  return attr;
}

Value QuantizeKVPass::fakeQuantize(OpBuilder &b, Location loc, Value x, DenseElementsAttr cs) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  int64_t c = shape.kvHeads * shape.headDim, rank = type.getRank();
  // [..., KV, hd] -> [tokens, KV * hd]: the leading dims are tokens.
  Value rows = x;
  SmallVector<ReassociationIndices> toRows;
  if (rank == 3) {
    toRows = {{0}, {1, 2}};
    rows = tensor::CollapseShapeOp::create(b, loc, x, toRows);
  }
  auto rowsType = llvm::cast<RankedTensorType>(rows.getType());
  int64_t tokens = rowsType.getDimSize(0);
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  auto codesType = RankedTensorType::get({tokens, (c * (int64_t)bits + 7) / 8}, i8);
  auto perToken = RankedTensorType::get({tokens, 1}, f32);
  Value channel;
  if (cs)
    channel = arith::ConstantOp::create(b, loc, cs);
  IntegerAttr bitsAttr = b.getI64IntegerAttr(bits);
  auto q = KVQuantizeOp::create(b, loc, TypeRange{codesType, perToken, perToken}, rows, channel,
                                bitsAttr);
  Value deq = KVDequantizeOp::create(b, loc, rowsType, q.getCodes(), q.getScales(),
                                     q.getZeros(), channel, bitsAttr);
  if (rank != 3)
    return deq;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  return tensor::ExpandShapeOp::create(b, loc, type, deq, toRows, sizes);
}

/// The attention contraction reading keys or values [S, KV, hd] in
/// @forward: the query at t reads key/value s quantized for s != t and its
/// own (s == t) in full precision.
LogicalResult QuantizeKVPass::rewriteAttention(linalg::GenericOp g, unsigned operand,
                                               DenseElementsAttr cs) {
  OpOperand &use = g->getOpOperand(operand);
  auto type = llvm::dyn_cast<RankedTensorType>(use.get().getType());
  if (!type || type.getRank() != 3 || type.getDimSize(1) != shape.kvHeads ||
      type.getDimSize(2) != shape.headDim)
    return g.emitError() << kPass << ": attention reads keys/values of type " << use.get().getType()
                         << ", expected [tokens, " << shape.kvHeads << ", " << shape.headDim << "]";
  OpBuilder b(g);
  Location loc = g.getLoc();
  Value quantized = fakeQuantize(b, loc, use.get(), cs);
  if (!pastOnly) {
    use.set(quantized);
    return success();
  }
  // s: the loop indexing the token axis of the operand; t: the query token,
  // the one other loop of the same (dynamic) extent the operand does not use.
  AffineMap map = g.getMatchingIndexingMap(&use);
  auto sExpr = llvm::dyn_cast<AffineDimExpr>(map.getResult(0));
  if (!sExpr)
    return g.emitError() << kPass << ": unrecognized attention form (token axis not a loop)";
  unsigned sDim = sExpr.getPosition();
  SmallVector<int64_t> ranges = g.getStaticLoopRanges();
  std::optional<unsigned> tDim;
  for (unsigned d = 0; d < g.getNumLoops(); ++d) {
    if (map.isFunctionOfDim(d) || ranges[d] != ranges[sDim] ||
        g.getIteratorTypesArray()[d] != utils::IteratorType::parallel)
      continue;
    if (tDim)
      return g.emitError() << kPass
                           << ": unrecognized attention form (cannot tell the query token loop)";
    tDim = d;
  }
  if (!tDim)
    return g.emitError() << kPass << ": unrecognized attention form (no query token loop)";

  SmallVector<Value> inputs(g.getDpsInputs());
  unsigned newIndex = inputs.size();
  inputs.push_back(quantized);
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  maps.insert(maps.begin() + newIndex, map);
  auto ng = linalg::GenericOp::create(b, loc, g.getResultTypes(), inputs, g.getDpsInits(), maps,
                                      g.getIteratorTypesArray());
  ng->setDiscardableAttrs(g->getDiscardableAttrDictionary());
  ng.getRegion().takeBody(g.getRegion());
  Block &body = ng.getRegion().front();
  BlockArgument full = body.getArgument(operand);
  BlockArgument cached = body.insertArgument(newIndex, type.getElementType(), loc);
  OpBuilder nb = OpBuilder::atBlockBegin(&body);
  Value s = linalg::IndexOp::create(nb, loc, sDim);
  Value t = linalg::IndexOp::create(nb, loc, *tDim);
  Value own = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq, s, t);
  auto pick = arith::SelectOp::create(nb, loc, own, full, cached);
  full.replaceAllUsesExcept(pick, pick);
  g->replaceAllUsesWith(ng);
  g->erase();
  return success();
}

/// @decode's cache write: the cache keeps the quantized token; the attention
/// read of this step sees the token itself in full precision.
LogicalResult QuantizeKVPass::rewriteCacheWrite(tensor::InsertSliceOp insert,
                                                DenseElementsAttr cs) {
  Value row = insert.getSource();
  auto type = llvm::cast<RankedTensorType>(row.getType());
  int64_t c = shape.kvHeads * shape.headDim;
  SmallVector<int64_t> nonUnit;
  for (int64_t d : type.getShape())
    if (d != 1)
      nonUnit.push_back(d);
  bool oneToken = type.hasStaticShape() && type.getNumElements() == c &&
                  type.getShape().back() == shape.headDim &&
                  (nonUnit.size() <= 1 || (nonUnit.size() == 2 && nonUnit[0] == shape.kvHeads));
  if (!oneToken)
    return insert.emitError() << kPass << ": cache write of " << type
                              << " is not one token of [" << shape.kvHeads << ", "
                              << shape.headDim << "]";
  OpBuilder b(insert);
  Location loc = insert.getLoc();
  // The token as [1, KV * hd] (row-major order is (kv, d) whatever unit dims).
  SmallVector<ReassociationIndices> all(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    all[0].push_back(d);
  Value flat = tensor::CollapseShapeOp::create(b, loc, row, all);
  Value asRow = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get({1, c}, type.getElementType()),
                                              flat, SmallVector<ReassociationIndices>{{0, 1}});
  Value deq = fakeQuantize(b, loc, asRow, cs);
  Value back = tensor::ExpandShapeOp::create(
      b, loc, type,
      tensor::CollapseShapeOp::create(b, loc, deq, SmallVector<ReassociationIndices>{{0, 1}}), all);
  auto stored = tensor::InsertSliceOp::create(b, loc, back, insert.getDest(),
                                              insert.getMixedOffsets(), insert.getMixedSizes(),
                                              insert.getMixedStrides());
  Value forAttention = stored;
  if (pastOnly)
    forAttention = tensor::InsertSliceOp::create(b, loc, row, stored, insert.getMixedOffsets(),
                                                 insert.getMixedSizes(), insert.getMixedStrides());
  for (OpOperand &use : llvm::make_early_inc_range(insert.getResult().getUses()))
    use.set(llvm::isa<tensor::ExtractSliceOp>(use.getOwner()) ? forAttention : Value(stored));
  insert.erase();
  return success();
}

LogicalResult QuantizeKVPass::rewriteUses(Value kv, Operation *linear, DenseElementsAttr cs) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : kv.getUses())
    uses.push_back(&use);
  for (OpOperand *use : uses) {
    Operation *user = use->getOwner();
    if (llvm::isa<tensor::DimOp>(user))
      continue;
    // Layout changes on the way to the cache are followed.
    if ((llvm::isa<linalg::TransposeOp>(user) && use->getOperandNumber() == 0) ||
        llvm::isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user)) {
      if (failed(rewriteUses(user->getResult(0), linear, cs)))
        return failure();
      continue;
    }
    if (auto insert = llvm::dyn_cast<tensor::InsertSliceOp>(user);
        insert && use->get() == insert.getSource()) {
      if (failed(rewriteCacheWrite(insert, cs)))
        return failure();
      continue;
    }
    if (auto g = llvm::dyn_cast<linalg::GenericOp>(user);
        g && g.getNumReductionLoops() > 0 && g.isDpsInput(use)) {
      if (failed(rewriteAttention(g, use->getOperandNumber(), cs)))
        return failure();
      continue;
    }
    return user->emitError() << kPass << ": unrecognized use of the "
                             << (roleOf(linear).ends_with(".k") ? "keys" : "values") << " of '"
                             << roleOf(linear) << "' (expected attention or a cache write)";
  }
  return success();
}

void QuantizeKVPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (bits != 2 && bits != 4 && bits != 8) {
    module.emitError() << kPass << ": bits must be 2, 4 or 8 (whole codes per byte), got " << (unsigned)bits;
    return signalPassFailure();
  }
  FailureOr<ModelShape> s = readModelShape(module, kPass);
  if (failed(s))
    return signalPassFailure();
  shape = *s;
  SmallVector<Operation *> linears;
  module.walk([&](Operation *op) {
    StringRef role = roleOf(op);
    if (role.starts_with("layers.") && (role.ends_with(".attn.k") || role.ends_with(".attn.v")))
      linears.push_back(op);
  });
  if (linears.empty()) {
    module.emitError() << kPass
                       << " needs the transformer's structure: no linear is tagged as a key or "
                          "value projection (layers.N.attn.k / .v)";
    return signalPassFailure();
  }
  for (Operation *linear : linears) {
    bool keys = roleOf(linear).ends_with(".k");
    Value out = linear->getResult(0);
    if (!out.hasOneUse()) {
      linear->emitError() << kPass << ": the output of '" << roleOf(linear)
                          << "' has several users (expected one reshape to heads)";
      return signalPassFailure();
    }
    Operation *user = *out.getUsers().begin();
    if (llvm::isa<FunctionPreservingTransformOpInterface>(user)) {
      user->emitError() << kPass
                        << ": a transform is still in place after '" << roleOf(linear)
                        << "' (run lq-merge-fpt first, so the statistics describe the cache)";
      return signalPassFailure();
    }
    auto expand = llvm::dyn_cast<tensor::ExpandShapeOp>(user);
    if (!expand || expand.getResultType().getRank() != 3) {
      user->emitError() << kPass << ": expected the output of '" << roleOf(linear)
                        << "' reshaped to [tokens, heads, head_dim]";
      return signalPassFailure();
    }
    Value kv = expand.getResult();
    if (keys) {
      // RoPE: the elementwise generic reading the reshaped keys (as its
      // input and, for each channel's partner, inside its body).
      linalg::GenericOp rope;
      for (Operation *user : kv.getUsers()) {
        if (llvm::isa<tensor::DimOp>(user))
          continue; // shape queries read no values
        auto g = llvm::dyn_cast<linalg::GenericOp>(user);
        if (!g)
          g = user->getParentOfType<linalg::GenericOp>();
        if (!g || (rope && g != rope)) {
          rope = nullptr;
          break;
        }
        rope = g;
      }
      if (!rope || rope.getNumReductionLoops() != 0) {
        linear->emitError() << kPass << ": no RoPE after '" << roleOf(linear)
                            << "': cannot tell where the cached keys are";
        return signalPassFailure();
      }
      kv = rope.getResult(0);
    }
    FailureOr<DenseElementsAttr> cs = channelScale(module, linear, keys);
    if (failed(cs) || failed(rewriteUses(kv, linear, *cs)))
      return signalPassFailure();
  }
}

} // namespace
