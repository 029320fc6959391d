//===- FuzzSafetensors.cpp - libFuzzer target: safetensors reader ---------===//
//
// Invariant: every tensor the reader accepts has non-negative dimensions
// whose product is the number of values it holds. (There is no safetensors
// writer to round-trip through.)
//
//===----------------------------------------------------------------------===//

#include "FuzzCheck.h"
#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::MemoryBufferRef buf(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  lq::LlamaWeights weights;
  if (llvm::Error e = lq::readSafetensors(buf, weights)) {
    llvm::consumeError(std::move(e));
    return 0;
  }
  for (const auto &[name, t] : weights.tensors) {
    int64_t n = 1;
    for (int64_t d : t.shape) {
      if (d < 0)
        lq::fuzz::fail("an accepted safetensors tensor has a negative dimension", name);
      n *= d;
    }
    if (n != (int64_t)t.data.size() || t.numel() != n)
      lq::fuzz::fail("an accepted safetensors tensor's shape does not match its data", name);
  }
  return 0;
}
