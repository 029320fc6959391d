//===- DependentLaunch.cpp - lq-gpu-dependent-launch ----------------------===//
//
// Every kernel of a gpu.module signals griddepcontrol.launch_dependents and
// then waits on griddepcontrol.wait before touching memory, and the module
// carries the `lq_grid_dependent` global by which the runtime knows to
// launch its kernels with programmatic stream serialization.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/Passes.h"
#include "lq/Runtime/GridDependency.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUDEPENDENTLAUNCH
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {

struct LQGPUDependentLaunchPass
    : public mlir::lq::impl::LQGPUDependentLaunchBase<LQGPUDependentLaunchPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    bool anyKernel = false;
    for (auto func : module.getOps<gpu::GPUFuncOp>()) {
      if (!func.isKernel() || func.getBody().empty())
        continue;
      anyKernel = true;
      bool waits = false, signals = false;
      func.walk([&](NVVM::GriddepcontrolOp op) {
        waits |= op.getKind() == NVVM::GridDepActionKind::wait;
        signals |= op.getKind() == NVVM::GridDepActionKind::launch_dependents;
      });
      OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
      // The signal first: the next kernel may be scheduled while this one
      // still waits for its predecessor (its own wait keeps it ordered).
      if (!signals && !waits)
        NVVM::GriddepcontrolOp::create(b, func.getLoc(),
                                       NVVM::GridDepActionKind::launch_dependents);
      if (!waits)
        NVVM::GriddepcontrolOp::create(b, func.getLoc(), NVVM::GridDepActionKind::wait);
    }
    if (!anyKernel || SymbolTable::lookupSymbolIn(module, ::lq::runtime::kGridDependentGlobal))
      return;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    Type i32 = b.getI32Type();
    // In global memory (address space 1): cuModuleGetGlobal finds it.
    LLVM::GlobalOp::create(b, module.getLoc(), i32, /*isConstant=*/false, LLVM::Linkage::External,
                           ::lq::runtime::kGridDependentGlobal, b.getI32IntegerAttr(1),
                           /*alignment=*/4, /*addrSpace=*/1);
  }
};

} // namespace
