//===- ImportLinalg.cpp - lq-import-linalg ----------------------------------===//
//
// Brings linalg-on-tensors model IR that another frontend exported
// (torch-mlir, HEIR, a user's own pipeline) into the form the lq passes read
// (docs/ModelIR.md): every contraction of an activation with a constant
// weight becomes a role-tagged transposed-B linalg.matmul of a [tokens, in]
// input and an [out, in] constant, with the reshapes and transposes around
// it that keep the function what it was. The weight is evaluated on the host
// through the transposes, broadcasts, reshapes and fills the frontend put
// between the constant and the contraction.
//
//===----------------------------------------------------------------------===//
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>

namespace mlir::lq {
#define GEN_PASS_DEF_LQIMPORTLINALG
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

/// Constants larger than this (elements) are not evaluated on the host.
static constexpr int64_t kMaxElements = int64_t(1) << 28;

namespace {

/// A constant tensor evaluated on the host, row-major.
struct HostConstant {
  SmallVector<int64_t> shape;
  std::vector<float> values;
  /// The arith.constant attribute the values come from (null for fills).
  ElementsAttr root;
};

/// What the evaluation of a value found: an activation (not built from
/// constants alone), a constant, or a constant built by an op the pass cannot
/// evaluate (`why` names it).
struct Evaluated {
  enum Kind { Activation, Constant, Unsupported } kind = Activation;
  HostConstant constant;
  std::string why;
};

} // namespace

static SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int i = (int)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Reads `src` (row-major `srcShape`), indexed by `map` (a projected
/// permutation of loop dimensions), at every point of the loops `order`
/// (outermost first; extents in `ranges`, by loop dimension); loops of the
/// map not in `order` sit at `fixed[d]`. Values come out in iteration order.
///
///   src [2, 3], map (d0, d1) -> (d1, d0), order [d1, d0]: the transpose.
static std::vector<float> gather(ArrayRef<float> src, ArrayRef<int64_t> srcShape, AffineMap map,
                                 ArrayRef<unsigned> order, ArrayRef<int64_t> ranges,
                                 ArrayRef<int64_t> fixed) {
  SmallVector<int64_t> srcStrides = rowMajorStrides(srcShape);
  SmallVector<int64_t> loopStride(map.getNumDims(), 0);
  for (auto [j, expr] : llvm::enumerate(map.getResults()))
    loopStride[cast<AffineDimExpr>(expr).getPosition()] += srcStrides[j];
  int64_t base = 0;
  for (unsigned d = 0; d < map.getNumDims(); ++d)
    if (!llvm::is_contained(order, d))
      base += fixed[d] * loopStride[d];
  int64_t total = 1;
  for (unsigned d : order)
    total *= ranges[d];
  std::vector<float> out(total);
  SmallVector<int64_t> index(order.size(), 0);
  int64_t offset = base;
  for (int64_t i = 0; i < total; ++i) {
    out[i] = src[offset];
    for (int p = (int)order.size() - 1; p >= 0; --p) {
      unsigned d = order[p];
      offset += loopStride[d];
      if (++index[p] < ranges[d])
        break;
      offset -= loopStride[d] * ranges[d];
      index[p] = 0;
    }
  }
  return out;
}

/// Whether `op`'s body only yields its first block argument (a copy with
/// the op's indexing maps: linalg.transpose, linalg.broadcast, or a
/// linalg.generic transpose or broadcast).
static bool yieldsInput(linalg::LinalgOp op) {
  if (op->getNumRegions() != 1 || op->getRegion(0).empty())
    return false;
  Block &body = op->getRegion(0).front();
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  return yield && &body.front() == yield.getOperation() && yield.getNumOperands() == 1 &&
         yield.getOperand(0) == body.getArgument(0);
}

/// Whether `v` is computed from constants alone (no block argument and no
/// op with side effects above it), with at least one arith.constant among
/// them (a tensor.empty alone holds no data).
static bool isConstantData(Value v, llvm::DenseMap<Value, bool> &memo) {
  if (auto it = memo.find(v); it != memo.end())
    return it->second;
  memo[v] = false; // cycles (none in SSA graphs of tensors) stay false
  Operation *op = v.getDefiningOp();
  bool result = false;
  if (!op) {
    result = false;
  } else if (isa<arith::ConstantOp>(op)) {
    result = true;
  } else if (isa<tensor::EmptyOp>(op)) {
    result = false;
  } else if (isMemoryEffectFree(op) || isa<linalg::LinalgOp>(op)) {
    bool anyData = false, allConstant = true;
    llvm::SetVector<Value> above;
    for (Region &region : op->getRegions())
      getUsedValuesDefinedAbove(region, above);
    SmallVector<Value> operands(op->getOperands());
    operands.append(above.begin(), above.end());
    for (Value operand : operands) {
      if (operand.getDefiningOp<tensor::EmptyOp>())
        continue;
      if (!isConstantData(operand, memo)) {
        allConstant = false;
        break;
      }
      anyData = true;
    }
    result = allConstant && anyData;
  }
  memo[v] = result;
  return result;
}

/// Evaluates the constant `v` on the host through the ops frontends put
/// between a weight and its use.
static Evaluated evaluate(Value v, llvm::DenseMap<Value, bool> &memo) {
  Evaluated e;
  if (!isConstantData(v, memo))
    return e;
  e.kind = Evaluated::Unsupported;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  Operation *op = v.getDefiningOp();
  auto unsupported = [&](const Twine &why) {
    e.why = why.str();
    return e;
  };
  if (!type || !type.hasStaticShape())
    return unsupported("the weight is not a statically shaped tensor");
  if (type.getNumElements() > kMaxElements)
    return unsupported("the weight has more than 2^28 elements");
  if (!type.getElementType().isF32()) {
    std::string elementType;
    llvm::raw_string_ostream os(elementType);
    os << type.getElementType();
    return unsupported("the weight's elements are " + elementType + ", not f32");
  }
  auto done = [&](HostConstant c) {
    e.kind = Evaluated::Constant;
    e.constant = std::move(c);
    return e;
  };
  HostConstant c;
  c.shape.assign(type.getShape().begin(), type.getShape().end());

  if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
    auto attr = dyn_cast<ElementsAttr>(cst.getValue());
    FailureOr<std::vector<float>> values = failure();
    if (attr)
      values = readFloats(attr);
    if (failed(values))
      return unsupported("its constant's data cannot be read");
    c.values = std::move(*values);
    c.root = attr;
    return done(std::move(c));
  }
  if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    FloatAttr scalar;
    if (!matchPattern(fill.getDpsInputOperand(0)->get(), m_Constant(&scalar)))
      return unsupported("'linalg.fill' of a value that is not a float constant");
    c.values.assign(type.getNumElements(), (float)scalar.getValueAsDouble());
    return done(std::move(c));
  }
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp, tensor::ReshapeOp>(op)) {
    Evaluated src = evaluate(op->getOperand(0), memo);
    if (src.kind != Evaluated::Constant)
      return src;
    c.values = std::move(src.constant.values);
    c.root = src.constant.root;
    return done(std::move(c));
  }
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (linalgOp.getNumDpsInputs() != 1 || linalgOp.getNumDpsInits() != 1 ||
        linalgOp.getNumLoops() != linalgOp.getNumParallelLoops() || !yieldsInput(linalgOp) ||
        !linalgOp.hasPureTensorSemantics())
      return unsupported(llvm::formatv("'{0}' computes the weight (only transposes, broadcasts, "
                                       "reshapes and fills are evaluated)",
                                       op->getName().getStringRef()));
    AffineMap inMap = linalgOp.getMatchingIndexingMap(linalgOp.getDpsInputOperand(0));
    AffineMap outMap = linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0));
    if (!inMap.isProjectedPermutation() || !outMap.isPermutation())
      return unsupported(llvm::formatv("'{0}' reads the weight through a map that is not a "
                                       "projected permutation",
                                       op->getName().getStringRef()));
    Evaluated src = evaluate(linalgOp.getDpsInputOperand(0)->get(), memo);
    if (src.kind != Evaluated::Constant)
      return src;
    SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
    SmallVector<unsigned> order;
    for (AffineExpr expr : outMap.getResults())
      order.push_back(cast<AffineDimExpr>(expr).getPosition());
    c.values = gather(src.constant.values, src.constant.shape, inMap, order, ranges,
                      SmallVector<int64_t>(ranges.size(), 0));
    c.root = src.constant.root;
    return done(std::move(c));
  }
  return unsupported(llvm::formatv("'{0}' computes the weight (only transposes, broadcasts, "
                                   "reshapes and fills are evaluated)",
                                   op->getName().getStringRef()));
}

namespace {

/// One contraction's dimensions, named from the weight's point of view:
/// y[tokens, out] = sum over in of x[tokens, in] * W[out, in], with the
/// batch dimensions (in all three operands) folded into the tokens when the
/// weight does not vary along them.
struct LinearDims {
  SmallVector<unsigned> tokens; ///< dims of x and y, in y's order (batch included)
  SmallVector<unsigned> in;     ///< reduction dims, in x's order
  SmallVector<unsigned> out;    ///< dims of W and y, in y's order
  SmallVector<unsigned> batch;  ///< dims of all three (also in `tokens`)
};

struct ImportLinalgPass : public mlir::lq::impl::LQImportLinalgBase<ImportLinalgPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  /// Rewrites `op` when it is a contraction of an activation with a
  /// constant weight; remarks on why when it has a constant operand but is
  /// left as it is. Returns failure only for IR it cannot build.
  LogicalResult importContraction(linalg::LinalgOp op);
  /// The constant of the `[N, K]` weight, its data shared with every other
  /// use of the same values.
  Value weightConstant(OpBuilder &b, Location loc, const HostConstant &source, int64_t rows,
                       int64_t cols, std::vector<float> values);
  /// The role of a linear reading `source`: the blob's name when it has one.
  StringAttr roleFor(const HostConstant &source, Builder &b);

  llvm::DenseMap<Value, bool> memo;
  /// [N, K] weights already made, by (root attribute, content hash).
  llvm::DenseMap<std::pair<Attribute, llvm::hash_code>, ElementsAttr> weights;
  llvm::DenseMap<Attribute, StringAttr> roles;
  llvm::StringSet<> usedRoles;
  int64_t nextLinear = 0;
};

} // namespace

/// Whether `v` is zero: a fill of 0.0 or a zero splat constant.
static bool isZero(Value v) {
  if (matchPattern(v, m_AnyZeroFloat()))
    return true;
  return matchPattern(v, m_Op<linalg::FillOp>(m_AnyZeroFloat(), matchers::m_Any()));
}

/// Whether `op` is already the linear form of docs/ModelIR.md: a 2-D
/// transposed-B linalg.matmul of a constant [N, K] weight into a zero fill.
static bool isModelLinear(linalg::LinalgOp op) {
  auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation());
  if (!mm || !isa<linalg::MatmulTransposeBOp>(op.getOperation()) || !op.hasPureTensorSemantics())
    return false;
  auto x = dyn_cast<RankedTensorType>(mm.getDpsInputOperand(0)->get().getType());
  return x && x.getRank() == 2 &&
         mm.getDpsInputOperand(1)->get().getDefiningOp<arith::ConstantOp>() &&
         isZero(mm.getDpsInitOperand(0)->get());
}

StringAttr ImportLinalgPass::roleFor(const HostConstant &source, Builder &b) {
  if (source.root)
    if (auto it = roles.find(source.root); it != roles.end())
      return it->second;
  std::string name;
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(source.root))
    name = resource.getRawHandle().getKey().str();
  else
    name = llvm::formatv("linear{0}", nextLinear++).str();
  std::string unique = name;
  for (int i = 1; !usedRoles.insert(unique).second; ++i)
    unique = llvm::formatv("{0}.{1}", name, i).str();
  StringAttr role = b.getStringAttr(unique);
  if (source.root)
    roles[source.root] = role;
  return role;
}

Value ImportLinalgPass::weightConstant(OpBuilder &b, Location loc, const HostConstant &source,
                                       int64_t rows, int64_t cols, std::vector<float> values) {
  auto type = RankedTensorType::get({rows, cols}, b.getF32Type());
  // The frontend's own [N, K] constant, when the weight is exactly its data.
  if (source.root && llvm::cast<ShapedType>(source.root.getType()) == type) {
    FailureOr<std::vector<float>> rootValues = readFloats(source.root);
    if (succeeded(rootValues) &&
        std::memcmp(rootValues->data(), values.data(), values.size() * sizeof(float)) == 0)
      return arith::ConstantOp::create(b, loc, type, cast<TypedAttr>(source.root));
  }
  llvm::hash_code hash = llvm::hash_combine(
      rows, cols,
      llvm::hash_combine_range(reinterpret_cast<const char *>(values.data()),
                               reinterpret_cast<const char *>(values.data() + values.size())));
  ElementsAttr &attr = weights[{source.root, hash}];
  if (!attr) {
    std::string name = "weight";
    if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(source.root))
      name = resource.getRawHandle().getKey().str();
    attr = makeResource(type, name + ".out_in", ArrayRef<float>(values));
  }
  return arith::ConstantOp::create(b, loc, type, cast<TypedAttr>(attr));
}

/// The dimensions of contraction `op` with `weight` its constant operand
/// and `x` its activation; failure (with `why`) for forms the pass does not
/// rewrite.
static FailureOr<LinearDims> classify(linalg::LinalgOp op, OpOperand *x, OpOperand *weight,
                                      std::string &why) {
  OpOperand *y = op.getDpsInitOperand(0);
  AffineMap xMap = op.getMatchingIndexingMap(x), wMap = op.getMatchingIndexingMap(weight),
            yMap = op.getMatchingIndexingMap(y);
  if (!xMap.isProjectedPermutation() || !wMap.isProjectedPermutation() ||
      !yMap.isProjectedPermutation()) {
    why = "its indexing maps are not projected permutations";
    return failure();
  }
  auto has = [](AffineMap map, unsigned d) { return map.isFunctionOfDim(d); };
  LinearDims dims;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    bool inX = has(xMap, d), inW = has(wMap, d), inY = has(yMap, d);
    if (inX && inW && inY)
      dims.batch.push_back(d);
    else if (inX && inW && !inY)
      dims.in.push_back(d);
    else if (inX && !inW && inY)
      continue; // a token dimension, ordered below
    else if (!inX && inW && inY)
      continue; // an output feature dimension, ordered below
    else {
      why = llvm::formatv("loop d{0} is not a dimension of a matrix product", d).str();
      return failure();
    }
  }
  if (dims.in.empty()) {
    why = "it has no reduction dimension";
    return failure();
  }
  for (AffineExpr expr : yMap.getResults()) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    (has(wMap, d) && !has(xMap, d) ? dims.out : dims.tokens).push_back(d);
  }
  if (dims.out.empty()) {
    why = "the result has no output feature dimension";
    return failure();
  }
  // Reduction dims in x's order, so x needs no transpose in the usual forms.
  dims.in.clear();
  for (AffineExpr expr : xMap.getResults()) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    if (has(wMap, d) && !has(yMap, d))
      dims.in.push_back(d);
  }
  return dims;
}

/// `v` permuted so that its dimension i is the old dimension perm[i]
/// (linalg.transpose), or `v` itself for the identity.
static Value transposeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return v;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, v);
  SmallVector<OpFoldResult> permuted;
  for (int64_t p : perm)
    permuted.push_back(sizes[p]);
  Value init = tensor::EmptyOp::create(b, loc, permuted,
                                       cast<RankedTensorType>(v.getType()).getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm)->getResult(0);
}

/// The product of `sizes` as an OpFoldResult (static when all are).
static OpFoldResult product(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes) {
  if (sizes.empty())
    return b.getIndexAttr(1);
  OpFoldResult result = sizes.front();
  for (OpFoldResult s : sizes.drop_front()) {
    std::optional<int64_t> a = getConstantIntValue(result), c = getConstantIntValue(s);
    if (a && c) {
      result = b.getIndexAttr(*a * *c);
      continue;
    }
    Value lhs = getValueOrCreateConstantIndexOp(b, loc, result);
    Value rhs = getValueOrCreateConstantIndexOp(b, loc, s);
    result = arith::MulIOp::create(b, loc, lhs, rhs).getResult();
  }
  return result;
}

/// `v` ([a0.., b0..] with `split` leading dims) reshaped to 2-D [prod a, prod b].
static Value flattenTo2D(OpBuilder &b, Location loc, Value v, unsigned split) {
  auto type = cast<RankedTensorType>(v.getType());
  unsigned rank = type.getRank();
  if (rank == 2 && split == 1)
    return v;
  if (split == 0 || split == rank) {
    // [b..] -> [1, prod b] (or [a..] -> [prod a, 1]): collapse, then expand.
    Value flat = v;
    if (rank != 1) {
      SmallVector<ReassociationIndices> all = {llvm::to_vector(llvm::seq<int64_t>(0, rank))};
      flat = tensor::CollapseShapeOp::create(b, loc, v, all);
    }
    auto flatType = cast<RankedTensorType>(flat.getType());
    SmallVector<int64_t> shape = split == 0 ? SmallVector<int64_t>{1, flatType.getDimSize(0)}
                                            : SmallVector<int64_t>{flatType.getDimSize(0), 1};
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, flat);
    SmallVector<OpFoldResult> outSizes =
        split == 0 ? SmallVector<OpFoldResult>{b.getIndexAttr(1), sizes[0]}
                   : SmallVector<OpFoldResult>{sizes[0], b.getIndexAttr(1)};
    return tensor::ExpandShapeOp::create(b, loc,
                                         RankedTensorType::get(shape, type.getElementType()), flat,
                                         SmallVector<ReassociationIndices>{{0, 1}}, outSizes);
  }
  SmallVector<ReassociationIndices> groups = {llvm::to_vector(llvm::seq<int64_t>(0, split)),
                                              llvm::to_vector(llvm::seq<int64_t>(split, rank))};
  return tensor::CollapseShapeOp::create(b, loc, v, groups);
}

/// `y` ([T, N]) reshaped to `sizes` ([t0.., n0..], `split` token dims).
static Value unflattenFrom2D(OpBuilder &b, Location loc, Value y, unsigned split,
                             ArrayRef<OpFoldResult> sizes) {
  auto yType = cast<RankedTensorType>(y.getType());
  unsigned rank = sizes.size();
  if (rank == 2 && split == 1)
    return y;
  // Drop the unit side first when one side has no dims: [1, N] -> [N].
  if (split == 0 || split == rank) {
    y = tensor::CollapseShapeOp::create(b, loc, y, SmallVector<ReassociationIndices>{{0, 1}});
    if (rank == 1)
      return y;
    SmallVector<int64_t> shape;
    for (OpFoldResult s : sizes)
      shape.push_back(getConstantIntValue(s).value_or(ShapedType::kDynamic));
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, yType.getElementType()), y,
        SmallVector<ReassociationIndices>{llvm::to_vector(llvm::seq<int64_t>(0, rank))}, sizes);
  }
  SmallVector<int64_t> shape;
  for (OpFoldResult s : sizes)
    shape.push_back(getConstantIntValue(s).value_or(ShapedType::kDynamic));
  SmallVector<ReassociationIndices> groups = {llvm::to_vector(llvm::seq<int64_t>(0, split)),
                                              llvm::to_vector(llvm::seq<int64_t>(split, rank))};
  if (llvm::equal(shape, yType.getShape()))
    return y;
  return tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(shape, yType.getElementType()),
                                       y, groups, sizes);
}

/// Erases the ops that computed `values` (the old weight's transposes,
/// broadcasts and fills, the old init) once nothing uses them.
static void eraseDeadProducers(ArrayRef<Value> values) {
  SmallVector<Operation *> worklist;
  llvm::DenseSet<Operation *> erased;
  for (Value v : values)
    if (Operation *def = v.getDefiningOp())
      worklist.push_back(def);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (erased.contains(op) || !isOpTriviallyDead(op))
      continue;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp())
        worklist.push_back(def);
    erased.insert(op);
    op->erase();
  }
}

LogicalResult ImportLinalgPass::importContraction(linalg::LinalgOp op) {
  StringRef name = op->getName().getStringRef();
  auto remark = [&](const Twine &why) {
    op->emitRemark() << "'" << name << "' stays float: " << why;
    return success();
  };
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics())
    return success();
  OpOperand *a = op.getDpsInputOperand(0), *bOperand = op.getDpsInputOperand(1);
  Evaluated ea = evaluate(a->get(), memo), eb = evaluate(bOperand->get(), memo);
  if (ea.kind == Evaluated::Activation && eb.kind == Evaluated::Activation)
    return success(); // activation x activation (attention scores) stays.
  if (ea.kind != Evaluated::Activation && eb.kind != Evaluated::Activation)
    return remark("both operands are constants");
  bool weightFirst = ea.kind != Evaluated::Activation;
  OpOperand *x = weightFirst ? bOperand : a;
  OpOperand *weight = weightFirst ? a : bOperand;
  Evaluated &w = weightFirst ? ea : eb;
  if (w.kind == Evaluated::Unsupported)
    return remark(w.why);
  if (isModelLinear(op) && !weightFirst) {
    if (!op->hasAttr("lq.role")) {
      Builder b(op->getContext());
      op->setAttr("lq.role", roleFor(w.constant, b));
    }
    return success();
  }

  auto xType = dyn_cast<RankedTensorType>(x->get().getType());
  auto yType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!xType || !yType || !xType.getElementType().isF32() || !yType.getElementType().isF32())
    return remark("only f32 activations and results are imported");
  if (!linalg::isaContractionOpInterface(op))
    return remark("its body is not a multiply-accumulate");
  std::string why;
  FailureOr<LinearDims> dims = classify(op, x, weight, why);
  if (failed(dims))
    return remark(why);
  AffineMap xMap = op.getMatchingIndexingMap(x), wMap = op.getMatchingIndexingMap(weight),
            yMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<int64_t> ranges(op.getNumLoops(), ShapedType::kDynamic);
  // Loop extents of the weight's dims come from the weight's static shape.
  for (auto [j, expr] : llvm::enumerate(wMap.getResults()))
    ranges[cast<AffineDimExpr>(expr).getPosition()] = w.constant.shape[j];

  // W[out.., in..] at batch index 0, then the check that the weight does not
  // vary along the batch dims (a broadcast weight of batch_matmul).
  SmallVector<unsigned> order(dims->out);
  order.append(dims->in.begin(), dims->in.end());
  SmallVector<int64_t> fixed(op.getNumLoops(), 0);
  std::vector<float> values =
      gather(w.constant.values, w.constant.shape, wMap, order, ranges, fixed);
  if (!dims->batch.empty()) {
    int64_t combos = 1;
    for (unsigned d : dims->batch)
      combos *= ranges[d];
    for (int64_t c = 1; c < combos; ++c) {
      int64_t rest = c;
      for (unsigned d : llvm::reverse(dims->batch)) {
        fixed[d] = rest % ranges[d];
        rest /= ranges[d];
      }
      if (gather(w.constant.values, w.constant.shape, wMap, order, ranges, fixed) != values)
        return remark("the weight differs along a batch dimension (one weight per batch is "
                      "not a linear layer)");
    }
  }
  int64_t rows = 1, cols = 1;
  for (unsigned d : dims->out)
    rows *= ranges[d];
  for (unsigned d : dims->in)
    cols *= ranges[d];

  // x permuted to [tokens.., in..] and flattened to [T, K].
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> xPerm;
  auto xPos = [&](unsigned d) { return (int64_t)*xMap.getResultPosition(b.getAffineDimExpr(d)); };
  for (unsigned d : dims->tokens)
    xPerm.push_back(xPos(d));
  for (unsigned d : dims->in)
    xPerm.push_back(xPos(d));
  Value xt = transposeTo(b, loc, x->get(), xPerm);
  SmallVector<OpFoldResult> xSizes = tensor::getMixedSizes(b, loc, xt);
  Value x2 = flattenTo2D(b, loc, xt, dims->tokens.size());
  OpFoldResult tokens = product(b, loc, ArrayRef(xSizes).take_front(dims->tokens.size()));

  // y = x2 * W^T into a zero fill: the linear of docs/ModelIR.md.
  Value wValue = weightConstant(b, loc, w.constant, rows, cols, std::move(values));
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value empty = tensor::EmptyOp::create(
      b, loc, SmallVector<OpFoldResult>{tokens, b.getIndexAttr(rows)}, b.getF32Type());
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  MLIRContext *ctx = op.getContext();
  auto dimExpr = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto mm = linalg::MatmulOp::create(b, loc, TypeRange{init.getType()}, ValueRange{x2, wValue},
                                     ValueRange{init});
  mm.setIndexingMapsAttr(
      b.getAffineMapArrayAttr({AffineMap::get(3, 0, {dimExpr(0), dimExpr(2)}, ctx),
                               AffineMap::get(3, 0, {dimExpr(1), dimExpr(2)}, ctx),
                               AffineMap::get(3, 0, {dimExpr(0), dimExpr(1)}, ctx)}));
  for (NamedAttribute attr : op->getDiscardableAttrs())
    if (attr.getName().strref().starts_with("lq."))
      mm->setAttr(attr.getName(), attr.getValue());
  if (!mm->hasAttr("lq.role"))
    mm->setAttr("lq.role", roleFor(w.constant, b));

  // Back to y's shape: [tokens.., out..], then y's own order.
  SmallVector<OpFoldResult> ySizes(xSizes.begin(), xSizes.begin() + dims->tokens.size());
  for (unsigned d : dims->out)
    ySizes.push_back(b.getIndexAttr(ranges[d]));
  Value y = unflattenFrom2D(b, loc, mm.getResult(0), dims->tokens.size(), ySizes);
  SmallVector<unsigned> yOrder(dims->tokens);
  yOrder.append(dims->out.begin(), dims->out.end());
  SmallVector<int64_t> yPerm;
  for (AffineExpr expr : yMap.getResults())
    yPerm.push_back(llvm::find(yOrder, cast<AffineDimExpr>(expr).getPosition()) - yOrder.begin());
  y = transposeTo(b, loc, y, yPerm);
  if (y.getType() != yType)
    y = tensor::CastOp::create(b, loc, yType, y);
  Value yInit = op.getDpsInitOperand(0)->get();
  if (!isZero(yInit)) {
    Value sum = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, yInit),
                                        yType.getElementType());
    y = linalg::AddOp::create(b, loc, TypeRange{yType}, ValueRange{yInit, y}, ValueRange{sum})
            .getResult(0);
  }
  op->getResult(0).replaceAllUsesWith(y);
  SmallVector<Value> producers(op->getOperands());
  op->erase();
  eraseDeadProducers(producers);
  return success();
}

void ImportLinalgPass::runOnOperation() {
  ModuleOp module = getOperation();
  // Roles already in the module stay theirs.
  module.walk([&](Operation *op) {
    if (auto role = op->getAttrOfType<StringAttr>("lq.role"))
      usedRoles.insert(role.getValue());
  });
  SmallVector<linalg::LinalgOp> candidates;
  module.walk([&](linalg::LinalgOp op) {
    if (op.getNumReductionLoops() > 0)
      candidates.push_back(op);
  });
  for (linalg::LinalgOp op : candidates) {
    StringRef name = op->getName().getStringRef();
    bool hasConstant = llvm::any_of(op.getDpsInputs(), [&](Value v) {
      auto type = dyn_cast<RankedTensorType>(v.getType());
      return type && type.getRank() >= 1 && isConstantData(v, memo);
    });
    if (linalg::isaConvolutionOpInterface(op)) {
      if (hasConstant)
        op->emitRemark() << "'" << name
                         << "' stays float: convolutions are imported only in im2col + matmul form";
      continue;
    }
    if (!linalg::isaContractionOpInterface(op) &&
        !isa<linalg::MatmulOp, linalg::MatvecOp, linalg::VecmatOp, linalg::BatchMatmulOp>(op)) {
      if (hasConstant && op.getNumDpsInputs() >= 2)
        op->emitRemark() << "'" << name
                         << "' stays as it is: not a floating-point multiply-accumulate of an "
                            "activation and a constant weight";
      continue;
    }
    if (failed(importContraction(op)))
      return signalPassFailure();
  }
}
