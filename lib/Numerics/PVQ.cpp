//===- PVQ.cpp - Pyramid vector quantization ---------------------------------===//
#include "lq/Numerics/PVQ.h"

#include "llvm/ADT/bit.h"

#include <cmath>
#include <cstdlib>

namespace lq {

namespace {
constexpr uint64_t kSaturated = ~uint64_t(0);

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? kSaturated : r;
}

/// N(d, k) for d <= dim, k <= pulses, saturated at 2^64 - 1 (an entry that
/// saturates makes every larger one saturate, so checking N(dim, pulses)
/// suffices).
std::vector<uint64_t> buildTable(int64_t dim, int64_t pulses) {
  int64_t width = pulses + 1;
  std::vector<uint64_t> t((dim + 1) * width, 0);
  t[0] = 1;
  for (int64_t d = 1; d <= dim; ++d) {
    t[d * width] = 1;
    for (int64_t k = 1; k <= pulses; ++k)
      t[d * width + k] = saturatingAdd(
          saturatingAdd(t[(d - 1) * width + k], t[(d - 1) * width + k - 1]), t[d * width + k - 1]);
  }
  return t;
}

llvm::Error checkRange(int64_t dim, int64_t pulses) {
  if (dim < 1 || dim > 4096)
    return llvm::createStringError("pvq dim must be in [1, 4096], got %lld", (long long)dim);
  if (pulses < 1 || pulses > 4096)
    return llvm::createStringError("pvq pulses must be in [1, 4096], got %lld",
                                   (long long)pulses);
  return llvm::Error::success();
}
} // namespace

llvm::Expected<uint64_t> pvqCodebookSize(int64_t dim, int64_t pulses) {
  if (dim == 0 || pulses == 0) // the recursion's boundary, used by decoders.
    return (dim >= 0 && pulses >= 0 && pulses == 0) ? 1 : 0;
  if (llvm::Error e = checkRange(dim, pulses))
    return std::move(e);
  uint64_t n = buildTable(dim, pulses).back();
  if (n == kSaturated)
    return llvm::createStringError("N(%lld, %lld) pyramid points do not fit a 64-bit index",
                                   (long long)dim, (long long)pulses);
  return n;
}

llvm::Expected<unsigned> pvqIndexBits(int64_t dim, int64_t pulses) {
  if (llvm::Error e = checkRange(dim, pulses))
    return std::move(e);
  llvm::Expected<uint64_t> n = pvqCodebookSize(dim, pulses);
  if (!n)
    return n.takeError();
  if (*n <= 2)
    return 1u;
  return 64u - (unsigned)llvm::countl_zero(*n - 1);
}

llvm::Expected<PVQCodebook> PVQCodebook::create(int64_t dim, int64_t pulses) {
  llvm::Expected<uint64_t> n = pvqCodebookSize(dim, pulses);
  if (!n)
    return n.takeError();
  return PVQCodebook(dim, pulses, buildTable(dim, pulses));
}

uint64_t PVQCodebook::encode(const int32_t *y) const {
  uint64_t index = 0;
  int64_t k = pulses_;
  for (int64_t i = 0; i < dim_; ++i) {
    int64_t rest = dim_ - 1 - i;
    int64_t m = std::abs(y[i]);
    if (m == 0)
      continue;
    index += count(rest, k); // past the y_i = 0 block
    for (int64_t j = 1; j < m; ++j)
      index += 2 * count(rest, k - j);
    if (y[i] < 0)
      index += count(rest, k - m);
    k -= m;
  }
  return index;
}

void PVQCodebook::decode(uint64_t index, int32_t *y) const {
  int64_t k = pulses_;
  for (int64_t i = 0; i < dim_; ++i) {
    int64_t rest = dim_ - 1 - i;
    y[i] = 0;
    uint64_t zeroBlock = count(rest, k);
    if (index < zeroBlock)
      continue;
    index -= zeroBlock;
    for (int64_t m = 1; m <= k; ++m) {
      uint64_t block = count(rest, k - m);
      if (index < block) {
        y[i] = (int32_t)m;
        break;
      }
      index -= block;
      if (index < block) {
        y[i] = -(int32_t)m;
        break;
      }
      index -= block;
    }
    k -= std::abs(y[i]);
  }
}

void pvqSearch(const float *x, int64_t dim, int64_t pulses, int32_t *y) {
  double l1 = 0;
  for (int64_t i = 0; i < dim; ++i)
    l1 += std::fabs(x[i]);
  for (int64_t i = 0; i < dim; ++i)
    y[i] = 0;
  if (!(l1 > 0) || !std::isfinite(l1)) {
    y[0] = (int32_t)pulses;
    return;
  }
  // Work on magnitudes; signs are restored at the end.
  std::vector<double> a(dim);
  std::vector<int64_t> m(dim);
  int64_t used = 0;
  double corr = 0, energy = 0;
  for (int64_t i = 0; i < dim; ++i) {
    a[i] = std::fabs(x[i]);
    m[i] = (int64_t)std::floor(pulses * a[i] / l1);
    used += m[i];
  }
  while (used > pulses) { // rounding noise only
    int64_t i = 0;
    while (m[i] == 0)
      ++i;
    --m[i], --used;
  }
  for (int64_t i = 0; i < dim; ++i)
    corr += a[i] * m[i], energy += (double)m[i] * m[i];
  // Greedy: each remaining pulse where it most raises corr^2 / energy.
  for (; used < pulses; ++used) {
    int64_t best = 0;
    double bestCorr = -1, bestEnergy = 1;
    for (int64_t i = 0; i < dim; ++i) {
      double c = corr + a[i], e = energy + 2.0 * m[i] + 1;
      if (c * c * bestEnergy > bestCorr * bestCorr * e || bestCorr < 0)
        best = i, bestCorr = c, bestEnergy = e;
    }
    corr = bestCorr, energy = bestEnergy;
    ++m[best];
  }
  // Local search: move one pulse i -> j while that improves the cosine.
  for (int iter = 0; iter < 4 * dim; ++iter) {
    int64_t bi = -1, bj = -1;
    double bestCorr = corr, bestEnergy = energy;
    for (int64_t i = 0; i < dim; ++i) {
      if (m[i] == 0)
        continue;
      for (int64_t j = 0; j < dim; ++j) {
        if (j == i)
          continue;
        double c = corr - a[i] + a[j];
        double e = energy - 2.0 * m[i] + 1 + 2.0 * m[j] + 1;
        if (c > 0 && c * c * bestEnergy > bestCorr * bestCorr * e * (1 + 1e-12))
          bi = i, bj = j, bestCorr = c, bestEnergy = e;
      }
    }
    if (bi < 0)
      break;
    --m[bi], ++m[bj];
    corr = bestCorr, energy = bestEnergy;
  }
  for (int64_t i = 0; i < dim; ++i)
    y[i] = (int32_t)(x[i] < 0 ? -m[i] : m[i]);
}

void pvqSearchExhaustive(const PVQCodebook &book, const float *x, int32_t *y) {
  std::vector<int32_t> cand(book.dim());
  double bestCos = -2;
  for (uint64_t idx = 0; idx < book.size(); ++idx) {
    book.decode(idx, cand.data());
    double c = 0, e = 0;
    for (int64_t i = 0; i < book.dim(); ++i)
      c += (double)x[i] * cand[i], e += (double)cand[i] * cand[i];
    double cosine = c / std::sqrt(e);
    if (cosine > bestCos + 1e-12) {
      bestCos = cosine;
      std::copy(cand.begin(), cand.end(), y);
    }
  }
}

} // namespace lq
