//===- PVQTests.cpp - pyramid enumeration and search --------------------------===//
#include "lq/Numerics/PVQ.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <set>

using namespace lq;

TEST(PVQ, CodebookSizeKnownValues) {
  // N(D, K) = sum_i 2^i C(D, i) C(K-1, i-1).
  EXPECT_EQ(*pvqCodebookSize(1, 5), 2u);
  EXPECT_EQ(*pvqCodebookSize(2, 1), 4u);
  EXPECT_EQ(*pvqCodebookSize(2, 2), 8u);
  EXPECT_EQ(*pvqCodebookSize(3, 2), 18u);
  EXPECT_EQ(*pvqCodebookSize(4, 4), 192u);
  EXPECT_EQ(*pvqCodebookSize(8, 4), 2816u);
  EXPECT_EQ(*pvqIndexBits(8, 4), 12u);
  EXPECT_EQ(*pvqIndexBits(2, 1), 2u);
  EXPECT_EQ(*pvqIndexBits(1, 1), 1u);
}

TEST(PVQ, CodebookSizeMatchesClosedForm) {
  auto binom = [](int64_t n, int64_t k) -> double {
    if (k < 0 || k > n)
      return 0;
    double r = 1;
    for (int64_t i = 1; i <= k; ++i)
      r = r * (n - k + i) / i;
    return r;
  };
  for (int64_t d = 1; d <= 12; ++d)
    for (int64_t k = 1; k <= 12; ++k) {
      double expected = 0;
      for (int64_t i = 1; i <= std::min(d, k); ++i)
        expected += std::ldexp(1.0, (int)i) * binom(d, i) * binom(k - 1, i - 1);
      EXPECT_EQ((double)*pvqCodebookSize(d, k), expected) << d << "," << k;
    }
}

TEST(PVQ, OverflowIsAnErrorNotAWrap) {
  llvm::Expected<uint64_t> n = pvqCodebookSize(64, 64);
  ASSERT_FALSE(n);
  EXPECT_NE(llvm::toString(n.takeError()).find("64-bit"), std::string::npos);
  llvm::Expected<unsigned> bits = pvqIndexBits(0, 3);
  ASSERT_FALSE(bits);
  llvm::consumeError(bits.takeError());
}

TEST(PVQ, EnumerationIsABijectionForSmallPyramids) {
  for (int64_t d = 1; d <= 6; ++d)
    for (int64_t k = 1; k <= 6; ++k) {
      PVQCodebook book = llvm::cantFail(PVQCodebook::create(d, k));
      std::set<std::vector<int32_t>> seen;
      std::vector<int32_t> y(d);
      for (uint64_t i = 0; i < book.size(); ++i) {
        book.decode(i, y.data());
        int64_t l1 = 0;
        for (int32_t v : y)
          l1 += std::abs(v);
        ASSERT_EQ(l1, k) << "index " << i << " of P(" << d << "," << k << ")";
        ASSERT_EQ(book.encode(y.data()), i);
        seen.insert(y);
      }
      EXPECT_EQ(seen.size(), book.size());
    }
}

TEST(PVQ, EnumerationOrderFollowsTheLayoutContract) {
  // P(2, 1): y0 = 0 block first ((0,1), (0,-1)), then y0 = +1, then y0 = -1.
  PVQCodebook book = llvm::cantFail(PVQCodebook::create(2, 1));
  int32_t y[2];
  const int32_t expected[4][2] = {{0, 1}, {0, -1}, {1, 0}, {-1, 0}};
  for (int i = 0; i < 4; ++i) {
    book.decode(i, y);
    EXPECT_EQ(y[0], expected[i][0]);
    EXPECT_EQ(y[1], expected[i][1]);
  }
}

TEST(PVQ, RandomLargePyramidsRoundTrip) {
  std::mt19937_64 rng(3);
  for (auto [d, k] : {std::pair<int64_t, int64_t>{16, 10}, {32, 12}, {8, 40}, {24, 16}}) {
    PVQCodebook book = llvm::cantFail(PVQCodebook::create(d, k));
    std::vector<int32_t> y(d), back(d);
    for (int t = 0; t < 2000; ++t) {
      uint64_t index = rng() % book.size();
      book.decode(index, y.data());
      ASSERT_EQ(book.encode(y.data()), index);
      // And from a random pyramid point.
      std::fill(y.begin(), y.end(), 0);
      for (int64_t p = 0; p < k; ++p)
        y[rng() % d] += 1;
      for (auto &v : y)
        if (rng() & 1)
          v = -v;
      book.decode(book.encode(y.data()), back.data());
      ASSERT_EQ(back, y);
    }
  }
}

TEST(PVQ, SearchIsOptimalOnSmallPyramids) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  int trials = 0, optimal = 0;
  double worst = 0;
  for (int64_t d : {2, 3, 4, 6, 8})
    for (int64_t k : {1, 2, 3, 5, 8}) {
      PVQCodebook book = llvm::cantFail(PVQCodebook::create(d, k));
      if (book.size() > 200000)
        continue;
      std::vector<float> x(d);
      std::vector<int32_t> greedy(d), best(d);
      for (int t = 0; t < 100; ++t) {
        for (auto &v : x)
          v = normal(rng);
        pvqSearch(x.data(), d, k, greedy.data());
        pvqSearchExhaustive(book, x.data(), best.data());
        auto cosine = [&](const std::vector<int32_t> &y) {
          double c = 0, e = 0, xx = 0;
          for (int64_t i = 0; i < d; ++i)
            c += x[i] * y[i], e += (double)y[i] * y[i], xx += (double)x[i] * x[i];
          return c / std::sqrt(e * xx);
        };
        int64_t l1 = 0;
        for (int32_t v : greedy)
          l1 += std::abs(v);
        ASSERT_EQ(l1, k);
        double gap = cosine(best) - cosine(greedy);
        ASSERT_GE(gap, -1e-9);
        worst = std::max(worst, gap);
        ++trials;
        optimal += gap < 1e-9;
      }
    }
  // Projection + greedy + pulse moves finds the exhaustive optimum in
  // (nearly) every case; a miss costs almost nothing.
  EXPECT_GE(optimal, trials * 995 / 1000) << optimal << "/" << trials;
  EXPECT_LT(worst, 5e-3);
}
