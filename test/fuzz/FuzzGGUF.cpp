//===- FuzzGGUF.cpp - libFuzzer target: GGUF reader -----------------------===//

#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::MemoryBufferRef buf(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  auto model = lq::readGGUF(buf);
  if (!model)
    llvm::consumeError(model.takeError());
  auto vocab = lq::readGGUFVocab(buf);
  if (!vocab)
    llvm::consumeError(vocab.takeError());
  return 0;
}
