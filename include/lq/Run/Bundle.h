//===- Bundle.h - Kernels and packed weights for other runtimes -*- C++ -*-===//
//
// `quant-run emit`: the quantized linears of a module as a bundle directory
// that C programs and PyTorch (ctypes) load without MLIR or LLVM: per target
// a shared library of one C function per kernel (lq_bundle.h's ABI), the
// packed weights as safetensors, a header and a JSON manifest
// (docs/Bundle.md).
//
//===----------------------------------------------------------------------===//
#ifndef LQ_RUN_BUNDLE_H
#define LQ_RUN_BUNDLE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lq::run {

struct BundleOptions {
  /// Targets to emit: "cpu" and/or "cuda".
  std::vector<std::string> targets = {"cpu", "cuda"};
  /// GPU architectures whose PTX the cuda library embeds.
  std::vector<std::string> chips = {"sm_80", "sm_90a"};
  /// The kernels take batches 1..maxBatch.
  int64_t maxBatch = 4096;
  /// Also write reference.safetensors: every linear's weight decoded to
  /// f32 by the numeric library ([rows, cols], under the linear's name),
  /// what a bundle's kernels are checked against.
  bool referenceWeights = false;
  /// Progress and timings (null: silent).
  llvm::raw_ostream *log = nullptr;
};

/// Writes the bundle of `module`'s quantized linears (lq.matmul of an
/// lq.constant) to the directory `dir`, which must not exist yet: it is
/// built beside it and renamed into place, so it appears whole or not at
/// all. `source` names the module in the manifest.
llvm::Error emitBundle(mlir::ModuleOp module, llvm::StringRef dir, llvm::StringRef source,
                       const BundleOptions &options);

/// A module of one matmul specification, for a bundle of its kernel: @matmul
/// multiplies x [batch, cols] by a seeded random [rows, cols] weight,
/// quantized by lq-quantize-weights{`quantize`} (e.g. "method=rtn bits=4
/// group=128") and, with actBits, lq-quantize-activations{bits=actBits}.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildMatmulSpecModule(mlir::MLIRContext *ctx, int64_t rows, int64_t cols,
                      llvm::StringRef quantize, int64_t actBits, uint64_t seed = 1);

} // namespace lq::run

#endif // LQ_RUN_BUNDLE_H
