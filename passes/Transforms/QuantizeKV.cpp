//===- QuantizeKV.cpp - lq-quantize-kv: WKVQuant's KV cache quantization -----===//
//
// Keys (after RoPE) and values are quantized per token to `bits` with
// lq.kv_quantize / lq.kv_dequantize, optionally after a static per-channel
// smoothing (2-D quantization). Past-only: a query attends to the cached,
// quantized keys and values of earlier tokens and to its own in full
// precision. Per-layer parameters tuned by cross-block reconstruction
// (lq.kv_clip, lq.kv_smooth on the k/v projection) are read when present.
//
//===----------------------------------------------------------------------===//
#include "LinearModel.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include "lq/Fitting/FPT.h"
#include "lq/Fitting/KVQuant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQQUANTIZEKV
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-quantize-kv";

/// How one layer's keys or values are quantized: the static channel scale
/// (null without 2-D smoothing) and the clipping ratio (null: 1).
struct LayerKV {
  DenseElementsAttr channelScale;
  FloatAttr clip;
};

struct QuantizeKVPass : public mlir::lq::impl::LQQuantizeKVBase<QuantizeKVPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  ModelShape shape;
  /// Per-layer quantization (2-D scales, clipping), keyed by role.
  std::map<std::string, LayerKV> layerKV;

  FailureOr<LayerKV> quantizationOf(ModuleOp module, Operation *linear, bool keys);
  /// x (any shape whose elements are one or more tokens of [KV, hd]) as
  /// [tokens, KV * hd], quantized and dequantized, in x's shape again.
  Value fakeQuantize(OpBuilder &b, Location loc, Value x, const LayerKV &kv);
  LogicalResult rewriteAttention(linalg::GenericOp g, unsigned operand, const LayerKV &kv);
  LogicalResult rewriteCacheWrite(tensor::InsertSliceOp insert, const LayerKV &kv);
  LogicalResult rewriteUses(Value kv, Operation *linear, const LayerKV &layer);
  /// @decode's cache writes found by rewriteUses, with their layer's
  /// quantization: packCaches turns their caches into packed codes.
  llvm::MapVector<Operation *, LayerKV> cacheWrites;
  LogicalResult packCaches(func::FuncOp fn);
  LogicalResult checkCacheWrite(tensor::InsertSliceOp insert);
  /// [1, KV * hd] of one token written as `row` (any unit-dim shape).
  Value tokenRow(OpBuilder &b, Location loc, Value row);
};

/// A tuned per-layer parameter (`name`, an f32 attribute on any linear of
/// the role) in [lo, hi] (lo excluded when `openLo`), which `interval`
/// writes out; `fallback` when no linear carries it.
static FailureOr<double> layerParameter(ModuleOp module, StringRef role, StringRef name,
                                        double lo, bool openLo, double hi, StringRef interval,
                                        double fallback) {
  std::optional<double> found;
  WalkResult walk = module.walk([&](Operation *op) {
    Attribute attr = op->getAttr(name);
    if (!attr || roleOf(op) != role)
      return WalkResult::advance();
    auto value = llvm::dyn_cast<FloatAttr>(attr);
    double v = value ? value.getValueAsDouble() : 0.0;
    if (!value || !(openLo ? v > lo : v >= lo) || !(v <= hi)) {
      op->emitError() << kPass << ": " << name << " of '" << role << "' must be a float in "
                      << interval << ", got " << attr;
      return WalkResult::interrupt();
    }
    if (!found)
      found = v;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return found.value_or(fallback);
}

FailureOr<LayerKV> QuantizeKVPass::quantizationOf(ModuleOp module, Operation *linear, bool keys) {
  std::string role = roleOf(linear).str();
  auto it = layerKV.find(role);
  if (it != layerKV.end())
    return it->second;
  ::lq::KVQuantParams defaults;
  FailureOr<double> clip =
      layerParameter(module, role, "lq.kv_clip", 0.0, /*openLo=*/true, 1.0, "(0, 1]",
                     defaults.clip);
  FailureOr<double> smoothing =
      layerParameter(module, role, "lq.kv_smooth", 0.0, /*openLo=*/false, 1.0, "[0, 1]",
                     defaults.smooth);
  if (failed(clip) || failed(smoothing))
    return failure();
  LayerKV kv;
  if (*clip != 1.0)
    kv.clip = FloatAttr::get(Float32Type::get(&getContext()), *clip);
  if (smooth) {
    int64_t c = shape.kvHeads * shape.headDim;
    FailureOr<std::vector<float>> absmax =
        findStatistic(module, role, "lq.out_absmax", c, linear, kPass);
    if (failed(absmax))
      return failure();
    std::vector<double> s = ::lq::kvChannelScales(
        std::vector<double>(absmax->begin(), absmax->end()), shape.kvHeads, shape.headDim,
        shape.rope, keys, *smoothing);
    kv.channelScale = f32Attr(&getContext(), {c}, s);
  }
  layerKV[role] = kv;
  return kv;
}

Value QuantizeKVPass::fakeQuantize(OpBuilder &b, Location loc, Value x, const LayerKV &kv) {
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
  if (kv.channelScale)
    channel = arith::ConstantOp::create(b, loc, kv.channelScale);
  IntegerAttr bitsAttr = b.getI64IntegerAttr(bits);
  auto q = KVQuantizeOp::create(b, loc, TypeRange{codesType, perToken, perToken}, rows, channel,
                                bitsAttr, kv.clip);
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
                                               const LayerKV &kv) {
  OpOperand &use = g->getOpOperand(operand);
  auto type = llvm::dyn_cast<RankedTensorType>(use.get().getType());
  if (!type || type.getRank() != 3 || type.getDimSize(1) != shape.kvHeads ||
      type.getDimSize(2) != shape.headDim)
    return g.emitError() << kPass << ": attention reads keys/values of type " << use.get().getType()
                         << ", expected [tokens, " << shape.kvHeads << ", " << shape.headDim << "]";
  OpBuilder b(g);
  Location loc = g.getLoc();
  Value quantized = fakeQuantize(b, loc, use.get(), kv);
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

  // The query's own key/value enters only where s == t, so the contraction
  // stays a plain two-input contraction over the quantized operand (which
  // the CPU lowering vectorizes) and the diagonal is fixed up with O(t)
  // work by a generic without the s loop (s renamed t in every map):
  //  * s in the output (scores): the diagonal entries are recomputed from
  //    the full-precision operand and replace the contraction's;
  //  * s a reduction (values): out[t] += p[t, t] * (v[t] - Q(v)[t]).
  for (Operation &op : g.getRegion().front())
    if (isa<linalg::IndexOp>(op))
      return g.emitError() << kPass << ": unrecognized attention form (indexed body)";
  AffineMap outMap = g.getIndexingMapsArray().back();
  std::optional<unsigned> sOut, tOut;
  for (auto [i, r] : llvm::enumerate(outMap.getResults())) {
    auto d = llvm::dyn_cast<AffineDimExpr>(r);
    if (!d)
      return g.emitError() << kPass
                           << ": unrecognized attention form (output not indexed by loops)";
    if (d.getPosition() == sDim)
      sOut = i;
    if (d.getPosition() == *tDim)
      tOut = i;
  }
  if (!tOut)
    return g.emitError() << kPass
                         << ": unrecognized attention form (no query token in the output)";
  const bool replace = sOut.has_value();
  Type f32 = type.getElementType();
  Value fullValue = use.get();
  use.set(quantized);
  Value main = g.getResult(0);
  b.setInsertionPointAfter(g);

  auto emptyLike = [&](Value like, std::optional<unsigned> drop) -> Value {
    auto likeType = llvm::cast<RankedTensorType>(like.getType());
    SmallVector<OpFoldResult> sizes;
    for (int64_t i = 0; i < likeType.getRank(); ++i)
      if (!drop || i != (int64_t)*drop)
        sizes.push_back(tensor::getMixedSize(b, loc, like, i));
    return tensor::EmptyOp::create(b, loc, sizes, f32);
  };
  auto elementwise = [&](ValueRange ins, Value init,
                         function_ref<Value(OpBuilder &, Location, ValueRange)> body,
                         SmallVector<AffineMap> maps) {
    unsigned rank = llvm::cast<RankedTensorType>(init.getType()).getRank();
    return linalg::GenericOp::create(
        b, loc, init.getType(), ins, init, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(nb, l, body(nb, l, args));
        });
  };

  Value diagonalIn = fullValue;
  if (!replace) {
    AffineMap id = b.getMultiDimIdentityMap(type.getRank());
    diagonalIn = elementwise(
                     {fullValue, quantized}, emptyLike(fullValue, std::nullopt),
                     [](OpBuilder &nb, Location l, ValueRange x) -> Value {
                       return arith::SubFOp::create(nb, l, x[0], x[1]);
                     },
                     {id, id, id})
                     .getResult(0);
  }
  unsigned n = g.getNumLoops();
  SmallVector<AffineExpr> renamed;
  for (unsigned d = 0; d < n; ++d) {
    unsigned to = d == sDim ? *tDim : d;
    renamed.push_back(b.getAffineDimExpr(to < sDim ? to : to - 1));
  }
  auto withoutS = [&](AffineMap m) { return m.replaceDimsAndSymbols(renamed, {}, n - 1, 0); };
  SmallVector<Value> ins(g.getDpsInputs());
  ins[operand] = diagonalIn;
  SmallVector<AffineMap> maps;
  for (unsigned i = 0; i < ins.size(); ++i)
    maps.push_back(withoutS(g.getIndexingMapsArray()[i]));
  Value init = main;
  if (replace) {
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32));
    init = linalg::FillOp::create(b, loc, zero, emptyLike(main, sOut)).getResult(0);
    maps.push_back(withoutS(outMap.dropResult(*sOut)));
  } else {
    maps.push_back(withoutS(outMap));
  }
  SmallVector<utils::IteratorType> iterators = g.getIteratorTypesArray();
  iterators.erase(iterators.begin() + sDim);
  auto diagonal = linalg::GenericOp::create(b, loc, init.getType(), ins, init, maps, iterators);
  IRMapping mapping;
  g.getRegion().cloneInto(&diagonal.getRegion(), mapping);
  Operation *last = diagonal;
  Value result = diagonal.getResult(0);
  if (replace) {
    AffineMap id = b.getMultiDimIdentityMap(outMap.getNumResults());
    auto pick = elementwise(
        {main, result}, emptyLike(main, std::nullopt),
        [&](OpBuilder &nb, Location l, ValueRange x) -> Value {
          Value si = linalg::IndexOp::create(nb, l, *sOut);
          Value ti = linalg::IndexOp::create(nb, l, *tOut);
          Value own = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, si, ti);
          return arith::SelectOp::create(nb, l, own, x[1], x[0]);
        },
        {id, id.dropResult(*sOut), id});
    last = pick;
    result = pick.getResult(0);
  }
  main.replaceUsesWithIf(result, [&](OpOperand &u) {
    Operation *owner = u.getOwner();
    return owner != diagonal && owner != last && !isa<tensor::DimOp>(owner);
  });
  return success();
}

LogicalResult QuantizeKVPass::checkCacheWrite(tensor::InsertSliceOp insert) {
  auto type = llvm::cast<RankedTensorType>(insert.getSource().getType());
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
  return success();
}

Value QuantizeKVPass::tokenRow(OpBuilder &b, Location loc, Value row) {
  auto type = llvm::cast<RankedTensorType>(row.getType());
  int64_t c = shape.kvHeads * shape.headDim;
  // Row-major order is (kv, d) whatever the unit dims.
  SmallVector<ReassociationIndices> all(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    all[0].push_back(d);
  Value flat = tensor::CollapseShapeOp::create(b, loc, row, all);
  return tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get({1, c}, type.getElementType()),
                                       flat, SmallVector<ReassociationIndices>{{0, 1}});
}

/// @decode's cache write: the cache keeps the quantized token; the attention
/// read of this step sees the token itself in full precision.
LogicalResult QuantizeKVPass::rewriteCacheWrite(tensor::InsertSliceOp insert,
                                                const LayerKV &kv) {
  if (failed(checkCacheWrite(insert)))
    return failure();
  Value row = insert.getSource();
  auto type = llvm::cast<RankedTensorType>(row.getType());
  OpBuilder b(insert);
  Location loc = insert.getLoc();
  SmallVector<ReassociationIndices> all(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    all[0].push_back(d);
  Value deq = fakeQuantize(b, loc, tokenRow(b, loc, row), kv);
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

LogicalResult QuantizeKVPass::rewriteUses(Value kv, Operation *linear, const LayerKV &layer) {
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
      if (failed(rewriteUses(user->getResult(0), linear, layer)))
        return failure();
      continue;
    }
    if (auto insert = llvm::dyn_cast<tensor::InsertSliceOp>(user);
        insert && use->get() == insert.getSource()) {
      if (packCache) {
        cacheWrites[insert] = layer;
        continue;
      }
      if (failed(rewriteCacheWrite(insert, layer)))
        return failure();
      continue;
    }
    if (auto g = llvm::dyn_cast<linalg::GenericOp>(user);
        g && g.getNumReductionLoops() > 0 && g.isDpsInput(use)) {
      if (failed(rewriteAttention(g, use->getOperandNumber(), layer)))
        return failure();
      continue;
    }
    return user->emitError() << kPass << ": unrecognized use of the "
                             << (roleOf(linear).ends_with(".k") ? "keys" : "values") << " of '"
                             << roleOf(linear) << "' (expected attention or a cache write)";
  }
  return success();
}

/// The constant value of `ofr`, if it is one.
static std::optional<int64_t> constantOf(OpFoldResult ofr) { return getConstantIntValue(ofr); }

/// @decode's f32 caches [L, KV, C, hd] become what the method stores: per
/// layer and position, one token's codes ([L, C, R] i8, R = KV*hd*bits/8
/// bytes) and its scale and zero ([L, C, 2] f32). Cache writes quantize the
/// token into them; reads (attention windows, transpose destinations)
/// dequantize the positions they cover, and past-only, a window of the layer
/// written at this step sees the token in full precision.
LogicalResult QuantizeKVPass::packCaches(func::FuncOp fn) {
  MLIRContext *ctx = &getContext();
  SmallVector<BlockArgument> caches;
  for (auto &[op, layer] : cacheWrites) {
    if (op->getParentOfType<func::FuncOp>() != fn)
      continue;
    Value v = llvm::cast<tensor::InsertSliceOp>(op).getDest();
    while (auto ins = v.getDefiningOp<tensor::InsertSliceOp>())
      v = ins.getDest();
    auto arg = llvm::dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &fn.getBody().front())
      return op->emitError() << kPass << ": the KV cache written here is not an argument of @"
                             << fn.getName();
    if (!llvm::is_contained(caches, arg))
      caches.push_back(arg);
  }
  if (caches.empty())
    return success();
  llvm::sort(caches, [](BlockArgument a, BlockArgument b) {
    return a.getArgNumber() < b.getArgNumber();
  });
  if (std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(fn, fn->getParentOp());
      uses && !uses.value().empty())
    return fn.emitError() << kPass << ": @" << fn.getName()
                          << " is called in the module, and packing its KV caches changes its "
                             "signature (pack-cache=false keeps f32 caches)";

  auto ret = llvm::cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  int64_t c = shape.kvHeads * shape.headDim, rowBytes = (c * (int64_t)bits + 7) / 8;
  Type f32 = Float32Type::get(ctx), i8 = IntegerType::get(ctx, 8);
  IntegerAttr bitsAttr = IntegerAttr::get(IntegerType::get(ctx, 64), bits);
  DenseMap<Value, std::pair<Value, Value>> returned; // chain value -> (codes, params)
  SmallVector<Operation *> dead;
  llvm::BitVector oldArgs(fn.getNumArguments());

  for (BlockArgument cache : caches) {
    auto type = llvm::cast<RankedTensorType>(cache.getType());
    if (type.getRank() != 4 || !type.hasStaticShape() || type.getDimSize(1) != shape.kvHeads ||
        type.getDimSize(3) != shape.headDim || !type.getElementType().isF32())
      return fn.emitError() << kPass << ": KV cache argument " << cache.getArgNumber() << " of @"
                            << fn.getName() << " has type " << type
                            << ", expected f32 [layers, " << shape.kvHeads << ", context, "
                            << shape.headDim << "]";
    int64_t layers = type.getDimSize(0), context = type.getDimSize(2);
    auto codesType = RankedTensorType::get({layers, context, rowBytes}, i8);
    auto paramsType = RankedTensorType::get({layers, context, 2}, f32);
    unsigned at = fn.getNumArguments();
    if (failed(fn.insertArguments({at, at}, {codesType, paramsType}, {}, {cache.getLoc(), cache.getLoc()})))
      return fn.emitError() << kPass << ": cannot add the packed cache arguments";
    oldArgs.resize(fn.getNumArguments());
    oldArgs.set(cache.getArgNumber());
    Value codes = fn.getArgument(at), params = fn.getArgument(at + 1);

    // The writes, in chain order, each at a static layer and a whole token.
    SmallVector<tensor::InsertSliceOp> writes;
    std::map<int64_t, LayerKV> layerQuantization;
    auto layerOf = [&](Operation *op, ArrayRef<OpFoldResult> offsets,
                       ArrayRef<OpFoldResult> sizes,
                       ArrayRef<OpFoldResult> strides) -> FailureOr<int64_t> {
      std::optional<int64_t> l = constantOf(offsets[0]);
      bool ok = l && *l >= 0 && *l < layers && constantOf(sizes[0]) == 1 &&
                constantOf(offsets[1]) == 0 && constantOf(sizes[1]) == shape.kvHeads &&
                constantOf(offsets[3]) == 0 && constantOf(sizes[3]) == shape.headDim &&
                llvm::all_of(strides, [](OpFoldResult s) { return constantOf(s) == 1; });
      if (!ok)
        return op->emitError() << kPass
                               << ": KV cache access is not [one layer, all KV heads, positions, "
                                  "head_dim] with unit strides";
      return *l;
    };
    for (Value v = cache;;) {
      tensor::InsertSliceOp next;
      for (Operation *user : v.getUsers())
        if (auto ins = llvm::dyn_cast<tensor::InsertSliceOp>(user); ins && ins.getDest() == v) {
          if (next)
            return ins.emitError() << kPass << ": the KV cache is written twice from one value";
          next = ins;
        }
      if (!next)
        break;
      auto it = cacheWrites.find(next);
      if (it == cacheWrites.end())
        return next.emitError() << kPass
                                << ": KV cache write of something other than a layer's keys or values";
      if (failed(checkCacheWrite(next)))
        return failure();
      FailureOr<int64_t> l = layerOf(next, next.getMixedOffsets(), next.getMixedSizes(),
                                     next.getMixedStrides());
      if (failed(l))
        return failure();
      layerQuantization[*l] = it->second;
      writes.push_back(next);
      v = next.getResult();
    }

    auto indexAttr = [&](int64_t i) -> OpFoldResult {
      return IntegerAttr::get(IndexType::get(ctx), i);
    };
    OpFoldResult zero = indexAttr(0), one = indexAttr(1);
    std::map<int64_t, tensor::InsertSliceOp> written;
    Value cur = cache;
    for (size_t i = 0;; ++i) {
      for (Operation *user : llvm::to_vector(cur.getUsers())) {
        if (auto ins = llvm::dyn_cast<tensor::InsertSliceOp>(user); ins && ins.getDest() == cur)
          continue; // the next write, below
        if (llvm::isa<func::ReturnOp>(user)) {
          returned[cur] = {codes, params};
          continue;
        }
        auto read = llvm::dyn_cast<tensor::ExtractSliceOp>(user);
        if (!read)
          return user->emitError() << kPass
                                   << ": unrecognized use of the KV cache (expected slices of it)";
        SmallVector<OpFoldResult> offsets = read.getMixedOffsets(), sizes = read.getMixedSizes();
        FailureOr<int64_t> l = layerOf(read, offsets, sizes, read.getMixedStrides());
        if (failed(l))
          return failure();
        OpBuilder b(read);
        Location loc = read.getLoc();
        // Only a destination of transposes (which never read it): no values.
        if (llvm::all_of(read->getUses(), [](OpOperand &use) {
              auto t = llvm::dyn_cast<linalg::TransposeOp>(use.getOwner());
              return t && t.isDpsInit(&use);
            })) {
          SmallVector<OpFoldResult> dynamicSizes;
          for (OpFoldResult size : read.getMixedSizes())
            if (!constantOf(size))
              dynamicSizes.push_back(size);
          auto type = llvm::cast<RankedTensorType>(read.getType());
          SmallVector<OpFoldResult> resultSizes;
          for (int64_t i = 0, k = 0; i < type.getRank(); ++i)
            resultSizes.push_back(type.isDynamicDim(i) ? dynamicSizes[k++]
                                                       : indexAttr(type.getDimSize(i)));
          read.getResult().replaceAllUsesWith(
              tensor::EmptyOp::create(b, loc, resultSizes, type.getElementType()));
          dead.push_back(read);
          continue;
        }
        OpFoldResult p0 = offsets[2], n = sizes[2];
        int64_t nStatic = constantOf(n).value_or(ShapedType::kDynamic);
        auto window = [&](Value from, Type elem, int64_t width, int64_t first) -> Value {
          return tensor::ExtractSliceOp::create(
              b, loc, RankedTensorType::get({nStatic, width}, elem), from,
              ArrayRef<OpFoldResult>{indexAttr(*l), p0, indexAttr(first)},
              ArrayRef<OpFoldResult>{one, n, indexAttr(width)},
              ArrayRef<OpFoldResult>{one, one, one});
        };
        Value channel;
        if (DenseElementsAttr cs = layerQuantization[*l].channelScale)
          channel = arith::ConstantOp::create(b, loc, cs);
        // One statement each: the IR's order must not follow the compiler's
        // order of evaluating arguments.
        Value codesWindow = window(codes, i8, rowBytes, 0);
        Value scalesWindow = window(params, f32, 1, 0);
        Value zerosWindow = window(params, f32, 1, 1);
        Value deq = KVDequantizeOp::create(b, loc, RankedTensorType::get({nStatic, c}, f32),
                                           codesWindow, scalesWindow, zerosWindow, channel,
                                           bitsAttr);
        // [n, KV * hd] -> [1, n, KV, hd] -> the cache's [1, KV, n, hd].
        OpFoldResult kvSize = indexAttr(shape.kvHeads), hdSize = indexAttr(shape.headDim);
        Value rows = tensor::ExpandShapeOp::create(
            b, loc, RankedTensorType::get({1, nStatic, shape.kvHeads, shape.headDim}, f32), deq,
            SmallVector<ReassociationIndices>{{0, 1}, {2, 3}},
            ArrayRef<OpFoldResult>{one, n, kvSize, hdSize});
        SmallVector<OpFoldResult> cacheSizes = {one, kvSize, n, hdSize};
        Value empty = tensor::EmptyOp::create(b, loc, cacheSizes, f32);
        Value slice =
            linalg::TransposeOp::create(b, loc, rows, empty, ArrayRef<int64_t>{0, 2, 1, 3})
                ->getResult(0);
        auto w = written.find(*l);
        if (pastOnly && w != written.end() && constantOf(p0) == 0) {
          tensor::InsertSliceOp token = w->second;
          SmallVector<OpFoldResult> at = {zero, zero, token.getMixedOffsets()[2], zero};
          slice = tensor::InsertSliceOp::create(b, loc, token.getSource(), slice, at,
                                                token.getMixedSizes(), token.getMixedStrides());
        }
        Value result = tensor::ExtractSliceOp::create(
            b, loc, read.getType(), slice, ArrayRef<OpFoldResult>{zero, zero, zero, zero},
            cacheSizes, ArrayRef<OpFoldResult>{one, one, one, one});
        read.getResult().replaceAllUsesWith(result);
        dead.push_back(read);
      }
      if (i == writes.size())
        break;
      tensor::InsertSliceOp write = writes[i];
      int64_t l = *constantOf(write.getMixedOffsets()[0]);
      OpBuilder b(write);
      Location loc = write.getLoc();
      const LayerKV &kv = layerQuantization[l];
      Value channel;
      if (kv.channelScale)
        channel = arith::ConstantOp::create(b, loc, kv.channelScale);
      auto perToken = RankedTensorType::get({1, 1}, f32);
      auto q = KVQuantizeOp::create(
          b, loc, TypeRange{RankedTensorType::get({1, rowBytes}, i8), perToken, perToken},
          tokenRow(b, loc, write.getSource()), channel, bitsAttr, kv.clip);
      OpFoldResult pos = write.getMixedOffsets()[2];
      auto store = [&](Value what, Value into, int64_t first, int64_t width) -> Value {
        return tensor::InsertSliceOp::create(
            b, loc, what, into, ArrayRef<OpFoldResult>{indexAttr(l), pos, indexAttr(first)},
            ArrayRef<OpFoldResult>{one, one, indexAttr(width)},
            ArrayRef<OpFoldResult>{one, one, one});
      };
      codes = store(q.getCodes(), codes, 0, rowBytes);
      params = store(q.getZeros(), store(q.getScales(), params, 0, 1), 1, 1);
      written[l] = write;
      dead.push_back(write);
      cur = write.getResult();
    }
  }

  SmallVector<Value> results;
  for (Value v : ret.getOperands()) {
    auto it = returned.find(v);
    if (it == returned.end()) {
      results.push_back(v);
      continue;
    }
    results.push_back(it->second.first);
    results.push_back(it->second.second);
  }
  {
    OpBuilder b(ret);
    func::ReturnOp::create(b, ret.getLoc(), results);
  }
  ret.erase();
  // The cache writes erased below leave the map, which the next function's
  // packCaches walks.
  cacheWrites.remove_if([&](const auto &entry) { return llvm::is_contained(dead, entry.first); });
  for (Operation *op : llvm::reverse(dead))
    op->erase();
  if (failed(fn.eraseArguments(oldArgs)))
    return fn.emitError() << kPass << ": cannot drop the f32 cache arguments";
  fn.removeResAttrsAttr();
  fn.setFunctionType(FunctionType::get(ctx, fn.getArgumentTypes(), TypeRange(ValueRange(results))));
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
    FailureOr<LayerKV> quantization = quantizationOf(module, linear, keys);
    if (failed(quantization) || failed(rewriteUses(kv, linear, *quantization)))
      return signalPassFailure();
  }
  for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>()))
    if (failed(packCaches(fn)))
      return signalPassFailure();
}

} // namespace
