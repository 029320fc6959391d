//===- InstrumentLinears.cpp - lq-instrument-linears ------------------------===//
//
// Calibration hooks: quant-run calibrate runs the instrumented @forward and
// accumulates statistics in the recording functions it provides to the JIT.
// Linears that read the same value (q/k/v, gate/up) share one recording, so
// each activation is summed once.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQINSTRUMENTLINEARS
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {

/// A role-tagged linear: the contract's `lq.role` on an op whose first operand
/// is the [tokens, in] f32 activation and whose one result is [tokens, out].
static bool isTaggedLinear(Operation *op) {
  if (!op->getAttrOfType<StringAttr>("lq.role") || op->getNumOperands() < 1 ||
      op->getNumResults() != 1)
    return false;
  auto in = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return in && out && in.getRank() == 2 && out.getRank() == 2 &&
         in.getElementType().isF32() && out.getElementType().isF32();
}

static bool recordsOutput(StringRef role) {
  return role.ends_with(".attn.k") || role.ends_with(".attn.v");
}

struct InstrumentLinearsPass
    : public mlir::lq::impl::LQInstrumentLinearsBase<InstrumentLinearsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    OpBuilder b(ctx);
    auto dynType = RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                         b.getF32Type());
    FunctionType hookType = b.getFunctionType({b.getI64Type(), dynType}, {});

    // The hooks, declared once; the runtime provides them.
    auto declare = [&](StringRef name) -> LogicalResult {
      if (auto existing = module.lookupSymbol<func::FuncOp>(name)) {
        if (existing.getFunctionType() != hookType || !existing.isExternal())
          return module.emitError() << "lq-instrument-linears: @" << name
                                    << " exists with another type or a body";
        return success();
      }
      b.setInsertionPointToStart(module.getBody());
      auto fn = func::FuncOp::create(b, module.getLoc(), name, hookType);
      fn.setPrivate();
      fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
      // The hook only reads the activation: bufferization need not copy it.
      fn.setArgAttr(1, "bufferization.access", b.getStringAttr("read"));
      return success();
    };
    if (failed(declare(kInputHook)) || failed(declare(kOutputHook)))
      return signalPassFailure();

    int64_t nextInput = 0, nextOutput = 0;
    bool any = false;
    module.walk([&](func::FuncOp fn) {
      if (fn.isExternal() || (!function.empty() && fn.getSymName() != function))
        return;
      llvm::DenseMap<Value, int64_t> inputIds;
      SmallVector<Operation *> linears;
      fn.walk([&](Operation *op) {
        if (isTaggedLinear(op) && selected(op->getAttrOfType<StringAttr>("lq.role")))
          linears.push_back(op);
      });
      for (Operation *op : linears) {
        any = true;
        Value x = op->getOperand(0);
        auto [it, inserted] = inputIds.try_emplace(x, nextInput);
        if (inserted) {
          ++nextInput;
          b.setInsertionPoint(op);
          call(b, op->getLoc(), kInputHook, it->second, x, dynType);
        }
        op->setAttr("lq.calib_input", b.getI64IntegerAttr(it->second));
        StringRef role = op->getAttrOfType<StringAttr>("lq.role").getValue();
        if (recordsOutput(role)) {
          int64_t id = nextOutput++;
          b.setInsertionPointAfter(op);
          call(b, op->getLoc(), kOutputHook, id, op->getResult(0), dynType);
          op->setAttr("lq.calib_output", b.getI64IntegerAttr(id));
        }
      }
    });
    if (!any) {
      module.emitError() << "lq-instrument-linears: no linear layer carries an lq.role"
                         << (roles.empty() ? "" : " starting with " + llvm::join(roles, " or "))
                         << (function.empty() ? std::string()
                                              : " in @" + function.getValue());
      return signalPassFailure();
    }
  }

  /// Whether `role` is among the role prefixes asked for (all when none).
  bool selected(StringAttr role) const {
    return roles.empty() || llvm::any_of(roles, [&](const std::string &prefix) {
             return role.getValue().starts_with(prefix);
           });
  }

  static void call(OpBuilder &b, Location loc, StringRef hook, int64_t id, Value x,
                   RankedTensorType dynType) {
    Value idValue = arith::ConstantIntOp::create(b, loc, id, 64);
    Value cast = tensor::CastOp::create(b, loc, dynType, x);
    func::CallOp::create(b, loc, hook, TypeRange{}, ValueRange{idValue, cast});
  }

  static constexpr llvm::StringLiteral kInputHook = "lq_record_input";
  static constexpr llvm::StringLiteral kOutputHook = "lq_record_output";
};

} // namespace
