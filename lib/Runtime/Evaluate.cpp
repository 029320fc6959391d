//===- Evaluate.cpp - Perplexity and generation on a compiled model -------===//

#include "lq/Runtime/Evaluate.h"

#include "lq/Model/Perplexity.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>

namespace lq::runtime {

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

llvm::Error forEachWindow(int64_t windows, int64_t tokensPerWindow, unsigned threads,
                          llvm::raw_ostream *progress,
                          llvm::function_ref<llvm::Error(int64_t w)> window,
                          std::function<void()> onWorker) {
  auto t0 = std::chrono::steady_clock::now();
  std::mutex mutex;
  llvm::Error firstError = llvm::Error::success();
  int64_t done = 0;
  const int64_t every = std::max<int64_t>(1, windows / 20);
  auto run = [&](int64_t w) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (firstError)
        return;
    }
    llvm::Error e = window(w);
    std::lock_guard<std::mutex> lock(mutex);
    if (e) {
      if (!firstError)
        firstError = std::move(e);
      else
        llvm::consumeError(std::move(e));
      return;
    }
    ++done;
    if (progress && (done % every == 0 || done == windows)) {
      double s = secondsSince(t0);
      *progress << llvm::formatv("  window {0}/{1}  elapsed {2:f1} s  {3:f0} tokens/s\n", done,
                                 windows, s, done * tokensPerWindow / std::max(s, 1e-9));
      progress->flush();
    }
  };
  if (threads <= 1) {
    for (int64_t w = 0; w < windows; ++w)
      run(w);
  } else {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
    for (int64_t w = 0; w < windows; ++w)
      pool.async([&, w] {
        if (onWorker)
          onWorker();
        run(w);
      });
    pool.wait();
  }
  return firstError;
}

llvm::Expected<RunPerplexityResult>
evaluatePerplexity(const CompiledModel &model, llvm::ArrayRef<int32_t> ids,
                   const RunPerplexityOptions &options) {
  const int64_t W = options.windowLen, N = ids.size();
  if (W < 1 || W > model.info().context)
    return err(llvm::formatv("window length {0} is outside [1, {1}] (the model's context)",
                             W, model.info().context));
  RunPerplexityResult result;
  result.windowsTotal = lq::countPerplexityWindows(N, W);
  if (result.windowsTotal == 0)
    return err(llvm::formatv("the text has {0} tokens; a window of {1} needs at "
                             "least {2}",
                             N, W, W + 2));
  int64_t windows = result.windowsTotal;
  if (options.maxWindows > 0)
    windows = std::min(windows, options.maxWindows);

  const int64_t V = model.info().vocab;
  const bool useDecode = options.useDecode || !model.info().hasForward;
  if (useDecode && !model.info().hasDecode)
    return err("perplexity needs @forward or @decode");
  // Every scored id, targets included: a target is only an index into the
  // logits, which nothing else checks.
  if (llvm::Error e = checkTokenIds(ids.take_front(windows * W + 1), model.info()))
    return e;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<double> nll(windows, 0.0);
  // The window's tokens i .. i+W-1 predict i+1 .. i+W: all positions in one
  // @forward call, or one @decode step each from fresh caches.
  auto scoreWindow = [&](int64_t w) -> llvm::Error {
    const int64_t i = w * W;
    std::vector<float> logits;
    double sum = 0;
    if (!useDecode) {
      if (llvm::Error e = model.forward(ids.slice(i, W), logits))
        return e;
      for (int64_t t = 0; t < W; ++t)
        sum += lq::tokenNLL(llvm::ArrayRef<float>(logits).slice(t * V, V), ids[i + t + 1]);
    } else {
      auto state = model.newDecodeState();
      if (!state)
        return state.takeError();
      for (int64_t t = 0; t < W; ++t) {
        if (llvm::Error e = model.decode(**state, ids[i + t], logits))
          return e;
        sum += lq::tokenNLL(logits, ids[i + t + 1]);
      }
    }
    nll[w] = sum;
    return llvm::Error::success();
  };
  unsigned threads = model.allowsConcurrentCalls() ? options.threads : 1;
  // Windows already fill the cores: kernels run on the worker alone.
  if (llvm::Error e = forEachWindow(windows, W, threads, options.progress, scoreWindow,
                                    [&] { model.setKernelThreads(1); }))
    return std::move(e);

  // Summed in window order so the result does not depend on scheduling.
  result.totalNLL = std::accumulate(nll.begin(), nll.end(), 0.0);
  result.windowsScored = windows;
  result.numTargets = windows * W;
  result.perplexity = std::exp(result.totalNLL / result.numTargets);
  result.seconds = secondsSince(t0);
  return result;
}

/// splitmix64: small, seedable and the same on every platform.
static uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int32_t sampleToken(llvm::ArrayRef<float> logits, const SamplingOptions &options,
                    uint64_t &rngState) {
  const int64_t V = logits.size();
  if (options.temperature <= 0)
    return std::max_element(logits.begin(), logits.end()) - logits.begin();
  std::vector<int32_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  int64_t k = options.topK > 0 ? std::min<int64_t>(options.topK, V) : V;
  auto byLogit = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  if (k < V)
    std::partial_sort(order.begin(), order.begin() + k, order.end(), byLogit);
  double maxLogit = logits[order[0]];
  for (int64_t i = 0; i < k; ++i)
    maxLogit = std::max<double>(maxLogit, logits[order[i]]);
  std::vector<double> weights(k);
  double total = 0;
  for (int64_t i = 0; i < k; ++i)
    total += weights[i] = std::exp((logits[order[i]] - maxLogit) / options.temperature);
  // 53 random bits give a uniform double in [0, 1).
  double u = (nextRandom(rngState) >> 11) * 0x1.0p-53 * total;
  for (int64_t i = 0; i < k; ++i) {
    u -= weights[i];
    if (u < 0)
      return order[i];
  }
  return order[k - 1];
}

llvm::Expected<GenerationResult>
generate(const CompiledModel &model, llvm::ArrayRef<int32_t> prompt,
         int64_t maxNewTokens, const SamplingOptions &sampling, int32_t stopToken,
         const std::function<void(int32_t)> &onToken, bool keepLogits) {
  if (prompt.empty())
    return err("the prompt encodes to no tokens");
  if ((int64_t)prompt.size() > model.info().context)
    return err(llvm::formatv("the prompt has {0} tokens, more than the context of {1}",
                             prompt.size(), model.info().context));
  auto state = model.newDecodeState();
  if (!state)
    return state.takeError();
  GenerationResult result;
  std::vector<float> logits;
  auto t0 = std::chrono::steady_clock::now();
  auto step = [&](int32_t token) -> llvm::Error {
    if (llvm::Error e = model.decode(**state, token, logits))
      return e;
    if (keepLogits)
      result.logits.insert(result.logits.end(), logits.begin(), logits.end());
    return llvm::Error::success();
  };
  for (int32_t token : prompt)
    if (llvm::Error e = step(token))
      return std::move(e);
  result.promptSeconds = secondsSince(t0);
  uint64_t rng = sampling.seed;
  t0 = std::chrono::steady_clock::now();
  for (int64_t n = 0; n < maxNewTokens; ++n) {
    int32_t next = sampleToken(logits, sampling, rng);
    result.tokens.push_back(next);
    if (onToken)
      onToken(next);
    if (next == stopToken || (*state)->position() >= model.info().context ||
        n + 1 == maxNewTokens)
      break;
    if (llvm::Error e = step(next))
      return std::move(e);
  }
  result.generateSeconds = secondsSince(t0);
  return result;
}

} // namespace lq::runtime
