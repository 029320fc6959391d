//===- HostLaunch.cpp - lq-lower-to-nvptx: the host side ----------------===//
//
// What replaces an lq.matmul on the host: the packed weight as a constant
// global with a lazily uploaded device copy, and the launch sequence
// (gpu.alloc / gpu.memcpy / gpu.launch_func / gpu.dealloc on one chain of
// async tokens).
//
//===----------------------------------------------------------------------===//
#include "HostLaunch.h"

#include "lq/Conversion/LQToNVPTX/DeviceUpload.h"

#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

namespace {

/// A host pointer value (!llvm.ptr) to the data of `memref`.
Value pointerOf(OpBuilder &b, Location loc, Value memref) {
  Value i = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), i64);
}

} // namespace

void packWeight(KernelPlan &plan, const ::lq::Encoding &enc, const ::lq::EncodedWeight &storage) {
  std::visit(llvm::makeVisitor(
                 [&](W4GemvPlan &f) {
                   f.blob = ::lq::gpu::packW4(std::get<::lq::UniformEncoding>(enc), storage);
                 },
                 [&](BinaryGemvPlan &f) {
                   f.blob = ::lq::gpu::packBinary(std::get<::lq::BinaryEncoding>(enc), storage);
                 },
                 [&](W4A8Plan &f) {
                   f.blob = ::lq::gpu::packW4A8(std::get<::lq::UniformEncoding>(enc), storage);
                 },
                 [&](W4GemmPlan &f) {
                   f.blob = ::lq::gpu::packW4(std::get<::lq::UniformEncoding>(enc), storage);
                 },
                 [&](PVQGemvPlan &f) {
                   f.blob = ::lq::gpu::packPVQ(std::get<::lq::PVQEncoding>(enc), storage);
                 }),
             plan.family);
}

memref::GlobalOp buildPackedWeight(ModuleOp module, Location loc, const KernelPlan &plan) {
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  const std::vector<uint8_t> &blob = plan.bytes();
  int64_t size = blob.size();
  // Host copy: the packed bytes as a constant global.
  auto tensorType = RankedTensorType::get({size}, b.getI8Type());
  auto data = makeResource(tensorType, plan.weightName,
                           ArrayRef<char>(reinterpret_cast<const char *>(blob.data()),
                                          blob.size()));
  return memref::GlobalOp::create(b, loc, plan.weightName, b.getStringAttr("private"),
                                  MemRefType::get({size}, b.getI8Type()), data,
                                  /*constant=*/true, b.getI64IntegerAttr(::lq::gpu::kBlobAlign));
}

void emitLaunch(MatmulOp op, Value input, const KernelPlan &plan, gpu::GPUFuncOp kernel,
                gpu::GPUFuncOp quant, func::FuncOp upload) {
  MLIRContext *ctx = op.getContext();
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto tokenType = gpu::AsyncTokenType::get(ctx);
  auto inputType = llvm::cast<RankedTensorType>(input.getType());
  auto resultType = op.getResult().getType();
  auto xType = MemRefType::get(inputType.getShape(), inputType.getElementType());
  auto yType = MemRefType::get(resultType.getShape(), resultType.getElementType());

  Value xHost = bufferization::ToBufferOp::create(b, loc, xType, input, /*readOnly=*/true);
  Value weight = pointerOf(b, loc, func::CallOp::create(b, loc, upload).getResult(0));
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
    const W4A8Plan &w4a8 = std::get<W4A8Plan>(plan.family);
    auto scratchType = MemRefType::get({w4a8.scratchBytes}, b.getI8Type());
    auto alloc = gpu::AllocOp::create(b, loc, scratchType, tokenType, ValueRange{ready},
                                      ValueRange{}, ValueRange{});
    scratch = alloc.getMemref();
    kernelX = pointerOf(b, loc, scratch);
    ready = gpu::LaunchFuncOp::create(
                b, loc, quant, gpu::KernelDim3{c(plan.batch), one, one},
                gpu::KernelDim3{c(w4a8.quantThreads), one, one}, Value(),
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

} // namespace mlir::lq::nvptx

namespace mlir::lq::nvptx {

void emitDeviceResidentLaunch(MatmulOp op, Value input, ArrayRef<PlannedKernel> kernels,
                              memref::GlobalOp packed) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto inputType = llvm::cast<RankedTensorType>(input.getType());
  auto resultType = op.getResult().getType();
  auto xType = MemRefType::get(inputType.getShape(), inputType.getElementType());
  auto yType = MemRefType::get(resultType.getShape(), resultType.getElementType());

  // The host copy: lq-gpu-device-memory replaces it by its device copy,
  // as it does every constant the function reads.
  Value weight = pointerOf(
      b, loc, memref::GetGlobalOp::create(b, loc, packed.getType(), packed.getSymName()));
  Value x = bufferization::ToBufferOp::create(b, loc, xType, input, /*readOnly=*/true);
  // The result's leading dimensions are the input's.
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0, e = yType.getRank() - 1; i < e; ++i)
    if (yType.isDynamicDim(i))
      dynamicSizes.push_back(memref::DimOp::create(b, loc, x, i));
  Value y = memref::AllocOp::create(b, loc, yType, dynamicSizes);
  auto c = [&](OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  const PlannedKernel &largest = kernels.front();
  bool chunked = !xType.hasStaticShape() || largest.plan.batch * largest.plan.cols !=
                                                xType.getNumElements();
  Value kernelX = chunked ? Value() : pointerOf(b, loc, x);
  Value scratchPtr;
  if (largest.quant) {
    // W4A8: int8 activations and their scales in a scratch buffer, sized
    // for the largest chunk and reused by every launch.
    const W4A8Plan &w4a8 = std::get<W4A8Plan>(largest.plan.family);
    Value scratch =
        memref::AllocOp::create(b, loc, MemRefType::get({w4a8.scratchBytes}, b.getI8Type()));
    // Deallocation frees the scratch buffer after its last use here, and
    // lq-gpu-device-memory moves that free to the end of the function,
    // after the GEMM has read it.
    scratchPtr = pointerOf(b, loc, scratch);
  }
  // The launches of one kernel instance on rows starting at xPtr / yPtr.
  auto launch = [&](OpBuilder &b, const PlannedKernel &k, Value xPtr, Value yPtr) {
    Value one = c(b, 1);
    if (k.quant) {
      gpu::LaunchFuncOp::create(
          b, loc, k.quant, gpu::KernelDim3{c(b, k.plan.batch), one, one},
          gpu::KernelDim3{c(b, std::get<W4A8Plan>(k.plan.family).quantThreads), one, one}, Value(),
          ValueRange{xPtr, scratchPtr});
      xPtr = scratchPtr;
    }
    gpu::LaunchFuncOp::create(b, loc, k.kernel, gpu::KernelDim3{c(b, k.plan.grid), one, one},
                              gpu::KernelDim3{c(b, k.plan.threads), one, one}, Value(),
                              ValueRange{xPtr, weight, yPtr});
  };
  if (!chunked) {
    launch(b, largest, kernelX, pointerOf(b, loc, y));
  } else {
    // M: the product of the leading dimensions.
    Value rows;
    for (int64_t i = 0, e = xType.getRank() - 1; i < e; ++i) {
      Value dim = memref::DimOp::create(b, loc, x, i);
      rows = rows ? arith::MulIOp::create(b, loc, rows, dim).getResult() : dim;
    }
    auto address = [&](Value memref) {
      return memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref).getResult();
    };
    Value xBase = address(x), yBase = address(y);
    int64_t xRowBytes = largest.plan.cols * (largest.plan.f32Input ? 4 : 2);
    int64_t yRowBytes = largest.plan.rows * 4;
    auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
    auto at = [&](OpBuilder &b, Value base, Value row, int64_t rowBytes) -> Value {
      Value bytes = arith::MulIOp::create(b, loc, row, c(b, rowBytes));
      Value i = arith::AddIOp::create(b, loc, base, bytes);
      Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i);
      return LLVM::IntToPtrOp::create(b, loc, ptrType, i64);
    };
    // Exactly one instance runs: the largest batch S <= M (below the next
    // larger one), over ceil(M / S) chunks.
    for (auto [i, k] : llvm::enumerate(kernels)) {
      Value size = c(b, k.plan.batch);
      Value cond = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rows, size);
      if (i > 0)
        cond = arith::AndIOp::create(
            b, loc, cond,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, rows,
                                  c(b, kernels[i - 1].plan.batch)));
      auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
      OpBuilder tb = ifOp.getThenBodyBuilder();
      Value chunks = arith::CeilDivUIOp::create(tb, loc, rows, size);
      Value last = arith::SubIOp::create(tb, loc, rows, size);
      auto loop = scf::ForOp::create(tb, loc, c(tb, 0), chunks, c(tb, 1));
      OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
      Value start = arith::MinUIOp::create(
          lb, loc, arith::MulIOp::create(lb, loc, loop.getInductionVar(), size), last);
      Value xPtr = at(lb, xBase, start, xRowBytes);
      Value yPtr = at(lb, yBase, start, yRowBytes);
      launch(lb, k, xPtr, yPtr);
    }
  }
  Value result = bufferization::ToTensorOp::create(b, loc, resultType, y, /*restrict=*/true,
                                                   /*writable=*/true);
  op.replaceAllUsesWith(result);
  Value oldInput = op.getInput();
  op.erase();
  if (Operation *def = oldInput.getDefiningOp(); def && def->use_empty() && isPure(def))
    def->erase();
}

} // namespace mlir::lq::nvptx
