//===- quant-export.cpp - Model module to a float GGUF checkpoint ----------===//
//
//   quant-export <model.mlir[bc]> -o <out.gguf>
//
// Reads the module's lq.model configuration and the weights of @forward:
// role-tagged linears (float constants, or lq.constant decoded with the
// reference decoder — exactly the floats lq.decode stands for), and the
// other tensors by their checkpoint names. The GGUF runs in the reference
// transformer (quant-ref), which cross-checks the compiled quantized module.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ResourceBlobs.h"

#include "lq/Model/Llama.h"
#include "lq/Model/Readers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/InitAllDialects.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

static llvm::cl::OptionCategory Category("quant-export options");
static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional, llvm::cl::Required,
                                            llvm::cl::desc("<model.mlir[bc]>"), llvm::cl::cat(Category));
static llvm::cl::opt<std::string> outputPath("o", llvm::cl::Required,
                                             llvm::cl::desc("Output GGUF file"), llvm::cl::cat(Category));

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
      {"attn.q", LayerTensor::Q},     {"attn.k", LayerTensor::K},    {"attn.v", LayerTensor::V},
      {"attn.o", LayerTensor::O},     {"mlp.gate", LayerTensor::Gate}, {"mlp.up", LayerTensor::Up},
      {"mlp.down", LayerTensor::Down}};
  for (auto [name, kind] : kinds)
    if (rest == name)
      return ::lq::names::layer(layer, kind);
  return std::nullopt;
}

static int fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "quant-export") << msg << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::HideUnrelatedOptions(Category);
  llvm::cl::ParseCommandLineOptions(argc, argv, "quant-export: model module -> float GGUF\n");
  DialectRegistry registry;
  registerAllDialects(registry);
  registry.insert<mlir::lq::LQDialect>();
  MLIRContext context(registry);
  auto buffer = mlir::lq::readModuleFile(inputPath);
  if (!buffer) {
    llvm::errs() << llvm::toString(buffer.takeError()) << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  auto info = (*module)->getAttrOfType<DictionaryAttr>("lq.model");
  if (!info)
    return fail(inputPath + ": no lq.model attribute (not a quant-import module)");
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
  if (llvm::Error e = c.validate(inputPath + " lq.model"))
    return fail(llvm::toString(std::move(e)));

  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return fail(inputPath + ": no @forward function");
  auto add = [&](llvm::StringRef name, ArrayRef<int64_t> shape, std::vector<float> values) {
    if (model.weights.lookup(name))
      return true; // a constant used twice (e.g. the tied embedding)
    if (llvm::Error e = model.weights.add(
            name, ::lq::Tensor(std::vector<int64_t>(shape.begin(), shape.end()), std::move(values)),
            inputPath))
      return fail(llvm::toString(std::move(e))), false;
    return true;
  };
  bool ok = true;
  // Linears by role; every other checkpoint tensor by its resource name.
  forward.walk([&](Operation *op) {
    auto role = op->getAttrOfType<StringAttr>("lq.role");
    if (!role || !ok)
      return;
    std::optional<std::string> name = tensorOfRole(role.getValue());
    if (!name) {
      ok = false, fail("unknown role '" + role.getValue() + "'");
      return;
    }
    if (auto mm = llvm::dyn_cast<mlir::lq::MatmulOp>(op)) {
      auto constant = mm.getWeight().getDefiningOp<mlir::lq::ConstantOp>();
      FailureOr<DenseElementsAttr> decoded =
          constant ? mlir::lq::decodeWithLibrary(constant) : FailureOr<DenseElementsAttr>(failure());
      if (failed(decoded)) {
        ok = false, fail("the weight of '" + role.getValue() + "' is not a readable lq.constant");
        return;
      }
      auto values = decoded->getValues<float>();
      ok &= add(*name, decoded->getType().getShape(),
                std::vector<float>(values.begin(), values.end()));
      return;
    }
    if (auto mm = llvm::dyn_cast<linalg::MatmulOp>(op)) {
      auto constant = mm.getDpsInputOperand(1)->get().getDefiningOp<arith::ConstantOp>();
      auto attr = constant ? llvm::dyn_cast<ElementsAttr>(constant.getValue()) : ElementsAttr();
      FailureOr<std::vector<float>> values =
          attr ? mlir::lq::readFloats(attr) : FailureOr<std::vector<float>>(failure());
      if (failed(values)) {
        ok = false, fail("the weight of '" + role.getValue() + "' is not a float constant");
        return;
      }
      if (c.tiedEmbeddings && *name == ::lq::names::LMHead)
        return; // the embedding itself, exported by name
      ok &= add(*name, llvm::cast<ShapedType>(attr.getType()).getShape(), std::move(*values));
    }
  });
  forward.walk([&](arith::ConstantOp op) {
    auto attr = llvm::dyn_cast<DenseResourceElementsAttr>(op.getValue());
    if (!attr || !ok)
      return;
    llvm::StringRef key = attr.getRawHandle().getKey();
    if (!key.starts_with("model.") || model.weights.lookup(key))
      return;
    FailureOr<std::vector<float>> values = mlir::lq::readFloats(attr);
    if (failed(values))
      return;
    ok &= add(key, attr.getType().getShape(), std::move(*values));
  });
  if (!ok)
    return 1;
  if (llvm::Error e = model.validate(inputPath))
    return fail(llvm::toString(std::move(e)));
  // writeGGUF writes a temporary and renames, so a failure leaves no file.
  if (llvm::Error e = ::lq::writeGGUF(model, outputPath, ::lq::GGUFTensorType::F32))
    return fail(llvm::toString(std::move(e)));
  return 0;
}
