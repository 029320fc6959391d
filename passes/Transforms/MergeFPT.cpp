//===- MergeFPT.cpp - lq-merge-fpt: fold transforms into weights -------------===//
//
// Folds each mergeable lq.fpt op into the linear (rows or columns) or the
// RMSNorm weight next to it, and carries the calibration statistics along so
// later passes (GPTQ's Hessian, KV ranges) see the merged model.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/Utils/ElementsData.h"
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

#include "lq/Fitting/FPT.h"
#include "lq/Numerics/ActRange.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSwitch.h"

#include <map>
#include <tuple>

namespace mlir::lq {
#define GEN_PASS_DEF_LQMERGEFPT
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-merge-fpt";

/// A transform y = x M on C channels whose matrix is block diagonal with
/// blocks of `block` channels (1 for scales, the head for per-head ones).
struct Transform {
  int64_t channels = 0, block = 1;
  std::vector<double> m; ///< full C x C, row-major (only diagonal blocks are non-zero)
  double at(int64_t i, int64_t j) const { return m[i * channels + j]; }
  int64_t blockStart(int64_t i) const { return i / block * block; }
  bool isDiagonal() const { return block == 1; }

  /// The inverse, block by block.
  Transform inverse() const {
    Transform t = *this;
    for (int64_t b0 = 0; b0 < channels; b0 += block) {
      std::vector<double> sub(block * block);
      for (int64_t i = 0; i < block; ++i)
        for (int64_t j = 0; j < block; ++j)
          sub[i * block + j] = at(b0 + i, b0 + j);
      std::vector<double> inv = ::lq::invertMatrix(sub, block);
      for (int64_t i = 0; i < block; ++i)
        for (int64_t j = 0; j < block; ++j)
          t.m[(b0 + i) * channels + b0 + j] = inv.empty() ? NAN : inv[i * block + j];
    }
    return t;
  }
  /// A byte string identifying M, to share merged weights between functions.
  std::string key() const {
    return std::string(reinterpret_cast<const char *>(m.data()), m.size() * sizeof(double));
  }
};

FailureOr<Transform> transformOf(FunctionPreservingTransformOpInterface op) {
  FailureOr<std::vector<double>> m = getTransformMatrix(op);
  if (failed(m))
    return failure();
  Transform t;
  auto type = llvm::cast<RankedTensorType>(op.getInput().getType());
  t.channels = type.getDimSize(type.getRank() - 1);
  t.m = std::move(*m);
  Operation *raw = op.getOperation();
  if (llvm::isa<FPTScaleOp>(raw))
    t.block = 1;
  else if (auto linear = llvm::dyn_cast<FPTLinearOp>(raw))
    t.block = llvm::cast<ShapedType>(linear.getMatrix().getType()).getDimSize(1);
  else if (auto rope = llvm::dyn_cast<FPTRopeScaleOp>(raw))
    t.block = 2 * llvm::cast<ShapedType>(rope.getScales().getType()).getDimSize(1);
  else if (auto rotate = llvm::dyn_cast<FPTRotateOp>(raw); rotate && !rotate.getMatrix())
    t.block = rotate.getBlock().value_or(t.channels);
  else
    t.block = t.channels;
  return t;
}

bool hasZeroInit(linalg::MatmulOp op) {
  return matchPattern(op.getDpsInitOperand(0)->get(),
                      m_Op<linalg::FillOp>(m_AnyZeroFloat(), matchers::m_Any()));
}

struct MergeFPTPass : public mlir::lq::impl::LQMergeFPTBase<MergeFPTPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  /// Merged attributes by (original attribute, side, transform): both
  /// functions of a model read the same weights and get the same transforms.
  std::map<std::tuple<const void *, int, std::string>, ElementsAttr> memo;

  ElementsAttr remember(Attribute original, int side, const Transform &t,
                        function_ref<ElementsAttr()> compute) {
    auto key = std::make_tuple(original.getAsOpaquePointer(), side, t.key());
    auto it = memo.find(key);
    if (it != memo.end())
      return it->second;
    ElementsAttr result = compute();
    memo[key] = result;
    return result;
  }

  LogicalResult mergeForward(FunctionPreservingTransformOpInterface op, linalg::MatmulOp mm,
                             const Transform &t);
  LogicalResult mergeBackward(FunctionPreservingTransformOpInterface op, linalg::MatmulOp mm,
                              const Transform &t);
  LogicalResult mergeIntoNorm(FunctionPreservingTransformOpInterface op, OpOperand *weight,
                              const Transform &t);
  LogicalResult mergeIntoEmbedding(FunctionPreservingTransformOpInterface op,
                                   tensor::ExtractOp lookup, const Transform &t);
  /// Rewrites statistic `name` of `mm` (when present) with `update`.
  LogicalResult updateStatistic(linalg::MatmulOp mm, StringRef name, const Transform &t,
                                function_ref<std::vector<float>(const std::vector<float> &)> update);
};

LogicalResult MergeFPTPass::updateStatistic(
    linalg::MatmulOp mm, StringRef name, const Transform &t,
    function_ref<std::vector<float>(const std::vector<float> &)> update) {
  auto attr = mm->getAttrOfType<ElementsAttr>(name);
  if (!attr)
    return success();
  FailureOr<std::vector<float>> values = readFloats(attr);
  if (failed(values))
    return mm.emitError() << kPass << ": statistic '" << name << "' is not readable";
  // Each statistic its own memo side: two may share one attribute.
  int side = llvm::StringSwitch<int>(name)
                 .Case("lq.act_absmax", 3)
                 .Case("lq.hessian", 4)
                 .Case("lq.out_min", 5)
                 .Case("lq.out_max", 6)
                 .Case("lq.act_hist", 8)
                 .Default(7);
  ElementsAttr updated = remember(attr, side, t, [&] {
    std::vector<float> out = update(*values);
    auto type = RankedTensorType::get(llvm::cast<ShapedType>(attr.getType()).getShape(),
                                      Float32Type::get(&getContext()));
    return makeElementsLike(attr, type, out, (roleOf(mm) + "." + name.drop_front(3)).str());
  });
  mm->setAttr(name, updated);
  return success();
}

LogicalResult MergeFPTPass::mergeForward(FunctionPreservingTransformOpInterface op,
                                         linalg::MatmulOp mm, const Transform &t) {
  FailureOr<std::vector<float>> w = readWeight(mm, kPass);
  if (failed(w))
    return failure();
  int64_t n, k;
  std::tie(n, k) = weightShape(mm);
  if (k != t.channels)
    return op.emitError() << kPass << ": transform has " << t.channels
                          << " channels but the linear reads " << k;
  ElementsAttr weight = remember(weightAttr(mm), /*side=*/0, t, [&] {
    // (x M) W^T = x (W M^T)^T: W'[r, c] = sum_j W[r, j] M[c, j].
    std::vector<float> out(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c) {
        double acc = 0;
        for (int64_t j = t.blockStart(c); j < t.blockStart(c) + t.block; ++j)
          acc += (double)(*w)[r * k + j] * t.at(c, j);
        out[r * k + c] = (float)acc;
      }
    return weightAttrFor(mm, out, ".fpt");
  });
  // The linear now reads x instead of x M: statistics of x = x_old M^-1.
  Transform inv = t.inverse();
  if (failed(updateStatistic(mm, "lq.act_absmax", t, [&](const std::vector<float> &a) {
        std::vector<float> out(k);
        for (int64_t c = 0; c < k; ++c) {
          double bound = 0;
          for (int64_t i = inv.blockStart(c); i < inv.blockStart(c) + inv.block; ++i)
            bound += a[i] * std::abs(inv.at(i, c));
          out[c] = (float)bound;
        }
        return out;
      })) ||
      failed(updateStatistic(mm, "lq.hessian", t, [&](const std::vector<float> &h) {
        // H' = M^-T H M^-1, through T = H M^-1.
        std::vector<double> tmp(k * k, 0.0);
        for (int64_t i = 0; i < k; ++i)
          for (int64_t q = 0; q < k; ++q) {
            double acc = 0;
            for (int64_t j = inv.blockStart(q); j < inv.blockStart(q) + inv.block; ++j)
              acc += (double)h[i * k + j] * inv.at(j, q);
            tmp[i * k + q] = acc;
          }
        std::vector<float> out(k * k);
        for (int64_t p = 0; p < k; ++p)
          for (int64_t q = 0; q < k; ++q) {
            double acc = 0;
            for (int64_t i = inv.blockStart(p); i < inv.blockStart(p) + inv.block; ++i)
              acc += inv.at(i, p) * tmp[i * k + q];
            out[p * k + q] = (float)acc;
          }
        return out;
      })))
    return failure();
  // A per-channel scale only moves each channel's |x| histogram; any other
  // transform mixes channels, and the histograms must be recorded again.
  auto hist = mm->getAttrOfType<ElementsAttr>("lq.act_hist");
  if (hist && hist.getNumElements() != k * ::lq::ActHistogram::kBins)
    return mm.emitError() << kPass << ": statistic 'lq.act_hist' must hold " << k << " x "
                          << ::lq::ActHistogram::kBins << " values";
  if (!t.isDiagonal()) {
    mm->removeAttr("lq.act_hist");
  } else if (failed(updateStatistic(mm, "lq.act_hist", t, [&](const std::vector<float> &h) {
               std::vector<double> factor(k);
               for (int64_t c = 0; c < k; ++c)
                 factor[c] = inv.at(c, c);
               return ::lq::scaleHistograms(h, factor);
             }))) {
    return failure();
  }
  setWeight(mm, weight);
  mm.getDpsInputOperand(0)->set(op.getInput());
  op->erase();
  return success();
}

LogicalResult MergeFPTPass::mergeBackward(FunctionPreservingTransformOpInterface op,
                                          linalg::MatmulOp mm, const Transform &t) {
  FailureOr<std::vector<float>> w = readWeight(mm, kPass);
  if (failed(w))
    return failure();
  int64_t n, k;
  std::tie(n, k) = weightShape(mm);
  if (n != t.channels)
    return op.emitError() << kPass << ": transform has " << t.channels
                          << " channels but the linear writes " << n;
  ElementsAttr weight = remember(weightAttr(mm), /*side=*/1, t, [&] {
    // (x W^T) M = x (M^T W)^T: W'[r, c] = sum_j M[j, r] W[j, c].
    std::vector<float> out(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c) {
        double acc = 0;
        for (int64_t j = t.blockStart(r); j < t.blockStart(r) + t.block; ++j)
          acc += t.at(j, r) * (double)(*w)[j * k + c];
        out[r * k + c] = (float)acc;
      }
    return weightAttrFor(mm, out, ".fpt");
  });
  // Output ranges of y M by interval arithmetic over each block.
  auto interval = [&](const std::vector<float> *lo, const std::vector<float> *hi, bool wantHi) {
    std::vector<float> out(n);
    for (int64_t c = 0; c < n; ++c) {
      double acc = 0;
      for (int64_t i = t.blockStart(c); i < t.blockStart(c) + t.block; ++i) {
        double a = (*lo)[i] * t.at(i, c), b = (*hi)[i] * t.at(i, c);
        acc += wantHi ? std::max(a, b) : std::min(a, b);
      }
      out[c] = (float)acc;
    }
    return out;
  };
  auto readStat = [&](StringRef name) -> std::optional<std::vector<float>> {
    auto attr = mm->getAttrOfType<ElementsAttr>(name);
    if (!attr)
      return std::nullopt;
    FailureOr<std::vector<float>> v = readFloats(attr);
    if (failed(v) || (int64_t)v->size() != n)
      return std::nullopt;
    return *v;
  };
  std::optional<std::vector<float>> lo = readStat("lq.out_min"), hi = readStat("lq.out_max");
  if (lo && hi) {
    std::vector<float> oldLo = *lo, oldHi = *hi;
    if (failed(updateStatistic(mm, "lq.out_min", t, [&](const std::vector<float> &) {
          return interval(&oldLo, &oldHi, false);
        })) ||
        failed(updateStatistic(mm, "lq.out_max", t, [&](const std::vector<float> &) {
          return interval(&oldLo, &oldHi, true);
        })))
      return failure();
  } else {
    mm->removeAttr("lq.out_min"); // one bound alone cannot be carried through M
    mm->removeAttr("lq.out_max");
  }
  if (failed(updateStatistic(mm, "lq.out_absmax", t, [&](const std::vector<float> &a) {
        std::vector<float> neg(a.size());
        for (size_t i = 0; i < a.size(); ++i)
          neg[i] = -a[i];
        return interval(&neg, &a, true);
      })))
    return failure();
  setWeight(mm, weight);
  op->getResult(0).replaceAllUsesWith(op.getInput());
  op->erase();
  return success();
}

LogicalResult MergeFPTPass::mergeIntoNorm(FunctionPreservingTransformOpInterface op,
                                          OpOperand *weight, const Transform &t) {
  auto constant = weight->get().getDefiningOp<arith::ConstantOp>();
  auto attr = llvm::dyn_cast<ElementsAttr>(constant.getValue());
  FailureOr<std::vector<float>> g = attr ? readFloats(attr) : FailureOr<std::vector<float>>();
  if (failed(g) || (int64_t)g->size() != t.channels)
    return op.emitError() << kPass << ": the norm weight is not a readable f32 vector of "
                          << t.channels << " channels";
  ElementsAttr merged = remember(attr, /*side=*/2, t, [&] {
    std::vector<float> out(t.channels);
    for (int64_t c = 0; c < t.channels; ++c)
      out[c] = (float)((*g)[c] * t.at(c, c));
    std::string name = "norm.fpt";
    if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr))
      name = (resource.getRawHandle().getKey() + ".fpt").str();
    return makeElementsLike(attr, llvm::cast<ShapedType>(attr.getType()), out, name);
  });
  OpBuilder b(weight->getOwner());
  weight->set(arith::ConstantOp::create(b, constant.getLoc(), llvm::cast<TypedAttr>(merged)));
  if (constant->use_empty())
    constant->erase();
  op->getResult(0).replaceAllUsesWith(op.getInput());
  op->erase();
  return success();
}

LogicalResult MergeFPTPass::mergeIntoEmbedding(FunctionPreservingTransformOpInterface op,
                                               tensor::ExtractOp lookup, const Transform &t) {
  auto constant = lookup.getTensor().getDefiningOp<arith::ConstantOp>();
  auto attr = llvm::dyn_cast<ElementsAttr>(constant.getValue());
  auto type = attr ? llvm::dyn_cast<ShapedType>(attr.getType()) : ShapedType();
  FailureOr<std::vector<float>> table =
      attr ? readFloats(attr) : FailureOr<std::vector<float>>();
  if (failed(table) || !type.getElementType().isF32() || type.getDimSize(1) != t.channels)
    return op.emitError() << kPass << ": the embedding table is not a readable f32 [vocab, "
                          << t.channels << "] constant";
  int64_t rows = type.getDimSize(0), d = t.channels;
  ElementsAttr merged = remember(attr, /*side=*/8, t, [&] {
    // Every looked-up row is x M: E'[v, c] = sum_j E[v, j] M[j, c].
    std::vector<float> out(rows * d);
    for (int64_t v = 0; v < rows; ++v)
      for (int64_t c = 0; c < d; ++c) {
        double acc = 0;
        for (int64_t j = t.blockStart(c); j < t.blockStart(c) + t.block; ++j)
          acc += (double)(*table)[v * d + j] * t.at(j, c);
        out[v * d + c] = (float)acc;
      }
    std::string name = "embedding.fpt";
    if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr))
      name = (resource.getRawHandle().getKey() + ".fpt").str();
    return makeElementsLike(attr, type, out, name);
  });
  auto g = lookup->getParentOfType<linalg::GenericOp>();
  OpBuilder b(g);
  lookup.getTensorMutable().set(
      arith::ConstantOp::create(b, constant.getLoc(), llvm::cast<TypedAttr>(merged)));
  if (constant->use_empty())
    constant->erase();
  op->getResult(0).replaceAllUsesWith(op.getInput());
  op->erase();
  return success();
}

void MergeFPTPass::runOnOperation() {
  ModuleOp module = getOperation();
  bool progress = true, failedAny = false;
  while (progress && !failedAny) {
    progress = false;
    SmallVector<FunctionPreservingTransformOpInterface> ops;
    module.walk([&](FunctionPreservingTransformOpInterface op) {
      if (op.isMergeable())
        ops.push_back(op);
    });
    for (FunctionPreservingTransformOpInterface op : ops) {
      FailureOr<Transform> t = transformOf(op);
      if (failed(t)) {
        op.emitError() << kPass << ": the transform's parameters are not readable";
        failedAny = true;
        break;
      }
      Value result = op->getResult(0);
      LogicalResult merged = failure();
      bool tried = false;
      // Forward into the linear that alone reads the result.
      if (result.hasOneUse()) {
        OpOperand &use = *result.getUses().begin();
        auto mm = llvm::dyn_cast<linalg::MatmulOp>(use.getOwner());
        if (mm && use.getOperandNumber() == 0 && weightAttr(mm)) {
          tried = true;
          merged = mergeForward(op, mm, *t);
        }
      }
      // Backward into the linear or norm whose result only it reads (a
      // forward merge above has erased `op`).
      Value input = tried ? Value() : op.getInput();
      if (!tried && input.hasOneUse()) {
        if (auto mm = input.getDefiningOp<linalg::MatmulOp>();
            mm && weightAttr(mm) && hasZeroInit(mm)) {
          tried = true;
          merged = mergeBackward(op, mm, *t);
        } else if (auto g = input.getDefiningOp<linalg::GenericOp>()) {
          OpOperand *w = t->isDiagonal() ? normWeightOperand(g) : nullptr;
          if (w) {
            tried = true;
            merged = mergeIntoNorm(op, w, *t);
          } else if (tensor::ExtractOp lookup = embeddingLookup(g)) {
            tried = true;
            merged = mergeIntoEmbedding(op, lookup, *t);
          }
        }
      }
      if (!tried)
        continue;
      if (failed(merged)) {
        failedAny = true;
        break;
      }
      progress = true;
    }
  }
  if (failedAny)
    return signalPassFailure();
  // What is left could not be placed next to a weight.
  module.walk([&](FunctionPreservingTransformOpInterface op) {
    if (!op.isMergeable())
      return;
    op.emitError() << kPass
                   << ": cannot merge this transform: its input is not produced by a linear "
                      "layer (or, for a diagonal transform, an RMSNorm) that nothing else "
                      "reads, and its result does not feed a linear layer alone";
    failedAny = true;
  });
  if (failedAny)
    signalPassFailure();
}

} // namespace
