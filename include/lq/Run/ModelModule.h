//===- ModelModule.h - Loading and checking model modules ------*- C++ -*-===//
//
// The runner's view of a model module (docs/ModelIR.md): the `lq.model`
// configuration and the signatures of @forward / @decode, checked up front so
// a malformed module is a clear error rather than a crash in compiled code.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUN_MODELMODULE_H
#define LQ_RUN_MODELMODULE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace lq::run {

struct ModelInfo {
  int64_t dim = 0, hiddenDim = 0, layers = 0, heads = 0, kvHeads = 0,
          headDim = 0, vocab = 0, context = 0;
  /// Which entry points the module defines (with the contract's signature).
  bool hasForward = false, hasDecode = false;

  /// Bits of @decode's packed KV cache codes (lq-quantize-kv), or 0 when it
  /// carries f32 caches.
  int64_t kvBits = 0;

  /// Elements of one KV cache: layers * kv_heads * context * head_dim.
  int64_t cacheElements() const { return layers * kvHeads * context * headDim; }
  /// Bytes of one position's codes in a packed cache (all KV heads).
  int64_t packedRowBytes() const { return (kvHeads * headDim * kvBits + 7) / 8; }
};

/// Every dialect, extension and LLVM IR translation the runner's lowering
/// needs, plus the lq dialect.
void registerRunDialects(mlir::DialectRegistry &registry);

/// Parses a model module (MLIR bytecode or text) and verifies it.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadModelModule(mlir::MLIRContext &context, llvm::StringRef path);

/// Reads `lq.model` and checks whichever of @forward / @decode exist against
/// the contract; at least one must. `source` names the module in messages.
llvm::Expected<ModelInfo> readModelInfo(mlir::ModuleOp module,
                                        llvm::StringRef source);

} // namespace lq::run

#endif // LQ_RUN_MODELMODULE_H
