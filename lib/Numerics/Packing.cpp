//===- Packing.cpp - Bit streams and fp16 conversion ------------------------===//
#include "lq/Numerics/Packing.h"

#include <cmath>
#include <cstring>

namespace lq {

void putBits(uint8_t *row, int64_t offset, unsigned width, uint64_t value) {
  while (width > 0) {
    int64_t byte = offset / 8;
    unsigned shift = offset % 8;
    unsigned n = 8 - shift < width ? 8 - shift : width;
    uint8_t mask = (uint8_t)(((1u << n) - 1) << shift);
    row[byte] = (uint8_t)((row[byte] & ~mask) | ((uint8_t)(value << shift) & mask));
    value >>= n;
    offset += n;
    width -= n;
  }
}

uint64_t getBits(const uint8_t *row, int64_t offset, unsigned width) {
  uint64_t value = 0;
  unsigned done = 0;
  while (done < width) {
    int64_t byte = offset / 8;
    unsigned shift = offset % 8;
    unsigned n = 8 - shift < width - done ? 8 - shift : width - done;
    uint64_t field = (row[byte] >> shift) & ((1u << n) - 1);
    value |= field << done;
    offset += n;
    done += n;
  }
  return value;
}

uint16_t floatToHalf(float value) {
  uint32_t f;
  std::memcpy(&f, &value, 4);
  uint16_t sign = (uint16_t)((f >> 16) & 0x8000);
  uint32_t absBits = f & 0x7fffffff;
  if (absBits > 0x7f800000) // NaN: keep it quiet.
    return sign | 0x7e00;
  float a = std::fabs(value);
  if (a >= 65520.0f) // rounds past the largest finite half: saturate.
    return sign | 0x7bff;
  if (a < 6.103515625e-05f) { // subnormal half: a multiple of 2^-24.
    float scaled = a * 16777216.0f;
    return sign | (uint16_t)std::nearbyint(scaled); // ties to even (default mode)
  }
  // Normal: round the 23-bit mantissa to 10 bits, ties to even.
  uint32_t mantissa = absBits & 0x7fffff;
  int32_t exponent = (int32_t)(absBits >> 23) - 127 + 15;
  uint32_t half = ((uint32_t)exponent << 10) | (mantissa >> 13);
  uint32_t rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half; // a carry into the exponent is the correct rounding.
  return sign | (uint16_t)half;
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = (uint32_t)(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  float result;
  if (exponent == 0) {
    result = std::ldexp((float)mantissa, -24);
    if (sign)
      result = -result;
    return result;
  }
  uint32_t f;
  if (exponent == 31)
    f = sign | 0x7f800000 | (mantissa << 13);
  else
    f = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
  std::memcpy(&result, &f, 4);
  return result;
}

} // namespace lq
