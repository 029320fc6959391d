//===- KVReconstruction.h - WKVQuant's cross-block reconstruction -*- C++ -*-===//
//
// quant-run calibrate --kv-reconstruct: for each transformer layer in order,
// the KV quantization parameters (lq-quantize-kv's per-layer clipping ratio
// and 2-D smoothing exponent, for keys and for values) are chosen to
// minimise the mean absolute error of the *next* layer's output against the
// float layers, on hidden states that the earlier, already tuned and
// quantized layers produce (WKVQuant's cross-block reconstruction
// regularization). The choice is recorded on the k/v projections as
// lq.kv_clip and lq.kv_smooth, which lq-quantize-kv reads.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUN_KVRECONSTRUCTION_H
#define LQ_RUN_KVRECONSTRUCTION_H

#include "lq/Fitting/KVQuant.h"
#include "lq/Model/Llama.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace lq::run {

struct KVReconstructionOptions {
  /// Windows of the calibration text the loss is measured on.
  int64_t windows = 4;
  /// Candidate clipping ratios and smoothing exponents (grids, searched one
  /// coordinate at a time).
  std::vector<double> clips = {1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6};
  std::vector<double> smooths = {0.0, 0.25, 0.5, 0.75, 1.0};
  /// Rounds of the coordinate search (K clip, K smooth, V clip, V smooth).
  int64_t sweeps = 1;
  /// KV cache bits, as lq-quantize-kv will use them.
  unsigned bits = 4;

  /// Parses `windows=N clips=a,b,... smooths=a,b,... sweeps=N bits=N`
  /// (space-separated; empty: the defaults), checking every value.
  static llvm::Expected<KVReconstructionOptions> parse(llvm::StringRef text);
};

/// One layer's choice.
struct KVLayerChoice {
  ::lq::KVQuantParams keys, values;
  /// The loss with the untuned parameters (clip 1, smooth 1) and the chosen.
  double untunedLoss = 0, loss = 0;
  int64_t evaluations = 0;
};

struct KVReconstructionSummary {
  std::vector<KVLayerChoice> layers;
  int64_t windows = 0, tokens = 0;
  double seconds = 0;
};

/// Tunes and records the parameters (module calibrated: lq.out_absmax on
/// the k/v projections) on windows ids[w * windowLen, (w + 1) * windowLen).
/// The layers run in the reference transformer (lq::Transformer): the loss
/// of a candidate needs two layers on a few windows, not a compiled model.
llvm::Expected<KVReconstructionSummary>
reconstructKV(mlir::ModuleOp module, llvm::ArrayRef<int32_t> ids, int64_t windowLen,
              const KVReconstructionOptions &options, llvm::raw_ostream *progress);

} // namespace lq::run

#endif // LQ_RUN_KVRECONSTRUCTION_H
