//===- Compare.cpp - quant-run compare ----------------------------------------===//
//
// Runs one function of a (quantized) module and of the float module it came
// from on the same inputs and reports, per result, the largest absolute
// difference and the relative error ||q - f|| / ||f|| over all samples:
// what quantization cost, for any function of f32 tensors.
//
//===----------------------------------------------------------------------===//
#include "QuantRun.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace quant_run {

/// A module compiled for calling @`sig.name`, with the context that holds
/// its weights (the compiled code reads them there).
struct CompiledFunction {
  LoadedModel model;
  std::unique_ptr<FunctionRunner> runner;
  FunctionRunner *operator->() const { return runner.get(); }
};

static Expected<CompiledFunction> compileFunction(StringRef path, StringRef function,
                                                  FunctionSignature &sig) {
  auto m = loadModule(path);
  if (!m)
    return m.takeError();
  auto found = readSignature(*m->module, function);
  if (!found)
    return usage(formatv("{0}: {1}", path, toString(found.takeError())));
  sig = *found;
  prepareForCall(*m->module, sig);
  auto options = loweringOptions();
  if (!options)
    return options.takeError();
  auto t0 = std::chrono::steady_clock::now();
  if (Error e = lowerToLLVMDialect(*m->module, *options))
    return std::move(e);
  EngineOptions engineOptions;
  engineOptions.optLevel = OptLevel;
  engineOptions.objectCache = objectCacheDir();
  auto runner = FunctionRunner::create(*m->module, sig, engineOptions);
  if (!runner)
    return runner.takeError();
  errs() << formatv("{0}: compiled @{1} in {2:f2} s\n", path, sig.name, secondsSince(t0));
  return CompiledFunction{std::move(*m), std::move(*runner)};
}

int runCompare() {
  if (FloatPath.empty())
    return fail(usage("compare needs --float <the float module>"));
  if (InputsPath.empty() && Samples < 1) // before minutes of compiling
    return fail(usage("--samples must be positive"));
  FunctionSignature sig, floatSig;
  auto quantized = compileFunction(ModelPath, FunctionName, sig);
  if (!quantized)
    return fail(quantized.takeError());
  auto reference = compileFunction(FloatPath, sig.name, floatSig);
  if (!reference)
    return fail(reference.takeError());
  if (floatSig.args != sig.args || floatSig.results != sig.results)
    return fail(usage(formatv("@{0} has another signature in '{1}'", sig.name, FloatPath)));
  auto samples = functionInputs(sig);
  if (!samples)
    return fail(samples.takeError());

  struct Error2 {
    double maxDiff = 0, maxRef = 0, diff2 = 0, ref2 = 0;
    std::vector<int64_t> shape;
  };
  std::vector<Error2> errors(sig.results.size());
  for (const std::vector<HostTensor> &args : *samples) {
    auto q = (*quantized)->call(args);
    if (!q)
      return fail(q.takeError());
    auto f = (*reference)->call(args);
    if (!f)
      return fail(f.takeError());
    for (size_t r = 0; r < errors.size(); ++r) {
      const HostTensor &a = (*q)[r], &b = (*f)[r];
      if (a.shape != b.shape)
        return fail(usage(formatv("result {0} has another shape in the two modules", r)));
      Error2 &e = errors[r];
      e.shape = a.shape;
      for (size_t i = 0; i < a.data.size(); ++i) {
        double d = (double)a.data[i] - b.data[i];
        if (!std::isfinite(d))
          return fail(usage(formatv("result {0}: a non-finite value", r)));
        e.maxDiff = std::max(e.maxDiff, std::fabs(d));
        e.maxRef = std::max(e.maxRef, std::fabs((double)b.data[i]));
        e.diff2 += d * d;
        e.ref2 += (double)b.data[i] * b.data[i];
      }
    }
  }
  outs() << formatv("@{0}: {1} samples\n", sig.name, samples->size());
  for (auto [r, e] : llvm::enumerate(errors)) {
    std::string shape;
    for (int64_t d : e.shape)
      shape += (shape.empty() ? "" : "x") + std::to_string(d);
    outs() << formatv("result {0} [{1}]: max |diff| {2:e3}, relative error {3:e3}, "
                      "max |float| {4:e3}\n",
                      r, shape, e.maxDiff, e.ref2 > 0 ? std::sqrt(e.diff2 / e.ref2) : 0.0,
                      e.maxRef);
  }
  return 0;
}

} // namespace quant_run
