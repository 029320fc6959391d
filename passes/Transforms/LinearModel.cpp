//===- LinearModel.cpp - the transformer structure the FPT passes read ------===//
#include "LinearModel.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::lq;

FailureOr<ModelShape> mlir::lq::readModelShape(ModuleOp module, StringRef pass) {
  auto dict = module->getAttrOfType<DictionaryAttr>("lq.model");
  if (!dict)
    return module.emitError() << pass
                              << " needs the transformer's shape: the module has no 'lq.model' "
                                 "attribute (docs/ModelIR.md)";
  auto integer = [&](StringRef key) -> FailureOr<int64_t> {
    auto attr = dict.getAs<IntegerAttr>(key);
    if (!attr || attr.getInt() <= 0)
      return module.emitError() << pass << ": lq.model." << key
                                << " must be a positive integer";
    return attr.getInt();
  };
  ModelShape shape;
  FailureOr<int64_t> heads = integer("heads"), kv = integer("kv_heads"), hd = integer("head_dim");
  if (failed(heads) || failed(kv) || failed(hd))
    return failure();
  shape.heads = *heads;
  shape.kvHeads = *kv;
  shape.headDim = *hd;
  if (shape.heads % shape.kvHeads != 0)
    return module.emitError() << pass << ": lq.model.heads (" << shape.heads
                              << ") is not a multiple of kv_heads (" << shape.kvHeads << ")";
  if (shape.headDim % 2 != 0)
    return module.emitError() << pass << ": lq.model.head_dim (" << shape.headDim
                              << ") must be even";
  if (auto style = dict.getAs<StringAttr>("rope_style")) {
    if (style.getValue() == "half")
      shape.rope = ::lq::RopePairing::Half;
    else if (style.getValue() == "interleaved")
      shape.rope = ::lq::RopePairing::Interleaved;
    else
      return module.emitError() << pass << ": unknown lq.model.rope_style '" << style.getValue()
                                << "' (expected \"half\" or \"interleaved\")";
  }
  return shape;
}

StringRef mlir::lq::roleOf(Operation *op) {
  if (auto role = op->getAttrOfType<StringAttr>("lq.role"))
    return role.getValue();
  return {};
}

linalg::MatmulOp LayerLinears::byKind(StringRef kind) const {
  return llvm::StringSwitch<linalg::MatmulOp>(kind)
      .Case("attn.q", q)
      .Case("attn.k", k)
      .Case("attn.v", v)
      .Case("attn.o", o)
      .Case("mlp.gate", gate)
      .Case("mlp.up", up)
      .Case("mlp.down", down)
      .Default(nullptr);
}

FailureOr<std::vector<FunctionLinears>>
mlir::lq::collectLinears(ModuleOp module, StringRef pass, ArrayRef<StringRef> required) {
  std::vector<FunctionLinears> result;
  bool bad = false;
  for (auto func : module.getOps<func::FuncOp>()) {
    FunctionLinears fl;
    fl.func = func;
    func.walk([&](linalg::MatmulOp op) {
      StringRef role = roleOf(op);
      if (role.empty() || role == "lm_head")
        return;
      // layers.<N>.<attn|mlp>.<kind>
      SmallVector<StringRef> parts;
      role.split(parts, '.');
      int64_t layer;
      if (parts.size() != 4 || parts[0] != "layers" || parts[1].getAsInteger(10, layer)) {
        op.emitError() << pass << ": malformed lq.role '" << role
                       << "' (expected layers.N.attn.{q,k,v,o} or layers.N.mlp.{gate,up,down})";
        bad = true;
        return;
      }
      LayerLinears &l = fl.layers[layer];
      std::string kind = (parts[2] + "." + parts[3]).str();
      linalg::MatmulOp *slot = llvm::StringSwitch<linalg::MatmulOp *>(kind)
                                   .Case("attn.q", &l.q)
                                   .Case("attn.k", &l.k)
                                   .Case("attn.v", &l.v)
                                   .Case("attn.o", &l.o)
                                   .Case("mlp.gate", &l.gate)
                                   .Case("mlp.up", &l.up)
                                   .Case("mlp.down", &l.down)
                                   .Default(nullptr);
      if (!slot) {
        op.emitError() << pass << ": unknown linear kind in lq.role '" << role << "'";
        bad = true;
        return;
      }
      if (*slot) {
        op.emitError() << pass << ": lq.role '" << role << "' appears twice in @"
                       << func.getName();
        bad = true;
        return;
      }
      *slot = op;
    });
    if (!fl.layers.empty())
      result.push_back(std::move(fl));
  }
  if (bad)
    return failure();
  if (result.empty())
    return module.emitError() << pass
                              << " needs the transformer's structure: no linalg.matmul carries an "
                                 "lq.role (tag the linear layers first, docs/ModelIR.md)";
  for (FunctionLinears &fl : result)
    for (auto [index, l] : fl.layers)
      for (StringRef kind : required) {
        if (!l.byKind(kind)) {
          fl.func.emitError() << pass << ": layer " << index << " of @" << fl.func.getName()
                              << " has no linear tagged 'layers." << index << "." << kind << "'";
          return failure();
        }
      }
  return result;
}

bool mlir::lq::isTransposedB(linalg::MatmulOp op) {
  return llvm::isa<linalg::MatmulTransposeBOp>(op.getOperation());
}

std::pair<int64_t, int64_t> mlir::lq::weightShape(linalg::MatmulOp op) {
  auto type = llvm::cast<ShapedType>(op.getDpsInputOperand(1)->get().getType());
  if (isTransposedB(op))
    return {type.getDimSize(0), type.getDimSize(1)};
  return {type.getDimSize(1), type.getDimSize(0)};
}

ElementsAttr mlir::lq::weightAttr(linalg::MatmulOp op) {
  auto constant = op.getDpsInputOperand(1)->get().getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return {};
  return llvm::dyn_cast<ElementsAttr>(constant.getValue());
}

FailureOr<std::vector<float>> mlir::lq::readWeight(linalg::MatmulOp op, StringRef pass) {
  if (!isTransposedB(op) && !linalg::MatmulOp::isDefaultIndexingMaps(op.getIndexingMapsAttr()))
    return op.emitError() << pass << ": linear '" << roleOf(op)
                          << "' has indexing maps other than plain or transposed-B matmul";
  ElementsAttr attr = weightAttr(op);
  if (!attr)
    return op.emitError() << pass << ": the weight of linear '" << roleOf(op)
                          << "' is not a constant";
  auto type = llvm::cast<ShapedType>(attr.getType());
  if (!type.getElementType().isF32())
    return op.emitError() << pass << ": only f32 weights are supported, got " << type;
  FailureOr<std::vector<float>> values = readFloats(attr);
  if (failed(values))
    return op.emitError() << pass << ": the weight data of linear '" << roleOf(op)
                          << "' is not readable";
  if (isTransposedB(op))
    return values;
  auto [n, k] = weightShape(op);
  std::vector<float> w(n * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      w[j * k + i] = (*values)[i * n + j];
  return w;
}

ElementsAttr mlir::lq::makeElementsLike(ElementsAttr like, ShapedType type, ArrayRef<float> values,
                                        StringRef name) {
  if (llvm::isa<DenseResourceElementsAttr>(like))
    return makeResource(type, name, values);
  return DenseElementsAttr::get(type, values);
}

ElementsAttr mlir::lq::weightAttrFor(linalg::MatmulOp op, ArrayRef<float> w, StringRef suffix) {
  ElementsAttr old = weightAttr(op);
  auto type = llvm::cast<ShapedType>(old.getType());
  std::string name;
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(old))
    name = (resource.getRawHandle().getKey() + suffix).str();
  else
    name = (roleOf(op) + suffix).str();
  if (isTransposedB(op))
    return makeElementsLike(old, type, w, name);
  auto [n, k] = weightShape(op);
  std::vector<float> t(n * k);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i)
      t[i * n + j] = w[j * k + i];
  return makeElementsLike(old, type, t, name);
}

void mlir::lq::setWeight(linalg::MatmulOp op, ElementsAttr attr) {
  OpOperand *operand = op.getDpsInputOperand(1);
  auto old = operand->get().getDefiningOp<arith::ConstantOp>();
  OpBuilder b(op);
  auto constant = arith::ConstantOp::create(b, old.getLoc(), llvm::cast<TypedAttr>(attr));
  operand->set(constant);
  if (old->use_empty())
    old->erase();
}

FailureOr<std::vector<float>> mlir::lq::findStatistic(ModuleOp module, StringRef role,
                                                      StringRef name, int64_t numElements,
                                                      Operation *at, StringRef pass) {
  ElementsAttr found;
  module.walk([&](Operation *op) {
    if (found || roleOf(op) != role)
      return;
    found = op->getAttrOfType<ElementsAttr>(name);
  });
  if (!found)
    return at->emitError() << pass << " needs the calibration statistic '" << name
                           << "' on linear '" << role << "' (attach it with quant-run calibrate)";
  FailureOr<std::vector<float>> values = readFloats(found);
  if (failed(values) || (int64_t)values->size() != numElements)
    return at->emitError() << pass << ": statistic '" << name << "' on linear '" << role
                           << "' must hold " << numElements << " floats, got "
                           << found.getType();
  for (float v : *values)
    if (!std::isfinite(v))
      return at->emitError() << pass << ": statistic '" << name << "' on linear '" << role
                             << "' is not finite";
  return values;
}

FailureOr<double> mlir::lq::findTokens(ModuleOp module, StringRef role, Operation *at,
                                       StringRef pass) {
  IntegerAttr found;
  module.walk([&](Operation *op) {
    if (!found && roleOf(op) == role)
      found = op->getAttrOfType<IntegerAttr>("lq.tokens");
  });
  if (!found || found.getInt() <= 0)
    return at->emitError() << pass << " needs the calibration statistic 'lq.tokens' on linear '"
                           << role << "' (attach it with quant-run calibrate)";
  return double(found.getInt());
}

Value mlir::lq::insertAfter(OpBuilder &b, Value produced,
                            function_ref<Value(OpBuilder &, Value)> build) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : produced.getUses())
    uses.push_back(&use);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfterValue(produced);
  Value built = build(b, produced);
  for (OpOperand *use : uses)
    use->set(built);
  return built;
}

void mlir::lq::insertBeforeInput(OpBuilder &b, linalg::MatmulOp op,
                                 function_ref<Value(OpBuilder &, Value)> build) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  OpOperand *input = op.getDpsInputOperand(0);
  input->set(build(b, input->get()));
}

DenseElementsAttr mlir::lq::f32Attr(MLIRContext *ctx, ArrayRef<int64_t> shape,
                                    ArrayRef<double> values) {
  std::vector<float> f(values.begin(), values.end());
  return DenseElementsAttr::get(RankedTensorType::get(shape, Float32Type::get(ctx)),
                                llvm::ArrayRef(f));
}

OpOperand *mlir::lq::normWeightOperand(linalg::GenericOp g) {
  if (g.getNumDpsInputs() < 2 || g.getNumDpsInits() != 1 ||
      g.getNumParallelLoops() != g.getNumLoops())
    return nullptr;
  OpOperand *w = g.getDpsInputOperand(g.getNumDpsInputs() - 1);
  auto type = llvm::dyn_cast<RankedTensorType>(w->get().getType());
  if (!type || type.getRank() != 1 || !w->get().getDefiningOp<arith::ConstantOp>())
    return nullptr;
  AffineMap map = g.getMatchingIndexingMap(w);
  unsigned rank = g.getNumLoops();
  if (map.getNumResults() != 1 || map.getResult(0) != getAffineDimExpr(rank - 1, g.getContext()))
    return nullptr;
  auto yield = llvm::cast<linalg::YieldOp>(g.getBody()->getTerminator());
  auto mul = yield.getOperand(0).getDefiningOp<arith::MulFOp>();
  BlockArgument arg = g.getMatchingBlockArgument(w);
  if (!mul || (mul.getLhs() != arg && mul.getRhs() != arg))
    return nullptr;
  // The weight must not enter the product elsewhere (it would not be linear).
  for (OpOperand &use : arg.getUses())
    if (use.getOwner() != mul)
      return nullptr;
  return w;
}

tensor::ExtractOp mlir::lq::embeddingLookup(linalg::GenericOp g) {
  if (g.getNumDpsInits() != 1 || g.getNumLoops() != 2 ||
      g.getNumParallelLoops() != g.getNumLoops())
    return nullptr;
  auto yield = llvm::cast<linalg::YieldOp>(g.getBody()->getTerminator());
  auto extract = yield.getOperand(0).getDefiningOp<tensor::ExtractOp>();
  if (!extract || extract->getParentOp() != g.getOperation() || extract.getIndices().size() != 2)
    return nullptr;
  auto table = extract.getTensor().getDefiningOp<arith::ConstantOp>();
  if (!table || g->isAncestor(table))
    return nullptr;
  auto column = extract.getIndices()[1].getDefiningOp<linalg::IndexOp>();
  if (!column || column.getDim() != 1)
    return nullptr;
  return extract;
}
