//===- Expand.cpp - lq-expand: lq ops to linalg/tensor/arith ----------------===//
//
// The reference lowering: every lq op becomes upstream IR computing exactly
// its documented semantics, so quantized modules run through upstream
// lowering and fused kernels have something to be checked against.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include "lq/Dialect/LQ/IR/LQStorage.h"
#include "lq/Numerics/PVQ.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQEXPAND
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

/// Scalar arithmetic inside linalg.generic bodies, kept terse.
struct Scalar {
  OpBuilder &b;
  Location loc;

  Value i64(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 64); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) { return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat((float)v)); }
  Value toI64(Value index) { return arith::IndexCastOp::create(b, loc, b.getI64Type(), index); }
  Value toIndex(Value i) { return arith::IndexCastOp::create(b, loc, b.getIndexType(), i); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value fadd(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value fmul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value fdiv(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value select(Value c, Value x, Value y) { return arith::SelectOp::create(b, loc, c, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) { return arith::CmpIOp::create(b, loc, p, x, y); }
  Value land(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value lor(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value lnot(Value x) {
    return arith::XOrIOp::create(b, loc, x, arith::ConstantIntOp::create(b, loc, 1, 1));
  }
  Value extract(Value tensor, ValueRange indices) {
    return tensor::ExtractOp::create(b, loc, tensor, indices);
  }
  /// An f16/f32 tensor element widened to f32.
  Value extractF32(Value tensor, ValueRange indices) {
    Value v = extract(tensor, indices);
    return v.getType().isF32() ? v : arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  }
  Value unsignedToF32(Value i) { return arith::UIToFPOp::create(b, loc, b.getF32Type(), i); }
  Value signedToF32(Value i) { return arith::SIToFPOp::create(b, loc, b.getF32Type(), i); }

  /// The `width`-bit field (1..64) at bit `bitOffset` (index) of the byte row
  /// `stream[prefix..., :]`, LSB-first, zero-extended to i64.
  Value extractBits(Value stream, ValueRange prefix, Value bitOffset, unsigned width,
                    int64_t rowBytes) {
    Value firstByte = div(bitOffset, idx(8));
    Value shift = toI64(rem(bitOffset, idx(8)));
    Value field = i64(0);
    unsigned numBytes = (width + 7 + 7) / 8;
    for (unsigned t = 0; t < numBytes; ++t) {
      // Bytes past the row only feed bits above `width`, masked off below.
      Value byteIndex =
          arith::MinUIOp::create(b, loc, add(firstByte, idx(t)), idx(rowBytes - 1));
      SmallVector<Value> indices(prefix);
      indices.push_back(byteIndex);
      Value byte = arith::ExtUIOp::create(b, loc, b.getI64Type(), extract(stream, indices));
      Value part;
      if (t == 0) {
        part = arith::ShRUIOp::create(b, loc, byte, shift);
      } else {
        Value amount = sub(i64(8 * t), shift); // in [8t - 7, 8t]
        part = arith::ShLIOp::create(b, loc, byte, amount);
        if (8 * t >= 64) // a shift by >= 64 is poison: those bits are all above the field.
          part = select(cmp(arith::CmpIPredicate::uge, amount, i64(64)), i64(0), part);
      }
      field = arith::OrIOp::create(b, loc, field, part);
    }
    if (width < 64)
      field = land(field, i64((int64_t(1) << width) - 1));
    return field;
  }
};

Value materialize(OpBuilder &b, Location loc, Attribute attr) {
  return arith::ConstantOp::create(b, loc, llvm::cast<TypedAttr>(attr));
}

int64_t rowBytesOf(Attribute attr) {
  auto type = llvm::cast<ShapedType>(llvm::cast<TypedAttr>(attr).getType());
  return type.getDimSize(type.getRank() - 1);
}

/// The decoding body for one weight element (n, k).
Value decodeElement(Scalar &s, ConstantOp c, Value n, Value k, Value codes, Value scales,
                    Value extra0, Value extra1, Value pvqTable) {
  WeightType type = c.getResult().getType();
  ::lq::Encoding enc = type.getEncoding().getNumericEncoding();
  if (auto *u = std::get_if<::lq::UniformEncoding>(&enc)) {
    Value q = s.extractBits(codes, {n}, s.mul(k, s.idx(u->bits)), u->bits,
                            rowBytesOf(c.getCodes()));
    Value g = s.div(k, s.idx(u->group));
    Value zero = u->symmetric
                     ? s.i64(int64_t(1) << (u->bits - 1))
                     : (Value)arith::ExtUIOp::create(s.b, s.loc, s.b.getI64Type(),
                                                     s.extract(extra0, {n, g}));
    return s.fmul(s.signedToF32(s.sub(q, zero)), s.extractF32(scales, {n, g}));
  }
  if (auto *bin = std::get_if<::lq::BinaryEncoding>(&enc)) {
    Value g = s.div(k, s.idx(bin->group));
    Value w = s.extractF32(extra1, {n, g});
    for (unsigned i = 0; i < bin->planes; ++i) {
      Value bit = s.extractBits(codes, {s.idx(i), n}, k, 1, rowBytesOf(c.getCodes()));
      Value sign = s.signedToF32(s.sub(s.mul(bit, s.i64(2)), s.i64(1)));
      w = s.fadd(w, s.fmul(sign, s.extractF32(scales, {n, g, s.idx(i)})));
    }
    return w;
  }
  // PVQ: walk the enumeration (docs/Layout.md) over the whole group, keeping
  // this element's pulse count and the group's squared L2 norm.
  const auto &p = std::get<::lq::PVQEncoding>(enc);
  unsigned indexBits = *::lq::pvqIndexBits(p.dim, p.pulses);
  Value group = s.div(k, s.idx(p.dim));
  Value position = s.toI64(s.rem(k, s.idx(p.dim)));
  Value index = s.extractBits(codes, {n}, s.mul(group, s.idx(indexBits)), indexBits,
                              rowBytesOf(c.getCodes()));
  Value ampCode = s.extractBits(extra0, {n}, s.mul(s.div(k, s.idx(p.ampGroup)), s.idx(p.ampBits)),
                                p.ampBits, rowBytesOf(*c.getAmplitudes()));
  Value amp = s.fmul(s.unsignedToF32(s.add(ampCode, s.i64(1))), s.extractF32(scales, {n, s.idx(0)}));

  OpBuilder &b = s.b;
  Location loc = s.loc;
  using P = arith::CmpIPredicate;
  auto outer = scf::ForOp::create(
      b, loc, s.idx(0), s.idx(p.dim), s.idx(1),
      ValueRange{index, s.i64(p.pulses), s.i64(0), s.i64(0)},
      [&](OpBuilder &ob, Location l, Value i, ValueRange args) {
        Scalar o{ob, l};
        Value r = args[0], left = args[1], yAtPos = args[2], sumSq = args[3];
        Value rest = o.sub(o.idx(p.dim - 1), i); // dimensions after this one
        Value zeroBlock = o.extract(pvqTable, {rest, o.toIndex(left)});
        Value isZero = o.cmp(P::ult, r, zeroBlock);
        auto inner = scf::ForOp::create(
            ob, l, o.i64(1), o.i64(p.pulses + 1), o.i64(1),
            ValueRange{o.sub(r, zeroBlock), isZero, o.i64(0)},
            [&](OpBuilder &ib, Location il, Value m, ValueRange in) {
              Scalar q{ib, il};
              Value rr = in[0], found = in[1], y = in[2];
              Value fits = q.cmp(P::sle, m, left);
              Value rowLeft = arith::MaxSIOp::create(ib, il, q.sub(left, m), q.i64(0));
              Value block = q.select(fits, q.extract(pvqTable, {rest, q.toIndex(rowLeft)}),
                                     q.i64(0));
              Value searching = q.lnot(found);
              Value plus = q.land(searching, q.cmp(P::ult, rr, block));
              Value afterPlus = q.select(q.land(searching, q.lnot(plus)), q.sub(rr, block), rr);
              Value stillSearching = q.land(searching, q.lnot(plus));
              Value minus = q.land(stillSearching, q.cmp(P::ult, afterPlus, block));
              Value afterMinus = q.select(q.land(stillSearching, q.lnot(minus)),
                                          q.sub(afterPlus, block), afterPlus);
              Value newY = q.select(plus, m, q.select(minus, q.sub(q.i64(0), m), y));
              scf::YieldOp::create(ib, il, ValueRange{afterMinus, q.lor(found, q.lor(plus, minus)),
                                                      newY});
            });
        Value yi = o.select(isZero, o.i64(0), inner.getResult(2));
        Value nextR = o.select(isZero, r, inner.getResult(0));
        Value magnitude = arith::MaxSIOp::create(ob, l, yi, o.sub(o.i64(0), yi));
        Value here = o.cmp(P::eq, o.toI64(i), position);
        scf::YieldOp::create(ob, l,
                             ValueRange{nextR, o.sub(left, magnitude), o.select(here, yi, yAtPos),
                                        o.add(sumSq, o.mul(yi, yi))});
      });
  Value y = s.signedToF32(outer.getResult(2));
  Value norm = math::SqrtOp::create(b, loc, s.signedToF32(outer.getResult(3)));
  return s.fmul(amp, s.fdiv(y, norm));
}

/// decode(c) as a linalg.generic over [N, K].
Value buildDecode(OpBuilder &b, Location loc, ConstantOp c) {
  WeightType type = c.getResult().getType();
  RankedTensorType out = type.getDecodedType();
  Value codes = materialize(b, loc, c.getCodes());
  Value scales = materialize(b, loc, c.getScales());
  Value extra0, extra1, table;
  if (c.getZeroPoints())
    extra0 = materialize(b, loc, *c.getZeroPoints());
  if (c.getAmplitudes())
    extra0 = materialize(b, loc, *c.getAmplitudes());
  if (c.getOffsets())
    extra1 = materialize(b, loc, *c.getOffsets());
  ::lq::Encoding enc = type.getEncoding().getNumericEncoding();
  if (auto *p = std::get_if<::lq::PVQEncoding>(&enc)) {
    // N(d, k) for d < D, k <= K, as i64 bit patterns (compared unsigned).
    SmallVector<int64_t> counts;
    for (int64_t d = 0; d <= p->dim; ++d)
      for (int64_t k = 0; k <= p->pulses; ++k)
        counts.push_back((int64_t)*::lq::pvqCodebookSize(d, k));
    auto tableType = RankedTensorType::get({p->dim + 1, p->pulses + 1}, b.getI64Type());
    table = arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(tableType, counts));
  }
  Value init = tensor::EmptyOp::create(b, loc, out.getShape(), out.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{out}, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange) {
        Scalar s{nb, l};
        Value n = linalg::IndexOp::create(nb, l, 0), k = linalg::IndexOp::create(nb, l, 1);
        linalg::YieldOp::create(
            nb, l, decodeElement(s, c, n, k, codes, scales, extra0, extra1, table));
      });
  return generic.getResult(0);
}

/// Per-row max |x| over the last dimension: a tensor of rank r - 1.
Value rowAbsMax(OpBuilder &b, Location loc, Value x) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes.pop_back();
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  init = linalg::FillOp::create(b, loc, Scalar{b, loc}.f32(0.0), init).getResult(0);
  SmallVector<utils::IteratorType> iters(rank - 1, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  AffineMap in = b.getMultiDimIdentityMap(rank);
  AffineMap outMap = in.dropResult(rank - 1);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
             ArrayRef<AffineMap>{in, outMap}, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value a = math::AbsFOp::create(nb, l, args[0]);
               linalg::YieldOp::create(nb, l, Value(arith::MaximumFOp::create(nb, l, a, args[1])));
             })
      .getResult(0);
}

/// The per-token quantization scale: max|x| / (2^(bits-1) - 1), 1 for zero rows.
Value tokenScale(OpBuilder &b, Location loc, Value absMax, int64_t bits) {
  auto type = llvm::cast<RankedTensorType>(absMax.getType());
  int64_t rank = type.getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{absMax}, ValueRange{absMax},
             ArrayRef<AffineMap>{id, id}, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Scalar s{nb, l};
               Value scale = s.fdiv(args[0], s.f32((1 << (bits - 1)) - 1));
               Value isZero = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, args[0],
                                                    s.f32(0.0));
               linalg::YieldOp::create(nb, l, s.select(isZero, s.f32(1.0), scale));
             })
      .getResult(0);
}

/// round(x / scale) clamped to the symmetric signed range of `bits`.
Value quantizeScalar(Scalar &s, Value x, Value scale, int64_t bits) {
  float limit = (1 << (bits - 1)) - 1;
  Value q = math::RoundEvenOp::create(s.b, s.loc, s.fdiv(x, scale));
  q = arith::MaximumFOp::create(s.b, s.loc, q, s.f32(-limit));
  return arith::MinimumFOp::create(s.b, s.loc, q, s.f32(limit));
}

/// Elementwise map of x (rank r) with a per-row value (rank r - 1), or with
/// `constant` where `row` is null (static activation scales: no per-row
/// reduction).
Value mapWithRow(OpBuilder &b, Location loc, Value x, Value row, Type resultElement,
                 function_ref<Value(Scalar &, Value, Value)> body, float constant = 0) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  Value init = tensor::EmptyOp::create(b, loc, sizes, resultElement);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  SmallVector<Value> inputs = {x};
  SmallVector<AffineMap> maps = {id};
  if (row) {
    inputs.push_back(row);
    maps.push_back(id.dropResult(rank - 1));
  }
  maps.push_back(id);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Scalar s{nb, l};
               Value second = row ? args[1] : s.f32(constant);
               linalg::YieldOp::create(nb, l, body(s, args[0], second));
             })
      .getResult(0);
}

Value mapWithConstant(OpBuilder &b, Location loc, Value x, float c, Type resultElement,
                      function_ref<Value(Scalar &, Value, Value)> body) {
  return mapWithRow(b, loc, x, Value(), resultElement, body, c);
}

/// A rank-(r-1) per-row tensor as the [..., 1] tensor of the op's type.
Value expandRow(OpBuilder &b, Location loc, Value row, RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i + 2 < rank; ++i)
    groups.push_back({i});
  if (rank >= 2)
    groups.push_back({rank - 2, rank - 1});
  return tensor::ExpandShapeOp::create(b, loc, resultType, row, groups);
}

/// ... and back.
Value collapseRow(OpBuilder &b, Location loc, Value v) {
  int64_t rank = llvm::cast<RankedTensorType>(v.getType()).getRank();
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i + 2 < rank; ++i)
    groups.push_back({i});
  if (rank >= 2)
    groups.push_back({rank - 2, rank - 1});
  return tensor::CollapseShapeOp::create(b, loc, v, groups);
}

/// x quantized per token to `bits` (or with one static scale) and
/// dequantized again (lq.matmul's act()).
Value fakeQuantizeRows(OpBuilder &b, Location loc, Value x, int64_t bits,
                       std::optional<APFloat> staticScale) {
  auto fake = [&](Scalar &s, Value v, Value sc) {
    return s.fmul(quantizeScalar(s, v, sc, bits), sc);
  };
  if (staticScale)
    return mapWithConstant(b, loc, x, staticScale->convertToFloat(), b.getF32Type(), fake);
  Value scale = tokenScale(b, loc, rowAbsMax(b, loc, x), bits);
  return mapWithRow(b, loc, x, scale, b.getF32Type(), [&](Scalar &s, Value v, Value sc) {
    return s.fmul(quantizeScalar(s, v, sc, bits), sc);
  });
}

struct ExpandMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    WeightType wType = op.getWeight().getType();
    Value w = DecodeOp::create(rewriter, loc, wType.getDecodedType(), op.getWeight());
    Value x = op.getInput();
    if (std::optional<int64_t> bits = op.getActBits())
      x = fakeQuantizeRows(rewriter, loc, x, *bits, op.getActScale());
    auto resultType = op.getResult().getType();
    int64_t rank = resultType.getRank();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);
    sizes.back() = rewriter.getIndexAttr(wType.getRows());
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes, rewriter.getF32Type());
    init = linalg::FillOp::create(rewriter, loc, Scalar{rewriter, loc}.f32(0.0), init)
               .getResult(0);
    Value result;
    if (rank == 2) {
      result = linalg::MatmulTransposeBOp::create(rewriter, loc, TypeRange{init.getType()},
                                                  ValueRange{x, w}, ValueRange{init})
                   .getResult(0);
    } else {
      // Loops (batch..., n, k): x (batch..., k), W (n, k), y (batch..., n).
      MLIRContext *ctx = rewriter.getContext();
      int64_t loops = rank + 1;
      SmallVector<AffineExpr> xs, ws, ys;
      for (int64_t i = 0; i + 1 < rank; ++i) {
        xs.push_back(getAffineDimExpr(i, ctx));
        ys.push_back(getAffineDimExpr(i, ctx));
      }
      AffineExpr n = getAffineDimExpr(rank - 1, ctx), k = getAffineDimExpr(rank, ctx);
      xs.push_back(k);
      ws = {n, k};
      ys.push_back(n);
      SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
      iters.push_back(utils::IteratorType::reduction);
      result = linalg::GenericOp::create(
                   rewriter, loc, TypeRange{init.getType()}, ValueRange{x, w}, ValueRange{init},
                   ArrayRef<AffineMap>{AffineMap::get(loops, 0, xs, ctx),
                                       AffineMap::get(loops, 0, ws, ctx),
                                       AffineMap::get(loops, 0, ys, ctx)},
                   iters,
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     Scalar s{nb, l};
                     linalg::YieldOp::create(nb, l, s.fadd(args[2], s.fmul(args[0], args[1])));
                   })
                   .getResult(0);
    }
    if (result.getType() != resultType)
      result = tensor::CastOp::create(rewriter, loc, resultType, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ExpandDecode : OpRewritePattern<DecodeOp> {
  ExpandDecode(MLIRContext *ctx, bool libraryDecode)
      : OpRewritePattern(ctx), libraryDecode(libraryDecode) {}
  LogicalResult matchAndRewrite(DecodeOp op, PatternRewriter &rewriter) const override {
    auto constant = op.getWeight().getDefiningOp<ConstantOp>();
    if (!constant)
      return rewriter.notifyMatchFailure(op, "weight is not an lq.constant");
    if (!libraryDecode) {
      rewriter.replaceOp(op, buildDecode(rewriter, op.getLoc(), constant));
      return success();
    }
    FailureOr<DenseElementsAttr> decoded = decodeWithLibrary(constant);
    if (failed(decoded))
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, *decoded);
    return success();
  }
  bool libraryDecode;
};

struct ExpandQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t bits = op.getBits();
    auto code = [&](Scalar &s, Value v, Value sc) -> Value {
      return arith::FPToSIOp::create(s.b, s.loc, s.b.getI8Type(), quantizeScalar(s, v, sc, bits));
    };
    Value codes, scales;
    if (std::optional<APFloat> fixed = op.getStaticScale()) {
      float c = fixed->convertToFloat();
      codes = mapWithConstant(rewriter, loc, op.getInput(), c, rewriter.getI8Type(), code);
      // The scales result: the static scale for every row.
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, op.getInput());
      sizes.back() = rewriter.getIndexAttr(1);
      Value init = tensor::EmptyOp::create(rewriter, loc, sizes, rewriter.getF32Type());
      scales = linalg::FillOp::create(rewriter, loc, Scalar{rewriter, loc}.f32(c), init)
                   .getResult(0);
      if (scales.getType() != op.getScales().getType())
        scales = tensor::CastOp::create(rewriter, loc, op.getScales().getType(), scales);
    } else {
      Value scale = tokenScale(rewriter, loc, rowAbsMax(rewriter, loc, op.getInput()), bits);
      codes = mapWithRow(rewriter, loc, op.getInput(), scale, rewriter.getI8Type(), code);
      scales = expandRow(rewriter, loc, scale, op.getScales().getType());
    }
    rewriter.replaceOp(op, {tensor::CastOp::create(rewriter, loc, op.getCodes().getType(), codes)
                                .getResult(),
                            scales});
    return success();
  }
};

struct ExpandDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value scale = collapseRow(rewriter, loc, op.getScales());
    Value x = mapWithRow(rewriter, loc, op.getCodes(), scale, rewriter.getF32Type(),
                         [&](Scalar &s, Value q, Value sc) { return s.fmul(s.signedToF32(q), sc); });
    rewriter.replaceOp(op, tensor::CastOp::create(rewriter, loc, op.getResult().getType(), x));
    return success();
  }
};

/// y = x * M for a mergeable transform, M built at compile time.
struct ExpandTransform : OpInterfaceRewritePattern<FunctionPreservingTransformOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(FunctionPreservingTransformOpInterface op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = llvm::cast<RankedTensorType>(x.getType());
    if (auto residual = llvm::dyn_cast<FPTResidualScaleOp>(op.getOperation())) {
      Value scaler = collapseRow(rewriter, loc, residual.getScaler());
      bool inverse = residual.getInverse();
      rewriter.replaceOp(op, mapWithRow(rewriter, loc, x, scaler, type.getElementType(),
                                        [&](Scalar &s, Value v, Value r) {
                                          return inverse ? s.fmul(v, r) : s.fdiv(v, r);
                                        }));
      return success();
    }
    FailureOr<std::vector<double>> matrix = getTransformMatrix(op);
    if (failed(matrix))
      return rewriter.notifyMatchFailure(op, "transform parameters are not readable");
    int64_t c = type.getDimSize(type.getRank() - 1), rank = type.getRank();
    std::vector<float> values(matrix->begin(), matrix->end());
    Value m = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({c, c}, rewriter.getF32Type()),
                               llvm::ArrayRef(values)));
    // Loops (rows..., j, i): y[rows..., j] += x[rows..., i] * M[i, j].
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> xs, ys;
    for (int64_t d = 0; d + 1 < rank; ++d) {
      xs.push_back(getAffineDimExpr(d, ctx));
      ys.push_back(getAffineDimExpr(d, ctx));
    }
    AffineExpr j = getAffineDimExpr(rank - 1, ctx), i = getAffineDimExpr(rank, ctx);
    xs.push_back(i);
    ys.push_back(j);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    Value init = tensor::EmptyOp::create(rewriter, loc, tensor::getMixedSizes(rewriter, loc, x),
                                         type.getElementType());
    init = linalg::FillOp::create(rewriter, loc, Scalar{rewriter, loc}.f32(0.0), init).getResult(0);
    Value y = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()}, ValueRange{x, m}, ValueRange{init},
                  ArrayRef<AffineMap>{AffineMap::get(rank + 1, 0, xs, ctx),
                                      AffineMap::get(rank + 1, 0, {i, j}, ctx),
                                      AffineMap::get(rank + 1, 0, ys, ctx)},
                  iters,
                  [&](OpBuilder &nb, Location l, ValueRange args) {
                    Scalar s{nb, l};
                    linalg::YieldOp::create(nb, l, s.fadd(args[2], s.fmul(args[0], args[1])));
                  })
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// x / channel_scale per channel (2-D KV quantization's static smoothing).
Value divideChannels(OpBuilder &b, Location loc, Value x, Value channelScale, bool multiply) {
  MLIRContext *ctx = b.getContext();
  AffineMap id = b.getMultiDimIdentityMap(2);
  Value init = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x), b.getF32Type());
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{x, channelScale}, ValueRange{init},
             ArrayRef<AffineMap>{id, AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx), id},
             SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Scalar s{nb, l};
               linalg::YieldOp::create(nb, l, multiply ? s.fmul(args[0], args[1])
                                                       : s.fdiv(args[0], args[1]));
             })
      .getResult(0);
}

/// Per-row reduction of the last dimension with `combine`, starting at `init`.
Value reduceRows(OpBuilder &b, Location loc, Value x, double initValue,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes.pop_back();
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  init = linalg::FillOp::create(b, loc, Scalar{b, loc}.f32(initValue), init).getResult(0);
  SmallVector<utils::IteratorType> iters(rank - 1, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  AffineMap in = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ValueRange{x},
                                   ValueRange{init}, ArrayRef<AffineMap>{in, in.dropResult(rank - 1)},
                                   iters,
                                   [&](OpBuilder &nb, Location l, ValueRange args) {
                                     linalg::YieldOp::create(nb, l,
                                                             combine(nb, l, args[0], args[1]));
                                   })
      .getResult(0);
}

struct ExpandKVQuantize : OpRewritePattern<KVQuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(KVQuantizeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t bits = op.getBits(), perByte = 8 / bits, levels = (int64_t(1) << bits) - 1;
    Value x = op.getInput();
    if (Value cs = op.getChannelScale())
      x = divideChannels(rewriter, loc, x, cs, /*multiply=*/false);
    Value lo = reduceRows(rewriter, loc, x, INFINITY, [](OpBuilder &b, Location l, Value v, Value a) {
      return (Value)arith::MinimumFOp::create(b, l, v, a);
    });
    Value hi = reduceRows(rewriter, loc, x, -INFINITY, [](OpBuilder &b, Location l, Value v, Value a) {
      return (Value)arith::MaximumFOp::create(b, l, v, a);
    });
    // scale = (max - min) / levels (1 for constant rows), zero = round(-min / scale);
    // min and max times `clip` when it is set.
    auto rowType = llvm::cast<RankedTensorType>(lo.getType());
    AffineMap id1 = rewriter.getMultiDimIdentityMap(1);
    auto params = linalg::GenericOp::create(
        rewriter, loc, TypeRange{rowType, rowType}, ValueRange{lo, hi}, ValueRange{lo, hi},
        ArrayRef<AffineMap>{id1, id1, id1, id1},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Scalar s{nb, l};
          Value low = args[0], high = args[1];
          if (std::optional<APFloat> clip = op.getClip()) {
            low = s.fmul(low, s.f32(clip->convertToDouble()));
            high = s.fmul(high, s.f32(clip->convertToDouble()));
          }
          Value range = arith::SubFOp::create(nb, l, high, low);
          Value flat = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLE, range, s.f32(0.0));
          Value scale = s.select(flat, s.f32(1.0), s.fdiv(range, s.f32(levels)));
          Value zero = math::RoundEvenOp::create(
              nb, l, s.fdiv(arith::NegFOp::create(nb, l, low), scale));
          zero = arith::MinimumFOp::create(nb, l, arith::MaximumFOp::create(nb, l, zero, s.f32(0.0)),
                                           s.f32(levels));
          linalg::YieldOp::create(nb, l, ValueRange{scale, zero});
        });
    Value scale = params.getResult(0), zero = params.getResult(1);
    // Packed codes: byte j of token t holds channels j * perByte + e.
    auto codesType = op.getCodes().getType();
    SmallVector<OpFoldResult> codeSizes = {tensor::getMixedSizes(rewriter, loc, x).front(),
                                           rewriter.getIndexAttr(codesType.getDimSize(1))};
    Value codesInit = tensor::EmptyOp::create(rewriter, loc, codeSizes, rewriter.getI8Type());
    AffineMap id2 = rewriter.getMultiDimIdentityMap(2);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, rewriter.getContext())},
                                   rewriter.getContext());
    Value codes =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{codesInit.getType()}, ValueRange{scale, zero},
            ValueRange{codesInit}, ArrayRef<AffineMap>{row, row, id2},
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Scalar s{nb, l};
              Value t = linalg::IndexOp::create(nb, l, 0), j = linalg::IndexOp::create(nb, l, 1);
              Value byte = s.i64(0);
              for (int64_t e = 0; e < perByte; ++e) {
                Value c = s.add(s.mul(j, s.idx(perByte)), s.idx(e));
                Value v = s.extract(x, {t, c});
                Value q = s.fadd(math::RoundEvenOp::create(nb, l, s.fdiv(v, args[0])), args[1]);
                q = arith::MinimumFOp::create(nb, l, arith::MaximumFOp::create(nb, l, q, s.f32(0.0)),
                                              s.f32(levels));
                Value qi = arith::FPToUIOp::create(nb, l, nb.getI64Type(), q);
                byte = arith::OrIOp::create(nb, l, byte,
                                            arith::ShLIOp::create(nb, l, qi, s.i64(e * bits)));
              }
              linalg::YieldOp::create(nb, l,
                                      Value(arith::TruncIOp::create(nb, l, nb.getI8Type(), byte)));
            })
            .getResult(0);
    rewriter.replaceOp(
        op, {tensor::CastOp::create(rewriter, loc, codesType, codes).getResult(),
             expandRow(rewriter, loc, scale, op.getScales().getType()),
             expandRow(rewriter, loc, zero, op.getZeros().getType())});
    return success();
  }
};

struct ExpandKVDequantize : OpRewritePattern<KVDequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(KVDequantizeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t bits = op.getBits();
    auto resultType = op.getResult().getType();
    Value codes = op.getCodes();
    int64_t rowBytes = op.getCodes().getType().getDimSize(1);
    Value scale = collapseRow(rewriter, loc, op.getScales());
    Value zero = collapseRow(rewriter, loc, op.getZeros());
    SmallVector<OpFoldResult> sizes = {tensor::getMixedSizes(rewriter, loc, codes).front(),
                                       rewriter.getIndexAttr(resultType.getDimSize(1))};
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes, rewriter.getF32Type());
    AffineMap id2 = rewriter.getMultiDimIdentityMap(2);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, rewriter.getContext())},
                                   rewriter.getContext());
    Value x = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()}, ValueRange{scale, zero},
                  ValueRange{init}, ArrayRef<AffineMap>{row, row, id2},
                  SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location l, ValueRange args) {
                    Scalar s{nb, l};
                    Value t = linalg::IndexOp::create(nb, l, 0), c = linalg::IndexOp::create(nb, l, 1);
                    Value q = s.extractBits(codes, {t}, s.mul(c, s.idx(bits)), bits, rowBytes);
                    Value v = s.fmul(arith::SubFOp::create(nb, l, s.unsignedToF32(q), args[1]),
                                     args[0]);
                    linalg::YieldOp::create(nb, l, v);
                  })
                  .getResult(0);
    if (Value cs = op.getChannelScale())
      x = divideChannels(rewriter, loc, x, cs, /*multiply=*/true);
    rewriter.replaceOp(op, tensor::CastOp::create(rewriter, loc, resultType, x));
    return success();
  }
};

struct ExpandPass : public mlir::lq::impl::LQExpandBase<ExpandPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandMatmul, ExpandQuantize, ExpandDequantize, ExpandTransform,
                 ExpandKVQuantize, ExpandKVDequantize>(&getContext());
    patterns.add<ExpandDecode>(&getContext(), libraryDecode);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Whatever lq op is left has no expansion: say which, rather than emit
    // a module upstream lowering cannot handle.
    bool leftover = false;
    getOperation().walk([&](Operation *op) {
      if (llvm::isa<LQDialect>(op->getDialect()) && !llvm::isa<ConstantOp>(op)) {
        op->emitError("lq-expand has no expansion for this op");
        leftover = true;
      }
    });
    getOperation().walk([&](ConstantOp op) {
      if (op->use_empty())
        op->erase();
    });
    if (leftover)
      signalPassFailure();
  }
};

} // namespace
