//===- WeightTable.cpp - lq-weight-table ----------------------------------===//
//
// Large constant globals of the LLVM dialect become slots of an exported
// pointer table, so a compiled library reads its weights from a file mapped
// at load time instead of carrying them in its code (docs in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Runtime/ModelInfo.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQWEIGHTTABLE
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using mlir::lq::kExternalWeightsAttrName;
using ::lq::runtime::kWeightTableSymbol;

/// Element types a weights file can hold as they are in memory.
static bool hasWholeByteElements(ElementsAttr value) {
  Type type = value.getElementType();
  unsigned width = type.isIntOrFloat() ? type.getIntOrFloatBitWidth() : 0;
  return width == 8 || width == 16 || width == 32 || width == 64;
}

namespace {
struct LQWeightTablePass : public mlir::lq::impl::LQWeightTableBase<LQWeightTablePass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (minBytes < 1) {
      module.emitError() << "lq-weight-table: min-bytes must be positive, got "
                         << int64_t(minBytes);
      return signalPassFailure();
    }
    if (Operation *existing = module.lookupSymbol(kWeightTableSymbol)) {
      existing->emitError() << "lq-weight-table: the module already defines '"
                            << kWeightTableSymbol << "'";
      return signalPassFailure();
    }
    // Slot order is the dictionary's: by name.
    llvm::StringMap<LLVM::GlobalOp> moved;
    SmallVector<NamedAttribute> entries;
    for (auto global : module.getOps<LLVM::GlobalOp>()) {
      auto value = dyn_cast_or_null<ElementsAttr>(global.getValueOrNull());
      if (!global.getConstant() || !value || global.getAddrSpace() != 0 ||
          !hasWholeByteElements(value))
        continue;
      FailureOr<ArrayRef<char>> bytes = mlir::lq::getRawBytes(value);
      if (failed(bytes) || (int64_t)bytes->size() < minBytes)
        continue;
      moved[global.getSymName()] = global;
      entries.emplace_back(global.getSymNameAttr(), value);
    }
    if (entries.empty())
      return;
    MLIRContext *ctx = module.getContext();
    auto table = DictionaryAttr::get(ctx, entries);
    llvm::StringMap<int64_t> slotOf;
    for (auto [i, entry] : llvm::enumerate(table))
      slotOf[entry.getName()] = i;

    // Every use must be an address taken in code: an initializer of another
    // global cannot load a slot.
    SmallVector<LLVM::AddressOfOp> uses;
    WalkResult walk = module.walk([&](LLVM::AddressOfOp op) {
      if (!slotOf.count(op.getGlobalName()))
        return WalkResult::advance();
      if (!op->getParentOfType<LLVM::LLVMFuncOp>()) {
        op.emitError() << "lq-weight-table: the address of '" << op.getGlobalName()
                       << "' is taken outside a function";
        return WalkResult::interrupt();
      }
      uses.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto tableType = LLVM::LLVMArrayType::get(ptr, entries.size());
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    // Zero-initialized (null slots until the loader binds them), exported.
    auto tableGlobal =
        LLVM::GlobalOp::create(b, module.getLoc(), tableType, /*isConstant=*/false,
                               LLVM::Linkage::External, kWeightTableSymbol, Attribute());
    Block *init = b.createBlock(&tableGlobal.getInitializerRegion());
    b.setInsertionPointToStart(init);
    Value zero = LLVM::ZeroOp::create(b, module.getLoc(), tableType);
    LLVM::ReturnOp::create(b, module.getLoc(), zero);

    for (LLVM::AddressOfOp op : uses) {
      b.setInsertionPoint(op);
      Location loc = op.getLoc();
      Value base = LLVM::AddressOfOp::create(b, loc, tableGlobal);
      Value slot = LLVM::GEPOp::create(b, loc, ptr, tableType, base,
                                       ArrayRef<LLVM::GEPArg>{0, slotOf[op.getGlobalName()]});
      Value data = LLVM::LoadOp::create(b, loc, ptr, slot);
      op.replaceAllUsesWith(data);
      op.erase();
    }
    for (auto &entry : moved)
      entry.second.erase();
    module->setAttr(kExternalWeightsAttrName, table);
  }
};
} // namespace
