//===- ExternalWeights.cpp - lq-cpu-external-weights ----------------------===//
//
// Large constant globals become external declarations, their data listed in
// the module's `lq.external_weights` dictionary so whoever runs the code
// binds each symbol to that data. LLVM then never sees the weights: compile
// time and memory depend on the code alone, and the weights are read where
// the module holds them instead of being copied into the object.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPUEXTERNALWEIGHTS
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using mlir::lq::kExternalWeightsAttrName;

namespace {
struct LQCPUExternalWeightsPass
    : public mlir::lq::impl::LQCPUExternalWeightsBase<LQCPUExternalWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (minBytes < 1) {
      module.emitError() << "lq-cpu-external-weights: min-bytes must be positive, got "
                         << int64_t(minBytes);
      return signalPassFailure();
    }
    MLIRContext *ctx = module.getContext();
    SmallVector<NamedAttribute> table;
    if (auto existing = module->getAttrOfType<DictionaryAttr>(kExternalWeightsAttrName))
      llvm::append_range(table, existing.getValue());
    for (auto global : module.getOps<memref::GlobalOp>()) {
      if (!global.getConstant() || global.isExternal() || global.isUninitialized())
        continue;
      auto value = dyn_cast<ElementsAttr>(*global.getInitialValue());
      if (!value)
        continue;
      // Splats have no buffer to point at; sub-byte elements (i1) are not
      // laid out as LLVM reads them.
      FailureOr<ArrayRef<char>> bytes = mlir::lq::getRawBytes(value);
      if (failed(bytes) || (int64_t)bytes->size() < minBytes)
        continue;
      table.emplace_back(global.getSymNameAttr(), value);
      global.removeInitialValueAttr();
      // An external declaration: public, and no alignment promised beyond
      // the element type's (the data's holder decides where it lies).
      global.setPublic();
      global.removeAlignmentAttr();
    }
    if (!table.empty())
      module->setAttr(kExternalWeightsAttrName, DictionaryAttr::get(ctx, table));
  }
};
} // namespace
