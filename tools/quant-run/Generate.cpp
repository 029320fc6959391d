//===- Generate.cpp - quant-run generate ------------------------------------===//

#include "QuantRun.h"

#include "lq/Run/Evaluate.h"
#include "llvm/Support/FormatVariadic.h"
#include <cmath>

namespace quant_run {

int runGenerate() {
  if (MaxTokens < 1)
    return fail(usage("--max-tokens must be positive"));
  if (!std::isfinite(Temperature) || Temperature < 0 || TopK < 0)
    return fail(usage("--temperature must be finite and not negative, --top-k not negative"));
  auto tok = loadTokenizer();
  if (!tok)
    return fail(tok.takeError());
  if (Prompt.empty())
    return fail(usage("--prompt is required"));
  auto prompt = tok->encode(Prompt);
  if (!prompt)
    return fail(prompt.takeError());
  auto m = loadModel(ModelPath);
  if (!m)
    return fail(m.takeError());
  if (!m->info.hasDecode)
    return fail(usage(formatv("{0}: generate needs @decode", ModelPath)));
  if (Error e = compileModel(*m))
    return fail(std::move(e));

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
    auto text = tok->decode(generated);
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
  auto r = generate(*m->runner, *prompt, MaxTokens, sampling, StopToken, onToken,
                    /*keepLogits=*/VerifyDecode);
  if (!r)
    return fail(r.takeError());
  auto text = tok->decode(r->tokens);
  if (text && StringRef(*text).starts_with(printed))
    outs() << StringRef(*text).drop_front(printed.size());
  outs() << "\n";
  if (PrintIds) {
    outs() << "ids:";
    for (int32_t id : r->tokens)
      outs() << " " << id;
    outs() << "\n";
  }
  outs().flush();
  if (VerifyDecode) {
    if (!m->info.hasForward)
      return fail(usage(formatv("{0}: --verify needs @forward", ModelPath)));
    // Every position fed to @decode, in one @forward call.
    std::vector<int32_t> fed(*prompt);
    fed.insert(fed.end(), r->tokens.begin(), r->tokens.end() - 1);
    std::vector<float> logits;
    if (Error e = m->runner->forward(fed, logits))
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
      prompt->size(), r->promptSeconds, prompt->size() / std::max(r->promptSeconds, 1e-9),
      r->tokens.size(), r->generateSeconds,
      r->tokens.size() > 1 ? (r->tokens.size() - 1) / std::max(r->generateSeconds, 1e-9) : 0.0);
  return 0;
}

} // namespace quant_run
