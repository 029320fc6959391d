//===- QuantizeActivations.cpp - lq-quantize-activations ---------------------===//
//
// Symmetric quantization of the inputs of the linear layers, per token
// (dynamic) or with one static scale per linear chosen from the calibration
// statistics: lq.matmul gets act(N) [scale(s)]; a float linalg.matmul gets
// an explicit lq.quantize / lq.dequantize pair on its input.
//
//===----------------------------------------------------------------------===//
#include "LinearModel.h"
#include "lq/Numerics/ActRange.h"
#include "llvm/ADT/StringMap.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include <cmath>

namespace mlir::lq {
#define GEN_PASS_DEF_LQQUANTIZEACTIVATIONS
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-quantize-activations";
constexpr StringLiteral kAbsMax = "lq.act_absmax", kHist = "lq.act_hist";

/// The static scale of `op`'s input from the statistics of its role (any
/// linear of the module with that role: calibration may annotate only
/// @forward), or failure with a located error when they are missing.
FailureOr<float> staticScale(ModuleOp module, Operation *op, int64_t cols, unsigned bits,
                             ::lq::RangeMethod method, double percentile) {
  StringRef role = roleOf(op);
  FailureOr<std::vector<float>> absMax = findStatistic(module, role, kAbsMax, cols, op, kPass);
  if (failed(absMax))
    return failure();
  double top = 0;
  for (float a : *absMax)
    top = std::max<double>(top, a);
  std::vector<double> hist(::lq::ActHistogram::kBins, 0.0);
  if (method != ::lq::RangeMethod::AbsMax) {
    FailureOr<std::vector<float>> h =
        findStatistic(module, role, kHist, cols * ::lq::ActHistogram::kBins, op, kPass);
    if (failed(h))
      return failure();
    for (int64_t i = 0; i < (int64_t)h->size(); ++i)
      hist[i % ::lq::ActHistogram::kBins] += (*h)[i];
  }
  double clip = ::lq::chooseClip(hist, top, bits, method, percentile);
  if (!(clip > 0))
    return 1.0f; // an input that never fired: any scale codes it as zeros
  float scale = (float)(clip / (std::ldexp(1.0, bits - 1) - 1));
  if (!std::isnormal(scale))
    return op->emitError() << kPass << ": the static scale of linear '" << role << "' ("
                           << scale << ") is not a normal float";
  return scale;
}

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
    std::optional<::lq::RangeMethod> method = ::lq::parseRangeMethod(range);
    if (!method || !(percentile > 0 && percentile <= 100)) {
      module.emitError() << kPass << ": range must be absmax, mse or percentile (got '" << range
                         << "') and percentile in (0, 100] (got " << percentile << ")";
      return signalPassFailure();
    }
    // Every scale first (one per role), then the rewrite, which consumes
    // the statistics.
    llvm::StringMap<FloatAttr> scales;
    if (staticRanges)
      for (Operation *op : linears) {
        if (scales.count(roleOf(op)))
          continue;
        auto input = llvm::dyn_cast<RankedTensorType>(op->getOperand(0).getType());
        int64_t cols = input && input.getRank() >= 1 ? input.getShape().back() : -1;
        if (cols < 0) {
          op->emitError() << kPass << ": linear '" << roleOf(op)
                          << "' needs a static input width for static ranges";
          return signalPassFailure();
        }
        FailureOr<float> scale = staticScale(module, op, cols, bits, *method, percentile);
        if (failed(scale))
          return signalPassFailure();
        scales[roleOf(op)] = FloatAttr::get(Float32Type::get(&getContext()), *scale);
      }
    IntegerAttr bitsAttr = IntegerAttr::get(IntegerType::get(&getContext(), 64), bits);
    for (Operation *op : linears) {
      FloatAttr scaleAttr = staticRanges ? scales.lookup(roleOf(op)) : FloatAttr();
      // Consumed: the histograms are large, and nothing after reads them.
      op->removeAttr(kAbsMax);
      op->removeAttr(kHist);
      if (auto mm = llvm::dyn_cast<MatmulOp>(op)) {
        if (std::optional<int64_t> existing = mm.getActBits(); existing && *existing != bits) {
          mm.emitError() << kPass << ": linear '" << roleOf(op)
                         << "' already quantizes its activations to " << *existing << " bits";
          return signalPassFailure();
        }
        mm.setActBitsAttr(bitsAttr);
        mm.setActScaleAttr(scaleAttr);
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
                                  bitsAttr, scaleAttr);
      Value x = DequantizeOp::create(b, loc, type, q.getCodes(), q.getScales());
      input->set(x);
    }
  }
};

} // namespace
