//===- ImportLlama.cpp - Llama checkpoint to MLIR module ------------------===//
//
// Emits the transformer as linalg on tensors (docs/ModelIR.md). The
// arithmetic mirrors lq::Transformer (lib/Model/Transformer.cpp) operation
// for operation where that costs nothing (RMSNorm accumulated in f64, RoPE
// tables computed in double, softmax as exp(s - max) * (1 / sum)), so the
// two agree to accumulation-order rounding.
//
//===----------------------------------------------------------------------===//

#include "lq/Import/ImportLlama.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Alignment.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace mlir;
using lq::names::LayerTensor;

namespace {

llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}
llvm::Error makeError(const llvm::formatv_object_base &msg) {
  return makeError(msg.str());
}

using utils::IteratorType;
constexpr IteratorType Par = IteratorType::parallel;
constexpr IteratorType Red = IteratorType::reduction;

/// Builds one function body at a time; weights become module-wide resource
/// attributes, materialized once per function as arith.constant.
class LlamaEmitter {
public:
  LlamaEmitter(MLIRContext *ctx, const lq::LlamaConfig &c, int64_t context,
               lq::ImportOptions::LinearForm linearForm)
      : ctx(ctx), c(c), C(context), linearForm(linearForm), b(UnknownLoc::get(ctx), ctx),
        f32(Float32Type::get(ctx)), f64(Float64Type::get(ctx)),
        i64(IntegerType::get(ctx, 64)) {}

  /// Takes `data` (shape `shape`) into a resource blob named `name`.
  void addWeight(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                 std::vector<float> data);
  bool hasWeight(llvm::StringRef name) const { return weights.count(name); }

  func::FuncOp buildForward(ModuleOp module);
  func::FuncOp buildDecode(ModuleOp module);

private:
  // -- Small builders ------------------------------------------------------
  Value weight(llvm::StringRef name);
  Value cstIndex(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value cstF32(float v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
  }
  Value empty(llvm::ArrayRef<OpFoldResult> sizes, Type elem = {}) {
    return tensor::EmptyOp::create(b, sizes, elem ? elem : f32);
  }
  Value filled(llvm::ArrayRef<OpFoldResult> sizes, Type elem, double value) {
    Value v = arith::ConstantOp::create(b, FloatAttr::get(elem, value));
    return linalg::FillOp::create(b, ValueRange{v},
                                  ValueRange{empty(sizes, elem)})
        .getResult(0);
  }
  OpFoldResult ofr(int64_t v) { return b.getIndexAttr(v); }
  AffineMap map(unsigned dims, llvm::ArrayRef<unsigned> results) {
    llvm::SmallVector<AffineExpr> exprs;
    for (unsigned r : results)
      exprs.push_back(b.getAffineDimExpr(r));
    return AffineMap::get(dims, 0, exprs, ctx);
  }
  /// linalg.generic with one result (the init `out`).
  Value generic(ValueRange ins, Value out, llvm::ArrayRef<AffineMap> maps,
                llvm::ArrayRef<IteratorType> iters,
                llvm::function_ref<Value(ImplicitLocOpBuilder &, ValueRange)>
                    body) {
    auto op = linalg::GenericOp::create(
        b, TypeRange{out.getType()}, ins, ValueRange{out}, maps, iters,
        [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder nb(loc, nested);
          linalg::YieldOp::create(nb, body(nb, args));
        });
    return op.getResult(0);
  }

  // -- Model pieces (activations are [T, features]) ------------------------
  Value embedding(Value tokens1d, OpFoldResult T);
  Value rmsNorm(Value x, OpFoldResult T, llvm::StringRef weightName);
  Value linear(Value x, OpFoldResult T, llvm::StringRef weightName,
               const std::string &role);
  /// Rotates x3 [T, heads, hd] at positions base + t; into `slot` (a cache
  /// slot [heads, T, hd]) when given.
  Value rope(Value x3, Value base, Value slot = {});
  Value attention(Value q4, Value k, Value v, bool cacheLayout, OpFoldResult T,
                  OpFoldResult S, Value base);
  Value add(Value x, Value y);
  Value swiglu(Value g, Value u, OpFoldResult T);
  /// The caches @decode threads through its layers.
  struct DecodeCaches {
    Value k, v;
    Value pos;      ///< index
    OpFoldResult S; ///< pos + 1 keys to attend to
  };
  /// One decoder layer on x [T, D] at positions base + t. With `caches`
  /// (decode, T = 1) the new key/value row is stored at position pos of
  /// layer l and attention reads the cache; otherwise (forward) it reads the
  /// T fresh keys.
  Value layer(Value x, int64_t l, OpFoldResult T, Value base,
              DecodeCaches *caches);
  Value logitsOf(Value x, OpFoldResult T);

  MLIRContext *ctx;
  const lq::LlamaConfig &c;
  int64_t C;
  lq::ImportOptions::LinearForm linearForm;
  ImplicitLocOpBuilder b;
  Type f32, f64, i64;
  llvm::StringMap<DenseResourceElementsAttr> weights;
  /// The entry block of the function being built and the constants already
  /// materialized in it.
  Block *entry = nullptr;
  Operation *lastWeight = nullptr;
  llvm::StringMap<Value> fnConstants;
};

void LlamaEmitter::addWeight(llvm::StringRef name,
                             llvm::ArrayRef<int64_t> shape,
                             std::vector<float> data) {
  auto type = RankedTensorType::get(shape, f32);
  // The blob owns the vector: the weights are never copied.
  auto owned = std::make_unique<std::vector<float>>(std::move(data));
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(owned->data()),
                             owned->size() * sizeof(float));
  size_t align = llvm::isAddrAligned(llvm::Align(16), bytes.data())
                     ? 16
                     : alignof(float);
  AsmResourceBlob blob(
      bytes, align,
      [owned = std::move(owned)](void *, size_t, size_t) mutable {
        owned.reset();
      },
      /*dataIsMutable=*/true);
  weights[name] = DenseResourceElementsAttr::get(type, name, std::move(blob));
}

Value LlamaEmitter::weight(llvm::StringRef name) {
  auto it = fnConstants.find(name);
  if (it != fnConstants.end())
    return it->second;
  auto attr = weights.lookup(name);
  assert(attr && "weight not added");
  // Weights go at the top of the entry block, in order of first use, so
  // every use is dominated.
  OpBuilder::InsertionGuard guard(b);
  if (lastWeight)
    b.setInsertionPointAfter(lastWeight);
  else
    b.setInsertionPointToStart(entry);
  auto cst = arith::ConstantOp::create(b, attr);
  lastWeight = cst;
  fnConstants[name] = cst;
  return cst;
}

Value LlamaEmitter::embedding(Value tokens1d, OpFoldResult T) {
  int64_t D = c.dim;
  Value table = weight(lq::names::Embed);
  return generic(
      tokens1d, empty({T, ofr(D)}), {map(2, {0}), map(2, {0, 1})}, {Par, Par},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) -> Value {
        Value row = arith::IndexCastOp::create(nb, nb.getIndexType(), a[0]);
        Value col = linalg::IndexOp::create(nb, 1);
        return tensor::ExtractOp::create(nb, table, ValueRange{row, col});
      });
}

Value LlamaEmitter::rmsNorm(Value x, OpFoldResult T, llvm::StringRef name) {
  int64_t D = c.dim;
  Value w = weight(name);
  // Sum of squares in f64, as the reference does.
  Value ss = generic(x, filled({T}, f64, 0.0), {map(2, {0, 1}), map(2, {0})},
                     {Par, Red}, [&](ImplicitLocOpBuilder &nb, ValueRange a) {
                       Value xd = arith::ExtFOp::create(nb, f64, a[0]);
                       Value sq = arith::MulFOp::create(nb, xd, xd);
                       return arith::AddFOp::create(nb, a[1], sq).getResult();
                     });
  double eps = double(c.normEps);
  return generic(
      ValueRange{x, ss, w}, empty({T, ofr(D)}),
      {map(2, {0, 1}), map(2, {0}), map(2, {1}), map(2, {0, 1})}, {Par, Par},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) -> Value {
        auto cst = [&](double v) {
          return arith::ConstantOp::create(nb, nb.getF64FloatAttr(v));
        };
        Value mean = arith::DivFOp::create(nb, a[1], cst(double(D)));
        Value var = arith::AddFOp::create(nb, mean, cst(eps));
        Value root = math::SqrtOp::create(nb, var);
        Value inv = arith::DivFOp::create(nb, cst(1.0), root);
        Value scale = arith::TruncFOp::create(nb, f32, inv);
        Value xs = arith::MulFOp::create(nb, a[0], scale);
        return arith::MulFOp::create(nb, xs, a[2]);
      });
}

Value LlamaEmitter::linear(Value x, OpFoldResult T, llvm::StringRef name,
                           const std::string &role) {
  Value w = weight(name);
  int64_t out = cast<RankedTensorType>(w.getType()).getDimSize(0);
  int64_t in = cast<RankedTensorType>(w.getType()).getDimSize(1);
  if (linearForm == lq::ImportOptions::LinearForm::Torch) {
    // torch-mlir's aten.linear: W^T by a generic, broadcast to [1, in, out],
    // batch_matmul of x as [1, T, in].
    Value wt = generic(w, empty({ofr(in), ofr(out)}), {map(2, {1, 0}), map(2, {0, 1})},
                       {Par, Par}, [](ImplicitLocOpBuilder &, ValueRange a) { return a[0]; });
    Value wb = generic(wt, empty({ofr(1), ofr(in), ofr(out)}),
                       {map(3, {1, 2}), map(3, {0, 1, 2})}, {Par, Par, Par},
                       [](ImplicitLocOpBuilder &, ValueRange a) { return a[0]; });
    auto x3Type = RankedTensorType::get(
        {1, cast<RankedTensorType>(x.getType()).getDimSize(0), in}, f32);
    Value x3 = tensor::ExpandShapeOp::create(b, x3Type, x,
                                             SmallVector<ReassociationIndices>{{0, 1}, {2}},
                                             SmallVector<OpFoldResult>{ofr(1), T, ofr(in)});
    Value init = filled({ofr(1), T, ofr(out)}, f32, 0.0);
    Value y3 = linalg::BatchMatmulOp::create(b, TypeRange{init.getType()}, ValueRange{x3, wb},
                                             ValueRange{init})
                   .getResult(0);
    return tensor::CollapseShapeOp::create(b, y3,
                                           SmallVector<ReassociationIndices>{{0, 1}, {2}});
  }
  Value init = filled({T, ofr(out)}, f32, 0.0);
  auto mm = linalg::MatmulOp::create(b, TypeRange{init.getType()},
                                     ValueRange{x, w}, ValueRange{init});
  // y = x * W^T with W [out, in] as stored: the transposed-B form the
  // quantization passes match.
  mm.setIndexingMapsAttr(b.getAffineMapArrayAttr(
      {map(3, {0, 2}), map(3, {1, 2}), map(3, {0, 1})}));
  mm->setAttr("lq.role", b.getStringAttr(role));
  return mm.getResult(0);
}

Value LlamaEmitter::rope(Value x3, Value base, Value slot) {
  int64_t hd = c.headDim(), half = hd / 2;
  bool interleaved = c.ropeStyle == lq::LlamaConfig::Interleaved;
  Value cosT = weight(lq::RopeCosName), sinT = weight(lq::RopeSinName);
  return generic(
      x3, slot ? slot : empty(tensor::getMixedSizes(b, b.getLoc(), x3)),
      {map(3, {0, 1, 2}), slot ? map(3, {1, 0, 2}) : map(3, {0, 1, 2})},
      {Par, Par, Par}, [&](ImplicitLocOpBuilder &nb, ValueRange a) -> Value {
        auto idx = [&](int64_t v) {
          return arith::ConstantIndexOp::create(nb, v).getResult();
        };
        Value t = linalg::IndexOp::create(nb, 0);
        Value h = linalg::IndexOp::create(nb, 1);
        Value i = linalg::IndexOp::create(nb, 2);
        Value pos = arith::AddIOp::create(nb, base, t);
        Value first, pair, partner;
        if (interleaved) {
          // Pairs (2p, 2p + 1).
          Value odd = arith::AndIOp::create(nb, i, idx(1));
          first = arith::CmpIOp::create(nb, arith::CmpIPredicate::eq, odd,
                                        idx(0));
          pair = arith::ShRUIOp::create(nb, i, idx(1));
          partner = arith::XOrIOp::create(nb, i, idx(1));
        } else {
          // Pairs (p, p + hd/2).
          first = arith::CmpIOp::create(nb, arith::CmpIPredicate::ult, i,
                                        idx(half));
          Value lo = arith::SubIOp::create(nb, i, idx(half));
          Value hi = arith::AddIOp::create(nb, i, idx(half));
          pair = arith::SelectOp::create(nb, first, i, lo);
          partner = arith::SelectOp::create(nb, first, hi, lo);
        }
        Value cs = tensor::ExtractOp::create(nb, cosT, ValueRange{pos, pair});
        Value sn = tensor::ExtractOp::create(nb, sinT, ValueRange{pos, pair});
        Value other =
            tensor::ExtractOp::create(nb, x3, ValueRange{t, h, partner});
        // first: x0 cos - x1 sin; second: x1 cos + x0 sin.
        Value xc = arith::MulFOp::create(nb, a[0], cs);
        Value os = arith::MulFOp::create(nb, other, sn);
        Value sub = arith::SubFOp::create(nb, xc, os);
        Value sum = arith::AddFOp::create(nb, xc, os);
        return arith::SelectOp::create(nb, first, sub, sum);
      });
}

Value LlamaEmitter::attention(Value q4, Value k, Value v, bool cacheLayout,
                              OpFoldResult T, OpFoldResult S, Value base) {
  int64_t KV = c.nKVHeads, G = c.nHeads / c.nKVHeads, hd = c.headDim();
  float scale = 1.0f / std::sqrt(float(hd));
  // Dims (kv, g, t, s, d); keys are [s, kv, d] (forward) or [kv, s, d]
  // (a cache slice).
  AffineMap kMap5 = cacheLayout ? map(5, {0, 3, 4}) : map(5, {3, 0, 4});
  Value scores = generic(
      ValueRange{q4, k}, filled({ofr(KV), ofr(G), T, S}, f32, 0.0),
      {map(5, {2, 0, 1, 4}), kMap5, map(5, {0, 1, 2, 3})},
      {Par, Par, Par, Par, Red}, [&](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value p = arith::MulFOp::create(nb, a[0], a[1]);
        return arith::AddFOp::create(nb, a[2], p).getResult();
      });
  AffineMap id4 = map(4, {0, 1, 2, 3}), row4 = map(4, {0, 1, 2});
  // Causal mask: query t (at position base + t) sees keys s <= base + t.
  Value masked = generic(
      scores, empty({ofr(KV), ofr(G), T, S}), {id4, id4}, {Par, Par, Par, Par},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) -> Value {
        Value t = linalg::IndexOp::create(nb, 2);
        Value s = linalg::IndexOp::create(nb, 3);
        Value qpos = arith::AddIOp::create(nb, base, t);
        Value ok =
            arith::CmpIOp::create(nb, arith::CmpIPredicate::ule, s, qpos);
        Value scaled = arith::MulFOp::create(
            nb, a[0],
            arith::ConstantOp::create(nb, nb.getF32FloatAttr(scale)));
        Value ninf = arith::ConstantOp::create(
            nb, nb.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
        return arith::SelectOp::create(nb, ok, scaled, ninf);
      });
  Value maxS = generic(
      masked,
      filled({ofr(KV), ofr(G), T}, f32, -std::numeric_limits<float>::infinity()),
      {id4, row4}, {Par, Par, Par, Red},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) {
        return arith::MaximumFOp::create(nb, a[1], a[0]).getResult();
      });
  Value e = generic(ValueRange{masked, maxS}, empty({ofr(KV), ofr(G), T, S}),
                    {id4, row4, id4}, {Par, Par, Par, Par},
                    [&](ImplicitLocOpBuilder &nb, ValueRange a) {
                      Value d = arith::SubFOp::create(nb, a[0], a[1]);
                      return math::ExpOp::create(nb, d).getResult();
                    });
  Value sum = generic(e, filled({ofr(KV), ofr(G), T}, f32, 0.0), {id4, row4},
                      {Par, Par, Par, Red},
                      [&](ImplicitLocOpBuilder &nb, ValueRange a) {
                        return arith::AddFOp::create(nb, a[1], a[0])
                            .getResult();
                      });
  Value probs = generic(
      ValueRange{e, sum}, empty({ofr(KV), ofr(G), T, S}), {id4, row4, id4},
      {Par, Par, Par, Par}, [&](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value one = arith::ConstantOp::create(nb, nb.getF32FloatAttr(1.0f));
        Value inv = arith::DivFOp::create(nb, one, a[1]);
        return arith::MulFOp::create(nb, a[0], inv).getResult();
      });
  // Dims (t, kv, g, d, s): out[t, kv, g, d] = sum_s p[kv, g, t, s] v[.., d].
  AffineMap vMap5 = cacheLayout ? map(5, {1, 4, 3}) : map(5, {4, 1, 3});
  return generic(
      ValueRange{probs, v}, filled({T, ofr(KV), ofr(G), ofr(hd)}, f32, 0.0),
      {map(5, {1, 2, 0, 4}), vMap5, map(5, {0, 1, 2, 3})},
      {Par, Par, Par, Par, Red}, [&](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value p = arith::MulFOp::create(nb, a[0], a[1]);
        return arith::AddFOp::create(nb, a[2], p).getResult();
      });
}

Value LlamaEmitter::add(Value x, Value y) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  llvm::SmallVector<IteratorType> iters(rank, Par);
  return generic(ValueRange{x, y},
                 empty(tensor::getMixedSizes(b, b.getLoc(), x)), {id, id, id},
                 iters,
                 [&](ImplicitLocOpBuilder &nb, ValueRange a) {
                   return arith::AddFOp::create(nb, a[0], a[1]).getResult();
                 });
}

Value LlamaEmitter::swiglu(Value g, Value u, OpFoldResult T) {
  AffineMap id = map(2, {0, 1});
  return generic(ValueRange{g, u}, empty({T, ofr(c.hiddenDim)}), {id, id, id},
                 {Par, Par}, [&](ImplicitLocOpBuilder &nb, ValueRange a) {
                   // g / (1 + exp(-g)) * u
                   Value neg = arith::NegFOp::create(nb, a[0]);
                   Value ex = math::ExpOp::create(nb, neg);
                   Value one =
                       arith::ConstantOp::create(nb, nb.getF32FloatAttr(1.0f));
                   Value den = arith::AddFOp::create(nb, one, ex);
                   Value silu = arith::DivFOp::create(nb, a[0], den);
                   return arith::MulFOp::create(nb, silu, a[1]).getResult();
                 });
}

Value LlamaEmitter::layer(Value x, int64_t l, OpFoldResult T, Value base,
                          DecodeCaches *caches) {
  int64_t H = c.nHeads, KVH = c.nKVHeads, G = H / KVH, hd = c.headDim();
  auto name = [&](LayerTensor t) { return lq::names::layer(l, t); };
  std::string prefix = llvm::formatv("layers.{0}.", l).str();

  Value xn = rmsNorm(x, T, name(LayerTensor::AttnNorm));
  Value q = linear(xn, T, name(LayerTensor::Q), prefix + "attn.q");
  Value k = linear(xn, T, name(LayerTensor::K), prefix + "attn.k");
  Value v = linear(xn, T, name(LayerTensor::V), prefix + "attn.v");
  auto expand = [&](Value t2, int64_t heads) {
    int64_t rows = getConstantIntValue(T).value_or(ShapedType::kDynamic);
    return tensor::ExpandShapeOp::create(
               b, RankedTensorType::get({rows, heads, hd}, f32), t2,
               llvm::ArrayRef<ReassociationIndices>{{0}, {1, 2}},
               llvm::ArrayRef<OpFoldResult>{T, ofr(heads), ofr(hd)})
        .getResult();
  };
  Value q3 = rope(expand(q, H), base);
  Value k3 = expand(k, KVH), v3 = expand(v, KVH);
  Value keys, values;
  OpFoldResult S = T;
  if (!caches) {
    k3 = rope(k3, base);
    keys = k3;
    values = v3;
  } else {
    // The new row is computed straight into its cache slot (extract_slice as
    // the init, insert_slice back), which bufferizes to an in-place write
    // with no copy.
    llvm::SmallVector<OpFoldResult> slotOffsets = {ofr(l), ofr(0), caches->pos,
                                                   ofr(0)};
    llvm::SmallVector<OpFoldResult> slotSizes = {ofr(1), ofr(KVH), ofr(1),
                                                 ofr(hd)};
    llvm::SmallVector<OpFoldResult> ones(4, ofr(1));
    // [KV, 1, hd]: dropping only the layer dim keeps the rank reduction
    // unambiguous.
    auto slotType = RankedTensorType::get({KVH, 1, hd}, f32);
    auto slot = [&](Value cache) {
      return tensor::ExtractSliceOp::create(b, slotType, cache, slotOffsets,
                                            slotSizes, ones)
          .getResult();
    };
    auto store = [&](Value row, Value cache) {
      return tensor::InsertSliceOp::create(b, row, cache, slotOffsets,
                                           slotSizes, ones)
          .getResult();
    };
    caches->k = store(rope(k3, base, slot(caches->k)), caches->k);
    Value vRow = linalg::TransposeOp::create(b, v3, slot(caches->v),
                                             llvm::ArrayRef<int64_t>{1, 0, 2})
                     .getResult()[0];
    caches->v = store(vRow, caches->v);
    // Keys [0, pos] of layer l as [KV, S, hd].
    auto windowType =
        RankedTensorType::get({KVH, ShapedType::kDynamic, hd}, f32);
    auto window = [&](Value cache) {
      return tensor::ExtractSliceOp::create(
                 b, windowType, cache,
                 llvm::ArrayRef<OpFoldResult>{ofr(l), ofr(0), ofr(0), ofr(0)},
                 llvm::ArrayRef<OpFoldResult>{ofr(1), ofr(KVH), caches->S,
                                              ofr(hd)},
                 ones)
          .getResult();
    };
    keys = window(caches->k);
    values = window(caches->v);
    S = caches->S;
  }
  Value q4 = tensor::ExpandShapeOp::create(
      b,
      RankedTensorType::get(
          {cast<RankedTensorType>(q3.getType()).getDimSize(0), KVH, G, hd},
          f32),
      q3, llvm::ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}},
      llvm::ArrayRef<OpFoldResult>{T, ofr(KVH), ofr(G), ofr(hd)});
  Value att = attention(q4, keys, values, /*cacheLayout=*/caches != nullptr, T,
                        S, base);
  Value att2 = tensor::CollapseShapeOp::create(
      b, att, llvm::ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
  Value o = linear(att2, T, name(LayerTensor::O), prefix + "attn.o");
  x = add(x, o);

  xn = rmsNorm(x, T, name(LayerTensor::MLPNorm));
  Value g = linear(xn, T, name(LayerTensor::Gate), prefix + "mlp.gate");
  Value u = linear(xn, T, name(LayerTensor::Up), prefix + "mlp.up");
  Value d =
      linear(swiglu(g, u, T), T, name(LayerTensor::Down), prefix + "mlp.down");
  return add(x, d);
}

Value LlamaEmitter::logitsOf(Value x, OpFoldResult T) {
  Value xn = rmsNorm(x, T, lq::names::FinalNorm);
  // A tied model has no lm_head blob: the embedding is the classifier.
  return linear(xn, T,
                hasWeight(lq::names::LMHead) ? lq::names::LMHead
                                             : lq::names::Embed,
                "lm_head");
}

func::FuncOp LlamaEmitter::buildForward(ModuleOp module) {
  int64_t V = c.vocabSize;
  b.setInsertionPointToEnd(module.getBody());
  auto tokType = RankedTensorType::get({1, ShapedType::kDynamic}, i64);
  auto outType = RankedTensorType::get({1, ShapedType::kDynamic, V}, f32);
  auto fn = func::FuncOp::create(b, "forward",
                                 b.getFunctionType({tokType}, {outType}));
  fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  fnConstants.clear();
  lastWeight = nullptr;

  Value tokens = fn.getArgument(0);
  OpFoldResult T = tensor::DimOp::create(b, tokens, 1).getResult();
  Value tokens1d = tensor::CollapseShapeOp::create(
      b, tokens, llvm::ArrayRef<ReassociationIndices>{{0, 1}});
  Value zero = cstIndex(0);
  Value x = embedding(tokens1d, T);
  for (int64_t l = 0; l < c.nLayers; ++l)
    x = layer(x, l, T, zero, /*caches=*/nullptr);
  Value logits = logitsOf(x, T);
  Value out = tensor::ExpandShapeOp::create(
      b, outType, logits, llvm::ArrayRef<ReassociationIndices>{{0, 1}, {2}},
      llvm::ArrayRef<OpFoldResult>{ofr(1), T, ofr(V)});
  func::ReturnOp::create(b, out);
  return fn;
}

func::FuncOp LlamaEmitter::buildDecode(ModuleOp module) {
  int64_t V = c.vocabSize, L = c.nLayers, KVH = c.nKVHeads, hd = c.headDim();
  b.setInsertionPointToEnd(module.getBody());
  auto scalarType = RankedTensorType::get({1}, i64);
  auto cacheType = RankedTensorType::get({L, KVH, C, hd}, f32);
  auto logitsType = RankedTensorType::get({1, V}, f32);
  auto fn = func::FuncOp::create(
      b, "decode",
      b.getFunctionType({scalarType, scalarType, cacheType, cacheType},
                        {logitsType, cacheType, cacheType}));
  fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  fnConstants.clear();
  lastWeight = nullptr;

  Value token = fn.getArgument(0);
  DecodeCaches caches;
  caches.k = fn.getArgument(2);
  caches.v = fn.getArgument(3);
  caches.pos = arith::IndexCastOp::create(
      b, b.getIndexType(),
      tensor::ExtractOp::create(b, fn.getArgument(1), ValueRange{cstIndex(0)}));
  // Keys [0, pos] are attended to: the window length is pos + 1, so a step
  // costs O(pos), not O(context).
  caches.S = arith::AddIOp::create(b, caches.pos, cstIndex(1)).getResult();
  OpFoldResult T = ofr(1);
  Value x = embedding(token, T);
  for (int64_t l = 0; l < L; ++l)
    x = layer(x, l, T, caches.pos, &caches);
  Value logits = logitsOf(x, T);
  func::ReturnOp::create(b, ValueRange{logits, caches.k, caches.v});
  return fn;
}

/// cos / sin of pos * theta^(-2i/hd) for pos < C, i < hd/2, in double as the
/// reference computes them.
std::pair<std::vector<float>, std::vector<float>>
ropeTables(const lq::LlamaConfig &c, int64_t C) {
  int64_t hd = c.headDim(), half = hd / 2;
  std::vector<float> cs(C * half), sn(C * half);
  for (int64_t i = 0; i < half; ++i) {
    double freq = std::pow(double(c.ropeTheta), -2.0 * i / hd);
    for (int64_t p = 0; p < C; ++p) {
      double angle = p * freq;
      cs[p * half + i] = float(std::cos(angle));
      sn[p * half + i] = float(std::sin(angle));
    }
  }
  return {std::move(cs), std::move(sn)};
}

} // namespace

void lq::registerImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, math::MathDialect,
                  tensor::TensorDialect>();
}

llvm::Expected<OwningOpRef<ModuleOp>>
lq::importLlama(MLIRContext &context, LlamaModel &model,
                const ImportOptions &options, llvm::StringRef source) {
  const LlamaConfig &c = model.config;
  if (llvm::Error e = c.validate(source))
    return std::move(e);
  int64_t C = options.context ? options.context : c.maxSeqLen;
  // Same bound the config validator puts on max_position_embeddings.
  constexpr int64_t MaxContext = int64_t(1) << 24;
  if (C <= 0 || C > MaxContext)
    return makeError(llvm::formatv("{0}: context {1} is outside [1, {2}]",
                                   source, C, MaxContext));
  if (!options.forward && !options.decode)
    return makeError(source + ": nothing to emit (neither forward nor decode)");

  // Shapes are re-checked here (cheaply; values were checked by the reader)
  // because a wrong shape would otherwise surface as an out-of-bounds access
  // in compiled code.
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {names::Embed, {c.vocabSize, c.dim}}, {names::FinalNorm, {c.dim}}};
  for (int64_t l = 0; l < c.nLayers; ++l)
    for (LayerTensor kind : names::AllLayerTensors)
      expected.push_back({names::layer(l, kind), names::expectedShape(c, kind)});
  if (!c.tiedEmbeddings)
    expected.push_back({names::LMHead, {c.vocabSize, c.dim}});
  for (const auto &[name, shape] : expected) {
    const Tensor *t = model.weights.lookup(name);
    if (!t)
      return makeError(source + ": missing tensor '" + name + "'");
    if (t->shape != shape || int64_t(t->data.size()) != t->numel())
      return makeError(source + ": tensor '" + name + "' has shape " +
                       t->shapeString() + ", config expects " +
                       Tensor(shape, {}).shapeString());
  }

  for (llvm::StringRef d : {"arith", "func", "linalg", "math", "tensor"})
    if (!context.getOrLoadDialect(d))
      return makeError("importLlama: dialect '" + d +
                       "' is not registered (call registerImportDialects)");

  LlamaEmitter emitter(&context, c, C, options.linearForm);
  for (const auto &[name, shape] : expected)
    emitter.addWeight(name, shape, std::move(model.weights.get(name).data));
  auto [cs, sn] = ropeTables(c, C);
  emitter.addWeight(RopeCosName, {C, c.headDim() / 2}, std::move(cs));
  emitter.addWeight(RopeSinName, {C, c.headDim() / 2}, std::move(sn));
  // The materialized copy of a tied lm_head and the moved-from tensors.
  model.weights.tensors.clear();

  OpBuilder b(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  llvm::SmallVector<NamedAttribute> info = {
      b.getNamedAttr("arch", b.getStringAttr("llama")),
      b.getNamedAttr("dim", b.getI64IntegerAttr(c.dim)),
      b.getNamedAttr("hidden_dim", b.getI64IntegerAttr(c.hiddenDim)),
      b.getNamedAttr("layers", b.getI64IntegerAttr(c.nLayers)),
      b.getNamedAttr("heads", b.getI64IntegerAttr(c.nHeads)),
      b.getNamedAttr("kv_heads", b.getI64IntegerAttr(c.nKVHeads)),
      b.getNamedAttr("head_dim", b.getI64IntegerAttr(c.headDim())),
      b.getNamedAttr("vocab", b.getI64IntegerAttr(c.vocabSize)),
      b.getNamedAttr("context", b.getI64IntegerAttr(C)),
      b.getNamedAttr("norm_eps", b.getF32FloatAttr(c.normEps)),
      b.getNamedAttr("rope_theta", b.getF32FloatAttr(c.ropeTheta)),
      b.getNamedAttr("rope_style",
                     b.getStringAttr(c.ropeStyle == LlamaConfig::HalfSplit
                                         ? "half"
                                         : "interleaved")),
      b.getNamedAttr("tied", b.getBoolAttr(c.tiedEmbeddings)),
  };
  (*module)->setAttr("lq.model", b.getDictionaryAttr(info));

  if (options.forward)
    emitter.buildForward(*module);
  if (options.decode)
    emitter.buildDecode(*module);
  if (failed(verify(*module)))
    return makeError(source + ": internal error: the imported module does "
                              "not verify");
  return std::move(module);
}
