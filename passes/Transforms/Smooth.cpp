//===- Smooth.cpp - lq-smooth: QQQ adaptive smoothing -----------------------===//
//
// Searches a per-channel migration scale at the four smoothing points of
// every layer (lq/Transforms/Smooth.h) and places it as an lq.fpt.scale
// pair: x / s where lq-merge-fpt folds it into the producer (RMSNorm weight
// or the previous linear's rows), * s right before each consumer.
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

#include "lq/Fitting/Smooth.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQSMOOTH
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-smooth";

/// Walks back from a value through lq.fpt ops already placed there.
Value skipTransformsBack(Value v) {
  while (auto fpt = v.getDefiningOp<FunctionPreservingTransformOpInterface>())
    v = fpt.getInput();
  return v;
}

/// Where x / s goes for one smoothing point.
struct Producer {
  Value value;                 ///< the value x / s is applied to (innermost)
  linalg::MatmulOp linear;     ///< set when it is a linear's output
};

/// One smoothing point of one layer, fitted once and placed in every function.
struct Point {
  StringRef name;
  SmallVector<StringRef, 3> consumers; ///< kinds, e.g. "attn.q"
};

struct SmoothPass : public mlir::lq::impl::LQSmoothBase<SmoothPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  FailureOr<std::vector<double>> fit(ModuleOp module, const ModelShape &shape, int64_t layer,
                                     const Point &point, ArrayRef<linalg::MatmulOp> consumers);
};

/// "attn.q" for a linear tagged "layers.N.attn.q", empty otherwise.
StringRef linearKind(Operation *op) {
  StringRef role = roleOf(op);
  if (!role.consume_front("layers."))
    return {};
  return role.split('.').second;
}

FailureOr<std::vector<double>> SmoothPass::fit(ModuleOp module, const ModelShape &shape,
                                               int64_t layer, const Point &point,
                                               ArrayRef<linalg::MatmulOp> consumers) {
  int64_t cols = weightShape(consumers.front()).second;
  ::lq::SmoothProblem p;
  std::vector<float> stacked;
  for (linalg::MatmulOp op : consumers) {
    auto [rows, k] = weightShape(op);
    if (k != cols)
      return op.emitError() << kPass << ": the linears at the " << point.name << " of layer "
                            << layer << " read different widths";
    FailureOr<std::vector<float>> w = readWeight(op, kPass);
    if (failed(w))
      return failure();
    stacked.insert(stacked.end(), w->begin(), w->end());
    p.rows += rows;
  }
  // The consumers read one activation: any of them carries its statistics.
  linalg::MatmulOp first = consumers.front();
  StringRef role = roleOf(first);
  FailureOr<std::vector<float>> act =
      findStatistic(module, role, "lq.act_absmax", cols, first, kPass);
  if (failed(act))
    return failure();
  FailureOr<std::vector<float>> hessian =
      findStatistic(module, role, "lq.hessian", cols * cols, first, kPass);
  if (failed(hessian))
    return failure();
  FailureOr<double> tokens = findTokens(module, role, first, kPass);
  if (failed(tokens))
    return failure();
  p.weight = stacked.data();
  p.cols = cols;
  p.hessian = hessian->data();
  p.actAbsMax.assign(act->begin(), act->end());
  p.tokens = *tokens;
  p.weightBits = weightBits;
  p.weightGroup = weightGroup;
  p.actBits = actBits;
  if (point.name == "o input") {
    // o reads [query head, d]; x / s lands on v's [kv head, d] rows.
    if (cols != shape.heads * shape.headDim)
      return first.emitError() << kPass << ": o of layer " << layer << " reads " << cols
                               << " channels, lq.model has " << shape.heads << " heads of "
                               << shape.headDim;
    p.tie.resize(cols);
    for (int64_t c = 0; c < cols; ++c)
      p.tie[c] = (c / shape.headDim / shape.group()) * shape.headDim + c % shape.headDim;
  }
  std::vector<double> grid(alphaGrid.begin(), alphaGrid.end());
  if (grid.empty())
    for (int i = 0; i <= 20; ++i)
      grid.push_back(0.05 * i);
  ::lq::SmoothResult r = ::lq::searchSmoothing(p, grid, maxCondition);
  if (report)
    first.emitRemark() << llvm::formatv(
        "{0}: layer {1} {2}: {3}, estimated output error {4:e3} (none: {5:e3})", kPass, layer,
        point.name,
        r.alpha < 0 ? std::string("no smoothing") : llvm::formatv("alpha {0:f2}", r.alpha).str(),
        r.loss, r.identityLoss);
  return r.scales;
}

void SmoothPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (weightBits < 2 || weightBits > 8 || actBits < 2 || actBits > 16) {
    module.emitError() << kPass << ": weight-bits must be in [2, 8] and act-bits in [2, 16]";
    return signalPassFailure();
  }
  for (double a : alphaGrid)
    if (!(a >= 0 && a <= 1)) {
      module.emitError() << kPass << ": alpha-grid values must lie in [0, 1], got " << a;
      return signalPassFailure();
    }
  FailureOr<ModelShape> shape = readModelShape(module, kPass);
  if (failed(shape))
    return signalPassFailure();
  SmallVector<Point> points;
  SmallVector<StringRef> required;
  if (attnInput) {
    points.push_back({"attention input", {"attn.q", "attn.k", "attn.v"}});
    required.append({"attn.q", "attn.k", "attn.v"});
  }
  if (oInput) {
    points.push_back({"o input", {"attn.o"}});
    required.append({"attn.v", "attn.o"});
  }
  if (mlpInput) {
    points.push_back({"MLP input", {"mlp.gate", "mlp.up"}});
    required.append({"mlp.gate", "mlp.up"});
  }
  if (downInput) {
    points.push_back({"down input", {"mlp.down"}});
    required.append({"mlp.up", "mlp.down"});
  }
  FailureOr<std::vector<FunctionLinears>> functions = collectLinears(module, kPass, required);
  if (failed(functions))
    return signalPassFailure();

  // Where x / s goes, checked everywhere before anything changes.
  auto producerOf = [&](const Point &point, LayerLinears l,
                        int64_t layer) -> FailureOr<Producer> {
    if (point.name == "o input")
      return Producer{l.v.getResult(0), l.v};
    if (point.name == "down input")
      return Producer{l.up.getResult(0), l.up};
    Value x;
    for (StringRef kind : point.consumers) {
      linalg::MatmulOp op = l.byKind(kind);
      // x / s and * s bracket whatever lies between: only diagonal scales
      // commute with them.
      Value v = op.getDpsInputOperand(0)->get();
      while (auto fpt = v.getDefiningOp<FunctionPreservingTransformOpInterface>()) {
        if (!llvm::isa<FPTScaleOp>(fpt.getOperation()))
          return fpt.emitError() << kPass << ": a non-diagonal transform is still in place before '"
                                 << roleOf(op) << "' (run lq-merge-fpt before lq-smooth)";
        v = fpt.getInput();
      }
      Value in = skipTransformsBack(op.getDpsInputOperand(0)->get());
      if (x && in != x)
        return op.emitError() << kPass << ": the linears at the " << point.name << " of layer "
                              << layer << " do not read the same activation";
      x = in;
    }
    // x / s reaches every reader of x: they must all be the consumers.
    for (Operation *user : x.getUsers())
      if (!llvm::isa<FunctionPreservingTransformOpInterface>(user) &&
          !llvm::is_contained(point.consumers, linearKind(user)))
        return user->emitError() << kPass << ": the " << point.name << " of layer " << layer
                                 << " is also read here, which x / s would change";
    auto norm = x.getDefiningOp<linalg::GenericOp>();
    if (!norm || !normWeightOperand(norm))
      return l.byKind(point.consumers.front()).emitError()
             << kPass << ": the " << point.name << " of layer " << layer
             << " is not produced by an RMSNorm whose weight could absorb x / s";
    return Producer{x, nullptr};
  };
  for (FunctionLinears &fl : *functions)
    for (auto [index, l] : fl.layers)
      for (const Point &point : points)
        if (failed(producerOf(point, l, index)))
          return signalPassFailure();

  std::map<std::pair<int64_t, std::string>, DenseElementsAttr> fits;
  OpBuilder b(&getContext());
  for (FunctionLinears &fl : *functions)
    for (auto [index, l] : fl.layers)
      for (const Point &point : points) {
        SmallVector<linalg::MatmulOp> consumers;
        for (StringRef kind : point.consumers)
          consumers.push_back(l.byKind(kind));
        auto key = std::make_pair(index, point.name.str());
        if (!fits.count(key)) {
          FailureOr<std::vector<double>> s = fit(module, *shape, index, point, consumers);
          if (failed(s))
            return signalPassFailure();
          fits[key] = f32Attr(&getContext(), {(int64_t)s->size()}, *s);
        }
        DenseElementsAttr s = fits[key];
        if (llvm::all_of(s.getValues<float>(), [](float v) { return v == 1.0f; }))
          continue; // "no smoothing" won: nothing to place.
        DenseElementsAttr sProducer = s;
        if (point.name == "o input") {
          // One scale per value channel: the first query head of each group.
          std::vector<double> kv;
          auto values = llvm::to_vector(s.getValues<float>());
          for (int64_t h = 0; h < shape->kvHeads; ++h)
            for (int64_t d = 0; d < shape->headDim; ++d)
              kv.push_back(values[(h * shape->group()) * shape->headDim + d]);
          sProducer = f32Attr(&getContext(), {(int64_t)kv.size()}, kv);
        }
        FailureOr<Producer> producer = producerOf(point, l, index);
        insertAfter(b, producer->value, [&](OpBuilder &ob, Value x) -> Value {
          return FPTScaleOp::create(ob, x.getLoc(), x.getType(), x, sProducer, /*inverse=*/true);
        });
        for (linalg::MatmulOp op : consumers)
          insertBeforeInput(b, op, [&](OpBuilder &ob, Value x) -> Value {
            return FPTScaleOp::create(ob, x.getLoc(), x.getType(), x, s, /*inverse=*/false);
          });
      }
}

} // namespace
