//===- FuzzTokenizer.cpp - libFuzzer target: tokenizer.json + encode ------===//

#include "lq/Model/Tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto tok = lq::BPETokenizer::fromJSON(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  if (!tok) {
    llvm::consumeError(tok.takeError());
    return 0;
  }
  // A loaded tokenizer must encode and decode without crashing.
  auto ids = tok->encode("ab abc 'll <s> 12 \xc3\xa9t\xc3\xa9\n\n  x");
  if (!ids) {
    llvm::consumeError(ids.takeError());
    return 0;
  }
  auto text = tok->decode(*ids);
  if (!text)
    llvm::consumeError(text.takeError());
  return 0;
}
