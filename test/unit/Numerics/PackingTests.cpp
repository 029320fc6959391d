//===- PackingTests.cpp - bit streams and fp16 --------------------------------===//
#include "lq/Numerics/Packing.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace lq;

TEST(Packing, BitFieldsRoundTripAtEveryWidth) {
  std::mt19937_64 rng(1);
  for (unsigned width = 1; width <= 64; ++width) {
    const int64_t n = 37;
    std::vector<uint8_t> row(packedBytes(n, width) + 1, 0xA5); // guard byte
    std::vector<uint64_t> values(n);
    uint64_t mask = width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
    std::fill(row.begin(), row.end() - 1, 0);
    for (int64_t i = 0; i < n; ++i) {
      values[i] = rng() & mask;
      putBits(row.data(), i * width, width, values[i]);
    }
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(getBits(row.data(), i * width, width), values[i]) << "width " << width;
    EXPECT_EQ(row.back(), 0xA5) << "wrote past the row at width " << width;
  }
}

TEST(Packing, LsbFirstLayout) {
  std::vector<uint8_t> row(2, 0);
  putBits(row.data(), 0, 4, 0x3);
  putBits(row.data(), 4, 4, 0xC);
  putBits(row.data(), 8, 3, 0x5);
  EXPECT_EQ(row[0], 0xC3);
  EXPECT_EQ(row[1], 0x05);
}

TEST(Packing, HalfConversionMatchesIeee) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToHalf(1e9f), 0x7BFF); // saturates
  EXPECT_EQ(floatToHalf(5.9604645e-08f), 0x0001); // smallest subnormal
  EXPECT_EQ(floatToHalf(0.0f), 0x0000);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: rounds to even (1).
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
  // Every finite half round-trips.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00)
      continue;
    ASSERT_EQ(floatToHalf(halfToFloat((uint16_t)h)), h == 0x8000 ? 0x8000 : h) << h;
  }
}

TEST(Packing, HalfRoundingIsNearest) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1000, 1000);
  for (int i = 0; i < 100000; ++i) {
    float x = dist(rng);
    float r = roundToHalf(x);
    uint16_t h = floatToHalf(x);
    float up = halfToFloat(h + 1), down = halfToFloat(h - 1);
    ASSERT_LE(std::fabs(x - r), std::fabs(x - up)) << x;
    ASSERT_LE(std::fabs(x - r), std::fabs(x - down)) << x;
  }
}
