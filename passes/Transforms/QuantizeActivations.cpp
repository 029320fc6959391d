//===- QuantizeActivations.cpp - lq-quantize-activations ---------------------===//
//
// Per-token dynamic symmetric quantization of the inputs of the linear
// layers: lq.matmul gets act(N); a float linalg.matmul gets an explicit
// lq.quantize / lq.dequantize pair on its input.
//
//===----------------------------------------------------------------------===//
#include "LinearModel.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQQUANTIZEACTIVATIONS
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-quantize-activations";

struct QuantizeActivationsPass
    : public mlir::lq::impl::LQQuantizeActivationsBase<QuantizeActivationsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (bits < 2 || bits > 8) {
      module.emitError() << kPass << ": bits must be in [2, 8], got " << (unsigned)bits;
      return signalPassFailure();
    }
    SmallVector<Operation *> linears;
    bool tagged = false;
    module.walk([&](Operation *op) {
      StringRef role = roleOf(op);
      tagged |= !role.empty();
      if (role.empty() || (role == "lm_head" && !lmHead) ||
          llvm::any_of(exclude, [&](const std::string &e) { return role.ends_with(e); }))
        return;
      if (llvm::isa<MatmulOp, linalg::MatmulOp>(op))
        linears.push_back(op);
    });
    if (!tagged) {
      module.emitError() << kPass
                         << " needs the linear layers tagged: no matmul carries an lq.role";
      return signalPassFailure();
    }
    IntegerAttr bitsAttr = IntegerAttr::get(IntegerType::get(&getContext(), 64), bits);
    for (Operation *op : linears) {
      if (auto mm = llvm::dyn_cast<MatmulOp>(op)) {
        if (std::optional<int64_t> existing = mm.getActBits(); existing && *existing != bits) {
          mm.emitError() << kPass << ": linear '" << roleOf(op)
                         << "' already quantizes its activations to " << *existing << " bits";
          return signalPassFailure();
        }
        mm.setActBitsAttr(bitsAttr);
        continue;
      }
      // A float linear: quantize and dequantize its input explicitly, the
      // reference form of act(N).
      auto mm = llvm::cast<linalg::MatmulOp>(op);
      OpOperand *input = mm.getDpsInputOperand(0);
      auto type = llvm::dyn_cast<RankedTensorType>(input->get().getType());
      if (!type || !type.getElementType().isF32() || type.getRank() < 1) {
        mm.emitError() << kPass << ": linear '" << roleOf(op)
                       << "' must read an f32 tensor, got " << input->get().getType();
        return signalPassFailure();
      }
      if (auto deq = input->get().getDefiningOp<DequantizeOp>()) {
        mm.emitError() << kPass << ": the input of linear '" << roleOf(op)
                       << "' is already quantized";
        return signalPassFailure();
      }
      OpBuilder b(mm);
      Location loc = mm.getLoc();
      SmallVector<int64_t> scaleShape(type.getShape());
      scaleShape.back() = 1;
      auto codesType = RankedTensorType::get(type.getShape(), b.getI8Type());
      auto scalesType = RankedTensorType::get(scaleShape, b.getF32Type());
      auto q = QuantizeOp::create(b, loc, TypeRange{codesType, scalesType}, input->get(),
                                  bitsAttr);
      Value x = DequantizeOp::create(b, loc, type, q.getCodes(), q.getScales());
      input->set(x);
    }
  }
};

} // namespace
