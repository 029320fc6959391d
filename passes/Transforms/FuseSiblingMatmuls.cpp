//===- FuseSiblingMatmuls.cpp - lq-fuse-sibling-matmuls -------------------===//
//
// Matmuls of one input with weights of one encoding (a layer's q, k and v
// projections; gate and up) become one matmul of the weights stacked along
// their rows, its result sliced back: one kernel that streams all of the
// weights instead of one per weight. A decode step's matmuls are small
// (4096 x 4096 in 4 bits is 8 MB), and a GEMV that small spends much of
// its time ramping the GPU up and down.
//
//===----------------------------------------------------------------------===//

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/IR/LQStorage.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/MapVector.h"

#include <map>
#include <vector>

namespace mlir::lq {
#define GEN_PASS_DEF_LQFUSESIBLINGMATMULS
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

/// What siblings share: the input, the weights' encoding and columns, and
/// the activation quantization.
using SiblingKey = std::tuple<Value, Attribute, int64_t, Attribute, Attribute>;

/// The rows of `attrs` (one storage tensor of each sibling) stacked along
/// dimension `rowDim`: for each index of the dimensions before it, each
/// sibling's block of rows in turn.
FailureOr<SmallVector<char>> stackRows(ArrayRef<ElementsAttr> attrs, unsigned rowDim) {
  SmallVector<ArrayRef<char>> bytes;
  // A splat (one value for the whole tensor) is spelled out.
  std::vector<std::vector<char>> spelled;
  spelled.reserve(attrs.size());
  for (ElementsAttr attr : attrs) {
    if (auto dense = dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat()) {
      ArrayRef<char> one = dense.getRawData();
      std::vector<char> &all = spelled.emplace_back();
      for (int64_t i = 0, e = dense.getNumElements(); i < e; ++i)
        all.insert(all.end(), one.begin(), one.end());
      bytes.push_back(all);
      continue;
    }
    FailureOr<ArrayRef<char>> raw = getRawBytes(attr);
    if (failed(raw))
      return failure();
    bytes.push_back(*raw);
  }
  ArrayRef<int64_t> shape = cast<ShapedType>(attrs.front().getType()).getShape();
  int64_t outer = 1;
  for (unsigned d = 0; d < rowDim; ++d)
    outer *= shape[d];
  SmallVector<char> stacked;
  for (int64_t o = 0; o < outer; ++o)
    for (ArrayRef<char> b : bytes) {
      int64_t block = b.size() / outer;
      llvm::append_range(stacked, b.slice(o * block, block));
    }
  return stacked;
}

/// One lq.constant holding the weights of `constants` stacked along their
/// rows (same encoding and columns), or failure if a blob is unreadable.
FailureOr<ConstantOp> stackConstants(OpBuilder &b, Location loc, ArrayRef<ConstantOp> constants,
                                     StringRef name) {
  WeightType first = ConstantOp(constants.front()).getResult().getType();
  int64_t rows = 0;
  for (ConstantOp c : constants)
    rows += c.getResult().getType().getRows();
  ::lq::Encoding enc = first.getEncoding().getNumericEncoding();
  FailureOr<StorageShapes> shapes = getStorageShapes(enc, rows, first.getCols());
  if (failed(shapes))
    return failure();
  auto stack = [&](function_ref<ElementsAttr(ConstantOp)> get, ArrayRef<int64_t> shape,
                   unsigned rowDim, StringRef suffix) -> FailureOr<ElementsAttr> {
    SmallVector<ElementsAttr> attrs;
    for (ConstantOp c : constants)
      attrs.push_back(get(c));
    FailureOr<SmallVector<char>> bytes = stackRows(attrs, rowDim);
    if (failed(bytes))
      return failure();
    auto type =
        RankedTensorType::get(shape, cast<ShapedType>(attrs.front().getType()).getElementType());
    return ElementsAttr(makeResource(type, (name + "." + suffix).str(), *bytes));
  };
  // Binary codes are [planes, rows, bytes]; every other tensor starts with
  // the rows.
  unsigned codeRowDim = std::holds_alternative<::lq::BinaryEncoding>(enc) ? 1 : 0;
  FailureOr<ElementsAttr> codes =
      stack([](ConstantOp c) { return c.getCodes(); }, shapes->codes, codeRowDim, "codes");
  FailureOr<ElementsAttr> scales =
      stack([](ConstantOp c) { return c.getScales(); }, shapes->scales, 0, "scales");
  if (failed(codes) || failed(scales))
    return failure();
  ElementsAttr optional[3];
  const std::optional<SmallVector<int64_t>> *optionalShapes[3] = {
      &shapes->zeroPoints, &shapes->amplitudes, &shapes->offsets};
  ElementsAttr (ConstantOp::*getters[3])() = {
      &ConstantOp::getZeroPointsAttr, &ConstantOp::getAmplitudesAttr, &ConstantOp::getOffsetsAttr};
  StringRef suffixes[3] = {"zero_points", "amplitudes", "offsets"};
  for (int i = 0; i < 3; ++i) {
    if (!*optionalShapes[i])
      continue;
    FailureOr<ElementsAttr> stacked =
        stack([&](ConstantOp c) { return (c.*getters[i])(); }, **optionalShapes[i], 0, suffixes[i]);
    if (failed(stacked))
      return failure();
    optional[i] = *stacked;
  }
  auto type = WeightType::get(b.getContext(), rows, first.getCols(), first.getEncoding());
  auto constant =
      ConstantOp::create(b, loc, type, *codes, *scales, optional[0], optional[1], optional[2]);
  if (failed(mlir::verify(constant))) {
    constant.erase();
    return failure();
  }
  return constant;
}

struct FuseSiblingMatmulsPass
    : public mlir::lq::impl::LQFuseSiblingMatmulsBase<FuseSiblingMatmulsPass> {
  using Base::Base;

  /// The stacked constant made for each list of sibling weights (their
  /// attribute dictionaries, in order).
  std::map<std::vector<const void *>, ConstantOp> stackedBefore;

  void runOnOperation() override {
    stackedBefore.clear();
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!functions.empty() && !llvm::is_contained(functions, func.getSymName()))
        continue;
      // Siblings in program order, per block.
      llvm::MapVector<SiblingKey, SmallVector<MatmulOp>> groups;
      func.walk([&](MatmulOp op) {
        auto constant = op.getWeight().getDefiningOp<ConstantOp>();
        // A weight with other attributes (a reference, statistics) is left
        // alone: stacking would drop them.
        if (!constant || !constant->getDiscardableAttrs().empty())
          return;
        WeightType type = constant.getResult().getType();
        groups[{op.getInput(), type.getEncoding(), type.getCols(), op.getActBitsAttr(),
                op.getActScaleAttr()}]
            .push_back(op);
      });
      for (auto &group : groups) {
        SmallVector<MatmulOp> &ops = group.second;
        Block *block = ops.front()->getBlock();
        llvm::erase_if(ops, [&](MatmulOp op) { return op->getBlock() != block; });
        if (ops.size() < 2)
          continue;
        if (failed(fuse(ops)))
          return signalPassFailure();
      }
    }
  }

  LogicalResult fuse(ArrayRef<MatmulOp> ops) {
    // The fused matmul goes where the first sibling is: the input is
    // defined before it, and every sibling's users come after it.
    MatmulOp first = ops.front();
    for (MatmulOp op : ops)
      if (op->isBeforeInBlock(first))
        first = op;
    OpBuilder b(first);
    Location loc = b.getFusedLoc(llvm::map_to_vector(ops, [](MatmulOp op) { return op.getLoc(); }));
    SmallVector<ConstantOp> constants;
    SmallVector<std::string> roles;
    for (MatmulOp op : ops) {
      constants.push_back(op.getWeight().getDefiningOp<ConstantOp>());
      auto role = op->getAttrOfType<StringAttr>("lq.role");
      roles.push_back(role ? role.str() : "matmul");
    }
    std::string name = llvm::join(roles, "+");
    // The same weights in another function (@forward and @decode) share the
    // stacked blobs as they shared the siblings' blobs.
    std::vector<const void *> key;
    for (ConstantOp c : constants)
      key.push_back(c->getAttrDictionary().getAsOpaquePointer());
    FailureOr<ConstantOp> stacked;
    if (auto it = stackedBefore.find(key); it != stackedBefore.end()) {
      Operation *copy = b.clone(*it->second);
      copy->setLoc(loc);
      stacked = cast<ConstantOp>(copy);
    } else {
      stacked = stackConstants(b, loc, constants, name);
      if (failed(stacked))
        return first.emitError("cannot stack the weights of ") << ops.size() << " sibling matmuls";
      stackedBefore[key] = *stacked;
    }
    auto inputType = cast<RankedTensorType>(first.getInput().getType());
    SmallVector<int64_t> shape(inputType.getShape());
    shape.back() = stacked->getResult().getType().getRows();
    auto resultType = RankedTensorType::get(shape, b.getF32Type());
    auto fused = MatmulOp::create(b, loc, resultType, first.getInput(), stacked->getResult(),
                                  first.getActBitsAttr(), first.getActScaleAttr());
    // Attributes of the input all siblings agree on (its calibration
    // statistics) stay; the role names them all.
    for (NamedAttribute attr : first->getDiscardableAttrs())
      if (llvm::all_of(ops,
                       [&](MatmulOp op) { return op->getAttr(attr.getName()) == attr.getValue(); }))
        fused->setAttr(attr.getName(), attr.getValue());
    fused->setAttr("lq.role", b.getStringAttr(name));
    // Each sibling's result is its columns of the fused result.
    int64_t rank = shape.size(), offset = 0;
    for (MatmulOp op : ops) {
      OpBuilder at(op);
      int64_t rows = op.getWeight().getType().getRows();
      SmallVector<OpFoldResult> offsets(rank, at.getIndexAttr(0)),
          strides(rank, at.getIndexAttr(1));
      offsets.back() = at.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(at, loc, fused.getResult());
      sizes.back() = at.getIndexAttr(rows);
      Value slice = tensor::ExtractSliceOp::create(at, op.getLoc(), op.getResult().getType(),
                                                   fused.getResult(), offsets, sizes, strides);
      op.getResult().replaceAllUsesWith(slice);
      offset += rows;
    }
    for (MatmulOp op : ops)
      op.erase();
    for (ConstantOp c : constants)
      if (c->use_empty())
        c.erase();
    return success();
  }
};

} // namespace
