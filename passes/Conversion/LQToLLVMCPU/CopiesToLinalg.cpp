//===- CopiesToLinalg.cpp - lq-cpu-copies-to-linalg -----------------------===//
//
// memref.copy between strided buffers lowers to a call into MLIR's C runner
// library; as linalg.copy it becomes loops, so neither the JIT nor objects
// written for ahead-of-time use depend on that library.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPUCOPIESTOLINALG
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {
struct LQCPUCopiesToLinalgPass
    : public mlir::lq::impl::LQCPUCopiesToLinalgBase<LQCPUCopiesToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp op : copies) {
      OpBuilder b(op);
      linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
      op.erase();
    }
  }
};
} // namespace
