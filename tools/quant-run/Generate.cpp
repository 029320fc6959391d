//===- Generate.cpp - quant-run generate ------------------------------------===//

#include "QuantRun.h"

#include "llvm/Support/FormatVariadic.h"

namespace quant_run {

int runGenerate() {
  auto input = generationInput();
  if (!input)
    return fail(input.takeError());
  auto m = loadModel(ModelPath);
  if (!m)
    return fail(m.takeError());
  if (!m->info.hasDecode)
    return fail(usage(formatv("{0}: generate needs @decode", ModelPath)));
  if (Error e = compileModel(*m))
    return fail(std::move(e));
  return printGeneration(*m->runner, *input, ModelPath);
}

} // namespace quant_run
