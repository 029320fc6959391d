//===- FuzzLlama2c.cpp - libFuzzer target: llama2.c .bin reader -----------===//

#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::MemoryBufferRef buf(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  auto model = lq::readLlama2c(buf);
  if (!model)
    llvm::consumeError(model.takeError());
  return 0;
}
