//===- Transformer.h - Reference fp32 Llama transformer --------*- C++ -*-===//
//
// The numerical oracle for the compiler's tests: a plain fp32 Llama forward
// (RMSNorm, RoPE in the model's style, grouped-query causal attention,
// SwiGLU), multithreaded over matmul rows with llvm::parallelFor (thread count
// from llvm::parallel::strategy).
//
//===----------------------------------------------------------------------===//

#ifndef LQ_MODEL_TRANSFORMER_H
#define LQ_MODEL_TRANSFORMER_H

#include "lq/Model/Llama.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>

namespace lq {

class Transformer {
public:
  /// `model` must have passed LlamaModel::validate(). Weights are copied into
  /// a packed layout; `model` need not outlive the transformer.
  explicit Transformer(const LlamaModel &model);
  ~Transformer();
  Transformer(Transformer &&);
  Transformer &operator=(Transformer &&);

  const LlamaConfig &config() const;

  /// Full causal pass over tokens[0, T) from position 0 with no cached
  /// context. Returns logits [T, vocab], row-major. Fails on an id outside
  /// the vocabulary, an empty input or T > maxSeqLen. Does not touch the
  /// decode cache; safe to call concurrently with other forward() calls.
  llvm::Expected<std::vector<float>> forward(llvm::ArrayRef<int32_t> tokens) const;

  /// Incremental decoding with a KV cache: processes `token` at position
  /// `pos`, attending to the cached positions [0, pos). `pos` may be at most
  /// the number of positions cached (rewinding drops later ones). Returns the
  /// logits [vocab] for this position, valid until the next call.
  llvm::Expected<llvm::ArrayRef<float>> decode(int32_t token, int64_t pos);
  /// Drops the decode cache.
  void reset();

  /// Rewrites the keys (after RoPE) or values [T, kvDim] of `layer` that a
  /// pass caches, e.g. quantizing them.
  using KVRewrite =
      llvm::function_ref<void(int64_t layer, bool keys, float *rows, int64_t T)>;

  /// The inputs [T, width] of a layer's o projection (the attention's
  /// weighted values, width dim) or down projection (the SwiGLU product,
  /// width hiddenDim), shown to a pass as they are computed.
  enum class LinearInput { O, Down };
  using LinearInputTap =
      llvm::function_ref<void(int64_t layer, LinearInput which, const float *rows, int64_t T)>;

  /// The hidden states [T, dim] entering layer 0 for `tokens` (their
  /// embedding rows). Fails like forward() on bad tokens.
  llvm::Expected<std::vector<float>> embed(llvm::ArrayRef<int32_t> tokens) const;

  /// Runs layers [first, first + count) on hidden states x [T, dim] in place
  /// (positions 0..T-1, no cached context), the operations of forward().
  /// With `rewrite`, each query attends to the keys and values of earlier
  /// positions as `rewrite` leaves them and to its own as computed
  /// (WKVQuant's past-only KV quantization). With `tap`, the o and down
  /// inputs are shown to it. Safe to call concurrently.
  void runLayers(llvm::MutableArrayRef<float> x, int64_t first, int64_t count,
                 KVRewrite rewrite = nullptr, LinearInputTap tap = nullptr) const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

} // namespace lq

#endif // LQ_MODEL_TRANSFORMER_H
