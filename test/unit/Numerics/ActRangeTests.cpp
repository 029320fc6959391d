//===- ActRangeTests.cpp - static activation ranges ----------------------===//
#include "lq/Numerics/ActRange.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace lq;

TEST(ActRange, BinsAreQuarterOctaves) {
  EXPECT_EQ(ActHistogram::bin(0.0f), 0);
  EXPECT_EQ(ActHistogram::bin(1e-30f), 0);
  EXPECT_EQ(ActHistogram::bin(1.0f), -ActHistogram::kMinExp * 4);
  EXPECT_EQ(ActHistogram::bin(1.18f), -ActHistogram::kMinExp * 4);
  EXPECT_EQ(ActHistogram::bin(1.19f), -ActHistogram::kMinExp * 4 + 1);
  EXPECT_EQ(ActHistogram::bin(1e30f), ActHistogram::kBins - 1);
  EXPECT_DOUBLE_EQ(ActHistogram::lower(-ActHistogram::kMinExp * 4), 1.0);
}

TEST(ActRange, ScalingShiftsEachChannel) {
  const int B = ActHistogram::kBins;
  std::vector<float> hist(2 * B, 0.0f);
  hist[0 * B + 80] = 10; // channel 0
  hist[1 * B + 80] = 8;  // channel 1
  hist[1 * B + 0] = 3;   // zeros stay zeros
  // x2 (one octave: 4 bins) and x2^(1/8) (half a bin, split evenly).
  std::vector<float> out = scaleHistograms(hist, {2.0, -std::exp2(0.125)});
  EXPECT_FLOAT_EQ(out[0 * B + 84], 10);
  EXPECT_FLOAT_EQ(out[1 * B + 80], 4);
  EXPECT_FLOAT_EQ(out[1 * B + 81], 4);
  EXPECT_FLOAT_EQ(out[1 * B + 0], 3);
}

TEST(ActRange, ClipChoices) {
  const int B = ActHistogram::kBins;
  std::vector<double> hist(B, 0.0);
  // 10^5 Laplace-like values around 1 and a few far outliers at ~100.
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> laplace(1.0);
  for (int i = 0; i < 100000; ++i)
    hist[ActHistogram::bin((float)laplace(rng))] += 1;
  hist[ActHistogram::bin(100.0f)] += 3;
  EXPECT_EQ(chooseClip(hist, 100.0, 8, RangeMethod::AbsMax, 0), 100.0);
  EXPECT_EQ(chooseClip(hist, 0.0, 8, RangeMethod::MSE, 0), 0.0);
  // The median of Exp(1) is ln 2; the 99.99th percentile about 9.2.
  EXPECT_NEAR(chooseClip(hist, 100.0, 8, RangeMethod::Percentile, 50), std::log(2.0), 0.05);
  EXPECT_NEAR(chooseClip(hist, 100.0, 8, RangeMethod::Percentile, 99.99), 9.2, 1.5);
  // MSE clips below the outliers, harder with fewer bits.
  double mse8 = chooseClip(hist, 100.0, 8, RangeMethod::MSE, 0);
  double mse4 = chooseClip(hist, 100.0, 4, RangeMethod::MSE, 0);
  EXPECT_LT(mse8, 100.0);
  EXPECT_LT(mse4, mse8);
  EXPECT_GT(mse4, 1.0);
}
