//===- ModelModule.cpp - Loading and checking model modules ---------------===//

#include "lq/Run/ModelModule.h"

#include "lq/Dialect/LQ/Utils/ResourceBlobs.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
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

} // namespace lq::run
