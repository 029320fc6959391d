//===- Perplexity.cpp - quant-run perplexity --------------------------------===//

#include "QuantRun.h"

#include "llvm/Support/FormatVariadic.h"
#include <cmath>

namespace quant_run {

int runPerplexity() {
  auto t0 = std::chrono::steady_clock::now();
  auto ids = perplexityInput();
  if (!ids)
    return fail(ids.takeError());
  auto m = loadModel(ModelPath);
  if (!m)
    return fail(m.takeError());
  if (Error e = compileModel(*m))
    return fail(std::move(e));
  auto r = printPerplexity(*m->runner, *ids, t0);
  if (!r)
    return fail(r.takeError());
  if (ComparePath.empty())
    return 0;

  // The same windows through the other module's @forward.
  if (!m->info.hasForward)
    return fail(usage(formatv("{0}: --compare needs @forward", ModelPath)));
  auto other = loadModel(ComparePath);
  if (!other)
    return fail(other.takeError());
  if (!other->info.hasForward || other->info.vocab != m->info.vocab)
    return fail(
        usage(formatv("{0}: --compare needs @forward over the same vocabulary", ComparePath)));
  if (Error e = compileModel(*other))
    return fail(std::move(e));
  const int64_t W = windowLength(m->info);
  double maxDiff = 0, maxLogit = 0;
  std::vector<float> a, b;
  for (int64_t w = 0; w < r->windowsScored; ++w) {
    ArrayRef<int32_t> window =
        ArrayRef(*ids).slice(w * W, std::min<int64_t>(W, ids->size() - w * W));
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
