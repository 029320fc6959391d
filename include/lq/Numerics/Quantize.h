//===- Quantize.h - Weight quantization: RTN and GPTQ -----------*- C++ -*-===//
//
// One entry point quantizes a weight matrix into any encoding, either
// round-to-nearest or with GPTQ's Hessian error feedback; the encoding only
// supplies how a group of columns is fitted and quantized, so GPTQ drives
// uniform, PVQ and binary codes alike.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_NUMERICS_QUANTIZE_H
#define LQ_NUMERICS_QUANTIZE_H

#include "lq/Numerics/Encoding.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lq {

using Encoding = std::variant<UniformEncoding, PVQEncoding, BinaryEncoding>;

struct QuantizeOptions {
  enum class Algorithm { RTN, GPTQ };
  Algorithm algorithm = Algorithm::GPTQ;
  /// Input Hessian X^T X, [cols x cols] row-major; null means identity.
  const float *hessian = nullptr;
  /// Diagonal damping as a fraction of the mean of diag(H).
  double dampening = 0.01;
  /// Quantize columns by decreasing diag(H) (groups then use static scales
  /// fitted on the original weight).
  bool actOrder = false;
  /// Columns per lazy batch update.
  int64_t blockSize = 128;
  /// Worker threads over rows; 0 = all hardware threads.
  unsigned threads = 0;
  /// Binary codes: bits of GPTQT's first, linear step (> planes; 0 means
  /// planes + 1).
  unsigned gridBits = 0;
  /// Binary codes: candidate factors on the first step's scale (GPTQT's
  /// re-exploration); the best by group error is kept.
  std::vector<double> rescaleGrid = {0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1};
};

/// Why the encoding cannot hold a rows x cols weight, or nullopt.
std::optional<std::string> verifyEncoding(const Encoding &enc, int64_t rows, int64_t cols);

/// Exact storage bits (codes, scales, zero points, amplitudes, offsets, with
/// row padding) per weight.
double bitsPerWeight(const Encoding &enc, int64_t rows, int64_t cols);

/// Quantizes W [rows x cols] (y = x W^T, K = cols).
llvm::Expected<EncodedWeight> quantizeWeight(const float *weight, int64_t rows, int64_t cols,
                                             const Encoding &enc,
                                             const QuantizeOptions &options = {});

/// The reference decoding: [rows x cols] floats.
std::vector<float> decodeWeight(const Encoding &enc, const EncodedWeight &encoded);

/// tr(dW H dW^T) with dW = W - What; H null means identity (squared error).
double layerLoss(const float *weight, const float *decoded, int64_t rows, int64_t cols,
                 const float *hessian);

/// GPTQT's scale re-exploration as a step of its own on an encoded binary
/// weight, against the original weight: for every group, the codes refitted
/// with each factor of options.rescaleGrid (both GPTQT steps redone) replace
/// the current ones only when they lower the row's layer loss
/// tr(dW H dW^T) (H = options.hessian, or identity). The loss never rises.
struct RescaleResult {
  double lossBefore = 0, lossAfter = 0;
  int64_t groupsChanged = 0, groups = 0;
};
llvm::Expected<RescaleResult> rescaleBinary(const float *weight, const BinaryEncoding &enc,
                                            EncodedWeight &encoded,
                                            const QuantizeOptions &options = {});

/// GPTQT's second step on one group: given integer codes q (0..2^gridBits-1)
/// of a linear grid, the `planes` binary-code levels sum_i alpha_i b_i + beta
/// that minimise the squared error to q, fitted by alternating least squares
/// on the code histogram. Returns alpha (planes values) and beta.
struct BinaryCodeFit {
  std::vector<double> alpha;
  double beta = 0;
  double error = 0; // sum of squared errors on the grid
};
BinaryCodeFit fitBinaryCodes(const std::vector<double> &histogram, unsigned planes);

} // namespace lq

#endif // LQ_NUMERICS_QUANTIZE_H
