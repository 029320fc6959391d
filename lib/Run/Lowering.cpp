//===- Lowering.cpp - Model module to the LLVM dialect --------------------===//
//
// Runs the stages of lq-lower-to-cpu one by one, timing each and collecting
// its diagnostics into the error.
//
//===----------------------------------------------------------------------===//

#include "lq/Run/Lowering.h"

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <mutex>

using namespace mlir;

namespace lq::run {

void registerRunPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    mlir::lq::registerLQTransformsPasses();
    mlir::lq::registerLQConversionPasses();
    mlir::lq::registerCPULoweringPipeline();
    mlir::lq::registerGPULoweringPipeline();
  });
}

namespace {
/// Collects error diagnostics emitted while a stage runs.
struct DiagnosticCollector {
  std::string text;
  llvm::raw_string_ostream os{text};
  ScopedDiagnosticHandler handler;
  explicit DiagnosticCollector(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          if (d.getSeverity() == DiagnosticSeverity::Error ||
              d.getSeverity() == DiagnosticSeverity::Warning) {
            os << d.getLocation() << ": " << d << "\n";
            for (Diagnostic &note : d.getNotes())
              os << "  note: " << note << "\n";
          }
          return success();
        }) {}
};
} // namespace

llvm::Error runPassPipeline(ModuleOp module, llvm::StringRef stage,
                               llvm::StringRef pipeline,
                               const LoweringOptions &options) {
  auto t0 = std::chrono::steady_clock::now();
  MLIRContext *ctx = module.getContext();
  DiagnosticCollector diags(ctx);
  PassManager pm(ctx, ModuleOp::getOperationName(), OpPassManager::Nesting::Implicit);
  std::string parseErrors;
  llvm::raw_string_ostream parseOS(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, parseOS)))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("internal error: bad {0} pipeline: {1}", stage, parseErrors));
  if (failed(pm.run(module)))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("lowering failed in stage '{0}':\n{1}", stage, diags.text));
  if (options.log)
    *options.log << llvm::formatv(
        "  lower: {0,-12} {1,7:f2} s\n", stage,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return llvm::Error::success();
}

mlir::lq::Int8Dot hostInt8Dot() {
  static const mlir::lq::Int8Dot dot = [] {
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    if (features.lookup("avx512vnni") && features.lookup("avx512bw"))
      return mlir::lq::Int8Dot::AVX512VNNI;
    return features.lookup("avx2") ? mlir::lq::Int8Dot::AVX2 : mlir::lq::Int8Dot::None;
  }();
  return dot;
}

llvm::Error lowerToLLVMDialect(ModuleOp module, const LoweringOptions &options) {
  registerRunPasses();
  bool hasLQ = false;
  module.walk([&](Operation *op) {
    if (isa<mlir::lq::LQDialect>(op->getDialect()))
      hasLQ = true;
    return hasLQ ? WalkResult::interrupt() : WalkResult::advance();
  });
  mlir::lq::CPULoweringOptions cpu;
  cpu.vectorize = options.strategy == LoweringStrategy::Fast;
  cpu.libraryDecode = options.compileTimeDecode;
  cpu.packed = options.packed;
  cpu.int8Dot = options.int8Dot;
  cpu.externalWeights = options.externalWeights;
  cpu.threads = options.threads;
  cpu.outlineLayers = options.outlineLayers;
  cpu.releasePackedSources = options.releaseWeights;
  cpu.tileM = options.tileM;
  cpu.tileN = options.tileN;
  cpu.tileK = options.tileK;
  for (const mlir::lq::LoweringStage &stage : mlir::lq::getCPULoweringStages(cpu)) {
    // Without lq ops, lq-expand (and its clean-up) and the packed kernels
    // have nothing to do.
    if ((stage.name == "lq-expand" || stage.name == "packed") && !hasLQ)
      continue;
    if (llvm::Error e = runPassPipeline(module, stage.name, stage.pipeline, options))
      return e;
    if (stage.name == "vectorize" && !options.dumpVectorized.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(options.dumpVectorized, ec);
      if (ec)
        return llvm::createStringError(ec, "cannot write '" + options.dumpVectorized + "'");
      module->print(os, OpPrintingFlags().elideLargeElementsAttrs(16).elideLargeResourceString(64));
    }
  }
  return llvm::Error::success();
}

llvm::Error lowerToGPU(ModuleOp module, const LoweringOptions &options) {
  registerRunPasses();
  // The model's entry points that are there: @forward (prefill,
  // perplexity) and @decode.
  SmallVector<StringRef, 2> functions;
  for (StringRef name : {"forward", "decode"})
    if (module.lookupSymbol<func::FuncOp>(name))
      functions.push_back(name);
  if (functions.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the module has neither @forward nor @decode");
  std::string pipeline =
      llvm::formatv("{0}{{functions={1} {2}}", kGPULoweringPipeline, llvm::join(functions, ","),
                    options.gpuOptions);
  PassManager pm(module.getContext());
  std::string parseErrors;
  llvm::raw_string_ostream parseOS(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, parseOS))) {
    if (!PassPipelineInfo::lookup(kGPULoweringPipeline) && !PassInfo::lookup(kGPULoweringPipeline))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     llvm::formatv("pipeline {0} is not registered",
                                                   kGPULoweringPipeline));
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   llvm::formatv("cannot parse '{0}': {1}", pipeline,
                                                 parseErrors));
  }
  return runPassPipeline(module, kGPULoweringPipeline, pipeline, options);
}

} // namespace lq::run
