//===- SyncHostSharedAllocs.cpp - lq-gpu-sync-host-shared-allocs ----------===//
//
// gpu-async-region makes every GPU op asynchronous, but gpu-to-llvm lowers
// a host_shared gpu.alloc (cuMemAllocManaged, outside any stream) only as a
// synchronous op: this pass takes such allocations back out of the token
// chain.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUSYNCHOSTSHAREDALLOCS
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {
struct LQGPUSyncHostSharedAllocsPass
    : public mlir::lq::impl::LQGPUSyncHostSharedAllocsBase<LQGPUSyncHostSharedAllocsPass> {
  void runOnOperation() override {
    SmallVector<gpu::AllocOp> allocs;
    getOperation().walk([&](gpu::AllocOp op) {
      if (op.getHostShared() && op.getAsyncToken())
        allocs.push_back(op);
    });
    for (gpu::AllocOp op : allocs) {
      OpBuilder b(op);
      auto sync = gpu::AllocOp::create(b, op.getLoc(), op.getMemref().getType(),
                                       /*asyncToken=*/Type(), ValueRange{}, op.getDynamicSizes(),
                                       op.getSymbolOperands(), /*hostShared=*/true);
      // What waited for the allocation now waits for what it waited for.
      ValueRange deps = op.getAsyncDependencies();
      Value token = deps.size() == 1 ? deps.front()
                                     : gpu::WaitOp::create(b, op.getLoc(),
                                                           op.getAsyncToken().getType(), deps)
                                           .getAsyncToken();
      op.getAsyncToken().replaceAllUsesWith(token);
      op.getMemref().replaceAllUsesWith(sync.getMemref());
      op.erase();
    }
  }
};
} // namespace
