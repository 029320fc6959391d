//===- Perplexity.h - Windowed perplexity evaluation -----------*- C++ -*-===//
//
// The protocol of shared/data/SOURCES.md: the text is encoded whole; windows
// start at i = 0, W, 2W, ... while i < N - (W + 1); each scores targets
// ids[i+1 : i+W+1] from inputs ids[i : i+W] with no carried context;
// perplexity = exp(total NLL / number of targets).
//
//===----------------------------------------------------------------------===//

#ifndef LQ_MODEL_PERPLEXITY_H
#define LQ_MODEL_PERPLEXITY_H

#include "lq/Model/Transformer.h"

#include "llvm/Support/raw_ostream.h"

namespace lq {

struct PerplexityOptions {
  int64_t windowLen = 512;
  /// Stop after this many windows (0: all).
  int64_t maxWindows = 0;
  /// Where "windows done / total, elapsed" lines go (null: silent).
  llvm::raw_ostream *progress = nullptr;
};

struct PerplexityResult {
  double perplexity = 0;
  double totalNLL = 0;
  int64_t numTargets = 0;
  int64_t windowsScored = 0;
  /// Windows the whole text yields under the protocol.
  int64_t windowsTotal = 0;
  /// Wall time of the whole evaluation, and of the Transformer::forward
  /// calls alone (the rest is the log-softmax over the vocabulary).
  double seconds = 0;
  double forwardSeconds = 0;
};

/// Number of windows `numTokens` yields: |{i = 0, W, 2W, ... : i < N - W - 1}|.
int64_t countPerplexityWindows(int64_t numTokens, int64_t windowLen);

/// Fails when the text yields no window or windowLen exceeds max_seq_len.
llvm::Expected<PerplexityResult>
computePerplexity(const Transformer &model, llvm::ArrayRef<int32_t> ids,
                  const PerplexityOptions &options = {});

/// Negative log-likelihood of `target` (which must index `logits`) under one
/// row of logits (log-softmax, accumulated in double).
double tokenNLL(llvm::ArrayRef<float> logits, int32_t target);

} // namespace lq

#endif // LQ_MODEL_PERPLEXITY_H
