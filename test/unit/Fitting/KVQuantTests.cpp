//===- KVQuantTests.cpp - KV cache quantization numerics ------------------===//
#include "lq/Fitting/KVQuant.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>

using namespace lq;

namespace {

TEST(KVQuant, FullRangeBoundsTheError) {
  // One token of 8 channels; 4 bits: 15 steps over [min, max].
  std::vector<float> row = {-1.5f, -0.7f, 0.0f, 0.2f, 0.9f, 1.3f, 2.0f, 3.0f};
  std::vector<float> q = row;
  fakeQuantizeKV(q.data(), 1, 8, nullptr, 4, 1.0f);
  // Half a step of rounding, and up to half a step more at the ends from
  // the zero point's own rounding.
  float step = (3.0f - -1.5f) / 15.0f;
  for (size_t c = 0; c < row.size(); ++c)
    EXPECT_LE(std::fabs(q[c] - row[c]), step + 1e-6f) << "channel " << c;
}

TEST(KVQuant, ClipNarrowsTheRangeAndSaturates) {
  std::vector<float> row = {-1.0f, -0.2f, 0.1f, 0.3f, 4.0f, 0.5f, -0.4f, 0.0f};
  std::vector<float> full = row, clipped = row;
  fakeQuantizeKV(full.data(), 1, 8, nullptr, 4, 1.0f);
  fakeQuantizeKV(clipped.data(), 1, 8, nullptr, 4, 0.5f);
  // The outlier saturates near clip * max; the small values get finer steps.
  EXPECT_LE(clipped[4], 2.0f + 1e-5f);
  double fullError = 0, clippedError = 0;
  for (int c : {1, 2, 3, 5, 6})
    fullError += std::fabs(full[c] - row[c]), clippedError += std::fabs(clipped[c] - row[c]);
  EXPECT_LT(clippedError, fullError);
}

TEST(KVQuant, ConstantRowsAndChannelScales) {
  std::vector<float> rows = {0.25f, 0.25f, 0.25f, 0.25f, // constant: scale 1
                             1.0f,  -2.0f, 4.0f,  -8.0f};
  std::vector<float> scale = {1.0f, 2.0f, 4.0f, 8.0f};
  std::vector<float> q = rows;
  fakeQuantizeKV(q.data(), 2, 4, scale.data(), 4, 1.0f);
  // Divided by the scales, the second token is (1, -1, 1, -1): steps of
  // 2/15, each channel's error times its scale.
  for (int c = 4; c < 8; ++c)
    EXPECT_LE(std::fabs(q[c] - rows[c]), 2.0f / 15.0f * scale[c - 4] + 1e-6f) << c;
  for (int c = 0; c < 4; ++c)
    EXPECT_TRUE(std::isfinite(q[c]));
}

TEST(KVQuant, ChannelScaleExponent) {
  std::vector<double> absmax = {1.0, 4.0, 2.0, 8.0};
  // No RoPE (values): range^smooth, geometric mean 1.
  std::vector<double> none = kvChannelScales(absmax, 1, 4, std::nullopt, false, 0.0);
  for (double s : none)
    EXPECT_DOUBLE_EQ(s, 1.0);
  std::vector<double> full = kvChannelScales(absmax, 1, 4, std::nullopt, false, 1.0);
  std::vector<double> half = kvChannelScales(absmax, 1, 4, std::nullopt, false, 0.5);
  for (int c = 0; c < 4; ++c) {
    EXPECT_NEAR(full[c] / full[0], absmax[c] / absmax[0], 1e-12);
    EXPECT_NEAR(half[c] * half[c], full[c], 1e-12);
  }
  // Keys after RoPE: both channels of a pair share hypot(a, b).
  std::vector<double> keys = kvChannelScales(absmax, 1, 4, RopePairing::Half, true, 1.0);
  EXPECT_DOUBLE_EQ(keys[0], keys[2]);
  EXPECT_DOUBLE_EQ(keys[1], keys[3]);
  EXPECT_NEAR(keys[1] / keys[0], std::hypot(4.0, 8.0) / std::hypot(1.0, 2.0), 1e-12);
}

} // namespace
