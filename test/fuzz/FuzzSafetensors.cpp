//===- FuzzSafetensors.cpp - libFuzzer target: safetensors reader ---------===//

#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::MemoryBufferRef buf(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  lq::LlamaWeights weights;
  llvm::consumeError(lq::readSafetensors(buf, weights));
  return 0;
}
