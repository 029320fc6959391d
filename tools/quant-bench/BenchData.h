//===- BenchData.h - Deterministic benchmark weights and activations -*- C++ -*-===//
//
// quant-bench-compile (here, with the compiler) and quant-bench (on the GPU
// machine, without it) must see the same weight: rather than carrying
// hundreds of megabytes, both regenerate it from a seed with this code.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT_BENCH_BENCHDATA_H
#define QUANT_BENCH_BENCHDATA_H

#include "lq/Numerics/Encoding.h"
#include "lq/Numerics/PVQ.h"
#include "lq/Numerics/Packing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace quant_bench {

/// SplitMix64: tiny, fast, and the same everywhere.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
};

/// fp16 bits of a float in the normal range (round to nearest even).
inline uint16_t toHalf(float v) {
  uint32_t f;
  std::memcpy(&f, &v, 4);
  uint32_t sign = (f >> 16) & 0x8000, mant = f & 0x7fffff;
  int32_t exp = (int32_t)((f >> 23) & 0xff) - 127 + 15;
  if (exp <= 0)
    return (uint16_t)sign; // flush: the generators stay in range
  uint32_t h = ((uint32_t)exp << 10) | (mant >> 13), rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h;
  return (uint16_t)(sign | h);
}

inline float fromHalf(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t f;
  if (exp == 0) {
    float v = std::ldexp((float)mant, -24);
    return sign ? -v : v;
  }
  f = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  float v;
  std::memcpy(&v, &f, 4);
  return v;
}

/// A random uniform 4-bit weight: codes uniform over 0..15, scales in
/// [0.005, 0.015), zero points over 0..15 when asymmetric.
inline lq::EncodedWeight makeUniformWeight(const lq::UniformEncoding &enc, int64_t rows,
                                           int64_t cols, uint64_t seed) {
  lq::EncodedWeight w;
  w.rows = rows;
  w.cols = cols;
  Rng rng(seed);
  int64_t rowBytes = (cols * enc.bits + 7) / 8, groups = cols / enc.group;
  w.codes.resize(rows * rowBytes);
  for (size_t i = 0; i < w.codes.size(); i += 8) {
    uint64_t r = rng.next();
    for (size_t j = 0; j < 8 && i + j < w.codes.size(); ++j)
      w.codes[i + j] = (uint8_t)(r >> (8 * j));
  }
  w.scales.resize(rows * groups);
  for (auto &s : w.scales)
    s = toHalf((float)(0.005 + 0.01 * rng.uniform()));
  if (!enc.symmetric) {
    w.zeroPoints.resize(rows * groups);
    for (auto &z : w.zeroPoints)
      z = (uint8_t)(rng.next() & ((1u << enc.bits) - 1));
  }
  return w;
}

/// Random GPTQT binary codes: random sign planes, alphas halving from plane
/// to plane (about 0.01, 0.005, ...), offsets in [-0.01, 0.01).
inline lq::EncodedWeight makeBinaryWeight(const lq::BinaryEncoding &enc, int64_t rows,
                                          int64_t cols, uint64_t seed) {
  lq::EncodedWeight w;
  w.rows = rows;
  w.cols = cols;
  Rng rng(seed);
  int64_t rowBytes = (cols + 7) / 8, groups = cols / enc.group;
  w.codes.resize(enc.planes * rows * rowBytes);
  for (size_t i = 0; i < w.codes.size(); i += 8) {
    uint64_t r = rng.next();
    for (size_t j = 0; j < 8 && i + j < w.codes.size(); ++j)
      w.codes[i + j] = (uint8_t)(r >> (8 * j));
  }
  w.scales.resize(rows * groups * enc.planes);
  for (size_t i = 0; i < w.scales.size(); ++i)
    w.scales[i] = toHalf((float)(std::ldexp(0.01, -(int)(i % enc.planes)) * (0.5 + rng.uniform())));
  w.offsets.resize(rows * groups);
  for (auto &o : w.offsets)
    o = toHalf((float)(0.02 * rng.uniform() - 0.01));
  return w;
}

/// A random PVQ weight: indices uniform over the codebook, amplitude codes
/// uniform over their range, per-row steps in [0.001, 0.002).
inline lq::EncodedWeight makePVQWeight(const lq::PVQEncoding &enc, int64_t rows, int64_t cols,
                                       uint64_t seed) {
  lq::EncodedWeight w;
  w.rows = rows;
  w.cols = cols;
  Rng rng(seed);
  uint64_t size = llvm::cantFail(lq::pvqCodebookSize(enc.dim, enc.pulses));
  unsigned bits = llvm::cantFail(lq::pvqIndexBits(enc.dim, enc.pulses));
  int64_t groups = cols / enc.dim, ampGroups = cols / enc.ampGroup;
  int64_t codeBytes = lq::packedBytes(groups, bits), ampBytes = lq::packedBytes(ampGroups, enc.ampBits);
  w.codes.assign(rows * codeBytes, 0);
  w.amplitudes.assign(rows * ampBytes, 0);
  w.scales.resize(rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < groups; ++g)
      lq::putBits(&w.codes[r * codeBytes], g * bits, bits, rng.next() % size);
    for (int64_t a = 0; a < ampGroups; ++a)
      lq::putBits(&w.amplitudes[r * ampBytes], a * enc.ampBits, enc.ampBits,
                  rng.next() & ((1u << enc.ampBits) - 1));
    w.scales[r] = toHalf((float)(0.001 + 0.001 * rng.uniform()));
  }
  return w;
}

/// x quantized per row to int8 and dequantized again, exactly as lq-expand's
/// reference (and the CPU path) computes lq.matmul act(8) in f32.
inline std::vector<float> fakeQuantizeRows(const std::vector<float> &x, int64_t rows,
                                           int64_t cols) {
  std::vector<float> out(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    float absMax = 0;
    for (int64_t c = 0; c < cols; ++c)
      absMax = std::max(absMax, std::fabs(x[r * cols + c]));
    float scale = absMax == 0 ? 1.0f : absMax / 127.0f;
    for (int64_t c = 0; c < cols; ++c) {
      float q = std::nearbyint(x[r * cols + c] / scale); // round half to even
      q = std::min(127.0f, std::max(-127.0f, q));
      out[r * cols + c] = q * scale;
    }
  }
  return out;
}

/// Activations: fp16 bits, uniform in [-1, 1).
inline std::vector<uint16_t> makeActivations(int64_t count, uint64_t seed) {
  Rng rng(seed ^ 0xA5A5A5A5ull);
  std::vector<uint16_t> x(count);
  for (auto &v : x)
    v = toHalf((float)(2 * rng.uniform() - 1));
  return x;
}

} // namespace quant_bench

#endif // QUANT_BENCH_BENCHDATA_H
