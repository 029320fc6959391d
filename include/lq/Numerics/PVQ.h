//===- PVQ.h - Pyramid vector quantization ----------------------*- C++ -*-===//
//
// The pyramid P(D, K) = { y in Z^D : sum |y_i| = K }, its size N(D, K), the
// enumeration of its points to indices in [0, N) and back, and the nearest
// point to a direction.
//
// Enumeration order (docs/Layout.md): at each position i, with d dimensions
// and k pulses left, the codewords with y_i = 0 come first (N(d-1, k) of
// them), then for m = 1..k those with y_i = +m and then y_i = -m (N(d-1, k-m)
// each).
//
//===----------------------------------------------------------------------===//
#ifndef LQ_NUMERICS_PVQ_H
#define LQ_NUMERICS_PVQ_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace lq {

/// N(D, K); an error when it exceeds 2^64 - 1 or D, K are out of range.
llvm::Expected<uint64_t> pvqCodebookSize(int64_t dim, int64_t pulses);
/// ceil(log2 N(D, K)) bits per index (at least 1); an error when over 64.
llvm::Expected<unsigned> pvqIndexBits(int64_t dim, int64_t pulses);

/// The N(d, k) table for d <= dim, k <= pulses, with encode and decode.
class PVQCodebook {
public:
  /// Fails when N(dim, pulses) does not fit 64 bits.
  static llvm::Expected<PVQCodebook> create(int64_t dim, int64_t pulses);

  int64_t dim() const { return dim_; }
  int64_t pulses() const { return pulses_; }
  uint64_t size() const { return count(dim_, pulses_); }
  uint64_t count(int64_t d, int64_t k) const { return table_[d * (pulses_ + 1) + k]; }

  /// Index of y (sum |y_i| must equal pulses()).
  uint64_t encode(const int32_t *y) const;
  /// The codeword with index `index` (< size()).
  void decode(uint64_t index, int32_t *y) const;

private:
  PVQCodebook(int64_t dim, int64_t pulses, std::vector<uint64_t> table)
      : dim_(dim), pulses_(pulses), table_(std::move(table)) {}
  int64_t dim_, pulses_;
  std::vector<uint64_t> table_;
};

/// The pyramid point y (sum |y_i| = pulses) whose direction y/||y|| is
/// nearest to x: projection onto the pyramid, then greedy pulse placement
/// maximising (x.y)/||y||. Optimal for all tested small cases except rare
/// ties; see pvqSearchExhaustive.
void pvqSearch(const float *x, int64_t dim, int64_t pulses, int32_t *y);
/// The exact maximiser of (x.y)/||y|| by enumerating the codebook (tests).
void pvqSearchExhaustive(const PVQCodebook &book, const float *x, int32_t *y);

} // namespace lq

#endif // LQ_NUMERICS_PVQ_H
