//===- Emit.cpp - quant-run emit ------------------------------------------===//

#include "QuantRun.h"

#include "lq/Run/Bundle.h"

#include "llvm/ADT/StringExtras.h"
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
  auto m = loadModule(ModelPath);
  if (!m)
    return fail(m.takeError());
  if (Error e = lq::run::emitBundle(*m->module, OutputPath, llvm::sys::path::filename(ModelPath),
                                    options))
    return fail(std::move(e));
  return 0;
}

} // namespace quant_run
