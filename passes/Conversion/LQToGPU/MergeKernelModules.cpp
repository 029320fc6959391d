//===- MergeKernelModules.cpp - lq-gpu-merge-kernel-modules ---------------===//
//
// gpu-kernel-outlining puts every kernel in a gpu.module of its own: one
// module load (a PTX JIT) per kernel at start-up. This pass moves the
// kernels outlined from each function into that function's first kernel
// module, so each function's kernels load as one binary.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUMERGEKERNELMODULES
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

/// The kernel of an outlined module (outlining names every kernel after
/// its function, `<function>_kernel`) is renamed after its module, whose
/// name is unique.
static StringAttr mergedName(gpu::GPUModuleOp from, Operation &op) {
  auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
  if (kernel && kernel.isKernel())
    return from.getSymNameAttr();
  return cast<SymbolOpInterface>(op).getNameAttr();
}

/// Whether `from`'s symbols can join `into` without a clash.
static bool canMerge(gpu::GPUModuleOp from, SymbolTable &into) {
  for (Operation &op : from.getBody()->without_terminator())
    if (isa<SymbolOpInterface>(op) && into.lookup(mergedName(from, op)))
      return false;
  return true;
}

namespace {
struct LQGPUMergeKernelModulesPass
    : public mlir::lq::impl::LQGPUMergeKernelModulesBase<LQGPUMergeKernelModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (func::FuncOp func : mlir::lq::getSelectedFunctions(module, functions))
      merge(module, func);
  }

  /// Moves the modules of `func`'s outlined kernels (named
  /// <function>_kernel*) into the first one, each kernel renamed after its
  /// module, and retargets the launches.
  void merge(ModuleOp module, func::FuncOp func) {
    std::string prefix = (func.getSymName() + "_kernel").str();
    SmallVector<gpu::GPUModuleOp> kernelModules;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
      if (gpuModule.getSymName().starts_with(prefix) && !gpuModule.getTargetsAttr())
        kernelModules.push_back(gpuModule);
    if (kernelModules.size() < 2)
      return;
    gpu::GPUModuleOp target = kernelModules.front();
    Block *into = target.getBody();
    // gpu.module bodies may or may not end in a terminator.
    Block::iterator end =
        into->mightHaveTerminator() ? Block::iterator(into->getTerminator()) : into->end();
    SymbolTable targetSymbols(target);
    auto targetRef = FlatSymbolRefAttr::get(target.getSymNameAttr());
    // The merged modules, and the kernels' new names by (module, kernel).
    DenseMap<StringAttr, gpu::GPUModuleOp> merged;
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp from : ArrayRef(kernelModules).drop_front()) {
      if (!canMerge(from, targetSymbols))
        continue;
      for (Operation &op : llvm::make_early_inc_range(from.getBody()->without_terminator())) {
        if (auto symbol = dyn_cast<SymbolOpInterface>(op)) {
          StringAttr name = mergedName(from, op);
          renamed[{from.getSymNameAttr(), symbol.getNameAttr()}] = name;
          symbol.setName(name);
        }
        op.moveBefore(into, end);
        if (auto symbol = dyn_cast<SymbolOpInterface>(op))
          targetSymbols.insert(symbol);
      }
      merged[from.getSymNameAttr()] = from;
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      StringAttr kernel = renamed.lookup({launch.getKernelModuleName(), launch.getKernelName()});
      if (!kernel)
        return;
      launch.setKernelAttr(SymbolRefAttr::get(targetRef.getAttr(), {FlatSymbolRefAttr::get(kernel)}));
    });
    for (auto &[name, from] : merged)
      from.erase();
  }
};
} // namespace
