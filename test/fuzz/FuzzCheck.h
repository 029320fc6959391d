//===- FuzzCheck.h - Invariant checks shared by the fuzz targets -*- C++ -*-===//
//
// A violated invariant prints what broke and aborts, which libFuzzer reports
// as a crash and the corpus replay (FuzzReplay.cpp) as a failed run.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_TEST_FUZZ_FUZZCHECK_H
#define LQ_TEST_FUZZ_FUZZCHECK_H

#include "lq/Model/Llama.h"

#include "llvm/Support/Error.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lq::fuzz {

[[noreturn]] inline void fail(const char *what, const std::string &detail = "") {
  std::fprintf(stderr, "fuzz invariant violated: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

/// An Error that must be success.
inline void check(llvm::Error e, const char *what) {
  if (e)
    fail(what, llvm::toString(std::move(e)));
}

/// Same configuration and bit-identical tensors (names, shapes, values).
inline void checkSameModel(const LlamaModel &a, const LlamaModel &b, const char *what) {
  const LlamaConfig &x = a.config, &y = b.config;
  if (x.dim != y.dim || x.hiddenDim != y.hiddenDim || x.nLayers != y.nLayers ||
      x.nHeads != y.nHeads || x.nKVHeads != y.nKVHeads || x.vocabSize != y.vocabSize ||
      x.maxSeqLen != y.maxSeqLen || x.tiedEmbeddings != y.tiedEmbeddings ||
      x.ropeStyle != y.ropeStyle || std::memcmp(&x.normEps, &y.normEps, sizeof(float)) ||
      std::memcmp(&x.ropeTheta, &y.ropeTheta, sizeof(float)))
    fail(what, "the configuration differs after the round trip");
  if (a.weights.tensors.size() != b.weights.tensors.size())
    fail(what, "the number of tensors differs after the round trip");
  for (const auto &[name, t] : a.weights.tensors) {
    const Tensor *u = b.weights.lookup(name);
    if (!u)
      fail(what, "tensor '" + name + "' is missing after the round trip");
    if (t.shape != u->shape || t.data.size() != u->data.size() ||
        std::memcmp(t.data.data(), u->data.data(), t.data.size() * sizeof(float)))
      fail(what, "tensor '" + name + "' differs after the round trip");
  }
}

} // namespace lq::fuzz

#endif // LQ_TEST_FUZZ_FUZZCHECK_H
