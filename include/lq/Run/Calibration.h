//===- Calibration.h - Calibration statistics of linear layers -*- C++ -*-===//
//
// quant-run calibrate: runs an instrumented copy of @forward
// (lq-instrument-linears) on windows of a text and attaches to every
// role-tagged linear of the original module what docs/ModelIR.md lists:
// lq.hessian (X^T X), lq.act_absmax, lq.act_hist (per-channel |x|
// histograms, lq/Numerics/ActRange.h), lq.tokens, and for attn.k / attn.v
// lq.out_absmax / lq.out_min / lq.out_max.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUN_CALIBRATION_H
#define LQ_RUN_CALIBRATION_H

#include "lq/Run/Engine.h"
#include "lq/Run/Lowering.h"
#include "lq/Run/ModelModule.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lq::run {

struct CalibrationOptions {
  int64_t windowLen = 512;
  /// Windows ids[i : i + windowLen] for i = 0, windowLen, ... (at most this
  /// many; fewer when the text is shorter).
  int64_t windows = 128;
  /// Windows run concurrently.
  unsigned threads = 1;
  LoweringOptions lowering;
  unsigned optLevel = 3;
  /// Record only the linears whose lq.role starts with one of these
  /// prefixes (empty: every role-tagged linear).
  std::vector<std::string> roles;
  /// Where progress lines go (null: silent).
  llvm::raw_ostream *progress = nullptr;
};

struct CalibrationSummary {
  int64_t layers = 0;  ///< role-tagged ops that received statistics
  int64_t windows = 0; ///< windows run
  int64_t tokens = 0;  ///< tokens summed per statistic
  double seconds = 0;
};

/// Statistics of one activation matrix X [rows, n] (what one hook sees),
/// kept in double; add() may be called concurrently.
class ActivationStats {
public:
  explicit ActivationStats(int64_t n, bool gram);
  /// Accumulates X (row r at data + r * rowStride, column c at + c * colStride).
  void add(const float *data, int64_t rows, int64_t rowStride, int64_t colStride);
  int64_t size() const { return n; }
  int64_t rows() const { return numRows; }
  /// X^T X as a full symmetric row-major [n, n] matrix.
  std::vector<float> gram() const;
  const std::vector<float> &absMax() const { return maxAbs; }
  /// With `gram`: per-channel |x| histograms, [n, ActHistogram::kBins].
  const std::vector<float> &histogram() const { return hist; }
  const std::vector<float> &min() const { return minVal; }
  const std::vector<float> &max() const { return maxVal; }

private:
  int64_t n;
  bool withGram;
  int64_t numRows = 0;
  std::vector<double> lower; // row-major lower triangle incl. diagonal
  std::vector<float> maxAbs, minVal, maxVal, hist;
  std::unique_ptr<std::mutex> mutex;
};

/// Calibrates `module` in place (statistics attached as attributes); `ids`
/// is the encoded text. The module itself is not lowered (a copy is).
llvm::Expected<CalibrationSummary>
calibrate(mlir::ModuleOp module, const ModelInfo &info, llvm::ArrayRef<int32_t> ids,
          const CalibrationOptions &options);

/// Calibrates @`sig.name` of any module (model IR another frontend exported,
/// brought in by lq-import-linalg) on `samples` (one argument list each):
/// the statistics above for every role-tagged linear of the function,
/// lq.tokens being the rows each saw. `windows` and `windowLen` of
/// `options` are not used.
llvm::Expected<CalibrationSummary>
calibrateFunction(mlir::ModuleOp module, const FunctionSignature &sig,
                  llvm::ArrayRef<std::vector<HostTensor>> samples,
                  const CalibrationOptions &options);

/// How sequential calibration splits the model into steps.
enum class SequentialGranularity {
  /// One step per transformer layer (`layers.N.*`), then the remaining
  /// linears (lm_head): GPTQ's block-by-block calibration.
  Layer,
  /// One step per group of linears reading the same activation, in program
  /// order (q/k/v, o, gate/up, down, ..., lm_head): GPTQ's "true sequential".
  Linear,
};

struct SequentialOptions {
  /// The options of lq-quantize-weights applied to each step's linears right
  /// after their statistics are recorded (its `roles` option is set per step).
  std::string quantizeWeights;
  SequentialGranularity granularity = SequentialGranularity::Layer;
};

/// The steps of sequential calibration: the role-tagged linears of
/// @forward, grouped as `granularity` says, in program order.
llvm::Expected<std::vector<std::vector<std::string>>>
sequentialSteps(mlir::ModuleOp module, SequentialGranularity granularity);

/// Sequential calibration, as GPTQ runs it: for each step, statistics of
/// that step's linears are recorded on the activations that the already
/// quantized earlier steps produce, then those linears are quantized with
/// lq-quantize-weights. `module` ends up calibrated and quantized; the
/// summary counts the windows once and the layers of every step.
llvm::Expected<CalibrationSummary>
calibrateSequential(mlir::ModuleOp module, const ModelInfo &info, llvm::ArrayRef<int32_t> ids,
                    const CalibrationOptions &options, const SequentialOptions &sequential);

} // namespace lq::run

#endif // LQ_RUN_CALIBRATION_H
