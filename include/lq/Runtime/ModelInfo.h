//===- ModelInfo.h - What a compiled model's entry points expect -*- C++ -*-===//
//
// The dimensions and entry points of a model (docs/ModelIR.md), as the
// runners need them, and the JSON form a shared-library model carries
// (`lq_model_info_json`, written by quant-run compile --shared) so that a
// runner without MLIR needs no header. No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUNTIME_MODELINFO_H
#define LQ_RUNTIME_MODELINFO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lq::runtime {

/// Where a compiled model's code runs.
enum class ModelTarget { CPU, CUDA };

/// A weight a compiled model reads from its weights file (a safetensors
/// tensor of that name, dtype and shape) rather than from its code.
struct WeightSpec {
  std::string name;
  std::string dtype; ///< a safetensors dtype: "F32", "I8", ...
  std::vector<int64_t> shape;
};

struct ModelInfo {
  int64_t dim = 0, hiddenDim = 0, layers = 0, heads = 0, kvHeads = 0,
          headDim = 0, vocab = 0, context = 0;
  /// Which entry points the module defines (with the contract's signature).
  bool hasForward = false, hasDecode = false;

  /// Bits of @decode's packed KV cache codes (lq-quantize-kv), or 0 when it
  /// carries f32 caches.
  int64_t kvBits = 0;

  /// The host CPU, or CUDA (caches in device memory, the mgpu* runtime).
  ModelTarget target = ModelTarget::CPU;

  /// The weights bound at load time, in the order of the library's
  /// kWeightTableSymbol slots; empty when the code holds its weights.
  std::vector<WeightSpec> weights;

  /// Elements of one KV cache: layers * kv_heads * context * head_dim.
  int64_t cacheElements() const { return layers * kvHeads * context * headDim; }
  /// Bytes of one position's codes in a packed cache (all KV heads).
  int64_t packedRowBytes() const { return (kvHeads * headDim * kvBits + 7) / 8; }
};

/// An error naming the first id of `ids` outside [0, info.vocab), if any:
/// the one check of token ids before they index the embedding or logits.
llvm::Error checkTokenIds(llvm::ArrayRef<int32_t> ids, const ModelInfo &info);

/// The symbol a shared-library model exports its description under: a
/// NUL-terminated JSON object (modelInfoToJSON).
inline constexpr llvm::StringLiteral kModelInfoSymbol = "lq_model_info_json";

/// The symbol of a shared-library model's weight table: one pointer per
/// ModelInfo::weights entry, which the loader sets to that weight's data
/// before the first call.
inline constexpr llvm::StringLiteral kWeightTableSymbol = "lq_model_weight_table";

llvm::StringRef targetName(ModelTarget target);

/// `info` as the JSON object of kModelInfoSymbol, e.g.
///   {"format":"lq-model-info","version":1,"target":"cpu","vocab":8192,
///    "context":512,...,"kv_bits":4,"kv_row_bytes":32,"functions":["decode"]}
std::string modelInfoToJSON(const ModelInfo &info);

/// Parses and checks a description written by modelInfoToJSON: every
/// dimension present and in range, the packed row size consistent with the
/// KV heads and bits, at least one entry point.
llvm::Expected<ModelInfo> parseModelInfoJSON(llvm::StringRef json);

} // namespace lq::runtime

#endif // LQ_RUNTIME_MODELINFO_H
