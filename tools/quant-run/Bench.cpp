//===- Bench.cpp - quant-run bench ------------------------------------------===//

#include "QuantRun.h"

#include "lq/Model/Readers.h"
#include "lq/Model/Transformer.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include <mutex>

namespace quant_run {

/// Deterministic pseudo-random ids, so both implementations see the same.
static std::vector<int32_t> benchIds(int64_t n, int64_t vocab) {
  std::vector<int32_t> ids(n);
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (int64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ids[i] = x % vocab;
  }
  return ids;
}

int runBench() {
  if (BenchTokens < 1 || BenchIters < 1 || BenchSteps < 1)
    return fail(usage("--tokens, --iters and --steps must be positive"));
  unsigned threads = threadCount();
  // The reference's thread pool is sized on first use.
  llvm::parallel::strategy = llvm::hardware_concurrency(threads);
  auto m = loadModel(ModelPath);
  if (!m)
    return fail(m.takeError());
  if (Error e = compileModel(*m))
    return fail(std::move(e));
  const ModelInfo &info = m->info;
  int64_t T = std::min(BenchTokens.getValue(), info.context);
  int64_t steps = std::min(BenchSteps.getValue(), info.context);
  std::vector<int32_t> ids = benchIds(std::max(T, steps), info.vocab);
  ArrayRef<int32_t> window = ArrayRef<int32_t>(ids).take_front(T);

  if (info.hasForward) {
    // One call to warm up (page in weights), then `threads` callers at once.
    std::vector<float> logits;
    if (Error e = m->runner->forward(window, logits))
      return fail(std::move(e));
    Error firstError = Error::success();
    std::mutex mutex;
    auto t0 = std::chrono::steady_clock::now();
    {
      llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
      for (int64_t i = 0; i < BenchIters; ++i)
        pool.async([&] {
          setKernelThreads(1);
          std::vector<float> out;
          Error e = m->runner->forward(window, out);
          std::lock_guard<std::mutex> lock(mutex);
          if (e && !firstError)
            firstError = std::move(e);
          else
            consumeError(std::move(e));
        });
      pool.wait();
    }
    double secs = secondsSince(t0);
    if (firstError)
      return fail(std::move(firstError));
    outs() << formatv("forward  compiled : {0} x {1} tokens, {2} concurrent calls: {3:f2} s, "
                      "{4:f0} tokens/s\n",
                      BenchIters, T, threads, secs, BenchIters * T / secs);
  }
  if (info.hasDecode) {
    auto state = m->runner->newDecodeState();
    if (!state)
      return fail(state.takeError());
    std::vector<float> logits;
    auto secs =
        timeCalls(steps, [&](int64_t i) { return m->runner->decode(*state, ids[i], logits); });
    if (!secs)
      return fail(secs.takeError());
    outs() << formatv("decode   compiled : {0} steps from position 0: {1:f2} s, {2:f1} tokens/s\n",
                      steps, *secs, steps / *secs);
  }
  if (ReferencePath.empty())
    return 0;
  auto model = lq::loadModel(ReferencePath);
  if (!model)
    return fail(model.takeError());
  lq::Transformer ref(*model);
  if (ref.config().vocabSize != info.vocab)
    return fail(usage("the reference checkpoint's vocabulary differs from the module's"));
  auto warm = ref.forward(window);
  if (!warm)
    return fail(warm.takeError());
  auto forwardSecs =
      timeCalls(BenchIters, [&](int64_t) { return ref.forward(window).takeError(); });
  if (!forwardSecs)
    return fail(forwardSecs.takeError());
  outs() << formatv("forward  reference: {0} x {1} tokens, {2} threads per call: {3:f2} s, "
                    "{4:f0} tokens/s\n",
                    BenchIters, T, threads, *forwardSecs, BenchIters * T / *forwardSecs);
  auto decodeSecs = timeCalls(steps, [&](int64_t i) { return ref.decode(ids[i], i).takeError(); });
  if (!decodeSecs)
    return fail(decodeSecs.takeError());
  outs() << formatv("decode   reference: {0} steps from position 0, {1} threads: {2:f2} s, "
                    "{3:f1} tokens/s\n",
                    steps, threads, *decodeSecs, steps / *decodeSecs);
  return 0;
}

} // namespace quant_run
