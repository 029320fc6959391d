//===- W4A8.cpp - the W4A8 kernels: int8 activations, int8 mma.sync ------===//
//
// lq.matmul act(8) with symmetric 4-bit codes, one family of two kernels:
// buildActQuantKernel (here) quantizes each activation row to int8 into a
// scratch buffer, then the GEMM (W4Gemm.cpp) expands the int4 weights to
// int8 in registers and runs mma.sync.m16n8k32 (s8 x s8 -> s32) against
// them. On sm_90+ the GEMM may be launched while the quantization still
// runs (programmatic dependent launch, griddepcontrol).
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "KernelBuilder.h"
#include "MmaHelpers.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

/// Per-token int8 quantization of the activations (lq.matmul act(8)), one
/// block per row: `q[m, k] = clamp(roundeven(x[m, k] / s_m), -127, 127)`,
/// `s_m = max_k |x[m, k]| / 127` (1 for an all-zero row), in f32 exactly as
/// lq-expand's reference computes it. Writes int8 codes `[M, K]` at offset 0
/// of the scratch buffer and the f32 scales at `w4a8.qScalesOffset`.
gpu::GPUFuncOp buildActQuantKernel(gpu::GPUModuleOp kernels, Location loc,
                                   const KernelPlan &plan, const W4A8Plan &w4a8) {
  MLIRContext *ctx = kernels.getContext();
  const int64_t T = w4a8.quantThreads, warps = T / 32;
  auto smemType = workgroupBuffer(ctx, warps, Float32Type::get(ctx));
  // The GEMM may be scheduled as soon as every block of this kernel runs.
  std::optional<NVVM::GridDepActionKind> dependency;
  if (w4a8.dependentLaunch)
    dependency = NVVM::GridDepActionKind::launch_dependents;
  KernelScaffold k =
      beginKernel(kernels, loc, w4a8.quantName, 2, plan.batch, T, {smemType}, 0, dependency);
  OpBuilder &b = k.b;
  KernelOpBuilder &e = k.e;
  Value xg = k.args[0];
  Value qg = k.args[1];
  Value tid = e.threadId();
  Value row = e.blockId();
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  const int64_t perVec = plan.f32Input ? 4 : 8; // elements per 128-bit load
  const int64_t nvec = plan.cols / perVec, nv = (nvec + T - 1) / T;
  VectorType v4i32 = e.v4i32();
  // All of the thread's loads first (clamped duplicates do not change the
  // maximum), so the row is read with one memory latency.
  SmallVector<SmallVector<Value>> vals;
  SmallVector<Value> vecIndex;
  Value absMax = e.f32(0.0);
  for (int64_t v = 0; v < nv; ++v) {
    Value vi = e.add(tid, e.c32(v * T));
    vecIndex.push_back(vi);
    Value vc = arith::MinUIOp::create(b, loc, vi, e.c32(nvec - 1));
    Value raw = e.load(v4i32, e.gep(xg, v4i32, e.add(e.mul(row, e.c32(nvec)), vc)), 16);
    SmallVector<Value> elems;
    if (plan.f32Input) {
      Value f = e.bitcast(VectorType::get({4}, f32), raw);
      for (int64_t i = 0; i < 4; ++i)
        elems.push_back(e.extract(f, i));
    } else {
      Value h = e.bitcast(VectorType::get({8}, b.getF16Type()), raw);
      Value f = arith::ExtFOp::create(b, loc, VectorType::get({8}, f32), h);
      for (int64_t i = 0; i < 8; ++i)
        elems.push_back(e.extract(f, i));
    }
    // |x| by clearing the sign bit (convert-gpu-to-nvvm takes no llvm.fabs).
    for (Value x : elems) {
      Value bits = e.band(e.bitcast(b.getI32Type(), x), 0x7FFFFFFF);
      absMax = arith::MaximumFOp::create(b, loc, absMax, e.bitcast(f32, bits));
    }
    vals.push_back(elems);
  }
  for (int64_t off = 16; off >= 1; off /= 2) {
    Value other = gpu::ShuffleOp::create(b, loc, absMax, e.c32(off), e.c32(32),
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    absMax = arith::MaximumFOp::create(b, loc, absMax, other);
  }
  Value smem = k.workgroup();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, e.c32(0));
    auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    memref::StoreOp::create(b, loc, absMax, smem, ValueRange{e.toIndex(warp)});
  }
  gpu::BarrierOp::create(b, loc);
  absMax = e.f32(0.0);
  for (int64_t w = 0; w < warps; ++w)
    absMax = arith::MaximumFOp::create(b, loc, absMax,
                                       memref::LoadOp::create(b, loc, smem, ValueRange{e.idx(w)}));
  Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, absMax, e.f32(0.0));
  Value scale = arith::SelectOp::create(
      b, loc, isZero, e.f32(1.0), arith::DivFOp::create(b, loc, absMax, e.f32(127.0)));
  Type store = plan.f32Input ? b.getI32Type() : b.getI64Type();
  for (int64_t v = 0; v < nv; ++v) {
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, vecIndex[v], e.c32(nvec));
    auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> codes;
    for (Value x : vals[v]) {
      // Clamping first leaves the result unchanged, and then adding and
      // subtracting 1.5 * 2^23 rounds to the nearest integer, ties to even,
      // exactly (roundeven without a libdevice call).
      Value q = arith::DivFOp::create(b, loc, x, scale);
      q = arith::MaximumFOp::create(b, loc, q, e.f32(-127.0));
      q = arith::MinimumFOp::create(b, loc, q, e.f32(127.0));
      q = arith::AddFOp::create(b, loc, q, e.f32(12582912.0));
      q = arith::SubFOp::create(b, loc, q, e.f32(12582912.0));
      codes.push_back(arith::FPToSIOp::create(b, loc, i8, q));
    }
    Value packed = e.bitcast(store, vector::FromElementsOp::create(
                                        b, loc, VectorType::get({perVec}, i8), codes));
    Value at = e.add(e.mul(row, e.c32(nvec)), vecIndex[v]);
    LLVM::StoreOp::create(b, loc, packed, e.gep(qg, store, at), perVec);
  }
  {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, e.c32(0));
    auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value scales = e.gep(qg, b.getI8Type(), e.c32(w4a8.qScalesOffset));
    LLVM::StoreOp::create(b, loc, scale, e.gep(scales, f32, row), 4);
  }
  return k.finish();
}

} // namespace mlir::lq::nvptx
