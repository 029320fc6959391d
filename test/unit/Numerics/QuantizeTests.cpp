//===- QuantizeTests.cpp - RTN/GPTQ over every encoding ------------------------===//
#include "lq/Numerics/Packing.h"
#include "lq/Numerics/PVQ.h"
#include "lq/Numerics/Quantize.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace lq;

namespace {
std::vector<float> randomWeight(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 0.05f);
  std::vector<float> w(rows * cols);
  for (auto &v : w)
    v = normal(rng);
  return w;
}

/// H = X^T X for X with strongly correlated columns (a low-rank mix plus
/// noise), like real activations.
std::vector<float> correlatedHessian(int64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  const int64_t samples = 4 * cols, rank = 4;
  std::vector<float> mix(rank * cols);
  for (auto &v : mix)
    v = normal(rng);
  std::vector<double> h(cols * cols, 0);
  std::vector<float> x(cols);
  for (int64_t s = 0; s < samples; ++s) {
    float z[rank];
    for (auto &v : z)
      v = normal(rng);
    for (int64_t c = 0; c < cols; ++c) {
      x[c] = 0.3f * normal(rng);
      for (int64_t r = 0; r < rank; ++r)
        x[c] += z[r] * mix[r * cols + c];
    }
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        h[i * cols + j] += (double)x[i] * x[j];
  }
  return std::vector<float>(h.begin(), h.end());
}

double relError(const std::vector<float> &w, const std::vector<float> &d) {
  double e = 0, r = 0;
  for (size_t i = 0; i < w.size(); ++i)
    e += (w[i] - d[i]) * (w[i] - d[i]), r += w[i] * w[i];
  return std::sqrt(e / r);
}

const Encoding kEncodings[] = {
    UniformEncoding{4, 32, true}, UniformEncoding{3, 64, false}, UniformEncoding{2, 32, true},
    UniformEncoding{8, 128, false}, PVQEncoding{8, 6, 4, 32}, PVQEncoding{4, 3, 5, 4},
    BinaryEncoding{3, 32}, BinaryEncoding{2, 64}};
} // namespace

TEST(Quantize, VerifyRejectsInconsistentEncodings) {
  EXPECT_TRUE(verifyEncoding(UniformEncoding{9, 32, true}, 4, 64));
  EXPECT_TRUE(verifyEncoding(UniformEncoding{1, 32, true}, 4, 64));
  EXPECT_TRUE(verifyEncoding(UniformEncoding{4, 48, true}, 4, 64));
  EXPECT_TRUE(verifyEncoding(PVQEncoding{8, 4, 4, 12}, 4, 64));  // amp group not a multiple
  EXPECT_TRUE(verifyEncoding(PVQEncoding{6, 4, 4, 6}, 4, 64));   // D does not divide K
  EXPECT_TRUE(verifyEncoding(PVQEncoding{64, 64, 4, 64}, 4, 64)); // index > 64 bits
  EXPECT_TRUE(verifyEncoding(BinaryEncoding{9, 32}, 4, 64));
  EXPECT_FALSE(verifyEncoding(PVQEncoding{8, 4, 4, 32}, 4, 64));
  std::vector<float> w(4 * 64, 0.1f);
  auto bad = quantizeWeight(w.data(), 4, 64, UniformEncoding{4, 48, true});
  ASSERT_FALSE(bad);
  EXPECT_NE(llvm::toString(bad.takeError()).find("does not divide"), std::string::npos);
  w[5] = NAN;
  auto nan = quantizeWeight(w.data(), 4, 64, UniformEncoding{4, 32, true});
  ASSERT_FALSE(nan);
  llvm::consumeError(nan.takeError());
}

TEST(Quantize, BitsPerWeightMatchesTheFormula) {
  const int64_t rows = 64, cols = 256;
  EXPECT_DOUBLE_EQ(bitsPerWeight(UniformEncoding{4, 128, true}, rows, cols), 4 + 16.0 / 128);
  EXPECT_DOUBLE_EQ(bitsPerWeight(UniformEncoding{3, 64, false}, rows, cols), 3 + 24.0 / 64);
  // PVQ: ceil(log2 N(8,4)) = 12 bits per 8 weights + 4/32 + 16/K.
  EXPECT_DOUBLE_EQ(bitsPerWeight(PVQEncoding{8, 4, 4, 32}, rows, cols),
                   12.0 / 8 + 4.0 / 32 + 16.0 / cols);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BinaryEncoding{3, 128}, rows, cols), 3 + 16.0 * 4 / 128);
  // The stored arrays are exactly that large.
  std::vector<float> w = randomWeight(rows, cols, 1);
  for (const Encoding &enc : kEncodings) {
    if (verifyEncoding(enc, rows, cols))
      continue;
    EncodedWeight e = llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc));
    double bits = 8.0 * (e.codes.size() + e.zeroPoints.size() + e.amplitudes.size()) +
                  16.0 * (e.scales.size() + e.offsets.size());
    EXPECT_DOUBLE_EQ(bits / (rows * cols), bitsPerWeight(enc, rows, cols));
  }
}

TEST(Quantize, UniformRoundTripsItsOwnGrid) {
  // A weight already on a 4-bit grid with exactly representable scales is
  // reproduced exactly.
  const int64_t rows = 3, cols = 32;
  std::vector<float> w(rows * cols);
  std::mt19937 rng(5);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      w[r * cols + c] = (float)((int)(rng() % 16) - 8) * 0.125f;
  for (int64_t r = 0; r < rows; ++r)
    w[r * cols] = -1.0f, w[r * cols + 1] = 0.875f; // pin min and max
  UniformEncoding enc{4, 32, true};
  EncodedWeight e = llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc));
  EXPECT_EQ(decodeWeight(enc, e), w);
}

TEST(Quantize, ErrorShrinksWithBitsAndDecodeIsConsistent) {
  const int64_t rows = 48, cols = 128;
  std::vector<float> w = randomWeight(rows, cols, 2);
  double prev = 1e9;
  for (unsigned bits : {2u, 3u, 4u, 8u}) {
    UniformEncoding enc{bits, 32, false};
    EncodedWeight e = llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc));
    double err = relError(w, decodeWeight(enc, e));
    EXPECT_LT(err, prev);
    prev = err;
  }
  EXPECT_LT(prev, 0.01);
  // PVQ: more pulses, less error.
  double p4 = relError(w, decodeWeight(PVQEncoding{8, 4, 4, 8},
                                       llvm::cantFail(quantizeWeight(w.data(), rows, cols,
                                                                     PVQEncoding{8, 4, 4, 8}))));
  double p12 = relError(w, decodeWeight(PVQEncoding{8, 12, 4, 8},
                                        llvm::cantFail(quantizeWeight(w.data(), rows, cols,
                                                                      PVQEncoding{8, 12, 4, 8}))));
  EXPECT_LT(p12, p4);
  EXPECT_LT(p12, 0.2);
}

TEST(Quantize, GptqBeatsRtnOnCorrelatedHessian) {
  const int64_t rows = 32, cols = 128;
  std::vector<float> w = randomWeight(rows, cols, 3);
  std::vector<float> h = correlatedHessian(cols, 4);
  for (const Encoding &enc : kEncodings) {
    if (verifyEncoding(enc, rows, cols))
      continue;
    QuantizeOptions rtn;
    rtn.algorithm = QuantizeOptions::Algorithm::RTN;
    QuantizeOptions gptq;
    gptq.hessian = h.data();
    gptq.blockSize = 32; // exercise the lazy batch updates across blocks
    auto lossOf = [&](const QuantizeOptions &o) {
      EncodedWeight e = llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, o));
      std::vector<float> d = decodeWeight(enc, e);
      return layerLoss(w.data(), d.data(), rows, cols, h.data());
    };
    double lr = lossOf(rtn), lg = lossOf(gptq);
    EXPECT_LT(lg, 0.8 * lr) << "encoding #" << enc.index() << " rtn " << lr << " gptq " << lg;
    gptq.actOrder = true;
    double la = lossOf(gptq);
    EXPECT_LT(la, lr) << "act-order, encoding #" << enc.index();
  }
}

TEST(Quantize, GptqBlockSizeDoesNotChangeTheResult) {
  const int64_t rows = 8, cols = 64;
  std::vector<float> w = randomWeight(rows, cols, 8);
  std::vector<float> h = correlatedHessian(cols, 9);
  UniformEncoding enc{3, 16, true};
  QuantizeOptions a, b;
  a.hessian = b.hessian = h.data();
  a.blockSize = 64, b.blockSize = 16;
  std::vector<float> da = decodeWeight(enc, llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, a)));
  std::vector<float> db = decodeWeight(enc, llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, b)));
  double diff = 0;
  for (size_t i = 0; i < da.size(); ++i)
    diff += da[i] != db[i];
  EXPECT_LE(diff, 2) << "lazy batching must only reorder floating-point sums";
}

TEST(Quantize, ThreadsDoNotChangeTheResult) {
  const int64_t rows = 64, cols = 64;
  std::vector<float> w = randomWeight(rows, cols, 12);
  std::vector<float> h = correlatedHessian(cols, 13);
  for (const Encoding &enc : kEncodings) {
    if (verifyEncoding(enc, rows, cols))
      continue;
    QuantizeOptions one, many;
    one.hessian = many.hessian = h.data();
    one.threads = 1, many.threads = 4;
    EncodedWeight a = llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, one));
    EncodedWeight b = llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, many));
    EXPECT_EQ(a.codes, b.codes);
    EXPECT_EQ(a.scales, b.scales);
  }
}

TEST(Quantize, BinaryCodesFitTheIntegerGrid) {
  // Planes == log2(grid): the uniform binary code is exact.
  std::vector<double> hist(8, 1.0);
  BinaryCodeFit exact = fitBinaryCodes(hist, 3);
  EXPECT_NEAR(exact.error, 0, 1e-9);
  // A 5-bit grid with a bell-shaped histogram re-coded in 3 planes: ALS
  // never does worse than the uniform code it starts from.
  std::vector<double> bell(32);
  for (int v = 0; v < 32; ++v)
    bell[v] = std::exp(-0.5 * std::pow((v - 15.5) / 5, 2)) * 100;
  BinaryCodeFit fit = fitBinaryCodes(bell, 3);
  double uniformErr = 0;
  for (int v = 0; v < 32; ++v) {
    double step = 31.0 / 7, best = 1e9;
    for (int l = 0; l < 8; ++l)
      best = std::min(best, std::pow(v - l * step, 2));
    uniformErr += bell[v] * best;
  }
  EXPECT_LE(fit.error, uniformErr + 1e-9);
  EXPECT_LT(fit.error, 0.9 * uniformErr); // non-uniform levels pay off on a bell
}

TEST(Quantize, BinaryRescaleNeverHurts) {
  const int64_t rows = 32, cols = 128;
  std::vector<float> w = randomWeight(rows, cols, 21);
  BinaryEncoding enc{3, 64};
  QuantizeOptions fixed, explored;
  fixed.rescaleGrid = {1.0};
  fixed.algorithm = explored.algorithm = QuantizeOptions::Algorithm::RTN;
  double ef = relError(w, decodeWeight(enc, llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, fixed))));
  double ee = relError(w, decodeWeight(enc, llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, explored))));
  EXPECT_LE(ee, ef + 1e-12);
}

TEST(Quantize, LayerLossIdentityIsSquaredError) {
  std::vector<float> a = {1, 2, 3, 4}, b = {1, 1, 3, 2};
  EXPECT_DOUBLE_EQ(layerLoss(a.data(), b.data(), 2, 2, nullptr), 5.0);
  std::vector<float> h = {2, 1, 1, 2};
  // rows: d0 = (0, 1) -> 2; d1 = (0, 2) -> 8.
  EXPECT_DOUBLE_EQ(layerLoss(a.data(), b.data(), 2, 2, h.data()), 10.0);
}

TEST(Quantize, RescaleBinaryNeverIncreasesTheLayerLoss) {
  const int64_t rows = 24, cols = 128;
  std::vector<float> w = randomWeight(rows, cols, 31);
  std::vector<float> h = correlatedHessian(cols, 32);
  for (bool withHessian : {false, true}) {
    for (unsigned planes : {2u, 3u}) {
      BinaryEncoding enc{planes, 32};
      QuantizeOptions q;
      q.hessian = withHessian ? h.data() : nullptr;
      q.rescaleGrid = {1.0}; // no re-exploration while quantizing
      EncodedWeight e = llvm::cantFail(quantizeWeight(w.data(), rows, cols, enc, q));
      std::vector<float> d0 = decodeWeight(enc, e);
      double loss0 = layerLoss(w.data(), d0.data(), rows, cols, q.hessian);
      QuantizeOptions r;
      r.hessian = q.hessian;
      RescaleResult res = llvm::cantFail(rescaleBinary(w.data(), enc, e, r));
      std::vector<float> d1 = decodeWeight(enc, e);
      double loss1 = layerLoss(w.data(), d1.data(), rows, cols, q.hessian);
      EXPECT_NEAR(res.lossBefore, loss0, 1e-6 * loss0);
      EXPECT_NEAR(res.lossAfter, loss1, 1e-6 * loss0) << "tracked loss must be the real one";
      EXPECT_LE(loss1, loss0 * (1 + 1e-12)) << "planes " << planes << " H " << withHessian;
      if (!withHessian) { // on plain RTN codes the scale search always finds gains
        EXPECT_LT(loss1, loss0);
      }
    }
  }
  // A mismatched encoded weight is an error, not a crash.
  EncodedWeight bad;
  bad.rows = 2, bad.cols = 32;
  auto err = rescaleBinary(w.data(), BinaryEncoding{3, 32}, bad);
  ASSERT_FALSE(err);
  llvm::consumeError(err.takeError());
}

//===----------------------------------------------------------------------===//
// GPTQ against a plain re-implementation of the paper's Algorithm 1
//===----------------------------------------------------------------------===//

namespace {
/// GPTQ as Frantar et al.'s Algorithm 1 states it, written apart from the
/// library: H^-1 by Gauss-Jordan elimination, its upper Cholesky factor, and
/// every column's error spread over all later columns at once (no lazy
/// blocks). Uniform codes with the library's grid: symmetric
/// s = max(-min/2^(b-1), max/(2^(b-1)-1)), asymmetric s = (max-min)/(2^b-1),
/// zero included, fp16 scales. Each group's scale is fitted from the
/// error-updated weights when the sweep reaches its first column; with
/// act-order, columns are visited by decreasing diag(H) and the groups'
/// scales are fitted up front on the original weights ("static groups").
std::vector<float> referenceGptq(const std::vector<float> &weight, int64_t rows, int64_t cols,
                                 const std::vector<float> &hessian, UniformEncoding enc,
                                 double dampening, bool actOrder) {
  const int64_t n = cols;
  // Column order.
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i)
    perm[i] = i;
  if (actOrder)
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      return hessian[a * n + a] > hessian[b * n + b];
    });
  // Damped, permuted H and its inverse (Gauss-Jordan with partial pivoting).
  double mean = 0;
  for (int64_t i = 0; i < n; ++i)
    mean += hessian[i * n + i];
  mean /= n;
  std::vector<double> a(n * 2 * n, 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j)
      a[i * 2 * n + j] = hessian[perm[i] * n + perm[j]];
    a[i * 2 * n + i] += dampening * mean;
    a[i * 2 * n + n + i] = 1;
  }
  for (int64_t c = 0; c < n; ++c) {
    int64_t p = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r * 2 * n + c]) > std::fabs(a[p * 2 * n + c]))
        p = r;
    for (int64_t j = 0; j < 2 * n; ++j)
      std::swap(a[c * 2 * n + j], a[p * 2 * n + j]);
    double d = a[c * 2 * n + c];
    for (int64_t j = 0; j < 2 * n; ++j)
      a[c * 2 * n + j] /= d;
    for (int64_t r = 0; r < n; ++r) {
      if (r == c)
        continue;
      double f = a[r * 2 * n + c];
      for (int64_t j = 0; j < 2 * n; ++j)
        a[r * 2 * n + j] -= f * a[c * 2 * n + j];
    }
  }
  // Upper U with U^T U = H^-1.
  std::vector<double> u(n * n, 0);
  for (int64_t i = 0; i < n; ++i) {
    double d = a[i * 2 * n + n + i];
    for (int64_t k = 0; k < i; ++k)
      d -= u[k * n + i] * u[k * n + i];
    u[i * n + i] = std::sqrt(d);
    for (int64_t j = i + 1; j < n; ++j) {
      double s = a[i * 2 * n + n + j];
      for (int64_t k = 0; k < i; ++k)
        s -= u[k * n + i] * u[k * n + j];
      u[i * n + j] = s / u[i * n + i];
    }
  }
  auto fitScale = [&](const double *w, double &scale, int &zero) {
    double lo = 0, hi = 0;
    for (int64_t i = 0; i < enc.group; ++i)
      lo = std::min(lo, w[i]), hi = std::max(hi, w[i]);
    double s;
    if (enc.symmetric) {
      double half = std::ldexp(1.0, (int)enc.bits - 1);
      s = std::max(-lo / half, hi / (half - 1));
      zero = (int)half;
    } else {
      s = (hi - lo) / ((1 << enc.bits) - 1);
      zero = s > 0 ? (int)std::clamp<double>(std::nearbyint(-lo / s), 0, (1 << enc.bits) - 1)
                   : 0;
    }
    scale = roundToHalf((float)s);
  };
  std::vector<float> out(rows * cols);
  const int64_t groups = cols / enc.group;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> w(weight.begin() + r * cols, weight.begin() + (r + 1) * cols);
    std::vector<double> scale(groups);
    std::vector<int> zero(groups);
    if (actOrder)
      for (int64_t g = 0; g < groups; ++g)
        fitScale(&w[g * enc.group], scale[g], zero[g]);
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = perm[i], g = c / enc.group;
      if (!actOrder && c % enc.group == 0)
        fitScale(&w[c], scale[g], zero[g]);
      int64_t code = zero[g];
      if (scale[g] > 0)
        code = (int64_t)std::clamp<double>(std::nearbyint(w[c] / scale[g]) + zero[g], 0,
                                           (1 << enc.bits) - 1);
      double q = (float)(code - zero[g]) * (float)scale[g];
      out[r * cols + c] = (float)q;
      double e = (w[c] - q) / u[i * n + i];
      for (int64_t j = i + 1; j < n; ++j)
        w[perm[j]] -= e * u[i * n + j];
    }
  }
  return out;
}
} // namespace

TEST(Quantize, GptqMatchesAlgorithmOne) {
  // Group and block sizes chosen so that groups start inside a lazy block
  // and end past it (48 over blocks of 32), line up with blocks (64 / 128),
  // and are larger than a block (96 over 32).
  const int64_t rows = 16, cols = 192;
  std::vector<float> w = randomWeight(rows, cols, 41);
  std::vector<float> h = correlatedHessian(cols, 42);
  struct Case {
    UniformEncoding enc;
    int64_t block;
    bool actOrder;
    double dampening;
  } cases[] = {
      {{3, 64, true}, 128, false, 0.01},  {{3, 48, true}, 32, false, 0.01},
      {{4, 96, false}, 32, false, 0.01},  {{3, 64, false}, 128, false, 0.1},
      {{3, 64, true}, 128, true, 0.01},   {{2, 48, false}, 32, true, 0.01},
      {{3, 192, true}, 64, false, 0.01},
  };
  for (const Case &c : cases) {
    QuantizeOptions o;
    o.hessian = h.data();
    o.blockSize = c.block;
    o.actOrder = c.actOrder;
    o.dampening = c.dampening;
    std::vector<float> lib =
        decodeWeight(c.enc, llvm::cantFail(quantizeWeight(w.data(), rows, cols, c.enc, o)));
    std::vector<float> ref = referenceGptq(w, rows, cols, h, c.enc, c.dampening, c.actOrder);
    double libLoss = layerLoss(w.data(), lib.data(), rows, cols, h.data());
    double refLoss = layerLoss(w.data(), ref.data(), rows, cols, h.data());
    int64_t differ = 0;
    for (size_t i = 0; i < lib.size(); ++i)
      differ += lib[i] != ref[i];
    std::string what = "bits " + std::to_string(c.enc.bits) + " group " +
                       std::to_string(c.enc.group) + " block " + std::to_string(c.block) +
                       (c.actOrder ? " act-order" : "");
    EXPECT_EQ(differ, 0) << what;
    EXPECT_NEAR(libLoss, refLoss, 1e-6 * refLoss) << what;
    // And GPTQ beats round-to-nearest on the loss it minimises.
    QuantizeOptions rtn;
    rtn.algorithm = QuantizeOptions::Algorithm::RTN;
    std::vector<float> rtnW =
        decodeWeight(c.enc, llvm::cantFail(quantizeWeight(w.data(), rows, cols, c.enc, rtn)));
    EXPECT_LT(libLoss, layerLoss(w.data(), rtnW.data(), rows, cols, h.data())) << what;
  }
}
