//===- InsertFPT.cpp - lq-insert-fpt: FPTQuant's mergeable transforms --------===//
//
// Fits FPTQuant's pre-RoPE, value and MLP transforms from calibration
// statistics (closed forms in lq/Transforms/FPT.h) and places each as a pair
// of lq.fpt ops directly at the linears they will be merged into.
//
//===----------------------------------------------------------------------===//
#include "LinearModel.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include "lq/Fitting/FPT.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

namespace mlir::lq {
#define GEN_PASS_DEF_LQINSERTFPT
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-insert-fpt";

/// The attributes of one layer's transforms, shared by every function.
struct LayerFit {
  // pre-RoPE: rope_scale (half) or linear (interleaved) attributes.
  ElementsAttr kA, kB, qA, qB;
  // value: linear matrices for v (per KV head) and o (per query head).
  ElementsAttr vT, vTinv, oT, oTinv;
  // MLP: the up-output scale.
  ElementsAttr upScale;
};

double ratio(const std::vector<double> &v) {
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *hi / *lo;
}

/// The scales `quant-run calibrate --fpt-learn` recorded (lq.fpt_scale on
/// the linears of `role`: n positive finite floats), nullopt when none; a
/// malformed one is a located error.
FailureOr<std::optional<std::vector<double>>> learnedScale(ModuleOp module, StringRef role,
                                                           int64_t n) {
  std::optional<std::vector<double>> found;
  WalkResult walk = module.walk([&](Operation *op) {
    Attribute attr = op->getAttr("lq.fpt_scale");
    if (!attr || roleOf(op) != role)
      return WalkResult::advance();
    auto elements = llvm::dyn_cast<ElementsAttr>(attr);
    FailureOr<std::vector<float>> values =
        elements ? readFloats(elements) : FailureOr<std::vector<float>>(failure());
    if (failed(values) || (int64_t)values->size() != n) {
      op->emitError() << kPass << ": lq.fpt_scale of '" << role << "' must hold " << n
                      << " floats, got " << attr;
      return WalkResult::interrupt();
    }
    for (float v : *values)
      if (!(v > 0) || !std::isfinite(v)) {
        op->emitError() << kPass << ": lq.fpt_scale of '" << role
                        << "' must be positive and finite, got " << v;
        return WalkResult::interrupt();
      }
    if (!found)
      found.emplace(values->begin(), values->end());
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return found;
}

/// Follows a value through the lq.fpt ops already placed at it.
Value skipTransforms(Value v) {
  while (v.hasOneUse() &&
         llvm::isa<FunctionPreservingTransformOpInterface>(*v.getUsers().begin()))
    v = v.getUsers().begin()->getResult(0);
  return v;
}

/// RoPE as the importer emits it: the projection reshaped to heads and read
/// by an elementwise generic.
bool feedsRope(linalg::MatmulOp op) {
  Value out = skipTransforms(op.getResult(0));
  if (out.use_empty())
    return false;
  for (Operation *user : out.getUsers()) {
    auto expand = llvm::dyn_cast<tensor::ExpandShapeOp>(user);
    if (!expand || expand.getResultType().getRank() != 3 ||
        !llvm::any_of(expand->getUsers(), [](Operation *u) { return llvm::isa<linalg::GenericOp>(u); }))
      return false;
  }
  return true;
}

/// Walks back from a value through the lq.fpt ops already placed there.
Value skipTransformsBack(Value v) {
  while (auto fpt = v.getDefiningOp<FunctionPreservingTransformOpInterface>())
    v = fpt.getInput();
  return v;
}

/// The residual stream entering the RMSNorm that `reader` reads (through
/// transforms already placed), or a located error.
FailureOr<Value> normInputOf(linalg::MatmulOp reader, StringRef pass) {
  Value normed = skipTransformsBack(reader.getDpsInputOperand(0)->get());
  auto norm = normed.getDefiningOp<linalg::GenericOp>();
  if (!norm || !normWeightOperand(norm) || norm.getDpsInputOperand(0)->get().getType() !=
                                               normed.getType())
    return reader.emitError() << pass << ": the input of '" << roleOf(reader)
                              << "' is not an RMSNorm of the residual stream, so residual "
                                 "scaling has no RMS to take";
  return norm.getDpsInputOperand(0)->get();
}

/// sqrt(mean(x^2)) of each row of x, as a [..., 1] tensor (floored, so an
/// all-zero row divides by a tiny number instead of 0).
Value rowRms(OpBuilder &b, Location loc, Value x) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  double width = (double)type.getShape().back();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes.back() = b.getIndexAttr(1);
  Type f32 = b.getF32Type();
  Value init = tensor::EmptyOp::create(b, loc, sizes, f32);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap row = id.replace(getAffineDimExpr(rank - 1, ctx), getAffineConstantExpr(0, ctx),
                             rank, 0);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.back() = utils::IteratorType::reduction;
  Value sum = linalg::GenericOp::create(
                  b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
                  ArrayRef<AffineMap>{id, row}, iters,
                  [&](OpBuilder &nb, Location l, ValueRange a) {
                    Value sq = arith::MulFOp::create(nb, l, a[0], a[0]);
                    linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, a[1], sq)});
                  })
                  .getResult(0);
  SmallVector<utils::IteratorType> par(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{sum},
             ArrayRef<AffineMap>{id}, par,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value mean = arith::DivFOp::create(
                   nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(width)));
               Value r = math::SqrtOp::create(nb, l, mean);
               r = arith::MaximumFOp::create(
                   nb, l, r, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1e-20f)));
               linalg::YieldOp::create(nb, l, ValueRange{r});
             })
      .getResult(0);
}

/// An RMSNorm and the linears reading it (residual rotation).
struct NormSite {
  Value out;
  DenseElementsAttr weight;
  SmallVector<linalg::MatmulOp> consumers;
};

/// Where the residual rotation goes in one function.
struct ResidualPlan {
  Value embedding;                      ///< the looked-up rows, x_0
  SmallVector<NormSite> norms;          ///< every norm feeding linears
  SmallVector<linalg::MatmulOp> writers; ///< o and down: their outputs join the stream
  int64_t block = 0;                    ///< Hadamard block: the largest power of two dividing the width
};

struct InsertFPTPass : public mlir::lq::impl::LQInsertFPTBase<InsertFPTPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult checkCondition(Operation *at, StringRef what, int64_t layer, double kappa) {
    if (kappa <= maxCondition)
      return success();
    return at->emitError() << kPass << ": the fitted " << what << " of layer " << layer
                           << " is not safely invertible: condition number "
                           << llvm::formatv("{0:e3}", kappa) << " exceeds max-condition "
                           << llvm::formatv("{0:e3}", (double)maxCondition);
  }
  LogicalResult fitQK(ModuleOp module, const ModelShape &shape, int64_t layer,
                      LayerLinears l, LayerFit &fit);
  LogicalResult fitValue(ModuleOp module, const ModelShape &shape, int64_t layer,
                         LayerLinears l, LayerFit &fit);
  LogicalResult fitMLP(ModuleOp module, int64_t layer, LayerLinears l, LayerFit &fit);
  FailureOr<ResidualPlan> planResidual(FunctionLinears &fl);
};

FailureOr<ResidualPlan> InsertFPTPass::planResidual(FunctionLinears &fl) {
  ResidualPlan plan;
  auto site = [&](ArrayRef<linalg::MatmulOp> consumers) -> LogicalResult {
    NormSite s;
    linalg::MatmulOp front = consumers.front();
    for (linalg::MatmulOp op : consumers)
      if (auto fpt = op.getDpsInputOperand(0)->get()
                         .getDefiningOp<FunctionPreservingTransformOpInterface>())
        return fpt.emitError() << kPass << ": a transform is still in place before '"
                               << roleOf(op)
                               << "' (run lq-merge-fpt before the residual rotation)";
    s.out = skipTransformsBack(front.getDpsInputOperand(0)->get());
    for (linalg::MatmulOp op : consumers)
      if (skipTransformsBack(op.getDpsInputOperand(0)->get()) != s.out)
        return op.emitError() << kPass << ": '" << roleOf(op) << "' and '"
                              << roleOf(front) << "' do not read the same normalised activation";
    auto norm = s.out.getDefiningOp<linalg::GenericOp>();
    OpOperand *w = norm ? normWeightOperand(norm) : nullptr;
    if (!w)
      return front.emitError()
             << kPass << ": the input of '" << roleOf(front)
             << "' is not an RMSNorm, so the residual rotation cannot pass it";
    for (Operation *user : s.out.getUsers())
      if (!llvm::isa<FunctionPreservingTransformOpInterface>(user) &&
          !llvm::is_contained(consumers, llvm::dyn_cast<linalg::MatmulOp>(user)))
        return user->emitError() << kPass << ": the normalised input of '"
                                 << roleOf(front)
                                 << "' is also read here, which the rotation would change";
    auto attr = llvm::dyn_cast<ElementsAttr>(
        w->get().getDefiningOp<arith::ConstantOp>().getValue());
    FailureOr<std::vector<float>> g = attr ? readFloats(attr) : FailureOr<std::vector<float>>();
    if (failed(g))
      return norm.emitError() << kPass << ": the norm weight is not readable";
    for (float v : *g)
      if (v == 0.0f || !std::isfinite(v))
        return norm.emitError() << kPass
                                << ": a zero norm weight cannot be folded into the next linears";
    std::vector<double> gd(g->begin(), g->end());
    s.weight = f32Attr(&getContext(), {(int64_t)gd.size()}, gd);
    s.consumers.assign(consumers.begin(), consumers.end());
    plan.norms.push_back(std::move(s));
    return success();
  };
  for (auto [index, l] : fl.layers) {
    if (!l.q || !l.k || !l.v || !l.o || !l.gate || !l.up || !l.down)
      return fl.func.emitError() << kPass << ": the residual rotation needs every linear of layer "
                                 << index << " tagged";
    if (failed(site({l.q, l.k, l.v})) || failed(site({l.gate, l.up})))
      return failure();
    plan.writers.append({l.o, l.down});
  }
  linalg::MatmulOp head;
  fl.func.walk([&](linalg::MatmulOp op) {
    if (roleOf(op) == "lm_head")
      head = op;
  });
  if (!head)
    return fl.func.emitError() << kPass << ": the residual rotation needs the 'lm_head' linear";
  if (failed(site({head})))
    return failure();
  // x_0: the rows the first norm reads, an embedding lookup.
  auto first = plan.norms.front().out.getDefiningOp<linalg::GenericOp>();
  Value x0 = first.getDpsInputOperand(0)->get();
  auto lookup = x0.getDefiningOp<linalg::GenericOp>();
  if (!lookup || !embeddingLookup(lookup))
    return first.emitError() << kPass
                             << ": the first norm does not read an embedding lookup, so the "
                                "residual stream's start cannot be rotated";
  plan.embedding = x0;
  int64_t d = llvm::cast<RankedTensorType>(x0.getType()).getShape().back();
  // Block-diagonal Hadamard matrices where the width is not a power of two.
  plan.block = d & -d;
  if (plan.block < 2)
    return first.emitError() << kPass << ": the residual rotation is made of Hadamard blocks, "
                             << "which needs an even width, got " << d;
  return plan;
}

LogicalResult InsertFPTPass::fitQK(ModuleOp module, const ModelShape &shape, int64_t layer,
                                   LayerLinears l, LayerFit &fit) {
  int64_t hd = shape.headDim, kvh = shape.kvHeads, h = shape.heads, half = hd / 2;
  auto [kOut, dim] = weightShape(l.k);
  if (kOut != kvh * hd || weightShape(l.q).first != h * hd)
    return l.k.emitError() << kPass << ": q/k projections of layer " << layer
                           << " do not match lq.model (heads " << h << ", kv_heads " << kvh
                           << ", head_dim " << hd << ")";
  std::string role = roleOf(l.k).str();
  FailureOr<std::vector<float>> kmax =
      findStatistic(module, role, "lq.out_absmax", kOut, l.k, kPass);
  if (failed(kmax))
    return failure();
  FailureOr<std::vector<float>> hessian =
      findStatistic(module, role, "lq.hessian", dim * dim, l.k, kPass);
  if (failed(hessian))
    return failure();
  FailureOr<std::vector<float>> wk = readWeight(l.k, kPass);
  if (failed(wk))
    return failure();
  ::lq::RopePairing pairing = *shape.rope;
  std::vector<::lq::PreRopeFit> fits;
  for (int64_t head = 0; head < kvh; ++head) {
    std::vector<double> absmax(kmax->begin() + head * hd, kmax->begin() + (head + 1) * hd);
    std::vector<double> second = ::lq::outputSecondMoment(wk->data(), dim, head * hd, hd,
                                                          hessian->data());
    fits.push_back(::lq::fitPreRope(absmax, second, hd, pairing));
    double kappa = ::lq::conditionNumber(::lq::preRopeMatrix(fits.back(), hd, pairing, false), hd);
    if (failed(checkCondition(l.k, "pre-RoPE transform", layer, kappa)))
      return failure();
  }
  MLIRContext *ctx = &getContext();
  if (pairing == ::lq::RopePairing::Half) {
    std::vector<double> ks, ka, qs, qa;
    for (int64_t head = 0; head < kvh; ++head)
      for (int64_t i = 0; i < half; ++i) {
        ks.push_back(fits[head].scales[i]);
        ka.push_back(fits[head].angles[i]);
      }
    // Query head qh reads key head qh / group (GQA).
    for (int64_t qh = 0; qh < h; ++qh)
      for (int64_t i = 0; i < half; ++i) {
        qs.push_back(fits[qh / shape.group()].scales[i]);
        qa.push_back(fits[qh / shape.group()].angles[i]);
      }
    fit.kA = f32Attr(ctx, {kvh, half}, ks);
    fit.kB = f32Attr(ctx, {kvh, half}, ka);
    fit.qA = f32Attr(ctx, {h, half}, qs);
    fit.qB = f32Attr(ctx, {h, half}, qa);
    return success();
  }
  // Interleaved pairs: the same 2x2 blocks as explicit per-head matrices.
  std::vector<double> km, kinv, qm, qinv;
  std::vector<std::vector<double>> perHeadQ, perHeadQinv;
  for (int64_t head = 0; head < kvh; ++head) {
    std::vector<double> m = ::lq::preRopeMatrix(fits[head], hd, pairing, false);
    std::vector<double> inv = ::lq::invertMatrix(m, hd);
    km.insert(km.end(), m.begin(), m.end());
    kinv.insert(kinv.end(), inv.begin(), inv.end());
    std::vector<double> mq = ::lq::preRopeMatrix(fits[head], hd, pairing, true);
    perHeadQ.push_back(mq);
    perHeadQinv.push_back(::lq::invertMatrix(mq, hd));
  }
  for (int64_t qh = 0; qh < h; ++qh) {
    qm.insert(qm.end(), perHeadQ[qh / shape.group()].begin(), perHeadQ[qh / shape.group()].end());
    qinv.insert(qinv.end(), perHeadQinv[qh / shape.group()].begin(),
                perHeadQinv[qh / shape.group()].end());
  }
  fit.kA = f32Attr(ctx, {kvh, hd, hd}, km);
  fit.kB = f32Attr(ctx, {kvh, hd, hd}, kinv);
  fit.qA = f32Attr(ctx, {h, hd, hd}, qm);
  fit.qB = f32Attr(ctx, {h, hd, hd}, qinv);
  return success();
}

LogicalResult InsertFPTPass::fitValue(ModuleOp module, const ModelShape &shape, int64_t layer,
                                      LayerLinears l, LayerFit &fit) {
  int64_t hd = shape.headDim, kvh = shape.kvHeads, h = shape.heads, g = shape.group();
  auto [oOut, oIn] = weightShape(l.o);
  if (weightShape(l.v).first != kvh * hd || oIn != h * hd)
    return l.v.emitError() << kPass << ": v/o projections of layer " << layer
                           << " do not match lq.model (heads " << h << ", kv_heads " << kvh
                           << ", head_dim " << hd << ")";
  FailureOr<std::vector<float>> act =
      findStatistic(module, roleOf(l.o), "lq.act_absmax", oIn, l.o, kPass);
  if (failed(act))
    return failure();
  FailureOr<std::vector<float>> wo = readWeight(l.o, kPass);
  if (failed(wo))
    return failure();
  std::vector<double> wmax = ::lq::columnAbsMax(wo->data(), oOut, oIn);
  // One scale per value channel: the query heads of a group share it.
  std::vector<double> a(kvh * hd, 0.0), w(kvh * hd, 0.0);
  for (int64_t qh = 0; qh < h; ++qh)
    for (int64_t d = 0; d < hd; ++d) {
      int64_t c = (qh / g) * hd + d;
      a[c] = std::max(a[c], (double)(*act)[qh * hd + d]);
      w[c] = std::max(w[c], wmax[qh * hd + d]);
    }
  std::vector<double> t = ::lq::migrationScales(a, w, 0.5);
  for (double &v : t)
    v = 1.0 / v; // values are multiplied by t: a_j t_j = w_j / t_j
  FailureOr<std::optional<std::vector<double>>> learned =
      learnedScale(module, roleOf(l.o), kvh * hd);
  if (failed(learned))
    return failure();
  if (*learned)
    t = std::move(**learned);
  if (failed(checkCondition(l.v, "value transform", layer, ratio(t))))
    return failure();
  auto blocks = [&](int64_t heads, bool inverse) {
    std::vector<double> m(heads * hd * hd, 0.0);
    for (int64_t head = 0; head < heads; ++head)
      for (int64_t d = 0; d < hd; ++d) {
        double v = t[(heads == h ? head / g : head) * hd + d];
        m[(head * hd + d) * hd + d] = inverse ? 1.0 / v : v;
      }
    return m;
  };
  MLIRContext *ctx = &getContext();
  fit.vT = f32Attr(ctx, {kvh, hd, hd}, blocks(kvh, false));
  fit.vTinv = f32Attr(ctx, {kvh, hd, hd}, blocks(kvh, true));
  fit.oT = f32Attr(ctx, {h, hd, hd}, blocks(h, false));
  fit.oTinv = f32Attr(ctx, {h, hd, hd}, blocks(h, true));
  return success();
}

LogicalResult InsertFPTPass::fitMLP(ModuleOp module, int64_t layer, LayerLinears l,
                                    LayerFit &fit) {
  auto [dOut, hidden] = weightShape(l.down);
  if (weightShape(l.up).first != hidden)
    return l.up.emitError() << kPass << ": the up projection of layer " << layer
                            << " has " << weightShape(l.up).first
                            << " outputs but down reads " << hidden;
  FailureOr<std::vector<float>> act =
      findStatistic(module, roleOf(l.down), "lq.act_absmax", hidden, l.down, kPass);
  if (failed(act))
    return failure();
  FailureOr<std::vector<float>> wd = readWeight(l.down, kPass);
  if (failed(wd))
    return failure();
  std::vector<double> a(act->begin(), act->end());
  std::vector<double> t =
      ::lq::migrationScales(a, ::lq::columnAbsMax(wd->data(), dOut, hidden), 0.5);
  for (double &v : t)
    v = 1.0 / v;
  FailureOr<std::optional<std::vector<double>>> learned =
      learnedScale(module, roleOf(l.down), hidden);
  if (failed(learned))
    return failure();
  if (*learned)
    t = std::move(**learned);
  if (failed(checkCondition(l.down, "MLP scaling", layer, ratio(t))))
    return failure();
  fit.upScale = f32Attr(&getContext(), {hidden}, t);
  return success();
}

void InsertFPTPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<ModelShape> shape = readModelShape(module, kPass);
  if (failed(shape))
    return signalPassFailure();
  SmallVector<StringRef> required;
  if (qk)
    required.append({"attn.q", "attn.k"});
  if (value)
    required.append({"attn.v", "attn.o"});
  if (mlp)
    required.append({"mlp.up", "mlp.down"});
  if (downRotation && !mlp)
    required.push_back("mlp.down");
  FailureOr<std::vector<FunctionLinears>> functions = collectLinears(module, kPass, required);
  if (failed(functions))
    return signalPassFailure();
  if (qk && !shape->rope) {
    module.emitError() << kPass
                       << ": the pre-RoPE transform needs RoPE, but lq.model has no rope_style";
    return signalPassFailure();
  }
  // Check the structure everywhere before fitting or changing anything.
  for (FunctionLinears &fl : *functions)
    for (auto [index, l] : fl.layers)
      if (qk)
        for (linalg::MatmulOp op : {l.q, l.k})
          if (!feedsRope(op)) {
            op.emitError() << kPass << ": no RoPE after linear '" << roleOf(op)
                           << "' (expected its output reshaped to heads and rotated), so the "
                              "pre-RoPE transform has nowhere to go";
            return signalPassFailure();
          }

  // Residual scaling: per layer, the residual streams feeding the attention
  // and MLP norms, read by the o and down inputs' scalers.
  if (residualScaling)
    for (FunctionLinears &fl : *functions)
      for (auto [index, l] : fl.layers) {
        if (!l.q || !l.o || !l.up || !l.down) {
          fl.func.emitError() << kPass << ": residual scaling needs attn.q, attn.o, mlp.up and "
                                          "mlp.down of layer "
                              << index << " tagged";
          return signalPassFailure();
        }
        if (failed(normInputOf(l.q, kPass)) || failed(normInputOf(l.up, kPass)))
          return signalPassFailure();
      }

  std::vector<ResidualPlan> plans;
  if (residual)
    for (FunctionLinears &fl : *functions) {
      FailureOr<ResidualPlan> plan = planResidual(fl);
      if (failed(plan))
        return signalPassFailure();
      plans.push_back(std::move(*plan));
    }

  std::map<int64_t, LayerFit> fits;
  OpBuilder b(&getContext());
  for (FunctionLinears &fl : *functions)
    for (auto [index, l] : fl.layers) {
      auto [it, isNew] = fits.try_emplace(index);
      LayerFit &fit = it->second;
      if (isNew && ((qk && failed(fitQK(module, *shape, index, l, fit))) ||
                    (value && failed(fitValue(module, *shape, index, l, fit))) ||
                    (mlp && failed(fitMLP(module, index, l, fit)))))
        return signalPassFailure();
      // First, so the transforms placed below sit between the scaler and
      // the linear they merge into.
      if (residualScaling)
        for (auto [reader, writer] : {std::pair(l.q, l.o), std::pair(l.up, l.down)}) {
          Value stream = *normInputOf(reader, kPass);
          b.setInsertionPoint(writer);
          Value r = rowRms(b, writer.getLoc(), stream);
          insertBeforeInput(b, writer, [&](OpBuilder &ob, Value x) -> Value {
            return FPTResidualScaleOp::create(ob, x.getLoc(), x.getType(), x, r, false);
          });
          insertAfter(b, writer.getResult(0), [&](OpBuilder &ob, Value y) -> Value {
            return FPTResidualScaleOp::create(ob, y.getLoc(), y.getType(), y, r, true);
          });
          // They described the unscaled input.
          writer->removeAttr("lq.act_absmax");
          writer->removeAttr("lq.act_hist");
        }
      bool half = shape->rope == ::lq::RopePairing::Half;
      if (qk) {
        auto place = [&](ElementsAttr a, ElementsAttr c, bool queries) {
          return [=](OpBuilder &ob, Value x) -> Value {
            Location loc = x.getLoc();
            if (half)
              return FPTRopeScaleOp::create(ob, loc, x.getType(), x, a, c, queries, queries);
            return FPTLinearOp::create(ob, loc, x.getType(), x, a, c, false);
          };
        };
        insertAfter(b, l.k.getResult(0), place(fit.kA, fit.kB, false));
        insertAfter(b, l.q.getResult(0), place(fit.qA, fit.qB, true));
      }
      if (value) {
        insertAfter(b, l.v.getResult(0), [&](OpBuilder &ob, Value x) -> Value {
          return FPTLinearOp::create(ob, x.getLoc(), x.getType(), x, fit.vT, fit.vTinv, false);
        });
        insertBeforeInput(b, l.o, [&](OpBuilder &ob, Value x) -> Value {
          return FPTLinearOp::create(ob, x.getLoc(), x.getType(), x, fit.oT, fit.oTinv, true);
        });
      }
      if (downRotation) {
        // x -> x H (online) -> x H H^T (merged into W_down): W_down reads
        // x H, whose outliers are spread over each Hadamard block.
        int64_t width = weightShape(l.down).second;
        IntegerAttr block = b.getI64IntegerAttr(width & -width);
        insertBeforeInput(b, l.down, [&](OpBuilder &ob, Value x) -> Value {
          return FPTRotateOp::create(ob, x.getLoc(), x.getType(), x, ElementsAttr(), false, block,
                                     /*online=*/true);
        });
        insertBeforeInput(b, l.down, [&](OpBuilder &ob, Value x) -> Value {
          return FPTRotateOp::create(ob, x.getLoc(), x.getType(), x, ElementsAttr(), true, block,
                                     /*online=*/false);
        });
      }
      if (mlp) {
        insertAfter(b, l.up.getResult(0), [&](OpBuilder &ob, Value x) -> Value {
          return FPTScaleOp::create(ob, x.getLoc(), x.getType(), x, fit.upScale, false);
        });
        insertBeforeInput(b, l.down, [&](OpBuilder &ob, Value x) -> Value {
          return FPTScaleOp::create(ob, x.getLoc(), x.getType(), x, fit.upScale, true);
        });
      }
    }

  // Residual rotation: RMSNorm(x R) = RMSNorm(x) R once its weight g is
  // moved into the next linears, so the whole stream can carry x R: the
  // embedding rows and the o / down outputs get R, every norm reader R^T
  // (then g) before its linear.
  for (ResidualPlan &plan : plans) {
    IntegerAttr block = llvm::cast<RankedTensorType>(plan.embedding.getType()).getShape().back() ==
                                plan.block
                            ? IntegerAttr()
                            : b.getI64IntegerAttr(plan.block);
    auto rotate = [=](bool inverse) {
      return [=](OpBuilder &ob, Value x) -> Value {
        return FPTRotateOp::create(ob, x.getLoc(), x.getType(), x, ElementsAttr(), inverse, block,
                                   /*online=*/false);
      };
    };
    for (NormSite &site : plan.norms) {
      insertAfter(b, site.out, [&](OpBuilder &ob, Value x) -> Value {
        return FPTScaleOp::create(ob, x.getLoc(), x.getType(), x, site.weight, true);
      });
      for (linalg::MatmulOp op : site.consumers) {
        insertBeforeInput(b, op, rotate(true));
        insertBeforeInput(b, op, [&](OpBuilder &ob, Value x) -> Value {
          return FPTScaleOp::create(ob, x.getLoc(), x.getType(), x, site.weight, false);
        });
      }
    }
    insertAfter(b, plan.embedding, rotate(false));
    for (linalg::MatmulOp op : plan.writers)
      insertAfter(b, op.getResult(0), rotate(false));
  }
}

} // namespace
