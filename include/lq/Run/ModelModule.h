//===- ModelModule.h - Loading and checking model modules ------*- C++ -*-===//
//
// The runner's view of a model module (docs/ModelIR.md): the `lq.model`
// configuration and the signatures of @forward / @decode, checked up front so
// a malformed module is a clear error rather than a crash in compiled code.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUN_MODELMODULE_H
#define LQ_RUN_MODELMODULE_H

#include "lq/Model/Llama.h"
#include "lq/Runtime/ModelInfo.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace lq::run {

using runtime::ModelInfo;

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

/// The Llama checkpoint a model module holds, for the reference transformer
/// (lq::Transformer, quant-export): `lq.model` and the weights of @forward,
/// the role-tagged linears read from their constants and every other tensor
/// by its resource name. A quantized linear (an `lq.constant`) is decoded
/// with the numeric library when `decodeQuantized` (the floats `lq.decode`
/// stands for) and is an error naming the linear otherwise. `source` names
/// the module in messages.
llvm::Expected<::lq::LlamaModel> readCheckpoint(mlir::ModuleOp module, bool decodeQuantized,
                                                llvm::StringRef source);

} // namespace lq::run

#endif // LQ_RUN_MODELMODULE_H
