//===- Bench.cpp - quant-run bench ------------------------------------------===//

#include "QuantRun.h"

namespace quant_run {

int runBench() {
  if (Error e = checkBenchFlags())
    return fail(std::move(e));
  auto m = loadModel(ModelPath);
  if (!m)
    return fail(m.takeError());
  if (Error e = compileModel(*m))
    return fail(std::move(e));
  return printBench(*m->runner);
}

} // namespace quant_run
