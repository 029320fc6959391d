//===- ImportLlama.h - Llama checkpoint to MLIR module ---------*- C++ -*-===//
//
// Builds the model module of docs/ModelIR.md (@forward, @decode, the lq.model
// attribute, weights as dense_resource blobs) from an lq::LlamaModel.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_IMPORT_IMPORTLLAMA_H
#define LQ_IMPORT_IMPORTLLAMA_H

#include "lq/Model/Llama.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace lq {

struct ImportOptions {
  /// The context length C: the cache length of @decode and the largest
  /// sequence @forward is valid for. 0 keeps the checkpoint's
  /// max_position_embeddings.
  int64_t context = 0;
  /// Emit @forward / @decode.
  bool forward = true;
  bool decode = true;
  /// How linear layers are written.
  enum class LinearForm {
    /// The role-tagged transposed-B linalg.matmul of docs/ModelIR.md.
    Model,
    /// torch-mlir's lowering of aten.linear, untagged: the [out, in] weight
    /// transposed by a linalg.generic, broadcast to [1, in, out], and a
    /// linalg.batch_matmul of the [1, T, in] input (what lq-import-linalg
    /// takes back).
    Torch,
  };
  LinearForm linearForm = LinearForm::Model;
};

/// Registers the dialects the imported module uses.
void registerImportDialects(mlir::DialectRegistry &registry);

/// Builds the module for `model`, which must have passed
/// LlamaModel::validate(). Like any compiled kernel the module does not check
/// its inputs: callers keep 1 <= T <= context, 0 <= pos < context and token
/// ids below the vocabulary size (outside them it reads or writes out of
/// bounds). The weight data is moved out of `model` into the
/// module's resource blobs (no copy, so a large model is held once);
/// `model.weights` is empty afterwards. `source` names the checkpoint in
/// errors.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importLlama(mlir::MLIRContext &context, LlamaModel &model,
            const ImportOptions &options, llvm::StringRef source);

/// Resource blob names of the RoPE tables ([context, head_dim / 2] f32,
/// cos / sin of pos * theta^(-2i/head_dim), computed in double).
inline constexpr const char *RopeCosName = "rope.cos";
inline constexpr const char *RopeSinName = "rope.sin";

} // namespace lq

#endif // LQ_IMPORT_IMPORTLLAMA_H
