//===- LowerToNVPTX.cpp - lq-lower-to-nvptx: lq.matmul to GPU kernels -------===//
//
// Turns `lq.matmul` into a kernel in a `gpu.module` (gpu/nvvm/llvm/arith/
// vector IR, compiled by LLVM's NVPTX back end through gpu-module-to-binary)
// and a host-side `gpu.launch_func`. The encoded weight is re-packed at
// compile time into the tile-interleaved layout of docs/GPULayout.md, whose
// every warp load is one coalesced 128-bit access per lane.
//
// W4 kernel: one thread block per 16 output rows; its warps split K into
// 64-column chunks. A lane's 128-bit load holds 32 codes = its mma A
// fragments for four 16x16 k-tiles; codes become f16 (q - zero exactly) with
// one AND/OR and one f16x2 subtract per pair, and go through
// mma.sync.m16n8k16 (f16 x f16 -> f32) against the activations (batch <= 8
// per mma column tile). Group scales apply in f32 once per chunk; warps
// reduce through shared memory.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include "lq/Runtime/GPULayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQLOWERTONVPTX
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kKernelModule = "lq_gpu_kernels";

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

/// Everything decided about one lq.matmul before any IR is built.
struct W4Plan {
  int64_t rows, cols, batch; // N, K, M (all leading input dims flattened)
  int64_t group, groups;
  bool symmetric, f32Input;
  int64_t warps, unroll, batchTiles, chunks;
  bool prefetch;
  int64_t minBlocks, stages;
  // W4A8 on sm_90+: the GEMM may launch while the activation quantization
  // kernel runs (programmatic dependent launch); it waits for it with
  // griddepcontrol.wait before reading anything.
  bool dependentLaunch = false;
  ::lq::gpu::W4Blob blob;
  // GPTQT binary codes: `planes` sign planes; then `chunks` counts 256-column
  // superchunks and `bblob` holds the packed weight.
  bool binary = false;
  int64_t planes = 0;
  ::lq::gpu::BinaryBlob bblob;
  // W4A8: int8 activations (a quantization kernel first), int8 mma. The
  // GEMM's blocks are rowWarps x kWarps warps over nTiles batch tiles of 8;
  // `grid` and `threads` are the launch of the main kernel for every kind.
  bool w4a8 = false;
  int64_t rowWarps = 1, kWarps = 1, nTiles = 1, batchBlocks = 1, warpTiles = 1;
  int64_t quantThreads = 256, scratchBytes = 0, qScalesOffset = 0;
  // PVQ: codes decoded in registers with the N(d, k) table in shared memory.
  bool pvq = false;
  ::lq::PVQEncoding pvqEnc;
  ::lq::gpu::PVQBlob pblob;
  int64_t grid = 0, threads = 0;
  std::string kernelName, weightName, quantName;
  const std::vector<uint8_t> &bytes() const {
    return binary ? bblob.bytes : pvq ? pblob.bytes : blob.bytes;
  }
};

/// Terse arithmetic for the kernel body.
struct Emit {
  OpBuilder &b;
  Location loc;
  Type i32() { return b.getI32Type(); }
  Value c32(int64_t v) { return arith::ConstantIntOp::create(b, loc, i32(), v); }
  Value f32(double v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat((float)v));
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value shr(Value x, int64_t s) { return s ? arith::ShRUIOp::create(b, loc, x, c32(s)) : x; }
  Value band(Value x, int64_t m) { return arith::AndIOp::create(b, loc, x, c32(m)); }
  Value bor(Value x, int64_t m) { return arith::OrIOp::create(b, loc, x, c32(m)); }
  Value toI32(Value index) { return arith::IndexCastUIOp::create(b, loc, i32(), index); }
  /// A kernel's pointer argument in the global address space.
  Value global(Value ptr) {
    return LLVM::AddrSpaceCastOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1),
                                         ptr);
  }
  Value threadId() { return toI32(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x)); }
  Value blockId() { return toI32(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x)); }
  Value toIndex(Value i) { return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), i); }
  // An explicit fma: NVPTX does not contract a separate multiply and add.
  Value fma(Value x, Value y, Value z) { return LLVM::FMAOp::create(b, loc, x, y, z); }
  Value bitcast(Type t, Value v) { return LLVM::BitcastOp::create(b, loc, t, v); }
  VectorType v2f16() { return VectorType::get({2}, b.getF16Type()); }
  VectorType v4i32() { return VectorType::get({4}, i32()); }

  /// The global-memory pointer `base + index * sizeof(element)`.
  Value gep(Value base, Type element, Value index) {
    return LLVM::GEPOp::create(b, loc, base.getType(), element, base, ValueRange{index},
                               LLVM::GEPNoWrapFlags::inbounds);
  }
  /// A read-only load: `!invariant.load` lets NVPTX use the non-coherent
  /// path (ld.global.nc), the weights and activations never change during
  /// a launch.
  Value load(Type t, Value ptr, unsigned align) {
    return LLVM::LoadOp::create(b, loc, t, ptr, align, /*isVolatile=*/false,
                                /*isNonTemporal=*/false, /*isInvariant=*/true);
  }
  Value extract(Value vec, int64_t i) { return vector::ExtractOp::create(b, loc, vec, i); }
};

/// The kernel function shell every builder shares, appended to `kernels`:
/// `(ptr, ptr[, ptr])`, known launch sizes, `.maxntid` and, when
/// `minBlocks` > 0, `.minnctapersm`.
gpu::GPUFuncOp makeKernelFunc(gpu::GPUModuleOp kernels, Location loc, StringRef name, int64_t args,
                              int64_t grid, int64_t threads, TypeRange workgroup,
                              int64_t minBlocks = 0) {
  OpBuilder outer = OpBuilder::atBlockEnd(kernels.getBody());
  auto ptr = LLVM::LLVMPointerType::get(outer.getContext());
  SmallVector<Type> inputs(args, ptr);
  auto func = gpu::GPUFuncOp::create(outer, loc, name, outer.getFunctionType(inputs, {}),
                                     workgroup);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), outer.getUnitAttr());
  func.setKnownBlockSizeAttr(outer.getDenseI32ArrayAttr({(int32_t)threads, 1, 1}));
  func.setKnownGridSizeAttr(outer.getDenseI32ArrayAttr({(int32_t)grid, 1, 1}));
  // .maxntid bounds the register allocation to what the launch really uses.
  func->setAttr("nvvm.maxntid", outer.getDenseI32ArrayAttr({(int32_t)threads, 1, 1}));
  // Asking for several resident blocks caps ptxas's register allocation.
  if (minBlocks > 0)
    func->setAttr("nvvm.minctasm", outer.getI32IntegerAttr(minBlocks));
  return func;
}

/// Of the items first, first + step, ... below `total`: how many there are.
Value stridedCount(Emit &e, Value first, int64_t step, int64_t total) {
  Value rest = arith::SubIOp::create(e.b, e.loc, e.c32(total - 1), first);
  return e.add(arith::DivUIOp::create(e.b, e.loc, rest, e.c32(step)), e.c32(1));
}

/// Slot `u` of iteration `iter` (`perIter` slots each) over those items,
/// clamped to the last item so that slots past the end stay in bounds.
Value stridedItem(Emit &e, Value first, int64_t step, int64_t total, int64_t perIter, Value iter,
                  int64_t u) {
  Value i = e.add(first, e.mul(e.add(e.mul(iter, e.c32(perIter)), e.c32(u)), e.c32(step)));
  return arith::MinUIOp::create(e.b, e.loc, i, e.c32(total - 1));
}

/// acc = body(i, acc) for i = lower, lower + step, ... below upper (index
/// values; `i` comes as i32): an scf.for carrying the accumulators.
SmallVector<Value>
accumulateLoop(Emit &e, Value lower, Value upper, Value step, ValueRange init,
               function_ref<SmallVector<Value>(Value i, SmallVector<Value> acc)> body) {
  OpBuilder &b = e.b;
  auto loop = scf::ForOp::create(
      b, e.loc, lower, upper, step, init, [&](OpBuilder &lb, Location l, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
        scf::YieldOp::create(b, l, body(e.toI32(iv), SmallVector<Value>(args)));
      });
  return SmallVector<Value>(loop.getResults());
}

/// acc = compute(load(iter), iter, acc) for iter in [0, iters), software
/// pipelined: iteration iter + 1's loads are issued (through the loop's
/// iter_args) before iteration iter's math, so they are in flight while it
/// runs. Returns the final accumulators.
SmallVector<Value>
prefetchLoop(Emit &e, Value iters, ArrayRef<Value> init,
             function_ref<SmallVector<Value>(Value iter)> load,
             function_ref<SmallVector<Value>(ValueRange loaded, Value iter, SmallVector<Value> acc)>
                 compute) {
  const size_t numAcc = init.size();
  SmallVector<Value> loopInit(init);
  llvm::append_range(loopInit, load(e.c32(0)));
  SmallVector<Value> results = accumulateLoop(
      e, e.idx(0), e.toIndex(iters), e.idx(1), loopInit, [&](Value iter, SmallVector<Value> args) {
        SmallVector<Value> next = load(e.add(iter, e.c32(1)));
        SmallVector<Value> acc = compute(ValueRange(args).drop_front(numAcc), iter,
                                         SmallVector<Value>(ValueRange(args).take_front(numAcc)));
        llvm::append_range(acc, next);
        return acc;
      });
  results.resize(numAcc);
  return results;
}

/// Ends the kernel body `b` built.
gpu::GPUFuncOp finishKernel(OpBuilder &b, Location loc, gpu::GPUFuncOp func) {
  b.setInsertionPointToEnd(&func.getBody().front());
  gpu::ReturnOp::create(b, loc);
  return func;
}

/// Builds the GEMV kernel of `plan` (W4 or binary codes) inside `kernels`.
gpu::GPUFuncOp buildKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                             const W4Plan &plan) {
  MLIRContext *ctx = outer.getContext();
  OpBuilder::InsertionGuard guard(outer);
  outer.setInsertionPointToEnd(kernels.getBody());
  const int64_t W = plan.warps, NB = plan.batchTiles, C = plan.chunks;
  const int64_t threads = 32 * W;
  auto smemType = MemRefType::get({NB * W * 32 * 4}, outer.getF32Type(), AffineMap(),
                                  gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  // cp.async staging ring (per-thread slots): codes, and the 4-byte group
  // parameters. Plain shared-memory globals give !llvm.ptr<3> directly.
  const int64_t S = plan.stages;
  // Binary codes apply their per-group parameters chunk by chunk, as grouped
  // uniform codes do.
  const bool grouped = plan.groups > 1 || plan.binary;
  LLVM::GlobalOp ringCodes, ringScales, ringZeros;
  if (S > 0) {
    auto global = [&](StringRef suffix, int64_t words) {
      auto type = LLVM::LLVMArrayType::get(outer.getI32Type(), words);
      auto g = LLVM::GlobalOp::create(outer, loc, type, /*isConstant=*/false,
                                      LLVM::Linkage::Internal,
                                      (plan.kernelName + suffix).str(), Attribute(),
                                      /*alignment=*/16, /*addrSpace=*/3);
      return g;
    };
    int64_t slots = S * plan.unroll * threads;
    ringCodes = global("_ring_codes", slots * 4);
    if (grouped)
      ringScales = global("_ring_scales", slots);
    if (!plan.symmetric)
      ringZeros = global("_ring_zeros", slots);
  }
  auto func = makeKernelFunc(kernels, loc, plan.kernelName, 3, plan.grid, threads,
                             W > 1 ? TypeRange{smemType} : TypeRange{}, plan.minBlocks);

  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  Emit e{b, loc};
  Value xArg = func.getArgument(0), wArg = func.getArgument(1), yArg = func.getArgument(2);
  Value xg = e.global(xArg);
  Value wg = e.global(wArg);
  Value yg = e.global(yArg);

  Value tid = e.threadId();
  Value tile = e.blockId();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  Value g = e.shr(lane, 2), t = e.band(lane, 3);

  Type f16 = b.getF16Type(), f32 = b.getF32Type();
  Type i32 = e.i32();
  VectorType v2f16 = e.v2f16(), v4i32 = e.v4i32();
  auto v4f32 = VectorType::get({4}, f32);
  auto v2f32 = VectorType::get({2}, f32);
  auto mmaResult = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});

  // Per batch tile: the activation row this lane feeds as mma column g
  // (clamped to a real row for padding columns).
  SmallVector<Value> xRowBase;
  for (int64_t bt = 0; bt < NB; ++bt) {
    Value row = e.add(g, e.c32(bt * 8));
    Value clamped = arith::MinUIOp::create(b, loc, row, e.c32(plan.batch - 1));
    // In units of the lane's 16-column slice of a chunk (16 x elem bytes).
    xRowBase.push_back(e.add(e.mul(clamped, e.c32(plan.cols / 16)), t));
  }
  // Element offsets of the parameter words of this lane's rows (g, g + 8).
  Value paramLane = e.add(e.mul(tile, e.c32(plan.groups * 8)), g);
  Value scalesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.scalesOffset));
  Value zerosBase = plan.symmetric ? Value()
                                   : e.gep(wg, b.getI8Type(), e.c32(plan.blob.zerosOffset));
  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.codesOffset));
  Value codesLane = e.add(e.mul(tile, e.c32(C * 32)), lane);

  // Codes become f16 by OR-ing them into the mantissa of 1024 (0x6400):
  // low nibbles give 1024 + q, high nibbles 1024 + 16 q. Subtracting
  // 1024 + zero, or scaling by 1/16 and subtracting 64 + zero, leaves q - zero
  // exactly (symmetric zero: 8).
  auto splat = [&](double v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v2f16, APFloat(APFloat::IEEEhalf(), std::to_string((int)v))));
  };
  Value magicLow = splat(1024 + 8), magicHigh = splat(-(64 + 8));
  Value sixteenth = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(v2f16, APFloat(APFloat::IEEEhalf(), "0.0625")));
  Value c960 = splat(960);
  Value zeroAcc = e.f32(0.0);
  const int64_t chunksPerGroup = plan.group / ::lq::gpu::kChunkCols;
  const int64_t xVecsPerChunk = plan.f32Input ? 4 : 2; // 16 elements per lane

  struct ChunkData {
    Value codes;               // vector<4xi32>
    SmallVector<Value> x;      // per batch tile: xVecsPerChunk vectors
    Value scale, zero;         // i32 words (f16 pairs for rows g, g + 8)
    // Binary codes: P vector<4xi32> (4 chunks x P planes, plane-minor) and
    // per parameter set, P alphas then the offset (f16 pairs, rows g, g + 8).
    SmallVector<Value> planes, params;
  };
  // Binary codes: a unit is a 256-column superchunk; parameter sets per
  // unit (one per group inside it, at least one).
  const int64_t P = plan.planes;
  const int64_t paramSets = plan.binary ? std::max<int64_t>(1, 256 / plan.group) : 0;
  Value bCodesLane, bParamsBase, bParamLane;
  if (plan.binary) {
    bCodesLane = e.add(e.mul(tile, e.c32(C * P * 32)), lane);
    bParamsBase = e.gep(wg, b.getI8Type(), e.c32(plan.bblob.paramsOffset));
    bParamLane = e.mul(e.add(e.mul(tile, e.c32(plan.groups * 8)), g), e.c32(P + 1));
  }
  // The streamed part of a chunk: codes and group parameters.
  auto loadWeights = [&](Value c) {
    ChunkData d;
    if (plan.binary) {
      for (int64_t m = 0; m < P; ++m) {
        Value at = e.add(bCodesLane, e.mul(e.add(e.mul(c, e.c32(P)), e.c32(m)), e.c32(32)));
        d.planes.push_back(e.load(v4i32, e.gep(codesBase, v4i32, at), 16));
      }
      for (int64_t ps = 0; ps < paramSets; ++ps) {
        Value group = plan.group <= 256
                          ? e.add(e.mul(c, e.c32(paramSets)), e.c32(ps))
                          : arith::DivUIOp::create(b, loc, c, e.c32(plan.group / 256)).getResult();
        Value first = e.add(bParamLane, e.mul(group, e.c32(8 * (P + 1))));
        for (int64_t q = 0; q <= P; ++q)
          d.params.push_back(e.load(i32, e.gep(bParamsBase, i32, e.add(first, e.c32(q))), 4));
      }
      return d;
    }
    Value at = e.add(codesLane, e.mul(c, e.c32(32)));
    d.codes = e.load(v4i32, e.gep(codesBase, v4i32, at), 16);
    if (grouped || !plan.symmetric) {
      Value group = chunksPerGroup == 1 ? c : arith::DivUIOp::create(b, loc, c, e.c32(chunksPerGroup));
      Value at = e.add(paramLane, e.mul(group, e.c32(8)));
      if (grouped)
        d.scale = e.load(i32, e.gep(scalesBase, i32, at), 4);
      if (!plan.symmetric)
        d.zero = e.load(i32, e.gep(zerosBase, i32, at), 4);
    }
    return d;
  };
  // The activations of a chunk: small and shared by every block, so they
  // come from L1/L2 and are loaded just before use.
  auto loadX = [&](ChunkData &d, Value c) {
    if (plan.binary) {
      // 4 chunks, each 2 vectors of the lane's 16 f16 activations.
      for (int64_t bt = 0; bt < NB; ++bt)
        for (int64_t cc = 0; cc < 4; ++cc) {
          Value slice = e.add(xRowBase[bt], e.mul(e.add(e.mul(c, e.c32(4)), e.c32(cc)), e.c32(4)));
          Value first = e.mul(slice, e.c32(2));
          for (int64_t v = 0; v < 2; ++v)
            d.x.push_back(e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16));
        }
      return;
    }
    for (int64_t bt = 0; bt < NB; ++bt) {
      // The chunk's 64 columns are 4 lane slices of 16; this lane's slice
      // is 16 contiguous elements (the layout permutes W's columns to match).
      Value slice = e.add(xRowBase[bt], e.mul(c, e.c32(4)));
      Value first = e.mul(slice, e.c32(xVecsPerChunk));
      for (int64_t v = 0; v < xVecsPerChunk; ++v) {
        // Columns past the batch read a real (clamped) row: finite values
        // whose mma columns are never stored, so no masking is needed.
        d.x.push_back(e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16));
      }
    }
  };

  auto mma = [&](ArrayRef<Value> a, ArrayRef<Value> bFrag, ArrayRef<Value> c) {
    Value r = NVVM::MmaOp::create(b, loc, mmaResult, a, bFrag, c, {16, 8, 16}, std::nullopt,
                                  std::nullopt, std::nullopt,
                                  std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                                 NVVM::MMALayout::col});
    SmallVector<Value> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, r, ArrayRef<int64_t>{i}));
    return out;
  };

  // Binary codes: w = sum_i alpha_i b_i + offset, b in {-1, +1}. Each plane
  // is an mma on +-1 f16 values (one shift and one LOP3 give the sign bits
  // of two halves: bit 1 -> +1.0, 0 -> -1.0); an mma with an all-ones A
  // gives the activation sums the offset multiplies. Alphas and offsets
  // scale the per-chunk f32 partial sums.
  Value onesA = plan.binary ? arith::ConstantOp::create(
                                  b, loc, DenseElementsAttr::get(v2f16, APFloat(APFloat::IEEEhalf(), "1")))
                                  .getResult()
                            : Value();
  auto computeBinary = [&](const ChunkData &d, SmallVector<Value> acc) {
    for (int64_t cc = 0; cc < 4; ++cc) {
      int64_t ps = cc * paramSets / 4;
      SmallVector<SmallVector<Value>> part(P + 1, SmallVector<Value>(NB * 4, zeroAcc));
      for (int64_t j = 0; j < 4; ++j) {
        SmallVector<SmallVector<Value>> a(P + 1);
        a[P] = {onesA, onesA, onesA, onesA};
        for (int64_t i = 0; i < P; ++i) {
          int64_t k = cc * P + i;
          Value word = e.extract(d.planes[k / 4], k % 4);
          for (int64_t q = 0; q < 4; ++q) {
            Value shifted = 4 * j + q ? arith::ShLIOp::create(b, loc, word, e.c32(4 * j + q)).getResult()
                                      : word;
            Value bits = arith::XOrIOp::create(b, loc, e.band(shifted, (int64_t)0x80008000),
                                               e.c32((int64_t)0xBC00BC00));
            a[i].push_back(e.bitcast(v2f16, bits));
          }
        }
        for (int64_t bt = 0; bt < NB; ++bt) {
          Value vec = d.x[(bt * 4 + cc) * 2 + j / 2];
          SmallVector<Value> bFrag = {e.bitcast(v2f16, e.extract(vec, (j % 2) * 2)),
                                      e.bitcast(v2f16, e.extract(vec, (j % 2) * 2 + 1))};
          for (int64_t i = 0; i <= P; ++i) {
            SmallVector<Value> c(part[i].begin() + bt * 4, part[i].begin() + bt * 4 + 4);
            c = mma(a[i], bFrag, c);
            std::copy(c.begin(), c.end(), part[i].begin() + bt * 4);
          }
        }
      }
      for (int64_t i = 0; i <= P; ++i) {
        Value s = arith::ExtFOp::create(b, loc, v2f32,
                                        e.bitcast(v2f16, d.params[ps * (P + 1) + i]));
        Value sG = e.extract(s, 0), sG8 = e.extract(s, 1);
        for (int64_t bt = 0; bt < NB; ++bt)
          for (int64_t r = 0; r < 4; ++r)
            acc[bt * 4 + r] = e.fma(r < 2 ? sG : sG8, part[i][bt * 4 + r], acc[bt * 4 + r]);
      }
    }
    return acc;
  };

  // acc[bt * 4 + i]: mma accumulator i of batch tile bt.
  auto computeChunk = [&](const ChunkData &d, SmallVector<Value> acc) {
    if (plan.binary)
      return computeBinary(d, acc);
    // Rows g (registers 0, 2) and g + 8 (registers 1, 3) of the A fragment.
    Value lowG = magicLow, lowG8 = magicLow, highG = magicHigh, highG8 = magicHigh;
    if (!plan.symmetric) {
      Value z = e.bitcast(v2f16, d.zero);                    // 1024 + zero
      Value nz = arith::SubFOp::create(b, loc, c960, z);      // -(64 + zero)
      static constexpr int64_t lane0[] = {0, 0}, lane1[] = {1, 1};
      lowG = vector::ShuffleOp::create(b, loc, z, z, lane0);
      lowG8 = vector::ShuffleOp::create(b, loc, z, z, lane1);
      highG = vector::ShuffleOp::create(b, loc, nz, nz, lane0);
      highG8 = vector::ShuffleOp::create(b, loc, nz, nz, lane1);
    }
    SmallVector<Value> part(acc.size(), zeroAcc);
    SmallVector<Value> &sum = grouped ? part : acc;
    for (int64_t j = 0; j < 4; ++j) {
      Value word = e.extract(d.codes, j);
      // Register q holds nibbles q (low half) and q + 4 (high half).
      Value top = e.shr(word, 8);
      auto field = [&](Value w, int64_t mask) {
        return e.bitcast(v2f16, e.bor(e.band(w, mask), 0x64006400));
      };
      auto low = [&](Value w, Value magic) -> Value {
        return arith::SubFOp::create(b, loc, field(w, 0x000F000F), magic);
      };
      auto high = [&](Value w, Value negMagic) -> Value {
        return LLVM::FMAOp::create(b, loc, field(w, 0x00F000F0), sixteenth, negMagic);
      };
      SmallVector<Value> a = {low(word, lowG), high(word, highG8), low(top, lowG),
                              high(top, highG8)};
      for (int64_t bt = 0; bt < NB; ++bt) {
        ArrayRef<Value> xs = ArrayRef<Value>(d.x).slice(bt * xVecsPerChunk, xVecsPerChunk);
        SmallVector<Value> c(sum.begin() + bt * 4, sum.begin() + bt * 4 + 4);
        if (!plan.f32Input) {
          // k-tile j reads halves 4j..4j+3 of the lane's 16: two f16x2 words.
          Value vec = xs[j / 2];
          SmallVector<Value> bFrag = {e.bitcast(v2f16, e.extract(vec, (j % 2) * 2)),
                                      e.bitcast(v2f16, e.extract(vec, (j % 2) * 2 + 1))};
          c = mma(a, bFrag, c);
        } else {
          // f32 activations as hi + lo f16 parts: two mmas keep ~22 bits.
          Value vec = e.bitcast(v4f32, xs[j]);
          SmallVector<Value> hi, lo;
          for (int64_t h = 0; h < 2; ++h) {
            Value pair = vector::ShuffleOp::create(b, loc, vec, vec,
                                                   ArrayRef<int64_t>{2 * h, 2 * h + 1});
            Value hv = arith::TruncFOp::create(b, loc, v2f16, pair);
            Value rest = arith::SubFOp::create(b, loc, pair,
                                               arith::ExtFOp::create(b, loc, v2f32, hv));
            hi.push_back(hv);
            lo.push_back(arith::TruncFOp::create(b, loc, v2f16, rest));
          }
          c = mma(a, hi, c);
          c = mma(a, lo, c);
        }
        std::copy(c.begin(), c.end(), sum.begin() + bt * 4);
      }
    }
    if (grouped) {
      Value s = arith::ExtFOp::create(b, loc, v2f32, e.bitcast(v2f16, d.scale));
      Value sG = e.extract(s, 0), sG8 = e.extract(s, 1);
      for (int64_t bt = 0; bt < NB; ++bt)
        for (int64_t i = 0; i < 4; ++i)
          acc[bt * 4 + i] = e.fma(i < 2 ? sG : sG8, part[bt * 4 + i], acc[bt * 4 + i]);
    }
    return acc;
  };

  // Warp w takes chunks w, w + W, ...: neighbouring warps read neighbouring
  // 512-byte segments. Each iteration handles U chunks; with prefetching,
  // the next iteration's U weight loads are issued before this one's math,
  // so every lane always has U 128-bit loads in flight.
  const int64_t U = plan.unroll;
  Value count = stridedCount(e, warp, W, C);
  Value mainIters = arith::DivUIOp::create(b, loc, count, e.c32(U));
  // Prefetches past the warp's last chunk read (and drop) chunk C - 1 of
  // the same tile rather than memory outside the weight.
  auto chunkOf = [&](Value iter, int64_t u) { return stridedItem(e, warp, W, C, U, iter, u); };
  // Weight words of U chunks, flattened for scf.for iter_args.
  auto flatten = [&](ArrayRef<ChunkData> set) {
    SmallVector<Value> v;
    for (const ChunkData &d : set) {
      if (plan.binary) {
        llvm::append_range(v, d.planes);
        llvm::append_range(v, d.params);
        continue;
      }
      v.push_back(d.codes);
      if (d.scale)
        v.push_back(d.scale);
      if (d.zero)
        v.push_back(d.zero);
    }
    return v;
  };
  const int64_t perChunk = plan.binary ? P + paramSets * (P + 1)
                                       : 1 + (grouped ? 1 : 0) + (plan.symmetric ? 0 : 1);
  auto unflatten = [&](ValueRange v) {
    SmallVector<ChunkData> set(U);
    for (int64_t u = 0; u < U; ++u) {
      if (plan.binary) {
        ValueRange unit = v.slice(u * perChunk, perChunk);
        set[u].planes.assign(unit.begin(), unit.begin() + P);
        set[u].params.assign(unit.begin() + P, unit.end());
        continue;
      }
      int64_t at = u * perChunk;
      set[u].codes = v[at++];
      if (grouped)
        set[u].scale = v[at++];
      if (!plan.symmetric)
        set[u].zero = v[at++];
    }
    return set;
  };
  auto loadSet = [&](Value iter) {
    SmallVector<ChunkData> set;
    for (int64_t u = 0; u < U; ++u)
      set.push_back(loadWeights(chunkOf(iter, u)));
    return set;
  };
  auto computeSet = [&](SmallVector<ChunkData> set, Value iter, SmallVector<Value> acc) {
    for (int64_t u = 0; u < U; ++u)
      loadX(set[u], chunkOf(iter, u));
    for (int64_t u = 0; u < U; ++u)
      acc = computeChunk(set[u], acc);
    return acc;
  };
  SmallVector<Value> init(NB * 4, zeroAcc);
  SmallVector<Value> mainResults;
  if (S > 0) {
    // cp.async pipeline: S - 1 iterations' weights are in flight into
    // shared memory while one is computed, without holding registers. Each
    // thread reads back only its own slots, so cp.async.wait_group orders
    // everything (no barrier).
    auto sptr = LLVM::LLVMPointerType::get(ctx, 3);
    Value codesRing = LLVM::AddressOfOp::create(b, loc, ringCodes);
    Value scalesRing = grouped ? LLVM::AddressOfOp::create(b, loc, ringScales).getResult() : Value();
    Value zerosRing = plan.symmetric ? Value() : LLVM::AddressOfOp::create(b, loc, ringZeros).getResult();
    auto slotIndex = [&](Value slot, int64_t u) {
      return e.add(e.mul(e.add(e.mul(slot, e.c32(U)), e.c32(u)), e.c32(threads)), tid);
    };
    auto issue = [&](Value iter) {
      Value slot = arith::RemUIOp::create(b, loc, iter, e.c32(S));
      for (int64_t u = 0; u < U; ++u) {
        Value c = chunkOf(iter, u);
        Value at = slotIndex(slot, u);
        Value src = e.gep(codesBase, v4i32, e.add(codesLane, e.mul(c, e.c32(32))));
        NVVM::CpAsyncOp::create(b, loc, e.gep(codesRing, v4i32, at), src, 16,
                                NVVM::LoadCacheModifierKind::CG, Value());
        if (grouped || !plan.symmetric) {
          Value group = chunksPerGroup == 1
                            ? c
                            : arith::DivUIOp::create(b, loc, c, e.c32(chunksPerGroup)).getResult();
          Value pat = e.add(paramLane, e.mul(group, e.c32(8)));
          if (grouped)
            NVVM::CpAsyncOp::create(b, loc, e.gep(scalesRing, i32, at),
                                    e.gep(scalesBase, i32, pat), 4,
                                    NVVM::LoadCacheModifierKind::CA, Value());
          if (!plan.symmetric)
            NVVM::CpAsyncOp::create(b, loc, e.gep(zerosRing, i32, at),
                                    e.gep(zerosBase, i32, pat), 4,
                                    NVVM::LoadCacheModifierKind::CA, Value());
        }
      }
    };
    // Only iterations that exist are fetched; every iteration still commits
    // a (possibly empty) group so wait_group counts stay aligned.
    auto issueIfValid = [&](Value iter) {
      Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, iter, mainIters);
      auto ifOp = scf::IfOp::create(b, loc, valid, /*withElseRegion=*/false);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        issue(iter);
      }
      NVVM::CpAsyncCommitGroupOp::create(b, loc);
    };
    for (int64_t st = 0; st + 1 < S; ++st)
      issueIfValid(e.c32(st));
    mainResults = accumulateLoop(
        e, e.idx(0), e.toIndex(mainIters), e.idx(1), init,
        [&](Value iter, SmallVector<Value> acc) {
          issueIfValid(e.add(iter, e.c32(S - 1)));
          NVVM::CpAsyncWaitGroupOp::create(b, loc, S - 1);
          Value slot = arith::RemUIOp::create(b, loc, iter, e.c32(S));
          SmallVector<ChunkData> set(U);
          for (int64_t u = 0; u < U; ++u) {
            Value at = slotIndex(slot, u);
            set[u].codes = e.load(v4i32, e.gep(codesRing, v4i32, at), 16);
            if (grouped)
              set[u].scale = e.load(i32, e.gep(scalesRing, i32, at), 4);
            if (!plan.symmetric)
              set[u].zero = e.load(i32, e.gep(zerosRing, i32, at), 4);
          }
          return computeSet(set, iter, std::move(acc));
        });
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    (void)sptr;
  } else if (plan.prefetch) {
    mainResults = prefetchLoop(
        e, mainIters, init, [&](Value iter) { return flatten(loadSet(iter)); },
        [&](ValueRange loaded, Value iter, SmallVector<Value> acc) {
          return computeSet(unflatten(loaded), iter, std::move(acc));
        });
  } else {
    mainResults = accumulateLoop(e, e.idx(0), e.toIndex(mainIters), e.idx(1), init,
                                 [&](Value iter, SmallVector<Value> acc) {
                                   return computeSet(loadSet(iter), iter, std::move(acc));
                                 });
  }
  SmallVector<Value> acc = accumulateLoop(
      e, e.toIndex(e.mul(mainIters, e.c32(U))), e.toIndex(count), e.idx(1), mainResults,
      [&](Value i, SmallVector<Value> acc) {
        Value c = e.add(warp, e.mul(i, e.c32(W)));
        ChunkData d = loadWeights(c);
        loadX(d, c);
        return computeChunk(d, std::move(acc));
      });

  // Output (row r, batch m) sits in lane (r % 8) * 4 + (m % 8) / 2,
  // accumulator (r / 8) * 2 + m % 2 of batch tile m / 8.
  Value rowBase = e.mul(tile, e.c32(16));
  auto storeOutput = [&](Value r, Value m, Value v) {
    if (!grouped) {
      // Per-channel scale: once, at the end.
      Value at = e.add(e.mul(tile, e.c32(16)),
                       e.add(e.mul(e.band(r, 7), e.c32(2)), e.shr(r, 3)));
      Value s = e.load(f16, e.gep(scalesBase, f16, at), 2);
      v = arith::MulFOp::create(b, loc, v, arith::ExtFOp::create(b, loc, f32, s));
    }
    Value at = e.add(e.mul(m, e.c32(plan.rows)), e.add(rowBase, r));
    LLVM::StoreOp::create(b, loc, v, e.gep(yg, f32, at), 4);
  };

  if (W == 1) {
    // One warp holds the whole sum: lanes store their own outputs.
    for (int64_t bt = 0; bt < NB; ++bt)
      for (int64_t i = 0; i < 4; ++i) {
        Value r = e.add(g, e.c32(8 * (i / 2)));
        Value m = e.add(e.mul(t, e.c32(2)), e.c32(bt * 8 + i % 2));
        Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, e.c32(plan.batch));
        auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        storeOutput(r, m, acc[bt * 4 + i]);
      }
  } else {
    Value smem = func.getWorkgroupAttributions().front();
    for (int64_t bt = 0; bt < NB; ++bt) {
      Value at = e.mul(e.add(e.mul(e.add(e.c32(bt * W), warp), e.c32(32)), lane), e.c32(4));
      Value vec = vector::FromElementsOp::create(b, loc, v4f32,
                                                 ArrayRef<Value>(acc).slice(bt * 4, 4));
      vector::StoreOp::create(b, loc, vec, smem, ValueRange{e.toIndex(at)});
    }
    gpu::BarrierOp::create(b, loc);
    // Thread s sums output s = m * 16 + r over the warps: consecutive
    // threads write consecutive rows of y.
    auto outLoop = scf::ForOp::create(b, loc, e.toIndex(tid), e.idx(16 * plan.batch), e.idx(threads));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(outLoop.getBody());
    Value s = e.toI32(outLoop.getInductionVar());
    Value r = e.band(s, 15), m = e.shr(s, 4);
    Value srcLane = e.add(e.mul(e.band(r, 7), e.c32(4)), e.shr(e.band(m, 7), 1));
    Value reg = e.add(e.mul(e.shr(r, 3), e.c32(2)), e.band(m, 1));
    Value bt = e.shr(m, 3);
    Value sum = zeroAcc;
    for (int64_t w = 0; w < W; ++w) {
      Value at = e.add(e.mul(e.add(e.mul(e.add(e.mul(bt, e.c32(W)), e.c32(w)), e.c32(32)), srcLane),
                             e.c32(4)),
                       reg);
      Value v = memref::LoadOp::create(b, loc, smem, ValueRange{e.toIndex(at)});
      sum = arith::AddFOp::create(b, loc, sum, v);
    }
    storeOutput(r, m, sum);
  }
  return finishKernel(b, loc, func);
}

/// Per-token int8 quantization of the activations (lq.matmul act(8)), one
/// block per row: `q[m, k] = clamp(roundeven(x[m, k] / s_m), -127, 127)`,
/// `s_m = max_k |x[m, k]| / 127` (1 for an all-zero row), in f32 exactly as
/// lq-expand's reference computes it. Writes int8 codes `[M, K]` at offset 0
/// of the scratch buffer and the f32 scales at `plan.qScalesOffset`.
gpu::GPUFuncOp buildActQuantKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                                   const W4Plan &plan) {
  MLIRContext *ctx = outer.getContext();
  const int64_t T = plan.quantThreads, warps = T / 32;
  auto smemType = MemRefType::get({warps}, outer.getF32Type(), AffineMap(),
                                  gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  auto func = makeKernelFunc(kernels, loc, plan.quantName, 2, plan.batch, T, {smemType});
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  Emit e{b, loc};
  // The GEMM may be scheduled as soon as every block of this kernel runs.
  if (plan.dependentLaunch)
    NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::launch_dependents);
  Value xg = e.global(func.getArgument(0));
  Value qg = e.global(func.getArgument(1));
  Value tid = e.threadId();
  Value row = e.blockId();
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  const int64_t perVec = plan.f32Input ? 4 : 8; // elements per 128-bit load
  const int64_t nvec = plan.cols / perVec, nv = (nvec + T - 1) / T;
  VectorType v4i32 = e.v4i32();
  // All of the thread's loads first (clamped duplicates do not change the
  // maximum), so the row is read with one memory latency.
  SmallVector<SmallVector<Value>> vals;
  SmallVector<Value> vecIndex;
  Value absMax = e.f32(0.0);
  for (int64_t v = 0; v < nv; ++v) {
    Value vi = e.add(tid, e.c32(v * T));
    vecIndex.push_back(vi);
    Value vc = arith::MinUIOp::create(b, loc, vi, e.c32(nvec - 1));
    Value raw = e.load(v4i32, e.gep(xg, v4i32, e.add(e.mul(row, e.c32(nvec)), vc)), 16);
    SmallVector<Value> elems;
    if (plan.f32Input) {
      Value f = e.bitcast(VectorType::get({4}, f32), raw);
      for (int64_t i = 0; i < 4; ++i)
        elems.push_back(e.extract(f, i));
    } else {
      Value h = e.bitcast(VectorType::get({8}, b.getF16Type()), raw);
      Value f = arith::ExtFOp::create(b, loc, VectorType::get({8}, f32), h);
      for (int64_t i = 0; i < 8; ++i)
        elems.push_back(e.extract(f, i));
    }
    // |x| by clearing the sign bit (convert-gpu-to-nvvm takes no llvm.fabs).
    for (Value x : elems) {
      Value bits = e.band(e.bitcast(b.getI32Type(), x), 0x7FFFFFFF);
      absMax = arith::MaximumFOp::create(b, loc, absMax, e.bitcast(f32, bits));
    }
    vals.push_back(elems);
  }
  for (int64_t off = 16; off >= 1; off /= 2) {
    Value other = gpu::ShuffleOp::create(b, loc, absMax, e.c32(off), e.c32(32),
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    absMax = arith::MaximumFOp::create(b, loc, absMax, other);
  }
  Value smem = func.getWorkgroupAttributions().front();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, e.c32(0));
    auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    memref::StoreOp::create(b, loc, absMax, smem, ValueRange{e.toIndex(warp)});
  }
  gpu::BarrierOp::create(b, loc);
  absMax = e.f32(0.0);
  for (int64_t w = 0; w < warps; ++w)
    absMax = arith::MaximumFOp::create(b, loc, absMax,
                                       memref::LoadOp::create(b, loc, smem, ValueRange{e.idx(w)}));
  Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, absMax, e.f32(0.0));
  Value scale = arith::SelectOp::create(
      b, loc, isZero, e.f32(1.0), arith::DivFOp::create(b, loc, absMax, e.f32(127.0)));
  Type store = plan.f32Input ? b.getI32Type() : b.getI64Type();
  for (int64_t v = 0; v < nv; ++v) {
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, vecIndex[v], e.c32(nvec));
    auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> codes;
    for (Value x : vals[v]) {
      // Clamping first leaves the result unchanged, and then adding and
      // subtracting 1.5 * 2^23 rounds to the nearest integer, ties to even,
      // exactly (roundeven without a libdevice call).
      Value q = arith::DivFOp::create(b, loc, x, scale);
      q = arith::MaximumFOp::create(b, loc, q, e.f32(-127.0));
      q = arith::MinimumFOp::create(b, loc, q, e.f32(127.0));
      q = arith::AddFOp::create(b, loc, q, e.f32(12582912.0));
      q = arith::SubFOp::create(b, loc, q, e.f32(12582912.0));
      codes.push_back(arith::FPToSIOp::create(b, loc, i8, q));
    }
    Value packed = e.bitcast(store, vector::FromElementsOp::create(
                                        b, loc, VectorType::get({perVec}, i8), codes));
    Value at = e.add(e.mul(row, e.c32(nvec)), vecIndex[v]);
    LLVM::StoreOp::create(b, loc, packed, e.gep(qg, store, at), perVec);
  }
  {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, e.c32(0));
    auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value scales = e.gep(qg, b.getI8Type(), e.c32(plan.qScalesOffset));
    LLVM::StoreOp::create(b, loc, scale, e.gep(scales, f32, row), 4);
  }
  return finishKernel(b, loc, func);
}

/// W4A8 GEMM: int8 activations (from buildActQuantKernel) times symmetric
/// 4-bit weights on mma.sync.m16n8k32 (s8 x s8 -> s32). A block has
/// rowWarps x kWarps warps: warp (rw, kw) owns row tile rowBlock * rowWarps
/// + rw and chunks kw, kw + kWarps, ...; the rowWarps warps that share
/// chunks read the same activations at about the same time (L1 hits). Each
/// block covers nTiles batch tiles of 8 rows; batch blocks of one row block
/// are neighbours in the grid, so the weight they all read comes from L2
/// after the first. Nibbles become int8 registers of 16 (q - 8) with one
/// shift and one AND each; products are summed exactly in int32, converted
/// and scaled per chunk (groups) or once (per-channel), then multiplied by
/// the token scale and 1/16.
gpu::GPUFuncOp buildW4A8Kernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                               const W4Plan &plan) {
  MLIRContext *ctx = outer.getContext();
  const int64_t RW = plan.rowWarps, KW = plan.kWarps, NB = plan.nTiles, C = plan.chunks;
  const int64_t BB = plan.batchBlocks, threads = plan.threads, BM = 8 * NB, RT = plan.warpTiles;
  const bool grouped = plan.groups > 1;
  auto smemType = MemRefType::get({RW * KW * RT * NB * 32 * 4}, outer.getF32Type(), AffineMap(),
                                  gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  auto func = makeKernelFunc(kernels, loc, plan.kernelName, 3, plan.grid, threads, {smemType},
                             plan.minBlocks);
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  Emit e{b, loc};
  // Launched while the quantization kernel may still run: nothing is read
  // or written before it has completed.
  if (plan.dependentLaunch)
    NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
  Value qg = e.global(func.getArgument(0));
  Value wg = e.global(func.getArgument(1));
  Value yg = e.global(func.getArgument(2));
  Type f32 = b.getF32Type(), i32 = e.i32();
  VectorType v4i32 = e.v4i32(), v2f16 = e.v2f16();
  auto v2f32 = VectorType::get({2}, f32);

  Value tid = e.threadId();
  Value bid = e.blockId();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  Value g = e.shr(lane, 2), t = e.band(lane, 3);
  Value rowBlock = arith::DivUIOp::create(b, loc, bid, e.c32(BB));
  Value bb = arith::RemUIOp::create(b, loc, bid, e.c32(BB));
  Value rw = arith::RemUIOp::create(b, loc, warp, e.c32(RW));
  Value kw = arith::DivUIOp::create(b, loc, warp, e.c32(RW));
  // The warp's RT row tiles share every activation fragment.
  Value tile0 = e.mul(e.add(e.mul(rowBlock, e.c32(RW)), rw), e.c32(RT));
  Value batchBase = e.mul(bb, e.c32(BM));

  // Activation rows (clamped: padding columns read a real row and are
  // never stored), in units of 16 bytes.
  SmallVector<Value> xRowBase;
  for (int64_t nt = 0; nt < NB; ++nt) {
    Value r = e.add(batchBase, e.add(g, e.c32(nt * 8)));
    r = arith::MinUIOp::create(b, loc, r, e.c32(plan.batch - 1));
    xRowBase.push_back(e.add(e.mul(r, e.c32(plan.cols / 16)), t));
  }
  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.codesOffset));
  Value scalesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.scalesOffset));
  SmallVector<Value> codesLane, paramLane;
  for (int64_t r = 0; r < RT; ++r) {
    Value tile = e.add(tile0, e.c32(r));
    codesLane.push_back(e.add(e.mul(tile, e.c32(C * 32)), lane));
    paramLane.push_back(e.add(e.mul(tile, e.c32(plan.groups * 8)), g));
  }
  const int64_t chunksPerGroup = plan.group / ::lq::gpu::kChunkCols;

  auto mmaType = LLVM::LLVMStructType::getLiteral(ctx, {i32, i32, i32, i32});
  auto mma = [&](ArrayRef<Value> a, ArrayRef<Value> bFrag, ArrayRef<Value> c) {
    Value r = NVVM::MmaOp::create(
        b, loc, mmaType, a, bFrag, c, {16, 8, 32}, std::nullopt, NVVM::MMAIntOverflow::wrapped,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::s8, NVVM::MMATypes::s8},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, r, ArrayRef<int64_t>{i}));
    return out;
  };

  // A unit is UC consecutive chunks: one whole group (up to 256 columns) for
  // grouped codes, so its int32 sums are converted and scaled once; one
  // chunk per-channel (the int32 sums run over all of K).
  const int64_t UC = grouped && chunksPerGroup <= 4 ? chunksPerGroup : 1;
  const int64_t CU = C / UC;
  // Activation fragments of chunk i of a unit, one per batch tile.
  auto loadActivations = [&](Value unit, int64_t i) {
    Value c = e.add(e.mul(unit, e.c32(UC)), e.c32(i));
    SmallVector<Value> x;
    for (int64_t nt = 0; nt < NB; ++nt)
      x.push_back(e.load(v4i32, e.gep(qg, v4i32, e.add(xRowBase[nt], e.mul(c, e.c32(4)))), 16));
    return x;
  };
  // Weights of a unit: one 128-bit word per lane and chunk, plus the group's
  // scale pair (rows g, g + 8).
  auto loadWeights = [&](Value unit) {
    SmallVector<Value> d; // codes [r][i], then scales [r]
    for (int64_t r = 0; r < RT; ++r)
      for (int64_t i = 0; i < UC; ++i) {
        Value c = e.add(e.mul(unit, e.c32(UC)), e.c32(i));
        d.push_back(
            e.load(v4i32, e.gep(codesBase, v4i32, e.add(codesLane[r], e.mul(c, e.c32(32)))), 16));
      }
    if (grouped) {
      Value group = chunksPerGroup == UC
                        ? unit
                        : arith::DivUIOp::create(b, loc, unit, e.c32(chunksPerGroup)).getResult();
      for (int64_t r = 0; r < RT; ++r)
        d.push_back(
            e.load(i32, e.gep(scalesBase, i32, e.add(paramLane[r], e.mul(group, e.c32(8)))), 4));
    }
    // With `prefetch`, the unit's activations travel with its weights (one
    // iteration ahead), else they are loaded just before use.
    if (plan.prefetch)
      for (int64_t i = 0; i < UC; ++i)
        llvm::append_range(d, loadActivations(unit, i));
    return d;
  };
  const int64_t xAt = RT * UC + (grouped ? RT : 0);
  const int64_t perUnit = xAt + (plan.prefetch ? UC * NB : 0);
  Value zeroI = e.c32(0), zeroF = e.f32(0.0);
  // |sum| over a unit (at most 256 columns) is below 16 * 8 * 127 * 256 <
  // 2^22: adding it to the bits of 1.5 * 2^23 and subtracting 1.5 * 2^23 as
  // a float converts it exactly at full rate (I2F runs at a quarter).
  Value magicBits = e.c32(0x4B400000);
  Value magic = e.f32(12582912.0);
  auto toF32 = [&](Value v) -> Value {
    return arith::SubFOp::create(b, loc, e.bitcast(f32, e.add(v, magicBits)), magic);
  };
  // acc: NB * 4 values, f32 (grouped) or i32 (per-channel).
  auto computeUnit = [&](ArrayRef<Value> d, Value unit, SmallVector<Value> acc) {
    SmallVector<Value> part(RT * NB * 4, zeroI);
    SmallVector<Value> &sum = grouped ? part : acc;
    for (int64_t i = 0; i < UC; ++i) {
      SmallVector<Value> x = plan.prefetch ? SmallVector<Value>(d.slice(xAt + i * NB, NB))
                                           : loadActivations(unit, i);
      for (int64_t j = 0; j < 2; ++j)
        for (int64_t r = 0; r < RT; ++r) {
          SmallVector<Value> a;
          for (int64_t h = 0; h < 2; ++h) {
            Value w = e.extract(d[r * UC + i], 2 * j + h);
            Value shifted = arith::ShLIOp::create(b, loc, w, e.c32(4));
            a.push_back(e.band(shifted, (int64_t)0xF0F0F0F0)); // row g
            a.push_back(e.band(w, (int64_t)0xF0F0F0F0));       // row g + 8
          }
          for (int64_t nt = 0; nt < NB; ++nt) {
            SmallVector<Value> bFrag = {e.extract(x[nt], 2 * j), e.extract(x[nt], 2 * j + 1)};
            int64_t at = (r * NB + nt) * 4;
            SmallVector<Value> cc(sum.begin() + at, sum.begin() + at + 4);
            cc = mma(a, bFrag, cc);
            std::copy(cc.begin(), cc.end(), sum.begin() + at);
          }
        }
    }
    if (grouped)
      for (int64_t r = 0; r < RT; ++r) {
        Value s = arith::ExtFOp::create(b, loc, v2f32, e.bitcast(v2f16, d[RT * UC + r]));
        Value sG = e.extract(s, 0), sG8 = e.extract(s, 1);
        for (int64_t i = r * NB * 4; i < (r + 1) * NB * 4; ++i)
          acc[i] = e.fma(i % 4 < 2 ? sG : sG8, toF32(part[i]), acc[i]);
      }
    return acc;
  };

  // Units kw, kw + KW, ...: U per iteration, the next iteration's weights
  // loaded before this one's math.
  const int64_t U = std::max<int64_t>(1, plan.unroll / UC);
  Value count = stridedCount(e, kw, KW, CU);
  Value mainIters = arith::DivUIOp::create(b, loc, count, e.c32(U));
  auto unitOf = [&](Value iter, int64_t u) { return stridedItem(e, kw, KW, CU, U, iter, u); };
  auto loadSet = [&](Value iter) {
    SmallVector<Value> v;
    for (int64_t u = 0; u < U; ++u)
      llvm::append_range(v, loadWeights(unitOf(iter, u)));
    return v;
  };
  const int64_t numAcc = RT * NB * 4;
  SmallVector<Value> init(numAcc, grouped ? zeroF : zeroI);
  SmallVector<Value> mainResults = prefetchLoop(
      e, mainIters, init, loadSet, [&](ValueRange cur, Value iter, SmallVector<Value> acc) {
        for (int64_t u = 0; u < U; ++u)
          acc = computeUnit(SmallVector<Value>(cur.slice(u * perUnit, perUnit)), unitOf(iter, u),
                            acc);
        return acc;
      });
  SmallVector<Value> acc = accumulateLoop(
      e, e.toIndex(e.mul(mainIters, e.c32(U))), e.toIndex(count), e.idx(1), mainResults,
      [&](Value i, SmallVector<Value> acc) {
        Value unit = e.add(kw, e.mul(i, e.c32(KW)));
        return computeUnit(loadWeights(unit), unit, std::move(acc));
      });
  if (!grouped)
    for (Value &v : acc)
      v = arith::SIToFPOp::create(b, loc, f32, v);

  // Partial sums to shared memory ([rw][kw][r][nt][lane][4]), then thread s
  // sums output s over the kWarps warps: consecutive threads, consecutive
  // rows of y.
  Value smem = func.getWorkgroupAttributions().front();
  auto v4f32 = VectorType::get({4}, f32);
  for (int64_t rn = 0; rn < RT * NB; ++rn) {
    Value slot = e.add(e.mul(e.add(e.mul(e.add(e.mul(rw, e.c32(KW)), kw), e.c32(RT * NB)), e.c32(rn)),
                             e.c32(32)),
                       lane);
    Value vec = vector::FromElementsOp::create(b, loc, v4f32, ArrayRef<Value>(acc).slice(rn * 4, 4));
    vector::StoreOp::create(b, loc, vec, smem, ValueRange{e.toIndex(e.mul(slot, e.c32(4)))});
  }
  gpu::BarrierOp::create(b, loc);
  Value qScales = e.gep(qg, b.getI8Type(), e.c32(plan.qScalesOffset));
  auto outLoop = scf::ForOp::create(b, loc, e.toIndex(tid), e.idx(RW * RT * 16 * BM), e.idx(threads));
  OpBuilder::InsertionGuard g2(b);
  b.setInsertionPointToStart(outLoop.getBody());
  Value s = e.toI32(outLoop.getInductionVar());
  Value r = e.band(s, 15), rest = e.shr(s, 4);
  Value ml = arith::RemUIOp::create(b, loc, rest, e.c32(BM));
  Value rt = arith::DivUIOp::create(b, loc, rest, e.c32(BM)); // rw * RT + r
  Value orw = arith::DivUIOp::create(b, loc, rt, e.c32(RT));
  Value ort = arith::RemUIOp::create(b, loc, rt, e.c32(RT));
  Value m = e.add(batchBase, ml);
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, e.c32(plan.batch));
  auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  // Output (row r, batch column ml) sits in lane (r % 8) * 4 + (ml % 8) / 2,
  // accumulator (r / 8) * 2 + ml % 2 of batch tile ml / 8.
  Value srcLane = e.add(e.mul(e.band(r, 7), e.c32(4)), e.shr(e.band(ml, 7), 1));
  Value reg = e.add(e.mul(e.shr(r, 3), e.c32(2)), e.band(ml, 1));
  Value nt = e.shr(ml, 3);
  Value sum = zeroF;
  for (int64_t w = 0; w < KW; ++w) {
    Value wr = e.add(e.mul(e.add(e.mul(orw, e.c32(KW)), e.c32(w)), e.c32(RT)), ort);
    Value slot = e.add(e.mul(e.add(e.mul(wr, e.c32(NB)), nt), e.c32(32)), srcLane);
    Value v = memref::LoadOp::create(b, loc, smem,
                                     ValueRange{e.toIndex(e.add(e.mul(slot, e.c32(4)), reg))});
    sum = arith::AddFOp::create(b, loc, sum, v);
  }
  Value otile = e.add(e.mul(rowBlock, e.c32(RW * RT)), rt);
  if (!grouped) {
    Value at = e.add(e.mul(otile, e.c32(16)), e.add(e.mul(e.band(r, 7), e.c32(2)), e.shr(r, 3)));
    Value ws = e.load(b.getF16Type(), e.gep(scalesBase, b.getF16Type(), at), 2);
    sum = arith::MulFOp::create(b, loc, sum, arith::ExtFOp::create(b, loc, f32, ws));
  }
  // Codes were 16 (q - 8): the 1/16 is exact.
  Value xs = e.load(f32, e.gep(qScales, f32, m), 4);
  sum = arith::MulFOp::create(b, loc, sum, arith::MulFOp::create(b, loc, xs, e.f32(1.0 / 16)));
  Value at = e.add(e.mul(m, e.c32(plan.rows)), e.add(e.mul(otile, e.c32(16)), r));
  LLVM::StoreOp::create(b, loc, sum, e.gep(yg, f32, at), 4);
  return finishKernel(b, loc, func);
}

/// PVQ GEMV: one warp per output row. A lane loads 4 (32-bit slots) or 8
/// (16-bit) group indices with one 128-bit access, decodes each
/// (docs/GPULayout.md) with the block-start table in shared memory, and
/// accumulates x . y in f32 for every batch row; the group's amp / ||y||
/// scales that dot product once. Warps reduce with shuffles.
gpu::GPUFuncOp buildPVQKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                              const W4Plan &plan) {
  MLIRContext *ctx = outer.getContext();
  const ::lq::PVQEncoding &enc = plan.pvqEnc;
  const ::lq::gpu::PVQBlob &blob = plan.pblob;
  const int64_t D = enc.dim, P = enc.pulses, M = plan.batch, threads = plan.threads;
  const int64_t groups = plan.cols / D, ampGroups = plan.cols / enc.ampGroup;
  const int64_t perLoad = 128 / blob.slotBits, loads = groups / perLoad;
  auto smemType = MemRefType::get({blob.tableWords + blob.sqrtWords}, outer.getI32Type(), AffineMap(),
                                  gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  auto func = makeKernelFunc(kernels, loc, plan.kernelName, 3, plan.grid, threads, {smemType});
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  Emit e{b, loc};
  Value xg = e.global(func.getArgument(0));
  Value wg = e.global(func.getArgument(1));
  Value yg = e.global(func.getArgument(2));
  Type f32 = b.getF32Type(), i32 = e.i32(), i8 = b.getI8Type();
  VectorType v4i32 = e.v4i32();
  Value tid = e.threadId();
  Value bid = e.blockId();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  Value row = e.add(e.mul(bid, e.c32(threads / 32)), warp);

  // The table to shared memory.
  Value table = func.getWorkgroupAttributions().front();
  Value tableBase = e.gep(wg, i8, e.c32(blob.tableOffset));
  {
    // N(d, k), then the norms (f32 bits).
    auto copy = scf::ForOp::create(b, loc, e.toIndex(tid),
                                   e.idx(blob.tableWords + blob.sqrtWords), e.idx(threads));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(copy.getBody());
    Value i = copy.getInductionVar();
    memref::StoreOp::create(b, loc, e.load(i32, e.gep(tableBase, i32, e.toI32(i)), 4), table,
                            ValueRange{i});
  }
  gpu::BarrierOp::create(b, loc);
  auto lookup = [&](Value at) {
    return memref::LoadOp::create(b, loc, table, ValueRange{e.toIndex(at)}).getResult();
  };
  Value codesRow = e.mul(row, e.c32(loads));
  Value codesBase = e.gep(wg, i8, e.c32(blob.codesOffset));
  Value ampsRow = e.gep(e.gep(wg, i8, e.c32(blob.ampsOffset)), i8, e.mul(row, e.c32(ampGroups)));
  Value step = e.load(f32, e.gep(e.gep(wg, i8, e.c32(blob.stepsOffset)), f32, row), 4);
  const int64_t xVecs = plan.f32Input ? D / 4 : D / 8; // 128-bit loads per group and batch row
  auto ult = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y).getResult();
  };
  auto select = [&](Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y).getResult();
  };

  // One group: decode y, then acc[m] += (amp / ||y||) * sum_i x[m, i] y_i.
  auto decodeGroup = [&](Value index, Value gi, SmallVector<Value> acc) {
    Value k = e.c32(P);
    SmallVector<Value> ys;
    Value sumSq = e.c32(0);
    for (int64_t i = 0; i < D; ++i) {
      int64_t rest = D - 1 - i;
      Value y;
      if (rest == 0) {
        // The last position takes the remaining pulses: +k (index 0) or -k.
        Value neg = arith::SubIOp::create(b, loc, e.c32(0), k);
        y = select(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index, e.c32(0)), k, neg);
      } else if (rest == 1) {
        // Two positions left, in closed form: y_i = 0 takes indices 0 and 1
        // (y_last = +-k), then each m < k a +m pair and a -m pair of
        // indices, and m = k one index each.
        Value isZero = ult(index, e.c32(2));
        Value t = arith::SubIOp::create(b, loc, index, e.c32(2));
        Value m = arith::MinUIOp::create(b, loc, e.add(e.shr(t, 2), e.c32(1)), k);
        Value rem = e.band(t, 3);
        Value atK = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, m, k);
        Value neg = select(atK, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, e.c32(0)),
                           arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rem, e.c32(2)));
        y = select(isZero, e.c32(0), select(neg, arith::SubIOp::create(b, loc, e.c32(0), m), m));
        index = select(isZero, index, select(atK, e.c32(0), e.band(rem, 1)));
      } else {
        // y_i's magnitude m: the last block start <= index, by a binary
        // search of the row (rest, k) with a fixed trip count, so the lanes
        // of a warp do not diverge. The first probe makes the rest powers of
        // two (no clamping); the probes bracket m, so the last ones to
        // succeed and to fail read the pair's start and end.
        Value rowBase = e.mul(e.add(e.c32((rest - 1) * (P + 1)), k), e.c32(P + 2));
        const int64_t n = P + 2, top = (int64_t)llvm::bit_floor(uint64_t(n));
        Value m = e.c32(0), begin = e.c32(0), end = e.c32(-1);
        auto probe = [&](Value cand) {
          Value v = lookup(e.add(rowBase, cand));
          Value fits = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, v, index);
          m = select(fits, cand, m);
          begin = select(fits, v, begin);
          end = select(fits, end, v);
        };
        if (n > top)
          probe(e.c32(n - top));
        for (int64_t stride = top / 2; stride >= 1; stride /= 2)
          probe(e.add(m, e.c32(stride)));
        // An index outside the codebook must not spend more than k pulses.
        m = arith::MinUIOp::create(b, loc, m, k);
        Value half = e.shr(arith::SubIOp::create(b, loc, end, begin), 1);
        Value inPair = arith::SubIOp::create(b, loc, index, begin);
        // The pair's first half is +m, its second -m; m = 0 is one block.
        Value neg = arith::AndIOp::create(
            b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, m, e.c32(0)),
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, inPair, half));
        y = select(neg, arith::SubIOp::create(b, loc, e.c32(0), m), m);
        index = select(neg, arith::SubIOp::create(b, loc, inPair, half), inPair);
      }
      Value mag = arith::MaxSIOp::create(b, loc, y, arith::SubIOp::create(b, loc, e.c32(0), y));
      k = arith::SubIOp::create(b, loc, k, mag);
      sumSq = e.add(sumSq, e.mul(y, y));
      ys.push_back(arith::SIToFPOp::create(b, loc, f32, y));
    }
    // amp = (a + 1) * step, as the reference decoder computes it.
    Value ampGroup = arith::DivUIOp::create(b, loc, gi, e.c32(enc.ampGroup / D));
    Value code = arith::ExtUIOp::create(b, loc, i32, e.load(i8, e.gep(ampsRow, i8, ampGroup), 1));
    Value amp = arith::MulFOp::create(
        b, loc, arith::UIToFPOp::create(b, loc, f32, e.add(code, e.c32(1))), step);
    // sqrt((float) sumSq) from the blob's table: the reference decoder's
    // value, bit for bit.
    Value norm = arith::BitcastOp::create(
        b, loc, f32,
        memref::LoadOp::create(b, loc, table,
                               ValueRange{e.toIndex(e.add(sumSq, e.c32(blob.tableWords)))}));
    Value factor = arith::DivFOp::create(b, loc, amp, norm);
    for (int64_t mm = 0; mm < M; ++mm) {
      Value dot = e.f32(0.0);
      Value first = e.mul(e.add(e.mul(e.c32(mm), e.c32(groups)), gi), e.c32(xVecs));
      for (int64_t v = 0; v < xVecs; ++v) {
        Value raw = e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16);
        SmallVector<Value> xs;
        if (plan.f32Input) {
          Value f = e.bitcast(VectorType::get({4}, f32), raw);
          for (int64_t q = 0; q < 4; ++q)
            xs.push_back(e.extract(f, q));
        } else {
          Value f = arith::ExtFOp::create(b, loc, VectorType::get({8}, f32),
                                          e.bitcast(VectorType::get({8}, b.getF16Type()), raw));
          for (int64_t q = 0; q < 8; ++q)
            xs.push_back(e.extract(f, q));
        }
        for (auto [q, xv] : llvm::enumerate(xs))
          dot = e.fma(xv, ys[v * xs.size() + q], dot);
      }
      acc[mm] = e.fma(dot, factor, acc[mm]);
    }
    return acc;
  };

  SmallVector<Value> init(M, e.f32(0.0));
  SmallVector<Value> acc = accumulateLoop(
      e, e.toIndex(lane), e.idx(loads), e.idx(32), init, [&](Value it, SmallVector<Value> acc) {
        Value words = e.load(v4i32, e.gep(codesBase, v4i32, e.add(codesRow, it)), 16);
        // Slot u of the lane's word is group first + u * width + lane (the
        // words of a warp's pass interleave their groups), so the warp's
        // activation loads for one slot are contiguous.
        Value waveWord = arith::SubIOp::create(b, loc, it, lane);
        Value width = arith::MinUIOp::create(
            b, loc, arith::SubIOp::create(b, loc, e.c32(loads), waveWord), e.c32(32));
        Value first = e.add(e.mul(waveWord, e.c32(perLoad)), lane);
        for (int64_t u = 0; u < perLoad; ++u) {
          Value index = blob.slotBits == 32 ? e.extract(words, u)
                        : u % 2 == 0       ? e.band(e.extract(words, u / 2), 0xFFFF)
                                           : e.shr(e.extract(words, u / 2), 16);
          acc = decodeGroup(index, e.add(first, e.mul(width, e.c32(u))), acc);
        }
        return acc;
      });
  for (int64_t off = 16; off >= 1; off /= 2)
    for (Value &v : acc)
      v = arith::AddFOp::create(b, loc, v,
                                gpu::ShuffleOp::create(b, loc, v, e.c32(off), e.c32(32),
                                                       gpu::ShuffleMode::XOR)
                                    .getShuffleResult());
  // Lane m stores batch row m.
  for (int64_t mm = 0; mm < M; ++mm) {
    Value mine = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, e.c32(mm % 32));
    auto ifOp = scf::IfOp::create(b, loc, mine, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value at = e.add(e.mul(e.c32(mm), e.c32(plan.rows)), row);
    LLVM::StoreOp::create(b, loc, acc[mm], e.gep(yg, f32, at), 4);
  }
  return finishKernel(b, loc, func);
}

/// A host pointer value (!llvm.ptr) to the data of `memref`.
Value pointerOf(OpBuilder &b, Location loc, Value memref) {
  Value i = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), i64);
}

struct LowerToNVPTXPass : public mlir::lq::impl::LQLowerToNVPTXBase<LowerToNVPTXPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    // The module this pass produces is meant to go through
    // gpu-module-to-binary next; register what that serialization needs so
    // quant-opt can run the whole pipeline.
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    registerGPUDialectTranslation(registry);
    registerNVVMDialectTranslation(registry);
    NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  }

  void runOnOperation() override;

private:
  FailureOr<W4Plan> plan(MatmulOp op, ConstantOp weight, Value &input);
  gpu::GPUModuleOp kernelModule();
  /// `func.func private @<name>_device() -> !llvm.ptr`: the device copy of
  /// the packed weight, uploaded on first use and kept for the process.
  func::FuncOp buildWeightUpload(Location loc, const W4Plan &plan);
  void lowerMatmul(MatmulOp op, Value input, const W4Plan &plan, gpu::GPUFuncOp kernel,
                   gpu::GPUFuncOp quant, func::FuncOp upload);

  gpu::GPUModuleOp kernels;
  unsigned counter = 0;
  int smVersion = 80;
};

gpu::GPUModuleOp LowerToNVPTXPass::kernelModule() {
  if (kernels)
    return kernels;
  ModuleOp module = getOperation();
  if ((kernels = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModule)))
    return kernels;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  // With an empty chip the module gets no target: nvvm-attach-target adds it.
  ArrayAttr targets;
  if (!chip.empty())
    targets = b.getArrayAttr({NVVM::NVVMTargetAttr::get(&getContext(), /*optLevel=*/3,
                                                        "nvptx64-nvidia-cuda", chip)});
  kernels = gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModule, targets);
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
  return kernels;
}

FailureOr<W4Plan> LowerToNVPTXPass::plan(MatmulOp op, ConstantOp weight, Value &input) {
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

func::FuncOp LowerToNVPTXPass::buildWeightUpload(Location loc, const W4Plan &plan) {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  const std::vector<uint8_t> &blob = plan.bytes();
  int64_t size = blob.size();
  auto bytesType = MemRefType::get({size}, b.getI8Type());

  // Host copy: the packed bytes as a constant global.
  auto tensorType = RankedTensorType::get({size}, b.getI8Type());
  auto data = makeResource(tensorType, plan.weightName,
                           ArrayRef<char>(reinterpret_cast<const char *>(blob.data()),
                                          blob.size()));
  memref::GlobalOp::create(b, loc, plan.weightName, b.getStringAttr("private"), bytesType, data,
                           /*constant=*/true, b.getI64IntegerAttr(::lq::gpu::kBlobAlign));
  // Device copy: a pointer cached in a global, null until the first call.
  std::string cacheName = plan.weightName + "_device_ptr";
  auto cache = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false, LLVM::Linkage::Internal,
                                      cacheName, Attribute());
  {
    Block *init = b.createBlock(&cache.getInitializerRegion());
    OpBuilder ib = OpBuilder::atBlockBegin(init);
    LLVM::ReturnOp::create(ib, loc, LLVM::ZeroOp::create(ib, loc, ptr).getResult());
  }
  b.setInsertionPointAfter(cache);
  auto func = func::FuncOp::create(b, loc, plan.weightName + "_device", b.getFunctionType({}, {ptr}));
  func.setPrivate();
  OpBuilder fb = OpBuilder::atBlockBegin(func.addEntryBlock());
  Value addr = LLVM::AddressOfOp::create(fb, loc, cache);
  Value cached = LLVM::LoadOp::create(fb, loc, ptr, addr, 8);
  Value null = LLVM::ZeroOp::create(fb, loc, ptr);
  Value missing = LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::eq, cached, null);
  auto ifOp = scf::IfOp::create(
      fb, loc, missing,
      [&](OpBuilder &tb, Location l) {
        Value host = memref::GetGlobalOp::create(tb, l, bytesType, plan.weightName);
        auto tokenType = gpu::AsyncTokenType::get(ctx);
        Value t0 = gpu::WaitOp::create(tb, l, tokenType, ValueRange{}).getAsyncToken();
        auto alloc = gpu::AllocOp::create(tb, l, bytesType, tokenType, ValueRange{t0}, ValueRange{},
                                          ValueRange{});
        Value t1 = gpu::MemcpyOp::create(tb, l, tokenType, ValueRange{alloc.getAsyncToken()},
                                         alloc.getMemref(), host)
                       .getAsyncToken();
        gpu::WaitOp::create(tb, l, Type(), ValueRange{t1});
        Value device = pointerOf(tb, l, alloc.getMemref());
        LLVM::StoreOp::create(tb, l, device, addr, 8);
        scf::YieldOp::create(tb, l, device);
      },
      [&](OpBuilder &eb, Location l) { scf::YieldOp::create(eb, l, cached); });
  func::ReturnOp::create(fb, loc, ifOp.getResults());
  return func;
}

void LowerToNVPTXPass::lowerMatmul(MatmulOp op, Value input, const W4Plan &plan,
                                   gpu::GPUFuncOp kernel, gpu::GPUFuncOp quant,
                                   func::FuncOp upload) {
  MLIRContext *ctx = &getContext();
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto tokenType = gpu::AsyncTokenType::get(ctx);
  auto inputType = llvm::cast<RankedTensorType>(input.getType());
  auto resultType = op.getResult().getType();
  auto xType = MemRefType::get(inputType.getShape(), inputType.getElementType());
  auto yType = MemRefType::get(resultType.getShape(), resultType.getElementType());

  Value xHost = bufferization::ToBufferOp::create(b, loc, xType, input, /*readOnly=*/true);
  Value weight = func::CallOp::create(b, loc, upload).getResult(0);
  Value t0 = gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
  auto xDev = gpu::AllocOp::create(b, loc, xType, tokenType, ValueRange{t0}, ValueRange{},
                                   ValueRange{});
  Value t1 = gpu::MemcpyOp::create(b, loc, tokenType, ValueRange{xDev.getAsyncToken()},
                                   xDev.getMemref(), xHost)
                 .getAsyncToken();
  auto yDev = gpu::AllocOp::create(b, loc, yType, tokenType, ValueRange{t1}, ValueRange{},
                                   ValueRange{});
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
  Value one = c(1);
  Value kernelX = pointerOf(b, loc, xDev.getMemref());
  Value ready = yDev.getAsyncToken();
  Value scratch;
  if (quant) {
    // W4A8: int8 activations and their scales in a scratch buffer.
    auto scratchType = MemRefType::get({plan.scratchBytes}, b.getI8Type());
    auto alloc = gpu::AllocOp::create(b, loc, scratchType, tokenType, ValueRange{ready},
                                      ValueRange{}, ValueRange{});
    scratch = alloc.getMemref();
    kernelX = pointerOf(b, loc, scratch);
    ready = gpu::LaunchFuncOp::create(
                b, loc, quant, gpu::KernelDim3{c(plan.batch), one, one},
                gpu::KernelDim3{c(plan.quantThreads), one, one}, Value(),
                ValueRange{pointerOf(b, loc, xDev.getMemref()), kernelX}, tokenType,
                ValueRange{alloc.getAsyncToken()})
                .getAsyncToken();
  }
  auto launch = gpu::LaunchFuncOp::create(
      b, loc, kernel, gpu::KernelDim3{c(plan.grid), one, one},
      gpu::KernelDim3{c(plan.threads), one, one}, Value(),
      ValueRange{kernelX, weight, pointerOf(b, loc, yDev.getMemref())}, tokenType,
      ValueRange{ready});
  Value yHost = memref::AllocOp::create(b, loc, yType);
  Value t2 = gpu::MemcpyOp::create(b, loc, tokenType, ValueRange{launch.getAsyncToken()}, yHost,
                                   yDev.getMemref())
                 .getAsyncToken();
  Value t3 = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{t2}, xDev.getMemref())
                 .getAsyncToken();
  Value t4 = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{t3}, yDev.getMemref())
                 .getAsyncToken();
  if (scratch)
    t4 = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{t4}, scratch).getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{t4});
  Value y = bufferization::ToTensorOp::create(b, loc, resultType, yHost, /*restrict=*/true,
                                              /*writable=*/true);
  op.replaceAllUsesWith(y);
  Value oldInput = op.getInput();
  op.erase();
  // The f16 -> f32 widening the kernel looked through is dead now.
  if (Operation *def = oldInput.getDefiningOp(); def && def->use_empty() && isPure(def))
    def->erase();
}

void LowerToNVPTXPass::runOnOperation() {
  ModuleOp module = getOperation();
  kernels = nullptr;
  counter = 0;
  FailureOr<int> sm = chip.empty() ? FailureOr<int>(80) : parseChip(chip);
  if (failed(sm)) {
    emitError(module.getLoc()) << "lq-lower-to-nvptx: cannot parse chip '" << chip
                               << "' (expected sm_<major><minor>, e.g. sm_90a)";
    return signalPassFailure();
  }
  smVersion = *sm;
  if (*sm < 80) {
    emitError(module.getLoc()) << "lq-lower-to-nvptx: chip '" << chip
                               << "' is not supported: the kernels use mma.sync.m16n8k16 with "
                                  "f32 accumulation, which needs sm_80 or newer";
    return signalPassFailure();
  }
  if (dependentLaunch == 1 && *sm < 90) {
    emitError(module.getLoc()) << "lq-lower-to-nvptx: dependent-launch=1 needs sm_90 or newer "
                                  "(griddepcontrol), not " << chip;
    return signalPassFailure();
  }
  if (warps < 0 || warps > 32 || rowWarps < 0 || rowWarps > 32 || rowTiles < 0 || unroll < 1 ||
      maxBatchTiles < 1 || stages < 0 || minBlocksPerSM < -1 || prefetch < -1 || prefetch > 1 ||
      dependentLaunch < -1 || dependentLaunch > 1) {
    emitError(module.getLoc())
        << "lq-lower-to-nvptx: warps and row-warps must be in 0..32 (0: automatic), unroll and "
           "max-batch-tiles at least 1, row-tiles and stages not negative, min-blocks-per-sm at "
           "least -1 (automatic), prefetch and dependent-launch -1 (automatic), 0 or 1";
    return signalPassFailure();
  }

  SmallVector<MatmulOp> matmuls;
  // With `functions`, only those functions' matmuls go to the GPU (e.g. a
  // model's static-shape @decode), the others stay for the CPU path.
  for (const std::string &name : functions)
    if (!module.lookupSymbol<func::FuncOp>(name)) {
      emitError(module.getLoc()) << "lq-lower-to-nvptx: functions names '" << name
                                 << "', which is not a func.func of the module";
      return signalPassFailure();
    }
  module.walk([&](MatmulOp op) {
    auto func = op->getParentOfType<func::FuncOp>();
    if (functions.empty() || (func && llvm::is_contained(functions, func.getSymName())))
      matmuls.push_back(op);
  });
  bool failedAny = false;
  SymbolTable symbols(module);
  struct Upload {
    func::FuncOp func;
    ::lq::gpu::W4Blob blob;
    ::lq::gpu::BinaryBlob bblob;
    ::lq::gpu::PVQBlob pblob;
  };
  DenseMap<Operation *, Upload> uploads; // packed once per lq.constant
  for (MatmulOp op : matmuls) {
    auto weight = op.getWeight().getDefiningOp<ConstantOp>();
    if (!weight) {
      op.emitOpError("lq-lower-to-nvptx needs the weight as an lq.constant, to re-pack it at "
                     "compile time");
      failedAny = true;
      continue;
    }
    Value input;
    FailureOr<W4Plan> p = plan(op, weight, input);
    if (failed(p)) {
      failedAny = true;
      continue;
    }
    unsigned id = counter++;
    p->kernelName = (p->binary ? "lq_bin_gemv_"
                     : p->w4a8 ? "lq_w4a8_gemm_"
                     : p->pvq  ? "lq_pvq_gemv_"
                               : "lq_w4_gemv_") +
                    std::to_string(id);
    while (kernelModule().lookupSymbol(p->kernelName))
      p->kernelName += "_";
    if (p->w4a8) {
      p->quantName = "lq_act_quant_" + std::to_string(id);
      while (kernelModule().lookupSymbol(p->quantName))
        p->quantName += "_";
    }
    func::FuncOp upload;
    if (auto it = uploads.find(weight); it != uploads.end()) {
      upload = it->second.func;
      p->blob = it->second.blob;
      p->bblob = it->second.bblob;
      p->pblob = it->second.pblob;
    } else {
      FailureOr<::lq::EncodedWeight> storage = readStorage(weight);
      if (failed(storage)) {
        failedAny = true;
        continue;
      }
      ::lq::Encoding enc = weight.getResult().getType().getEncoding().getNumericEncoding();
      if (p->binary)
        p->bblob = ::lq::gpu::packBinary(std::get<::lq::BinaryEncoding>(enc), *storage);
      else if (p->pvq)
        p->pblob = ::lq::gpu::packPVQ(std::get<::lq::PVQEncoding>(enc), *storage);
      else if (p->w4a8)
        p->blob = ::lq::gpu::packW4A8(std::get<::lq::UniformEncoding>(enc), *storage);
      else
        p->blob = ::lq::gpu::packW4(std::get<::lq::UniformEncoding>(enc), *storage);
      p->weightName = "__lq_gpu_weight_" + std::to_string(id);
      while (symbols.lookup(p->weightName))
        p->weightName += "_";
      upload = buildWeightUpload(weight.getLoc(), *p);
      uploads[weight] = {upload, p->blob, p->bblob, p->pblob};
    }
    OpBuilder kb(&getContext());
    gpu::GPUFuncOp kernel = p->w4a8 ? buildW4A8Kernel(kb, op.getLoc(), kernelModule(), *p)
                            : p->pvq ? buildPVQKernel(kb, op.getLoc(), kernelModule(), *p)
                                     : buildKernel(kb, op.getLoc(), kernelModule(), *p);
    gpu::GPUFuncOp quant =
        p->w4a8 ? buildActQuantKernel(kb, op.getLoc(), kernelModule(), *p) : gpu::GPUFuncOp();
    // Hosts that launch the kernel themselves (quant-bench) read its
    // contract here; docs/GPULayout.md describes the fields.
    auto i64 = [&](int64_t v) { return kb.getI64IntegerAttr(v); };
    uint64_t print = ::lq::gpu::fingerprint(p->bytes().data(), p->bytes().size());
    SmallVector<NamedAttribute> abi = {
        kb.getNamedAttr("batch", i64(p->batch)),
        kb.getNamedAttr("grid", i64(p->grid)),
        kb.getNamedAttr("threads", i64(p->threads)),
        kb.getNamedAttr("weight_bytes", i64(p->bytes().size())),
        kb.getNamedAttr("weight_fingerprint", kb.getStringAttr(std::to_string(print))),
        kb.getNamedAttr("f32_input", kb.getBoolAttr(p->f32Input)),
    };
    if (quant) {
      // W4A8: the quantization kernel runs first, (x, scratch) -> scratch;
      // the GEMM then reads the scratch buffer in place of x.
      abi.push_back(kb.getNamedAttr("prologue", kb.getStringAttr(p->quantName)));
      abi.push_back(kb.getNamedAttr("prologue_grid", i64(p->batch)));
      abi.push_back(kb.getNamedAttr("prologue_threads", i64(p->quantThreads)));
      abi.push_back(kb.getNamedAttr("scratch_bytes", i64(p->scratchBytes)));
    }
    kernel->setAttr("lq.gpu_abi", kb.getDictionaryAttr(abi));
    lowerMatmul(op, input, *p, kernel, quant, upload);
  }
  if (failedAny)
    return signalPassFailure();
  if (kernels) {
    // Structured control flow is gone before convert-gpu-to-nvvm (which
    // does not lower scf), so the usual three-pass pipeline suffices.
    OpPassManager pm(gpu::GPUModuleOp::getOperationName());
    pm.addPass(createSCFToControlFlowPass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (failed(runPipeline(pm, kernels)))
      return signalPassFailure();
  }
  // Encoded weights now live in the packed globals.
  module.walk([](ConstantOp op) {
    if (op->use_empty())
      op->erase();
  });
}

} // namespace
