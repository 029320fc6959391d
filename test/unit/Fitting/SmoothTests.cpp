//===- SmoothTests.cpp - QQQ smoothing search ----------------------------------===//
#include "lq/Fitting/FPT.h"
#include "lq/Fitting/Smooth.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace lq;

namespace {

/// Activations with a few outlier channels (the case smoothing is for) and
/// a weight with ordinary columns.
struct Layer {
  int64_t tokens = 256, cols = 64, rows = 48;
  std::vector<double> x, w;
  std::vector<float> wf, h;
  std::vector<double> absmax;
  explicit Layer(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal;
    x.resize(tokens * cols);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t c = 0; c < cols; ++c)
        x[t * cols + c] = normal(rng) * (c % 16 == 5 ? 40.0 : 1.0);
    w.resize(rows * cols);
    for (auto &v : w)
      v = 0.1 * normal(rng);
    wf.assign(w.begin(), w.end());
    h.assign(cols * cols, 0.0f);
    std::vector<double> hd(cols * cols, 0.0);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j)
          hd[i * cols + j] += x[t * cols + i] * x[t * cols + j];
    h.assign(hd.begin(), hd.end());
    absmax.assign(cols, 0.0);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t c = 0; c < cols; ++c)
        absmax[c] = std::max(absmax[c], std::abs(x[t * cols + c]));
  }
  SmoothProblem problem(unsigned abits) const {
    SmoothProblem p;
    p.weight = wf.data();
    p.rows = rows;
    p.cols = cols;
    p.hessian = h.data();
    p.actAbsMax = absmax;
    p.tokens = double(tokens);
    p.weightBits = 4;
    p.actBits = abits;
    return p;
  }
  /// The true error ||Q_a(X / s) Q_w(W diag(s))^T - X W^T||^2 on the samples.
  double measuredError(const std::vector<double> &s, unsigned abits) const {
    std::vector<double> ws(rows * cols), xs(tokens * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        ws[r * cols + c] = w[r * cols + c] * s[c];
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t c = 0; c < cols; ++c)
        xs[t * cols + c] = x[t * cols + c] / s[c];
    std::vector<double> wq = fakeQuantizeRows(ws, rows, cols, 4, 0);
    std::vector<double> xq = fakeQuantizeRows(xs, tokens, cols, abits, 0); // per token
    double err = 0;
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        double ref = 0, got = 0;
        for (int64_t c = 0; c < cols; ++c) {
          ref += x[t * cols + c] * w[r * cols + c];
          got += xq[t * cols + c] * wq[r * cols + c];
        }
        err += (got - ref) * (got - ref);
      }
    return err;
  }
};

TEST(FakeQuantizeRows, OnGridWithinHalfStep) {
  std::vector<double> w = {0.3, -1.4, 0.7, 0.05, 2.0, -0.2, 0.1, 0.0};
  std::vector<double> q = fakeQuantizeRows(w, 2, 4, 4, 0);
  for (int64_t r = 0; r < 2; ++r) {
    double m = 0;
    for (int64_t c = 0; c < 4; ++c)
      m = std::max(m, std::abs(w[r * 4 + c]));
    double step = m / 7;
    for (int64_t c = 0; c < 4; ++c) {
      EXPECT_LE(std::abs(q[r * 4 + c] - w[r * 4 + c]), step / 2 + 1e-12);
      double level = q[r * 4 + c] / step;
      EXPECT_NEAR(level, std::nearbyint(level), 1e-9);
    }
  }
  // Groups get their own scale: the small group is exact on its own grid.
  std::vector<double> g = fakeQuantizeRows({7, 0, 0.7, 0.1}, 1, 4, 4, 2);
  EXPECT_DOUBLE_EQ(g[2], 0.7);
  EXPECT_DOUBLE_EQ(g[3], 0.1);
}

TEST(SmoothingLoss, WeightTermIsExactGivenTheHessian) {
  Layer layer(1);
  SmoothProblem p = layer.problem(8);
  std::vector<double> s = migrationScales(layer.absmax, columnAbsMax(layer.wf.data(), 48, 64), 0.5);
  // With 16-bit activations the activation term vanishes and the estimate
  // is the measured error of the quantized weight alone.
  p.actBits = 16;
  double est = smoothingLoss(p, s), real = layer.measuredError(s, 16);
  EXPECT_NEAR(est / real, 1.0, 0.02);
}

TEST(SearchSmoothing, PicksSmoothingForOutliersAndItHelps) {
  Layer layer(2);
  std::vector<double> grid;
  for (int i = 0; i <= 20; ++i)
    grid.push_back(i * 0.05);
  for (unsigned abits : {8u, 4u}) {
    SmoothResult r = searchSmoothing(layer.problem(abits), grid);
    EXPECT_GE(r.alpha, 0.0) << "a4/a8 with 40x outliers must smooth";
    EXPECT_LT(r.loss, r.identityLoss);
    double identity = layer.measuredError(std::vector<double>(64, 1.0), abits);
    double smoothed = layer.measuredError(r.scales, abits);
    EXPECT_LT(smoothed, 0.7 * identity) << "abits " << abits;
    // The estimate is an upper bound-ish proxy but within an order of magnitude.
    EXPECT_LT(r.loss, 10 * smoothed);
    EXPECT_GT(r.loss, 0.1 * smoothed);
  }
}

TEST(SearchSmoothing, NeverAboveIdentity) {
  // Whatever the grid, the identity is a candidate: the chosen loss never
  // exceeds it, and an empty grid keeps the identity.
  Layer layer(3);
  for (int64_t r = 0; r < layer.rows; ++r)
    layer.wf[r * layer.cols + 7] *= 50;
  SmoothProblem p = layer.problem(8);
  for (double alpha : {0.0, 0.3, 0.9, 1.0}) {
    SmoothResult r = searchSmoothing(p, {alpha});
    EXPECT_LE(r.loss, r.identityLoss);
    EXPECT_EQ(r.loss, smoothingLoss(p, r.scales));
  }
  SmoothResult none = searchSmoothing(p, {});
  EXPECT_LT(none.alpha, 0.0);
  EXPECT_EQ(none.scales, std::vector<double>(64, 1.0));
}

TEST(SearchSmoothing, TiedChannelsShareAScale) {
  Layer layer(4);
  SmoothProblem p = layer.problem(4);
  // Channels j and j + 32 tied (as two query heads reading one value head).
  p.tie.resize(64);
  for (int64_t j = 0; j < 64; ++j)
    p.tie[j] = j % 32;
  SmoothResult r = searchSmoothing(p, {0.25, 0.5, 0.75});
  ASSERT_GE(r.alpha, 0.0);
  for (int64_t j = 0; j < 32; ++j)
    EXPECT_EQ(r.scales[j], r.scales[j + 32]);
  EXPECT_LE(r.loss, r.identityLoss);
}

TEST(SearchSmoothing, SkipsIllConditionedCandidates) {
  Layer layer(2);
  SmoothProblem p = layer.problem(4);
  SmoothResult free = searchSmoothing(p, {1.0});
  ASSERT_GE(free.alpha, 0.0);
  auto [lo, hi] = std::minmax_element(free.scales.begin(), free.scales.end());
  SmoothResult bounded = searchSmoothing(p, {1.0}, 0.5 * (*hi / *lo));
  EXPECT_LT(bounded.alpha, 0.0);
}

} // namespace
