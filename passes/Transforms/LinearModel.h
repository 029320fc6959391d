//===- LinearModel.h - the transformer structure the FPT passes read -*- C++ -*-===//
//
// Shared by lq-insert-fpt, lq-smooth, lq-merge-fpt and the activation/KV
// quantization passes: the `lq.model` shape, the role-tagged linear layers
// of each function grouped by layer, their constant weights as [out, in]
// matrices, and the calibration statistics attached to them
// (docs/ModelIR.md).
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_TRANSFORMS_LINEARMODEL_H
#define LQ_PASSES_TRANSFORMS_LINEARMODEL_H

#include "lq/Fitting/FPT.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::lq {

/// The `lq.model` dictionary, as far as the passes need it.
struct ModelShape {
  int64_t heads = 0, kvHeads = 0, headDim = 0;
  std::optional<::lq::RopePairing> rope; ///< absent: the model has no RoPE
  int64_t group() const { return heads / kvHeads; }
};

/// Reads and checks `lq.model` (heads divisible by kv_heads, even head_dim,
/// a known rope_style); diagnoses on the module for `pass`.
FailureOr<ModelShape> readModelShape(ModuleOp module, StringRef pass);

/// The linear layers of one decoder layer in one function.
struct LayerLinears {
  linalg::MatmulOp q, k, v, o, gate, up, down;
  /// The linear of `kind` ("attn.q", ..., "mlp.down"); null for other kinds.
  linalg::MatmulOp byKind(StringRef kind) const;
};

/// Role-tagged linalg.matmul ops of a function by layer index
/// (`layers.N.<kind>`); `lm_head` and untagged matmuls are not listed.
struct FunctionLinears {
  func::FuncOp func;
  std::map<int64_t, LayerLinears> layers;
};

/// Every function with role-tagged linears. Fails with a diagnostic naming
/// `pass` when the module has none, when a role is malformed, or when a
/// layer lacks one of `required` (kinds such as "attn.q").
FailureOr<std::vector<FunctionLinears>> collectLinears(ModuleOp module, StringRef pass,
                                                       ArrayRef<StringRef> required);

/// The role string of a linear, e.g. "layers.0.attn.q" (empty if none).
StringRef roleOf(Operation *op);

/// Whether a linalg.matmul is `x W^T` (transposed-B indexing maps) or `x W`
/// (default maps), the two forms docs/ModelIR.md allows.
bool isTransposedB(linalg::MatmulOp op);

/// The constant weight of a linear as a row-major [out, in] matrix; emits an
/// error (naming `pass`) when it is not a constant f32 tensor.
FailureOr<std::vector<float>> readWeight(linalg::MatmulOp op, StringRef pass);

/// The [out, in] shape of a linear's weight.
std::pair<int64_t, int64_t> weightShape(linalg::MatmulOp op);

/// An attribute holding `values` with `type`, of the same kind as `like`
/// (dense_resource named `name` for a dense_resource, dense otherwise), so
/// that merged model weights stay out of the text and small tests stay
/// readable.
ElementsAttr makeElementsLike(ElementsAttr like, ShapedType type, ArrayRef<float> values,
                              StringRef name);

/// Replaces the weight operand of `op` by a new arith.constant of `attr`
/// (the old operand's type) right before `op`; the old constant is erased
/// when nothing else uses it.
void setWeight(linalg::MatmulOp op, ElementsAttr attr);

/// The weight attribute of a linear (its arith.constant value).
ElementsAttr weightAttr(linalg::MatmulOp op);

/// The [out, in] matrix `w` as an attribute for `op`'s weight operand
/// (transposed back for a default-map matmul), like the existing one.
ElementsAttr weightAttrFor(linalg::MatmulOp op, ArrayRef<float> w, StringRef suffix);

/// A float statistic (`lq.act_absmax`, `lq.hessian`, ...) of the linear with
/// role `role`, read from whichever linear of the module with that role
/// carries it (calibration may annotate only @forward). Emits an error at
/// `at` when none does or when it has the wrong number of elements.
FailureOr<std::vector<float>> findStatistic(ModuleOp module, StringRef role, StringRef name,
                                            int64_t numElements, Operation *at, StringRef pass);

/// The number of calibration tokens (`lq.tokens`) of role `role`, or failure
/// with a diagnostic.
FailureOr<double> findTokens(ModuleOp module, StringRef role, Operation *at, StringRef pass);

/// Applies `build` to the result of `producer` right after it and makes
/// every other user read the built value instead.
Value insertAfter(OpBuilder &b, Value produced, function_ref<Value(OpBuilder &, Value)> build);

/// Applies `build` to `op`'s input operand 0 right before `op`.
void insertBeforeInput(OpBuilder &b, linalg::MatmulOp op,
                       function_ref<Value(OpBuilder &, Value)> build);

/// RMSNorm as the importer emits it: an all-parallel generic whose yielded
/// value is a product with the block argument of its last input, a 1-D
/// constant indexed by the channel (so a per-channel factor on the output
/// folds into that weight). Returns that input's operand, or null.
OpOperand *normWeightOperand(linalg::GenericOp g);

/// An embedding lookup as the importer emits it: an all-parallel generic
/// over [tokens, D] yielding `tensor.extract %table[%row, %d]` of a constant
/// 2-D table, %d the last loop index. Returns that extract, or null.
tensor::ExtractOp embeddingLookup(linalg::GenericOp g);

/// A float tensor attribute of `shape` holding `values` (as f32).
DenseElementsAttr f32Attr(MLIRContext *ctx, ArrayRef<int64_t> shape, ArrayRef<double> values);

} // namespace mlir::lq

#endif // LQ_PASSES_TRANSFORMS_LINEARMODEL_H
