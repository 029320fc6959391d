//===- FPTLearnTests.cpp - learned FPT channel scales ---------------------===//
#include "lq/Fitting/FPTLearn.h"
#include "lq/Numerics/ActRange.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace lq;

namespace {

/// Activations with a few outlier channels and a weight with a few large
/// columns: what a closed form balances only approximately.
struct Fixture {
  std::vector<float> x, w;
  ChannelScaleProblem p;
  Fixture(int64_t rows, int64_t cols, int64_t out, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0, 1);
    x.resize(rows * cols);
    w.resize(out * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j)
        x[r * cols + j] = g(rng) * (j % 7 == 3 ? 8.0f : 1.0f) * (r % 5 == 0 ? 3.0f : 1.0f);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t j = 0; j < cols; ++j)
        w[o * cols + j] = g(rng) * (j % 11 == 5 ? 4.0f : 0.3f);
    p.inputs = x.data();
    p.rows = rows;
    p.cols = cols;
    p.weight = w.data();
    p.out = out;
  }
};

std::vector<double> randomLogScales(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  std::vector<double> v(n);
  for (double &x : v)
    x = u(rng);
  return v;
}

/// Central differences of the frozen-rounding loss against the gradient.
void checkGradient(const ChannelScaleProblem &p, const std::vector<double> &logT) {
  std::vector<double> grad;
  double loss = channelScaleLoss(p, logT, &grad);
  ASSERT_TRUE(std::isfinite(loss));
  ASSERT_EQ((int64_t)grad.size(), p.numParams());
  EXPECT_NEAR(channelScaleFrozenLoss(p, logT, logT), loss, 1e-4 * loss);
  double gradNorm = 0;
  for (double g : grad)
    gradNorm = std::max(gradNorm, std::abs(g));
  ASSERT_GT(gradNorm, 0);
  const double h = 1e-3;
  for (int64_t i = 0; i < p.numParams(); ++i) {
    std::vector<double> plus = logT, minus = logT;
    plus[i] += h;
    minus[i] -= h;
    double fd = (channelScaleFrozenLoss(p, plus, logT) - channelScaleFrozenLoss(p, minus, logT)) /
                (2 * h);
    // Float arithmetic: compare against the gradient's scale.
    EXPECT_NEAR(grad[i], fd, 2e-3 * gradNorm + 1e-3 * std::abs(fd)) << "parameter " << i;
  }
}

TEST(ChannelScaleLoss, GradientMatchesFiniteDifferencesOfTheFrozenRounding) {
  Fixture f(48, 32, 12, 1);
  f.p.weightGroup = 16;
  checkGradient(f.p, randomLogScales(32, 2));
}

TEST(ChannelScaleLoss, GradientWithTiedChannels) {
  Fixture f(40, 32, 10, 3);
  for (int64_t j = 0; j < 32; ++j)
    f.p.tie.push_back(j % 8); // four "query heads" sharing 8 value channels
  checkGradient(f.p, randomLogScales(8, 4));
}

TEST(ChannelScaleLoss, GradientThroughTheOnlineHadamard) {
  Fixture f(40, 32, 12, 5);
  f.p.hadamardBlock = 16;
  f.p.weightGroup = 16;
  checkGradient(f.p, randomLogScales(32, 6));
}

TEST(ChannelScaleLoss, GradientWithStaticActivationRanges) {
  Fixture f(48, 32, 12, 21);
  f.p.actStatic = true;
  f.p.weightGroup = 16;
  checkGradient(f.p, randomLogScales(32, 22));
  f.p.hadamardBlock = 16;
  checkGradient(f.p, randomLogScales(32, 23));
}

TEST(ChannelScaleLoss, StaticRangesClipAsLqQuantizeActivations) {
  // 16-bit weights: the loss is the activations' error alone, against one
  // step from the MSE clip of the whole tensor's histogram, saturating.
  Fixture f(64, 32, 8, 24);
  f.p.actStatic = true;
  f.p.weightBits = 16;
  std::vector<double> hist(ActHistogram::kBins, 0.0);
  double absMax = 0;
  for (float v : f.x) {
    hist[ActHistogram::bin(std::abs(v))] += 1;
    absMax = std::max(absMax, (double)std::abs(v));
  }
  double clip = chooseClip(hist, absMax, 4, RangeMethod::MSE, 0), step = clip / 7;
  ASSERT_LT(clip, 0.9 * absMax); // the outlier channels saturate
  std::vector<float> q(f.x.size());
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = float(std::clamp(std::nearbyint(f.x[i] / step), -7.0, 7.0) * step);
  double expected = 0;
  for (int64_t r = 0; r < 64; ++r)
    for (int64_t o = 0; o < 8; ++o) {
      double e = 0;
      for (int64_t j = 0; j < 32; ++j)
        e += double(q[r * 32 + j] - f.x[r * 32 + j]) * f.w[o * 32 + j];
      expected += e * e / (64 * 8);
    }
  double loss = channelScaleLoss(f.p, std::vector<double>(32, 0.0), nullptr);
  EXPECT_NEAR(loss, expected, 1e-3 * expected);
  f.p.actStatic = false; // per-token steps: another loss
  EXPECT_GT(std::abs(channelScaleLoss(f.p, std::vector<double>(32, 0.0), nullptr) - expected),
            0.05 * expected);
}

TEST(ChannelScaleLoss, FunctionPreservingWithoutQuantizationNoise) {
  // 16 bits: the loss is nearly zero whatever the scales (x W^T preserved).
  Fixture f(16, 32, 8, 7);
  f.p.actBits = f.p.weightBits = 16;
  f.p.hadamardBlock = 32;
  double scale = 0;
  for (float v : f.x)
    scale = std::max(scale, (double)std::abs(v));
  EXPECT_LT(channelScaleLoss(f.p, randomLogScales(32, 8), nullptr), 1e-6 * scale * scale);
}

TEST(HadamardRows, IsOrthonormalAndItsOwnInverse) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8}, y = x;
  hadamardRows(y.data(), 1, 8, 4);
  // First block: H4 [1 2 3 4] / 2 = [5, -1, -2, 0].
  EXPECT_FLOAT_EQ(y[0], 5);
  EXPECT_FLOAT_EQ(y[1], -1);
  EXPECT_FLOAT_EQ(y[2], -2);
  EXPECT_NEAR(y[3], 0, 1e-6);
  hadamardRows(y.data(), 1, 8, 4);
  for (int i = 0; i < 8; ++i)
    EXPECT_NEAR(y[i], x[i], 1e-5);
}

TEST(LearnChannelScales, LowersTheLossFromTheClosedForm) {
  Fixture f(128, 64, 24, 9);
  f.p.weightGroup = 32;
  std::vector<double> init = closedFormLogScales(f.p);
  ChannelScaleOptions o;
  o.steps = 100;
  ChannelScaleResult r = learnChannelScales(f.p, init, o);
  EXPECT_DOUBLE_EQ(r.initialLoss, channelScaleLoss(f.p, init, nullptr));
  EXPECT_NEAR(r.loss, channelScaleLoss(f.p, r.logScales, nullptr), 1e-9 * r.loss);
  EXPECT_GT(r.bestStep, 0);
  EXPECT_LT(r.loss, 0.9 * r.initialLoss);
}

TEST(LearnChannelScales, LowersTheStaticRangeLossFromTheClosedForm) {
  Fixture f(128, 64, 24, 25);
  f.p.weightGroup = 32;
  f.p.actStatic = true;
  std::vector<double> init = closedFormLogScales(f.p);
  ChannelScaleOptions o;
  o.steps = 100;
  ChannelScaleResult r = learnChannelScales(f.p, init, o);
  EXPECT_DOUBLE_EQ(r.initialLoss, channelScaleLoss(f.p, init, nullptr));
  EXPECT_GT(r.bestStep, 0);
  EXPECT_LT(r.loss, 0.9 * r.initialLoss);
}

TEST(LearnChannelScales, HeldOutRowsChooseTheIterate) {
  Fixture f(128, 64, 24, 13);
  f.p.weightGroup = 32;
  ChannelScaleOptions o;
  o.steps = 60;
  o.validationFraction = 0.25;
  std::vector<double> init = closedFormLogScales(f.p);
  ChannelScaleResult r = learnChannelScales(f.p, init, o);
  // The reported losses are the last 32 rows'.
  ChannelScaleProblem held = f.p;
  held.inputs = f.x.data() + 96 * 64;
  held.rows = 32;
  EXPECT_NEAR(r.initialLoss, channelScaleLoss(held, init, nullptr), 1e-9 * r.initialLoss);
  EXPECT_NEAR(r.loss, channelScaleLoss(held, r.logScales, nullptr), 1e-9 * r.loss);
  EXPECT_LE(r.loss, r.initialLoss);
}

TEST(LearnChannelScales, ZeroStepsKeepTheInitialScales) {
  Fixture f(16, 16, 4, 11);
  std::vector<double> init = randomLogScales(16, 12);
  ChannelScaleOptions o;
  o.steps = 0;
  ChannelScaleResult r = learnChannelScales(f.p, init, o);
  EXPECT_EQ(r.logScales, init);
  EXPECT_EQ(r.bestStep, 0);
  EXPECT_DOUBLE_EQ(r.loss, r.initialLoss);
}

} // namespace
