//===- CompiledModel.h - A model's compiled entry points --------*- C++ -*-===//
//
// What evaluation (perplexity, generation, timing) needs of a compiled
// model, whatever compiled and loaded it: the JIT (lq::run::ModelRunner) or
// a shared library written ahead of time (SharedLibraryModel). No MLIR
// dependency, so runners on machines without LLVM link it.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUNTIME_COMPILEDMODEL_H
#define LQ_RUNTIME_COMPILEDMODEL_H

#include "lq/Runtime/ModelInfo.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace lq::runtime {

/// The KV caches @decode threads through, owned by the state, and the
/// position the next token goes to. Not shared between threads.
class DecodeState {
public:
  virtual ~DecodeState();
  /// Positions cached so far.
  int64_t position() const { return pos; }

protected:
  int64_t pos = 0;
};

class CompiledModel {
public:
  virtual ~CompiledModel();

  virtual const ModelInfo &info() const = 0;

  /// Logits [T, vocab] row-major of @forward on `tokens` (1 <= T <= context,
  /// ids in the vocabulary); an error when the model has no @forward. Safe
  /// to call from several threads at once.
  virtual llvm::Error forward(llvm::ArrayRef<int32_t> tokens,
                              std::vector<float> &logits) const = 0;

  /// Empty caches at position 0; an error when the model has no @decode.
  virtual llvm::Expected<std::unique_ptr<DecodeState>> newDecodeState() const = 0;
  /// Runs @decode on `token` at the state's position (< context), advances
  /// it, and returns the logits [vocab]. `state` must come from this model's
  /// newDecodeState.
  virtual llvm::Error decode(DecodeState &state, int32_t token,
                             std::vector<float> &logits) const = 0;

  /// Threads the model's kernels use in calls made from the calling thread
  /// (callers that run several calls at once give each 1). Code without
  /// parallel loops ignores it.
  virtual void setKernelThreads(unsigned threads) const {}
  /// Whether calls (with their own decode states) may run on several host
  /// threads at once.
  virtual bool allowsConcurrentCalls() const { return true; }
};

} // namespace lq::runtime

#endif // LQ_RUNTIME_COMPILEDMODEL_H
