//===- FuzzLlama2c.cpp - libFuzzer target: llama2.c .bin reader -----------===//
//
// Invariants: a checkpoint the reader accepts validates, and writing it back
// (serializeLlama2c) and reading that gives the same model bit for bit.
//
//===----------------------------------------------------------------------===//

#include "FuzzCheck.h"
#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::MemoryBufferRef buf(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  auto model = lq::readLlama2c(buf);
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }
  lq::fuzz::check(model->validate("fuzz"), "an accepted llama2.c checkpoint does not validate");
  auto bytes = lq::serializeLlama2c(*model);
  if (!bytes)
    lq::fuzz::fail("an accepted llama2.c checkpoint cannot be written",
                   llvm::toString(bytes.takeError()));
  auto again = lq::readLlama2c(llvm::MemoryBufferRef(
      llvm::StringRef(bytes->data(), bytes->size()), "fuzz (written)"));
  if (!again)
    lq::fuzz::fail("a written llama2.c checkpoint does not read back",
                   llvm::toString(again.takeError()));
  lq::fuzz::checkSameModel(*model, *again, "llama2.c read -> write -> read");
  return 0;
}
