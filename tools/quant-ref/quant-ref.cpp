//===- quant-ref.cpp - Reference model CLI --------------------------------===//
//
//   quant-ref perplexity --model <dir|file> --text <file> [--max-windows N]
//                        [--threads N] [--window 512] [--tokenizer <file>]
//   quant-ref tokenize --tokenizer <file|model dir> [--text <file>]
//                      [--count] [--decode]
//
//===----------------------------------------------------------------------===//

#include "lq/Model/Perplexity.h"
#include "lq/Model/Readers.h"
#include "lq/Model/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/WithColor.h"

#include <chrono>

using namespace llvm;

static cl::SubCommand PerplexityCmd("perplexity",
                                    "Perplexity of a text (SOURCES.md "
                                    "protocol)");
static cl::SubCommand TokenizeCmd("tokenize", "Encode (or decode) a text");

static cl::OptionCategory Category("quant-ref options");
static cl::opt<std::string> ModelPath("model", cl::desc("Checkpoint: HF "
                                                        "directory, "
                                                        ".safetensors, "
                                                        "llama2.c .bin or "
                                                        ".gguf"),
                                      cl::sub(PerplexityCmd), cl::Required, cl::cat(Category));
static cl::opt<std::string> TextPath("text", cl::desc("UTF-8 text file "
                                                      "(tokenize: default "
                                                      "stdin)"),
                                     cl::sub(PerplexityCmd),
                                     cl::sub(TokenizeCmd), cl::cat(Category));
static cl::opt<std::string>
    TokenizerPath("tokenizer",
                  cl::desc("tokenizer.json, or a directory holding one "
                           "(default: beside the model)"),
                  cl::sub(PerplexityCmd), cl::sub(TokenizeCmd), cl::cat(Category));
static cl::opt<int64_t> MaxWindows("max-windows",
                                   cl::desc("Score at most N windows (0: all)"),
                                   cl::init(0), cl::sub(PerplexityCmd), cl::cat(Category));
static cl::opt<int64_t> WindowLen("window", cl::desc("Window length"),
                                  cl::init(512), cl::sub(PerplexityCmd), cl::cat(Category));
static cl::opt<unsigned> Threads("threads",
                                 cl::desc("Worker threads (0: all cores)"),
                                 cl::init(0), cl::sub(PerplexityCmd), cl::cat(Category));
static cl::opt<bool> CountOnly("count", cl::desc("Print only the token count"),
                               cl::sub(TokenizeCmd), cl::cat(Category));
static cl::opt<bool> Decode("decode",
                            cl::desc("Read whitespace-separated ids, print "
                                     "the decoded text"),
                            cl::sub(TokenizeCmd), cl::cat(Category));

static int fail(Error e) {
  WithColor::error(errs(), "quant-ref") << toString(std::move(e)) << "\n";
  return 1;
}

static Expected<std::unique_ptr<MemoryBuffer>> readText(StringRef path) {
  auto buf = path.empty() || path == "-" ? MemoryBuffer::getSTDIN()
                                         : MemoryBuffer::getFile(path, true);
  if (!buf)
    return createStringError(buf.getError(), "cannot read '%s': %s",
                             path.str().c_str(),
                             buf.getError().message().c_str());
  return std::move(*buf);
}

/// The tokenizer.json to use: --tokenizer (file or folder), else the one
/// beside the model.
static std::string tokenizerFor(StringRef model) {
  SmallString<256> p(TokenizerPath.empty() ? model : StringRef(TokenizerPath));
  if (TokenizerPath.empty() && !sys::fs::is_directory(p))
    sys::path::remove_filename(p);
  if (sys::fs::is_directory(p))
    sys::path::append(p, "tokenizer.json");
  return std::string(p);
}

static int runTokenize() {
  if (TokenizerPath.empty())
    return fail(createStringError(inconvertibleErrorCode(),
                                  "tokenize needs --tokenizer"));
  auto tok = lq::BPETokenizer::fromFile(tokenizerFor(""));
  if (!tok)
    return fail(tok.takeError());
  auto text = readText(TextPath);
  if (!text)
    return fail(text.takeError());
  if (Decode) {
    std::vector<int32_t> ids;
    for (StringRef rest = (*text)->getBuffer();;) {
      auto [word, tail] = getToken(rest);
      rest = tail;
      if (word.empty())
        break;
      int32_t id;
      if (word.getAsInteger(10, id))
        return fail(createStringError(inconvertibleErrorCode(),
                                      "not a token id: '%s'",
                                      word.str().c_str()));
      ids.push_back(id);
    }
    auto s = tok->decode(ids);
    if (!s)
      return fail(s.takeError());
    outs() << *s;
    return 0;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto ids = tok->encode((*text)->getBuffer());
  if (!ids)
    return fail(ids.takeError());
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (CountOnly) {
    outs() << ids->size() << "\n";
  } else {
    for (size_t i = 0; i < ids->size(); ++i)
      outs() << (i ? " " : "") << (*ids)[i];
    outs() << "\n";
  }
  errs() << format("tokenize: %zu bytes -> %zu tokens in %.3f s\n",
                   (*text)->getBufferSize(), ids->size(), secs);
  return 0;
}

static int runPerplexity() {
  auto t0 = std::chrono::steady_clock::now();
  auto model = lq::loadModel(ModelPath);
  if (!model)
    return fail(model.takeError());
  auto tok = lq::BPETokenizer::fromFile(tokenizerFor(ModelPath));
  if (!tok)
    return fail(tok.takeError());
  auto text = readText(TextPath);
  if (!text)
    return fail(text.takeError());
  auto ids = tok->encode((*text)->getBuffer());
  if (!ids)
    return fail(ids.takeError());
  double loadSecs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  const lq::LlamaConfig &c = model->config;
  errs() << format("model: %lld layers, dim %lld, heads %lld/%lld, vocab "
                   "%lld, %lld parameters; text: %zu tokens; load+encode "
                   "%.2f s; threads %u\n",
                   (long long)c.nLayers, (long long)c.dim,
                   (long long)c.nHeads, (long long)c.nKVHeads,
                   (long long)c.vocabSize,
                   (long long)model->weights.numParameters(c.tiedEmbeddings),
                   ids->size(), loadSecs,
                   parallel::strategy.compute_thread_count());
  lq::Transformer transformer(*model);
  lq::PerplexityOptions opts;
  opts.windowLen = WindowLen;
  opts.maxWindows = MaxWindows;
  opts.progress = &errs();
  auto r = lq::computePerplexity(transformer, *ids, opts);
  if (!r)
    return fail(r.takeError());
  outs() << format("perplexity %.4f\n", r->perplexity)
         << format("tokens %zu windows %lld/%lld targets %lld nll %.6f\n",
                   ids->size(), (long long)r->windowsScored,
                   (long long)r->windowsTotal, (long long)r->numTargets,
                   r->totalNLL / r->numTargets)
         << format("time %.2f s, %.0f tokens/s (forward alone: %.2f s, "
                   "%.0f tokens/s; %u threads)\n",
                   r->seconds, r->numTargets / r->seconds, r->forwardSeconds,
                   r->numTargets / r->forwardSeconds,
                   parallel::strategy.compute_thread_count());
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM x(argc, argv);
  cl::HideUnrelatedOptions(Category);
  cl::ParseCommandLineOptions(argc, argv,
                              "quant-opt reference model runner\n");
  if (PerplexityCmd) {
    // Must be set before the first parallel call creates the thread pool.
    if (Threads)
      parallel::strategy = hardware_concurrency(Threads);
    return runPerplexity();
  }
  if (TokenizeCmd)
    return runTokenize();
  errs() << "quant-ref: give a subcommand (perplexity, tokenize); see "
            "--help\n";
  return 1;
}
