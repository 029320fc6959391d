//===- GPULayoutTests.cpp - device weight layouts, checked on the host ------===//
//
// The GPU kernels' correctness tests need a GPU; these check, on any
// machine, that the packed PVQ blob together with the kernel's decoding
// algorithm (restated here from docs/GPULayout.md) gives back every
// codeword of the weight it was packed from.
//
//===----------------------------------------------------------------------===//
#include "lq/Numerics/Packing.h"
#include "lq/Numerics/PVQ.h"
#include "lq/Runtime/GPULayout.h"

#include "llvm/ADT/bit.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cstring>
#include <random>

using namespace lq;

namespace {

/// lq_pvq_gemv's decoding of one index: a fixed-probe binary search of the
/// block starts per position, the last two positions in closed form.
std::vector<int32_t> kernelDecode(const gpu::PVQBlob &blob, int64_t D, int64_t P,
                                  uint32_t index) {
  std::vector<uint32_t> table(blob.tableWords);
  std::memcpy(table.data(), blob.bytes.data() + blob.tableOffset, 4 * table.size());
  std::vector<int32_t> y(D);
  uint32_t k = (uint32_t)P;
  for (int64_t i = 0; i < D; ++i) {
    int64_t rest = D - 1 - i;
    int32_t yi;
    if (rest == 0) {
      yi = index == 0 ? (int32_t)k : -(int32_t)k;
    } else if (rest == 1) {
      bool isZero = index < 2;
      uint32_t t = index - 2, m = std::min((t >> 2) + 1, k), rem = t & 3;
      bool atK = m == k, neg = atK ? rem != 0 : rem >= 2;
      yi = isZero ? 0 : neg ? -(int32_t)m : (int32_t)m;
      index = isZero ? index : atK ? 0 : rem & 1;
    } else {
      int64_t rowBase = ((rest - 1) * (P + 1) + k) * (P + 2);
      const int64_t n = P + 2, top = (int64_t)llvm::bit_floor(uint64_t(n));
      uint32_t m = 0, begin = 0, end = UINT32_MAX;
      auto probe = [&](uint32_t cand) {
        uint32_t v = table[rowBase + cand];
        bool fits = v <= index;
        m = fits ? cand : m;
        begin = fits ? v : begin;
        end = fits ? end : v;
      };
      if (n > top)
        probe((uint32_t)(n - top));
      for (int64_t stride = top / 2; stride >= 1; stride /= 2)
        probe(m + (uint32_t)stride);
      m = std::min(m, k);
      uint32_t half = (end - begin) >> 1, inPair = index - begin;
      bool neg = m != 0 && inPair >= half;
      yi = neg ? -(int32_t)m : (int32_t)m;
      index = neg ? inPair - half : inPair;
    }
    y[i] = yi;
    k -= (uint32_t)std::abs(yi);
  }
  return y;
}

class PVQLayout : public testing::TestWithParam<std::pair<int64_t, int64_t>> {};

TEST_P(PVQLayout, KernelDecodesEveryPackedGroup) {
  auto [D, P] = GetParam();
  PVQEncoding enc{D, P, 4, D};
  auto why = gpu::checkPVQTiling(enc, 3, D * gpu::pvqGroupsPerLoad(enc) * 69);
  ASSERT_FALSE(why.has_value()) << *why;
  PVQCodebook book = llvm::cantFail(PVQCodebook::create(D, P));
  unsigned bits = llvm::cantFail(pvqIndexBits(D, P));
  const int64_t perLoad = gpu::pvqGroupsPerLoad(enc), rows = 3;
  // 69 words per row: two full passes of 32 lanes and a partial one of 5.
  const int64_t loads = 69, groups = loads * perLoad, cols = groups * D;
  const int64_t ampGroups = cols / enc.ampGroup;
  EncodedWeight w;
  w.rows = rows;
  w.cols = cols;
  int64_t codeBytes = packedBytes(groups, bits), ampBytes = packedBytes(ampGroups, 4);
  w.codes.assign(rows * codeBytes, 0);
  w.amplitudes.assign(rows * ampBytes, 0);
  w.scales.assign(rows, 0x1800); // 2^-9 in fp16
  std::mt19937_64 rng(D * 1000 + P);
  std::vector<uint64_t> indices(rows * groups);
  std::vector<uint8_t> amps(rows * ampGroups);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      // The first and last codewords, then random ones.
      uint64_t index = g == 0 ? 0 : g == 1 ? book.size() - 1 : rng() % book.size();
      indices[r * groups + g] = index;
      putBits(&w.codes[r * codeBytes], g * bits, bits, index);
    }
    for (int64_t a = 0; a < ampGroups; ++a) {
      amps[r * ampGroups + a] = rng() & 15;
      putBits(&w.amplitudes[r * ampBytes], a * 4, 4, amps[r * ampGroups + a]);
    }
  }
  gpu::PVQBlob blob = gpu::packPVQ(enc, w);
  EXPECT_EQ(blob.slotBits, book.size() <= (uint64_t(1) << 16) ? 16 : 32);
  std::vector<int> seen(rows * groups, 0);
  std::vector<int32_t> expected(D);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t word = 0; word < loads; ++word) {
      int64_t pass = word / 32, lane = word % 32, width = std::min<int64_t>(32, loads - pass * 32);
      for (int64_t u = 0; u < perLoad; ++u) {
        int64_t g = pass * 32 * perLoad + u * width + lane;
        ASSERT_LT(g, groups);
        ++seen[r * groups + g];
        uint32_t slot = 0;
        std::memcpy(&slot,
                    blob.bytes.data() + blob.codesOffset +
                        ((r * loads + word) * perLoad + u) * blob.slotBits / 8,
                    blob.slotBits / 8);
        book.decode(indices[r * groups + g], expected.data());
        EXPECT_EQ(kernelDecode(blob, D, P, slot), expected)
            << "row " << r << " group " << g << " index " << indices[r * groups + g];
      }
    }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  for (int64_t r = 0; r < rows; ++r) {
    float step;
    std::memcpy(&step, blob.bytes.data() + blob.stepsOffset + 4 * r, 4);
    EXPECT_EQ(step, 1.0f / 512);
    for (int64_t a = 0; a < ampGroups; ++a)
      EXPECT_EQ(blob.bytes[blob.ampsOffset + r * ampGroups + a], amps[r * ampGroups + a]);
  }
}

INSTANTIATE_TEST_SUITE_P(Codebooks, PVQLayout,
                         testing::Values(std::pair<int64_t, int64_t>{8, 36},
                                         std::pair<int64_t, int64_t>{16, 12},
                                         std::pair<int64_t, int64_t>{8, 6},
                                         std::pair<int64_t, int64_t>{8, 1},
                                         std::pair<int64_t, int64_t>{4, 3},
                                         std::pair<int64_t, int64_t>{2, 5},
                                         std::pair<int64_t, int64_t>{32, 6}));

TEST(PVQLayout, TablesOutgrowingSharedMemoryAreRejected) {
  auto why = gpu::checkPVQTiling(PVQEncoding{4, 64, 4, 8}, 16, 128);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("do not fit 48 KB of shared memory"), std::string::npos) << *why;
}

} // namespace
