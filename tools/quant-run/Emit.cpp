//===- Emit.cpp - quant-run emit ------------------------------------------===//

#include "QuantRun.h"

#include "lq/Run/Bundle.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

namespace quant_run {

int runEmit() {
  if (OutputPath.empty())
    return fail(usage("emit needs -o <bundle directory>"));
  lq::run::BundleOptions options;
  auto list = [](StringRef text) {
    SmallVector<StringRef> parts;
    text.split(parts, ',', -1, /*KeepEmpty=*/false);
    std::vector<std::string> out;
    for (StringRef p : parts)
      out.push_back(p.trim().str());
    return out;
  };
  options.targets = list(BundleTargets);
  options.chips = list(BundleChips);
  options.maxBatch = BundleMaxBatch;
  options.referenceWeights = BundleReference;
  options.log = &errs();
  if (EmitInput.empty() == EmitMatmul.empty())
    return fail(usage("emit takes a module or --matmul NxK"));
  std::string source;
  LoadedModel m;
  if (!EmitMatmul.empty()) {
    int64_t rows, cols;
    auto [n, k] = StringRef(EmitMatmul).split('x');
    if (n.getAsInteger(10, rows) || k.getAsInteger(10, cols))
      return fail(usage(llvm::formatv("--matmul must be NxK, not '{0}'", EmitMatmul)));
    m.context = std::make_unique<mlir::MLIRContext>();
    mlir::DialectRegistry registry;
    registerRunDialects(registry);
    m.context->appendDialectRegistry(registry);
    m.context->loadAllAvailableDialects();
    auto module = lq::run::buildMatmulSpecModule(m.context.get(), rows, cols, EmitQuantize,
                                                 EmitActBits);
    if (!module)
      return fail(module.takeError());
    m.module = std::move(*module);
    source = llvm::formatv("--matmul {0} --quantize \"{1}\"{2}", EmitMatmul, EmitQuantize,
                     EmitActBits ? llvm::formatv(" --act-bits {0}", EmitActBits).str() : "")
                 .str();
  } else {
    auto loaded = loadModule(EmitInput);
    if (!loaded)
      return fail(loaded.takeError());
    m = std::move(*loaded);
    source = llvm::sys::path::filename(EmitInput).str();
  }
  if (Error e = lq::run::emitBundle(*m.module, OutputPath, source, options))
    return fail(std::move(e));
  return 0;
}

} // namespace quant_run
