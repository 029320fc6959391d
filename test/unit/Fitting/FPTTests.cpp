//===- FPTTests.cpp - fitting function-preserving transforms ------------------===//
#include "lq/Fitting/FPT.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace lq;

namespace {

std::vector<double> randomVector(int64_t n, unsigned seed, double lo = -1, double hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto &x : v)
    x = u(rng);
  return v;
}

double rangeProduct(const std::vector<double> &a, const std::vector<double> &w,
                    const std::vector<double> &s) {
  double ra = 0, rw = 0;
  for (size_t j = 0; j < a.size(); ++j) {
    ra = std::max(ra, a[j] / s[j]);
    rw = std::max(rw, w[j] * s[j]);
  }
  return ra * rw;
}

TEST(MigrationScales, HalfAlphaAttainsTheRangeProductBound) {
  std::vector<double> a = randomVector(64, 1, 0.01, 1), w = randomVector(64, 2, 0.01, 1);
  a[3] = 40;   // an outlier activation channel
  w[3] = 0.02; // ... whose weight column is small
  std::vector<double> s = migrationScales(a, w, 0.5);
  double bound = 0;
  for (size_t j = 0; j < a.size(); ++j)
    bound = std::max(bound, a[j] * w[j]);
  EXPECT_NEAR(rangeProduct(a, w, s), bound, 1e-9 * bound);
  // No other scale does better, and identity is much worse here.
  std::mt19937 rng(3);
  std::lognormal_distribution<double> jitter(0, 0.3);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> t = s;
    for (auto &v : t)
      v *= jitter(rng);
    EXPECT_GE(rangeProduct(a, w, t), bound * (1 - 1e-12));
  }
  EXPECT_GT(rangeProduct(a, w, std::vector<double>(64, 1.0)), 5 * bound);
  double logSum = 0;
  for (double v : s)
    logSum += std::log(v);
  EXPECT_NEAR(logSum, 0.0, 1e-9);
}

TEST(MigrationScales, FormulaAndDegenerateInputs) {
  std::vector<double> a = {4, 1}, w = {1, 4};
  std::vector<double> s = migrationScales(a, w, 0.75);
  // s_j ~ a^0.75 / w^0.25: ratio (4^0.75 / 1) / (1 / 4^0.25) = 4.
  EXPECT_NEAR(s[0] / s[1], 4.0, 1e-12);
  EXPECT_NEAR(s[0] * s[1], 1.0, 1e-12);
  // A dead channel gets a finite scale; all-zero ranges give identity.
  std::vector<double> dead = migrationScales({0, 1}, {1, 1}, 0.5);
  EXPECT_TRUE(std::isfinite(dead[0]) && dead[0] > 0);
  EXPECT_EQ(migrationScales({0, 0}, {1, 1}, 0.5), (std::vector<double>{1, 1}));
}

TEST(ConditionNumber, KnownMatrices) {
  EXPECT_NEAR(conditionNumber({1, 0, 0, 10}, 2), 10.0, 1e-9);
  double c = std::cos(0.3), s = std::sin(0.3);
  EXPECT_NEAR(conditionNumber({c, -s, s, c}, 2), 1.0, 1e-9);
  EXPECT_NEAR(conditionNumber({2 * c, -2 * s, 5 * s, 5 * c}, 2), 2.5, 1e-9);
  EXPECT_TRUE(std::isinf(conditionNumber({1, 2, 2, 4}, 2)));
  EXPECT_TRUE(std::isinf(conditionNumber({1, NAN, 0, 1}, 2)));
  // A Hilbert matrix is famously ill-conditioned: kappa(H_6) ~ 1.5e7.
  std::vector<double> h(36);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      h[i * 6 + j] = 1.0 / (i + j + 1);
  EXPECT_NEAR(conditionNumber(h, 6) / 1.495105864e7, 1.0, 1e-3);
}

TEST(InvertMatrix, ProductIsIdentity) {
  int64_t n = 12;
  std::vector<double> m = randomVector(n * n, 5);
  std::vector<double> inv = invertMatrix(m, n);
  ASSERT_EQ((int64_t)inv.size(), n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t k = 0; k < n; ++k)
        dot += m[i * n + k] * inv[k * n + j];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-10);
    }
  EXPECT_TRUE(invertMatrix({1, 2, 2, 4}, 2).empty());
}

/// Row-vector product x M for a d x d matrix.
std::vector<double> times(const std::vector<double> &x, const std::vector<double> &m, int64_t d) {
  std::vector<double> y(d, 0.0);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < d; ++j)
      y[j] += x[i] * m[i * d + j];
  return y;
}

/// RoPE at position p with the model's frequencies.
std::vector<double> rope(const std::vector<double> &x, int64_t d, RopePairing pairing, int64_t p) {
  std::vector<double> y = x;
  for (int64_t i = 0; i < d / 2; ++i) {
    auto [a, b] = ropePair(pairing, d, i);
    double angle = p * std::pow(10000.0, -2.0 * i / d);
    y[a] = x[a] * std::cos(angle) - x[b] * std::sin(angle);
    y[b] = x[b] * std::cos(angle) + x[a] * std::sin(angle);
  }
  return y;
}

class PreRope : public ::testing::TestWithParam<RopePairing> {};

TEST_P(PreRope, PreservesScoresAndCommutesWithRope) {
  RopePairing pairing = GetParam();
  int64_t d = 16;
  std::vector<double> kmax = randomVector(d, 7, 0.1, 2);
  kmax[1] = 30; // an outlier key channel
  // Second moments of correlated keys.
  std::vector<double> mix = randomVector(d * d, 8);
  std::vector<double> s(d * d, 0.0);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < d; ++j)
      for (int64_t k = 0; k < d; ++k)
        s[i * d + j] += mix[k * d + i] * mix[k * d + j] * (k == 1 ? 20 : 1);
  PreRopeFit fit = fitPreRope(kmax, s, d, pairing);
  std::vector<double> mk = preRopeMatrix(fit, d, pairing, false);
  std::vector<double> mq = preRopeMatrix(fit, d, pairing, true);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> q = randomVector(d, 100 + trial), k = randomVector(d, 200 + trial);
    int64_t pq = trial * 7, pk = trial * 3;
    double ref = 0, got = 0;
    std::vector<double> rq = rope(q, d, pairing, pq), rk = rope(k, d, pairing, pk);
    std::vector<double> tq = rope(times(q, mq, d), d, pairing, pq);
    std::vector<double> tk = rope(times(k, mk, d), d, pairing, pk);
    for (int64_t i = 0; i < d; ++i) {
      ref += rq[i] * rk[i];
      got += tq[i] * tk[i];
    }
    EXPECT_NEAR(got, ref, 1e-9 * (1 + std::abs(ref)));
    // Commutes: RoPE(k M) = RoPE(k) M.
    std::vector<double> other = times(rk, mk, d);
    for (int64_t i = 0; i < d; ++i)
      EXPECT_NEAR(tk[i], other[i], 1e-9);
  }
  // Objective: every pair ends at the same range bound c_i r_i.
  double first = 0;
  for (int64_t i = 0; i < d / 2; ++i) {
    auto [a, b] = ropePair(pairing, d, i);
    double r = fit.scales[i] * std::hypot(kmax[a], kmax[b]);
    if (i == 0)
      first = r;
    EXPECT_NEAR(r, first, 1e-9 * first);
  }
  // The angle balances the pre-RoPE variances of each pair: (M^T S M)_aa = _bb.
  std::vector<double> sm(d * d, 0.0);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < d; ++j)
      for (int64_t k = 0; k < d; ++k)
        for (int64_t l = 0; l < d; ++l)
          sm[i * d + j] += mk[k * d + i] * s[k * d + l] * mk[l * d + j];
  for (int64_t i = 0; i < d / 2; ++i) {
    auto [a, b] = ropePair(pairing, d, i);
    EXPECT_NEAR(sm[a * d + a], sm[b * d + b], 1e-9 * (sm[a * d + a] + sm[b * d + b]));
    EXPECT_LE(std::abs(fit.angles[i]), M_PI / 4 + 1e-12);
  }
  // Block scaled rotations: kappa = max c / min c.
  auto [lo, hi] = std::minmax_element(fit.scales.begin(), fit.scales.end());
  EXPECT_NEAR(conditionNumber(mk, d), *hi / *lo, 1e-6 * *hi / *lo);
}

INSTANTIATE_TEST_SUITE_P(Pairings, PreRope,
                         ::testing::Values(RopePairing::Half, RopePairing::Interleaved));

TEST(OutputSecondMoment, MatchesSampledOutputs) {
  int64_t cols = 10, rows = 6, tokens = 50;
  std::vector<double> x = randomVector(tokens * cols, 11);
  std::vector<double> wd = randomVector(rows * cols, 12);
  std::vector<float> w(wd.begin(), wd.end()), h(cols * cols, 0.0f);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        h[i * cols + j] += float(x[t * cols + i] * x[t * cols + j]);
  std::vector<double> s = outputSecondMoment(w.data(), cols, 2, 3, h.data());
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 3; ++b) {
      double ref = 0;
      for (int64_t t = 0; t < tokens; ++t) {
        double ya = 0, yb = 0;
        for (int64_t i = 0; i < cols; ++i) {
          ya += x[t * cols + i] * w[(2 + a) * cols + i];
          yb += x[t * cols + i] * w[(2 + b) * cols + i];
        }
        ref += ya * yb;
      }
      EXPECT_NEAR(s[a * 3 + b], ref, 1e-4 * (1 + std::abs(ref)));
    }
}

} // namespace
