//===- Evaluate.h - Perplexity and generation on a compiled model -*- C++ -*-===//
//
// Perplexity follows the protocol of lq/Model/Perplexity.h (windows at
// i = 0, W, 2W, ... while i < N - W - 1, no carried context) with the
// compiled @forward, or, for a model without one (a GPU library), with
// @decode token by token over each window; windows are scored concurrently
// on a thread pool. Generation drives @decode with greedy or
// temperature/top-k sampling. No MLIR dependency: any CompiledModel.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUNTIME_EVALUATE_H
#define LQ_RUNTIME_EVALUATE_H

#include "lq/Runtime/CompiledModel.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <functional>

namespace lq::runtime {

/// Seconds of wall time since `t0` (progress and timing lines).
double secondsSince(std::chrono::steady_clock::time_point t0);

struct RunPerplexityOptions {
  int64_t windowLen = 512;
  /// Score through @decode even when the model has @forward (the two agree
  /// up to float rounding).
  bool useDecode = false;
  /// Stop after this many windows (0: all).
  int64_t maxWindows = 0;
  /// Windows scored at once (each on its own thread).
  unsigned threads = 1;
  /// Where progress lines go (null: silent).
  llvm::raw_ostream *progress = nullptr;
};

struct RunPerplexityResult {
  double perplexity = 0, totalNLL = 0;
  int64_t numTargets = 0, windowsScored = 0, windowsTotal = 0;
  /// Wall time of the evaluation.
  double seconds = 0;
};

/// Runs `window(w)` for w in [0, windows), on `threads` threads (1: in order
/// on the caller's), with a progress line about every 5 % of the windows to
/// `progress` (null: silent). No window starts after one has failed; the
/// first error is returned. With several threads, each worker first runs
/// `onWorker` (e.g. to give the kernels one thread: windows fill the cores).
llvm::Error forEachWindow(int64_t windows, int64_t tokensPerWindow, unsigned threads,
                          llvm::raw_ostream *progress,
                          llvm::function_ref<llvm::Error(int64_t w)> window,
                          std::function<void()> onWorker = nullptr);

/// Through @forward when the model has it, else through @decode; on one
/// thread when the model does not allow concurrent calls.
llvm::Expected<RunPerplexityResult>
evaluatePerplexity(const CompiledModel &model, llvm::ArrayRef<int32_t> ids,
                   const RunPerplexityOptions &options);

struct SamplingOptions {
  /// 0: greedy (argmax).
  double temperature = 0;
  /// Keep the k most likely tokens before sampling (0: all).
  int64_t topK = 0;
  uint64_t seed = 0;
};

struct GenerationResult {
  std::vector<int32_t> tokens; ///< generated ids (without the prompt)
  /// With keepLogits: the logits [positions, vocab] @decode returned for
  /// every position fed (prompt, then each generated token but the last).
  std::vector<float> logits;
  double promptSeconds = 0, generateSeconds = 0;
};

/// Feeds `prompt` (non-empty) through @decode, then samples up to
/// `maxNewTokens` tokens, stopping early at `stopToken` (if >= 0) or when the
/// context is full. `onToken` sees each new id as it is produced.
llvm::Expected<GenerationResult>
generate(const CompiledModel &model, llvm::ArrayRef<int32_t> prompt,
         int64_t maxNewTokens, const SamplingOptions &sampling,
         int32_t stopToken = -1,
         const std::function<void(int32_t)> &onToken = nullptr, bool keepLogits = false);

/// Picks the next token from one row of logits.
int32_t sampleToken(llvm::ArrayRef<float> logits, const SamplingOptions &options,
                    uint64_t &rngState);

} // namespace lq::runtime

#endif // LQ_RUNTIME_EVALUATE_H
