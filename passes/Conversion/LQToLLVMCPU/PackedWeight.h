//===- PackedWeight.h - lq-cpu-packed-matmul's weights and kernel -*- C++ -*-===//
//
// Internal to lq-cpu-packed-matmul: the packed weight (the layouts are in
// PackedMatmul.cpp's file comment and docs/Layout.md), how an lq.constant
// is re-packed into it (PackedLayout.cpp) and the kernel that reads it
// (PackedKernel.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LQ_CONVERSION_LQTOLLVMCPU_PACKEDWEIGHT_H
#define LQ_CONVERSION_LQTOLLVMCPU_PACKEDWEIGHT_H

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Numerics/Encoding.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::lq::cpu {

/// Output rows per panel: one f32 vector of AVX-512.
inline constexpr int64_t kPanel = 16;
/// Rows of x per register tile in the main row loop.
inline constexpr int64_t kRowTile = 4;
/// The large-batch path (buildPackedKernel, tiled-min-batch): rows of x per
/// register tile, one accumulator each (uniform codes: every decoded unit
/// feeds them all; binary codes: all read one f32 tile vector per k), and
/// binary codes' k per step of the tile's inner loop.
inline constexpr int64_t kTiledRows = 8;
inline constexpr int64_t kTiledUnroll = 4;
/// Binary codes below AVX-512 take the large-batch path from this many rows
/// of x on, when tiled-min-batch is larger (PackedKernel.cpp, build).
inline constexpr int64_t kBinaryTiledMinBatch = 8;
/// W4A8: k per vpdpbusd unit (8 nibbles of an i32 lane) and the largest
/// activation code (int8, symmetric).
inline constexpr int64_t kVnniUnit = 8;
inline constexpr int64_t kActMax = 127;
/// u8 x s8 dot products of 4 bytes into s32 lanes, accumulating (AVX512-VNNI).
inline constexpr llvm::StringLiteral kVpdpbusd = "llvm.x86.avx512.vpdpbusd.512";
/// AVX2's two steps to the same sums: pairs of u8 x s8 into s16 (saturating,
/// which 4-bit codes never reach), then pairs of s16 x s16 into s32.
inline constexpr llvm::StringLiteral kPmaddubsw = "llvm.x86.avx2.pmadd.ub.sw";
inline constexpr llvm::StringLiteral kPmaddwd = "llvm.x86.avx2.pmadd.wd";
/// AVX2's 8-lane variable permute (binary codes' table lookups).
inline constexpr llvm::StringLiteral kPermps = "llvm.x86.avx2.permps";

/// Widths of the bit planes of b-bit codes, low bits first (file comment);
/// empty for the widths the kernel does not take.
inline SmallVector<unsigned, 2> planeWidths(unsigned bits) {
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
inline int64_t unitK(unsigned bits) {
  unsigned narrowest = 8;
  for (unsigned width : planeWidths(bits))
    narrowest = std::min(narrowest, width);
  return 8 / narrowest;
}

/// PVQ: the largest dimension the kernel takes (a group's decoded vectors
/// stay in registers).
inline constexpr int64_t kMaxPVQDim = 16;
/// PVQ: groups decoded together, at most (a power of two).
inline constexpr int64_t kPVQGroupsPerUnit = 4;

/// PVQ: the per-group index and amplitude-code streams and the decode
/// strategy (PackedPVQ.cpp). A row's stream is its lq.constant bit stream
/// (fields LSB first, group g at bit g * width) cut into 32-bit words, word
/// w of the panel's 16 rows one i32 vector, so every lane extracts the
/// field at the same bit offset.
struct PVQLayout {
  int64_t dim = 0, pulses = 0, ampGroup = 0;
  unsigned indexBits = 0, ampBits = 0;
  /// Trailing positions of a group read from a table of codewords (4 or
  /// 8, int8 each); the positions before them are decoded in registers.
  /// 0: all in registers.
  int64_t tail = 0;
  /// Groups decoded together (their gathers' latencies overlap).
  int64_t groupsPerUnit = 1;
  /// Codewords in the codebook; larger indices (corrupt data) are clamped.
  int64_t codewords = 0;
  /// The whole codeword from one table entry of 64 bits: y + 8 per
  /// position in 4-bit fields (position p at bit 4p) and the f32 bits of
  /// 1 / ||y|| in the high word (PackedPVQ.cpp). Where tail == dim is 4 or 8
  /// and pulses <= 7.
  bool nibbles = false;
  /// One amplitude code per group (ampGroup == dim) whose index and code
  /// fit 32 bits together: one stream of index | code << indexBits
  /// (`indices`, no `amps`), so a group takes one field extraction.
  bool ampWithIndex = false;
  Value indices; // [panels, words + 1, 16] i32
  Value amps;    // [panels, words + 1, 16] i32; null with ampWithIndex
  Value steps;   // [panels, 16] f32, the rows' amplitude steps
};

/// The largest PVQ codeword tail (8 or 4 positions, at most `dim`) whose
/// table over the pulse counts it can hold has at most `maxEntries`
/// entries; 0 when none has.
int64_t choosePVQTail(int64_t dim, int64_t pulses, int64_t maxEntries);

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
  /// W4A8 on int8 dot products (file comment): one plane [panels, units,
  /// 64] i8, each group padded to `paddedGroup` (a multiple of 8) k; the
  /// kernel's instructions are `int8Dot`'s.
  bool int8Act = false;
  int64_t paddedGroup = 0;
  Int8Dot int8Dot = Int8Dot::AVX512VNNI;
  /// PVQ (pvq.dim > 0): the decode scales each k itself, so the kernel's
  /// group is the whole row (`group` = cols, no scales).
  PVQLayout pvq;

  int64_t groups() const { return cols / group; }
  /// k per decode unit: one byte of the narrowest plane (8 k of signs; W4A8:
  /// the 8 k of one vpdpbusd unit).
  int64_t unit() const {
    return pvq.dim ? pvq.dim * pvq.groupsPerUnit : signPlanes ? 8 : int8Act ? kVnniUnit : unitK(bits);
  }
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
    if (pvq.dim && pvq.ampWithIndex)
      return {&pvq.indices, &pvq.steps};
    if (pvq.dim)
      return {&pvq.indices, &pvq.amps, &pvq.steps};
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
  /// The names of parts(), in the same order (docs/Layout.md's): what a
  /// caller that takes the kernel's weights from elsewhere calls them.
  SmallVector<StringRef> partNames() const {
    if (pvq.dim && pvq.ampWithIndex)
      return {"fields", "steps"};
    if (pvq.dim)
      return {"indices", "amps", "steps"};
    SmallVector<StringRef> out;
    if (signs)
      out.push_back("signs");
    for (size_t i = 0; i < planes.size(); ++i)
      out.push_back(int8Act ? "codes_a8" : i ? "codes_hi" : "codes");
    out.push_back(signs ? "coefs" : "scales");
    if (zeroPoints)
      out.push_back("zero_points");
    return out;
  }
};

/// The weight of `constant` re-packed into 16-row panels, as arith.constants
/// at `b`'s insertion point named lq_cpu_*_<id>_*. `int8Act`: the W4A8
/// layout (vpdpbusd units of 8 k, groups padded). `pvqTableEntries`: the
/// largest PVQ codeword table (choosePVQTail).
FailureOr<PackedWeight> packWeight(OpBuilder &b, ConstantOp constant, unsigned id, bool int8Act,
                                   int64_t pvqTableEntries);

/// PVQ: the streams of a PVQ lq.constant re-packed (PVQLayout).
PackedWeight packPVQ(OpBuilder &b, ConstantOp constant, const ::lq::EncodedWeight &ew, unsigned id,
                     int64_t pvqTableEntries);

/// PVQ: the codebook's tables the decode reads, as constants made once per
/// kernel (PackedPVQ.cpp): the block starts of the positions decoded in
/// registers, and the tail's codewords and their offsets per pulse count.
struct PVQTables {
  Value starts, tail, tailOffsets;
};
PVQTables buildPVQTables(OpBuilder &b, Location loc, const PVQLayout &pvq);

/// PVQ: the exponent e of position `p` of a group: the decode yields y_p *
/// 2^e (nibbles: 4 * (p % 4), the field decoded in place; else 0).
int64_t pvqShift(const PVQLayout &pvq, int64_t p);

/// PVQ: decode unit `u` (groupsPerUnit groups) of the panel's 16 rows.
struct PVQUnit {
  /// Per k of the unit: the codeword y, times 2^pvqShift, as f32 vectors.
  SmallVector<Value> ys;
  /// Per group: amp / ||y||.
  SmallVector<Value> scales;
};
PVQUnit decodePVQUnit(OpBuilder &b, Location loc, const PackedWeight &w, const PVQTables &tables,
                      Value panel, Value u, ArrayRef<Value> looked = {});

/// PVQ with nibbles: decode unit `u`'s codewords (the table entries' 4-bit
/// fields, one v16i32 per group), then its groups' amp / ||y|| (v16f32):
/// what decodePVQUnit's `looked` takes, so a loop can look the next unit
/// up while it decodes this one.
SmallVector<Value> lookupPVQUnit(OpBuilder &b, Location loc, const PackedWeight &w,
                                 const PVQTables &tables, Value panel, Value u);

/// PVQ: acc[r * chains + c] += the dot products of x[m + r] and the groups
/// of the units [u0, u0 + units): per group, x times y (x scaled by
/// 2^-pvqShift where y comes scaled by 2^pvqShift: the kernel's shifted
/// x), then the sum times amp / ||y|| once; chain c takes the groups = c
/// (mod chains). `looked`: the unit's lookupPVQUnit, made ahead (units =
/// 1).
void accumulatePVQUnits(OpBuilder &b, Location loc, const PackedWeight &w, const PVQTables &tables,
                        Value x, SmallVectorImpl<Value> &acc, int64_t rows, int64_t chains, Value m,
                        Value panel, Value u0, int64_t units, ValueRange looked = {});

/// PVQ with nibbles: accumulatePVQUnits over the units [u0, u0 + units) as
/// a loop whose each step looks the next unit's codewords and scales up
/// (the last step its own again), so the table loads' latency hides behind
/// the current unit's FMAs.
void accumulatePVQLookingAhead(OpBuilder &b, Location loc, const PackedWeight &w,
                               const PVQTables &tables, Value x, SmallVectorImpl<Value> &acc,
                               int64_t rows, int64_t chains, Value m, Value panel, Value u0,
                               int64_t units);

/// PVQ: decode unit `u`'s weights, one f32 vector per k: each y_p times
/// its group's amp / ||y|| (and 2^-pvqShift).
SmallVector<Value> decodePVQWeights(OpBuilder &b, Location loc, const PackedWeight &w,
                                    const PVQTables &tables, Value panel, Value u);

/// Binary codes: the 16 rows' weights of the 8 k of unit `u`, offset +
/// sum_t alpha_t * (+-1) from each plane's sign bits, as f32 vectors, one
/// per k; `coefs` are the group's alphas, then its offset (PackedBinary.cpp).
SmallVector<Value> decodeSignValues(OpBuilder &b, Location loc, const PackedWeight &w,
                                    Value panel, Value u, ArrayRef<Value> coefs);

/// Binary codes, small batches: table[index[i] mod 16] for each of the 16
/// lanes, x's 16 signed sums of 4 k looked up at the rows' 4 sign bits (bits
/// 0..3 of index; above them any bits below AVX-512), by permutes the
/// target `dot` implies (PackedBinary.cpp).
Value lookupSignSums(OpBuilder &b, Location loc, Int8Dot dot, Value table, Value index);

/// W4A8: `acc` (16 x i32) plus, for each pair (codes[i], xs[i]) of 64-byte
/// vectors, the sums over each 4 bytes of u8 codes times s8 x, on `dot`'s
/// instructions: vpdpbusd per pair, or on AVX2 per 256-bit half vpmaddubsw
/// per pair (u8 x s8 pairs into s16), their s16 sum, and one vpmaddwd by
/// ones (s16 pairs into s32). At most two pairs of 4-bit codes keep the s16
/// sums below 2 * 2 * 15 * 127 (PackedInt8.cpp).
Value addInt8Dots(OpBuilder &b, Location loc, Int8Dot dot, Value acc, ArrayRef<Value> codes,
                  ArrayRef<Value> xs);

/// y = x * decode(W)^T into `init` ([M, N]) for x [M, K] f32, as a loop nest
/// of vector ops at `b`'s insertion point; with `parallel`, the panels are an
/// scf.forall. W4A8 with `staticScale` (an f32 value): x is quantized with
/// it, no per-row maximum. Uniform, binary and PVQ codes with at least
/// `tiledMinBatch` rows of x (> 0) take the large-batch path: uniform codes
/// in register tiles of kTiledRows rows, binary codes' groups (PVQ: 4 decode
/// units) dequantized once per panel into an f32 tile read by blocks of
/// kTiledRows rows.
Value buildPackedKernel(OpBuilder &b, Location loc, const PackedWeight &w, Value x, Value init,
                        bool parallel, Value staticScale = {}, int64_t tiledMinBatch = 0);

} // namespace mlir::lq::cpu

#endif // LQ_CONVERSION_LQTOLLVMCPU_PACKEDWEIGHT_H
