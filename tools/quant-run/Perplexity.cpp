//===- Perplexity.cpp - quant-run perplexity --------------------------------===//

#include "QuantRun.h"

#include "lq/Run/Evaluate.h"
#include "llvm/Support/FormatVariadic.h"
#include <cmath>

namespace quant_run {

int runPerplexity() {
  if (MaxWindows < 0)
    return fail(usage(formatv("--max-windows must be 0 (all) or positive, got {0}", MaxWindows)));
  auto t0 = std::chrono::steady_clock::now();
  auto ids = inputIds();
  if (!ids)
    return fail(ids.takeError());
  errs() << formatv("text: {0} tokens, read in {1:f2} s\n", ids->size(), secondsSince(t0));
  auto m = loadModel(ModelPath);
  if (!m)
    return fail(m.takeError());
  if (!m->info.hasForward)
    return fail(usage(formatv("{0}: perplexity needs @forward", ModelPath)));
  if (Error e = compileModel(*m))
    return fail(std::move(e));

  RunPerplexityOptions options;
  options.windowLen = windowLength(m->info);
  options.maxWindows = MaxWindows;
  options.threads = threadCount();
  options.progress = &errs();
  auto r = evaluatePerplexity(*m->runner, *ids, options);
  if (!r)
    return fail(r.takeError());
  outs() << formatv("perplexity {0:f4}\n", r->perplexity)
         << formatv("tokens {0} windows {1}/{2} window {3} targets {4} nll {5:f6}\n", ids->size(),
                    r->windowsScored, r->windowsTotal, options.windowLen, r->numTargets,
                    r->totalNLL / r->numTargets)
         << formatv("time {0:f2} s, {1:f0} tokens/s ({2} threads), total {3:f2} s\n", r->seconds,
                    r->numTargets / r->seconds, options.threads, secondsSince(t0));
  if (ComparePath.empty())
    return 0;

  // The same windows through the other module's @forward.
  auto other = loadModel(ComparePath);
  if (!other)
    return fail(other.takeError());
  if (!other->info.hasForward || other->info.vocab != m->info.vocab)
    return fail(
        usage(formatv("{0}: --compare needs @forward over the same vocabulary", ComparePath)));
  if (Error e = compileModel(*other))
    return fail(std::move(e));
  double maxDiff = 0, maxLogit = 0;
  std::vector<float> a, b;
  for (int64_t w = 0; w < r->windowsScored; ++w) {
    ArrayRef<int32_t> window = ArrayRef(*ids).slice(
        w * options.windowLen,
        std::min<int64_t>(options.windowLen, ids->size() - w * options.windowLen));
    if (Error e = m->runner->forward(window, a))
      return fail(std::move(e));
    if (Error e = other->runner->forward(window, b))
      return fail(std::move(e));
    for (size_t i = 0; i < a.size(); ++i) {
      maxDiff = std::max(maxDiff, (double)std::abs(a[i] - b[i]));
      maxLogit = std::max(maxLogit, (double)std::abs(a[i]));
    }
  }
  double rel = maxDiff / std::max(maxLogit, 1e-30);
  bool ok = rel <= CompareTolerance;
  outs() << formatv("compare: {0} windows: max |diff| {1:e2}, max |logit| {2:f2}, relative "
                    "{3:e2}: {4}\n",
                    r->windowsScored, maxDiff, maxLogit, rel, ok ? "ok" : "beyond the tolerance");
  return ok ? 0 : 1;
}

} // namespace quant_run
