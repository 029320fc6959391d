//===- DeviceMemory.cpp - lq-gpu-device-memory ----------------------------===//
//
// The host side of a function whose loops are GPU kernels: its buffers move
// to memory the kernels can use (device memory for the temporaries, managed
// memory for what the host reads, device copies of the constants), and
// whatever is left reading or writing buffer data on the host is an error,
// so nothing silently runs on the CPU.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToNVPTX/DeviceUpload.h"
#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUDEVICEMEMORY
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

/// The earliest point of `op`'s block where all its operands are defined.
static Block::iterator earliestPoint(Operation *op) {
  Block *block = op->getBlock();
  Block::iterator point = block->begin();
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (!def)
      continue;
    Operation *inBlock = block->findAncestorOpInBlock(*def);
    if (inBlock && (point == block->begin() || std::prev(point)->isBeforeInBlock(inBlock)))
      point = std::next(inBlock->getIterator());
  }
  return point;
}

/// Whether `alloc`, or a view of it, is returned (the caller then owns it
/// and reads it on the host), and whether the host loads from it.
struct HostUses {
  bool returned = false;
  bool loaded = false;
};
static HostUses getHostUses(Value alloc) {
  HostUses uses;
  SmallVector<Value> worklist = {alloc};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (isa<func::ReturnOp>(user))
        uses.returned = true;
      // Kernels are outlined: a load left in the function runs on the host.
      if (isa<memref::LoadOp>(user))
        uses.loaded = true;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user); view && view.getViewSource() == value)
        llvm::append_range(worklist, user->getResults());
    }
  }
  return uses;
}

/// Whether `type` holds one element: a scalar the host may read (the
/// decode position).
static bool isScalarBuffer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.hasStaticShape() && memref.getNumElements() == 1;
}

/// Checks that `op`, on the host side of a GPU function, does not read or
/// write buffer data other than a scalar load.
static LogicalResult checkHostOp(Operation *op) {
  if (isa<gpu::GPUDialect>(op->getDialect()) || op->hasTrait<OpTrait::IsTerminator>())
    return success();
  if (auto call = dyn_cast<func::CallOp>(op)) {
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, call.getCalleeAttr());
    if (callee && callee->hasAttr(lq::kDeviceUploadAttrName))
      return success();
    return op->emitOpError("calls a function on the host of a GPU function: only the device "
                           "uploads of constants may run there");
  }
  if (auto load = dyn_cast<memref::LoadOp>(op); load && isScalarBuffer(load.getMemRefType()))
    return success();
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  // A loop or branch: the walk checks the ops inside.
  if (!effects && op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
    return success();
  if (!effects)
    return op->emitOpError("has unknown memory effects on the host of a GPU function: no pass "
                           "lowered it to a GPU kernel");
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  for (const MemoryEffects::EffectInstance &effect : instances)
    if (isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
      return op->emitOpError("reads or writes buffer data on the host of a GPU function: no "
                             "pass lowered it to a GPU kernel");
  return success();
}

namespace {
struct LQGPUDeviceMemoryPass
    : public mlir::lq::impl::LQGPUDeviceMemoryBase<LQGPUDeviceMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (const std::string &name : functions)
      if (!module.lookupSymbol<func::FuncOp>(name)) {
        emitError(module.getLoc()) << "lq-gpu-device-memory: functions names '" << name
                                   << "', which is not a func.func of the module";
        return signalPassFailure();
      }
    SmallVector<func::FuncOp> funcs;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isDeclaration())
        continue;
      if (functions.empty() ? func.isPublic() : llvm::is_contained(functions, func.getSymName()))
        funcs.push_back(func);
    }
    bool failedAny = false;
    for (func::FuncOp func : funcs) {
      uploadConstants(module, func);
      moveToDeviceMemory(func);
      func.walk([&](Operation *op) {
        if (op != func && failed(checkHostOp(op)))
          failedAny = true;
      });
    }
    if (failedAny)
      signalPassFailure();
  }

  /// Constant globals become device copies, one upload call per global at
  /// the start of the function.
  void uploadConstants(ModuleOp module, func::FuncOp func) {
    DenseMap<Attribute, Value> uploads;
    OpBuilder entry = OpBuilder::atBlockBegin(&func.getBody().front());
    func.walk([&](memref::GetGlobalOp get) {
      auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
      if (!global || !global.getConstant() || !global.getInitialValue())
        return;
      Value &device = uploads[get.getNameAttr()];
      if (!device)
        device = func::CallOp::create(entry, get.getLoc(), lq::getOrBuildDeviceUpload(module, global))
                     .getResult(0);
      get.replaceAllUsesWith(device);
      get.erase();
    });
  }

  /// Allocations move as early in their block as their sizes allow, into
  /// device memory (gpu-async-region then puts them on the function's
  /// stream: a stream-ordered pool), or host-shared memory where the host reads
  /// them; those not returned are freed at the end of the block.
  /// (The pipeline runs no deallocation pass: ownership-based deallocation
  /// rejects the launches, ops without memory effects, and a function's
  /// host side is straight-line code whose buffers all live to its end.)
  void moveToDeviceMemory(func::FuncOp func) {
    SmallVector<memref::AllocOp> allocs;
    SmallVector<memref::DeallocOp> deallocs;
    func.walk([&](memref::AllocOp op) { allocs.push_back(op); });
    func.walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (memref::AllocOp op : allocs) {
      HostUses uses = getHostUses(op.getMemref());
      OpBuilder b(op->getBlock(), earliestPoint(op));
      auto alloc = gpu::AllocOp::create(b, op.getLoc(), op.getType(), /*asyncToken=*/Type(),
                                        ValueRange{}, op.getDynamicSizes(), op.getSymbolOperands(),
                                        /*hostShared=*/uses.returned || uses.loaded);
      op.replaceAllUsesWith(alloc.getMemref());
      op.erase();
      if (!uses.returned) {
        OpBuilder end(alloc->getBlock()->getTerminator());
        gpu::DeallocOp::create(end, alloc.getLoc(), /*asyncToken=*/Type(), ValueRange{},
                               alloc.getMemref());
      }
    }
    for (memref::DeallocOp op : deallocs) {
      OpBuilder b(op->getBlock()->getTerminator());
      gpu::DeallocOp::create(b, op.getLoc(), /*asyncToken=*/Type(), ValueRange{}, op.getMemref());
      op.erase();
    }
  }
};
} // namespace
