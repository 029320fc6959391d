//===- LowerMath.cpp - lq-gpu-lower-math ----------------------------------===//
//
// The math functions of a model's kernels as NVPTX instructions, so a
// kernel needs no libdevice: convert-gpu-to-nvvm calls libdevice's __nv_*
// functions for them, which are linked only where a CUDA toolkit is found
// at build time; without one the PTX keeps unresolved externs and fails to
// load on the GPU.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPULOWERMATH
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {

/// A call of the generic LLVM intrinsic `name`.f32/.f64: convert-gpu-to-nvvm
/// declares the LLVM dialect's own intrinsic ops (llvm.intr.sqrt, ...)
/// illegal, to route them to libdevice, but NVPTX selects the intrinsics.
Value callIntrinsic(PatternRewriter &rewriter, Location loc, StringRef name, Type type,
                    ValueRange args) {
  std::string full = (name + (type.isF32() ? ".f32" : ".f64")).str();
  return LLVM::CallIntrinsicOp::create(rewriter, loc, type, rewriter.getStringAttr(full), args)
      .getResult(0);
}

/// sqrt and roundeven are single instructions (sqrt.rn, cvt.rni), as
/// libdevice's __nv_sqrt(f) and __nv_rint(f) are.
template <typename MathOp>
struct ToIntrinsic : OpRewritePattern<MathOp> {
  ToIntrinsic(MLIRContext *context, StringRef name)
      : OpRewritePattern<MathOp>(context), name(name) {}
  LogicalResult matchAndRewrite(MathOp op, PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!type.isF32() && !type.isF64())
      return failure();
    rewriter.replaceOp(op, callIntrinsic(rewriter, op.getLoc(), name, type, op->getOperands()));
    return success();
  }
  StringRef name;
};

/// exp(x) = 2^(x log2(e)) on ex2.approx (2 ulp), with x log2(e) split into
/// a rounded product and its error (an fma), so the product's rounding does
/// not grow with |x|: 2^hi * (1 + lo ln 2). Infinite hi (x = -inf in a
/// masked softmax) takes lo = 0, not fma's inf - inf.
struct ExpF32 : OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ExpOp op, PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!type.isF32())
      return failure();
    Location loc = op.getLoc();
    auto constant = [&](float value) {
      return arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(value));
    };
    Value x = op.getOperand();
    Value log2e = constant(1.44269502f), log2eLow = constant(1.92596299e-8f);
    Value hi = arith::MulFOp::create(rewriter, loc, x, log2e);
    Value negHi = arith::NegFOp::create(rewriter, loc, hi);
    Value error = callIntrinsic(rewriter, loc, "llvm.fma", type, {x, log2e, negHi});
    Value lo = callIntrinsic(rewriter, loc, "llvm.fma", type, {x, log2eLow, error});
    Value magnitude = callIntrinsic(rewriter, loc, "llvm.fabs", type, {hi});
    Value finite = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OLT, magnitude,
                                         constant(256.0f));
    lo = arith::SelectOp::create(rewriter, loc, finite, lo, constant(0.0f));
    Value power = callIntrinsic(rewriter, loc, "llvm.exp2", type, {hi});
    Value correction = callIntrinsic(rewriter, loc, "llvm.fma", type,
                                     {lo, constant(0.693147182f), constant(1.0f)});
    rewriter.replaceOpWithNewOp<arith::MulFOp>(op, power, correction);
    return success();
  }
};

struct LQGPULowerMathPass : public mlir::lq::impl::LQGPULowerMathBase<LQGPULowerMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ToIntrinsic<math::SqrtOp>>(&getContext(), "llvm.sqrt");
    patterns.add<ToIntrinsic<math::RoundEvenOp>>(&getContext(), "llvm.roundeven");
    patterns.add<ExpF32>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
