//===- Packing.h - Bit streams and fp16 conversion --------------*- C++ -*-===//
//
// The packed-storage primitives shared by every encoding: LSB-first bit
// fields inside a byte row, and IEEE binary16 <-> float conversion.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_NUMERICS_PACKING_H
#define LQ_NUMERICS_PACKING_H

#include <cstdint>

namespace lq {

/// Bytes of a row holding `elements` fields of `width` bits.
inline int64_t packedBytes(int64_t elements, unsigned width) {
  return (elements * width + 7) / 8;
}

/// Writes the low `width` (<= 64) bits of `value` at bit `offset` of `row`.
void putBits(uint8_t *row, int64_t offset, unsigned width, uint64_t value);
/// Reads `width` (<= 64) bits at bit `offset` of `row`.
uint64_t getBits(const uint8_t *row, int64_t offset, unsigned width);

/// Round-to-nearest-even float -> binary16 (saturating to +-65504, NaN kept).
uint16_t floatToHalf(float value);
float halfToFloat(uint16_t bits);
/// The float nearest `value` that binary16 represents.
inline float roundToHalf(float value) { return halfToFloat(floatToHalf(value)); }

} // namespace lq

#endif // LQ_NUMERICS_PACKING_H
