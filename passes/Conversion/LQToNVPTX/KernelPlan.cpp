//===- KernelPlan.cpp - lq-lower-to-nvptx: what to build, before building --===//
//
// planMatmul makes the checks every family shares (activation width, the
// encoding's tiling, a static reduction dimension, 32-bit addressing),
// picks the batch of each kernel instance (one, or the chunk sizes of a
// dynamic row count), then hands over to one plan<Family> function that
// picks the family's tiling. The tiling
// heuristics were measured on H100/H200; the comments say where.
//
//===----------------------------------------------------------------------===//
#include "KernelPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/TypeUtilities.h"

#include <limits>

using namespace mlir;

namespace mlir::lq::nvptx {

FailureOr<int> parseChip(StringRef chip) {
  StringRef digits = chip;
  if (!digits.consume_front("sm_"))
    return failure();
  digits.consume_back("a");
  digits.consume_back("f");
  int sm;
  if (digits.getAsInteger(10, sm) || sm < 10)
    return failure();
  return sm;
}

int64_t blocksForRegisters(int64_t threads, int64_t registers) {
  return std::max<int64_t>(1, 65536 / (threads * registers));
}

namespace {

/// The PVQ GEMV: one warp per output row, batch up to 8.
LogicalResult planPVQGemv(MatmulOp op, const ::lq::PVQEncoding &enc, const PlanOptions &o,
                          KernelPlan &p) {
  PVQGemvPlan f;
  f.enc = enc;
  p.group = enc.dim;
  p.groups = p.cols / enc.dim;
  if (enc.dim % (p.f32Input ? 4 : 8) != 0)
    return op.emitOpError("the PVQ GPU kernel needs groups of a multiple of ")
           << (p.f32Input ? 4 : 8) << " dimensions (128-bit activation loads), not " << enc.dim;
  if (p.batch < 1 || p.batch > 8)
    return op.emitOpError("batch ") << p.batch << " is outside the PVQ GEMV kernel's 1..8 rows";
  int64_t w = o.warps > 0 ? o.warps : 8;
  while (p.rows % w != 0)
    --w;
  f.warps = w;
  p.threads = 32 * w;
  p.grid = p.rows / w;
  p.family = std::move(f);
  return success();
}

/// The tiling of the register-tiled GEMM (W4A8's and W4A16's): row tiles
/// per warp, batch tiles per block, row warps (`rowWarps` when the option
/// leaves it automatic and it is not 0) and K warps.
LogicalResult planW4GemmTiling(MatmulOp op, const PlanOptions &o, KernelPlan &p,
                               W4GemmTiling &f, int64_t rowWarps = 0) {
  f.chunks = p.cols / ::lq::gpu::kChunkCols;
  // A warp holds RT row tiles x NB batch tiles of 8 rows (RT * NB <= 8
  // accumulator tiles); larger batches take several blocks per row block.
  int64_t tiles = (p.batch + 7) / 8;
  int64_t nRowTiles = p.rows / 16;
  int64_t rt = o.rowTiles > 0 ? o.rowTiles : (p.batch > 16 ? 2 : 1);
  rt = std::min<int64_t>(rt, 8);
  while (nRowTiles % rt != 0)
    --rt;
  f.warpTiles = rt;
  f.nTiles = std::min<int64_t>(
      {tiles, std::max<int64_t>(1, o.maxBatchTiles), std::max<int64_t>(1, 8 / rt)});
  f.batchBlocks = (tiles + f.nTiles - 1) / f.nTiles;
  // Row warps share activation loads; K warps fill the machine when there
  // are few row tiles. Measured on H200 (W4A8): for large N (28672) 4 row
  // warps win up to batch 16 and 8 above; for N of 8192 and up 8 above
  // batch 64; for smaller N 4 above batch 64 and 2 up to batch 64.
  int64_t rw = o.rowWarps > 0                     ? o.rowWarps
               : rowWarps > 0                     ? rowWarps
               : p.rows >= 16384                  ? (p.batch <= 16 ? 4 : 8)
               : p.batch > 64 && p.rows >= 8192   ? 8
               : p.batch > 64                     ? 4
                                                  : 2;
  while ((nRowTiles / rt) % rw != 0)
    --rw;
  // K warps: enough warps in flight (about 16 per SM of an H100) when
  // there are few row blocks, at most 16 warps per block.
  int64_t blocks = nRowTiles / rt / rw * f.batchBlocks;
  // The kernel's K units: a group of up to 4 chunks, else a chunk.
  int64_t chunksPerGroup = p.group / ::lq::gpu::kChunkCols;
  int64_t units = p.groups > 1 && chunksPerGroup <= 4 ? f.chunks / chunksPerGroup : f.chunks;
  int64_t kw = o.warps > 0 ? o.warps : 1;
  if (o.warps == 0)
    while (kw * 2 * rw <= 16 && kw * 2 <= units && blocks * rw * kw < 132 * 16)
      kw *= 2;
  kw = std::min(kw, units);
  // The reduction buffer must fit static shared memory (48 KB).
  while (kw > 1 && rw * kw * rt * f.nTiles * 512 > 48 * 1024)
    kw = (kw + 1) / 2;
  while (rw > 1 && rw * kw * rt * f.nTiles * 512 > 48 * 1024)
    do
      --rw;
    while ((nRowTiles / rt) % rw != 0);
  f.rowWarps = rw;
  f.kWarps = kw;
  p.threads = 32 * rw * kw;
  // Above batch 16, registers sized for 128 per thread (measured on H200
  // with W4A8: per-channel codes 1.15-1.27x faster at batch 64 and 256,
  // group codes unchanged); up to batch 16 left to ptxas.
  p.minBlocks = o.minBlocksPerSM >= 0 ? o.minBlocksPerSM
                : p.batch > 16        ? blocksForRegisters(p.threads, 128)
                                      : 0;
  p.grid = nRowTiles / rt / rw * f.batchBlocks;
  f.unroll = std::max<int64_t>(1, o.unroll / (f.nTiles * rt > 4 ? 2 : 1));
  // Measured on H200 (W4A8): group codes above batch 16 on N >= 8192 run
  // faster with activations loaded just before use (fewer live registers).
  f.prefetch =
      o.prefetch >= 0 ? o.prefetch != 0 : !(p.groups > 1 && p.batch > 16 && p.rows >= 8192);
  if (f.rowWarps * f.kWarps > 32)
    return op.emitOpError("row-warps x warps = ")
           << f.rowWarps * f.kWarps << " is over 32 warps per block";
  return success();
}

/// The W4A8 GEMM and its activation quantization kernel.
LogicalResult planW4A8(MatmulOp op, const ::lq::UniformEncoding &enc, const PlanOptions &o,
                       KernelPlan &p) {
  W4A8Plan f;
  p.group = enc.group;
  p.groups = p.cols / p.group;
  if (p.groups == 1 && p.cols > 131072)
    return op.emitOpError("K = ") << p.cols
                                  << " could overflow the W4A8 kernel's int32 per-channel sums";
  const int64_t K = p.cols, perVec = p.f32Input ? 4 : 8;
  if ((K / perVec + f.quantThreads - 1) / f.quantThreads > 16)
    return op.emitOpError("K = ") << K << " is too long for the activation quantization kernel "
                                  << "(at most " << 16 * f.quantThreads * perVec << ")";
  if (failed(planW4GemmTiling(op, o, p, f)))
    return failure();
  // Measured on H200: 0.3-1.5 us saved up to batch 16; from batch 64 the
  // GEMM's waiting blocks hold SMs the longer quantization kernel needs.
  f.dependentLaunch =
      o.dependentLaunch >= 0 ? o.dependentLaunch == 1 : o.smVersion >= 90 && p.batch <= 16;
  f.scratchBytes = (p.batch * K + 255) / 256 * 256 + (p.batch * 4 + 255) / 256 * 256;
  f.qScalesOffset = (p.batch * K + 255) / 256 * 256;
  p.family = std::move(f);
  return success();
}

/// Whether a kernel of `batch` rows rounds its dequantized weights to f16
/// before the mma (f16-weights-min-batch); `automatic` is the family's
/// threshold for the option's default.
bool f16Weights(const PlanOptions &o, int64_t batch, int64_t automatic) {
  int64_t from = o.f16WeightsMinBatch > 0    ? o.f16WeightsMinBatch
                 : o.f16WeightsMinBatch == 0 ? automatic
                                             : std::numeric_limits<int64_t>::max();
  return batch >= from;
}

/// The W4A16 GEMM: f16 activations, batches from gemm-min-batch up.
LogicalResult planW4Gemm(MatmulOp op, const ::lq::UniformEncoding &enc, const PlanOptions &o,
                         KernelPlan &p) {
  W4GemmPlan f;
  p.group = enc.group;
  p.groups = p.cols / p.group;
  f.symmetric = enc.symmetric;
  // Opt-in: measured on H100 at batch 128-256, 0.87-1.28x of the f32
  // scaling's speed depending on the shape (docs/results/gpu.md).
  f.f16Scales = p.groups > 1 && f16Weights(o, p.batch, std::numeric_limits<int64_t>::max());
  // Measured on H200 at batch 128: 4 row warps 1.08x faster than 8 on N of
  // 8192 and 28672; at 256 W4A8's rule (8) wins on 8192.
  if (failed(planW4GemmTiling(op, o, p, f, p.batch <= 128 ? 4 : 0)))
    return failure();
  // Measured on H100: up to batch 128 one block per SM (no register cap,
  // no spills) runs 1.25-1.6x faster on two of three shapes; at 256 the
  // 128-register cap wins.
  if (o.minBlocksPerSM < 0 && p.batch <= 128)
    p.minBlocks = 1;
  p.family = std::move(f);
  return success();
}

/// The tiling of the chunked mma GEMV (W4 and binary codes), chunks of
/// `chunkCols` columns; `planes` counts the sign planes whose partial sums
/// the kernel keeps (0 for W4 codes and for binary codes folded into f16).
LogicalResult planGemvMma(MatmulOp op, const PlanOptions &o, KernelPlan &p, GemvMmaTiling &t,
                          int64_t chunkCols, int64_t planes) {
  t.chunks = p.cols / chunkCols;
  t.batchTiles = (p.batch + 7) / 8;
  if (p.batch < 1 || t.batchTiles > o.maxBatchTiles)
    return op.emitOpError("batch ") << p.batch << " is outside the GEMV kernel's 1.."
                                    << 8 * o.maxBatchTiles << " rows";
  // Few row tiles leave SMs short of warps: split K further (measured on
  // H100: 16 warps per block win below ~3 tiles per SM, 8 above).
  int64_t w = o.warps > 0 ? o.warps : (p.rows / 16 < 384 ? 16 : 8);
  t.warps = std::min<int64_t>(w, t.chunks);
  // The cross-warp reduction buffer must fit static shared memory (48 KB).
  while (t.warps > 1 && t.warps * t.batchTiles * 32 * 4 * 4 > 48 * 1024)
    t.warps = (t.warps + 1) / 2;
  // Fewer chunks in flight when each also carries several batch tiles of
  // activations (or per-plane partial sums), to stay within registers. f32
  // activations take twice the registers of f16 ones, but a warp with 8
  // chunks or more still gains from two in flight (measured on H100 at
  // batch 1: 5-8 % on the 12288x4096, 22016x4096 and 4096x11008 W4 GEMVs of
  // a 7B layer, while 4096x4096, 4 chunks a warp, is 4 % slower).
  const bool f32Halves = p.f32Input && t.chunks < 8 * t.warps;
  t.unroll =
      std::max<int64_t>(1, o.unroll / t.batchTiles / (f32Halves ? 2 : 1) / (planes >= 3 ? 2 : 1));
  t.prefetch = o.prefetch != 0;
  p.threads = 32 * t.warps;
  // Resident blocks per SM for ptxas, so that registers stay within 64 per
  // thread up to batch 16 and 128 above (measured on H200 over the five
  // benchmark shapes: up to 1.2x faster than leaving it to ptxas).
  p.minBlocks = o.minBlocksPerSM >= 0
                    ? o.minBlocksPerSM
                    : blocksForRegisters(p.threads, t.batchTiles <= 2 ? 64 : 128);
  p.grid = p.rows / 16;
  return success();
}

/// The W4 GEMV: the chunked mma GEMV on 64-column chunks, optionally with
/// a cp.async ring.
LogicalResult planW4Gemv(MatmulOp op, const ::lq::UniformEncoding &enc, const PlanOptions &o,
                         KernelPlan &p) {
  W4GemvPlan f;
  p.group = enc.group;
  p.groups = p.cols / p.group;
  f.symmetric = enc.symmetric;
  if (failed(planGemvMma(op, o, p, f, ::lq::gpu::kChunkCols, /*planes=*/0)))
    return failure();
  f.stages = o.stages == 1 ? 2 : o.stages;
  // The ring must fit static shared memory next to the reduction buffer.
  auto ringBytes = [&] {
    return f.stages * f.unroll * 32 * f.warps *
           (16 + (p.groups > 1 ? 4 : 0) + (f.symmetric ? 0 : 4));
  };
  const int64_t reduction = f.warps * f.batchTiles * 512;
  while (f.stages > 2 && ringBytes() + reduction > 48 * 1024)
    --f.stages;
  while (f.stages > 0 && f.unroll > 1 && ringBytes() + reduction > 48 * 1024)
    f.unroll /= 2;
  if (f.stages > 0 && ringBytes() + reduction > 48 * 1024)
    f.stages = 0;
  p.family = std::move(f);
  return success();
}

/// The binary-code GEMV: the chunked mma GEMV on 256-column superchunks.
LogicalResult planBinaryGemv(MatmulOp op, const ::lq::BinaryEncoding &enc, const PlanOptions &o,
                             KernelPlan &p) {
  BinaryGemvPlan f;
  f.planes = enc.planes;
  // Folding the planes into f16 weights takes P + 1 times fewer mmas (and
  // no per-plane partial sums) for f16 rounding of the weights: measured on
  // H100 1.2-1.5x faster at batch 1-8, 1.5-5.4x at 16-32 and 8-14x at 64
  // (docs/results/gpu.md), so by default every batch folds.
  f.foldF16 = f16Weights(o, p.batch, 1);
  p.group = enc.group;
  p.groups = p.cols / p.group;
  if (failed(planGemvMma(op, o, p, f, ::lq::gpu::kSuperChunkCols, f.foldF16 ? 0 : f.planes)))
    return failure();
  p.family = std::move(f);
  return success();
}

/// The f16 tensor `value` widens to f32, by arith.extf or by an
/// element-wise linalg.generic whose body is one extf (lq-round-matmul-inputs
/// makes those, which fuse with the rest of the linalg ops), or null.
Value widenedF16(Value value) {
  Value narrow;
  if (auto ext = value.getDefiningOp<arith::ExtFOp>()) {
    narrow = ext.getIn();
  } else if (auto generic = value.getDefiningOp<linalg::GenericOp>()) {
    Block &body = generic.getRegion().front();
    auto ext = llvm::dyn_cast<arith::ExtFOp>(body.front());
    if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
        generic.getNumParallelLoops() != generic.getNumLoops() ||
        !llvm::all_of(generic.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); }) ||
        body.getOperations().size() != 2 || !ext || ext.getIn() != body.getArgument(0))
      return Value();
    narrow = generic.getDpsInputOperand(0)->get();
  }
  return narrow && getElementTypeOrSelf(narrow.getType()).isF16() ? narrow : Value();
}

/// The smallest batch of f16 activations and 4-bit codes that takes the
/// W4A16 GEMM rather than the GEMV; with gemm-min-batch=-1 none does.
int64_t gemmMinBatch(const PlanOptions &o) {
  if (o.gemmMinBatch < 0)
    return std::numeric_limits<int64_t>::max();
  // Measured on H100 (docs/results/gpu.md): up to batch 64 the GEMV is as
  // fast or faster on most shapes; from 128 rows the GEMM beats the GEMV's
  // chunks of 64 by 1.1-1.9x.
  return o.gemmMinBatch > 0 ? o.gemmMinBatch : 8 * o.maxBatchTiles + 1;
}

/// The most rows one launch of the family's kernel takes: a chunk of the
/// host's chunk loop. The GEMMs (W4A8, and W4A16 unless gemm-min-batch
/// leaves every batch to the GEMV) take any static batch; their chunks of
/// 256 rows keep W4A8's scratch buffer small and cover the batches their
/// tiling was measured on.
int64_t maxChunkRows(const ::lq::Encoding &enc, bool quantizedActivations, bool f32Input,
                     const PlanOptions &o) {
  if (std::holds_alternative<::lq::PVQEncoding>(enc))
    return 8;
  if (quantizedActivations ||
      (std::holds_alternative<::lq::UniformEncoding>(enc) && !f32Input &&
       gemmMinBatch(o) <= 8 * o.maxBatchTiles + 1))
    return 256;
  return 8 * std::max<int64_t>(1, o.maxBatchTiles);
}

} // namespace

FailureOr<SmallVector<KernelPlan, 1>> planMatmul(MatmulOp op, ConstantOp weight, const PlanOptions &options,
                                 Value &input) {
  WeightType type = weight.getResult().getType();
  ::lq::Encoding enc = type.getEncoding().getNumericEncoding();
  auto *uniform = std::get_if<::lq::UniformEncoding>(&enc);
  auto *binary = std::get_if<::lq::BinaryEncoding>(&enc);
  auto *pvq = std::get_if<::lq::PVQEncoding>(&enc);
  std::optional<int64_t> act = op.getActBits();
  if (act && (*act != 8 || !uniform))
    return op.emitOpError("lq-lower-to-nvptx has no GPU kernel for act(")
           << *act << ") with " << type.getEncoding()
           << " weights (quantized activations: act(8) with 4-bit uniform codes, W4A8)";
  // The W4A8 kernel quantizes each row with its own maximum; a static
  // scale would need another kernel variant (lq-expand runs it instead).
  if (op.getActScale())
    return op.emitOpError("lq-lower-to-nvptx has no GPU kernel for static activation scales "
                          "(act(")
           << *act << ") scale(...)); skip-unsupported leaves it to lq-expand";
  std::optional<std::string> why =
      act       ? ::lq::gpu::checkW4A8Tiling(*uniform, type.getRows(), type.getCols())
      : uniform ? ::lq::gpu::checkW4Tiling(*uniform, type.getRows(), type.getCols())
      : binary  ? ::lq::gpu::checkBinaryTiling(*binary, type.getRows(), type.getCols())
                : ::lq::gpu::checkPVQTiling(*pvq, type.getRows(), type.getCols());
  if (why)
    return op.emitOpError("cannot be tiled for the GPU: ") << *why;

  // f16 activations widened by arith.extf feed the kernel directly.
  input = op.getInput();
  bool f32Input = true;
  if (Value f16 = widenedF16(input)) {
    input = f16;
    f32Input = false;
  }
  // Leading dimensions may be dynamic (a prompt's T tokens): the host
  // launches the kernels over row chunks.
  auto inputType = llvm::cast<RankedTensorType>(input.getType());
  if (inputType.getRank() < 1 || ShapedType::isDynamic(inputType.getShape().back()))
    return op.emitOpError("lq-lower-to-nvptx needs a static reduction dimension, got ")
           << inputType;
  if (binary && f32Input)
    return op.emitOpError("the binary-code GPU kernel takes f16 activations (an arith.extf "
                          "from f16 feeding the matmul; lq-round-matmul-inputs makes one)");

  KernelPlan base;
  base.rows = type.getRows();
  base.cols = type.getCols();
  base.f32Input = f32Input;
  base.minBlocks = std::max<int64_t>(0, options.minBlocksPerSM);
  const int64_t maxRows = maxChunkRows(enc, act.has_value(), f32Input, options);
  // One launch when it takes every row (W4A8: any static batch), else the
  // chunk sizes.
  SmallVector<int64_t> sizes;
  int64_t m = inputType.hasStaticShape() ? inputType.getNumElements() / base.cols
                                         : ShapedType::kDynamic;
  // The GEMMs (W4A8, W4A16) take any static batch in one launch.
  bool anyBatch = act || (uniform && !f32Input && gemmMinBatch(options) <= 8 * options.maxBatchTiles + 1);
  if (m != ShapedType::kDynamic && (m <= maxRows || anyBatch)) {
    sizes.push_back(m);
  } else {
    if (!options.rowChunks)
      return op.emitOpError("has ")
             << (m == ShapedType::kDynamic ? "a dynamic row count" : "more rows than one launch")
             << " (at most " << maxRows
             << " rows): launching it over row chunks needs device-resident=true";
    sizes.push_back(maxRows);
    // A static M > maxRows needs the largest size only.
    for (int64_t s = llvm::PowerOf2Ceil(maxRows) / 2; s >= 1 && m == ShapedType::kDynamic; s /= 2)
      if (s < maxRows)
        sizes.push_back(s);
  }
  SmallVector<KernelPlan, 1> plans;
  for (int64_t batch : sizes) {
    KernelPlan p = base;
    p.batch = batch;
    if ((int64_t)p.rows * p.cols / 2 >= (int64_t(1) << 31) ||
        p.batch * std::max(p.cols, p.rows) >= (int64_t(1) << 30))
      return op.emitOpError("is too large for the kernel's 32-bit addressing");
    bool gemm = uniform && !act && !f32Input && batch >= gemmMinBatch(options);
    LogicalResult planned = pvq      ? planPVQGemv(op, *pvq, options, p)
                            : act    ? planW4A8(op, *uniform, options, p)
                            : binary ? planBinaryGemv(op, *binary, options, p)
                            : gemm   ? planW4Gemm(op, *uniform, options, p)
                                     : planW4Gemv(op, *uniform, options, p);
    if (failed(planned))
      return failure();
    plans.push_back(std::move(p));
  }
  return plans;
}

} // namespace mlir::lq::nvptx
