//===- KernelBuilder.h - shared IR building for the NVPTX kernels -*- C++ -*-===//
//
// What every kernel builder of lq-lower-to-nvptx uses: KernelOpBuilder, the
// terse arith/llvm/gpu shortcuts of a kernel body (in the style of triton's
// TritonLLVMOpBuilder); the kernel function shell and the beginKernel
// scaffold around it; and the loops the kernels are made of (strided work
// split, accumulating and software-pipelined scf.for).
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_KERNELBUILDER_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include <optional>

namespace mlir::lq::nvptx {

/// Terse arithmetic for the kernel body: `KernelOpBuilder e(loc, b);` then
/// `e.add(x, e.c32(1))`. Every shortcut builds at `b`'s insertion point.
struct KernelOpBuilder {
  KernelOpBuilder(Location loc, OpBuilder &b) : b(b), loc(loc) {}

  OpBuilder &b;
  Location loc;

  Type i32() { return b.getI32Type(); }
  Value c32(int64_t v) { return arith::ConstantIntOp::create(b, loc, i32(), v); }
  Value f32(double v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat((float)v));
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value shr(Value x, int64_t s) { return s ? arith::ShRUIOp::create(b, loc, x, c32(s)) : x; }
  Value band(Value x, int64_t m) { return arith::AndIOp::create(b, loc, x, c32(m)); }
  Value bor(Value x, int64_t m) { return arith::OrIOp::create(b, loc, x, c32(m)); }
  Value toI32(Value index) { return arith::IndexCastUIOp::create(b, loc, i32(), index); }
  /// A kernel's pointer argument in the global address space.
  Value global(Value ptr) {
    return LLVM::AddrSpaceCastOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1),
                                         ptr);
  }
  Value threadId() { return toI32(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x)); }
  Value blockId() { return toI32(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x)); }
  Value toIndex(Value i) { return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), i); }
  // An explicit fma: NVPTX does not contract a separate multiply and add.
  Value fma(Value x, Value y, Value z) { return LLVM::FMAOp::create(b, loc, x, y, z); }
  Value bitcast(Type t, Value v) { return LLVM::BitcastOp::create(b, loc, t, v); }
  VectorType v2f16() { return VectorType::get({2}, b.getF16Type()); }
  VectorType v4i32() { return VectorType::get({4}, i32()); }

  /// The global-memory pointer `base + index * sizeof(element)`.
  Value gep(Value base, Type element, Value index) {
    return LLVM::GEPOp::create(b, loc, base.getType(), element, base, ValueRange{index},
                               LLVM::GEPNoWrapFlags::inbounds);
  }
  /// A read-only load: `!invariant.load` lets NVPTX use the non-coherent
  /// path (ld.global.nc), the weights and activations never change during
  /// a launch.
  Value load(Type t, Value ptr, unsigned align) {
    return LLVM::LoadOp::create(b, loc, t, ptr, align, /*isVolatile=*/false,
                                /*isNonTemporal=*/false, /*isInvariant=*/true);
  }
  Value extract(Value vec, int64_t i) { return vector::ExtractOp::create(b, loc, vec, i); }
};

/// A workgroup (shared-memory) buffer of `size` elements of `element`.
MemRefType workgroupBuffer(MLIRContext *ctx, int64_t size, Type element);

/// The kernel function shell every builder shares, appended to `kernels`:
/// `(ptr, ptr[, ptr])`, known launch sizes, `.maxntid` and, when
/// `minBlocks` > 0, `.minnctapersm`.
gpu::GPUFuncOp makeKernelFunc(gpu::GPUModuleOp kernels, Location loc, StringRef name, int64_t args,
                              int64_t grid, int64_t threads, TypeRange workgroup,
                              int64_t minBlocks = 0);

/// A kernel being built: its function, a builder in its body, the
/// KernelOpBuilder over it, and its pointer arguments cast to the global
/// address space. Not copyable (`e` refers to `b`); beginKernel makes one.
struct KernelScaffold {
  KernelScaffold(gpu::GPUModuleOp kernels, Location loc, StringRef name, int64_t args,
                 int64_t grid, int64_t threads, TypeRange workgroup, int64_t minBlocks,
                 std::optional<NVVM::GridDepActionKind> gridDependency);
  KernelScaffold(const KernelScaffold &) = delete;
  KernelScaffold &operator=(const KernelScaffold &) = delete;

  gpu::GPUFuncOp func;
  OpBuilder b;
  KernelOpBuilder e;
  /// Argument i of the kernel as a global pointer.
  SmallVector<Value, 3> args;

  /// The kernel's workgroup buffer (it must have one).
  Value workgroup() { return func.getWorkgroupAttributions().front(); }
  /// Ends the body with gpu.return and returns the kernel.
  gpu::GPUFuncOp finish();
};

/// Starts a kernel: makeKernelFunc's shell, a builder at the start of its
/// body, the griddepcontrol `gridDependency` (programmatic dependent launch)
/// if any, then every argument cast to the global address space.
KernelScaffold beginKernel(gpu::GPUModuleOp kernels, Location loc, StringRef name, int64_t args,
                           int64_t grid, int64_t threads, TypeRange workgroup,
                           int64_t minBlocks = 0,
                           std::optional<NVVM::GridDepActionKind> gridDependency = std::nullopt);

/// Of the items first, first + step, ... below `total`: how many there are.
Value stridedCount(KernelOpBuilder &e, Value first, int64_t step, int64_t total);

/// Slot `u` of iteration `iter` (`perIter` slots each) over those items,
/// clamped to the last item so that slots past the end stay in bounds.
Value stridedItem(KernelOpBuilder &e, Value first, int64_t step, int64_t total, int64_t perIter,
                  Value iter, int64_t u);

/// acc = body(i, acc) for i = lower, lower + step, ... below upper (index
/// values; `i` comes as i32): an scf.for carrying the accumulators.
SmallVector<Value>
accumulateLoop(KernelOpBuilder &e, Value lower, Value upper, Value step, ValueRange init,
               function_ref<SmallVector<Value>(Value i, SmallVector<Value> acc)> body);

/// acc = compute(load(iter), iter, acc) for iter in [0, iters), software
/// pipelined: iteration iter + 1's loads are issued (through the loop's
/// iter_args) before iteration iter's math, so they are in flight while it
/// runs. Returns the final accumulators.
SmallVector<Value>
prefetchLoop(KernelOpBuilder &e, Value iters, ArrayRef<Value> init,
             function_ref<SmallVector<Value>(Value iter)> load,
             function_ref<SmallVector<Value>(ValueRange loaded, Value iter, SmallVector<Value> acc)>
                 compute);

/// Ends the kernel body `b` built.
gpu::GPUFuncOp finishKernel(OpBuilder &b, Location loc, gpu::GPUFuncOp func);

} // namespace mlir::lq::nvptx

#endif // LQ_PASSES_CONVERSION_LQTONVPTX_KERNELBUILDER_H
