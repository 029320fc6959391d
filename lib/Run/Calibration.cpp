//===- Calibration.cpp - Calibration statistics of linear layers ----------===//

#include "lq/Run/Calibration.h"

#include "lq/Run/Engine.h"
#include "lq/Runtime/Evaluate.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Numerics/ActRange.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>

using namespace mlir;

namespace lq::run {
using ::lq::runtime::secondsSince;

/// Calibration windows run concurrently and fill the cores: each worker's
/// kernels run on the worker alone.
static void kernelsOnOneThread() { setKernelThreads(1); }

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

ActivationStats::ActivationStats(int64_t n, bool gram)
    : n(n), withGram(gram), maxAbs(n, 0.0f),
      minVal(n, std::numeric_limits<float>::infinity()),
      maxVal(n, -std::numeric_limits<float>::infinity()),
      mutex(std::make_unique<std::mutex>()) {
  if (gram) {
    lower.assign(n * (n + 1) / 2, 0.0);
    hist.assign(n * ::lq::ActHistogram::kBins, 0.0f);
  }
}

void ActivationStats::add(const float *data, int64_t rows, int64_t rowStride,
                          int64_t colStride) {
  // A contiguous copy, so the inner loops below vectorize.
  std::vector<float> x(rows * n);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < n; ++c)
      x[r * n + c] = data[r * rowStride + c * colStride];

  // This call's X^T X in float (at most a context of rows), added to the
  // double total under the lock. Blocks of 4 rows of the result share each
  // load of an activation row.
  std::vector<float> g;
  if (withGram) {
    g.assign(n * n, 0.0f);
    constexpr int64_t B = 4;
    for (int64_t i0 = 0; i0 < n; i0 += B) {
      int64_t i1 = std::min(i0 + B, n);
      for (int64_t r = 0; r < rows; ++r) {
        const float *xr = &x[r * n];
        for (int64_t i = i0; i < i1; ++i) {
          float a = xr[i];
          float *gi = &g[i * n];
          for (int64_t j = 0; j < i1; ++j)
            gi[j] += a * xr[j];
        }
      }
    }
  }

  std::vector<float> localAbs(n, 0.0f), localMin(n, std::numeric_limits<float>::infinity()),
      localMax(n, -std::numeric_limits<float>::infinity());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < n; ++c) {
      float v = x[r * n + c];
      localAbs[c] = std::max(localAbs[c], std::fabs(v));
      localMin[c] = std::min(localMin[c], v);
      localMax[c] = std::max(localMax[c], v);
    }

  // Per-channel |x| histograms (the static activation ranges' statistic).
  std::vector<float> localHist;
  if (withGram) {
    const int B = ::lq::ActHistogram::kBins;
    localHist.assign(n * B, 0.0f);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < n; ++c)
        localHist[c * B + ::lq::ActHistogram::bin(std::fabs(x[r * n + c]))] += 1.0f;
  }

  std::lock_guard<std::mutex> lock(*mutex);
  numRows += rows;
  for (size_t i = 0; i < localHist.size(); ++i)
    hist[i] += localHist[i];
  for (int64_t c = 0; c < n; ++c) {
    maxAbs[c] = std::max(maxAbs[c], localAbs[c]);
    minVal[c] = std::min(minVal[c], localMin[c]);
    maxVal[c] = std::max(maxVal[c], localMax[c]);
  }
  if (withGram) {
    double *out = lower.data();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j)
        *out++ += g[i * n + j];
  }
}

std::vector<float> ActivationStats::gram() const {
  std::vector<float> full(n * n);
  const double *in = lower.data();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      float v = static_cast<float>(*in++);
      full[i * n + j] = full[j * n + i] = v;
    }
  return full;
}

namespace {
/// What the hooks write into while a calibration runs.
struct Recorder {
  std::vector<std::unique_ptr<ActivationStats>> inputs, outputs;
  std::atomic<bool> badCall{false};
};
std::atomic<Recorder *> activeRecorder{nullptr};

void record(std::vector<std::unique_ptr<ActivationStats>> &stats, int64_t id,
            const MemRef<float, 2> *x) {
  Recorder *r = activeRecorder.load();
  if (!r)
    return;
  if (id < 0 || id >= (int64_t)stats.size() || !stats[id] ||
      x->sizes[1] != stats[id]->size()) {
    r->badCall = true;
    return;
  }
  stats[id]->add(x->aligned + x->offset, x->sizes[0], x->strides[0], x->strides[1]);
}
} // namespace

// The hooks' C interfaces (lq-instrument-linears declares them with
// llvm.emit_c_interface).
extern "C" void lqRunRecordInput(int64_t id, MemRef<float, 2> *x) {
  if (Recorder *r = activeRecorder.load())
    record(r->inputs, id, x);
}
extern "C" void lqRunRecordOutput(int64_t id, MemRef<float, 2> *x) {
  if (Recorder *r = activeRecorder.load())
    record(r->outputs, id, x);
}

/// The logits of an instrumented @forward are never read: it returns zeros
/// instead, and whatever only fed them (the layers after the last recorded
/// linear, lm_head's product) is erased, so a calibration runs no further
/// than its hooks need. A @forward whose results do not have the shape of
/// its tokens (plus trailing static dimensions) is left whole.
static void skipUnrecorded(ModuleOp module) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.isExternal() || forward.getNumArguments() < 1 ||
      !forward.getBody().hasOneBlock())
    return;
  Value tokens = forward.getArgument(0);
  auto tokensType = dyn_cast<RankedTensorType>(tokens.getType());
  auto ret = dyn_cast<func::ReturnOp>(forward.getBody().front().getTerminator());
  if (!tokensType || !ret)
    return;
  for (Type t : ret.getOperandTypes()) {
    auto type = dyn_cast<RankedTensorType>(t);
    if (!type || !isa<FloatType>(type.getElementType()))
      return;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i) && (i >= tokensType.getRank() || !tokensType.isDynamicDim(i)))
        return;
  }
  OpBuilder b(ret);
  Location loc = ret.getLoc();
  SmallVector<Value> zeros;
  for (Type t : ret.getOperandTypes()) {
    auto type = cast<RankedTensorType>(t);
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i))
        sizes.push_back(tensor::DimOp::create(b, loc, tokens, i));
    Value empty = tensor::EmptyOp::create(b, loc, type, sizes);
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
    zeros.push_back(linalg::FillOp::create(b, loc, zero, empty).getResult(0));
  }
  ret->setOperands(zeros);
  // Erase what became dead, last op first so that chains go at once.
  Block &body = forward.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

namespace {
/// Where one linear's statistics come from in the instrumented copy.
struct LinearSlot {
  int64_t input = -1, output = -1;
  int64_t inDim = 0, outDim = 0;
};
} // namespace

namespace {
/// An instrumented copy of a module and the statistics its hooks fill.
struct Instrumented {
  OwningOpRef<ModuleOp> copy;
  llvm::StringMap<LinearSlot> slots;
  Recorder recorder;
};
} // namespace

/// Instruments a copy of `module` (lq-instrument-linears on @`function`,
/// on the linears whose role starts with one of `roles`, all when empty)
/// and sizes the recorder for its linears. Only @`function` runs: @decode
/// is not compiled, and what follows the last recorded linear is skipped.
static llvm::Expected<std::unique_ptr<Instrumented>>
instrument(ModuleOp module, llvm::StringRef function, llvm::ArrayRef<std::string> roles) {
  auto result = std::make_unique<Instrumented>();
  result->copy = module.clone();
  if (function != "decode")
    if (auto decode = result->copy->lookupSymbol<func::FuncOp>("decode"))
      decode.erase();
  MLIRContext *ctx = module.getContext();
  {
    std::string diagText;
    llvm::raw_string_ostream diagOS(diagText);
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
      diagOS << d << "\n";
      return success();
    });
    registerRunPasses();
    PassManager pm(ctx);
    mlir::lq::LQInstrumentLinearsOptions instrumentOptions;
    instrumentOptions.function = function.str();
    instrumentOptions.roles.assign(roles.begin(), roles.end());
    pm.addPass(mlir::lq::createLQInstrumentLinears(instrumentOptions));
    if (failed(pm.run(*result->copy)))
      return err("cannot instrument the model: " + diagText);
  }

  llvm::StringMap<LinearSlot> &slots = result->slots;
  int64_t numInputs = 0, numOutputs = 0;
  result->copy->walk([&](Operation *op) {
    auto role = op->getAttrOfType<StringAttr>("lq.role");
    auto in = op->getAttrOfType<IntegerAttr>("lq.calib_input");
    if (!role || !in)
      return;
    LinearSlot &s = slots[role.getValue()];
    s.input = in.getInt();
    s.inDim = cast<RankedTensorType>(op->getOperand(0).getType()).getDimSize(1);
    numInputs = std::max(numInputs, s.input + 1);
    if (auto out = op->getAttrOfType<IntegerAttr>("lq.calib_output")) {
      s.output = out.getInt();
      s.outDim = cast<RankedTensorType>(op->getResult(0).getType()).getDimSize(1);
      numOutputs = std::max(numOutputs, s.output + 1);
    }
  });
  for (auto &entry : slots)
    if (ShapedType::isDynamic(entry.second.inDim) ||
        (entry.second.output >= 0 && ShapedType::isDynamic(entry.second.outDim)))
      return err(llvm::formatv("linear '{0}' has a dynamic feature dimension",
                               entry.getKey()));

  skipUnrecorded(*result->copy); // after the slots: a recorded linear's own product may go

  Recorder &recorder = result->recorder;
  recorder.inputs.resize(numInputs);
  recorder.outputs.resize(numOutputs);
  for (auto &entry : slots) {
    const LinearSlot &s = entry.second;
    if (!recorder.inputs[s.input])
      recorder.inputs[s.input] = std::make_unique<ActivationStats>(s.inDim, /*gram=*/true);
    if (s.output >= 0 && !recorder.outputs[s.output])
      recorder.outputs[s.output] = std::make_unique<ActivationStats>(s.outDim, false);
  }
  return std::move(result);
}

/// The engine options that route the hooks to the active recorder.
static EngineOptions hookedEngineOptions(unsigned optLevel) {
  EngineOptions engineOptions;
  engineOptions.optLevel = optLevel;
  engineOptions.symbols["_mlir_ciface_lq_record_input"] =
      reinterpret_cast<void *>(&lqRunRecordInput);
  engineOptions.symbols["_mlir_ciface_lq_record_output"] =
      reinterpret_cast<void *>(&lqRunRecordOutput);
  return engineOptions;
}

/// Runs `body` with the hooks recording into `recorder`.
static llvm::Error recordWhile(Recorder &recorder, llvm::function_ref<llvm::Error()> body) {
  Recorder *expected = nullptr;
  if (!activeRecorder.compare_exchange_strong(expected, &recorder))
    return err("another calibration is running in this process");
  llvm::Error failed = body();
  activeRecorder.store(nullptr);
  if (failed)
    return failed;
  if (recorder.badCall)
    return err("a calibration hook was called with an unknown id or a wrong shape");
  return llvm::Error::success();
}

/// Attaches what `instrumented` recorded to the linears of `module`, by role
/// (in every function: the @decode copies of a linear share its weight and
/// must be quantized alike); lq.tokens is the rows each linear saw.
static int64_t attachStatistics(ModuleOp module, Instrumented &instrumented) {
  const llvm::StringMap<LinearSlot> &slots = instrumented.slots;
  Recorder &recorder = instrumented.recorder;
  Builder b(module.getContext());
  auto f32Vector = [&](const std::vector<float> &v) {
    return DenseElementsAttr::get(RankedTensorType::get({(int64_t)v.size()}, b.getF32Type()),
                                  llvm::ArrayRef<float>(v));
  };
  llvm::StringMap<NamedAttrList> attrs;
  // Linears reading one activation (q/k/v, gate/up) share one Hessian blob,
  // named after the first of them.
  llvm::DenseMap<int64_t, Attribute> hessians, histograms;
  std::vector<std::string> roles(slots.keys().begin(), slots.keys().end());
  llvm::sort(roles);
  for (const std::string &role : roles) {
    const LinearSlot &s = slots.find(role)->second;
    if (hessians.count(s.input))
      continue;
    std::vector<float> gram = recorder.inputs[s.input]->gram();
    auto gramType = RankedTensorType::get({s.inDim, s.inDim}, b.getF32Type());
    hessians[s.input] = mlir::lq::makeResource(gramType, "calib." + role + ".hessian",
                                               llvm::ArrayRef<float>(gram));
    const std::vector<float> &hist = recorder.inputs[s.input]->histogram();
    auto histType =
        RankedTensorType::get({s.inDim, ::lq::ActHistogram::kBins}, b.getF32Type());
    histograms[s.input] = mlir::lq::makeResource(histType, "calib." + role + ".act_hist",
                                                 llvm::ArrayRef<float>(hist));
  }
  for (auto &entry : slots) {
    const LinearSlot &s = entry.second;
    const ActivationStats &in = *recorder.inputs[s.input];
    NamedAttrList list;
    list.set("lq.hessian", hessians[s.input]);
    list.set("lq.act_absmax", f32Vector(in.absMax()));
    list.set("lq.act_hist", histograms[s.input]);
    list.set("lq.tokens", b.getI64IntegerAttr(in.rows()));
    if (s.output >= 0) {
      const ActivationStats &out = *recorder.outputs[s.output];
      list.set("lq.out_absmax", f32Vector(out.absMax()));
      list.set("lq.out_min", f32Vector(out.min()));
      list.set("lq.out_max", f32Vector(out.max()));
    }
    attrs[entry.getKey()] = std::move(list);
  }
  int64_t layers = 0;
  module.walk([&](Operation *op) {
    auto role = op->getAttrOfType<StringAttr>("lq.role");
    if (!role)
      return;
    auto it = attrs.find(role.getValue());
    if (it == attrs.end())
      return;
    for (NamedAttribute a : it->second)
      op->setAttr(a.getName(), a.getValue());
    ++layers;
  });
  return layers;
}

llvm::Expected<CalibrationSummary> calibrate(ModuleOp module, const ModelInfo &info,
                                             llvm::ArrayRef<int32_t> ids,
                                             const CalibrationOptions &options) {
  auto t0 = std::chrono::steady_clock::now();
  const int64_t W = options.windowLen;
  if (W < 1 || W > info.context)
    return err(llvm::formatv("window length {0} is outside [1, {1}] (the model's context)",
                             W, info.context));
  const int64_t available = (int64_t)ids.size() / W;
  if (available < 1)
    return err(llvm::formatv("the text has {0} tokens, fewer than one window of {1}",
                             ids.size(), W));
  const int64_t windows = std::min(available, options.windows);

  // Instrument a copy; the original only receives the attributes.
  auto instrumented = instrument(module, "forward", options.roles);
  if (!instrumented)
    return instrumented.takeError();
  Instrumented &ins = **instrumented;
  if (llvm::Error e = lowerToLLVMDialect(*ins.copy, options.lowering))
    return std::move(e);
  ModelInfo copyInfo = info;
  copyInfo.hasDecode = false; // only @forward is instrumented and run
  auto runner = ModelRunner::create(*ins.copy, copyInfo, hookedEngineOptions(options.optLevel));
  if (!runner)
    return runner.takeError();
  ins.copy = nullptr; // compiled; only the original module receives attributes
  if (options.progress)
    *options.progress << llvm::formatv("calibration: {0} linears, {1} recorded inputs; "
                                       "compiled in {2:f2} s\n",
                                       ins.slots.size(), ins.recorder.inputs.size(),
                                       secondsSince(t0));

  if (llvm::Error e = recordWhile(ins.recorder, [&] {
        return runtime::forEachWindow(
            windows, W, options.threads, options.progress,
            [&](int64_t w) -> llvm::Error {
              std::vector<float> logits;
              return (*runner)->forward(ids.slice(w * W, W), logits);
            },
            kernelsOnOneThread);
      }))
    return std::move(e);

  const int64_t tokens = windows * W;
  for (auto &stats : {&ins.recorder.inputs, &ins.recorder.outputs})
    for (auto &s : *stats)
      if (s && s->rows() != tokens)
        return err(llvm::formatv("a calibration hook saw {0} rows, expected {1} "
                                 "(is a linear inside a loop or a branch?)",
                                 s ? s->rows() : 0, tokens));

  CalibrationSummary summary;
  summary.layers = attachStatistics(module, ins);
  summary.windows = windows;
  summary.tokens = tokens;
  summary.seconds = secondsSince(t0);
  return summary;
}

llvm::Expected<CalibrationSummary>
calibrateFunction(ModuleOp module, const FunctionSignature &sig,
                  llvm::ArrayRef<std::vector<HostTensor>> samples,
                  const CalibrationOptions &options) {
  auto t0 = std::chrono::steady_clock::now();
  if (samples.empty())
    return err("no calibration samples");
  auto instrumented = instrument(module, sig.name, options.roles);
  if (!instrumented)
    return instrumented.takeError();
  Instrumented &ins = **instrumented;
  prepareForCall(*ins.copy, sig);
  if (llvm::Error e = lowerToLLVMDialect(*ins.copy, options.lowering))
    return std::move(e);
  auto runner = FunctionRunner::create(*ins.copy, sig, hookedEngineOptions(options.optLevel));
  if (!runner)
    return runner.takeError();
  ins.copy = nullptr;
  if (options.progress)
    *options.progress << llvm::formatv("calibration of @{0}: {1} linears; compiled in "
                                       "{2:f2} s\n",
                                       sig.name, ins.slots.size(), secondsSince(t0));
  if (llvm::Error e = recordWhile(ins.recorder, [&] {
        return runtime::forEachWindow(
            (int64_t)samples.size(), 1, options.threads, options.progress,
            [&](int64_t i) -> llvm::Error {
              auto results = (*runner)->call(samples[i]);
              return results ? llvm::Error::success() : results.takeError();
            },
            kernelsOnOneThread);
      }))
    return std::move(e);
  for (auto &s : ins.recorder.inputs)
    if (!s || s->rows() == 0)
      return err(llvm::formatv("a linear of @{0} was not reached by any sample "
                               "(inside a branch?)",
                               sig.name));

  CalibrationSummary summary;
  summary.layers = attachStatistics(module, ins);
  summary.windows = (int64_t)samples.size();
  summary.tokens = ins.recorder.inputs.front()->rows();
  summary.seconds = secondsSince(t0);
  return summary;
}

} // namespace lq::run

//===----------------------------------------------------------------------===//
// Sequential calibration
//===----------------------------------------------------------------------===//

namespace lq::run {

llvm::Expected<std::vector<std::vector<std::string>>>
sequentialSteps(ModuleOp module, SequentialGranularity granularity) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.isExternal())
    return err("sequential calibration needs @forward with a body");
  // Steps keyed by layer (or by the role of a linear outside the layers) or
  // by the activation read, in order of first appearance.
  std::vector<std::vector<std::string>> steps;
  llvm::StringMap<size_t> byKey;
  llvm::DenseMap<Value, size_t> byInput;
  llvm::StringSet<> seen;
  forward.walk([&](Operation *op) {
    auto role = op->getAttrOfType<StringAttr>("lq.role");
    if (!role || op->getNumOperands() < 1 || !seen.insert(role.getValue()).second)
      return;
    size_t step = steps.size();
    if (granularity == SequentialGranularity::Layer) {
      StringRef key = role.getValue();
      if (key.starts_with("layers.")) {
        StringRef index = key.drop_front(7).split('.').first;
        if (!index.empty() && llvm::all_of(index, llvm::isDigit))
          key = key.take_front(7 + index.size());
      }
      step = byKey.try_emplace(key, steps.size()).first->second;
    } else {
      step = byInput.try_emplace(op->getOperand(0), steps.size()).first->second;
    }
    if (step == steps.size())
      steps.emplace_back();
    steps[step].push_back(role.getValue().str());
  });
  if (steps.empty())
    return err("sequential calibration: no linear of @forward carries an lq.role");
  return steps;
}

/// Parses the lq-quantize-weights pipeline for `roles`; errors name the
/// option text.
static llvm::Error parseQuantizeWeights(PassManager &pm, llvm::StringRef options,
                                        llvm::ArrayRef<std::string> roles) {
  std::string text = "lq-quantize-weights{" + options.str();
  if (!roles.empty())
    text += " roles=" + llvm::join(roles, ",");
  text += "}";
  std::string message;
  llvm::raw_string_ostream os(message);
  if (failed(parsePassPipeline(text, pm, os)))
    return err(llvm::formatv("bad lq-quantize-weights options '{0}': {1}", options,
                             llvm::StringRef(message).trim()));
  return llvm::Error::success();
}

/// Runs `pm` on `module`; remarks go to `progress`, errors into the result.
static llvm::Error runReporting(PassManager &pm, ModuleOp module, llvm::raw_ostream *progress) {
  std::string errors;
  llvm::raw_string_ostream errorOS(errors);
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error)
      errorOS << d << "\n";
    else if (progress)
      *progress << d.getLocation() << ": "
                << (d.getSeverity() == DiagnosticSeverity::Remark ? "remark: " : "warning: ") << d
                << "\n";
    return success();
  });
  if (failed(pm.run(module)))
    return err(errors.empty() ? "the pass failed" : llvm::StringRef(errors).rtrim());
  return llvm::Error::success();
}

llvm::Expected<CalibrationSummary>
calibrateSequential(ModuleOp module, const ModelInfo &info, llvm::ArrayRef<int32_t> ids,
                    const CalibrationOptions &options, const SequentialOptions &sequential) {
  auto t0 = std::chrono::steady_clock::now();
  MLIRContext *ctx = module.getContext();
  registerRunPasses();
  for (llvm::StringRef token : llvm::split(sequential.quantizeWeights, ' '))
    if (token.trim().starts_with("roles"))
      return err("sequential calibration chooses the roles of each step itself; drop 'roles' "
                 "from the lq-quantize-weights options");
  // The options are checked once, up front, on an empty module, so that a
  // bad one fails before any calibration runs.
  {
    PassManager pm = PassManager::on<ModuleOp>(ctx);
    if (llvm::Error e = parseQuantizeWeights(pm, sequential.quantizeWeights, {}))
      return std::move(e);
    OwningOpRef<ModuleOp> empty = ModuleOp::create(UnknownLoc::get(ctx));
    if (llvm::Error e = runReporting(pm, *empty, nullptr))
      return err("lq-quantize-weights{" + sequential.quantizeWeights +
                 "}: " + llvm::toString(std::move(e)));
  }
  auto steps = sequentialSteps(module, sequential.granularity);
  if (!steps)
    return steps.takeError();

  CalibrationSummary summary;
  llvm::raw_ostream *progress = options.progress;
  for (auto [i, roles] : llvm::enumerate(*steps)) {
    if (progress) {
      *progress << llvm::formatv("step {0}/{1}: {2}\n", i + 1, steps->size(),
                                 llvm::join(roles, " "));
      progress->flush();
    }
    auto tStep = std::chrono::steady_clock::now();
    CalibrationOptions stepOptions = options;
    stepOptions.roles = roles;
    stepOptions.progress = nullptr;
    auto stats = calibrate(module, info, ids, stepOptions);
    if (!stats)
      return stats.takeError();
    double recorded = secondsSince(tStep);
    auto tQuantize = std::chrono::steady_clock::now();
    PassManager pm = PassManager::on<ModuleOp>(ctx);
    if (llvm::Error e = parseQuantizeWeights(pm, sequential.quantizeWeights, roles))
      return std::move(e);
    if (llvm::Error e = runReporting(pm, module, progress))
      return err(llvm::formatv("quantizing step {0} ({1}): {2}", i + 1, llvm::join(roles, " "),
                               llvm::toString(std::move(e))));
    summary.layers += stats->layers;
    summary.windows = stats->windows;
    summary.tokens = stats->tokens;
    if (progress) {
      *progress << llvm::formatv("  recorded {0} tokens in {1:f1} s, quantized in {2:f1} s; "
                                 "elapsed {3:f1} s\n",
                                 stats->tokens, recorded, secondsSince(tQuantize),
                                 secondsSince(t0));
      progress->flush();
    }
  }
  summary.seconds = secondsSince(t0);
  return summary;
}

} // namespace lq::run
