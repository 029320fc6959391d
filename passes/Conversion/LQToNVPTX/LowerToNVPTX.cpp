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
#include "HostLaunch.h"
#include "KernelPlan.h"
#include "Kernels.h"

#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQLOWERTONVPTX
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;
using namespace mlir::lq::nvptx;

namespace {

constexpr StringLiteral kKernelModule = "lq_gpu_kernels";

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
  gpu::GPUModuleOp kernelModule();

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
    PlanOptions options;
    options.smVersion = smVersion;
    options.warps = warps;
    options.unroll = unroll;
    options.prefetch = prefetch;
    options.stages = stages;
    options.dependentLaunch = dependentLaunch;
    options.minBlocksPerSM = minBlocksPerSM;
    options.maxBatchTiles = maxBatchTiles;
    options.rowWarps = rowWarps;
    options.rowTiles = rowTiles;
    FailureOr<W4Plan> p = planMatmul(op, weight, options, input);
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
      upload = buildWeightUpload(module, weight.getLoc(), *p);
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
    emitLaunch(op, input, *p, kernel, quant, upload);
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