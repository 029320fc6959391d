//===- Calibrate.cpp - quant-run calibrate ----------------------------------===//

#include "QuantRun.h"

#include "lq/Run/Calibration.h"
#include "lq/Run/FPTLearning.h"
#include "lq/Run/KVReconstruction.h"
#include "mlir/Bytecode/BytecodeWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

namespace quant_run {

/// Writes the calibrated module to -o, whole or not at all.
static int writeCalibrated(mlir::ModuleOp module) {
  std::error_code ec;
  ToolOutputFile out(OutputPath, ec, EmitText ? sys::fs::OF_Text : sys::fs::OF_None);
  if (ec)
    return fail(usage(formatv("cannot write '{0}': {1}", OutputPath, ec.message())));
  if (EmitText) {
    module.print(out.os());
  } else if (failed(mlir::writeBytecodeToFile(module, out.os()))) {
    return fail(usage("cannot serialize the calibrated module"));
  }
  out.os().flush();
  if (out.os().has_error())
    return fail(usage(formatv("error writing '{0}'", OutputPath)));
  out.keep();
  return 0;
}

/// A module without lq.model (exported model IR after lq-import-linalg):
/// one function run on --inputs or random samples.
static int calibrateFunction(LoadedModel &m, StringRef path) {
  auto t0 = std::chrono::steady_clock::now();
  auto sig = readSignature(*m.module, FunctionName);
  if (!sig)
    return fail(usage(formatv("{0}: {1}", path, toString(sig.takeError()))));
  auto samples = functionInputs(*sig);
  if (!samples)
    return fail(samples.takeError());
  auto options = loweringOptions();
  if (!options)
    return fail(options.takeError());
  CalibrationOptions calib;
  calib.threads = threadCount();
  calib.lowering = *options;
  calib.optLevel = OptLevel;
  calib.progress = &errs();
  auto stats = lq::run::calibrateFunction(*m.module, *sig, *samples, calib);
  if (!stats)
    return fail(stats.takeError());
  if (int status = writeCalibrated(*m.module))
    return status;
  errs() << formatv("calibrated {0} linear layers of @{1} on {2} samples; wrote {3}; "
                    "total {4:f2} s\n",
                    stats->layers, sig->name, stats->windows, OutputPath, secondsSince(t0));
  return 0;
}

int runCalibrate() {
  if (OutputPath.empty())
    return fail(usage("calibrate needs -o <output module>"));
  if (CalibWindows < 1)
    return fail(usage("--windows must be positive"));
  SequentialOptions sequential;
  sequential.quantizeWeights = Sequential;
  if (SequentialSteps == "layer")
    sequential.granularity = SequentialGranularity::Layer;
  else if (SequentialSteps == "linear")
    sequential.granularity = SequentialGranularity::Linear;
  else
    return fail(usage(formatv("--sequential-steps must be 'layer' or 'linear', not '{0}'",
                              SequentialSteps)));
  if (SequentialSteps.getNumOccurrences() && Sequential.getNumOccurrences() == 0)
    return fail(usage("--sequential-steps needs --sequential"));
  std::optional<lq::run::KVReconstructionOptions> kvReconstruct;
  if (KVReconstruct.getNumOccurrences()) {
    if (Sequential.getNumOccurrences())
      return fail(usage("--kv-reconstruct tunes on the float weights; it does not combine with "
                        "--sequential (which quantizes them)"));
    auto parsed = lq::run::KVReconstructionOptions::parse(KVReconstruct);
    if (!parsed)
      return fail(usage(toString(parsed.takeError())));
    kvReconstruct = std::move(*parsed);
  }
  std::optional<lq::run::FPTLearningOptions> fptLearn;
  if (FPTLearn.getNumOccurrences()) {
    if (Sequential.getNumOccurrences())
      return fail(usage("--fpt-learn learns on the float weights; it does not combine with "
                        "--sequential (which quantizes them)"));
    auto parsed = lq::run::FPTLearningOptions::parse(FPTLearn);
    if (!parsed)
      return fail(usage(toString(parsed.takeError())));
    fptLearn = std::move(*parsed);
  }
  // A module without lq.model (or with --function / --inputs) is calibrated
  // on its function's inputs instead of @forward over a text.
  auto loaded = loadModule(ModelPath);
  if (!loaded)
    return fail(loaded.takeError());
  if (!FunctionName.empty() || !InputsPath.empty() || !(*loaded->module)->hasAttr("lq.model")) {
    if (Sequential.getNumOccurrences() || kvReconstruct || fptLearn)
      return fail(usage(formatv("--{0} calibrates a model's @forward over a text, not a "
                                "function over inputs",
                                kvReconstruct ? "kv-reconstruct"
                                : fptLearn    ? "fpt-learn"
                                              : "sequential")));
    return calibrateFunction(*loaded, ModelPath);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto ids = inputIds();
  if (!ids)
    return fail(ids.takeError());
  LoadedModel *m = &*loaded;
  if (Error e = checkModelInfo(*m, ModelPath))
    return fail(std::move(e));
  if (!m->info.hasForward)
    return fail(usage(formatv("{0}: calibrate needs @forward", ModelPath)));
  auto options = loweringOptions();
  if (!options)
    return fail(options.takeError());

  CalibrationOptions calib;
  calib.windowLen = windowLength(m->info);
  calib.windows = CalibWindows;
  calib.threads = threadCount();
  calib.lowering = *options;
  calib.optLevel = OptLevel;
  calib.progress = &errs();
  auto stats = Sequential.getNumOccurrences()
                   ? calibrateSequential(*m->module, m->info, *ids, calib, sequential)
                   : calibrate(*m->module, m->info, *ids, calib);
  if (!stats)
    return fail(stats.takeError());
  if (kvReconstruct) {
    auto tuned = lq::run::reconstructKV(*m->module, *ids, calib.windowLen, *kvReconstruct,
                                        &errs());
    if (!tuned)
      return fail(tuned.takeError());
    errs() << formatv("kv-reconstruct: tuned {0} layers on {1} tokens in {2:f2} s\n",
                      tuned->layers.size(), tuned->tokens, tuned->seconds);
  }
  if (fptLearn) {
    auto learned = lq::run::learnFPT(*m->module, *ids, calib.windowLen, *fptLearn, &errs());
    if (!learned)
      return fail(learned.takeError());
    errs() << formatv("fpt-learn: learned {0} transforms on {1} rows in {2:f2} s\n",
                      learned->transforms.size(), learned->rows, learned->seconds);
  }

  if (int status = writeCalibrated(*m->module))
    return status;
  errs() << formatv("calibrated {0}{1} linear layers on {2} tokens ({3} windows of {4}); "
                    "wrote {5}; total {6:f2} s\n",
                    Sequential.getNumOccurrences() ? "and quantized " : "", stats->layers,
                    stats->tokens, stats->windows, calib.windowLen, OutputPath,
                    secondsSince(t0));
  return 0;
}

} // namespace quant_run
