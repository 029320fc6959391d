//===- BlockReductions.cpp - lq-gpu-block-reductions ----------------------===//
//
// A linalg reduction becomes one thread block per output element: the
// block's threads stride over the reduced dimension and combine their
// partial results with gpu.all_reduce. Lowered through parallel loops, the
// same op would reduce serially in one thread per output, which in a decode
// step (one row) leaves RMSNorm's sum of squares on a single thread and
// softmax and attention serial over the whole context.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <optional>

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUBLOCKREDUCTIONS
#define GEN_PASS_DEF_LQGPULOWERALLREDUCE
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {

/// How a reduction's body combines its value with the accumulator.
struct Combiner {
  Operation *op;           // the combining op (e.g. arith.addf %out, %v)
  Value value;             // its operand that does not read the accumulator
  gpu::AllReduceOperation kind;
  arith::AtomicRMWKind identity;
};

std::optional<Combiner> matchCombiner(linalg::GenericOp op) {
  SmallVector<Operation *> combinerOps;
  Value value = matchReduction(op.getRegionOutputArgs(), 0, combinerOps);
  if (!value || combinerOps.size() != 1)
    return std::nullopt;
  Operation *combine = combinerOps.front();
  using K = gpu::AllReduceOperation;
  using A = arith::AtomicRMWKind;
  std::optional<std::pair<K, A>> kind =
      llvm::TypeSwitch<Operation *, std::optional<std::pair<K, A>>>(combine)
          .Case([](arith::AddFOp) { return std::pair(K::ADD, A::addf); })
          .Case([](arith::MulFOp) { return std::pair(K::MUL, A::mulf); })
          .Case([](arith::MaximumFOp) { return std::pair(K::MAXIMUMF, A::maximumf); })
          .Case([](arith::MinimumFOp) { return std::pair(K::MINIMUMF, A::minimumf); })
          .Case([](arith::MaxNumFOp) { return std::pair(K::MAXNUMF, A::maxnumf); })
          .Case([](arith::MinNumFOp) { return std::pair(K::MINNUMF, A::minnumf); })
          .Case([](arith::AddIOp) { return std::pair(K::ADD, A::addi); })
          .Case([](arith::MaxSIOp) { return std::pair(K::MAXSI, A::maxs); })
          .Case([](arith::MinSIOp) { return std::pair(K::MINSI, A::mins); })
          .Default([](Operation *) { return std::nullopt; });
  if (!kind)
    return std::nullopt;
  // gpu.all_reduce lowers to 32-bit shuffles (64-bit ones split in two).
  Type type = op.getRegionOutputArgs().front().getType();
  if (!type.isF32() && !type.isF64() && !type.isInteger(32))
    return std::nullopt;
  return Combiner{combine, value, kind->first, kind->second};
}

/// Whether `op` is a reduction this pass takes: one reduced dimension, one
/// output, a body of plain ops combining into the output once.
std::optional<Combiner> matchBlockReduction(linalg::GenericOp op, int64_t minReduction) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1)
    return std::nullopt;
  for (Operation &inner : op.getRegion().front())
    if (inner.getNumRegions() != 0)
      return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
    if (linalg::isReductionIterator(type) && !ShapedType::isDynamic(ranges[i]) &&
        ranges[i] < minReduction)
      return std::nullopt;
  return matchCombiner(op);
}

/// Iterations of a row kernel's loops unrolled (loads in flight a thread).
constexpr int64_t kRowUnroll = 4;

/// Moves the loads of an unrolled row loop's body (and the index arithmetic
/// they need) above its first store, so that they are in flight together:
/// the backend cannot, not knowing that the buffers do not alias. Each
/// iteration reads and writes its own elements of the row (the fusion's
/// conditions), so no load reads what an earlier store of the body wrote.
void hoistLoadsAboveStores(Block &body) {
  Operation *firstStore = nullptr;
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
    if (isa<memref::StoreOp>(op)) {
      firstStore = firstStore ? firstStore : &op;
      continue;
    }
    if (!firstStore || !(isa<memref::LoadOp>(op) || isPure(&op)) || op.getNumRegions())
      continue;
    bool ready = llvm::all_of(op.getOperands(), [&](Value v) {
      Operation *def = v.getDefiningOp();
      return !def || def->getBlock() != &body || def->isBeforeInBlock(firstStore);
    });
    if (ready)
      op.moveBefore(firstStore);
  }
}

/// Picks the threads of a block: the reduced extent rounded up to a power
/// of two, at least a warp, at most `maxThreads`.
int64_t blockThreads(int64_t reduction, int64_t maxThreads) {
  if (ShapedType::isDynamic(reduction))
    return maxThreads;
  return std::clamp<int64_t>(llvm::PowerOf2Ceil(reduction), 32, maxThreads);
}

/// The linalg.fill that initializes `op`'s output earlier in its block, if
/// the output is an allocation that no op in between reads or writes
/// (through the allocation or a view of it): the reduction's kernel then
/// starts from the fill's value and the fill (a launch of its own) goes.
linalg::FillOp findInitFill(linalg::GenericOp op) {
  Value output = op.getDpsInitOperand(0)->get();
  if (!output.getDefiningOp<memref::AllocOp>())
    return nullptr;
  llvm::SmallPtrSet<Value, 8> aliases = {output};
  SmallVector<Value> worklist = {output};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers())
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == value)
          for (Value result : user->getResults())
            if (aliases.insert(result).second)
              worklist.push_back(result);
  }
  auto touches = [&](Operation *candidate) {
    WalkResult walk = candidate->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (aliases.contains(operand))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    return walk.wasInterrupted();
  };
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.getOutputs()[0] == output)
      return fill;
    if (touches(prev))
      return nullptr;
  }
  return nullptr;
}

/// The buffer a memref value is a view of (following view-like ops).
Value viewRoot(Value value) { return memref::skipViewLikeOps(cast<MemrefValue>(value)); }

/// `candidate` as a generic op that can share `reduction`'s kernel: on
/// buffers, one output, all its loops parallel and as many as the
/// reduction's.
linalg::GenericOp asRowElementwise(Operation *candidate, linalg::GenericOp reduction) {
  auto op = dyn_cast_or_null<linalg::GenericOp>(candidate);
  if (!op || !op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != reduction.getNumLoops() || op.getNumParallelLoops() != op.getNumLoops())
    return nullptr;
  return op;
}

/// An element-wise producer whose result the reduction reads, computed in
/// the reduction's kernel: each thread computes, stores and folds the
/// elements it reduces, and the consumer (if any) reads back only what the
/// same thread stored. The residual addition before each RMSNorm, the
/// embedding gather before the first.
struct RowProducer {
  linalg::GenericOp op;
  OpOperand *reads; ///< the reduction's input that is the producer's output
};

std::optional<RowProducer> matchRowProducer(linalg::GenericOp op, linalg::FillOp fill) {
  Operation *prev = op->getPrevNode();
  while (prev && (prev == fill.getOperation() || mlir::lq::isMovableAcrossKernels(prev)))
    prev = prev->getPrevNode();
  linalg::GenericOp producer = asRowElementwise(prev, op);
  if (!producer)
    return std::nullopt;
  // The same static extents on every dimension.
  SmallVector<int64_t> mine = op.getStaticLoopRanges(), theirs = producer.getStaticLoopRanges();
  for (auto [a, b] : llvm::zip_equal(mine, theirs))
    if (ShapedType::isDynamic(a) || a != b)
      return std::nullopt;
  OpOperand *written = producer.getDpsInitOperand(0);
  AffineMap writeMap = producer.getMatchingIndexingMap(written);
  Value output = viewRoot(written->get());
  if (!output.getDefiningOp<memref::AllocOp>() || !writeMap.isPermutation() ||
      !producer.getMatchingBlockArgument(written).use_empty())
    return std::nullopt;
  // The reduction reads the output once, where it is written.
  OpOperand *reads = nullptr;
  for (OpOperand &operand : op->getOpOperands()) {
    if (viewRoot(operand.get()) != output)
      continue;
    if (reads || op.isDpsInit(&operand) || operand.get() != written->get() ||
        op.getMatchingIndexingMap(&operand) != writeMap)
      return std::nullopt;
    reads = &operand;
  }
  if (!reads)
    return std::nullopt;
  // Its body only reads, and nothing of its output.
  WalkResult walk = producer.getRegion().walk([&](Operation *inner) {
    if (inner->getNumRegions())
      return WalkResult::interrupt();
    auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
    if (!effects)
      return isMemoryEffectFree(inner) ? WalkResult::advance() : WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances)
      if (!isa<MemoryEffects::Read>(effect.getEffect()) || !effect.getValue() ||
          !isa<BaseMemRefType>(effect.getValue().getType()) ||
          viewRoot(effect.getValue()) == output)
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return std::nullopt;
  // In place (the residual stream updated where it lies) only where each
  // element is read and written by the same thread.
  for (OpOperand *input : producer.getDpsInputOperands())
    if (isa<BaseMemRefType>(input->get().getType()) && viewRoot(input->get()) == output &&
        (input->get() != written->get() || producer.getMatchingIndexingMap(input) != writeMap))
      return std::nullopt;
  return RowProducer{producer, reads};
}

/// The element-wise consumer of a reduction's output that its kernel can
/// compute too: the next linalg op after `op` (only allocations, views and
/// pure ops in between), all parallel over the same loops, reading the
/// reduced value through the output's own map (so each block needs only
/// its own total) and writing a fresh allocation that nothing the two read
/// is a view of. Its threads then apply it to the row the block reduced:
/// RMSNorm's scaling after its sum of squares, softmax's exponentials
/// after its maximum. Returns the consumer and its operand that reads the
/// reduction.
std::optional<std::pair<linalg::GenericOp, OpOperand *>>
matchRowConsumer(linalg::GenericOp op, const std::optional<RowProducer> &producer) {
  Operation *next = op->getNextNode();
  while (next && !isa<linalg::LinalgOp>(next)) {
    if (!mlir::lq::isMovableAcrossKernels(next))
      return std::nullopt;
    next = next->getNextNode();
  }
  linalg::GenericOp consumer = asRowElementwise(next, op);
  if (!consumer)
    return std::nullopt;
  for (Operation &inner : consumer.getRegion().front())
    if (inner.getNumRegions() != 0)
      return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  Value reduced = init->get();
  OpOperand *reads = nullptr;
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    if (viewRoot(input->get()) != viewRoot(reduced))
      continue;
    if (reads || input->get() != reduced ||
        consumer.getMatchingIndexingMap(input) != op.getMatchingIndexingMap(init))
      return std::nullopt;
    reads = input;
  }
  if (!reads)
    return std::nullopt;
  // The output: an allocation that the two ops read only where the
  // consumer writes (element-wise in place, as RMSNorm's output over its
  // input): the same buffer through the output's own map, a permutation of
  // the loops, so a block reads and writes only its own row and each
  // thread rewrites only what it read after the all_reduce's barrier.
  OpOperand *written = consumer.getDpsInitOperand(0);
  Value output = viewRoot(written->get());
  AffineMap writeMap = consumer.getMatchingIndexingMap(written);
  if (!output.getDefiningOp<memref::AllocOp>() || output == viewRoot(reduced))
    return std::nullopt;
  auto readsOnlyWritten = [&](linalg::GenericOp reader, OpOperand *operand) {
    return viewRoot(operand->get()) != output ||
           (operand->get() == written->get() && writeMap.isPermutation() &&
            reader.getMatchingIndexingMap(operand) == writeMap);
  };
  for (OpOperand *input : op.getDpsInputOperands())
    if (!readsOnlyWritten(op, input))
      return std::nullopt;
  for (OpOperand *input : consumer.getDpsInputOperands())
    if (!readsOnlyWritten(consumer, input))
      return std::nullopt;
  // A fused producer's output is read where the same thread stored it.
  if (producer) {
    linalg::GenericOp maker = producer->op;
    OpOperand *made = maker.getDpsInitOperand(0);
    Value madeRoot = viewRoot(made->get());
    for (OpOperand &operand : consumer->getOpOperands())
      if (viewRoot(operand.get()) == madeRoot &&
          (operand.get() != made->get() ||
           consumer.getMatchingIndexingMap(&operand) != maker.getMatchingIndexingMap(made)))
        return std::nullopt;
  }
  // The same extents on every dimension but the reduced one.
  SmallVector<int64_t> mine = op.getStaticLoopRanges(), theirs = consumer.getStaticLoopRanges();
  for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
    if (!linalg::isReductionIterator(type) &&
        (ShapedType::isDynamic(mine[i]) || mine[i] != theirs[i]))
      return std::nullopt;
  return std::pair(consumer, reads);
}

/// Clones the ops of a linalg body but its yield and `skip`, with
/// `linalg.index` as `ivs`.
void cloneBody(OpBuilder &b, Block &body, ArrayRef<Value> ivs, IRMapping &mapping,
               Operation *skip = nullptr) {
  for (Operation &inner : body.without_terminator()) {
    if (&inner == skip)
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
}

/// Loads `op`'s inputs at `ivs` into `mapping` (its block arguments), the
/// operand `replaced` as `replacement` instead.
void loadInputs(OpBuilder &b, Location loc, linalg::GenericOp op, ArrayRef<Value> ivs,
                IRMapping &mapping, OpOperand *replaced = nullptr, Value replacement = {}) {
  for (OpOperand *input : op.getDpsInputOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(input);
    if (arg.use_empty())
      continue;
    Value source = input->get();
    if (input == replaced) {
      source = replacement;
    } else if (isa<MemRefType>(source.getType())) {
      SmallVector<Value> indices =
          *affine::expandAffineMap(b, loc, op.getMatchingIndexingMap(input), ivs);
      source = memref::LoadOp::create(b, loc, source, indices);
    }
    mapping.map(arg, source);
  }
}

void lowerToBlockReduction(linalg::GenericOp op, const Combiner &combiner, int64_t maxThreads,
                           int64_t rowThreads) {
  linalg::FillOp fill = findInitFill(op);
  // With an init fill, every thread knows the reduced value after the
  // all_reduce: a consumer of it can run in the same kernel, which then
  // takes the place of the two (the allocations and views between them
  // move before it).
  std::optional<RowProducer> producer;
  if (fill)
    producer = matchRowProducer(op, fill);
  std::optional<std::pair<linalg::GenericOp, OpOperand *>> consumer;
  if (fill)
    consumer = matchRowConsumer(op, producer);
  if (consumer)
    while (op->getNextNode() != consumer->first)
      op->getNextNode()->moveBefore(op);
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Range> ranges = cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> staticRanges = op.getStaticLoopRanges();

  // The blocks enumerate the parallel dimensions, innermost fastest.
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value blocks = one;
  bool dynamicBlocks = false;
  int64_t reducedDim = -1;
  for (auto [i, type] : llvm::enumerate(iterators)) {
    Value size = getValueOrCreateConstantIndexOp(b, loc, ranges[i].size);
    if (linalg::isReductionIterator(type)) {
      reducedDim = i;
      continue;
    }
    dynamicBlocks |= ShapedType::isDynamic(staticRanges[i]);
    blocks = arith::MulIOp::create(b, loc, blocks, size);
  }
  Value reduced = getValueOrCreateConstantIndexOp(b, loc, ranges[reducedDim].size);
  // A launch needs at least one block: with a dynamic count of zero, one
  // block runs and reduces nothing, and writes nothing.
  Value grid = blocks;
  if (dynamicBlocks)
    grid = arith::MaxUIOp::create(b, loc, blocks, one);
  int64_t threads = blockThreads(staticRanges[reducedDim], consumer ? rowThreads : maxThreads);
  Value threadCount = arith::ConstantIndexOp::create(b, loc, threads);
  auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, threadCount, one, one);
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  Value blockId = launch.getBlockIds().x, threadId = launch.getThreadIds().x;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);

  SmallVector<Value> ivs(iterators.size());
  Value rest = blockId;
  for (int64_t i = iterators.size() - 1; i >= 0; --i) {
    if (i == reducedDim)
      continue;
    Value size = getValueOrCreateConstantIndexOp(b, loc, ranges[i].size);
    ivs[i] = arith::RemUIOp::create(b, loc, rest, size);
    rest = arith::DivUIOp::create(b, loc, rest, size);
  }
  Value active = dynamicBlocks ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                                       blockId, blocks)
                               : Value();
  Value upper = active ? arith::SelectOp::create(b, loc, active, reduced, zero) : reduced;

  // Each thread's partial result over r = tid, tid + threads, ...
  Type type = combiner.op->getResult(0).getType();
  Value identity = arith::getIdentityValue(combiner.identity, type, b, loc);
  auto loop = scf::ForOp::create(b, loc, threadId, upper, threadCount, ValueRange{identity});
  SmallVector<scf::ForOp, 2> rowLoops = {loop};
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    ivs[reducedDim] = loop.getInductionVar();
    IRMapping mapping;
    Block &generic = op.getRegion().front();
    if (producer) {
      // The producer's element: computed, stored, and folded from registers.
      IRMapping made;
      loadInputs(b, loc, producer->op, ivs, made);
      Block &body = producer->op.getRegion().front();
      cloneBody(b, body, ivs, made);
      Value value = made.lookupOrDefault(body.getTerminator()->getOperand(0));
      OpOperand *init = producer->op.getDpsInitOperand(0);
      memref::StoreOp::create(
          b, loc, value, init->get(),
          *affine::expandAffineMap(b, loc, producer->op.getMatchingIndexingMap(init), ivs));
      loadInputs(b, loc, op, ivs, mapping, producer->reads, value);
    } else {
      loadInputs(b, loc, op, ivs, mapping);
    }
    cloneBody(b, generic, ivs, mapping, combiner.op);
    IRMapping combine;
    combine.map(generic.getArguments().back(), loop.getRegionIterArg(0));
    combine.map(combiner.value, mapping.lookupOrDefault(combiner.value));
    scf::YieldOp::create(b, loc, b.clone(*combiner.op, combine)->getResult(0));
  }
  OpOperand *init = op.getDpsInitOperand(0);
  Value output = init->get();
  ivs[reducedDim] = zero;
  SmallVector<Value> outIndices =
      *affine::expandAffineMap(b, loc, op.getMatchingIndexingMap(init), ivs);
  auto total = gpu::AllReduceOp::create(
      b, loc, loop.getResult(0), gpu::AllReduceOperationAttr::get(b.getContext(), combiner.kind),
      b.getUnitAttr());
  BlockArgument out = op.getMatchingBlockArgument(init);
  auto fold = [&](Value before) {
    IRMapping combine;
    combine.map(out, before);
    combine.map(combiner.value, total.getResult());
    return b.clone(*combiner.op, combine)->getResult(0);
  };
  Value reducedValue = fill ? fold(fill.getInputs()[0]) : Value();

  // Thread 0 of each (active) block folds the total into the output.
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, threadId, zero);
  if (active)
    first = arith::AndIOp::create(b, loc, first, active);
  auto store = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    Value value =
        reducedValue ? reducedValue : fold(memref::LoadOp::create(b, loc, output, outIndices));
    memref::StoreOp::create(b, loc, value, output, outIndices);
  }

  // The consumer on the block's row: thread t computes columns t, t +
  // threads, ... with the reduced value in registers.
  if (consumer) {
    auto [next, reads] = *consumer;
    SmallVector<Value> nextRanges = llvm::map_to_vector(
        cast<linalg::LinalgOp>(next.getOperation()).createLoopRanges(b, loc),
        [&](Range r) { return getValueOrCreateConstantIndexOp(b, loc, r.size); });
    Value columns = nextRanges[reducedDim];
    Value columnsUpper = active ? arith::SelectOp::create(b, loc, active, columns, zero) : columns;
    auto columnLoop = scf::ForOp::create(b, loc, threadId, columnsUpper, threadCount);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(columnLoop.getBody());
    ivs[reducedDim] = columnLoop.getInductionVar();
    IRMapping mapping;
    loadInputs(b, loc, next, ivs, mapping, reads, reducedValue);
    OpOperand *nextInit = next.getDpsInitOperand(0);
    BlockArgument nextOut = next.getMatchingBlockArgument(nextInit);
    SmallVector<Value> indices =
        *affine::expandAffineMap(b, loc, next.getMatchingIndexingMap(nextInit), ivs);
    if (!nextOut.use_empty())
      mapping.map(nextOut, memref::LoadOp::create(b, loc, nextInit->get(), indices));
    Block &nextBody = next.getRegion().front();
    cloneBody(b, nextBody, ivs, mapping);
    Value yielded = mapping.lookupOrDefault(nextBody.getTerminator()->getOperand(0));
    memref::StoreOp::create(b, loc, yielded, nextInit->get(), indices);
    // What depends on the reduced value alone (RMSNorm's reciprocal square
    // root, in f64) is computed once, not per column.
    moveLoopInvariantCode(cast<LoopLikeOpInterface>(columnLoop.getOperation()));
    rowLoops.push_back(columnLoop);
  }
  // A row kernel's block is alone on its row: its loops unrolled, each
  // thread's loads of the row are in flight together instead of one per
  // dependent iteration.
  if ((consumer || producer) && !ShapedType::isDynamic(staticRanges[reducedDim])) {
    int64_t perThread = llvm::divideCeil(staticRanges[reducedDim], threads);
    if (perThread > 1)
      for (scf::ForOp rowLoop : rowLoops)
        if (succeeded(loopUnrollByFactor(rowLoop, std::min<int64_t>(perThread, kRowUnroll))))
          hoistLoadsAboveStores(*rowLoop.getBody());
  }
  b.setInsertionPointToEnd(&body);
  gpu::TerminatorOp::create(b, loc);
  if (consumer)
    consumer->first.erase();
  if (producer)
    producer->op.erase();
  op.erase();
  if (fill)
    fill.erase();
}

struct LQGPUBlockReductionsPass
    : public mlir::lq::impl::LQGPUBlockReductionsBase<LQGPUBlockReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto [name, value] : {std::pair<StringRef, int64_t>("max-threads", maxThreads),
                               std::pair<StringRef, int64_t>("row-threads", rowThreads)})
      if (value < 32 || value > 1024 || !llvm::isPowerOf2_64(value)) {
        emitError(getOperation().getLoc())
            << "lq-gpu-block-reductions: " << name << " must be a power of two in [32, 1024], got "
            << value;
        return signalPassFailure();
      }
    SmallVector<linalg::LinalgOp> candidates;
    for (func::FuncOp func : mlir::lq::getSelectedFunctions(getOperation(), functions))
      func.walk([&](linalg::LinalgOp op) {
        if (op.hasPureBufferSemantics() && op.getNumReductionLoops() == 1)
          candidates.push_back(op);
      });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp candidate : candidates) {
      auto generic = dyn_cast<linalg::GenericOp>(candidate.getOperation());
      if (!generic) {
        rewriter.setInsertionPoint(candidate);
        FailureOr<linalg::GenericOp> generalized =
            linalg::generalizeNamedOp(rewriter, candidate);
        if (failed(generalized))
          continue;
        generic = *generalized;
      }
      if (std::optional<Combiner> combiner = matchBlockReduction(generic, minReduction))
        lowerToBlockReduction(generic, *combiner, maxThreads, rowThreads);
    }
  }
};

struct LQGPULowerAllReducePass
    : public mlir::lq::impl::LQGPULowerAllReduceBase<LQGPULowerAllReducePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateGpuAllReducePatterns(patterns);
    populateGpuShufflePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
