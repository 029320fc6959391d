//===- Smooth.h - QQQ adaptive smoothing search -----------------*- C++ -*-===//
//
// Searches the migration strength alpha of s_j = max|x_j|^alpha /
// max|W[:, j]|^(1 - alpha) per layer against an estimate of the quantized
// layer's output error, computed from calibration statistics alone.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_FITTING_SMOOTH_H
#define LQ_FITTING_SMOOTH_H

#include <cstdint>
#include <vector>

namespace lq {

/// One smoothing point: the linear layers reading the same activation X
/// ([tokens, cols]), their weights stacked into one [rows, cols] matrix.
struct SmoothProblem {
  const float *weight = nullptr; ///< [rows, cols] row-major
  int64_t rows = 0, cols = 0;
  const float *hessian = nullptr;  ///< X^T X, [cols, cols], summed over tokens
  std::vector<double> actAbsMax;   ///< per-channel max |x|, [cols]
  double tokens = 0;               ///< tokens summed in the Hessian
  unsigned weightBits = 4;         ///< symmetric per-row (or per-group) weights
  int64_t weightGroup = 0;         ///< columns per weight scale (0: whole row)
  unsigned actBits = 8;            ///< per-token symmetric activations
  /// Optional: channels with equal tie[j] must share one scale (grouped-query
  /// attention's value channels, read by every query head of the group).
  /// Their ranges are pooled (max) before the scales are computed.
  std::vector<int64_t> tie;
};

struct SmoothResult {
  double alpha = 0;            ///< the chosen strength (negative: no smoothing)
  std::vector<double> scales;  ///< s, [cols]; all ones when no smoothing won
  double loss = 0;             ///< estimated output error with s
  double identityLoss = 0;     ///< ... without smoothing
};

/// The estimated squared output error, summed over the calibration tokens,
/// of the layer quantized with migration scale s:
///   E(s) = tr(dW H dW^T) + tokens * D(s)^2 / 12 * ||W diag(s)||_F^2
/// where dW = Q(W diag(s)) diag(s)^-1 - W is the round-to-nearest weight
/// error mapped back to x's space (exact given H = X^T X), and the second
/// term is uniform rounding noise of the per-token activation step
/// D(s) = max_j (r_j / s_j) / (2^(actBits-1) - 1) at a typical token's
/// channel ranges r_j = min(a_j, sqrt(2 ln cols) * rms_j), rms_j =
/// sqrt(H_jj / tokens): the expected maximum of cols Gaussian draws, capped
/// by the observed maximum (which alone is set by rare spikes).
double smoothingLoss(const SmoothProblem &p, const std::vector<double> &s);

/// Evaluates E for s = 1 and for migrationScales(a, colmax|W|, alpha) at
/// every alpha of `grid` (pooled over tied channels), returning the
/// minimiser. Candidates whose max(s) / min(s) exceeds `maxCondition` are
/// not considered.
SmoothResult searchSmoothing(const SmoothProblem &p, const std::vector<double> &grid,
                             double maxCondition = 1e4);

/// Symmetric round-to-nearest of W [rows, cols] per row (group = 0) or per
/// `group` columns, to `bits` signed bits (levels -(2^(b-1)-1) .. 2^(b-1)-1);
/// returns the dequantized matrix.
std::vector<double> fakeQuantizeRows(const std::vector<double> &w, int64_t rows, int64_t cols,
                                     unsigned bits, int64_t group);

} // namespace lq

#endif // LQ_FITTING_SMOOTH_H
