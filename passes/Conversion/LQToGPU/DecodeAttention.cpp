//===- DecodeAttention.cpp - lq-gpu-decode-attention ----------------------===//
//
// A decode step's attention (one query position over the cache) as one
// kernel. quant-import emits it as seven linalg ops (scores, causal mask,
// maximum, exp, sum, normalization, weighted sum of the values); through
// parallel loops and block reductions they are six kernel launches a layer,
// and the weighted sum's threads stride over positions, so neighbouring
// threads read values a whole row apart.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>
#include <optional>

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUDECODEATTENTION
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {

using utils::IteratorType;

/// Threads of the kernel's blocks (one block per query head).
constexpr int64_t kThreads = 256;
constexpr int64_t kWarps = kThreads / 32;
/// Positions each warp (scores) or thread (weighted sum) has in flight.
constexpr int64_t kUnroll = 4;
/// Blocks the heads' positions are split over, about one per SM: a block
/// per head alone leaves most SMs idle and each block's reads latency-bound.
constexpr int64_t kTargetBlocks = 128;

/// The decode attention quant-import emits, matched: for query head
/// h = kv * groups + g, out[0, kv, g, :] = softmax(mask(scale * q . K)) V.
struct DecodeAttention {
  /// scores, mask, maximum, exp, sum, normalization, weighted sum.
  SmallVector<linalg::GenericOp, 7> chain;
  Value query;  // [1, kvHeads, groups, headDim]
  Value keys;   // [kvHeads, S, headDim]
  Value values; // [kvHeads, S, headDim]
  Value limit;  // the last position the query sees (index)
  double scale;
  int64_t kvHeads, groups, headDim;
};

bool hasForm(linalg::GenericOp op, int64_t inputs, ArrayRef<IteratorType> iterators,
             ArrayRef<AffineMap> maps) {
  return op.hasPureTensorSemantics() && op.getNumDpsInputs() == inputs &&
         op.getNumDpsInits() == 1 && llvm::equal(op.getIteratorTypesArray(), iterators) &&
         llvm::equal(op.getIndexingMapsArray(), maps);
}

Value yielded(linalg::GenericOp op) { return op.getBody()->getTerminator()->getOperand(0); }

/// The body's ops, the yield included.
size_t bodySize(linalg::GenericOp op) { return op.getBody()->getOperations().size(); }

bool operandsAre(Operation *op, Value a, Value b) {
  return (op->getOperand(0) == a && op->getOperand(1) == b) ||
         (op->getOperand(0) == b && op->getOperand(1) == a);
}

std::optional<double> constantFloat(Value v) {
  FloatAttr attr;
  if (v && matchPattern(v, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

bool isFilledWith(Value init, double value) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && constantFloat(fill.getInputs()[0]) == value;
}

bool definedOutside(Value v, linalg::GenericOp op) {
  return !op->isAncestor(v.getParentRegion()->getParentOp());
}

/// out + in0 * in1: a dot product's step.
bool isMulAdd(linalg::GenericOp op) {
  Block &body = *op.getBody();
  auto add = yielded(op).getDefiningOp<arith::AddFOp>();
  if (bodySize(op) != 3 || !add)
    return false;
  Value out = body.getArgument(2);
  Value product = add.getLhs() == out ? add.getRhs() : add.getRhs() == out ? add.getLhs() : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  return mul && operandsAre(mul, body.getArgument(0), body.getArgument(1));
}

/// out = combine(out, in) with one `OpTy`.
template <typename OpTy> bool isFold(linalg::GenericOp op) {
  Block &body = *op.getBody();
  auto combine = yielded(op).getDefiningOp<OpTy>();
  return bodySize(op) == 2 && combine &&
         operandsAre(combine, body.getArgument(0), body.getArgument(1));
}

/// The generic that reads `v` as its input `input`.
linalg::GenericOp userAt(Value v, unsigned input) {
  for (OpOperand &use : v.getUses())
    if (auto op = dyn_cast<linalg::GenericOp>(use.getOwner()))
      if (use.getOperandNumber() == input && input < op.getNumDpsInputs())
        return op;
  return nullptr;
}

/// The two generic users of `v` in a softmax: the one reading only `v` (a
/// reduction of it) and the one reading `v` and that reduction. Null
/// unless `v` has exactly these two uses.
std::pair<linalg::GenericOp, linalg::GenericOp> reductionAndConsumer(Value v) {
  linalg::GenericOp reduction, consumer;
  for (OpOperand &use : v.getUses())
    if (auto op = dyn_cast<linalg::GenericOp>(use.getOwner()); op && op.getNumDpsInputs() == 2)
      consumer = op;
    else if (op && op.getNumDpsInputs() == 1)
      reduction = op;
  if (!llvm::hasNItems(v.getUses(), 2))
    return {nullptr, nullptr};
  return {reduction, consumer};
}

/// select(s <= limit, in * scale, -inf) over (kv, g, t, s): the causal mask
/// of one query (t = 0). Sets `limit` and `scale`.
bool matchMask(linalg::GenericOp mask, DecodeAttention &a) {
  Block &body = *mask.getBody();
  auto select = yielded(mask).getDefiningOp<arith::SelectOp>();
  if (!select || constantFloat(select.getFalseValue()) != -std::numeric_limits<double>::infinity())
    return false;
  auto mul = select.getTrueValue().getDefiningOp<arith::MulFOp>();
  if (!mul || (mul.getLhs() != body.getArgument(0) && mul.getRhs() != body.getArgument(0)))
    return false;
  std::optional<double> scale =
      constantFloat(mul.getLhs() == body.getArgument(0) ? mul.getRhs() : mul.getLhs());
  auto cmp = select.getCondition().getDefiningOp<arith::CmpIOp>();
  if (!scale || !cmp || cmp.getPredicate() != arith::CmpIPredicate::ule)
    return false;
  auto position = cmp.getLhs().getDefiningOp<linalg::IndexOp>();
  if (!position || position.getDim() != 3)
    return false;
  // The query's position: base + t, with t = 0 (folded to base by
  // canonicalization, or not).
  Value limit = cmp.getRhs();
  int64_t ops = 4; // index 3, cmpi, mulf, select
  if (auto add = limit.getDefiningOp<arith::AddIOp>(); add && !definedOutside(limit, mask)) {
    auto t = add.getRhs().getDefiningOp<linalg::IndexOp>();
    Value base = add.getLhs();
    if (!t) {
      t = add.getLhs().getDefiningOp<linalg::IndexOp>();
      base = add.getRhs();
    }
    if (!t || t.getDim() != 2)
      return false;
    limit = base;
    ops += 2;
  }
  // Nothing else but constants.
  int64_t others = llvm::count_if(body.without_terminator(), [](Operation &op) {
    return !op.hasTrait<OpTrait::ConstantLike>();
  });
  if (!definedOutside(limit, mask) || others != ops)
    return false;
  a.limit = limit;
  a.scale = *scale;
  return true;
}

std::optional<DecodeAttention> matchDecodeAttention(linalg::GenericOp scores) {
  MLIRContext *ctx = scores.getContext();
  auto map = [&](unsigned dims, ArrayRef<unsigned> results) {
    return AffineMap::getMultiDimMapWithTargets(dims, results, ctx);
  };
  const auto P = IteratorType::parallel, R = IteratorType::reduction;
  AffineMap id4 = map(4, {0, 1, 2, 3}), row4 = map(4, {0, 1, 2});
  // Dims (kv, g, t, s, d): scores[kv, g, t, s] = sum_d q[t, kv, g, d] k[kv, s, d].
  if (!hasForm(scores, 2, {P, P, P, P, R},
               {map(5, {2, 0, 1, 4}), map(5, {0, 3, 4}), map(5, {0, 1, 2, 3})}) ||
      !isMulAdd(scores) || !isFilledWith(scores.getDpsInits()[0], 0.0))
    return std::nullopt;
  DecodeAttention a;
  a.query = scores.getDpsInputs()[0];
  a.keys = scores.getDpsInputs()[1];
  auto q = cast<RankedTensorType>(a.query.getType());
  auto k = cast<RankedTensorType>(a.keys.getType());
  if (!q.hasStaticShape() || q.getDimSize(0) != 1 || !q.getElementType().isF32() ||
      !k.getElementType().isF32())
    return std::nullopt;
  a.kvHeads = q.getDimSize(1);
  a.groups = q.getDimSize(2);
  a.headDim = q.getDimSize(3);
  // A warp reads a key or value row, lanes on every 32nd element; one
  // thread per column adds the warps' partial sums.
  if (k.getDimSize(0) != a.kvHeads || k.getDimSize(2) != a.headDim || a.headDim % 32 != 0 ||
      a.headDim > kThreads)
    return std::nullopt;
  a.chain.push_back(scores);

  linalg::GenericOp mask = userAt(scores.getResult(0), 0);
  if (!mask || !scores.getResult(0).hasOneUse() || !hasForm(mask, 1, {P, P, P, P}, {id4, id4}) ||
      !matchMask(mask, a))
    return std::nullopt;
  // The mask's two users: the maximum and exp(x - max).
  auto [maximum, exp] = reductionAndConsumer(mask.getResult(0));
  if (!maximum || !exp || !hasForm(maximum, 1, {P, P, P, R}, {id4, row4}) ||
      !isFold<arith::MaximumFOp>(maximum) ||
      !isFilledWith(maximum.getDpsInits()[0], -std::numeric_limits<double>::infinity()) ||
      !maximum.getResult(0).hasOneUse())
    return std::nullopt;
  if (!hasForm(exp, 2, {P, P, P, P}, {id4, row4, id4}) || bodySize(exp) != 3 ||
      exp.getDpsInputs()[0] != mask.getResult(0) || exp.getDpsInputs()[1] != maximum.getResult(0))
    return std::nullopt;
  {
    Block &body = *exp.getBody();
    auto e = yielded(exp).getDefiningOp<math::ExpOp>();
    auto sub = e ? e.getOperand().getDefiningOp<arith::SubFOp>() : nullptr;
    if (!sub || sub.getLhs() != body.getArgument(0) || sub.getRhs() != body.getArgument(1))
      return std::nullopt;
  }
  // exp's two users: the sum and exp * (1 / sum).
  auto [sum, probs] = reductionAndConsumer(exp.getResult(0));
  if (!sum || !probs || !hasForm(sum, 1, {P, P, P, R}, {id4, row4}) ||
      !isFold<arith::AddFOp>(sum) || !isFilledWith(sum.getDpsInits()[0], 0.0) ||
      !sum.getResult(0).hasOneUse())
    return std::nullopt;
  if (!hasForm(probs, 2, {P, P, P, P}, {id4, row4, id4}) || bodySize(probs) != 3 ||
      probs.getDpsInputs()[0] != exp.getResult(0) || probs.getDpsInputs()[1] != sum.getResult(0) ||
      !probs.getResult(0).hasOneUse())
    return std::nullopt;
  {
    // e * (1 / sum)
    Block &body = *probs.getBody();
    auto mul = yielded(probs).getDefiningOp<arith::MulFOp>();
    Value inverse = !mul                                  ? Value()
                    : mul.getLhs() == body.getArgument(0) ? mul.getRhs()
                    : mul.getRhs() == body.getArgument(0) ? mul.getLhs()
                                                          : Value();
    auto div = inverse ? inverse.getDefiningOp<arith::DivFOp>() : nullptr;
    if (!div || constantFloat(div.getLhs()) != 1.0 || div.getRhs() != body.getArgument(1))
      return std::nullopt;
  }
  // Dims (t, kv, g, d, s): out[t, kv, g, d] = sum_s p[kv, g, t, s] v[kv, s, d].
  linalg::GenericOp out = userAt(probs.getResult(0), 0);
  if (!out ||
      !hasForm(out, 2, {P, P, P, P, R},
               {map(5, {1, 2, 0, 4}), map(5, {1, 4, 3}), map(5, {0, 1, 2, 3})}) ||
      !isMulAdd(out) || !isFilledWith(out.getDpsInits()[0], 0.0))
    return std::nullopt;
  a.values = out.getDpsInputs()[1];
  auto v = cast<RankedTensorType>(a.values.getType());
  if (v.getShape() != k.getShape() || !v.getElementType().isF32())
    return std::nullopt;
  a.chain.append({mask, maximum, exp, sum, probs, out});
  return a;
}

/// The sum over a warp's lanes of each of `values`, in every lane: the
/// shuffles of the values interleave so they are in flight together.
SmallVector<Value> warpSums(OpBuilder &b, Location loc, SmallVector<Value> values) {
  for (int32_t offset = 16; offset > 0; offset /= 2)
    for (Value &v : values)
      v = arith::AddFOp::create(
          b, loc, v,
          gpu::ShuffleOp::create(b, loc, v, offset, 32, gpu::ShuffleMode::XOR).getShuffleResult());
  return values;
}

/// A read-only buffer of tensor `t` with any layout (a window of the cache
/// is strided).
Value bufferOf(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                                       SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic));
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType(), layout), t,
      /*readOnly=*/true);
}

/// Replaces the matched chain by two launches (flash decoding). The first
/// has `splits` blocks of kThreads threads per query head, each over its
/// share of the positions:
///   1. scores: each warp takes kUnroll positions at a time, its lanes every
///      32nd element of the key rows (coalesced), summed by shuffles; lane 0
///      writes the masked, scaled score to the head's scratch row;
///   2. the share's maximum m and 3. exp(score - m) in place and its sum l,
///      with gpu.all_reduce;
///   4. the share's weighted sum of the value rows, each warp on kUnroll
///      positions at a time, its lanes every 32nd column; the warps' partial
///      sums of each column are added through shared memory and written
///      with m and l to the block's partial row.
/// The second has a block per head, a thread per column: with M the largest
/// m, out = sum_i exp(m_i - M) o_i / sum_i exp(m_i - M) l_i.
/// Each value is computed with the same operations as the linalg ops'
/// (exp(score - M) as exp(score - m) exp(m - M)); the order of the sums
/// differs.
void lowerDecodeAttention(DecodeAttention &a) {
  linalg::GenericOp last = a.chain.back();
  OpBuilder b(last);
  Location loc = last.getLoc();
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  int64_t heads = a.kvHeads * a.groups;
  int64_t splits = std::max<int64_t>(1, kTargetBlocks / heads);
  int64_t shares = heads * splits;
  auto cIndex = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
  auto cFloat = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(static_cast<float>(v))).getResult();
  };

  Value query = bufferOf(b, loc, a.query), keys = bufferOf(b, loc, a.keys),
        values = bufferOf(b, loc, a.values);
  Value positions = tensor::DimOp::create(b, loc, a.keys, 1);
  // Scores, then exponentials, one row per head; each share's unnormalized
  // weighted sum, maximum and sum (device memory; the runtime frees it with
  // the step's other buffers).
  Value scratch = memref::AllocOp::create(
      b, loc, MemRefType::get({heads, ShapedType::kDynamic}, f32), ValueRange{positions});
  Value partialSums = memref::AllocOp::create(b, loc, MemRefType::get({shares, a.headDim}, f32));
  Value partialMax = memref::AllocOp::create(b, loc, MemRefType::get({shares}, f32));
  Value partialTotal = memref::AllocOp::create(b, loc, MemRefType::get({shares}, f32));
  auto resultType = cast<RankedTensorType>(last.getResult(0).getType());
  Value result = memref::AllocOp::create(b, loc, MemRefType::get(resultType.getShape(), f32));

  Value one = cIndex(1);
  auto launch = gpu::LaunchOp::create(b, loc, cIndex(shares), one, one, cIndex(kThreads), one, one);
  Value partials = launch.addWorkgroupAttribution(
      MemRefType::get({kWarps * a.headDim}, f32, AffineMap(),
                      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)),
      loc);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value share = launch.getBlockIds().x, tid = launch.getThreadIds().x;
  Value head = arith::DivUIOp::create(b, loc, share, cIndex(splits));
  Value split = arith::RemUIOp::create(b, loc, share, cIndex(splits));
  Value zero = cIndex(0), c32 = cIndex(32);
  Value kv = arith::DivUIOp::create(b, loc, head, cIndex(a.groups));
  Value g = arith::RemUIOp::create(b, loc, head, cIndex(a.groups));
  Value lane = arith::RemUIOp::create(b, loc, tid, c32);
  Value warp = arith::DivUIOp::create(b, loc, tid, c32);
  // The share's positions [begin, end): ceil(positions / splits) each.
  Value chunk = arith::CeilDivUIOp::create(b, loc, positions, cIndex(splits));
  Value begin =
      arith::MinUIOp::create(b, loc, arith::MulIOp::create(b, loc, split, chunk), positions);
  Value end =
      arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, begin, chunk), positions);
  // Reads past the end are clamped to the share's last row (an empty share
  // runs no iteration).
  Value lastPosition = arith::SubIOp::create(b, loc, arith::MaxUIOp::create(b, loc, end, one), one);
  Value negInf = cFloat(-std::numeric_limits<double>::infinity()), fzero = cFloat(0.0);

  // 1. Scores. The lane's query elements stay in registers.
  SmallVector<Value> q;
  for (int64_t j = 0; j < a.headDim / 32; ++j) {
    Value d = arith::AddIOp::create(b, loc, lane, cIndex(32 * j));
    q.push_back(memref::LoadOp::create(b, loc, query, ValueRange{zero, kv, g, d}));
  }
  {
    Value first =
        arith::AddIOp::create(b, loc, begin, arith::MulIOp::create(b, loc, warp, cIndex(kUnroll)));
    auto loop = scf::ForOp::create(b, loc, first, end, cIndex(kWarps * kUnroll));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value s0 = loop.getInductionVar();
    SmallVector<Value> dots, slots;
    for (int64_t u = 0; u < kUnroll; ++u) {
      Value s = arith::AddIOp::create(b, loc, s0, cIndex(u));
      slots.push_back(s);
      Value row = arith::MinUIOp::create(b, loc, s, lastPosition);
      Value dot = fzero;
      for (int64_t j = 0; j < a.headDim / 32; ++j) {
        Value d = arith::AddIOp::create(b, loc, lane, cIndex(32 * j));
        Value key = memref::LoadOp::create(b, loc, keys, ValueRange{kv, row, d});
        dot = arith::AddFOp::create(b, loc, dot, arith::MulFOp::create(b, loc, q[j], key));
      }
      dots.push_back(dot);
    }
    dots = warpSums(b, loc, dots);
    Value isFirstLane = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, zero);
    for (int64_t u = 0; u < kUnroll; ++u) {
      Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, slots[u], end);
      auto store = scf::IfOp::create(b, loc, arith::AndIOp::create(b, loc, isFirstLane, inRange),
                                     /*withElseRegion=*/false);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&store.getThenRegion().front());
      Value visible = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, slots[u], a.limit);
      Value scaled = arith::MulFOp::create(b, loc, dots[u], cFloat(a.scale));
      memref::StoreOp::create(b, loc, arith::SelectOp::create(b, loc, visible, scaled, negInf),
                              scratch, ValueRange{head, slots[u]});
    }
  }
  gpu::BarrierOp::create(b, loc);

  // 2. The share's maximum score and 3. exp(score - max), written back, and
  // its sum. A share that sees no position keeps -inf and adds nothing.
  Value threads = cIndex(kThreads);
  auto rowFold = [&](Value init, function_ref<Value(Value, Value)> body) {
    Value first = arith::AddIOp::create(b, loc, begin, tid);
    auto loop = scf::ForOp::create(b, loc, first, end, threads, ValueRange{init});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(b, loc, body(loop.getInductionVar(), loop.getRegionIterArg(0)));
    return loop.getResult(0);
  };
  auto blockReduce = [&](Value v, gpu::AllReduceOperation kind) {
    return gpu::AllReduceOp::create(b, loc, v, gpu::AllReduceOperationAttr::get(ctx, kind),
                                    b.getUnitAttr())
        .getResult();
  };
  Value maximum =
      blockReduce(rowFold(negInf,
                          [&](Value s, Value acc) {
                            Value x = memref::LoadOp::create(b, loc, scratch, ValueRange{head, s});
                            return arith::MaximumFOp::create(b, loc, acc, x);
                          }),
                  gpu::AllReduceOperation::MAXIMUMF);
  Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, maximum, negInf);
  Value shift = arith::SelectOp::create(b, loc, seen, maximum, fzero);
  Value total = blockReduce(
      rowFold(fzero,
              [&](Value s, Value acc) {
                Value x = memref::LoadOp::create(b, loc, scratch, ValueRange{head, s});
                Value e = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, shift));
                memref::StoreOp::create(b, loc, e, scratch, ValueRange{head, s});
                return arith::AddFOp::create(b, loc, acc, e);
              }),
      gpu::AllReduceOperation::ADD);
  gpu::BarrierOp::create(b, loc);

  // 4. The share's weighted sum of the value rows: warp w takes positions
  // begin + w, begin + w + 8, ..., kUnroll at a time, its lanes every 32nd
  // column.
  int64_t perLane = a.headDim / 32;
  SmallVector<Value> acc(perLane, fzero);
  {
    Value first = arith::AddIOp::create(b, loc, begin, warp);
    auto loop = scf::ForOp::create(b, loc, first, end, cIndex(kWarps * kUnroll), acc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> sums(loop.getRegionIterArgs());
    SmallVector<SmallVector<Value>> terms(perLane);
    for (int64_t u = 0; u < kUnroll; ++u) {
      Value s = arith::AddIOp::create(b, loc, loop.getInductionVar(), cIndex(u * kWarps));
      Value row = arith::MinUIOp::create(b, loc, s, lastPosition);
      Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, s, end);
      Value p = memref::LoadOp::create(b, loc, scratch, ValueRange{head, row});
      for (int64_t j = 0; j < perLane; ++j) {
        Value d = arith::AddIOp::create(b, loc, lane, cIndex(32 * j));
        Value v = memref::LoadOp::create(b, loc, values, ValueRange{kv, row, d});
        terms[j].push_back(
            arith::SelectOp::create(b, loc, inRange, arith::MulFOp::create(b, loc, p, v), fzero));
      }
    }
    for (int64_t j = 0; j < perLane; ++j)
      for (Value term : terms[j])
        sums[j] = arith::AddFOp::create(b, loc, sums[j], term);
    scf::YieldOp::create(b, loc, sums);
    acc.assign(loop.getResults().begin(), loop.getResults().end());
  }
  // The warps' partial sums of each column, added by thread d < headDim
  // into the share's row; thread 0 writes its maximum and sum.
  Value warpBase = arith::MulIOp::create(b, loc, warp, cIndex(a.headDim));
  for (int64_t j = 0; j < perLane; ++j) {
    Value d = arith::AddIOp::create(b, loc, lane, cIndex(32 * j));
    memref::StoreOp::create(b, loc, acc[j], partials,
                            ValueRange{arith::AddIOp::create(b, loc, warpBase, d)});
  }
  gpu::BarrierOp::create(b, loc);
  Value isColumn = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, tid, cIndex(a.headDim));
  auto store = scf::IfOp::create(b, loc, isColumn, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    Value sum = memref::LoadOp::create(b, loc, partials, ValueRange{tid});
    for (int64_t w = 1; w < kWarps; ++w) {
      Value slot = arith::AddIOp::create(b, loc, tid, cIndex(w * a.headDim));
      sum = arith::AddFOp::create(b, loc, sum,
                                  memref::LoadOp::create(b, loc, partials, ValueRange{slot}));
    }
    memref::StoreOp::create(b, loc, sum, partialSums, ValueRange{share, tid});
  }
  auto first =
      scf::IfOp::create(b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, zero),
                        /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&first.getThenRegion().front());
    memref::StoreOp::create(b, loc, maximum, partialMax, ValueRange{share});
    memref::StoreOp::create(b, loc, total, partialTotal, ValueRange{share});
  }
  gpu::TerminatorOp::create(b, loc);

  // The shares combined: a block per head, a thread per column.
  b.setInsertionPointAfter(launch);
  auto combine =
      gpu::LaunchOp::create(b, loc, cIndex(heads), one, one, cIndex(a.headDim), one, one);
  b.setInsertionPointToStart(&combine.getBody().front());
  {
    Value h = combine.getBlockIds().x, d = combine.getThreadIds().x;
    Value base = arith::MulIOp::create(b, loc, h, cIndex(splits));
    SmallVector<Value> rows, maxima;
    Value largest = cFloat(-std::numeric_limits<double>::infinity());
    Value fzero = cFloat(0.0);
    for (int64_t i = 0; i < splits; ++i) {
      rows.push_back(arith::AddIOp::create(b, loc, base, cIndex(i)));
      maxima.push_back(memref::LoadOp::create(b, loc, partialMax, ValueRange{rows.back()}));
      largest = arith::MaximumFOp::create(b, loc, largest, maxima.back());
    }
    Value numerator = fzero, denominator = fzero;
    for (int64_t i = 0; i < splits; ++i) {
      // A share that saw nothing weighs 0 (exp(-inf)).
      Value weight = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, maxima[i], largest));
      Value sum = memref::LoadOp::create(b, loc, partialSums, ValueRange{rows[i], d});
      Value count = memref::LoadOp::create(b, loc, partialTotal, ValueRange{rows[i]});
      numerator =
          arith::AddFOp::create(b, loc, numerator, arith::MulFOp::create(b, loc, weight, sum));
      denominator =
          arith::AddFOp::create(b, loc, denominator, arith::MulFOp::create(b, loc, weight, count));
    }
    Value out = arith::MulFOp::create(b, loc, numerator,
                                      arith::DivFOp::create(b, loc, cFloat(1.0), denominator));
    Value kvHead = arith::DivUIOp::create(b, loc, h, cIndex(a.groups));
    Value group = arith::RemUIOp::create(b, loc, h, cIndex(a.groups));
    memref::StoreOp::create(b, loc, out, result, ValueRange{cIndex(0), kvHead, group, d});
    gpu::TerminatorOp::create(b, loc);
  }

  b.setInsertionPointAfter(combine);
  Value tensor = bufferization::ToTensorOp::create(b, loc, resultType, result, /*restrict=*/true,
                                                   /*writable=*/true);
  last.getResult(0).replaceAllUsesWith(tensor);
  for (linalg::GenericOp op : llvm::reverse(a.chain))
    op.erase();
}

struct LQGPUDecodeAttentionPass
    : public mlir::lq::impl::LQGPUDecodeAttentionBase<LQGPUDecodeAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<DecodeAttention> matched;
    for (func::FuncOp func : mlir::lq::getSelectedFunctions(getOperation(), functions))
      func.walk([&](linalg::GenericOp op) {
        if (std::optional<DecodeAttention> a = matchDecodeAttention(op))
          matched.push_back(std::move(*a));
      });
    for (DecodeAttention &a : matched)
      lowerDecodeAttention(a);
  }
};

} // namespace
