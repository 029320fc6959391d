//===- FuzzConfig.cpp - libFuzzer target: HF config.json parser -----------===//
//
// Invariant: a configuration the parser accepts is valid (validate() holds,
// and every derived size is consistent).
//
//===----------------------------------------------------------------------===//

#include "FuzzCheck.h"
#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto config = lq::parseHFConfig(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  lq::fuzz::check(config->validate("fuzz"), "an accepted config.json does not validate");
  if (config->headDim() * config->nHeads != config->dim || config->kvDim() > config->dim)
    lq::fuzz::fail("an accepted config.json has inconsistent head sizes");
  return 0;
}
