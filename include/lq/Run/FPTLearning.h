//===- FPTLearning.h - FPTQuant's transforms learned per layer --*- C++ -*-===//
//
// quant-run calibrate --fpt-learn: runs the float reference transformer on a
// few calibration windows, keeps a sample of the rows each layer's o and down
// projections read, and learns the per-channel transforms lq-insert-fpt
// places there (the value transform, tied over a GQA group, and the MLP
// scaling) with the 4-bit quantizers in the loop (lq/Fitting/FPTLearn.h),
// starting from lq-insert-fpt's closed form. The result is recorded on the
// o and down projections as lq.fpt_scale, which lq-insert-fpt reads instead
// of its closed form.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_RUN_FPTLEARNING_H
#define LQ_RUN_FPTLEARNING_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace lq::run {

struct FPTLearningOptions {
  int64_t windows = 16;  ///< calibration windows run through the model
  int64_t rows = 2048;   ///< rows kept per linear (every k-th token)
  int64_t steps = 200;   ///< Adam steps per transform
  double lr = 0.01;      ///< Adam's learning rate on log t
  /// Fraction of the rows (the last windows') held out to choose the
  /// iterate (0: chosen on the training rows).
  double validation = 0;
  /// Learn the MLP scaling (down's input). Off by default: on the 19M
  /// model it lowers the local loss but raises the perplexity
  /// (docs/results/activations.md).
  bool mlp = false;
  bool value = true;     ///< learn the value transform (o's input)
  /// Each token's error relative to its output's norm (ChannelScaleProblem::relative).
  bool relative = true;
  /// The MLP loss sees lq-insert-fpt{down-rotation}'s online Hadamard.
  bool downRotation = false;
  unsigned bits = 4;       ///< activation bits in the loss
  /// The loss quantizes activations with one static range per linear
  /// (lq-quantize-activations{static=true}, MSE range), not per token.
  bool staticRanges = false;
  unsigned weightBits = 4; ///< weight bits in the loss (round to nearest)
  int64_t group = 128;     ///< weight group (columns per scale; 0: row)
  /// Parses `windows=N rows=N steps=N lr=X validation=X mlp=0|1 value=0|1 relative=0|1
  /// down-rotation=0|1 static=0|1 bits=N weight-bits=N group=N` (space-separated;
  /// empty: the defaults), checking every value.
  static llvm::Expected<FPTLearningOptions> parse(llvm::StringRef text);
};

/// One learned transform.
struct FPTLearnedTransform {
  int64_t layer = 0;
  bool mlp = false;             ///< the MLP scaling, else the value transform
  double closedFormLoss = 0, loss = 0; ///< local losses, closed form and learned
  int64_t bestStep = 0;
};

struct FPTLearningSummary {
  std::vector<FPTLearnedTransform> transforms;
  int64_t windows = 0, rows = 0;
  double seconds = 0;
};

/// Learns and records lq.fpt_scale on the o / down projections (every copy
/// of the role) of a module with float weights, from windows
/// ids[w * windowLen, (w + 1) * windowLen).
llvm::Expected<FPTLearningSummary> learnFPT(mlir::ModuleOp module, llvm::ArrayRef<int32_t> ids,
                                            int64_t windowLen, const FPTLearningOptions &options,
                                            llvm::raw_ostream *progress);

} // namespace lq::run

#endif // LQ_RUN_FPTLEARNING_H
