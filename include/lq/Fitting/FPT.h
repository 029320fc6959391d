//===- FPT.h - Fitting function-preserving transforms -----------*- C++ -*-===//
//
// Closed-form local objectives for FPTQuant's mergeable transforms and QQQ's
// smoothing scales, fitted from calibration statistics (per-channel |x| max,
// second moments). No MLIR dependency: the passes only place and merge what
// these functions fit.
//
// Conventions: a weight W is [rows = out, cols = in], y = x W^T. A "migration
// scale" s divides an activation channel and multiplies the matching weight
// column: (x / s)(W diag(s))^T = x W^T.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_FITTING_FPT_H
#define LQ_FITTING_FPT_H

#include <cstdint>
#include <vector>

namespace lq {

/// Ranges below this fraction of the largest one are raised to it, so a dead
/// channel gets a finite scale (the condition-number check still sees it).
constexpr double kRangeFloor = 1e-6;

/// The migration scale s_j = a_j^alpha / w_j^(1 - alpha) for activation
/// ranges `act` and weight-column ranges `weight` (same length, alpha in
/// [0, 1]), normalised to geometric mean 1 (the overall factor cancels in
/// per-token and per-row quantization alike).
///
/// alpha = 1/2 is the closed-form minimiser of the range product
///   R(s) = max_j(a_j / s_j) * max_j(w_j * s_j),
/// the product of the activation's and the weight's quantization steps:
/// R(s) >= max_j a_j w_j for every s, with equality when every channel has
/// a_j / s_j = w_j s_j, i.e. s_j = sqrt(a_j / w_j).
std::vector<double> migrationScales(const std::vector<double> &act,
                                    const std::vector<double> &weight, double alpha);

/// Per-column max |W[:, j]| of a row-major [rows, cols] matrix.
std::vector<double> columnAbsMax(const float *w, int64_t rows, int64_t cols);

/// 2-norm condition number sigma_max / sigma_min of a row-major n x n matrix
/// (one-sided Jacobi SVD); infinity when singular or not finite.
double conditionNumber(const std::vector<double> &m, int64_t n);

/// The inverse of a row-major n x n matrix by Gauss-Jordan with partial
/// pivoting; empty when singular.
std::vector<double> invertMatrix(const std::vector<double> &m, int64_t n);

/// How RoPE pairs the channels of a head of size d.
enum class RopePairing {
  Half,        ///< (i, i + d/2), Hugging Face rotate_half
  Interleaved, ///< (2i, 2i + 1)
};

/// The channels (a, b) of frequency pair i in a head of size d.
inline std::pair<int64_t, int64_t> ropePair(RopePairing p, int64_t d, int64_t i) {
  return p == RopePairing::Half ? std::make_pair(i, i + d / 2) : std::make_pair(2 * i, 2 * i + 1);
}

/// FPTQuant's pre-RoPE transform for one key head: per frequency pair i a
/// scaled rotation M_i = c_i R(phi_i) applied to the keys (and
/// M_i^-T = R(phi_i) / c_i to the queries, so q.k is unchanged; both commute
/// with RoPE).
///
/// Objective. The cache holds post-RoPE keys, quantized per token with a step
/// proportional to the largest channel range. Post-RoPE, both channels of a
/// pair reach the pair's norm, bounded by r_i = sqrt(kmax_a^2 + kmax_b^2).
/// With uniform rounding noise e of step D on the keys, the score error is
/// q'.e with q' = q M^-T, so its variance is proportional to
///   L(c) = (max_i c_i r_i)^2 * sum_i E|q_i|^2 / c_i^2,
/// minimised by c_i proportional to 1 / r_i (all pairs at the same range;
/// L* = sum_i r_i^2 E|q_i|^2 whatever the queries). The angle does not move
/// the post-RoPE range; it is chosen to balance the pre-RoPE variances of the
/// pair's two channels (the positions where RoPE has not yet mixed them):
///   tan(2 phi_i) = (S_aa - S_bb) / (2 S_ab)
/// for the keys' second moments S, taking the smallest |phi|.
struct PreRopeFit {
  std::vector<double> scales, angles; ///< [d/2] each, per pair index i
};
/// `kAbsMax` is [d]; `kSecondMoment` is the [d, d] row-major second-moment
/// matrix of the head's key channels (any positive multiple).
PreRopeFit fitPreRope(const std::vector<double> &kAbsMax,
                      const std::vector<double> &kSecondMoment, int64_t d, RopePairing pairing);

/// The row-vector matrix M (x -> x M, [d, d]) of a pre-RoPE fit, or of its
/// inverse transpose (the query side) when `queries`.
std::vector<double> preRopeMatrix(const PreRopeFit &fit, int64_t d, RopePairing pairing,
                                  bool queries);

/// Second moments W_h H W_h^T of the outputs rows [row0, row0 + n) of a
/// linear layer W [rows, cols] with input second moments H [cols, cols].
std::vector<double> outputSecondMoment(const float *w, int64_t cols, int64_t row0, int64_t n,
                                       const float *hessian);

} // namespace lq

#endif // LQ_FITTING_FPT_H
