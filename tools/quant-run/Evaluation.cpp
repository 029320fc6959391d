//===- Evaluation.cpp - The evaluation sub-commands of both runners -------===//

#include "Evaluation.h"

#include "lq/Model/Readers.h"
#include "lq/Model/Transformer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/WithColor.h"

#include <cmath>
#include <cstring>
#include <mutex>

namespace quant_run {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

int fail(Error e) {
  WithColor::error(errs(), ToolName) << toString(std::move(e)) << "\n";
  return 1;
}
Error usage(const Twine &msg) { return createStringError(inconvertibleErrorCode(), msg); }

Expected<double> timeCalls(int64_t n, function_ref<Error(int64_t)> call) {
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i)
    if (Error e = call(i))
      return std::move(e);
  return secondsSince(t0);
}

Expected<lq::BPETokenizer> loadTokenizer() {
  if (TokenizerPath.empty())
    return usage("--tokenizer is required (tokenizer.json or its folder)");
  SmallString<256> path(TokenizerPath);
  if (sys::fs::is_directory(path))
    sys::path::append(path, "tokenizer.json");
  return lq::BPETokenizer::fromFile(path);
}

static Expected<std::vector<int32_t>> readIdsFile() {
  auto buf = MemoryBuffer::getFile(IdsPath, /*IsText=*/true);
  if (!buf)
    return usage(formatv("cannot read '{0}': {1}", IdsPath, buf.getError().message()));
  std::vector<int32_t> ids;
  for (StringRef rest = (*buf)->getBuffer();;) {
    auto [word, tail] = getToken(rest);
    rest = tail;
    if (word.empty())
      break;
    int32_t id;
    if (word.getAsInteger(10, id) || id < 0)
      return usage(formatv("{0}: not a token id: '{1}'", IdsPath, word));
    ids.push_back(id);
  }
  if (ids.empty())
    return usage(formatv("the id file '{0}' holds no ids", IdsPath));
  return ids;
}

static Expected<std::vector<int32_t>> encodeTextFile(const lq::BPETokenizer &tok) {
  if (TextPath.empty())
    return usage("--text (with --tokenizer) or --ids is required");
  auto buf = MemoryBuffer::getFile(TextPath, /*IsText=*/true);
  if (!buf)
    return usage(formatv("cannot read '{0}': {1}", TextPath, buf.getError().message()));
  if ((*buf)->getBufferSize() == 0)
    return usage(formatv("the text file '{0}' is empty", TextPath));
  return tok.encode((*buf)->getBuffer());
}

Expected<std::vector<int32_t>> inputIds() {
  if (!IdsPath.empty()) {
    if (!TextPath.empty())
      return usage("give either --ids or --text, not both");
    return readIdsFile();
  }
  auto tok = loadTokenizer();
  if (!tok)
    return tok.takeError();
  return encodeTextFile(*tok);
}

//===----------------------------------------------------------------------===//
// perplexity
//===----------------------------------------------------------------------===//

Expected<std::vector<int32_t>> perplexityInput() {
  if (MaxWindows < 0)
    return usage(formatv("--max-windows must be 0 (all) or positive, got {0}", MaxWindows));
  auto t0 = std::chrono::steady_clock::now();
  auto ids = inputIds();
  if (ids)
    errs() << formatv("text: {0} tokens, read in {1:f2} s\n", ids->size(), secondsSince(t0));
  return ids;
}

Expected<RunPerplexityResult> printPerplexity(const CompiledModel &model, ArrayRef<int32_t> ids,
                                              std::chrono::steady_clock::time_point t0) {
  RunPerplexityOptions options;
  options.windowLen = windowLength(model.info());
  options.maxWindows = MaxWindows;
  options.useDecode = UseDecode;
  options.threads = model.allowsConcurrentCalls() ? threadCount() : 1;
  options.progress = &errs();
  auto r = evaluatePerplexity(model, ids, options);
  if (!r)
    return r.takeError();
  outs() << formatv("perplexity {0:f4}\n", r->perplexity)
         << formatv("tokens {0} windows {1}/{2} window {3} targets {4} nll {5:f6}\n", ids.size(),
                    r->windowsScored, r->windowsTotal, options.windowLen, r->numTargets,
                    r->totalNLL / r->numTargets)
         << formatv("time {0:f2} s, {1:f0} tokens/s ({2} threads), total {3:f2} s\n", r->seconds,
                    r->numTargets / r->seconds, options.threads, secondsSince(t0));
  return r;
}

//===----------------------------------------------------------------------===//
// generate
//===----------------------------------------------------------------------===//

Expected<GenerationInput> generationInput() {
  if (MaxTokens < 1)
    return usage("--max-tokens must be positive");
  if (!std::isfinite(Temperature) || Temperature < 0 || TopK < 0)
    return usage("--temperature must be finite and not negative, --top-k not negative");
  auto tok = loadTokenizer();
  if (!tok)
    return tok.takeError();
  if (Prompt.empty())
    return usage("--prompt is required");
  auto prompt = tok->encode(Prompt);
  if (!prompt)
    return prompt.takeError();
  return GenerationInput{std::move(*tok), std::move(*prompt)};
}

namespace {

/// The --logits-out file: "LQLOGITS", then little-endian i64 positions and
/// vocab, the i32 ids fed at each position, and the f32 logits
/// [positions, vocab] @decode returned.
constexpr StringLiteral kLogitsMagic = "LQLOGITS";

struct RecordedLogits {
  std::vector<int32_t> fed;
  std::vector<float> logits;
  int64_t vocab = 0;
};

Error writeLogits(StringRef path, const RecordedLogits &r) {
  return writeToOutput(path, [&](raw_ostream &os) {
    int64_t header[2] = {(int64_t)r.fed.size(), r.vocab};
    os << kLogitsMagic;
    os.write(reinterpret_cast<const char *>(header), sizeof(header));
    os.write(reinterpret_cast<const char *>(r.fed.data()), r.fed.size() * sizeof(int32_t));
    os.write(reinterpret_cast<const char *>(r.logits.data()), r.logits.size() * sizeof(float));
    return Error::success();
  });
}

Expected<RecordedLogits> readLogits(StringRef path) {
  auto buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return usage(formatv("cannot read '{0}': {1}", path, buffer.getError().message()));
  StringRef data = (*buffer)->getBuffer();
  auto bad = [&](StringRef why) { return usage(formatv("'{0}': {1}", path, why)); };
  int64_t header[2];
  if (!data.consume_front(kLogitsMagic) || data.size() < sizeof(header))
    return bad("not a --logits-out file");
  std::memcpy(header, data.data(), sizeof(header));
  data = data.drop_front(sizeof(header));
  auto [positions, vocab] = header;
  if (positions < 0 || vocab <= 0 || positions > (1 << 24) || vocab > (1 << 24) ||
      (uint64_t)data.size() != (uint64_t)positions * (4 + 4 * vocab))
    return bad("size does not match its header (truncated or corrupt)");
  RecordedLogits r;
  r.vocab = vocab;
  r.fed.resize(positions);
  r.logits.resize(positions * vocab);
  std::memcpy(r.fed.data(), data.data(), positions * 4);
  std::memcpy(r.logits.data(), data.data() + positions * 4, positions * vocab * 4);
  return r;
}

/// Compares over the leading positions where both runs fed the same ids
/// (greedy runs may part where two logits nearly tie); true if within rtol.
Expected<bool> compareLogits(const RecordedLogits &run, const RecordedLogits &ref) {
  if (run.vocab != ref.vocab)
    return usage(formatv("--logits-ref: vocabulary {0}, this model's {1}", ref.vocab, run.vocab));
  size_t same = 0;
  while (same < run.fed.size() && same < ref.fed.size() && run.fed[same] == ref.fed[same])
    ++same;
  double maxDiff = 0, maxRef = 0;
  for (size_t i = 0; i < same * run.vocab; ++i) {
    maxDiff = std::max<double>(maxDiff, std::fabs(run.logits[i] - ref.logits[i]));
    maxRef = std::max<double>(maxRef, std::fabs(ref.logits[i]));
  }
  double rel = maxDiff / std::max(maxRef, 1e-30);
  bool ok = same > 0 && rel <= LogitsRtol;
  errs() << formatv("logits vs {0}: {1} of {2} positions fed the same ids; max |diff| {3:e2}, "
                    "max |logit| {4:f2}, relative {5:e2}: {6}\n",
                    LogitsRef, same, std::max(run.fed.size(), ref.fed.size()), maxDiff, maxRef,
                    rel, ok ? "ok" : "MISMATCH");
  return ok;
}

} // namespace

int printGeneration(const CompiledModel &model, GenerationInput &input, StringRef modelName) {
  if (!model.info().hasDecode)
    return fail(usage(formatv("{0}: generate needs @decode", modelName)));
  if (VerifyDecode && !model.info().hasForward)
    return fail(usage(formatv("{0}: --verify needs @forward", modelName)));
  const lq::BPETokenizer &tok = input.tokenizer;
  const std::vector<int32_t> &prompt = input.prompt;
  SamplingOptions sampling;
  sampling.temperature = Temperature;
  sampling.topK = TopK;
  sampling.seed = Seed;
  outs() << Prompt;
  outs().flush();
  // Print as we go; a token may end mid UTF-8 sequence, so decode the whole
  // generation each time and print the new suffix.
  std::vector<int32_t> generated;
  std::string printed;
  auto onToken = [&](int32_t id) {
    generated.push_back(id);
    auto text = tok.decode(generated);
    if (!text) {
      consumeError(text.takeError());
      return;
    }
    if (StringRef(*text).starts_with(printed)) {
      outs() << StringRef(*text).drop_front(printed.size());
      outs().flush();
      printed = std::move(*text);
    }
  };
  auto r = generate(model, prompt, MaxTokens, sampling, StopToken, onToken,
                    /*keepLogits=*/VerifyDecode || !LogitsOut.empty() || !LogitsRef.empty());
  if (!r) {
    outs() << "\n";
    return fail(r.takeError());
  }
  auto text = tok.decode(r->tokens);
  if (text && StringRef(*text).starts_with(printed))
    outs() << StringRef(*text).drop_front(printed.size());
  else if (!text)
    consumeError(text.takeError());
  outs() << "\n";
  if (PrintIds) {
    outs() << "ids:";
    for (int32_t id : r->tokens)
      outs() << " " << id;
    outs() << "\n";
  }
  outs().flush();
  if (!LogitsOut.empty() || !LogitsRef.empty()) {
    RecordedLogits run;
    run.vocab = model.info().vocab;
    run.fed = prompt;
    run.fed.insert(run.fed.end(), r->tokens.begin(), r->tokens.end() - 1);
    run.logits = std::move(r->logits);
    if (!LogitsOut.empty())
      if (Error e = writeLogits(LogitsOut, run))
        return fail(std::move(e));
    if (!LogitsRef.empty()) {
      auto ref = readLogits(LogitsRef);
      if (!ref)
        return fail(ref.takeError());
      auto ok = compareLogits(run, *ref);
      if (!ok)
        return fail(ok.takeError());
      if (!*ok)
        return 1;
    }
    r->logits = std::move(run.logits);
  }
  if (VerifyDecode) {
    // Every position fed to @decode, in one @forward call.
    std::vector<int32_t> fed(prompt);
    fed.insert(fed.end(), r->tokens.begin(), r->tokens.end() - 1);
    std::vector<float> logits;
    if (Error e = model.forward(fed, logits))
      return fail(std::move(e));
    double maxDiff = 0, maxRef = 1;
    for (size_t i = 0; i < logits.size(); ++i) {
      maxDiff = std::max<double>(maxDiff, std::fabs(logits[i] - r->logits[i]));
      maxRef = std::max<double>(maxRef, std::fabs(logits[i]));
    }
    bool ok = maxDiff <= 1e-4 * maxRef;
    errs() << formatv("verify: @decode vs @forward over {0} positions: max |diff| {1:e2} "
                      "(max |logit| {2:f2}): {3}\n",
                      fed.size(), maxDiff, maxRef, ok ? "ok" : "MISMATCH");
    if (!ok)
      return 1;
  }
  errs() << formatv(
      "prompt {0} tokens in {1:f3} s ({2:f1} tokens/s); generated {3} "
      "tokens in {4:f3} s ({5:f1} tokens/s)\n",
      prompt.size(), r->promptSeconds, prompt.size() / std::max(r->promptSeconds, 1e-9),
      r->tokens.size(), r->generateSeconds,
      r->tokens.size() > 1 ? (r->tokens.size() - 1) / std::max(r->generateSeconds, 1e-9) : 0.0);
  return 0;
}

//===----------------------------------------------------------------------===//
// bench
//===----------------------------------------------------------------------===//

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

Error checkBenchFlags() {
  if (BenchTokens < 1 || BenchIters < 1 || BenchSteps < 1)
    return usage("--tokens, --iters and --steps must be positive");
  // The reference's thread pool is sized on first use.
  llvm::parallel::strategy = llvm::hardware_concurrency(threadCount());
  return Error::success();
}

int printBench(const CompiledModel &model) {
  const ModelInfo &info = model.info();
  unsigned threads = model.allowsConcurrentCalls() ? threadCount() : 1;
  int64_t T = std::min(BenchTokens.getValue(), info.context);
  int64_t steps = std::min(BenchSteps.getValue(), info.context);
  std::vector<int32_t> ids = benchIds(std::max(T, steps), info.vocab);
  ArrayRef<int32_t> window = ArrayRef<int32_t>(ids).take_front(T);

  if (info.hasForward) {
    // One call to warm up (page in weights), then `threads` callers at once.
    std::vector<float> logits;
    if (Error e = model.forward(window, logits))
      return fail(std::move(e));
    Error firstError = Error::success();
    std::mutex mutex;
    auto t0 = std::chrono::steady_clock::now();
    {
      llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
      for (int64_t i = 0; i < BenchIters; ++i)
        pool.async([&] {
          model.setKernelThreads(1);
          std::vector<float> out;
          Error e = model.forward(window, out);
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
    auto state = model.newDecodeState();
    if (!state)
      return fail(state.takeError());
    std::vector<float> logits;
    auto secs = timeCalls(steps, [&](int64_t i) { return model.decode(**state, ids[i], logits); });
    if (!secs)
      return fail(secs.takeError());
    outs() << formatv("decode   compiled : {0} steps from position 0: {1:f2} s, {2:f1} tokens/s\n",
                      steps, *secs, steps / *secs);
  }
  if (ReferencePath.empty())
    return 0;
  auto checkpoint = lq::loadModel(ReferencePath);
  if (!checkpoint)
    return fail(checkpoint.takeError());
  lq::Transformer ref(*checkpoint);
  if (ref.config().vocabSize != info.vocab)
    return fail(usage("the reference checkpoint's vocabulary differs from the model's"));
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
