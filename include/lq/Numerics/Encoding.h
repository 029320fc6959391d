//===- Encoding.h - Low-bit weight encodings and their packed storage -----===//
//
// The numeric core of quant-opt: no MLIR dependency, so other runtimes can
// link it. A weight matrix W is [rows = output features N, cols = reduction
// dim K], row-major, y = x * W^T. Every encoding stores its codes per output
// row along K (the reduction dim), as described in docs/Layout.md.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_NUMERICS_ENCODING_H
#define LQ_NUMERICS_ENCODING_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lq {

/// Uniform (scalar) codes: unsigned b-bit code q per weight.
///   symmetric:  w = (q - 2^(b-1)) * scale[n, k / group]
///   asymmetric: w = (q - zero[n, k / group]) * scale[n, k / group]
struct UniformEncoding {
  unsigned bits = 4;     // 1..8
  int64_t group = 128;   // weights per scale along K; must divide K
  bool symmetric = true;
};

/// Pyramid vector quantization: each group of `dim` consecutive weights of a
/// row is amp * y / ||y||_2, y an integer vector with sum |y_i| = pulses,
/// stored as its enumeration index (indexBits(dim, pulses) bits). The
/// amplitude is shared by `ampGroup` consecutive weights (a multiple of dim):
///   amp = (a + 1) * ampScale[n],  a an unsigned ampBits-bit code.
struct PVQEncoding {
  int64_t dim = 8;
  int64_t pulses = 4;
  unsigned ampBits = 4;  // 1..16
  int64_t ampGroup = 8;  // multiple of dim
};

/// GPTQT binary codes: `planes` sign planes b_i in {-1,+1} per weight,
///   w = sum_i alpha[n, k / group, i] * b_i + offset[n, k / group].
struct BinaryEncoding {
  unsigned planes = 3;   // 1..8
  int64_t group = 128;   // must divide K
};

/// Packed storage of one encoded [rows x cols] weight. All byte streams are
/// per row, LSB-first: element j of a row occupies bits [j*w, j*w + w) of
/// the row's stream, the row stride is ceil(cols_elems * w / 8) bytes.
struct EncodedWeight {
  int64_t rows = 0, cols = 0;
  /// uniform: b-bit codes, [rows][ceil(cols*b/8)].
  /// pvq:     indexBits-bit indices, [rows][ceil((cols/dim)*indexBits/8)].
  /// binary:  sign planes (bit 1 = +1), [planes][rows][ceil(cols/8)].
  std::vector<uint8_t> codes;
  /// fp16 bit patterns. uniform: [rows][cols/group]; pvq: [rows] amplitude
  /// step; binary: alphas [rows][cols/group][planes].
  std::vector<uint16_t> scales;
  /// uniform asymmetric: zero points [rows][cols/group] (unsigned bytes).
  std::vector<uint8_t> zeroPoints;
  /// pvq: ampBits-bit amplitude codes, [rows][ceil((cols/ampGroup)*ampBits/8)].
  std::vector<uint8_t> amplitudes;
  /// binary: fp16 offsets [rows][cols/group].
  std::vector<uint16_t> offsets;
};

} // namespace lq

#endif // LQ_NUMERICS_ENCODING_H
