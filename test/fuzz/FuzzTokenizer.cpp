//===- FuzzTokenizer.cpp - libFuzzer target: tokenizer.json + encode ------===//
//
// Invariants: a tokenizer the loader accepts encodes a fixed text into ids
// inside its vocabulary, and decodes them without crashing.
//
//===----------------------------------------------------------------------===//

#include "FuzzCheck.h"
#include "lq/Model/Tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto tok = lq::BPETokenizer::fromJSON(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  if (!tok) {
    llvm::consumeError(tok.takeError());
    return 0;
  }
  auto ids = tok->encode("ab abc 'll <s> 12 \xc3\xa9t\xc3\xa9\n\n  x");
  if (!ids) {
    llvm::consumeError(ids.takeError());
    return 0;
  }
  for (int32_t id : *ids)
    if (id < 0 || size_t(id) >= tok->vocabSize())
      lq::fuzz::fail("an accepted tokenizer encodes to an id outside its vocabulary",
                     std::to_string(id));
  auto text = tok->decode(*ids);
  if (!text)
    llvm::consumeError(text.takeError());
  return 0;
}
