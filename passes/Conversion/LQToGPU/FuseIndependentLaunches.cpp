//===- FuseIndependentLaunches.cpp - lq-gpu-fuse-independent-launches ----===//
//
// Two neighbouring gpu.launch ops that share no buffer one of them writes
// become one launch: the first one's blocks run its body, the others the
// second body. A decode step's rotations of the query and the key and the
// copy of the value into the cache are three such launches.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetOperations.h"

#include <optional>

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUFUSEINDEPENDENTLAUNCHES
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {

/// What a launch reads and writes, by buffer: an allocation, a function
/// argument or a global (by name).
struct Footprint {
  llvm::DenseSet<const void *> reads, writes;
};

/// The buffer behind a memref value, or null when it is none of the kinds
/// told apart here.
const void *bufferKey(Value value, MLIRContext *ctx) {
  if (!isa<BaseMemRefType>(value.getType()))
    return nullptr;
  Value root = memref::skipViewLikeOps(cast<MemrefValue>(value));
  if (auto global = root.getDefiningOp<memref::GetGlobalOp>())
    return StringAttr::get(ctx, global.getName()).getAsOpaquePointer();
  if (isa<BlockArgument>(root) && isa<FunctionOpInterface>(root.getParentBlock()->getParentOp()))
    return root.getAsOpaquePointer();
  if (root.getDefiningOp<memref::AllocOp>())
    return root.getAsOpaquePointer();
  return nullptr;
}

/// The launch's one-dimensional shape: its constant block size, or nothing
/// if it cannot be merged (see the pass description).
std::optional<int64_t> mergeableBlockSize(gpu::LaunchOp launch) {
  if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
      launch.getDynamicSharedMemorySize() || launch.hasClusterSize() ||
      launch.getNumWorkgroupAttributions() || launch.getNumPrivateAttributions() ||
      !launch.getBody().hasOneBlock())
    return std::nullopt;
  for (Value unit : {launch.getGridSizeY(), launch.getGridSizeZ(), launch.getBlockSizeY(),
                     launch.getBlockSizeZ()})
    if (!matchPattern(unit, m_One()))
      return std::nullopt;
  APInt threads;
  if (!matchPattern(launch.getBlockSizeX(), m_ConstantInt(&threads)))
    return std::nullopt;
  return threads.getSExtValue();
}

/// The buffers `launch` reads and writes, or nothing if its body has an
/// effect on something else or synchronizes its threads.
std::optional<Footprint> footprint(gpu::LaunchOp launch) {
  Footprint result;
  MLIRContext *ctx = launch.getContext();
  WalkResult walk = launch.getBody().walk([&](Operation *op) {
    if (isa<gpu::BarrierOp, gpu::AllReduceOp, gpu::ShuffleOp, gpu::SubgroupReduceOp>(op))
      return WalkResult::interrupt();
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() || isa<gpu::TerminatorOp>(op))
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      if (isa<MemoryEffects::Allocate, MemoryEffects::Free>(effect.getEffect()))
        return WalkResult::interrupt();
      const void *key = effect.getValue() ? bufferKey(effect.getValue(), ctx) : nullptr;
      if (!key)
        return WalkResult::interrupt();
      (isa<MemoryEffects::Write>(effect.getEffect()) ? result.writes : result.reads).insert(key);
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return std::nullopt;
  return result;
}

bool independent(const Footprint &a, const Footprint &b) {
  auto disjoint = [](const llvm::DenseSet<const void *> &x, const llvm::DenseSet<const void *> &y) {
    return llvm::none_of(x, [&](const void *key) { return y.contains(key); });
  };
  return disjoint(a.writes, b.writes) && disjoint(a.writes, b.reads) && disjoint(a.reads, b.writes);
}

/// Whether only allocations, views and pure ops lie between `first` and
/// `second`: those can move before `first`, which they cannot depend on.
bool onlyMovableBetween(gpu::LaunchOp first, gpu::LaunchOp second) {
  for (Operation *op = first->getNextNode(); op != second; op = op->getNextNode())
    if (!mlir::lq::isMovableAcrossKernels(op))
      return false;
  return true;
}

/// Clones `launch`'s body into the builder's block, its block and thread
/// ids mapped to `block` and `thread` (x; y and z are 0) and its sizes to
/// its own.
void inlineBody(OpBuilder &b, gpu::LaunchOp launch, Value block, Value thread) {
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  IRMapping mapping;
  gpu::KernelDim3 ids = launch.getBlockIds(), tids = launch.getThreadIds();
  gpu::KernelDim3 grid = launch.getGridSize(), threads = launch.getBlockSize();
  mapping.map(ids.x, block);
  mapping.map(ids.y, zero);
  mapping.map(ids.z, zero);
  mapping.map(tids.x, thread);
  mapping.map(tids.y, zero);
  mapping.map(tids.z, zero);
  mapping.map(grid.x, launch.getGridSizeX());
  mapping.map(grid.y, launch.getGridSizeY());
  mapping.map(grid.z, launch.getGridSizeZ());
  mapping.map(threads.x, launch.getBlockSizeX());
  mapping.map(threads.y, launch.getBlockSizeY());
  mapping.map(threads.z, launch.getBlockSizeZ());
  for (Operation &op : launch.getBody().front().without_terminator())
    b.clone(op, mapping);
}

/// One launch for `first` and `second` (see the file comment).
gpu::LaunchOp merge(gpu::LaunchOp first, int64_t firstThreads, gpu::LaunchOp second,
                    int64_t secondThreads) {
  while (first->getNextNode() != second)
    first->getNextNode()->moveBefore(first);
  OpBuilder b(first);
  Location loc = first.getLoc();
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value firstBlocks = first.getGridSizeX();
  Value blocks = arith::AddIOp::create(b, loc, firstBlocks, second.getGridSizeX());
  int64_t threads = std::max(firstThreads, secondThreads);
  Value threadCount = arith::ConstantIndexOp::create(b, loc, threads);
  auto merged = gpu::LaunchOp::create(b, loc, blocks, one, one, threadCount, one, one);
  Block &body = merged.getBody().front();
  b.setInsertionPointToStart(&body);
  Value block = merged.getBlockIds().x, thread = merged.getThreadIds().x;
  Value inFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, block, firstBlocks);
  auto branch = scf::IfOp::create(b, loc, inFirst, /*withElseRegion=*/true);
  // Each body sees its own block ids (the second's rebased) and block
  // size; threads past that size skip it.
  auto emit = [&](Block *into, gpu::LaunchOp launch, int64_t own, Value firstBlock) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(into->getTerminator());
    Value id = firstBlock ? arith::SubIOp::create(b, loc, block, firstBlock) : block;
    if (own < threads) {
      Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, thread,
                                           arith::ConstantIndexOp::create(b, loc, own));
      auto masked = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
      b.setInsertionPoint(masked.getThenRegion().front().getTerminator());
    }
    inlineBody(b, launch, id, thread);
  };
  emit(&branch.getThenRegion().front(), first, firstThreads, Value());
  emit(&branch.getElseRegion().front(), second, secondThreads, firstBlocks);
  gpu::TerminatorOp::create(b, loc);
  first.erase();
  second.erase();
  return merged;
}

struct LQGPUFuseIndependentLaunchesPass
    : public mlir::lq::impl::LQGPUFuseIndependentLaunchesBase<LQGPUFuseIndependentLaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    for (func::FuncOp func : mlir::lq::getSelectedFunctions(getOperation(), functions)) {
      SmallVector<Block *> blocks;
      // Host blocks only: merging erases launches, and their bodies with them.
      func.walk([&](Block *block) {
        Operation *parent = block->getParentOp();
        if (!isa<gpu::LaunchOp>(parent) && !parent->getParentOfType<gpu::LaunchOp>())
          blocks.push_back(block);
      });
      for (Block *block : blocks)
        fuseIn(*block);
    }
  }

  void fuseIn(Block &block) {
    gpu::LaunchOp current;
    std::optional<int64_t> currentThreads;
    std::optional<Footprint> currentFootprint;
    for (Operation *op = &block.front(); op; op = op->getNextNode()) {
      auto launch = dyn_cast<gpu::LaunchOp>(op);
      if (!launch)
        continue;
      std::optional<int64_t> threads = mergeableBlockSize(launch);
      std::optional<Footprint> effects = threads ? footprint(launch) : std::nullopt;
      if (current && currentFootprint && effects && onlyMovableBetween(current, launch) &&
          independent(*currentFootprint, *effects)) {
        current = merge(current, *currentThreads, launch, *threads);
        currentThreads = std::max(*currentThreads, *threads);
        llvm::set_union(currentFootprint->reads, effects->reads);
        llvm::set_union(currentFootprint->writes, effects->writes);
        op = current;
        continue;
      }
      current = launch;
      currentThreads = threads;
      currentFootprint = effects;
    }
  }
};

} // namespace
