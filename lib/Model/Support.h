//===- Support.h - Helpers shared by the readers (private) -----*- C++ -*-===//

#ifndef LQ_LIB_MODEL_SUPPORT_H
#define LQ_LIB_MODEL_SUPPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace lq {
namespace detail {

inline llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// a * b, or nullopt when the product of non-negative values overflows int64.
inline std::optional<int64_t> mulChecked(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}
inline std::optional<uint64_t> mulChecked(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

inline float bf16ToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float f16ToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalize into a float exponent.
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while (!(mant & 0x400));
    bits = sign | uint32_t(112 - e) << 23 | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Round to nearest even; NaN stays NaN.
inline uint16_t floatToBF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

/// Round to nearest even, with overflow to infinity and gradual underflow.
inline uint16_t floatToF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint16_t sign = (bits >> 16) & 0x8000;
  uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u)
    return sign | 0x7e00;
  if (abs >= 0x477ff000u) // rounds to >= 65520 -> inf
    return sign | 0x7c00;
  if (abs < 0x38800000u) { // below the smallest normal half
    if (abs < 0x33000000u)
      return sign;
    // Value = mant * 2^(e - 150); the half subnormal unit is 2^-24.
    uint32_t mant = (abs & 0x7fffff) | 0x800000;
    int rshift = 126 - int(abs >> 23);
    uint32_t q = mant >> rshift;
    uint32_t rem = mant & ((1u << rshift) - 1), halfway = 1u << (rshift - 1);
    if (rem > halfway || (rem == halfway && (q & 1)))
      ++q;
    return sign | uint16_t(q);
  }
  uint32_t r = abs + 0xfff + ((abs >> 13) & 1);
  return sign | uint16_t(((r >> 13) - (112 << 10)) & 0x7fff);
}

template <typename T> T loadLE(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v; // All supported hosts are little-endian (checked in CMake).
}

/// A bounds-checked little-endian reader over a byte range.
class ByteCursor {
public:
  ByteCursor(llvm::StringRef data) : data(data) {}
  uint64_t offset() const { return pos; }
  uint64_t remaining() const { return data.size() - pos; }
  bool skip(uint64_t n) {
    if (n > remaining())
      return false;
    pos += n;
    return true;
  }
  template <typename T> bool read(T &out) {
    if (sizeof(T) > remaining())
      return false;
    out = loadLE<T>(data.data() + pos);
    pos += sizeof(T);
    return true;
  }
  bool readBytes(uint64_t n, llvm::StringRef &out) {
    if (n > remaining())
      return false;
    out = data.substr(pos, n);
    pos += n;
    return true;
  }

private:
  llvm::StringRef data;
  uint64_t pos = 0;
};

/// Parses JSON text from a file. llvm::json::parse (and the destructor of
/// the value it returns) recurses once per nesting level, so a hostile file
/// of ~100k '[' overflows the stack; texts nested deeper than MaxJSONDepth
/// are rejected before parsing. With `rejectDuplicates`, a repeated object
/// key is an error (see findDuplicateKey). Messages start with `source`.
constexpr unsigned MaxJSONDepth = 256;
llvm::Expected<llvm::json::Value> parseJSON(llvm::StringRef text,
                                            const llvm::Twine &source,
                                            bool rejectDuplicates);

/// llvm::json keeps the last of duplicate keys silently; formats where a
/// duplicate means a corrupt or ambiguous file reject them with this check.
/// Assumes `json` already parsed successfully. Returns the first duplicated
/// key, if any.
std::optional<std::string> findDuplicateKey(llvm::StringRef json);

/// Converts `count` elements of a F32/F16/BF16 little-endian buffer.
enum class DType { F32, F16, BF16 };
inline size_t dtypeSize(DType t) { return t == DType::F32 ? 4 : 2; }
void convertToFloat(DType type, const char *src, size_t count, float *dst);

} // namespace detail
} // namespace lq

#endif // LQ_LIB_MODEL_SUPPORT_H
