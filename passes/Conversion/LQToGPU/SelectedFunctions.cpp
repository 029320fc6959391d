//===- SelectedFunctions.cpp - what the lq-gpu-* passes share -----------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

SmallVector<func::FuncOp> mlir::lq::getSelectedFunctions(ModuleOp module,
                                                         ArrayRef<std::string> functions) {
  SmallVector<func::FuncOp> selected;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isDeclaration() &&
        (functions.empty() || llvm::is_contained(functions, func.getSymName())))
      selected.push_back(func);
  return selected;
}

bool mlir::lq::isMovableAcrossKernels(Operation *op) {
  return op->getNumRegions() == 0 &&
         (isMemoryEffectFree(op) || isa<memref::AllocOp, ViewLikeOpInterface>(op));
}
