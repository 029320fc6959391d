//===- KVReconstruction.cpp - WKVQuant's cross-block reconstruction -------===//
//
// A candidate's loss runs two layers of the reference transformer on a few
// windows: the layers' weights are float here (lq-quantize-weights comes
// later in the pipelines), the KV quantization is a few lines of C++
// (lq::fakeQuantizeKV, the arithmetic of the compiled ops), and a JIT-compiled
// module would need a recompilation, or a hook per candidate and the whole
// model per evaluation.
//
//===----------------------------------------------------------------------===//

#include "lq/Run/KVReconstruction.h"
#include "lq/Run/ModelModule.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Model/Transformer.h"
#include "lq/Runtime/Evaluate.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <array>
#include <chrono>
#include <cmath>
#include <map>

using namespace mlir;

namespace lq::run {
using ::lq::runtime::secondsSince;

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Parses a comma-separated list of numbers in [lo, hi] (lo excluded when
/// `openLo`), which `interval` writes out.
static llvm::Expected<std::vector<double>> parseGrid(llvm::StringRef key, llvm::StringRef text,
                                                     double lo, bool openLo, double hi,
                                                     llvm::StringRef interval) {
  std::vector<double> grid;
  for (llvm::StringRef item : llvm::split(text, ',')) {
    double v;
    if (item.trim().getAsDouble(v) || !(openLo ? v > lo : v >= lo) || !(v <= hi))
      return err(llvm::formatv("--kv-reconstruct: {0} takes numbers in {1}, got '{2}'", key,
                               interval, item));
    grid.push_back(v);
  }
  return grid;
}

llvm::Expected<KVReconstructionOptions> KVReconstructionOptions::parse(llvm::StringRef text) {
  KVReconstructionOptions o;
  llvm::SmallVector<llvm::StringRef> items;
  text.split(items, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef item : items) {
    llvm::StringRef key = item.split('=').first, value = item.split('=').second;
    auto positive = [&](int64_t &out, int64_t max) -> llvm::Error {
      if (value.getAsInteger(10, out) || out < 1 || out > max)
        return err(llvm::formatv("--kv-reconstruct: {0} takes an integer in [1, {1}], got '{2}'",
                                 key, max, value));
      return llvm::Error::success();
    };
    if (key == "windows") {
      if (llvm::Error e = positive(o.windows, 1 << 20))
        return std::move(e);
    } else if (key == "sweeps") {
      if (llvm::Error e = positive(o.sweeps, 16))
        return std::move(e);
    } else if (key == "bits") {
      int64_t bits;
      if (value.getAsInteger(10, bits) || (bits != 2 && bits != 4 && bits != 8))
        return err(llvm::formatv("--kv-reconstruct: bits must be 2, 4 or 8, got '{0}'", value));
      o.bits = bits;
    } else if (key == "clip") {
      auto grid = parseGrid(key, value, 0.0, /*openLo=*/true, 1.0, "(0, 1]");
      if (!grid)
        return grid.takeError();
      o.clips = std::move(*grid);
    } else if (key == "smooth") {
      if (value == "none") {
        o.smooths.clear();
        continue;
      }
      auto grid = parseGrid(key, value, 0.0, /*openLo=*/false, 1.0, "[0, 1]");
      if (!grid)
        return grid.takeError();
      o.smooths = std::move(*grid);
    } else {
      return err(llvm::formatv("--kv-reconstruct: unknown option '{0}' (windows, clip, smooth, "
                               "sweeps, bits)",
                               item));
    }
  }
  return o;
}

namespace {
/// The search state of one layer: the calibrated ranges, the channel scales
/// per exponent and the losses already measured.
struct LayerSearch {
  const ::lq::Transformer &model;
  int64_t layer, span, bits, kvDim;
  std::optional<::lq::RopePairing> rope;
  bool smoothing;
  std::vector<double> absmax[2]; // values, keys
  std::map<std::pair<bool, double>, std::vector<float>> scales;
  std::map<std::array<double, 4>, double> losses;
  const std::vector<std::vector<float>> &inputs, &targets;

  const float *channelScale(bool keys, double smooth) {
    if (!smoothing)
      return nullptr;
    auto [it, inserted] = scales.try_emplace({keys, smooth});
    if (inserted) {
      const ::lq::LlamaConfig &c = model.config();
      std::vector<double> s = ::lq::kvChannelScales(absmax[keys], c.nKVHeads, c.headDim(), rope,
                                                    keys, smooth);
      it->second.assign(s.begin(), s.end()); // f32, as the module holds them
    }
    return it->second.data();
  }

  /// Quantizes this layer's keys and values as lq-quantize-kv will.
  void quantize(const ::lq::KVQuantParams &k, const ::lq::KVQuantParams &v, int64_t l, bool keys,
                float *rows, int64_t T) {
    if (l != layer)
      return;
    const ::lq::KVQuantParams &p = keys ? k : v;
    ::lq::fakeQuantizeKV(rows, T, kvDim, channelScale(keys, p.smooth), bits, (float)p.clip);
  }

  /// Mean |y - target| of the layers [layer, layer + span) over the windows.
  double loss(const ::lq::KVQuantParams &k, const ::lq::KVQuantParams &v) {
    std::array<double, 4> key = {k.clip, k.smooth, v.clip, v.smooth};
    if (auto it = losses.find(key); it != losses.end())
      return it->second;
    double sum = 0;
    int64_t n = 0;
    for (size_t w = 0; w < inputs.size(); ++w) {
      std::vector<float> y = inputs[w];
      model.runLayers(y, layer, span, [&](int64_t l, bool keys, float *rows, int64_t T) {
        quantize(k, v, l, keys, rows, T);
      });
      for (size_t i = 0; i < y.size(); ++i)
        sum += std::fabs(double(y[i]) - double(targets[w][i]));
      n += (int64_t)y.size();
    }
    return losses[key] = sum / double(n);
  }
};
} // namespace

/// |x| maxima of a linear's output (lq.out_absmax) from any op of `role`.
static llvm::Expected<std::vector<double>> outAbsMax(ModuleOp module, llvm::StringRef role,
                                                     int64_t size) {
  std::optional<std::vector<double>> found;
  module.walk([&](Operation *op) {
    auto r = op->getAttrOfType<StringAttr>("lq.role");
    auto attr = op->getAttrOfType<ElementsAttr>("lq.out_absmax");
    if (found || !r || r.getValue() != role || !attr)
      return;
    if (FailureOr<std::vector<float>> v = mlir::lq::readFloats(attr);
        succeeded(v) && (int64_t)v->size() == size)
      found.emplace(v->begin(), v->end());
  });
  if (!found)
    return err(llvm::formatv("'{0}' has no lq.out_absmax of {1} elements (calibrate first)", role,
                             size));
  return std::move(*found);
}

llvm::Expected<KVReconstructionSummary>
reconstructKV(ModuleOp module, llvm::ArrayRef<int32_t> ids, int64_t windowLen,
              const KVReconstructionOptions &options, llvm::raw_ostream *progress) {
  auto t0 = std::chrono::steady_clock::now();
  auto checkpoint = readCheckpoint(module, /*decodeQuantized=*/false, "the module");
  if (!checkpoint)
    return err("--kv-reconstruct: " + llvm::toString(checkpoint.takeError()));
  ::lq::Transformer model(*checkpoint);
  const ::lq::LlamaConfig &c = model.config();
  const int64_t L = c.nLayers, kvDim = c.kvDim();
  if (windowLen < 1 || windowLen > c.maxSeqLen)
    return err(llvm::formatv("--kv-reconstruct: window length {0} is outside [1, {1}]",
                             windowLen, c.maxSeqLen));
  const int64_t windows = std::min<int64_t>(options.windows, (int64_t)ids.size() / windowLen);
  if (windows < 1)
    return err(llvm::formatv("--kv-reconstruct: the text has {0} tokens, fewer than one window "
                             "of {1}",
                             ids.size(), windowLen));
  std::optional<::lq::RopePairing> rope = c.ropeStyle == ::lq::LlamaConfig::Interleaved
                                              ? ::lq::RopePairing::Interleaved
                                              : ::lq::RopePairing::Half;
  const bool smoothing = !options.smooths.empty();

  // The hidden states entering the layer being tuned: the embeddings, then
  // each tuned layer's output with its KV quantized.
  std::vector<std::vector<float>> inputs(windows), targets(windows);
  for (int64_t w = 0; w < windows; ++w) {
    auto x = model.embed(ids.slice(w * windowLen, windowLen));
    if (!x)
      return err("--kv-reconstruct: " + llvm::toString(x.takeError()));
    inputs[w] = std::move(*x);
  }
  if (progress)
    *progress << llvm::formatv("kv-reconstruct: {0} layers, {1} windows of {2} tokens, {3} clip "
                               "x {4} smooth candidates, {5} sweep(s)\n",
                               L, windows, windowLen, options.clips.size(),
                               smoothing ? options.smooths.size() : 0, options.sweeps);

  KVReconstructionSummary summary;
  Builder b(module.getContext());
  for (int64_t l = 0; l < L; ++l) {
    auto tLayer = std::chrono::steady_clock::now();
    LayerSearch search{model, l, std::min<int64_t>(2, L - l), options.bits, kvDim, rope,
                       smoothing, {}, {}, {}, inputs, targets};
    for (bool keys : {false, true}) {
      std::string role = llvm::formatv("layers.{0}.attn.{1}", l, keys ? "k" : "v").str();
      auto absmax = outAbsMax(module, role, kvDim);
      if (!absmax)
        return err("--kv-reconstruct: " + llvm::toString(absmax.takeError()));
      search.absmax[keys] = std::move(*absmax);
    }
    // The target: the float layers l and l + 1 (l alone for the last) on
    // the same inputs.
    for (int64_t w = 0; w < windows; ++w) {
      targets[w] = inputs[w];
      model.runLayers(targets[w], l, search.span);
    }

    // Coordinate search over the grids, from the untuned parameters; a
    // candidate replaces the current one only when strictly better.
    KVLayerChoice choice;
    double best = choice.untunedLoss = search.loss(choice.keys, choice.values);
    for (int64_t sweep = 0; sweep < options.sweeps; ++sweep)
      for (int coordinate = 0; coordinate < 4; ++coordinate) {
        bool isClip = coordinate >= 2, keys = coordinate % 2 == 0;
        if (!isClip && !smoothing)
          continue;
        for (double candidate : isClip ? options.clips : options.smooths) {
          ::lq::KVQuantParams k = choice.keys, v = choice.values;
          ::lq::KVQuantParams &p = keys ? k : v;
          (isClip ? p.clip : p.smooth) = candidate;
          double loss = search.loss(k, v);
          if (loss < best) {
            best = loss;
            choice.keys = k;
            choice.values = v;
          }
        }
      }
    choice.loss = best;
    choice.evaluations = (int64_t)search.losses.size();

    // Record the choice; the next layer is tuned on this one's quantized
    // output.
    for (bool keys : {false, true}) {
      std::string role = llvm::formatv("layers.{0}.attn.{1}", l, keys ? "k" : "v").str();
      const ::lq::KVQuantParams &p = keys ? choice.keys : choice.values;
      module.walk([&](Operation *op) {
        auto r = op->getAttrOfType<StringAttr>("lq.role");
        if (!r || r.getValue() != role)
          return;
        op->setAttr("lq.kv_clip", b.getF32FloatAttr(p.clip));
        if (smoothing)
          op->setAttr("lq.kv_smooth", b.getF32FloatAttr(p.smooth));
      });
    }
    for (int64_t w = 0; w < windows; ++w)
      model.runLayers(inputs[w], l, 1, [&](int64_t layer, bool keys, float *rows, int64_t T) {
        search.quantize(choice.keys, choice.values, layer, keys, rows, T);
      });
    summary.layers.push_back(choice);
    if (progress) {
      *progress << llvm::formatv(
          "kv-reconstruct: layer {0}/{1}: K clip {2:f2} smooth {3:f2}, V clip {4:f2} smooth "
          "{5:f2}; MAE {6:e3} -> {7:e3} ({8:f2} %), {9} evaluations in {10:f1} s; elapsed "
          "{11:f1} s\n",
          l + 1, L, choice.keys.clip, choice.keys.smooth, choice.values.clip,
          choice.values.smooth, choice.untunedLoss, choice.loss,
          100.0 * (choice.loss - choice.untunedLoss) / choice.untunedLoss, choice.evaluations,
          secondsSince(tLayer), secondsSince(t0));
      progress->flush();
    }
  }
  summary.windows = windows;
  summary.tokens = windows * windowLen;
  summary.seconds = secondsSince(t0);
  return summary;
}

} // namespace lq::run
