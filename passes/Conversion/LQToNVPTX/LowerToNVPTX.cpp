//===- LowerToNVPTX.cpp - lq-lower-to-nvptx: lq.matmul to GPU kernels -------===//
//
// Turns `lq.matmul` into a kernel in a `gpu.module` (gpu/nvvm/llvm/arith/
// vector IR, compiled by LLVM's NVPTX back end through gpu-module-to-binary)
// and a host-side `gpu.launch_func`. The encoded weight is re-packed at
// compile time into the tile-interleaved layout of docs/GPULayout.md, whose
// every warp load is one coalesced 128-bit access per lane.
//
// This file is the pass driver: it checks the options, walks the matmuls,
// plans each (KernelPlan.h), builds the plan's kernel family (Kernels.h:
// W4 and binary-code GEMV on mma.sync, the W4A16 and W4A8 GEMMs, PVQ) and replaces the matmul
// by the launch (HostLaunch.h). A dynamic row count gets one kernel
// instance per chunk size and a host loop of launches over row chunks. A
// weight used by several matmuls is packed and uploaded once.
//
//===----------------------------------------------------------------------===//
#include "HostLaunch.h"
#include "KernelPlan.h"
#include "Kernels.h"

#include "lq/Conversion/LQToNVPTX/DeviceUpload.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
  /// Builds the kernels of `plan` (W4A8: and its quantization kernel),
  /// with their ABI attribute.
  std::pair<gpu::GPUFuncOp, gpu::GPUFuncOp> buildKernels(Location loc, const KernelPlan &plan);

  gpu::GPUModuleOp kernels;
  unsigned counter = 0;
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

std::pair<gpu::GPUFuncOp, gpu::GPUFuncOp> LowerToNVPTXPass::buildKernels(Location loc,
                                                                         const KernelPlan &p) {
  gpu::GPUModuleOp gpuKernels = kernelModule();
  gpu::GPUFuncOp kernel, quant; // quant: W4A8's activation quantization, run first
  std::visit(llvm::makeVisitor(
                 [&](const W4GemvPlan &f) { kernel = buildW4GemvKernel(gpuKernels, loc, p, f); },
                 [&](const BinaryGemvPlan &f) {
                   kernel = buildBinaryGemvKernel(gpuKernels, loc, p, f);
                 },
                 [&](const W4A8Plan &f) {
                   kernel = buildW4A8GemmKernel(gpuKernels, loc, p, f);
                   quant = buildActQuantKernel(gpuKernels, loc, p, f);
                 },
                 [&](const W4GemmPlan &f) { kernel = buildW4GemmKernel(gpuKernels, loc, p, f); },
                 [&](const PVQGemvPlan &f) {
                   kernel = buildPVQGemvKernel(gpuKernels, loc, p, f);
                 }),
             p.family);
  // Hosts that launch the kernel themselves (quant-bench) read its
  // contract here; docs/GPULayout.md describes the fields.
  Builder kb(&getContext());
  auto i64 = [&](int64_t v) { return kb.getI64IntegerAttr(v); };
  uint64_t print = ::lq::gpu::fingerprint(p.bytes().data(), p.bytes().size());
  SmallVector<NamedAttribute> abi = {
      kb.getNamedAttr("batch", i64(p.batch)),
      kb.getNamedAttr("grid", i64(p.grid)),
      kb.getNamedAttr("threads", i64(p.threads)),
      kb.getNamedAttr("weight_bytes", i64(p.bytes().size())),
      kb.getNamedAttr("weight_fingerprint", kb.getStringAttr(std::to_string(print))),
      kb.getNamedAttr("f32_input", kb.getBoolAttr(p.f32Input)),
  };
  if (auto *w4a8 = std::get_if<W4A8Plan>(&p.family)) {
    // W4A8: the quantization kernel runs first, (x, scratch) -> scratch;
    // the GEMM then reads the scratch buffer in place of x.
    abi.push_back(kb.getNamedAttr("prologue", kb.getStringAttr(w4a8->quantName)));
    abi.push_back(kb.getNamedAttr("prologue_grid", i64(p.batch)));
    abi.push_back(kb.getNamedAttr("prologue_threads", i64(w4a8->quantThreads)));
    abi.push_back(kb.getNamedAttr("scratch_bytes", i64(w4a8->scratchBytes)));
  }
  kernel->setAttr("lq.gpu_abi", kb.getDictionaryAttr(abi));
  return {kernel, quant};
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
      maxBatchTiles < 1 || gemmMinBatch < -1 || gemmMinBatch > 8 * maxBatchTiles + 1 ||
      f16WeightsMinBatch < -1 || stages < 0 || minBlocksPerSM < -1 || prefetch < -1 ||
      prefetch > 1 || dependentLaunch < -1 || dependentLaunch > 1) {
    emitError(module.getLoc())
        << "lq-lower-to-nvptx: warps and row-warps must be in 0..32 (0: automatic), unroll and "
           "max-batch-tiles at least 1, gemm-min-batch in -1..8 * max-batch-tiles + 1, "
           "f16-weights-min-batch at least -1, row-tiles and stages not negative, "
           "min-blocks-per-sm at least -1 (automatic), prefetch and dependent-launch -1 "
           "(automatic), 0 or 1";
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
  PlanOptions options;
  options.smVersion = *sm;
  options.warps = warps;
  options.unroll = unroll;
  options.prefetch = prefetch;
  options.stages = stages;
  options.dependentLaunch = dependentLaunch;
  options.minBlocksPerSM = minBlocksPerSM;
  options.maxBatchTiles = maxBatchTiles;
  options.rowWarps = rowWarps;
  options.rowTiles = rowTiles;
  options.gemmMinBatch = gemmMinBatch;
  options.f16WeightsMinBatch = f16WeightsMinBatch;
  options.rowChunks = deviceResident;
  bool failedAny = false;
  SymbolTable symbols(module);
  // Packed once per lq.constant: the packed weight's global and blob.
  // (Note: the W4 and W4A8 layouts both use W4Blob, so a constant that
  // feeds both kinds of matmul gets the first one's packing.)
  using Blob = std::variant<::lq::gpu::W4Blob, ::lq::gpu::BinaryBlob, ::lq::gpu::PVQBlob>;
  struct Upload {
    memref::GlobalOp global;
    Blob blob;
  };
  DenseMap<Operation *, Upload> uploads;
  for (MatmulOp op : matmuls) {
    auto weight = op.getWeight().getDefiningOp<ConstantOp>();
    if (!weight) {
      op.emitOpError("lq-lower-to-nvptx needs the weight as an lq.constant, to re-pack it at "
                     "compile time");
      failedAny = true;
      continue;
    }
    Value input;
    FailureOr<SmallVector<KernelPlan, 1>> plans = failure();
    if (skipUnsupported) {
      // Why no kernel takes it becomes a remark; the op stays for lq-expand.
      std::string why;
      {
        ScopedDiagnosticHandler collect(&getContext(), [&](Diagnostic &d) {
          if (d.getSeverity() != DiagnosticSeverity::Error)
            return failure();
          why = d.str();
          return success();
        });
        plans = planMatmul(op, weight, options, input);
      }
      if (failed(plans)) {
        op.emitRemark("left for lq-expand: ") << why;
        continue;
      }
    } else {
      plans = planMatmul(op, weight, options, input);
      if (failed(plans)) {
        failedAny = true;
        continue;
      }
    }
    unsigned id = counter++;
    memref::GlobalOp packed;
    SmallVector<PlannedKernel, 1> planned;
    for (KernelPlan &p : *plans) {
      // A chunked matmul's instances are told apart by their batch.
      std::string suffix = std::to_string(id);
      if (plans->size() > 1)
        suffix += "_m" + std::to_string(p.batch);
      p.kernelName =
          std::visit([](const auto &f) { return f.kernelPrefix.str(); }, p.family) + suffix;
      while (kernelModule().lookupSymbol(p.kernelName))
        p.kernelName += "_";
      if (auto *w4a8 = std::get_if<W4A8Plan>(&p.family)) {
        w4a8->quantName = "lq_act_quant_" + suffix;
        while (kernelModule().lookupSymbol(w4a8->quantName))
          w4a8->quantName += "_";
      }
      if (auto it = uploads.find(weight); it != uploads.end()) {
        packed = it->second.global;
        std::visit(
            [&](auto &f) { f.blob = std::get<std::decay_t<decltype(f.blob)>>(it->second.blob); },
            p.family);
      } else {
        FailureOr<::lq::EncodedWeight> storage = readStorage(weight);
        if (failed(storage)) {
          failedAny = true;
          break;
        }
        packWeight(p, weight.getResult().getType().getEncoding().getNumericEncoding(), *storage);
        p.weightName = "__lq_gpu_weight_" + std::to_string(id);
        while (symbols.lookup(p.weightName))
          p.weightName += "_";
        packed = buildPackedWeight(module, weight.getLoc(), p);
        uploads[weight] = {packed, std::visit([](const auto &f) -> Blob { return f.blob; },
                                              p.family)};
      }
      auto [kernel, quant] = buildKernels(op.getLoc(), p);
      planned.push_back({p, kernel, quant});
    }
    if (planned.size() != plans->size())
      continue;
    if (deviceResident) {
      emitDeviceResidentLaunch(op, input, planned, packed);
    } else {
      const PlannedKernel &k = planned.front();
      emitLaunch(op, input, k.plan, k.kernel, k.quant, getOrBuildDeviceUpload(module, packed));
    }
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