//===- GemvMma.h - the chunked mma.sync GEMV skeleton ------------*- C++ -*-===//
//
// The GEMV that the W4 and binary kernels share. One thread block per 16
// output rows (a row tile); its warps split K into chunks of the weight
// encoding (64 columns of 4-bit codes, 256 of binary codes), warp w taking
// chunks w, w + W, ...: neighbouring warps read neighbouring segments, and
// every warp load is one coalesced 128-bit access per lane
// (docs/GPULayout.md). A lane's share of a chunk are its mma A fragments;
// they go through mma.sync.m16n8k16 (f16 x f16 -> f32) against the
// activations, batch rows being the mma's columns (8 per batch tile).
// Warps then reduce through shared memory and store y.
//
// The skeleton builds the kernel shell, the chunk loops (software
// pipelined: the next iteration's weight loads in flight during this one's
// math) and the reduction; each encoding supplies GemvMmaHooks: how a
// chunk's weight words and activations are loaded and how they update the
// accumulators. The accumulators are NB * 4 f32 values: accumulator i of
// batch tile bt at bt * 4 + i.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_GEMVMMA_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_GEMVMMA_H

#include "KernelBuilder.h"
#include "KernelPlan.h"

namespace mlir::lq::nvptx {

/// A main loop of the encoding's own (GemvMmaHooks::mainLoop) sees this:
/// `iters` iterations of `unroll` chunks; chunk u of iteration `iter`; and
/// the math of one iteration given the weight words of its chunks, in
/// chunk order, loadWeights's words for each.
struct GemvMmaLoop {
  Value iters;
  function_ref<Value(Value iter, int64_t u)> chunkOf;
  function_ref<SmallVector<Value>(ArrayRef<Value> weights, Value iter, SmallVector<Value> acc)>
      compute;
};

/// What an encoding supplies to GemvMma::finish.
struct GemvMmaHooks {
  /// The streamed words of chunk `chunk` (an i32 chunk index in the row
  /// tile): the same number for every chunk, carried through the pipelined
  /// loop's iter_args.
  function_ref<SmallVector<Value>(Value chunk)> loadWeights;
  /// The activations of chunk `chunk`: small and shared by every block, so
  /// they come from L1/L2 and are loaded just before use.
  function_ref<SmallVector<Value>(Value chunk)> loadX;
  /// `acc` plus the products of one chunk.
  function_ref<SmallVector<Value>(ArrayRef<Value> weights, ArrayRef<Value> x,
                                  SmallVector<Value> acc)>
      computeChunk;
  /// Optional: the main loop, from the accumulators `init` (W4's cp.async
  /// ring). Without it the weights are prefetched into registers
  /// (GemvMmaTiling::prefetch) or loaded just before use.
  function_ref<SmallVector<Value>(const GemvMmaLoop &loop, SmallVector<Value> init)> mainLoop =
      nullptr;
  /// Optional: output `v` of row r of the tile, before it is stored (a
  /// per-channel scale).
  function_ref<Value(Value r, Value v)> scaleOutput = nullptr;
};

/// One chunked mma GEMV kernel being built. The constructor begins the
/// kernel (x, w, y) and computes what every encoding uses; the encoding
/// then builds its own setup with `b` / `e` and calls finish.
class GemvMma {
public:
  GemvMma(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
          const GemvMmaTiling &tiling);

  /// Builds the chunk loops with `hooks`, starting the accumulators at
  /// `zero` (f32 0), then the reduction and the stores; returns the kernel.
  gpu::GPUFuncOp finish(Value zero, const GemvMmaHooks &hooks);

  const KernelPlan &plan;
  const GemvMmaTiling &tiling;
  KernelScaffold k;
  OpBuilder &b;
  KernelOpBuilder &e;
  Location loc;
  /// The kernel's arguments: activations, packed weight, output.
  Value xg, wg, yg;
  /// Thread and row tile (block) ids; lane and warp of the thread; the
  /// lane's mma group g and thread t (MmaHelpers.h).
  Value tid, tile, lane, warp, g, t;
  /// Per batch tile: the activation row this lane feeds as mma column g,
  /// in units of the lane's 16-column slice of a 64-column chunk
  /// (activationSlices).
  SmallVector<Value> xRowBase;
};

} // namespace mlir::lq::nvptx

#endif // LQ_PASSES_CONVERSION_LQTONVPTX_GEMVMMA_H
