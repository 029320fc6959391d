//===- FuzzConfig.cpp - libFuzzer target: HF config.json parser -----------===//

#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto config = lq::parseHFConfig(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  if (!config)
    llvm::consumeError(config.takeError());
  return 0;
}
