//===- Verify.h - Check an imported module against the reference -*- C++ -*-=//
//
// Lowers a copy of the module with the upstream pipeline, JIT-compiles it and
// compares @forward and @decode logits with lq::Transformer.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_TOOLS_QUANT_IMPORT_VERIFY_H
#define LQ_TOOLS_QUANT_IMPORT_VERIFY_H

#include "lq/Model/Transformer.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir {
class DialectRegistry;
}

namespace lq {

/// What the lowering and the JIT need in the context.
void registerVerifyExtensions(mlir::DialectRegistry &registry);

/// Runs `tokens` through @forward (one call) and through @decode (one call
/// per position) and compares both with `reference.forward(tokens)`. Passes
/// when max |mlir - ref| <= tolerance * max(1, max |ref|); prints the
/// differences to `log` either way.
llvm::Error verifyAgainstReference(mlir::ModuleOp module,
                                   const Transformer &reference,
                                   llvm::ArrayRef<int32_t> tokens,
                                   double tolerance, llvm::raw_ostream &log);

} // namespace lq

#endif // LQ_TOOLS_QUANT_IMPORT_VERIFY_H
