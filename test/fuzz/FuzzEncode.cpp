//===- FuzzEncode.cpp - libFuzzer target: encode with the shipped vocab ---===//
//
// Encodes arbitrary bytes with test/data/llama-docs-2m/tokenizer.json (path
// from LQ_FUZZ_TOKENIZER, set by scripts/fuzz.sh). Invalid UTF-8 must give an
// error; valid text must round-trip exactly through decode (byte-level BPE is
// lossless), with every id inside the vocabulary.
//
//===----------------------------------------------------------------------===//

#include "lq/Model/Tokenizer.h"

#include <cstdio>
#include <cstdlib>

#ifndef LQ_FUZZ_TOKENIZER
#error "define LQ_FUZZ_TOKENIZER to the path of a tokenizer.json"
#endif

static const lq::BPETokenizer &tokenizer() {
  static lq::BPETokenizer *tok = [] {
    auto t = lq::BPETokenizer::fromFile(LQ_FUZZ_TOKENIZER);
    if (!t) {
      std::fprintf(stderr, "%s\n", llvm::toString(t.takeError()).c_str());
      std::abort();
    }
    return new lq::BPETokenizer(std::move(*t));
  }();
  return *tok;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  const lq::BPETokenizer &tok = tokenizer();
  for (bool special : {true, false}) {
    auto ids = tok.encode(text, special);
    if (!ids) {
      llvm::consumeError(ids.takeError());
      continue;
    }
    for (int32_t id : *ids)
      if (id < 0 || size_t(id) >= tok.vocabSize())
        std::abort();
    auto back = tok.decode(*ids);
    if (!back || *back != text) {
      if (!back)
        llvm::consumeError(back.takeError());
      std::fprintf(stderr, "round trip failed (parseSpecial=%d)\n", special);
      std::abort();
    }
  }
  return 0;
}
