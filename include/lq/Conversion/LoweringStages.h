//===- LoweringStages.h - Named stages of the lowering pipelines -*- C++ -*-===//
//
// lq-lower-to-cpu and lq-lower-to-gpu are lists of named stages, each a
// textual pass pipeline, so drivers can time and report them one by one
// (lib/Run/Lowering.cpp) and quant-opt can run them as one pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_CONVERSION_LOWERINGSTAGES_H
#define LQ_CONVERSION_LOWERINGSTAGES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::lq {

/// One stage: a name for timings and messages, and its textual pass
/// pipeline on the module (what `quant-opt --pass-pipeline` would take).
struct LoweringStage {
  std::string name;
  std::string pipeline;
};

/// Adds every stage to `pm` (a module pass manager); fails with a message
/// naming `pipelineName` and the stage on `errs` when a stage does not
/// parse (a pass this tool does not register, or a bad option).
inline LogicalResult addLoweringStages(OpPassManager &pm, ArrayRef<LoweringStage> stages,
                                       StringRef pipelineName, raw_ostream &errs) {
  for (const LoweringStage &stage : stages)
    if (failed(parsePassPipeline(stage.pipeline, pm, errs))) {
      errs << pipelineName << ": stage '" << stage.name << "' could not be built\n";
      return failure();
    }
  return success();
}

} // namespace mlir::lq

#endif // LQ_CONVERSION_LOWERINGSTAGES_H
