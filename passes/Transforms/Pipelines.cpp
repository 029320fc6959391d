//===- Pipelines.cpp - named quantization pipelines --------------------------===//
//
// One flag per method: QQQ's W4A8, WKVQuant's W4KV4 and FPTQuant's W4A4KV4,
// composed from the lq passes. Weights use GPTQ with the calibration
// Hessians; lm_head (and the embedding, which is no linear) stays float, as
// in the papers. Statistics are consumed before lq-quantize-weights, which
// drops them but for the activation statistics that static ranges
// (static=true) are chosen from.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::lq;

namespace {

struct CommonOptions {
  /// Weights per scale along K for the 4-bit GPTQ weights.
  static constexpr const char *groupDesc =
      "4-bit GPTQ weights: weights per scale along K (0: one per output channel)";
  static constexpr const char *staticDesc =
      "Static per-tensor activation scales from the calibration statistics (no per-token "
      "maximum at run time)";
  static constexpr const char *rangeDesc =
      "How static ranges are chosen: absmax, mse or percentile";
  static constexpr const char *packDesc =
      "@decode carries packed 4-bit KV caches (false: f32 caches, for modules that call "
      "@decode themselves)";
};

struct QQQOptions : public PassPipelineOptions<QQQOptions> {
  Option<int64_t> group{*this, "group", llvm::cl::desc(CommonOptions::groupDesc),
                        llvm::cl::init(0)};
  Option<bool> smooth{*this, "smooth", llvm::cl::desc("QQQ's adaptive smoothing first"),
                      llvm::cl::init(true)};
  Option<bool> lmHead{*this, "lm-head", llvm::cl::desc("Quantize lm_head too"),
                      llvm::cl::init(false)};
  Option<bool> staticRanges{*this, "static", llvm::cl::desc(CommonOptions::staticDesc),
                            llvm::cl::init(false)};
  Option<std::string> range{*this, "range", llvm::cl::desc(CommonOptions::rangeDesc),
                            llvm::cl::init("mse")};
};

struct WKVOptions : public PassPipelineOptions<WKVOptions> {
  Option<int64_t> group{*this, "group", llvm::cl::desc(CommonOptions::groupDesc),
                        llvm::cl::init(128)};
  Option<bool> packCache{*this, "pack-cache", llvm::cl::desc(CommonOptions::packDesc),
                         llvm::cl::init(true)};
  Option<bool> pastOnly{*this, "past-only",
                        llvm::cl::desc("The current token's K/V stay in full precision"),
                        llvm::cl::init(true)};
  Option<bool> smooth{*this, "smooth",
                      llvm::cl::desc("Static per-channel KV smoothing (2-D quantization)"),
                      llvm::cl::init(true)};
  Option<bool> lmHead{*this, "lm-head", llvm::cl::desc("Quantize lm_head too"),
                      llvm::cl::init(false)};
};

struct FPTOptions : public PassPipelineOptions<FPTOptions> {
  Option<int64_t> group{*this, "group", llvm::cl::desc(CommonOptions::groupDesc),
                        llvm::cl::init(128)};
  Option<bool> packCache{*this, "pack-cache", llvm::cl::desc(CommonOptions::packDesc),
                         llvm::cl::init(true)};
  Option<bool> transforms{*this, "transforms",
                          llvm::cl::desc("Insert and merge FPTQuant's transforms first"),
                          llvm::cl::init(true)};
  Option<bool> residual{*this, "residual",
                        llvm::cl::desc("Also rotate the residual stream (Hadamard)"),
                        llvm::cl::init(false)};
  Option<bool> downRotation{
      *this, "down-rotation",
      llvm::cl::desc("Also rotate the down projection's input online (block Hadamard)"),
      llvm::cl::init(false)};
  Option<bool> residualScaling{
      *this, "residual-scaling",
      llvm::cl::desc("FPTQuant's dynamic residual scaling of the o and down inputs (calibrate "
                     "the module with it in place for static ranges)"),
      llvm::cl::init(false)};
  Option<bool> lmHead{*this, "lm-head", llvm::cl::desc("Quantize lm_head too"),
                      llvm::cl::init(false)};
  Option<bool> staticRanges{*this, "static", llvm::cl::desc(CommonOptions::staticDesc),
                            llvm::cl::init(false)};
  Option<std::string> range{*this, "range", llvm::cl::desc(CommonOptions::rangeDesc),
                            llvm::cl::init("mse")};
};

void addWeights(OpPassManager &pm, int64_t group, bool lmHead) {
  LQQuantizeWeightsOptions w;
  w.method = "gptq";
  w.bits = 4;
  w.group = group;
  w.symmetric = true;
  if (!lmHead)
    w.exclude.push_back("lm_head");
  pm.addPass(createLQQuantizeWeights(w));
}

void addKV(OpPassManager &pm, bool pastOnly, bool smooth, bool packCache) {
  LQQuantizeKVOptions kv;
  kv.packCache = packCache;
  kv.bits = 4;
  kv.pastOnly = pastOnly;
  kv.smooth = smooth;
  pm.addPass(createLQQuantizeKV(kv));
}

void addActivations(OpPassManager &pm, unsigned bits, bool lmHead, bool staticRanges,
                    const std::string &range) {
  LQQuantizeActivationsOptions a;
  a.bits = bits;
  a.lmHead = lmHead;
  a.staticRanges = staticRanges;
  a.range = range;
  pm.addPass(createLQQuantizeActivations(a));
}

} // namespace

void mlir::lq::registerLQPipelines() {
  PassPipelineRegistration<QQQOptions>(
      "qqq-w4a8",
      "QQQ W4A8: adaptive smoothing (searched for 4-bit weights and 8-bit activations), "
      "merged into the norms and linears, GPTQ 4-bit symmetric weights, per-token 8-bit "
      "activations (static per-tensor ones with static=true)",
      [](OpPassManager &pm, const QQQOptions &o) {
        if (o.smooth) {
          LQSmoothOptions s;
          s.weightBits = 4;
          s.weightGroup = o.group;
          s.actBits = 8;
          pm.addPass(createLQSmooth(s));
          pm.addPass(createLQMergeFPT());
        }
        addWeights(pm, o.group, o.lmHead);
        addActivations(pm, 8, o.lmHead, o.staticRanges, o.range);
      });
  PassPipelineRegistration<WKVOptions>(
      "wkv-w4kv4",
      "WKVQuant W4KV4: 4-bit KV cache (past-only, 2-D: static channel smoothing then "
      "per-token asymmetric) and GPTQ 4-bit weights; other activations stay float",
      [](OpPassManager &pm, const WKVOptions &o) {
        addKV(pm, o.pastOnly, o.smooth, o.packCache);
        addWeights(pm, o.group, o.lmHead);
      });
  PassPipelineRegistration<FPTOptions>(
      "fpt-w4a4kv4",
      "FPTQuant W4A4KV4: pre-RoPE, value and MLP transforms fitted and merged, then "
      "4-bit KV cache (past-only, 2-D), GPTQ 4-bit weights and per-token 4-bit activations",
      [](OpPassManager &pm, const FPTOptions &o) {
        if (o.transforms || o.residual || o.downRotation || o.residualScaling) {
          LQInsertFPTOptions f;
          f.qk = f.value = f.mlp = o.transforms;
          f.residual = o.residual;
          f.downRotation = o.downRotation;
          f.residualScaling = o.residualScaling;
          pm.addPass(createLQInsertFPT(f));
          pm.addPass(createLQMergeFPT());
        }
        addKV(pm, /*pastOnly=*/true, /*smooth=*/true, o.packCache);
        addWeights(pm, o.group, o.lmHead);
        addActivations(pm, 4, o.lmHead, o.staticRanges, o.range);
      });
}
