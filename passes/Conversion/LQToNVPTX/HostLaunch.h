//===- HostLaunch.h - lq-lower-to-nvptx: the host side ----------*- C++ -*-===//
//
// The host half of a lowered lq.matmul: the weight, packed at compile time
// for its kernel's layout and uploaded once, and the launch that replaces
// the matmul (was lowerMatmul).
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_HOSTLAUNCH_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_HOSTLAUNCH_H

#include "KernelPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq::nvptx {

/// Re-packs `storage`, encoded as `enc`, into the layout of the kernel
/// `plan` describes (docs/GPULayout.md): the blob of its family plan.
void packWeight(KernelPlan &plan, const ::lq::Encoding &enc, const ::lq::EncodedWeight &storage);

/// The packed weight of `plan` as a constant `memref.global` (i8 bytes) at
/// the start of `module`; getOrBuildDeviceUpload gives its device copy.
memref::GlobalOp buildPackedWeight(ModuleOp module, Location loc, const KernelPlan &plan);

/// Replaces `op` by the launch of `kernel` on `input` (the activations the
/// plan reads) and the weight from `upload`: device buffers, copies, the
/// launch and the copy back, all ordered by async tokens. A W4A8 plan's
/// `quant` kernel runs first, into a scratch buffer the GEMM reads. A
/// widening of the input that is left unused is erased with `op`.
void emitLaunch(MatmulOp op, Value input, const KernelPlan &plan, gpu::GPUFuncOp kernel,
                gpu::GPUFuncOp quant, func::FuncOp upload);

/// One kernel instance of a matmul: its plan, its kernel and, for W4A8,
/// the activation quantization kernel that runs first.
struct PlannedKernel {
  KernelPlan plan;
  gpu::GPUFuncOp kernel, quant;
};

/// Replaces `op` by launches on buffers that are already device memory
/// (lq-lower-to-gpu): the kernels read `input`'s buffer and write a new
/// `memref.alloc` in place, with no copies, and read the weight from
/// `memref.get_global` of `packed`, which lq-gpu-device-memory turns into
/// its device copy. A W4A8 plan's `quant` kernel runs first, into a scratch
/// buffer the GEMM reads.
///
/// `kernels` are planMatmul's plans, largest batch first. One plan whose
/// batch is the static row count M is one launch. Otherwise the host picks
/// the largest batch S <= M and launches its kernel in a loop over
/// ceil(M / S) chunks of S rows at pointer offsets; the last chunk starts
/// at row M - S, overlapping the one before rather than reading or writing
/// past row M (its overlapping rows are computed again, to the same values).
void emitDeviceResidentLaunch(MatmulOp op, Value input, ArrayRef<PlannedKernel> kernels,
                              memref::GlobalOp packed);

} // namespace mlir::lq::nvptx

#endif // LQ_PASSES_CONVERSION_LQTONVPTX_HOSTLAUNCH_H
