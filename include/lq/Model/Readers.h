//===- Readers.h - Checkpoint readers and writers --------------*- C++ -*-===//
//
// Every reader validates its input completely (bounds, overflow, names,
// shapes, finiteness) and reports failures as llvm::Error naming the file and
// the field; none trusts a size or offset from the file before checking it.
//
// Formats and their RoPE convention (kept as stored, recorded in
// LlamaConfig::ropeStyle):
//   - Hugging Face safetensors + config.json (single or sharded): HalfSplit.
//   - llama2.c .bin (legacy v0, 7 x int32 header): Interleaved.
//   - GGUF v2/v3, general.architecture = llama: Interleaved. llama.cpp's
//     converter permutes q/k rows from HF order into Meta's interleaved order;
//     we read them as stored and let the transformer rotate pairs (2i, 2i+1).
//     Call convertRopeStyle() to obtain HF layout.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_MODEL_READERS_H
#define LQ_MODEL_READERS_H

#include "lq/Model/Llama.h"

#include "llvm/Support/MemoryBufferRef.h"

namespace lq {

//===----------------------------------------------------------------------===//
// Hugging Face
//===----------------------------------------------------------------------===//

/// Parses a Hugging Face config.json (LlamaForCausalLM keys).
llvm::Expected<LlamaConfig> parseHFConfig(llvm::StringRef json,
                                          llvm::StringRef source);

/// Decodes every tensor of one safetensors file (F32/F16/BF16) into `out`.
/// Fails on duplicates within the file or against tensors already in `out`.
/// Tensor values are not checked for finiteness here (LlamaModel::validate).
llvm::Error readSafetensors(llvm::MemoryBufferRef buffer, LlamaWeights &out);

/// Reads a Hugging Face checkpoint: `path` is a directory holding config.json
/// and model.safetensors or model.safetensors.index.json (+ shards), or a
/// .safetensors file with config.json beside it.
llvm::Expected<LlamaModel> readHFModel(llvm::StringRef path);

//===----------------------------------------------------------------------===//
// llama2.c
//===----------------------------------------------------------------------===//

/// llama2.c legacy checkpoint: int32 {dim, hidden_dim, n_layers, n_heads,
/// n_kv_heads, vocab_size (negative: separate classifier), seq_len}, then fp32
/// tensors in run.c's order, including the unused freq_cis tables.
/// rope_theta = 10000 and eps = 1e-5 as in run.c.
llvm::Expected<LlamaModel> readLlama2c(llvm::MemoryBufferRef buffer);
llvm::Expected<LlamaModel> readLlama2cFile(llvm::StringRef path);
/// Writes `model` (converted to Interleaved RoPE order if needed). Only the
/// defaults rope_theta = 10000 and eps = 1e-5 are representable; other values
/// are an error rather than a silently different model.
llvm::Error writeLlama2c(const LlamaModel &model, llvm::StringRef path);
/// The same bytes, in memory.
llvm::Expected<std::vector<char>> serializeLlama2c(const LlamaModel &model);

//===----------------------------------------------------------------------===//
// GGUF
//===----------------------------------------------------------------------===//

enum class GGUFTensorType : uint32_t { F32 = 0, F16 = 1, BF16 = 30 };

/// Reads a GGUF (v2 or v3) llama checkpoint with F32/F16/BF16 tensors.
llvm::Expected<LlamaModel> readGGUF(llvm::MemoryBufferRef buffer);
llvm::Expected<LlamaModel> readGGUFFile(llvm::StringRef path);

/// Optional tokenizer metadata for the GGUF writer (tokenizer.ggml.*, model
/// "gpt2").
struct GGUFVocab {
  std::vector<std::string> tokens;
  std::vector<std::string> merges; ///< "left right"
};
/// Writes GGUF v3 (q/k permuted into Interleaved order if needed; the
/// classifier omitted when tied, as llama.cpp does).
llvm::Expected<std::vector<char>>
serializeGGUF(const LlamaModel &model, GGUFTensorType type = GGUFTensorType::F32,
              const GGUFVocab *vocab = nullptr);
llvm::Error writeGGUF(const LlamaModel &model, llvm::StringRef path,
                      GGUFTensorType type = GGUFTensorType::F32,
                      const GGUFVocab *vocab = nullptr);
/// Reads tokenizer.ggml.tokens / tokenizer.ggml.merges of a GGUF file.
llvm::Expected<GGUFVocab> readGGUFVocab(llvm::MemoryBufferRef buffer);

//===----------------------------------------------------------------------===//
// Any format
//===----------------------------------------------------------------------===//

/// Dispatches on what `path` is: a directory or .safetensors file (HF), a file
/// starting with "GGUF" or named *.gguf, a file that looks like safetensors
/// (u64 header length, then '{'; config.json beside it), otherwise llama2.c
/// .bin (the error says which formats were ruled out).
llvm::Expected<LlamaModel> loadModel(llvm::StringRef path);

/// A model of `config`'s shape with seeded pseudo-random weights distributed
/// as an initialized Llama's (Synthetic.cpp); for scale tests and benchmarks.
llvm::Expected<LlamaModel> makeSyntheticModel(const LlamaConfig &config, uint64_t seed);

} // namespace lq

#endif // LQ_MODEL_READERS_H
