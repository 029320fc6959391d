//===- PackedMatmul.cpp - lq-cpu-packed-matmul ----------------------------===//
//
// `lq.matmul` of a 2-, 3-, 4- or 8-bit uniform or a binary-code
// `lq.constant` becomes a loop nest of vector ops that reads the codes
// where they lie and dequantizes them inside the dot products, so the
// weight stays packed in memory (b/8 bytes per weight instead of four) and
// is never decoded to f32 as a whole.
//
// Layout. Codes are re-packed at compile time into panels of 16 output rows
// (the AVX-512 f32 vector width) and split into bit planes whose fields
// divide a byte: 2 -> {2}, 3 -> {2, 1} (code = lo2 | hi1 << 2), 4 -> {4},
// 8 -> {8}. Byte [b, i, j] of a plane of width w holds its fields of row
// 16*b + j at k = (8/w)*i .. (8/w)*i + 8/w - 1, lowest k in the lowest bits,
// so one 16-byte load yields 8/w consecutive k of 16 rows. A decode unit
// is the k one byte of the narrowest plane covers (1, 2, 4 or 8); a unit
// must not straddle groups (it is decoded against one zero point), so other
// group sizes are left to lq-expand. Scales (widened to f32) and zero
// points are laid out per panel and group, one vector of 16 each. Rows
// past N are zero and never stored.
//
// Kernel. Output columns are vectors of 16 (one panel); each row of x is
// broadcast element by element. Within a group, the integer codes minus the
// zero point (2^(b-1) when symmetric) are converted to f32 and multiplied
// by x into accumulators; the group's scale is applied once, at the end of
// the group, to their sum:
// y[m, n] += s[n, g] * sum_{k in g} x[m, k] * (q[n, k] - z[n, g]).
// Rows of x are taken four at a time, so the decoded codes feed four FMAs
// each; a single row (decode) uses four accumulators over successive k
// instead, to hide the FMA latency.
//
// Binary codes (GPTQT: w = offset + sum_t alpha_t * b_t, b = +-1) differ
// only in the decode step. Their sign bits are re-packed per panel, 8 k and
// plane, a byte per row, so one 16-byte load gives two 4-bit indices of 16
// rows (k 0..3 and 4..7). Before the panels, per row of x, each 4 k's 16
// signed sums (the table) and each group's sum of x are computed once; a
// step looks the rows' indices up in x's table (a variable permute) and adds
// them to the plane's accumulator, and the group applies the alphas and
// offset: y += sum_t alpha_t * acc_t + offset * sum_{k in g} x[k]. Per 4 k
// and plane that is one permute and one add where the direct form (a mask
// of the sign bits selecting acc + x) takes four masked adds and four mask
// loads; the table is the faster at every batch (Passes.td).
//
// W4A8 (`act(8)`, 4-bit codes, `vnni`). x is quantized per token to int8
// once per call, before the panels (as lq-expand: s_x = max|x_row| / 127,
// round half to even), and the dot products run on integers with AVX512-
// VNNI's vpdpbusd (u8 x s8 summed over 4 consecutive k into s32 lanes): the
// unsigned codes are the u8 operand, the int8 activations the s8 one. The
// zero point (8 when symmetric) enters once per group through the row's
// code sum: y[m, n] = s_x[m] * sum_g s[n, g] *
// (sum_{k in g} q[n, k] x_q[m, k] - z[n, g] * sum_{k in g} x_q[m, k]).
// Groups are padded to a multiple of 8 k (zero activations), so any group
// size and K fit. Layout: codes [panels, units, 64] i8, where unit u is 8
// (padded) k and its 64 bytes are 16 i32 lanes (rows), byte t of lane j
// holding q[16b + j, 8u + t] in the low and q[16b + j, 8u + 4 + t] in the
// high nibble; one 64-byte load, a mask and a shift give the two u8
// operands of 4 k each, whose s8 partners are the 4 int8 of x at 8u and
// 8u + 4, broadcast as an i32.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPUPACKEDMATMUL
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

/// Output rows per panel: one f32 vector of AVX-512.
static constexpr int64_t kPanel = 16;
/// Rows of x per register tile in the main row loop.
static constexpr int64_t kRowTile = 4;
/// W4A8: k per vpdpbusd unit (8 nibbles of an i32 lane) and the largest
/// activation code (int8, symmetric).
static constexpr int64_t kVnniUnit = 8;
static constexpr int64_t kActMax = 127;
/// u8 x s8 dot products of 4 bytes into s32 lanes, accumulating (AVX512-VNNI).
static constexpr llvm::StringLiteral kVpdpbusd = "llvm.x86.avx512.vpdpbusd.512";

/// Widths of the bit planes of b-bit codes, low bits first (file comment);
/// empty for the widths the kernel does not take.
static SmallVector<unsigned, 2> planeWidths(unsigned bits) {
  switch (bits) {
  case 2:
    return {2};
  case 3:
    return {2, 1};
  case 4:
    return {4};
  case 8:
    return {8};
  default:
    return {};
  }
}

/// k per decode unit: one byte of the narrowest plane.
static int64_t unitK(unsigned bits) {
  unsigned narrowest = 8;
  for (unsigned width : planeWidths(bits))
    narrowest = std::min(narrowest, width);
  return 8 / narrowest;
}

namespace {
/// One bit plane: `width`-bit fields holding bits [shift, shift + width) of
/// the codes, 8 / width consecutive k per byte.
struct Plane {
  unsigned width, shift;
  Value codes; // [panels, cols * width / 8, 16] i8
};

/// The re-packed weight, as constants (tensors) in the IR.
struct PackedWeight {
  Value source; // the lq.constant's weight
  int64_t rows = 0, cols = 0, group = 0;
  unsigned bits = 0;
  SmallVector<Plane, 2> planes;
  Value scales;     // [panels, cols/group, 16] f32
  Value zeroPoints; // [panels, cols/group, 16] i8, or null when symmetric
  /// Binary codes (signPlanes > 0) instead of `planes`: `signs` is
  /// [panels, cols/8, signPlanes, 16] i8 (byte [b, i, p, j]: the sign bits
  /// of row 16b + j at k = 8i .. 8i + 7 in plane p, bit 1 = +1) and
  /// `scales` [panels, cols/group, signPlanes + 1, 16] f32: alpha per
  /// plane, then the offset.
  unsigned signPlanes = 0;
  Value signs;
  /// W4A8 on vpdpbusd (file comment): one plane [panels, units, 64] i8,
  /// each group padded to `paddedGroup` (a multiple of 8) k.
  bool int8Act = false;
  int64_t paddedGroup = 0;

  int64_t groups() const { return cols / group; }
  /// k per decode unit: one byte of the narrowest plane (8 k of signs; W4A8:
  /// the 8 k of one vpdpbusd unit).
  int64_t unit() const { return signPlanes ? 8 : int8Act ? kVnniUnit : unitK(bits); }
  /// Units per group (W4A8: of the padded group).
  int64_t unitsPerGroup() const { return (int8Act ? paddedGroup : group) / unit(); }
  /// Decoded values per unit and term: one per k, or one table index per
  /// 4 k of signs.
  int64_t slots() const { return signPlanes ? 2 : unit(); }
  /// Partial sums per row and group, each scaled once: one per sign plane.
  int64_t terms() const { return signPlanes ? signPlanes : 1; }

  /// The tensors in kernel-argument order: planes (or signs), scales, zero
  /// points.
  SmallVector<Value *> parts() {
    SmallVector<Value *> out;
    if (signs)
      out.push_back(&signs);
    for (Plane &plane : planes)
      out.push_back(&plane.codes);
    out.push_back(&scales);
    if (zeroPoints)
      out.push_back(&zeroPoints);
    return out;
  }
};

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
  Value xCodes = {};  // W4A8: [M, groups * paddedGroup] i8, x quantized
  Value xScales = {}; // W4A8: [M] f32, x's per-row scales

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

  /// The codes of the panel's 16 rows for the k of decode unit `u`, minus
  /// the zero points `z`, as f32.
  SmallVector<Value> decodeUnit(Value panel, Value u, Value z) {
    if (w.signPlanes)
      return decodeSigns(panel, u);
    int64_t unit = w.unit();
    SmallVector<Value> q(unit);
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
  /// 16-byte load.
  SmallVector<Value> decodeSigns(Value panel, Value u) {
    SmallVector<Value> q;
    for (unsigned p = 0; p < w.signPlanes; ++p) {
      Value bytes =
          read(VectorType::get({kPanel}, b.getI8Type()), w.signs, {panel, u, idx(p), idx(0)});
      Value wide = arith::ExtUIOp::create(b, loc, i32Vec(), bytes);
      q.push_back(field(wide, 0, 4, 0));
      q.push_back(field(wide, 4, 4, 0));
    }
    return q;
  }

  /// lanes[i] = table[index[i]]: a variable permute, which LLVM's X86
  /// backend turns into one vpermps (AVX-512) and other targets into
  /// extracts.
  Value lookup(Value table, Value index) {
    SmallVector<Value> lanes;
    for (int64_t i = 0; i < kPanel; ++i) {
      Value lane = vector::ExtractOp::create(b, loc, index, i);
      Value pos = arith::IndexCastOp::create(b, loc, b.getIndexType(), lane);
      lanes.push_back(vector::ExtractOp::create(b, loc, table, OpFoldResult(pos)));
    }
    return vector::FromElementsOp::create(b, loc, f32Vec(), lanes);
  }

  /// One decoded value `q` of a term and its x into `a`: uniform,
  /// a += x * q with x broadcast; binary, a += x's table of 4 k (the sums
  /// of +-x by the rows' signs) looked up at the rows' sign bits q.
  Value step(Value a, Value xv, Value q) {
    if (!w.signPlanes)
      return vector::FMAOp::create(b, loc, xv, q, a);
    return arith::AddFOp::create(b, loc, a, lookup(xv, q));
  }

  /// vpdpbusd: acc + sum over each 4 bytes of u8 `codes` times s8 `xs`.
  Value dotBytes(Value acc, Value codes, Value xs) {
    return LLVM::CallIntrinsicOp::create(b, loc, i32Vec(), b.getStringAttr(kVpdpbusd),
                                         ValueRange{acc, codes, xs})
        .getResult(0);
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
        for (int64_t h = 0; h < 2; ++h) {
          Value word = vector::ExtractOp::create(b, loc, xs, ArrayRef<int64_t>{h});
          Value bcast = vector::BitCastOp::create(
              b, loc, bytesVec(), vector::BroadcastOp::create(b, loc, i32Vec(), word));
          Value &a = acc[r * chains + (2 * i + h) % chains];
          a = dotBytes(a, halves[h], bcast);
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
    int64_t unit = w.unit(), terms = w.terms(), slots = w.slots();
    for (int64_t i = 0; i < units; ++i) {
      Value u = add(u0, idx(i));
      SmallVector<Value> q = decodeUnit(panel, u, z);
      Value k = mul(u, idx(unit));
      for (int64_t r = 0; r < rows; ++r) {
        Value row = add(m, idx(r));
        for (int64_t j = 0; j < slots; ++j) {
          Value xv;
          if (w.signPlanes) {
            xv = read(f32Vec(), tables, {row, add(mul(u, idx(slots)), idx(j)), idx(0)});
          } else {
            Value xs = tensor::ExtractOp::create(b, loc, x, ValueRange{row, add(k, idx(j))});
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
    // Chains of accumulators per row: enough independent FMAs in flight.
    int64_t chains = rows == 1 ? 4 : 2;
    // Sign planes are independent chains already: fewer chains (one per
    // half unit at most) keep the accumulators in registers.
    int64_t terms = w.terms();
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
          else if (!w.signPlanes)
            z = splat(1 << (w.bits - 1));
          Value u0 = mul(g, idx(unitsPerGroup));
          SmallVector<Value> acc(rows * terms * chains, zeroAcc());
          if (mainUnits > 0) {
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
          if (mainUnits < unitsPerGroup)
            accumulate(acc, rows, chains, m, panel, add(u0, idx(mainUnits)),
                       unitsPerGroup - mainUnits, z);
          SmallVector<Value> next(ys);
          for (int64_t t = 0; t < terms; ++t) {
            Value s = w.signPlanes ? read(f32Vec(), w.scales, {panel, g, idx(t), idx(0)})
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
              next[r] = vector::FMAOp::create(b, loc, sum, s, next[r]);
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
                auto kLoop = scf::ForOp::create(
                    b, loc, k0, add(k0, idx(w.group)), idx(1), ValueRange{zero},
                    [&](OpBuilder &, Location, Value k, ValueRange sum) {
                      Value xs = tensor::ExtractOp::create(b, loc, x, ValueRange{m, k});
                      scf::YieldOp::create(b, loc,
                                           ValueRange{arith::AddFOp::create(b, loc, sum[0], xs)});
                    });
                scf::YieldOp::create(b, loc,
                                     ValueRange{tensor::InsertOp::create(b, loc, kLoop.getResult(0),
                                                                         gIn[0], ValueRange{m, g})});
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

  /// W4A8: xCodes, xScales and xSums of all rows of x, before the panels.
  /// Per row: max |x| (16 lanes, then the tail), the scale max / 127 (1 for
  /// a zero row, as lq-expand's tokenScale), then per group the codes (16
  /// lanes, then the group's tail, then zeros up to paddedGroup) and their
  /// sum.
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
  Value panelBody(Value panel, Value slice) {
    Value M = tensor::DimOp::create(b, loc, x, 0);
    Value mainRows =
        arith::SubIOp::create(b, loc, M, arith::RemUIOp::create(b, loc, M, idx(kRowTile)));
    auto tiles = scf::ForOp::create(b, loc, idx(0), mainRows, idx(kRowTile), ValueRange{slice},
                                    [&](OpBuilder &, Location, Value m, ValueRange y) {
                                      scf::YieldOp::create(b, loc,
                                                           rowTile(kRowTile, m, panel, y[0]));
                                    });
    auto rest = scf::ForOp::create(b, loc, mainRows, M, idx(1), tiles.getResults(),
                                   [&](OpBuilder &, Location, Value m, ValueRange y) {
                                     scf::YieldOp::create(b, loc, rowTile(1, m, panel, y[0]));
                                   });
    return rest.getResult(0);
  }

  /// y = x * decode(W)^T into `init` ([M, N]). Panels are independent: with
  /// `parallel`, an scf.forall, which the pipeline runs on all cores; else a
  /// loop. Each panel writes its own 16 columns, so N is padded to whole
  /// panels and cut back after.
  Value build(Value init, bool parallel) {
    // Binary codes' per-row sums and tables serve every panel.
    if (w.signPlanes) {
      Value rows = tensor::DimOp::create(b, loc, x, 0);
      xSums = groupSums(rows);
      tables = lutTables(rows);
    }
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
      Value result = panelBody(panel, slice);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, result, shared, offsets, sizes, strides);
      y = forall.getResult(0);
    } else {
      auto loop = scf::ForOp::create(
          b, loc, idx(0), idx(panels), idx(1), ValueRange{out},
          [&](OpBuilder &, Location, Value panel, ValueRange acc) {
            SmallVector<OpFoldResult> offsets = sliceOffsets(panel);
            Value slice = tensor::ExtractSliceOp::create(b, loc, acc[0], offsets, sizes, strides);
            Value result = panelBody(panel, slice);
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

/// Why `op` is left for lq-expand, or nullopt when the kernel handles it.
/// `vnni`: the host has AVX512-VNNI (W4A8 may use vpdpbusd).
static std::optional<std::string> unsupported(MatmulOp op, bool vnni) {
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  if (!constant)
    return "the weight is not an lq.constant";
  WeightType type = op.getWeight().getType();
  ::lq::Encoding enc = type.getEncoding().getNumericEncoding();
  auto *u = std::get_if<::lq::UniformEncoding>(&enc);
  auto *bin = std::get_if<::lq::BinaryEncoding>(&enc);
  if (!u && !bin)
    return "the encoding is neither binary nor uniform";
  // Sign bits are decoded a byte (8 k) at a time, against one group's alphas.
  if (bin && bin->group % 8 != 0)
    return llvm::formatv("the binary group size {0} is no multiple of 8", bin->group).str();
  if (u && planeWidths(u->bits).empty())
    return "the encoding is not 2-, 3-, 4- or 8-bit uniform";
  if (std::optional<int64_t> act = op.getActBits()) {
    if (*act != 8 || !u || u->bits != 4)
      return "activations are quantized, and not W4A8";
    if (!vnni)
      return "W4A8 needs AVX512-VNNI (vnni=false)";
  }
  // A decode unit must not straddle groups (one scale and zero point each);
  // W4A8 pads groups instead.
  if (u && !op.getActBits() && u->group % unitK(u->bits) != 0)
    return llvm::formatv("the group size {0} is no multiple of {1} (the k of one {2}-bit byte)",
                         u->group, unitK(u->bits), u->bits)
        .str();
  auto in = cast<RankedTensorType>(op.getInput().getType());
  if (!in.getElementType().isF32() || in.getRank() < 2 ||
      !cast<RankedTensorType>(op.getResult().getType()).getElementType().isF32())
    return "x or y is not an f32 tensor of rank >= 2";
  return std::nullopt;
}

/// Binary codes re-packed into 16-row panels: per panel, 8 k and plane, a
/// byte per row holding its sign bits (k 0..3 in the low nibble: the index
/// into x's table of those 4 k), and per panel, group and plane the 16
/// rows' alphas, then their offsets.
static PackedWeight packBinary(OpBuilder &b, ConstantOp constant, const ::lq::EncodedWeight &ew,
                               unsigned id) {
  WeightType type = constant.getResult().getType();
  auto enc = std::get<::lq::BinaryEncoding>(type.getEncoding().getNumericEncoding());
  int64_t N = type.getRows(), K = type.getCols(), G = K / enc.group, P = enc.planes;
  int64_t panels = llvm::divideCeil(N, kPanel), rowBytes = ::lq::packedBytes(K, 1);
  std::vector<int8_t> signs(panels * (K / 8) * P * kPanel, 0);
  std::vector<float> coefs(panels * G * (P + 1) * kPanel, 0.0f);
  for (int64_t n = 0; n < N; ++n) {
    int64_t panel = n / kPanel, lane = n % kPanel;
    for (int64_t p = 0; p < P; ++p) {
      const uint8_t *row = &ew.codes[(p * N + n) * rowBytes];
      for (int64_t k = 0; k < K; ++k)
        if (::lq::getBits(row, k, 1))
          signs[((panel * (K / 8) + k / 8) * P + p) * kPanel + lane] |= 1 << (k % 8);
    }
    for (int64_t g = 0; g < G; ++g) {
      float *c = &coefs[(panel * G + g) * (P + 1) * kPanel + lane];
      for (int64_t p = 0; p < P; ++p)
        c[p * kPanel] = ::lq::halfToFloat(ew.scales[(n * G + g) * P + p]);
      c[P * kPanel] = ::lq::halfToFloat(ew.offsets[n * G + g]);
    }
  }
  Location loc = constant.getLoc();
  auto tensor = [&](ArrayRef<int64_t> shape, Type elt, StringRef part, auto values) -> Value {
    auto t = RankedTensorType::get(shape, elt);
    return arith::ConstantOp::create(
        b, loc, t, makeResource(t, llvm::formatv("lq_cpu_b{0}_{1}_{2}", P, id, part).str(), values));
  };
  PackedWeight w{constant.getResult(), N, K, enc.group, 1, {}, nullptr, nullptr};
  w.signPlanes = P;
  w.signs = tensor({panels, K / 8, P, kPanel}, b.getI8Type(), "signs", ArrayRef<int8_t>(signs));
  w.scales = tensor({panels, G, P + 1, kPanel}, b.getF32Type(), "coefs", ArrayRef<float>(coefs));
  return w;
}

/// The weight of `constant` re-packed into 16-row panels (file comment).
/// `int8Act`: the W4A8 layout (vpdpbusd units of 8 k, groups padded).
static FailureOr<PackedWeight> packWeight(OpBuilder &b, ConstantOp constant, unsigned id,
                                          bool int8Act) {
  FailureOr<::lq::EncodedWeight> storage = readStorage(constant);
  if (failed(storage))
    return failure();
  WeightType type = constant.getResult().getType();
  if (std::holds_alternative<::lq::BinaryEncoding>(type.getEncoding().getNumericEncoding()))
    return packBinary(b, constant, *storage, id);
  auto enc = std::get<::lq::UniformEncoding>(type.getEncoding().getNumericEncoding());
  int64_t N = type.getRows(), K = type.getCols(), G = K / enc.group;
  int64_t panels = llvm::divideCeil(N, kPanel), rowBytes = ::lq::packedBytes(K, enc.bits);
  SmallVector<unsigned, 2> widths = planeWidths(enc.bits);
  int64_t padded = llvm::alignTo(enc.group, kVnniUnit), units = G * padded / kVnniUnit;
  std::vector<std::vector<int8_t>> planes;
  if (int8Act)
    planes.emplace_back(panels * units * 4 * kPanel, 0);
  else
    for (unsigned width : widths)
      planes.emplace_back(panels * (K * width / 8) * kPanel, 0);
  std::vector<float> scales(panels * G * kPanel, 0.0f);
  std::vector<int8_t> zeros(enc.symmetric ? 0 : panels * G * kPanel, 0);
  // Every row owns its bytes (its lane of each panel): rows are re-packed in
  // parallel (a 1B-parameter model has 10^9 codes to move).
  llvm::parallelFor(0, N, [&](int64_t n) {
    int64_t panel = n / kPanel, lane = n % kPanel;
    const uint8_t *row = &storage->codes[n * rowBytes];
    for (int64_t k = 0; k < K; ++k) {
      uint64_t q = ::lq::getBits(row, k * enc.bits, enc.bits);
      if (int8Act) {
        // Byte t % 4 of lane `lane` of unit pk / 8; nibble t / 4 (file comment).
        int64_t pk = k / enc.group * padded + k % enc.group, t = pk % kVnniUnit;
        planes[0][((panel * units + pk / kVnniUnit) * kPanel + lane) * 4 + t % 4] |=
            q << (4 * (t / 4));
        continue;
      }
      unsigned shift = 0;
      for (auto [width, plane] : llvm::zip(widths, planes)) {
        int64_t perByte = 8 / width, bytes = K / perByte;
        uint8_t bits = (q >> shift) & ((1u << width) - 1);
        plane[(panel * bytes + k / perByte) * kPanel + lane] |= bits << (k % perByte * width);
        shift += width;
      }
    }
    for (int64_t g = 0; g < G; ++g) {
      scales[(panel * G + g) * kPanel + lane] = ::lq::halfToFloat(storage->scales[n * G + g]);
      if (!enc.symmetric)
        zeros[(panel * G + g) * kPanel + lane] = storage->zeroPoints[n * G + g];
    }
  });
  Location loc = constant.getLoc();
  auto tensor = [&](ArrayRef<int64_t> shape, Type elt, StringRef part, auto values) -> Value {
    auto t = RankedTensorType::get(shape, elt);
    return arith::ConstantOp::create(
        b, loc, t,
        makeResource(t, llvm::formatv("lq_cpu_w{0}_{1}_{2}", enc.bits, id, part).str(), values));
  };
  PackedWeight w{constant.getResult(), N, K, enc.group, enc.bits, {}, nullptr, nullptr};
  w.int8Act = int8Act;
  w.paddedGroup = int8Act ? padded : 0;
  unsigned shift = 0;
  if (int8Act)
    w.planes.push_back({4, 0,
                        tensor({panels, units, 4 * kPanel}, b.getI8Type(), "codes_a8",
                               ArrayRef<int8_t>(planes[0]))});
  for (auto [i, width] : llvm::enumerate(int8Act ? SmallVector<unsigned, 2>{} : widths)) {
    Value codes = tensor({panels, K * width / 8, kPanel}, b.getI8Type(),
                         i == 0 ? "codes" : "codes_hi", ArrayRef<int8_t>(planes[i]));
    w.planes.push_back({width, shift, codes});
    shift += width;
  }
  w.scales = tensor({panels, G, kPanel}, b.getF32Type(), "scales", ArrayRef<float>(scales));
  if (!enc.symmetric)
    w.zeroPoints = tensor({panels, G, kPanel}, b.getI8Type(), "zeros", ArrayRef<int8_t>(zeros));
  return w;
}

/// The kernel function computing x * decode(W)^T for x of `xType` ([M, K])
/// and weights laid out as `w`, shared by every matmul of the same shape and
/// encoding: one function per layer shape instead of one loop nest per layer
/// keeps the code (and LLVM's time) independent of the depth.
static func::FuncOp getOrCreateKernel(ModuleOp module, const PackedWeight &w,
                                      RankedTensorType xType, Location loc, bool parallel) {
  MLIRContext *ctx = module.getContext();
  WeightType type = cast<WeightType>(w.source.getType());
  std::string name;
  llvm::raw_string_ostream os(name);
  os << "lq_cpu_packed_";
  // e.g. uniform<bits = 4, group = 128>
  type.getEncoding().print(os);
  os << (w.int8Act ? "_a8_" : "_") << w.rows << "x" << w.cols << "_m";
  if (xType.isDynamicDim(0))
    os << "dyn";
  else
    os << xType.getDimSize(0);
  // Symbol-safe: letters, digits and underscores only; the dialect prefix
  // adds nothing.
  if (size_t prefix = name.find("#lq."); prefix != std::string::npos)
    name.erase(prefix, 4);
  std::string symbol;
  for (char c : name)
    if (llvm::isAlnum(c))
      symbol += c;
    else if (!symbol.empty() && symbol.back() != '_')
      symbol += '_';
  if (auto existing = module.lookupSymbol<func::FuncOp>(symbol))
    return existing;
  PackedWeight inner = w;
  SmallVector<Type> args = {xType};
  for (Value *part : inner.parts())
    args.push_back(part->getType());
  auto yType = RankedTensorType::get({xType.getDimSize(0), w.rows}, Float32Type::get(ctx));
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto fn = func::FuncOp::create(b, loc, symbol, FunctionType::get(ctx, args, {yType}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  for (auto [i, part] : llvm::enumerate(inner.parts()))
    *part = body->getArgument(i + 1);
  Value x = body->getArgument(0);
  SmallVector<Value> dynamic;
  if (yType.isDynamicDim(0))
    dynamic.push_back(tensor::DimOp::create(b, loc, x, 0));
  Value init = tensor::EmptyOp::create(b, loc, yType, dynamic);
  KernelBuilder kernel{b, loc, inner, x};
  func::ReturnOp::create(b, loc, kernel.build(init, parallel));
  return fn;
}

/// Packing state of the pass: the packed weight of each lq.constant, and
/// by the constant's data, so the lq.constants of one weight in @forward and
/// @decode share one packed copy.
struct PackedWeights {
  /// The data and the layout (W4A8 or not): a weight used both ways gets
  /// both layouts.
  using DataKey = std::tuple<Attribute, Attribute, Attribute, Type, unsigned>;
  DenseMap<std::pair<Operation *, unsigned>, PackedWeight> byConstant;
  DenseMap<DataKey, PackedWeight> byData;
};

/// The packed weight of `constant`, made once per weight and materialized as
/// arith.constants next to each lq.constant of that weight.
static FailureOr<PackedWeight> getPacked(ConstantOp constant, bool int8Act, PackedWeights &packed) {
  if (auto it = packed.byConstant.find({constant, int8Act}); it != packed.byConstant.end())
    return it->second;
  // Next to the lq.constant, so the packed constants dominate all its uses.
  OpBuilder b(constant);
  b.setInsertionPointAfter(constant);
  PackedWeights::DataKey key{constant.getCodes(), constant.getScales(),
                             constant.getZeroPointsAttr(), constant.getType(), int8Act};
  PackedWeight w;
  if (auto it = packed.byData.find(key); it != packed.byData.end()) {
    w = it->second;
    w.source = constant.getResult();
    for (Value *part : w.parts())
      *part = b.clone(*part->getDefiningOp())->getResult(0);
  } else {
    FailureOr<PackedWeight> made = packWeight(b, constant, packed.byData.size(), int8Act);
    if (failed(made))
      return failure();
    w = *made;
    packed.byData.try_emplace(key, w);
  }
  packed.byConstant.try_emplace({constant, int8Act}, w);
  return w;
}

/// Rewrites `op` into a call of its kernel.
static LogicalResult rewriteMatmul(MatmulOp op, PackedWeights &packed,
                                   int64_t parallelMinWeights) {
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  FailureOr<PackedWeight> packedWeight = getPacked(constant, op.getActBits().has_value(), packed);
  if (failed(packedWeight))
    return failure();
  PackedWeight *w = &*packedWeight;
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto inType = cast<RankedTensorType>(x.getType());
  auto outType = cast<RankedTensorType>(op.getResult().getType());
  int64_t rank = inType.getRank();
  SmallVector<ReassociationIndices> groups;
  if (rank > 2) {
    ReassociationIndices leading;
    for (int64_t i = 0; i + 1 < rank; ++i)
      leading.push_back(i);
    groups = {leading, {rank - 1}};
    x = tensor::CollapseShapeOp::create(b, loc, x, groups);
  }
  func::FuncOp kernel =
      getOrCreateKernel(op->getParentOfType<ModuleOp>(), *w, cast<RankedTensorType>(x.getType()),
                        loc, w->rows * w->cols >= parallelMinWeights);
  SmallVector<Value> operands = {x};
  for (Value *part : w->parts())
    operands.push_back(*part);
  auto call = func::CallOp::create(b, loc, kernel, operands);
  for (NamedAttribute a : op->getDiscardableAttrs())
    call->setAttr(a.getName(), a.getValue());
  Value y = call.getResult(0);
  if (rank > 2) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, op.getInput());
    sizes.back() = b.getIndexAttr(w->rows);
    y = tensor::ExpandShapeOp::create(b, loc, outType, y, groups, sizes);
  }
  if (y.getType() != outType)
    y = tensor::CastOp::create(b, loc, outType, y);
  op.getResult().replaceAllUsesWith(y);
  op.erase();
  return success();
}

namespace {
/// The vpdpbusd calls are `llvm.call_intrinsic`, which declares no memory
/// effects, and ownership-based-buffer-deallocation rejects ops of unknown
/// effects. This model says vpdpbusd (register-only, IntrNoMem in LLVM) has
/// none; any other intrinsic reads and writes memory, as it might.
struct CallIntrinsicEffects
    : public MemoryEffectOpInterface::ExternalModel<CallIntrinsicEffects, LLVM::CallIntrinsicOp> {
  void
  getEffects(Operation *op,
             SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) const {
    if (cast<LLVM::CallIntrinsicOp>(op).getIntrin() == kVpdpbusd)
      return;
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
  }
};

struct LQCPUPackedMatmulPass : public mlir::lq::impl::LQCPUPackedMatmulBase<LQCPUPackedMatmulPass> {
  using Base::Base;
  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registry.addExtension(+[](MLIRContext *ctx, LLVM::LLVMDialect *) {
      std::optional<RegisteredOperationName> name =
          RegisteredOperationName::lookup(LLVM::CallIntrinsicOp::getOperationName(), ctx);
      if (name && !name->hasInterface<MemoryEffectOpInterface>())
        LLVM::CallIntrinsicOp::attachInterface<CallIntrinsicEffects>(*ctx);
    });
  }
  void runOnOperation() override {
    if (parallelMinWeights < 0) {
      getOperation().emitError() << "lq-cpu-packed-matmul: parallel-min-weights must be "
                                    "non-negative, got "
                                 << int64_t(parallelMinWeights);
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    getOperation().walk([&](MatmulOp op) {
      if (!unsupported(op, vnni))
        matmuls.push_back(op);
    });
    PackedWeights packed;
    for (MatmulOp op : matmuls)
      if (failed(rewriteMatmul(op, packed, parallelMinWeights)))
        return signalPassFailure();
    SetVector<Operation *> constants;
    for (auto &entry : packed.byConstant)
      constants.insert(entry.first.first);
    for (Operation *constant : constants)
      if (constant->use_empty())
        constant->erase();
  }
};
} // namespace
