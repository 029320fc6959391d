//===- ModelModule.cpp - Loading and checking model modules ---------------===//

#include "lq/Run/ModelModule.h"

#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Dialect/LQ/Utils/ResourceBlobs.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace lq::run {

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

void registerRunDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::lq::LQDialect>();
}

llvm::Expected<OwningOpRef<ModuleOp>> loadModelModule(MLIRContext &context,
                                                      llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path))
    return err(llvm::formatv("'{0}' is a directory, not a model module", path));
  auto buffer = mlir::lq::readModuleFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  // Collect parser diagnostics into the error instead of printing them late.
  std::string diagText;
  llvm::raw_string_ostream diagOS(diagText);
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagOS);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return err(llvm::formatv("cannot parse model module '{0}':\n{1}", path,
                             diagText));
  if (failed(verify(*module)))
    return err(llvm::formatv("model module '{0}' does not verify:\n{1}", path,
                             diagText));
  return std::move(module);
}

/// Matches `type` against a ranked tensor of `elem` with `shape` (kDynamic
/// matches only a dynamic dimension).
static bool isTensor(Type type, ArrayRef<int64_t> shape, Type elem) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && t.getElementType() == elem && t.getShape() == shape;
}

static std::string str(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

static std::string str(TypeRange types) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "(";
  llvm::interleaveComma(types, os, [&](Type t) { t.print(os); });
  os << ")";
  return s;
}

llvm::Expected<ModelInfo> readModelInfo(ModuleOp module, llvm::StringRef source) {
  ModelInfo info;
  auto dict = module->getAttrOfType<DictionaryAttr>("lq.model");
  if (!dict)
    return err(llvm::formatv("{0}: the module has no 'lq.model' dictionary "
                             "attribute (see docs/ModelIR.md)",
                             source));
  struct Field {
    const char *name;
    int64_t *value;
  } fields[] = {{"dim", &info.dim},         {"hidden_dim", &info.hiddenDim},
                {"layers", &info.layers},   {"heads", &info.heads},
                {"kv_heads", &info.kvHeads}, {"head_dim", &info.headDim},
                {"vocab", &info.vocab},     {"context", &info.context}};
  for (Field &f : fields) {
    auto attr = dict.getAs<IntegerAttr>(f.name);
    if (!attr)
      return err(llvm::formatv("{0}: lq.model has no integer '{1}'", source,
                               f.name));
    *f.value = attr.getInt();
    // Bounds keep every derived size (caches, logits) far from overflow.
    if (*f.value <= 0 || *f.value > (int64_t(1) << 24))
      return err(llvm::formatv("{0}: lq.model {1} = {2} is out of range",
                               source, f.name, *f.value));
  }

  Builder b(module.getContext());
  Type i64 = b.getI64Type(), f32 = b.getF32Type();
  const int64_t dyn = ShapedType::kDynamic;
  if (auto fn = module.lookupSymbol<func::FuncOp>("forward")) {
    FunctionType t = fn.getFunctionType();
    if (fn.isExternal() || t.getNumInputs() != 1 || t.getNumResults() != 1 ||
        !isTensor(t.getInput(0), {1, dyn}, i64) ||
        !isTensor(t.getResult(0), {1, dyn, info.vocab}, f32))
      return err(llvm::formatv(
          "{0}: @forward must be (tensor<1x?xi64>) -> tensor<1x?x{1}xf32> with "
          "a body, got {2} -> {3}",
          source, info.vocab, str(t.getInputs()), str(t.getResults())));
    info.hasForward = true;
  }
  if (auto fn = module.lookupSymbol<func::FuncOp>("decode")) {
    FunctionType t = fn.getFunctionType();
    SmallVector<int64_t> cache = {info.layers, info.kvHeads, info.context,
                                  info.headDim};
    if (t.getNumInputs() == 6) {
      // Packed caches: codes [L, C, R] i8 and per-position (scale, zero).
      auto codes = llvm::dyn_cast<RankedTensorType>(t.getInput(2));
      int64_t channels = info.kvHeads * info.headDim;
      if (codes && codes.getRank() == 3 && codes.getDimSize(2) > 0 &&
          (codes.getDimSize(2) * 8) % channels == 0)
        info.kvBits = codes.getDimSize(2) * 8 / channels;
      Type i8 = b.getIntegerType(8);
      SmallVector<int64_t> codeShape = {info.layers, info.context, info.packedRowBytes()};
      SmallVector<int64_t> paramShape = {info.layers, info.context, 2};
      bool ok = !fn.isExternal() && t.getNumResults() == 5 &&
                (info.kvBits == 2 || info.kvBits == 4 || info.kvBits == 8) &&
                isTensor(t.getInput(0), {1}, i64) && isTensor(t.getInput(1), {1}, i64) &&
                isTensor(t.getResult(0), {1, info.vocab}, f32);
      for (int i = 0; ok && i < 4; ++i) {
        bool isCodes = i % 2 == 0;
        ArrayRef<int64_t> s = isCodes ? codeShape : paramShape;
        ok = isTensor(t.getInput(2 + i), s, isCodes ? i8 : f32) &&
             isTensor(t.getResult(1 + i), s, isCodes ? i8 : f32);
      }
      if (!ok)
        return err(llvm::formatv(
            "{0}: @decode with packed KV caches must be (tensor<1xi64>, tensor<1xi64>, "
            "codes, params, codes, params) -> (tensor<1x{1}xf32>, codes, params, codes, "
            "params) with codes tensor<{2}x{3}xRxi8> (R = {4} * bits / 8, bits 2, 4 or 8) "
            "and params tensor<{2}x{3}x2xf32>, got {5} -> {6}",
            source, info.vocab, info.layers, info.context, channels,
            str(t.getInputs()), str(t.getResults())));
      info.hasDecode = true;
      return info;
    }
    if (fn.isExternal() || t.getNumInputs() != 4 || t.getNumResults() != 3 ||
        !isTensor(t.getInput(0), {1}, i64) || !isTensor(t.getInput(1), {1}, i64) ||
        !isTensor(t.getInput(2), cache, f32) || !isTensor(t.getInput(3), cache, f32) ||
        !isTensor(t.getResult(0), {1, info.vocab}, f32) ||
        !isTensor(t.getResult(1), cache, f32) || !isTensor(t.getResult(2), cache, f32)) {
      RankedTensorType cacheType = RankedTensorType::get(cache, f32);
      return err(llvm::formatv(
          "{0}: @decode must be (tensor<1xi64>, tensor<1xi64>, {1}, {1}) -> "
          "(tensor<1x{2}xf32>, {1}, {1}) with a body, got {3} -> {4}",
          source, str(cacheType), info.vocab, str(t.getInputs()),
          str(t.getResults())));
    }
    info.hasDecode = true;
  }
  if (!info.hasForward && !info.hasDecode)
    return err(llvm::formatv("{0}: the module defines neither @forward nor "
                             "@decode",
                             source));
  return info;
}

/// The checkpoint tensor name of a linear role.
static std::optional<std::string> tensorOfRole(llvm::StringRef role) {
  using ::lq::names::LayerTensor;
  if (role == "lm_head")
    return std::string(::lq::names::LMHead);
  int64_t layer;
  llvm::StringRef rest = role;
  if (!rest.consume_front("layers.") || rest.consumeInteger(10, layer) || !rest.consume_front("."))
    return std::nullopt;
  static const std::pair<const char *, LayerTensor> kinds[] = {
      {"attn.q", LayerTensor::Q},       {"attn.k", LayerTensor::K},   {"attn.v", LayerTensor::V},
      {"attn.o", LayerTensor::O},       {"mlp.gate", LayerTensor::Gate},
      {"mlp.up", LayerTensor::Up},      {"mlp.down", LayerTensor::Down}};
  for (auto [name, kind] : kinds)
    if (rest == name)
      return ::lq::names::layer(layer, kind);
  return std::nullopt;
}

llvm::Expected<::lq::LlamaModel> readCheckpoint(ModuleOp module, bool decodeQuantized,
                                                llvm::StringRef source) {
  auto info = module->getAttrOfType<DictionaryAttr>("lq.model");
  if (!info)
    return err(source + ": no lq.model attribute (not a quant-import module)");
  auto integer = [&](llvm::StringRef key) -> int64_t {
    auto a = info.getAs<IntegerAttr>(key);
    return a ? a.getInt() : -1;
  };
  auto real = [&](llvm::StringRef key) -> float {
    auto a = info.getAs<FloatAttr>(key);
    return a ? (float)a.getValueAsDouble() : -1.0f;
  };
  ::lq::LlamaModel model;
  ::lq::LlamaConfig &c = model.config;
  c.dim = integer("dim"), c.hiddenDim = integer("hidden_dim"), c.nLayers = integer("layers");
  c.nHeads = integer("heads"), c.nKVHeads = integer("kv_heads"), c.vocabSize = integer("vocab");
  c.maxSeqLen = integer("context"), c.normEps = real("norm_eps"), c.ropeTheta = real("rope_theta");
  auto style = info.getAs<StringAttr>("rope_style");
  c.ropeStyle = style && style.getValue() == "interleaved" ? ::lq::LlamaConfig::Interleaved
                                                          : ::lq::LlamaConfig::HalfSplit;
  auto tied = info.getAs<BoolAttr>("tied");
  c.tiedEmbeddings = tied && tied.getValue();
  if (llvm::Error e = c.validate((source + " lq.model").str()))
    return std::move(e);
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.isExternal())
    return err(source + ": no @forward with a body");

  std::optional<llvm::Error> failure;
  auto fail = [&](const llvm::Twine &msg) { failure = err(source + ": " + msg); };
  auto add = [&](llvm::StringRef name, ArrayRef<int64_t> shape, std::vector<float> values) {
    if (model.weights.lookup(name))
      return; // a constant used twice (e.g. the tied embedding)
    if (llvm::Error e = model.weights.add(
            name,
            ::lq::Tensor(std::vector<int64_t>(shape.begin(), shape.end()), std::move(values)),
            source))
      failure = std::move(e);
  };
  // Linears by role; every other checkpoint tensor by its resource name.
  forward.walk([&](Operation *op) {
    auto role = op->getAttrOfType<StringAttr>("lq.role");
    if (!role || failure)
      return;
    std::optional<std::string> name = tensorOfRole(role.getValue());
    if (!name)
      return fail("unknown linear '" + role.getValue() + "'");
    if (auto mm = dyn_cast<mlir::lq::MatmulOp>(op)) {
      if (!decodeQuantized)
        return fail("'" + role.getValue() +
                    "' is quantized: its float weights are needed (run this before "
                    "quantizing weights)");
      auto constant = mm.getWeight().getDefiningOp<mlir::lq::ConstantOp>();
      FailureOr<DenseElementsAttr> decoded =
          constant ? mlir::lq::decodeWithLibrary(constant) : FailureOr<DenseElementsAttr>(mlir::failure());
      if (failed(decoded))
        return fail("the weight of '" + role.getValue() + "' is not a readable lq.constant");
      auto values = decoded->getValues<float>();
      return add(*name, decoded->getType().getShape(),
                 std::vector<float>(values.begin(), values.end()));
    }
    auto mm = dyn_cast<linalg::MatmulOp>(op);
    if (!mm)
      return;
    auto constant = mm.getDpsInputOperand(1)->get().getDefiningOp<arith::ConstantOp>();
    auto attr = constant ? dyn_cast<ElementsAttr>(constant.getValue()) : ElementsAttr();
    FailureOr<std::vector<float>> values =
        attr ? mlir::lq::readFloats(attr) : FailureOr<std::vector<float>>(mlir::failure());
    // The reference transformer reads [out, in]: only the transposed-B form.
    auto maps = mm.getIndexingMapsArray();
    bool transposedB = maps.size() == 3 && maps[1].getNumResults() == 2 &&
                       maps[1].getResult(0) == getAffineDimExpr(1, op->getContext());
    if (failed(values) || !transposedB)
      return fail("the weight of '" + role.getValue() +
                  "' is not a float constant [out, in] of a transposed-B matmul");
    if (c.tiedEmbeddings && *name == ::lq::names::LMHead)
      return; // the embedding itself, read by name
    add(*name, cast<ShapedType>(attr.getType()).getShape(), std::move(*values));
  });
  forward.walk([&](arith::ConstantOp op) {
    auto attr = dyn_cast<DenseResourceElementsAttr>(op.getValue());
    if (!attr || failure)
      return;
    llvm::StringRef key = attr.getRawHandle().getKey();
    if (!key.starts_with("model.") || model.weights.lookup(key))
      return;
    if (FailureOr<std::vector<float>> values = mlir::lq::readFloats(attr); succeeded(values))
      add(key, attr.getType().getShape(), std::move(*values));
  });
  if (failure)
    return std::move(*failure);
  if (llvm::Error e = model.validate(source))
    return std::move(e);
  return std::move(model);
}

} // namespace lq::run
