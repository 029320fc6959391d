//===- FPTLearn.h - Learning FPT channel scales, quantizers in the loop -*- C++ -*-===//
//
// FPTQuant's local optimisation of a mergeable per-channel transform with the
// quantizers in the loop: the closed forms of FPT.h balance ranges, this
// minimises the quantized linear's output error on calibration rows,
// differentiating through the rounding with the straight-through estimator.
// No MLIR or LLVM dependency.
//
// The transform t (one positive factor per parameter, channels tied to
// parameters by `tie`) multiplies the activation channel j the linear reads
// and divides its weight column j; optionally an orthonormal block Hadamard
// H follows online (lq-insert-fpt's down-rotation), so the linear computes
//   Q_a((x diag(t)) H) Q_w(W diag(t)^-1 H)^T   ~   x W^T.
// The loss is the mean squared difference to x W^T over the rows x.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_FITTING_FPTLEARN_H
#define LQ_FITTING_FPTLEARN_H

#include <cstdint>
#include <vector>

namespace lq {

/// One linear whose input channels get a learned scale.
struct ChannelScaleProblem {
  const float *inputs = nullptr; ///< calibration rows x [rows, cols], row-major
  int64_t rows = 0, cols = 0;
  const float *weight = nullptr; ///< W [out, cols], row-major
  int64_t out = 0;
  /// tie[j] = the parameter of channel j (empty: one parameter per channel).
  /// Grouped-query attention's value channels are read by every query head
  /// of their group, so o_proj's columns share the value transform.
  std::vector<int64_t> tie;
  unsigned actBits = 4;    ///< per-row (per-token) symmetric, dynamic
  /// One activation step for all rows instead (lq-quantize-activations'
  /// static ranges): clip = c * max |x'| with c the MSE choice of ActRange.h
  /// over the rows' histogram, elements past the clip saturated. The ratio
  /// c (a choice among discrete candidates) and which elements saturate are
  /// held in the gradient; the step follows the tensor's largest |x'|.
  bool actStatic = false;
  unsigned weightBits = 4; ///< per-row symmetric, groups of weightGroup columns
  int64_t weightGroup = 0; ///< 0: whole row
  int64_t hadamardBlock = 0; ///< > 0: the online block Hadamard H (power of two dividing cols)
  /// Each row's squared error divided by its float output's ||x W^T||^2
  /// (else the mean squared error): tokens with massive activations (the
  /// first of a window) would otherwise dominate the loss.
  bool relative = false;

  int64_t numParams() const;
  /// The parameter of channel j.
  int64_t param(int64_t j) const { return tie.empty() ? j : tie[j]; }
};

/// The loss at log-scales `logT` [numParams] and, when `grad` is not null,
/// its straight-through gradient d loss / d logT. Rounding passes the
/// gradient unchanged; each quantization step (max |.| / qmax of its row or
/// group) is differentiated through the maximum, so moving the largest
/// element changes every element's rounding: the term by which a scale
/// trades range against resolution.
double channelScaleLoss(const ChannelScaleProblem &p, const std::vector<double> &logT,
                        std::vector<double> *grad);

/// The loss with every rounding offset round(u) - u frozen at its value at
/// log-scales `frozenAt` (the steps still follow their groups' maxima): a
/// smooth function whose gradient at logT = frozenAt is exactly the one
/// channelScaleLoss returns, so finite differences can check it.
double channelScaleFrozenLoss(const ChannelScaleProblem &p, const std::vector<double> &logT,
                              const std::vector<double> &frozenAt);

/// FPT.h's closed form for this problem: t_j = sqrt(w_j / a_j) (a = max |x|
/// over the rows, w = max |W[:, j]|, pooled over tied channels), as logs.
std::vector<double> closedFormLogScales(const ChannelScaleProblem &p);

struct ChannelScaleOptions {
  int64_t steps = 200;
  double learningRate = 0.01; ///< Adam's, on log t
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  /// The fraction of the rows (the last ones) held out: Adam trains on the
  /// others, and the iterate kept is the one with the lowest loss on these
  /// (0: on the training rows themselves).
  double validationFraction = 0;
};

struct ChannelScaleResult {
  std::vector<double> logScales; ///< the best seen (the initial ones if none was better)
  /// Losses at the initial and the kept scales (on the held-out rows if any).
  double initialLoss = 0, loss = 0;
  int64_t bestStep = 0; ///< 0: the initial scales
};

/// Adam on log t from `initLogT`, one full-batch step per iteration; returns
/// the parameters of the lowest loss evaluated (the STE gradient is not the
/// loss's, so the last iterate need not be the best).
ChannelScaleResult learnChannelScales(const ChannelScaleProblem &p,
                                      const std::vector<double> &initLogT,
                                      const ChannelScaleOptions &options);

/// In-place orthonormal Walsh-Hadamard transform of each `block` of a row
/// of `n` floats: H[i][j] = (-1)^popcount(i & j) / sqrt(block), the matrix
/// lq.fpt.rotate uses (symmetric, its own inverse).
void hadamardRows(float *rows, int64_t numRows, int64_t n, int64_t block);

} // namespace lq

#endif // LQ_FITTING_FPTLEARN_H
