//===- FPTLearning.cpp - FPTQuant's transforms learned per layer ----------===//
//
// The rows come from the float model on every layer (not the quantized
// earlier layers, as --sequential would): each transform's loss is local to
// its linear, and one pass of the reference transformer over the windows
// gives every layer's rows at once.
//
//===----------------------------------------------------------------------===//

#include "lq/Run/FPTLearning.h"

#include "lq/Fitting/FPTLearn.h"
#include "lq/Model/Transformer.h"
#include "lq/Run/ModelModule.h"
#include "lq/Runtime/Evaluate.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"

#include <chrono>
#include <cmath>
#include <mutex>

using namespace mlir;

namespace lq::run {
using ::lq::runtime::secondsSince;

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<FPTLearningOptions> FPTLearningOptions::parse(llvm::StringRef text) {
  FPTLearningOptions o;
  llvm::SmallVector<llvm::StringRef> items;
  text.split(items, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef item : items) {
    llvm::StringRef key = item.split('=').first, value = item.split('=').second;
    auto integer = [&](int64_t &out, int64_t lo, int64_t hi) -> llvm::Error {
      if (value.getAsInteger(10, out) || out < lo || out > hi)
        return err(llvm::formatv("--fpt-learn: {0} takes an integer in [{1}, {2}], got '{3}'",
                                 key, lo, hi, value));
      return llvm::Error::success();
    };
    auto flag = [&](bool &out) -> llvm::Error {
      if (value != "0" && value != "1" && value != "true" && value != "false")
        return err(llvm::formatv("--fpt-learn: {0} takes 0 or 1, got '{1}'", key, value));
      out = value == "1" || value == "true";
      return llvm::Error::success();
    };
    llvm::Error e = llvm::Error::success();
    if (key == "windows") {
      e = integer(o.windows, 1, 1 << 20);
    } else if (key == "rows") {
      e = integer(o.rows, 1, 1 << 24);
    } else if (key == "steps") {
      e = integer(o.steps, 0, 1 << 20);
    } else if (key == "group") {
      e = integer(o.group, 0, 1 << 20);
    } else if (key == "bits") {
      int64_t bits = o.bits;
      e = integer(bits, 2, 8);
      o.bits = unsigned(bits);
    } else if (key == "weight-bits") {
      int64_t bits = o.weightBits;
      e = integer(bits, 2, 16);
      o.weightBits = unsigned(bits);
    } else if (key == "lr") {
      if (value.getAsDouble(o.lr) || !(o.lr > 0) || !(o.lr <= 1))
        return err(llvm::formatv("--fpt-learn: lr takes a number in (0, 1], got '{0}'", value));
    } else if (key == "validation") {
      if (value.getAsDouble(o.validation) || !(o.validation >= 0) || !(o.validation < 1))
        return err(llvm::formatv("--fpt-learn: validation takes a number in [0, 1), got '{0}'",
                                 value));
    } else if (key == "mlp") {
      e = flag(o.mlp);
    } else if (key == "value") {
      e = flag(o.value);
    } else if (key == "relative") {
      e = flag(o.relative);
    } else if (key == "down-rotation") {
      e = flag(o.downRotation);
    } else if (key == "static") {
      e = flag(o.staticRanges);
    } else {
      return err(llvm::formatv("--fpt-learn: unknown option '{0}' (windows, rows, steps, lr, "
                               "validation, mlp, value, relative, down-rotation, static, bits, "
                               "weight-bits, group)",
                               item));
    }
    if (e)
      return std::move(e);
  }
  if (!o.mlp && !o.value)
    return err("--fpt-learn: mlp=0 and value=0 leave nothing to learn (mlp is off by default)");
  return o;
}

llvm::Expected<FPTLearningSummary> learnFPT(ModuleOp module, llvm::ArrayRef<int32_t> ids,
                                            int64_t windowLen, const FPTLearningOptions &options,
                                            llvm::raw_ostream *progress) {
  auto t0 = std::chrono::steady_clock::now();
  auto checkpoint = readCheckpoint(module, /*decodeQuantized=*/false, "the module");
  if (!checkpoint)
    return err("--fpt-learn: " + llvm::toString(checkpoint.takeError()));
  ::lq::Transformer model(*checkpoint);
  const ::lq::LlamaConfig &c = model.config();
  const int64_t L = c.nLayers, D = c.dim, H = c.hiddenDim, hd = c.headDim();
  const int64_t group = c.nHeads / c.nKVHeads;
  if (windowLen < 1 || windowLen > c.maxSeqLen)
    return err(llvm::formatv("--fpt-learn: window length {0} is outside [1, {1}]", windowLen,
                             c.maxSeqLen));
  const int64_t windows = std::min<int64_t>(options.windows, (int64_t)ids.size() / windowLen);
  if (windows < 1)
    return err(llvm::formatv("--fpt-learn: the text has {0} tokens, fewer than one window of {1}",
                             ids.size(), windowLen));
  if (options.downRotation && (H & -H) < 2)
    return err(llvm::formatv("--fpt-learn: down-rotation needs an even hidden width, got {0}", H));

  // Every stride-th token of the windows, for each layer's o and down input.
  const int64_t tokens = windows * windowLen;
  const int64_t stride = std::max<int64_t>(1, (tokens + options.rows - 1) / options.rows);
  std::vector<std::vector<float>> oRows(L), downRows(L);
  for (int64_t w = 0; w < windows; ++w) {
    auto x = model.embed(ids.slice(w * windowLen, windowLen));
    if (!x)
      return err("--fpt-learn: " + llvm::toString(x.takeError()));
    model.runLayers(*x, 0, L, nullptr,
                    [&](int64_t l, ::lq::Transformer::LinearInput which, const float *rows,
                        int64_t T) {
                      bool isDown = which == ::lq::Transformer::LinearInput::Down;
                      int64_t width = isDown ? H : D;
                      std::vector<float> &out = isDown ? downRows[l] : oRows[l];
                      for (int64_t t = 0; t < T; ++t)
                        if ((w * windowLen + t) % stride == 0)
                          out.insert(out.end(), rows + t * width, rows + (t + 1) * width);
                    });
  }
  const int64_t rows = (int64_t)downRows[0].size() / H;
  if (progress)
    *progress << llvm::formatv("fpt-learn: {0} layers, {1} rows (every {2}. token of {3} windows "
                               "of {4}), {5} Adam steps, lr {6:e2}{7}{8}\n",
                               L, rows, stride, windows, windowLen, options.steps, options.lr,
                               options.relative ? ", relative loss" : "",
                               options.staticRanges ? ", static activation ranges" : "");

  ::lq::ChannelScaleOptions adam;
  adam.steps = options.steps;
  adam.learningRate = options.lr;
  adam.validationFraction = options.validation;
  // One problem per transform, learned in parallel (each is single-threaded).
  struct Job {
    int64_t layer;
    bool isMLP;
    std::string role;
    ::lq::ChannelScaleProblem problem;
    ::lq::ChannelScaleResult result;
    double seconds = 0;
  };
  std::vector<Job> jobs;
  for (int64_t l = 0; l < L; ++l)
    for (bool isMLP : {false, true}) {
      if (isMLP ? !options.mlp : !options.value)
        continue;
      Job job{l, isMLP,
              llvm::formatv("layers.{0}.{1}", l, isMLP ? "mlp.down" : "attn.o").str(), {}, {}};
      ::lq::ChannelScaleProblem &p = job.problem;
      const ::lq::Tensor &weight = checkpoint->weights.get(::lq::names::layer(
          l, isMLP ? ::lq::names::LayerTensor::Down : ::lq::names::LayerTensor::O));
      p.inputs = isMLP ? downRows[l].data() : oRows[l].data();
      p.rows = rows;
      p.cols = isMLP ? H : D;
      p.weight = weight.data.data();
      p.out = D;
      p.actBits = options.bits;
      p.actStatic = options.staticRanges;
      p.weightBits = options.weightBits;
      p.weightGroup = options.group;
      p.relative = options.relative;
      if (isMLP && options.downRotation)
        p.hadamardBlock = H & -H;
      if (!isMLP) // value channel (kv head, d) is read by every query head of its group
        for (int64_t j = 0; j < D; ++j)
          p.tie.push_back((j / hd / group) * hd + j % hd);
      jobs.push_back(std::move(job));
    }
  std::mutex printing;
  llvm::parallelFor(0, jobs.size(), [&](size_t i) {
    Job &job = jobs[i];
    auto tJob = std::chrono::steady_clock::now();
    job.result =
        ::lq::learnChannelScales(job.problem, ::lq::closedFormLogScales(job.problem), adam);
    job.seconds = secondsSince(tJob);
    if (progress) {
      const ::lq::ChannelScaleResult &r = job.result;
      std::lock_guard<std::mutex> lock(printing);
      *progress << llvm::formatv(
          "fpt-learn: layer {0}/{1} {2}: loss {3:e3} -> {4:e3} ({5:f2} %), best step {6} in "
          "{7:f1} s; elapsed {8:f1} s\n",
          job.layer + 1, L, job.isMLP ? "mlp" : "value", r.initialLoss, r.loss,
          100.0 * (r.loss - r.initialLoss) / r.initialLoss, r.bestStep, job.seconds,
          secondsSince(t0));
      progress->flush();
    }
  });

  FPTLearningSummary summary;
  Builder b(module.getContext());
  for (Job &job : jobs) {
    const ::lq::ChannelScaleResult &r = job.result;
    std::vector<float> scales;
    for (double v : r.logScales)
      scales.push_back((float)std::exp(v));
    auto attr = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)scales.size()}, b.getF32Type()),
        llvm::ArrayRef<float>(scales));
    module.walk([&](Operation *op) {
      auto role = op->getAttrOfType<StringAttr>("lq.role");
      if (role && role.getValue() == job.role)
        op->setAttr("lq.fpt_scale", attr);
    });
    summary.transforms.push_back({job.layer, job.isMLP, r.initialLoss, r.loss, r.bestStep});
  }
  summary.windows = windows;
  summary.rows = rows;
  summary.seconds = secondsSince(t0);
  return summary;
}

} // namespace lq::run
