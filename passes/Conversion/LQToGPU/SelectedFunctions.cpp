//===- SelectedFunctions.cpp - the functions an lq-gpu-* pass works on ----===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

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
