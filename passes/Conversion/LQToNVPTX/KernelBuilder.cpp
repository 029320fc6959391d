//===- KernelBuilder.cpp - shared IR building for the NVPTX kernels ------===//
//
// The kernel function shell, the beginKernel scaffold and the loop helpers
// of KernelBuilder.h.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

MemRefType workgroupBuffer(MLIRContext *ctx, int64_t size, Type element) {
  return MemRefType::get({size}, element, AffineMap(),
                         gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
}

gpu::GPUFuncOp makeKernelFunc(gpu::GPUModuleOp kernels, Location loc, StringRef name, int64_t args,
                              int64_t grid, int64_t threads, TypeRange workgroup,
                              int64_t minBlocks) {
  OpBuilder outer = OpBuilder::atBlockEnd(kernels.getBody());
  auto ptr = LLVM::LLVMPointerType::get(outer.getContext());
  SmallVector<Type> inputs(args, ptr);
  auto func = gpu::GPUFuncOp::create(outer, loc, name, outer.getFunctionType(inputs, {}),
                                     workgroup);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), outer.getUnitAttr());
  func.setKnownBlockSizeAttr(outer.getDenseI32ArrayAttr({(int32_t)threads, 1, 1}));
  func.setKnownGridSizeAttr(outer.getDenseI32ArrayAttr({(int32_t)grid, 1, 1}));
  // .maxntid bounds the register allocation to what the launch really uses.
  func->setAttr("nvvm.maxntid", outer.getDenseI32ArrayAttr({(int32_t)threads, 1, 1}));
  // Asking for several resident blocks caps ptxas's register allocation.
  if (minBlocks > 0)
    func->setAttr("nvvm.minctasm", outer.getI32IntegerAttr(minBlocks));
  return func;
}

KernelScaffold::KernelScaffold(gpu::GPUModuleOp kernels, Location loc, StringRef name,
                               int64_t numArgs, int64_t grid, int64_t threads,
                               TypeRange workgroup, int64_t minBlocks,
                               std::optional<NVVM::GridDepActionKind> gridDependency)
    : func(makeKernelFunc(kernels, loc, name, numArgs, grid, threads, workgroup, minBlocks)),
      b(OpBuilder::atBlockBegin(&func.getBody().front())), e(loc, b) {
  if (gridDependency)
    NVVM::GriddepcontrolOp::create(b, loc, *gridDependency);
  for (int64_t i = 0; i < numArgs; ++i)
    args.push_back(e.global(func.getArgument(i)));
}

gpu::GPUFuncOp KernelScaffold::finish() { return finishKernel(b, e.loc, func); }

KernelScaffold beginKernel(gpu::GPUModuleOp kernels, Location loc, StringRef name, int64_t args,
                           int64_t grid, int64_t threads, TypeRange workgroup, int64_t minBlocks,
                           std::optional<NVVM::GridDepActionKind> gridDependency) {
  return KernelScaffold(kernels, loc, name, args, grid, threads, workgroup, minBlocks,
                        gridDependency);
}

Value stridedCount(KernelOpBuilder &e, Value first, int64_t step, int64_t total) {
  Value rest = arith::SubIOp::create(e.b, e.loc, e.c32(total - 1), first);
  return e.add(arith::DivUIOp::create(e.b, e.loc, rest, e.c32(step)), e.c32(1));
}

Value stridedItem(KernelOpBuilder &e, Value first, int64_t step, int64_t total, int64_t perIter,
                  Value iter, int64_t u) {
  Value i = e.add(first, e.mul(e.add(e.mul(iter, e.c32(perIter)), e.c32(u)), e.c32(step)));
  return arith::MinUIOp::create(e.b, e.loc, i, e.c32(total - 1));
}

SmallVector<Value>
accumulateLoop(KernelOpBuilder &e, Value lower, Value upper, Value step, ValueRange init,
               function_ref<SmallVector<Value>(Value i, SmallVector<Value> acc)> body) {
  OpBuilder &b = e.b;
  auto loop = scf::ForOp::create(
      b, e.loc, lower, upper, step, init, [&](OpBuilder &lb, Location l, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
        scf::YieldOp::create(b, l, body(e.toI32(iv), SmallVector<Value>(args)));
      });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value>
prefetchLoop(KernelOpBuilder &e, Value iters, ArrayRef<Value> init,
             function_ref<SmallVector<Value>(Value iter)> load,
             function_ref<SmallVector<Value>(ValueRange loaded, Value iter, SmallVector<Value> acc)>
                 compute) {
  const size_t numAcc = init.size();
  SmallVector<Value> loopInit(init);
  llvm::append_range(loopInit, load(e.c32(0)));
  SmallVector<Value> results = accumulateLoop(
      e, e.idx(0), e.toIndex(iters), e.idx(1), loopInit, [&](Value iter, SmallVector<Value> args) {
        SmallVector<Value> next = load(e.add(iter, e.c32(1)));
        SmallVector<Value> acc = compute(ValueRange(args).drop_front(numAcc), iter,
                                         SmallVector<Value>(ValueRange(args).take_front(numAcc)));
        llvm::append_range(acc, next);
        return acc;
      });
  results.resize(numAcc);
  return results;
}

gpu::GPUFuncOp finishKernel(OpBuilder &b, Location loc, gpu::GPUFuncOp func) {
  b.setInsertionPointToEnd(&func.getBody().front());
  gpu::ReturnOp::create(b, loc);
  return func;
}

} // namespace mlir::lq::nvptx
