//===- PackedKernel.cpp - lq-cpu-packed-matmul's kernel -------------------===//
//
// The loop nest of vector ops that reads a packed weight and dequantizes it
// inside the dot products (PackedMatmul.cpp's file comment).
//
//===----------------------------------------------------------------------===//

#include "PackedWeight.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::lq;
using namespace mlir::lq::cpu;

namespace {
/// Builds the loop nest of one matmul; all sizes but the row count static.
struct KernelBuilder {
  OpBuilder &b;
  Location loc;
  const PackedWeight &w;
  Value x; // [M, K] f32
  // Per-row data of x computed once before the panels. xSums: x summed over
  // each group, [M, K/group]: f32 for binary codes (groupSums), i32 (the
  // int8 codes' sums) for W4A8 (quantizeRows).
  Value xSums = {};
  Value tables = {};  // binary codes: [M, K/4, 16] f32, x's tables (lutTables)
  Value xBlocks = {}; // tiled path: [M / kTiledRows, K, kTiledRows] f32 (packBlocks)
  Value xShifted = {}; // magicDecode: [M, K] f32, x[m, k] * 2^-(f * width) (shiftFields)
  SmallVector<Value> zBiased; // magicDecode: the current group's (biasedZeros)
  Value xCodes = {};  // W4A8: [M, groups * paddedGroup] i8, x quantized
  Value xScales = {}; // W4A8: [M] f32, x's per-row scales
  Value staticScale = {}; // W4A8 with a static activation scale: f32
  PVQTables pvqTables = {}; // PVQ: the codebook's tables, made once

  VectorType f32Vec() { return VectorType::get({kPanel}, b.getF32Type()); }
  VectorType i32Vec() { return VectorType::get({kPanel}, b.getI32Type()); }
  VectorType bytesVec() { return VectorType::get({4 * kPanel}, b.getI8Type()); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value mul(Value a, Value c) { return arith::MulIOp::create(b, loc, a, c); }
  Value splat(int32_t v) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i32Vec(), v));
  }
  Value zeroF32Vec() {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32Vec(), 0.0f));
  }
  /// The accumulators' zero: f32, or i32 for the integer dot products.
  Value zeroAcc() { return w.int8Act ? splat(0) : zeroF32Vec(); }
  Value f32(float v) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)); }
  Value read(VectorType type, Value tensor, ValueRange indices) {
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
    return vector::TransferReadOp::create(b, loc, type, tensor, indices, pad, ArrayRef<bool>{true});
  }

  /// Bits [from, from + width) of the bytes `v` (as i32), moved to bit `to`.
  Value field(Value v, unsigned from, unsigned width, unsigned to) {
    int32_t mask = ((1 << width) - 1) << to;
    if (from > to)
      v = arith::ShRUIOp::create(b, loc, v, splat(from - to));
    else if (from < to)
      v = arith::ShLIOp::create(b, loc, v, splat(to - from));
    // A field at the top of the byte needs no mask once shifted down.
    if (from + width == 8 && to == 0)
      return v;
    return arith::AndIOp::create(b, loc, v, splat(mask));
  }

  /// One plane's codes (2, 4 or 8 bits) on f32 activations: a field f of a
  /// byte is decoded in place, not shifted down, as the float whose mantissa
  /// holds it: bitcast(0x4B000000 | (byte & mask << f * width)) = 2^23 +
  /// q * 2^(f * width), minus zBiased[f] = 2^23 + z * 2^(f * width), is
  /// exactly (q - z) * 2^(f * width); x of that k comes scaled by 2^-(f *
  /// width) (xShifted), so the products are the exact ones. Per field one
  /// logic op (and + or: vpternlogd) and one subtraction, where the shift,
  /// integer subtraction and conversion take three.
  bool magicDecode() const {
    return !w.int8Act && !w.pvq.dim && !w.signPlanes && w.planes.size() == 1;
  }

  /// magicDecode: 2^23 + z * 2^(f * width) per field f of a byte, as f32.
  SmallVector<Value> biasedZeros(Value z) {
    Value zf = arith::SIToFPOp::create(b, loc, f32Vec(), z);
    SmallVector<Value> out;
    for (int64_t f = 0, width = w.planes[0].width; f < 8 / width; ++f) {
      Value scale = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(f32Vec(), float(1 << (f * width))));
      Value bias = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32Vec(), 8388608.0f));
      out.push_back(vector::FMAOp::create(b, loc, zf, scale, bias));
    }
    return out;
  }

  /// The codes of the panel's 16 rows for the k of decode unit `u`, minus
  /// the zero points `z`, as f32 (magicDecode: zBiased instead of z, and
  /// each k times 2^(f * width)).
  SmallVector<Value> decodeUnit(Value panel, Value u, Value z, ArrayRef<Value> zBiased = {}) {
    if (w.signPlanes)
      return decodeSigns(panel, u);
    int64_t unit = w.unit();
    SmallVector<Value> q(unit);
    if (!zBiased.empty()) {
      const Plane &plane = w.planes[0];
      int64_t perByte = 8 / plane.width, loads = unit / perByte;
      Value magic = splat(0x4B000000);
      for (int64_t l = 0; l < loads; ++l) {
        Value byteIdx = loads == 1 ? u : add(mul(u, idx(loads)), idx(l));
        Value wide = arith::ExtUIOp::create(
            b, loc, i32Vec(),
            read(VectorType::get({kPanel}, b.getI8Type()), plane.codes, {panel, byteIdx, idx(0)}));
        for (int64_t f = 0; f < perByte; ++f) {
          Value bits = wide;
          if (plane.width < 8)
            bits = arith::AndIOp::create(
                b, loc, bits, splat(((1 << plane.width) - 1) << (f * plane.width)));
          Value biased = vector::BitCastOp::create(b, loc, f32Vec(),
                                                   arith::OrIOp::create(b, loc, bits, magic));
          q[l * perByte + f] = arith::SubFOp::create(b, loc, biased, zBiased[f]);
        }
      }
      return q;
    }
    for (const Plane &plane : w.planes) {
      int64_t perByte = 8 / plane.width, loads = unit / perByte;
      for (int64_t l = 0; l < loads; ++l) {
        Value byteIdx = loads == 1 ? u : add(mul(u, idx(loads)), idx(l));
        Value bytes = read(VectorType::get({kPanel}, b.getI8Type()), plane.codes,
                           {panel, byteIdx, idx(0)});
        Value wide = arith::ExtUIOp::create(b, loc, i32Vec(), bytes);
        for (int64_t f = 0; f < perByte; ++f) {
          Value bits = field(wide, f * plane.width, plane.width, plane.shift);
          Value &code = q[l * perByte + f];
          code = code ? (Value)arith::OrIOp::create(b, loc, code, bits) : bits;
        }
      }
    }
    for (Value &code : q)
      code = arith::SIToFPOp::create(b, loc, f32Vec(), arith::SubIOp::create(b, loc, code, z));
    return q;
  }

  /// Binary codes: per plane, the panel's 16 rows' sign bits of the 8 k of
  /// unit `u` as two vectors of table indices (k 0..3, then 4..7), from one
  /// 16-byte load. Below AVX-512 the low one keeps the byte's high bits:
  /// lookupSignSums reads bits 0..3 only.
  SmallVector<Value> decodeSigns(Value panel, Value u) {
    SmallVector<Value> q;
    for (unsigned p = 0; p < w.signPlanes; ++p) {
      Value bytes =
          read(VectorType::get({kPanel}, b.getI8Type()), w.signs, {panel, u, idx(p), idx(0)});
      Value wide = arith::ExtUIOp::create(b, loc, i32Vec(), bytes);
      q.push_back(w.int8Dot == Int8Dot::AVX512VNNI ? field(wide, 0, 4, 0) : wide);
      q.push_back(field(wide, 4, 4, 0));
    }
    return q;
  }

  /// One decoded value `q` of a term and its x into `a`: uniform,
  /// a += x * q with x broadcast; binary, a += x's table of 4 k (the sums
  /// of +-x by the rows' signs) looked up at the rows' sign bits q.
  Value step(Value a, Value xv, Value q) {
    if (!w.signPlanes)
      return vector::FMAOp::create(b, loc, xv, q, a);
    return arith::AddFOp::create(b, loc, a, lookupSignSums(b, loc, w.int8Dot, xv, q));
  }

  /// acc + the int8 dot products of u8 `codes[i]` and s8 `xs[i]` (PackedInt8.cpp).
  Value dotBytes(Value acc, ArrayRef<Value> codes, ArrayRef<Value> xs) {
    return addInt8Dots(b, loc, w.int8Dot, acc, codes, xs);
  }

  /// W4A8: acc[r * chains + c] += the integer dot products of the units
  /// [u0, u0 + units) (codes, not minus the zero point): each unit's low
  /// and high nibbles (4 k each) go to successive chains.
  void accumulateInt(SmallVectorImpl<Value> &acc, int64_t rows, int64_t chains, Value m,
                     Value panel, Value u0, int64_t units) {
    Value nibbles = splat(0x0F0F0F0F);
    auto xType = VectorType::get({kVnniUnit}, b.getI8Type());
    auto xWords = VectorType::get({kVnniUnit / 4}, b.getI32Type());
    for (int64_t i = 0; i < units; ++i) {
      Value u = add(u0, idx(i));
      Value words = vector::BitCastOp::create(
          b, loc, i32Vec(), read(bytesVec(), w.planes[0].codes, {panel, u, idx(0)}));
      Value lo = arith::AndIOp::create(b, loc, words, nibbles);
      Value hi =
          arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, words, splat(4)), nibbles);
      Value halves[2] = {vector::BitCastOp::create(b, loc, bytesVec(), lo),
                         vector::BitCastOp::create(b, loc, bytesVec(), hi)};
      for (int64_t r = 0; r < rows; ++r) {
        // The row's 8 codes of this unit: two i32 of 4 k, one per half.
        Value xs = vector::BitCastOp::create(
            b, loc, xWords, read(xType, xCodes, {add(m, idx(r)), mul(u, idx(kVnniUnit))}));
        Value bcast[2];
        for (int64_t h = 0; h < 2; ++h) {
          Value word = vector::ExtractOp::create(b, loc, xs, ArrayRef<int64_t>{h});
          bcast[h] = vector::BitCastOp::create(b, loc, bytesVec(),
                                               vector::BroadcastOp::create(b, loc, i32Vec(), word));
        }
        // vpdpbusd: each half on its own chain; AVX2 sums both in s16 first.
        if (w.int8Dot == Int8Dot::AVX512VNNI) {
          for (int64_t h = 0; h < 2; ++h) {
            Value &a = acc[r * chains + (2 * i + h) % chains];
            a = dotBytes(a, halves[h], bcast[h]);
          }
        } else {
          Value &a = acc[r * chains + i % chains];
          a = dotBytes(a, halves, bcast);
        }
      }
    }
  }

  /// acc[(r * terms + t) * chains + c] += x[m + r, k] * q_t for the units
  /// [u0, u0 + units): chain c takes slot (k, or 4 k of signs) = c (mod
  /// chains).
  void accumulate(SmallVectorImpl<Value> &acc, int64_t rows, int64_t chains, Value m, Value panel,
                  Value u0, int64_t units, Value z) {
    if (w.int8Act)
      return accumulateInt(acc, rows, chains, m, panel, u0, units);
    if (w.pvq.dim)
      return accumulatePVQUnits(b, loc, w, pvqTables, xShifted ? xShifted : x, acc, rows, chains, m,
                                panel, u0, units);
    int64_t unit = w.unit(), terms = w.terms(), slots = w.slots();
    for (int64_t i = 0; i < units; ++i) {
      Value u = add(u0, idx(i));
      SmallVector<Value> q = decodeUnit(panel, u, z, zBiased);
      Value k = mul(u, idx(unit));
      for (int64_t r = 0; r < rows; ++r) {
        Value row = add(m, idx(r));
        for (int64_t j = 0; j < slots; ++j) {
          Value xv;
          if (w.signPlanes) {
            xv = read(f32Vec(), tables, {row, add(mul(u, idx(slots)), idx(j)), idx(0)});
          } else {
            Value xs = tensor::ExtractOp::create(b, loc, zBiased.empty() ? x : xShifted,
                                                 ValueRange{row, add(k, idx(j))});
            xv = vector::BroadcastOp::create(b, loc, f32Vec(), xs);
          }
          for (int64_t t = 0; t < terms; ++t) {
            Value &a = acc[(r * terms + t) * chains + (slots * i + j) % chains];
            a = step(a, xv, q[t * slots + j]);
          }
        }
      }
    }
  }

  /// y[m .. m + rows, panel's columns] for one row tile, written into `y`.
  Value rowTile(int64_t rows, Value m, Value panel, Value y) {
    // Chains of accumulators per row: enough independent FMAs in flight
    // (8 rows are 8 chains already, and 16 accumulators would spill).
    int64_t chains = rows == 1 ? 4 : rows >= 8 ? 1 : 2;
    // Sign planes are independent chains already: fewer chains (one per
    // half unit at most) keep the accumulators in registers.
    int64_t terms = w.terms();
    // PVQ: a group's dot product is its own chain, and it meets the
    // accumulator once.
    if (w.pvq.dim)
      chains = 1;
    if (w.signPlanes)
      chains = std::clamp<int64_t>(8 / (terms * rows), 1, 2);
    int64_t unit = w.unit();
    int64_t groups = w.groups(), unitsPerGroup = w.unitsPerGroup();
    // Units per loop step: at least one k (W4A8: one vpdpbusd) per chain.
    int64_t step = std::max<int64_t>(1, chains / (w.int8Act ? 2 : unit));
    int64_t mainUnits = unitsPerGroup - unitsPerGroup % step;
    SmallVector<Value> init(rows, zeroF32Vec());
    auto groupLoop = scf::ForOp::create(
        b, loc, idx(0), idx(groups), idx(1), init,
        [&](OpBuilder &, Location, Value g, ValueRange ys) {
          Value z;
          if (w.zeroPoints)
            z = arith::ExtUIOp::create(b, loc, i32Vec(),
                                       read(VectorType::get({kPanel}, b.getI8Type()),
                                            w.zeroPoints, {panel, g, idx(0)}));
          else if (!w.signPlanes && !w.pvq.dim)
            z = splat(1 << (w.bits - 1));
          // The decode's zero points, biased (magicDecode), for the
          // group's units.
          zBiased.clear();
          if (magicDecode())
            zBiased = biasedZeros(z);
          Value u0 = mul(g, idx(unitsPerGroup));
          SmallVector<Value> acc(rows * terms * chains, zeroAcc());
          if (w.pvq.nibbles) {
            accumulatePVQLookingAhead(b, loc, w, pvqTables, xShifted, acc, rows, chains, m, panel,
                                      u0, unitsPerGroup);
          } else if (mainUnits > 0) {
            auto kLoop =
                scf::ForOp::create(b, loc, u0, add(u0, idx(mainUnits)), idx(step), acc,
                                   [&](OpBuilder &, Location, Value u, ValueRange carried) {
                                     SmallVector<Value> a(carried);
                                     accumulate(a, rows, chains, m, panel, u, step, z);
                                     scf::YieldOp::create(b, loc, a);
                                   });
            acc.assign(kLoop.getResults().begin(), kLoop.getResults().end());
          }
          // Units of the group past the last full step (fewer than `step`).
          if (mainUnits < unitsPerGroup && !w.pvq.nibbles)
            accumulate(acc, rows, chains, m, panel, add(u0, idx(mainUnits)),
                       unitsPerGroup - mainUnits, z);
          SmallVector<Value> next(ys);
          for (int64_t t = 0; t < terms; ++t) {
            // PVQ: the decode has scaled each k already.
            Value s = w.pvq.dim      ? Value()
                      : w.signPlanes ? read(f32Vec(), w.scales, {panel, g, idx(t), idx(0)})
                                     : read(f32Vec(), w.scales, {panel, g, idx(0)});
            for (int64_t r = 0; r < rows; ++r) {
              Value *chain = &acc[(r * terms + t) * chains];
              Value sum = chain[0];
              for (int64_t c = 1; c < chains; ++c)
                sum = w.int8Act ? (Value)arith::AddIOp::create(b, loc, sum, chain[c])
                                : (Value)arith::AddFOp::create(b, loc, sum, chain[c]);
              if (w.int8Act) {
                // The zero point, once per group: z * sum_{k in g} x_q[m, k].
                Value xSum =
                    tensor::ExtractOp::create(b, loc, xSums, ValueRange{add(m, idx(r)), g});
                Value offset =
                    mul(z, vector::BroadcastOp::create(b, loc, i32Vec(), xSum).getResult());
                sum = arith::SIToFPOp::create(b, loc, f32Vec(),
                                              arith::SubIOp::create(b, loc, sum, offset));
              }
              next[r] = s ? (Value)vector::FMAOp::create(b, loc, sum, s, next[r])
                          : (Value)arith::AddFOp::create(b, loc, sum, next[r]);
            }
          }
          // Binary codes: the offset term, offset * sum of x over the group.
          if (w.signPlanes) {
            Value s = read(f32Vec(), w.scales, {panel, g, idx(terms), idx(0)});
            for (int64_t r = 0; r < rows; ++r) {
              Value xs = tensor::ExtractOp::create(b, loc, xSums, ValueRange{add(m, idx(r)), g});
              Value xv = vector::BroadcastOp::create(b, loc, f32Vec(), xs);
              next[r] = vector::FMAOp::create(b, loc, xv, s, next[r]);
            }
          }
          scf::YieldOp::create(b, loc, next);
        });
    // `y` is the panel's own [M, 16] slice of the output.
    for (int64_t r = 0; r < rows; ++r) {
      Value row = groupLoop.getResult(r);
      if (w.int8Act) {
        Value sx = tensor::ExtractOp::create(b, loc, xScales, ValueRange{add(m, idx(r))});
        row = arith::MulFOp::create(b, loc, row, vector::BroadcastOp::create(b, loc, f32Vec(), sx));
      }
      y = vector::TransferWriteOp::create(b, loc, row, y, ValueRange{add(m, idx(r)), idx(0)},
                                          ArrayRef<bool>{true})
              .getResult();
    }
    return y;
  }

  /// The sums of x over each group ([M, K/group] f32), computed once for
  /// all panels: binary codes' offset term.
  Value groupSums(Value M) {
    int64_t groups = w.cols / w.group;
    auto type = RankedTensorType::get({ShapedType::kDynamic, groups}, b.getF32Type());
    Value sums = tensor::EmptyOp::create(b, loc, type, ValueRange{M});
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    auto rowLoop = scf::ForOp::create(
        b, loc, idx(0), M, idx(1), ValueRange{sums},
        [&](OpBuilder &, Location, Value m, ValueRange rowIn) {
          auto gLoop = scf::ForOp::create(
              b, loc, idx(0), idx(groups), idx(1), rowIn,
              [&](OpBuilder &, Location, Value g, ValueRange gIn) {
                Value k0 = mul(g, idx(w.group));
                Value total;
                if (w.group % kPanel == 0) {
                  // 16 lanes at a time, then across the lanes.
                  auto vLoop = scf::ForOp::create(
                      b, loc, k0, add(k0, idx(w.group)), idx(kPanel), ValueRange{zeroF32Vec()},
                      [&](OpBuilder &, Location, Value k, ValueRange sum) {
                        scf::YieldOp::create(b, loc,
                                             ValueRange{arith::AddFOp::create(
                                                 b, loc, sum[0], read(f32Vec(), x, {m, k}))});
                      });
                  total = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                                      vLoop.getResult(0));
                } else {
                  auto kLoop = scf::ForOp::create(
                      b, loc, k0, add(k0, idx(w.group)), idx(1), ValueRange{zero},
                      [&](OpBuilder &, Location, Value k, ValueRange sum) {
                        Value xs = tensor::ExtractOp::create(b, loc, x, ValueRange{m, k});
                        scf::YieldOp::create(
                            b, loc, ValueRange{arith::AddFOp::create(b, loc, sum[0], xs)});
                      });
                  total = kLoop.getResult(0);
                }
                scf::YieldOp::create(
                    b, loc, ValueRange{tensor::InsertOp::create(b, loc, total, gIn[0], ValueRange{m, g})});
              });
          scf::YieldOp::create(b, loc, gLoop.getResults());
        });
    return rowLoop.getResult(0);
  }

  /// Binary codes: per row of x and 4 k, the table of the 16 signed sums of
  /// those x ([M, K/4, 16] f32; entry i adds x[k] where bit k of i is set
  /// and subtracts it where not), computed once for all panels: 4 FMAs with
  /// constant +-1 vectors each.
  Value lutTables(Value M) {
    int64_t blocks = w.cols / 4;
    auto type = RankedTensorType::get({ShapedType::kDynamic, blocks, kPanel}, b.getF32Type());
    Value out = tensor::EmptyOp::create(b, loc, type, ValueRange{M});
    SmallVector<Value> bitVecs;
    for (int64_t j = 0; j < 4; ++j) {
      SmallVector<float> bits;
      for (int64_t i = 0; i < kPanel; ++i)
        bits.push_back((i >> j) & 1 ? 1.0f : -1.0f);
      bitVecs.push_back(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(f32Vec(), ArrayRef<float>(bits))));
    }
    auto rowLoop = scf::ForOp::create(
        b, loc, idx(0), M, idx(1), ValueRange{out},
        [&](OpBuilder &, Location, Value m, ValueRange rowIn) {
          auto tLoop = scf::ForOp::create(
              b, loc, idx(0), idx(blocks), idx(1), rowIn,
              [&](OpBuilder &, Location, Value t, ValueRange tIn) {
                Value table = zeroF32Vec();
                for (int64_t j = 0; j < 4; ++j) {
                  Value xs = tensor::ExtractOp::create(b, loc, x,
                                                       ValueRange{m, add(mul(t, idx(4)), idx(j))});
                  Value xv = vector::BroadcastOp::create(b, loc, f32Vec(), xs);
                  table = vector::FMAOp::create(b, loc, xv, bitVecs[j], table);
                }
                scf::YieldOp::create(b, loc,
                                     vector::TransferWriteOp::create(b, loc, table, tIn[0],
                                                                     ValueRange{m, t, idx(0)},
                                                                     ArrayRef<bool>{true})
                                         .getResult());
              });
          scf::YieldOp::create(b, loc, tLoop.getResults());
        });
    return rowLoop.getResult(0);
  }

  /// A float constant of `type` (f32 or a vector of f32).
  Value fconst(Type type, float v) {
    if (auto vec = dyn_cast<VectorType>(type))
      return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec, v));
    return f32(v);
  }

  /// round(v / scale) clamped to [-127, 127], as lq-expand's quantizeScalar
  /// (so the codes are the ones lq-expand's fake quantization multiplies
  /// back), converted to i8; scalars or vectors.
  Value quantize(Value v, Value scale) {
    Type type = v.getType();
    Value q = math::RoundEvenOp::create(b, loc, arith::DivFOp::create(b, loc, v, scale));
    q = arith::MaximumFOp::create(b, loc, q, fconst(type, -kActMax));
    q = arith::MinimumFOp::create(b, loc, q, fconst(type, kActMax));
    Type i8 = b.getI8Type();
    if (auto vec = dyn_cast<VectorType>(type))
      i8 = VectorType::get(vec.getShape(), i8);
    return arith::FPToSIOp::create(b, loc, i8, q);
  }

  /// max |x[m, :]| / 127 (16 lanes, then the tail), 1 for a zero row.
  Value rowScale(Value m, int64_t K) {
    Value amax = f32(0);
    if (int64_t chunks = K / kPanel) {
      auto loop = scf::ForOp::create(
          b, loc, idx(0), idx(chunks), idx(1), ValueRange{zeroF32Vec()},
          [&](OpBuilder &, Location, Value c, ValueRange acc) {
            Value v = read(f32Vec(), x, {m, mul(c, idx(kPanel))});
            scf::YieldOp::create(b, loc,
                                 ValueRange{arith::MaximumFOp::create(
                                     b, loc, acc[0], math::AbsFOp::create(b, loc, v))});
          });
      amax = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                         loop.getResult(0));
    }
    for (int64_t k = K - K % kPanel; k < K; ++k) {
      Value v = tensor::ExtractOp::create(b, loc, x, ValueRange{m, idx(k)});
      amax = arith::MaximumFOp::create(b, loc, amax, math::AbsFOp::create(b, loc, v));
    }
    Value scale = arith::DivFOp::create(b, loc, amax, f32(kActMax));
    Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, amax, f32(0));
    scale = arith::SelectOp::create(b, loc, isZero, f32(1), scale);
    return scale;
  }

  /// W4A8: xCodes, xScales and xSums of all rows of x, before the panels.
  /// Per row: max |x| (16 lanes, then the tail), the scale max / 127 (1 for
  /// a zero row, as lq-expand's tokenScale) or the static scale, then per
  /// group the codes (16 lanes, then the group's tail, then zeros up to
  /// paddedGroup) and their sum.
  void quantizeRows(Value M) {
    int64_t K = w.cols, group = w.group, padded = w.paddedGroup;
    OpFoldResult rows = tensor::getMixedSize(b, loc, x, 0);
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    Value codes0 = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{rows, b.getIndexAttr(w.groups() * padded)}, i8);
    Value scales0 = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{rows}, b.getF32Type());
    Value sums0 = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{rows, b.getIndexAttr(w.groups())}, i32);
    auto rowLoop = scf::ForOp::create(
        b, loc, idx(0), M, idx(1), ValueRange{codes0, scales0, sums0},
        [&](OpBuilder &, Location, Value m, ValueRange t) {
          Value scale = staticScale ? staticScale : rowScale(m, K);
          Value scales = tensor::InsertOp::create(b, loc, scale, t[1], ValueRange{m});
          Value scaleVec = vector::BroadcastOp::create(b, loc, f32Vec(), scale);
          auto groupLoop = scf::ForOp::create(
              b, loc, idx(0), idx(w.groups()), idx(1), ValueRange{t[0], t[2]},
              [&](OpBuilder &, Location, Value g, ValueRange gt) {
                Value in = mul(g, idx(group)), out = mul(g, idx(padded));
                Value codes = gt[0];
                Value sum = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
                if (int64_t chunks = group / kPanel) {
                  auto loop = scf::ForOp::create(
                      b, loc, idx(0), idx(chunks), idx(1), ValueRange{codes, splat(0)},
                      [&](OpBuilder &, Location, Value c, ValueRange ct) {
                        Value k = mul(c, idx(kPanel));
                        Value q = quantize(read(f32Vec(), x, {m, add(in, k)}), scaleVec);
                        Value written = vector::TransferWriteOp::create(b, loc, q, ct[0],
                                                                        ValueRange{m, add(out, k)},
                                                                        ArrayRef<bool>{true})
                                            .getResult();
                        Value wide = arith::ExtSIOp::create(b, loc, i32Vec(), q);
                        scf::YieldOp::create(b, loc, ValueRange{written, add(ct[1], wide)});
                      });
                  codes = loop.getResult(0);
                  sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                                    loop.getResult(1));
                }
                for (int64_t k = group - group % kPanel; k < padded; ++k) {
                  Value q = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
                  if (k < group) {
                    q = quantize(
                        tensor::ExtractOp::create(b, loc, x, ValueRange{m, add(in, idx(k))}),
                        scale);
                    sum = add(sum, arith::ExtSIOp::create(b, loc, i32, q));
                  }
                  codes =
                      tensor::InsertOp::create(b, loc, q, codes, ValueRange{m, add(out, idx(k))});
                }
                Value sums = tensor::InsertOp::create(b, loc, sum, gt[1], ValueRange{m, g});
                scf::YieldOp::create(b, loc, ValueRange{codes, sums});
              });
          scf::YieldOp::create(b, loc,
                               ValueRange{groupLoop.getResult(0), scales, groupLoop.getResult(1)});
        });
    xCodes = rowLoop.getResult(0);
    xScales = rowLoop.getResult(1);
    xSums = rowLoop.getResult(2);
  }

  /// The panel's [M, 16] output `slice`, computed.
  Value panelBody(Value panel, Value slice, int64_t tileRows = kRowTile) {
    Value M = tensor::DimOp::create(b, loc, x, 0);
    Value mainRows =
        arith::SubIOp::create(b, loc, M, arith::RemUIOp::create(b, loc, M, idx(tileRows)));
    auto tiles = scf::ForOp::create(b, loc, idx(0), mainRows, idx(tileRows), ValueRange{slice},
                                    [&](OpBuilder &, Location, Value m, ValueRange y) {
                                      scf::YieldOp::create(b, loc,
                                                           rowTile(tileRows, m, panel, y[0]));
                                    });
    auto rest = scf::ForOp::create(b, loc, mainRows, M, idx(1), tiles.getResults(),
                                   [&](OpBuilder &, Location, Value m, ValueRange y) {
                                     scf::YieldOp::create(b, loc, rowTile(1, m, panel, y[0]));
                                   });
    return rest.getResult(0);
  }

  /// Whether the large-batch path takes this weight: everything but W4A8,
  /// which dots integers.
  bool tileable() const { return !w.int8Act; }

  /// The large-batch path's panel body. Uniform codes: register tiles of
  /// kTiledRows rows, one accumulator each, so every decoded unit feeds
  /// kTiledRows rows (twice the 4-row tiles') and the decode, interleaved
  /// with the FMAs, hides behind them. Measured on 11008x4096 at batch 16
  /// (AMD EPYC Zen 4, 1 thread, loaded machine): 13-17 ms against 17-21 ms
  /// with 4-row tiles and 23 ms with an f32 tile per group (decode and FMAs
  /// then run one after the other); 16-row tiles spill (35 ms). Binary
  /// codes: the f32 tile (tiledPanelBody), whose FMAs cost what the uniform
  /// codes' cost, where the table lookups cost 2-3 ops per plane and 4 k.
  /// PVQ: the f32 tile too, decoded once per panel where the 4-row tiles
  /// decoded every unit again for each 4 rows (measured on 4096x4096 at
  /// batch 16 and 64, this machine: docs/results/cpu.md).
  Value largeBatchBody(Value panel, Value slice) {
    if (w.signPlanes || w.pvq.dim)
      return tiledPanelBody(panel, slice);
    return panelBody(panel, slice, kTiledRows);
  }

  /// Tiled path: the k of one tile. Binary codes: a group. PVQ (whose group
  /// is the whole row): up to 4 decode units, 128 k for D = 8, an 8 KiB
  /// tile.
  int64_t tileUnits() const {
    if (!w.pvq.dim)
      return w.unitsPerGroup();
    int64_t units = w.cols / w.unit(), n = 4;
    while (units % n != 0)
      n /= 2;
    return n;
  }
  int64_t tileK() const { return tileUnits() * w.unit(); }

  /// Tiled path: tile `g` of the panel's 16 rows dequantized into `tile`
  /// ([tileK, 16] f32, row k of the tile the 16 rows' weights at k of the
  /// tile): binary codes with their group's alphas and offset applied, PVQ
  /// codewords times amp / ||y||, so the FMAs that read it need nothing
  /// else.
  Value decodeTile(Value panel, Value g, Value tile) {
    int64_t unit = w.unit(), units = tileUnits();
    Value u0 = mul(g, idx(units));
    SmallVector<Value> coefs; // binary codes: alphas, then the offset
    for (unsigned t = 0; w.signPlanes && t <= w.signPlanes; ++t)
      coefs.push_back(read(f32Vec(), w.scales, {panel, g, idx(t), idx(0)}));
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(units), idx(1), ValueRange{tile},
        [&](OpBuilder &, Location, Value i, ValueRange carried) {
          SmallVector<Value> values =
              w.pvq.dim ? decodePVQWeights(b, loc, w, pvqTables, panel, add(u0, i))
                        : decodeSignValues(b, loc, w, panel, add(u0, i), coefs);
          Value t = carried[0];
          for (auto [j, v] : llvm::enumerate(values))
            t = vector::TransferWriteOp::create(b, loc, v, t,
                                                ValueRange{add(mul(i, idx(unit)), idx(j)), idx(0)},
                                                ArrayRef<bool>{true})
                    .getResult();
          scf::YieldOp::create(b, loc, t);
        });
    return loop.getResult(0);
  }

  /// Tiled path: y[m .. m + rows, panel's columns] += x[m .. m + rows, k of
  /// tile g] * tile: one accumulator per row, each k one tile vector read
  /// and `rows` FMAs with x broadcast.
  Value tiledRows(int64_t rows, Value m, Value g, Value tile, Value y) {
    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r)
      init.push_back(read(f32Vec(), y, {add(m, idx(r)), idx(0)}));
    const int64_t extent = tileK();
    Value k0 = mul(g, idx(extent));
    auto steps = [&](SmallVectorImpl<Value> &acc, Value kk, int64_t count) {
      for (int64_t i = 0; i < count; ++i) {
        Value k = add(kk, idx(i));
        Value wv = read(f32Vec(), tile, {k, idx(0)});
        for (int64_t r = 0; r < rows; ++r) {
          // Blocks read x packed (the rows of one k adjacent); single rows
          // read x itself.
          Value xs = rows == kTiledRows
                         ? tensor::ExtractOp::create(
                               b, loc, xBlocks,
                               ValueRange{arith::DivUIOp::create(b, loc, m, idx(kTiledRows)),
                                          add(k0, k), idx(r)})
                         : tensor::ExtractOp::create(b, loc, x,
                                                     ValueRange{add(m, idx(r)), add(k0, k)});
          acc[r] = vector::FMAOp::create(b, loc, vector::BroadcastOp::create(b, loc, f32Vec(), xs),
                                         wv, acc[r]);
        }
      }
    };
    int64_t main = extent - extent % kTiledUnroll;
    SmallVector<Value> acc(init);
    if (main > 0) {
      auto kLoop = scf::ForOp::create(b, loc, idx(0), idx(main), idx(kTiledUnroll), init,
                                      [&](OpBuilder &, Location, Value kk, ValueRange carried) {
                                        SmallVector<Value> a(carried);
                                        steps(a, kk, kTiledUnroll);
                                        scf::YieldOp::create(b, loc, a);
                                      });
      acc.assign(kLoop.getResults().begin(), kLoop.getResults().end());
    }
    steps(acc, idx(main), extent - main);
    for (int64_t r = 0; r < rows; ++r)
      y = vector::TransferWriteOp::create(b, loc, acc[r], y, ValueRange{add(m, idx(r)), idx(0)},
                                          ArrayRef<bool>{true})
              .getResult();
    return y;
  }

  /// x[m, k] * 2^-e, e the exponent by which k's decoded codes come
  /// scaled (magicDecode: f * width for k's field f in its byte; PVQ:
  /// pvqShift), once for all panels (16 lanes at a time, the tail one by
  /// one); a power of two, so exact.
  Value shiftFields(Value M) {
    int64_t K = w.cols;
    SmallVector<float> pattern;
    for (int64_t i = 0; i < kPanel; ++i) {
      // Both periods (8 / width, D in {4, 8}) divide 16.
      int64_t e = w.pvq.dim ? pvqShift(w.pvq, i % w.pvq.dim)
                            : i % (8 / w.planes[0].width) * w.planes[0].width;
      pattern.push_back(std::ldexp(1.0f, -e));
    }
    Value factors = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(f32Vec(), ArrayRef<float>(pattern)));
    auto type = RankedTensorType::get({ShapedType::kDynamic, K}, b.getF32Type());
    Value out = tensor::EmptyOp::create(b, loc, type, ValueRange{M});
    auto rowLoop = scf::ForOp::create(
        b, loc, idx(0), M, idx(1), ValueRange{out},
        [&](OpBuilder &, Location, Value m, ValueRange rowIn) {
          Value t = rowIn[0];
          if (int64_t chunks = K / kPanel) {
            auto loop = scf::ForOp::create(
                b, loc, idx(0), idx(chunks), idx(1), ValueRange{t},
                [&](OpBuilder &, Location, Value c, ValueRange ct) {
                  Value k = mul(c, idx(kPanel));
                  Value v = arith::MulFOp::create(b, loc, read(f32Vec(), x, {m, k}), factors);
                  scf::YieldOp::create(b, loc,
                                       vector::TransferWriteOp::create(b, loc, v, ct[0],
                                                                       ValueRange{m, k},
                                                                       ArrayRef<bool>{true})
                                           .getResult());
                });
            t = loop.getResult(0);
          }
          for (int64_t k = K - K % kPanel; k < K; ++k) {
            Value v = tensor::ExtractOp::create(b, loc, x, ValueRange{m, idx(k)});
            v = arith::MulFOp::create(b, loc, v, f32(pattern[k % kPanel]));
            t = tensor::InsertOp::create(b, loc, v, t, ValueRange{m, idx(k)});
          }
          scf::YieldOp::create(b, loc, t);
        });
    return rowLoop.getResult(0);
  }

  /// Tiled path: the whole blocks of kTiledRows rows of x packed, once for
  /// all panels, as [M / kTiledRows, K, kTiledRows]: a block's x of one k in
  /// 32 bytes. Read in place, the rows of a block lie K * 4 bytes apart, a
  /// multiple of 4 KiB for the usual K, and all fall into one L1 set.
  Value packBlocks(Value M) {
    int64_t K = w.cols;
    Value blocks = arith::DivUIOp::create(b, loc, M, idx(kTiledRows));
    auto type = RankedTensorType::get({ShapedType::kDynamic, K, kTiledRows}, b.getF32Type());
    Value out = tensor::EmptyOp::create(b, loc, type, ValueRange{blocks});
    auto blockLoop = scf::ForOp::create(
        b, loc, idx(0), blocks, idx(1), ValueRange{out},
        [&](OpBuilder &, Location, Value blk, ValueRange bIn) {
          auto kLoop = scf::ForOp::create(
              b, loc, idx(0), idx(K), idx(1), bIn,
              [&](OpBuilder &, Location, Value k, ValueRange kIn) {
                Value t = kIn[0];
                for (int64_t r = 0; r < kTiledRows; ++r) {
                  Value row = add(mul(blk, idx(kTiledRows)), idx(r));
                  Value v = tensor::ExtractOp::create(b, loc, x, ValueRange{row, k});
                  t = tensor::InsertOp::create(b, loc, v, t, ValueRange{blk, k, idx(r)});
                }
                scf::YieldOp::create(b, loc, t);
              });
          scf::YieldOp::create(b, loc, kLoop.getResults());
        });
    return blockLoop.getResult(0);
  }

  /// Tiled path: the panel's [M, 16] output `slice`, computed. Per tile the
  /// weights are decoded once (a [tileK, 16] f32 buffer of the panel: 8 KiB
  /// at group 128, in L1) and every block of kTiledRows rows of x reads it, so
  /// the decode is paid once per panel and group, not once per 4 rows.
  Value tiledPanelBody(Value panel, Value slice) {
    Value M = tensor::DimOp::create(b, loc, x, 0);
    auto zeroLoop = scf::ForOp::create(
        b, loc, idx(0), M, idx(1), ValueRange{slice},
        [&](OpBuilder &, Location, Value m, ValueRange y) {
          scf::YieldOp::create(b, loc,
                               vector::TransferWriteOp::create(b, loc, zeroF32Vec(), y[0],
                                                               ValueRange{m, idx(0)},
                                                               ArrayRef<bool>{true})
                                   .getResult());
        });
    Value tile0 = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{tileK(), kPanel}, b.getF32Type());
    Value mainRows =
        arith::SubIOp::create(b, loc, M, arith::RemUIOp::create(b, loc, M, idx(kTiledRows)));
    auto groupLoop = scf::ForOp::create(
        b, loc, idx(0), idx(w.cols / tileK()), idx(1), ValueRange{zeroLoop.getResult(0), tile0},
        [&](OpBuilder &, Location, Value g, ValueRange carried) {
          Value tile = decodeTile(panel, g, carried[1]);
          auto blocks = scf::ForOp::create(
              b, loc, idx(0), mainRows, idx(kTiledRows), ValueRange{carried[0]},
              [&](OpBuilder &, Location, Value m, ValueRange y) {
                scf::YieldOp::create(b, loc, tiledRows(kTiledRows, m, g, tile, y[0]));
              });
          auto rest = scf::ForOp::create(b, loc, mainRows, M, idx(1), blocks.getResults(),
                                         [&](OpBuilder &, Location, Value m, ValueRange y) {
                                           scf::YieldOp::create(b, loc,
                                                                tiledRows(1, m, g, tile, y[0]));
                                         });
          scf::YieldOp::create(b, loc, ValueRange{rest.getResult(0), tile});
        });
    return groupLoop.getResult(0);
  }

  /// y = x * decode(W)^T into `init` ([M, N]). Panels are independent: with
  /// `parallel`, an scf.forall, which the pipeline runs on all cores; else a
  /// loop. Each panel writes its own 16 columns, so N is padded to whole
  /// panels and cut back after.
  Value build(Value init, bool parallel, int64_t tiledMinBatch) {
    // Binary codes below AVX-512 look a table up per row, 8 lanes at a
    // time: from 8 rows on, the f32 tile is cheaper (AVX2, b3g128 at batch
    // 8: 3.8 ms against 6.7 ms on 4096x4096, 10.0 against 17.6 ms on
    // 11008x4096; at batch 4 the lookups are 10 % faster: cpu-notes.md).
    if (w.signPlanes && w.int8Dot != Int8Dot::AVX512VNNI && tiledMinBatch > kBinaryTiledMinBatch)
      tiledMinBatch = kBinaryTiledMinBatch;
    if (tiledMinBatch <= 0 || !tileable())
      return buildPanels(init, parallel, /*tiled=*/false);
    int64_t M = cast<RankedTensorType>(x.getType()).getDimSize(0);
    if (!ShapedType::isDynamic(M))
      return buildPanels(init, parallel, /*tiled=*/M >= tiledMinBatch);
    // A dynamic row count (a prefill of any length, or a decode step)
    // chooses at run time.
    Value rows = tensor::DimOp::create(b, loc, x, 0);
    Value many = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rows, idx(tiledMinBatch));
    auto choice = scf::IfOp::create(b, loc, TypeRange{init.getType()}, many, /*withElse=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&choice.getThenRegion().front());
    scf::YieldOp::create(b, loc, buildPanels(init, parallel, /*tiled=*/true));
    b.setInsertionPointToStart(&choice.getElseRegion().front());
    scf::YieldOp::create(b, loc, buildPanels(init, parallel, /*tiled=*/false));
    return choice.getResult(0);
  }

  /// y = x * decode(W)^T into `init`, every panel by `tiled`'s path.
  Value buildPanels(Value init, bool parallel, bool tiled) {
    // Binary codes' per-row sums and tables serve every panel (of the
    // untiled path; the tiled one decodes the weights themselves).
    if (tiled && (w.signPlanes || w.pvq.dim))
      xBlocks = packBlocks(tensor::DimOp::create(b, loc, x, 0));
    if (magicDecode() || (w.pvq.nibbles && !tiled))
      xShifted = shiftFields(tensor::DimOp::create(b, loc, x, 0));
    if (w.signPlanes && !tiled) {
      Value rows = tensor::DimOp::create(b, loc, x, 0);
      xSums = groupSums(rows);
      tables = lutTables(rows);
    }
    if (w.pvq.dim)
      pvqTables = buildPVQTables(b, loc, w.pvq);
    // W4A8: x quantized once for all panels (threads read it, none writes it).
    if (w.int8Act)
      quantizeRows(tensor::DimOp::create(b, loc, x, 0));
    int64_t panels = llvm::divideCeil(w.rows, kPanel);
    auto initType = cast<RankedTensorType>(init.getType());
    bool ragged = w.rows % kPanel != 0;
    OpFoldResult M = tensor::getMixedSize(b, loc, x, 0);
    Value out = init;
    if (ragged) {
      auto paddedType = RankedTensorType::get({initType.getDimSize(0), panels * kPanel},
                                              initType.getElementType());
      SmallVector<Value> dynamic;
      if (paddedType.isDynamicDim(0))
        dynamic.push_back(tensor::DimOp::create(b, loc, x, 0));
      out = tensor::EmptyOp::create(b, loc, paddedType, dynamic);
    }
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    auto sliceOffsets = [&](Value panel) -> SmallVector<OpFoldResult> {
      return {b.getIndexAttr(0), mul(panel, idx(kPanel))};
    };
    SmallVector<OpFoldResult> sizes = {M, b.getIndexAttr(kPanel)};
    Value y;
    if (parallel) {
      auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(panels)},
                                          ValueRange{out}, std::nullopt);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value panel = forall.getInductionVar(0);
      Value shared = forall.getRegionIterArgs()[0];
      SmallVector<OpFoldResult> offsets = sliceOffsets(panel);
      Value slice = tensor::ExtractSliceOp::create(b, loc, shared, offsets, sizes, strides);
      Value result = tiled ? largeBatchBody(panel, slice) : panelBody(panel, slice);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, result, shared, offsets, sizes, strides);
      y = forall.getResult(0);
    } else {
      auto loop = scf::ForOp::create(
          b, loc, idx(0), idx(panels), idx(1), ValueRange{out},
          [&](OpBuilder &, Location, Value panel, ValueRange acc) {
            SmallVector<OpFoldResult> offsets = sliceOffsets(panel);
            Value slice = tensor::ExtractSliceOp::create(b, loc, acc[0], offsets, sizes, strides);
            Value result = tiled ? largeBatchBody(panel, slice) : panelBody(panel, slice);
            scf::YieldOp::create(b, loc,
                                 tensor::InsertSliceOp::create(b, loc, result, acc[0], offsets,
                                                               sizes, strides)
                                     .getResult());
          });
      y = loop.getResult(0);
    }
    if (ragged)
      y = tensor::ExtractSliceOp::create(b, loc, y,
                                         SmallVector<OpFoldResult>(2, b.getIndexAttr(0)),
                                         {M, b.getIndexAttr(w.rows)}, strides);
    return y;
  }
};
} // namespace

Value mlir::lq::cpu::buildPackedKernel(OpBuilder &b, Location loc, const PackedWeight &w, Value x,
                                       Value init, bool parallel, Value staticScale,
                                       int64_t tiledMinBatch) {
  KernelBuilder kernel{b, loc, w, x};
  kernel.staticScale = staticScale;
  return kernel.build(init, parallel, tiledMinBatch);
}
