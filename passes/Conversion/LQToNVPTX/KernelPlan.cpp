//===- KernelPlan.cpp - lq-lower-to-nvptx: what to build, before building --===//
#include "KernelPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace mlir::lq::nvptx {

/// `sm_XY` or `sm_XYa`: the compute capability, or failure.
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

/// The `.minnctapersm` that caps a block of `threads` threads at
/// `registers` registers per thread (64K registers per SM).
int64_t blocksForRegisters(int64_t threads, int64_t registers) {
  return std::max<int64_t>(1, 65536 / (threads * registers));
}

FailureOr<W4Plan> planMatmul(MatmulOp op, ConstantOp weight, const PlanOptions &o, Value &input) {
  const int64_t warps = o.warps, unroll = o.unroll, prefetch = o.prefetch, stages = o.stages,
                dependentLaunch = o.dependentLaunch, minBlocksPerSM = o.minBlocksPerSM,
                maxBatchTiles = o.maxBatchTiles, rowWarps = o.rowWarps, rowTiles = o.rowTiles;
  const int smVersion = o.smVersion;
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
  if (auto ext = input.getDefiningOp<arith::ExtFOp>())
    if (getElementTypeOrSelf(ext.getIn().getType()).isF16()) {
      input = ext.getIn();
      f32Input = false;
    }
  auto inputType = llvm::cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape() || !op.getResult().getType().hasStaticShape())
    return op.emitOpError("lq-lower-to-nvptx needs static shapes, got ") << inputType;
  if (binary && f32Input)
    return op.emitOpError("the binary-code GPU kernel takes f16 activations (an arith.extf "
                          "from f16 feeding the matmul)");

  W4Plan p;
  p.rows = type.getRows();
  p.cols = type.getCols();
  p.batch = inputType.getNumElements() / p.cols;
  p.f32Input = f32Input;
  p.minBlocks = std::max<int64_t>(0, minBlocksPerSM);
  if ((int64_t)p.rows * p.cols / 2 >= (int64_t(1) << 31) ||
      p.batch * std::max(p.cols, p.rows) >= (int64_t(1) << 30))
    return op.emitOpError("is too large for the kernel's 32-bit addressing");
  if (pvq) {
    p.pvq = true;
    p.pvqEnc = *pvq;
    p.group = pvq->dim;
    p.groups = p.cols / pvq->dim;
    if (pvq->dim % (f32Input ? 4 : 8) != 0)
      return op.emitOpError("the PVQ GPU kernel needs groups of a multiple of ")
             << (f32Input ? 4 : 8) << " dimensions (128-bit activation loads), not "
             << pvq->dim;
    if (p.batch < 1 || p.batch > 8)
      return op.emitOpError("batch ") << p.batch << " is outside the PVQ GEMV kernel's 1..8 rows";
    int64_t w = warps > 0 ? (int64_t)warps : 8;
    while (p.rows % w != 0)
      --w;
    p.warps = w;
    p.threads = 32 * w;
    p.grid = p.rows / w;
    return p;
  }
  if (act) {
    p.w4a8 = true;
    p.group = uniform->group;
    p.groups = p.cols / p.group;
    p.symmetric = true;
    p.chunks = p.cols / ::lq::gpu::kChunkCols;
    if (p.groups == 1 && p.cols > 131072)
      return op.emitOpError("K = ") << p.cols
                                    << " could overflow the W4A8 kernel's int32 per-channel sums";
    const int64_t K = p.cols, perVec = f32Input ? 4 : 8;
    if ((K / perVec + p.quantThreads - 1) / p.quantThreads > 16)
      return op.emitOpError("K = ") << K << " is too long for the activation quantization kernel "
                                    << "(at most " << 16 * p.quantThreads * perVec << ")";
    // A warp holds RT row tiles x NB batch tiles of 8 rows (RT * NB <= 8
    // accumulator tiles); larger batches take several blocks per row block.
    int64_t tiles = (p.batch + 7) / 8;
    int64_t nRowTiles = p.rows / 16;
    int64_t rt = rowTiles > 0 ? (int64_t)rowTiles : (p.batch > 16 ? 2 : 1);
    rt = std::min<int64_t>(rt, 8);
    while (nRowTiles % rt != 0)
      --rt;
    p.warpTiles = rt;
    p.nTiles = std::min<int64_t>({tiles, std::max<int64_t>(1, (int64_t)maxBatchTiles),
                                  std::max<int64_t>(1, 8 / rt)});
    p.batchBlocks = (tiles + p.nTiles - 1) / p.nTiles;
    // Row warps share activation loads; K warps fill the machine when there
    // are few row tiles. Measured on H200: for large N (28672) 4 row warps
    // win up to batch 16 and 8 above; for N of 8192 and up 8 above batch
    // 64; for smaller N 4 above batch 64 and 2 up to batch 64.
    int64_t rw = rowWarps > 0                         ? (int64_t)rowWarps
                 : p.rows >= 16384                     ? (p.batch <= 16 ? 4 : 8)
                 : p.batch > 64 && p.rows >= 8192      ? 8
                 : p.batch > 64                        ? 4
                                                       : 2;
    while ((nRowTiles / rt) % rw != 0)
      --rw;
    // K warps: enough warps in flight (about 16 per SM of an H100) when
    // there are few row blocks, at most 16 warps per block.
    int64_t blocks = nRowTiles / rt / rw * p.batchBlocks;
    // The kernel's K units: a group of up to 4 chunks, else a chunk.
    int64_t chunksPerGroup = p.group / ::lq::gpu::kChunkCols;
    int64_t units = p.groups > 1 && chunksPerGroup <= 4 ? p.chunks / chunksPerGroup : p.chunks;
    int64_t kw = warps > 0 ? (int64_t)warps : 1;
    if (warps == 0)
      while (kw * 2 * rw <= 16 && kw * 2 <= units && blocks * rw * kw < 132 * 16)
        kw *= 2;
    kw = std::min(kw, units);
    // The reduction buffer must fit static shared memory (48 KB).
    while (kw > 1 && rw * kw * rt * p.nTiles * 512 > 48 * 1024)
      kw = (kw + 1) / 2;
    while (rw > 1 && rw * kw * rt * p.nTiles * 512 > 48 * 1024)
      do
        --rw;
      while ((nRowTiles / rt) % rw != 0);
    if (rw * kw > 32)
      return op.emitOpError("row-warps x warps = ") << rw * kw << " is over 32 warps per block";
    p.rowWarps = rw;
    p.kWarps = kw;
    p.warps = rw * kw;
    p.threads = 32 * p.warps;
    // Above batch 16, registers sized for 128 per thread (measured on H200:
    // per-channel codes 1.15-1.27x faster at batch 64 and 256, group codes
    // unchanged); up to batch 16 left to ptxas.
    p.minBlocks = minBlocksPerSM >= 0 ? (int64_t)minBlocksPerSM
                  : p.batch > 16      ? blocksForRegisters(p.threads, 128)
                                      : 0;
    p.grid = nRowTiles / rt / rw * p.batchBlocks;
    p.unroll = std::max<int64_t>(1, unroll / (p.nTiles * rt > 4 ? 2 : 1));
    // Measured on H200: group codes above batch 16 on N >= 8192 run faster
    // with activations loaded just before use (fewer live registers).
    p.prefetch = prefetch >= 0 ? prefetch != 0 : !(p.groups > 1 && p.batch > 16 && p.rows >= 8192);
    // Measured on H200: 0.3-1.5 us saved up to batch 16; from batch 64 the
    // GEMM's waiting blocks hold SMs the longer quantization kernel needs.
    p.dependentLaunch =
        dependentLaunch >= 0 ? dependentLaunch == 1 : smVersion >= 90 && p.batch <= 16;
    p.scratchBytes = (p.batch * K + 255) / 256 * 256 + (p.batch * 4 + 255) / 256 * 256;
    p.qScalesOffset = (p.batch * K + 255) / 256 * 256;
    return p;
  }
  p.binary = binary != nullptr;
  p.planes = binary ? binary->planes : 0;
  p.group = uniform ? uniform->group : binary->group;
  p.groups = p.cols / p.group;
  p.symmetric = uniform ? uniform->symmetric : true;
  p.f32Input = f32Input;
  p.chunks = p.cols / (binary ? ::lq::gpu::kSuperChunkCols : ::lq::gpu::kChunkCols);
  p.batchTiles = (p.batch + 7) / 8;
  if (p.batch < 1 || p.batchTiles > maxBatchTiles)
    return op.emitOpError("batch ") << p.batch << " is outside the GEMV kernel's 1.."
                                    << 8 * maxBatchTiles << " rows";
  // Few row tiles leave SMs short of warps: split K further (measured on
  // H100: 16 warps per block win below ~3 tiles per SM, 8 above).
  int64_t w = warps > 0 ? (int64_t)warps : (p.rows / 16 < 384 ? 16 : 8);
  p.warps = std::min<int64_t>(w, p.chunks);
  // The cross-warp reduction buffer must fit static shared memory (48 KB).
  while (p.warps > 1 && p.warps * p.batchTiles * 32 * 4 * 4 > 48 * 1024)
    p.warps = (p.warps + 1) / 2;
  // Fewer chunks in flight when each also carries several batch tiles of
  // activations, to stay within registers.
  p.unroll = std::max<int64_t>(1, unroll / p.batchTiles / (f32Input ? 2 : 1) /
                                       (p.planes >= 3 ? 2 : 1));
  p.prefetch = prefetch != 0;
  p.threads = 32 * p.warps;
  // Resident blocks per SM for ptxas, so that registers stay within 64 per
  // thread up to batch 16 and 128 above (measured on H200 over the five
  // benchmark shapes: up to 1.2x faster than leaving it to ptxas).
  p.minBlocks = minBlocksPerSM >= 0
                    ? (int64_t)minBlocksPerSM
                    : blocksForRegisters(p.threads, p.batchTiles <= 2 ? 64 : 128);
  p.grid = p.rows / 16;
  p.stages = binary ? 0 : stages == 1 ? 2 : stages; // the ring holds W4 chunks
  // The ring must fit static shared memory next to the reduction buffer.
  auto ringBytes = [&] {
    return p.stages * p.unroll * 32 * p.warps * (16 + (p.groups > 1 ? 4 : 0) + (p.symmetric ? 0 : 4));
  };
  while (p.stages > 2 && ringBytes() + p.warps * p.batchTiles * 512 > 48 * 1024)
    --p.stages;
  while (p.stages > 0 && p.unroll > 1 && ringBytes() + p.warps * p.batchTiles * 512 > 48 * 1024)
    p.unroll /= 2;
  if (p.stages > 0 && ringBytes() + p.warps * p.batchTiles * 512 > 48 * 1024)
    p.stages = 0;
  if ((int64_t)p.rows * p.cols / 2 >= (int64_t(1) << 31) ||
      p.batch * std::max(p.cols, p.rows) >= (int64_t(1) << 30))
    return op.emitOpError("is too large for the kernel's 32-bit addressing");
  return p;
}

} // namespace mlir::lq::nvptx
