//===- Llama.h - Llama model configuration and fp32 weights ----*- C++ -*-===//
//
// The in-memory form every reader produces and every consumer (reference
// transformer, importer, writers) reads: a validated configuration plus fp32
// tensors keyed by their Hugging Face names.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_MODEL_LLAMA_H
#define LQ_MODEL_LLAMA_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lq {

struct LlamaConfig {
  /// Which element pairs RoPE rotates together. The weights of q_proj/k_proj
  /// are laid out for one convention; the two are related by a fixed row
  /// permutation of q/k (see convertRopeStyle).
  enum RopeStyle {
    /// Hugging Face `rotate_half`: pairs (i, i + hd/2). Safetensors.
    HalfSplit,
    /// Meta / llama2.c / GGUF: pairs (2i, 2i + 1).
    Interleaved,
  };

  int64_t dim = 0;       ///< hidden_size
  int64_t hiddenDim = 0; ///< intermediate_size (MLP)
  int64_t nLayers = 0;
  int64_t nHeads = 0;
  int64_t nKVHeads = 0;
  int64_t vocabSize = 0;
  int64_t maxSeqLen = 0;
  float normEps = 1e-5f;
  float ropeTheta = 10000.0f;
  bool tiedEmbeddings = false;
  RopeStyle ropeStyle = HalfSplit;

  int64_t headDim() const { return nHeads ? dim / nHeads : 0; }
  int64_t kvDim() const { return nKVHeads * headDim(); }

  /// Checks positivity, divisibility (dim % heads, heads % kv heads, even head
  /// dim) and sanity bounds that keep every derived size far from overflow.
  /// `source` names the file in the message.
  llvm::Error validate(llvm::StringRef source) const;
};

/// A dense row-major fp32 tensor.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  Tensor() = default;
  Tensor(std::vector<int64_t> shape, std::vector<float> data)
      : shape(std::move(shape)), data(std::move(data)) {}
  int64_t numel() const;
  std::string shapeString() const;
};

/// Tensor names, always in Hugging Face form. Linear weights are
/// [out_features, in_features]; y = x * W^T.
namespace names {
inline constexpr const char *Embed = "model.embed_tokens.weight";
inline constexpr const char *FinalNorm = "model.norm.weight";
inline constexpr const char *LMHead = "lm_head.weight";
enum class LayerTensor {
  AttnNorm,
  Q,
  K,
  V,
  O,
  MLPNorm,
  Gate,
  Up,
  Down,
};
inline constexpr LayerTensor AllLayerTensors[] = {
    LayerTensor::AttnNorm, LayerTensor::Q,    LayerTensor::K,
    LayerTensor::V,        LayerTensor::O,    LayerTensor::MLPNorm,
    LayerTensor::Gate,     LayerTensor::Up,   LayerTensor::Down};
/// e.g. layer(3, LayerTensor::Q) == "model.layers.3.self_attn.q_proj.weight".
std::string layer(int64_t layer, LayerTensor kind);
/// The shape `name` must have under `config` (for layer tensors and the three
/// globals).
std::vector<int64_t> expectedShape(const LlamaConfig &config,
                                   LayerTensor kind);
} // namespace names

struct LlamaWeights {
  /// Ordered so writers and dumps are deterministic.
  std::map<std::string, Tensor> tensors;

  const Tensor *lookup(llvm::StringRef name) const;
  Tensor *lookup(llvm::StringRef name);
  /// Asserts presence; use after validate().
  const Tensor &get(llvm::StringRef name) const;
  Tensor &get(llvm::StringRef name);
  /// Fails on a duplicate name.
  llvm::Error add(llvm::StringRef name, Tensor tensor, llvm::StringRef source);
  /// Total number of parameters (tied lm_head counted once).
  int64_t numParameters(bool tied) const;
};

struct LlamaModel {
  LlamaConfig config;
  LlamaWeights weights;

  /// Requires every tensor of the architecture with exactly the expected
  /// shape, no unexpected names and only finite values. With tied embeddings
  /// and no lm_head.weight, one is materialized from the embedding so
  /// consumers always find it.
  llvm::Error validate(llvm::StringRef source);
};

/// Permutes the rows of every q_proj/k_proj weight so the model computes the
/// same function under RoPE style `to`. Per head, HalfSplit row i (< hd/2)
/// and i + hd/2 become Interleaved rows 2i and 2i+1 (this is the permutation
/// llama.cpp's converter and llama2.c's exporter apply).
void convertRopeStyle(LlamaModel &model, LlamaConfig::RopeStyle to);

} // namespace lq

#endif // LQ_MODEL_LLAMA_H
