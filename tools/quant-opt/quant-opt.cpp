//===- quant-opt.cpp - the quant-opt driver ---------------------------------===//
//
// mlir-opt with the lq dialect and passes: upstream dialects, passes and
// extensions are all registered so quantized modules can be lowered in one
// invocation.
//
//===----------------------------------------------------------------------===//
#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/Utils/ResourceBlobs.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

int main(int argc, char **argv) {
  // --help lists quant-opt's own options: the passes, pipelines and the
  // options MlirOptMain registers below. The static options of the LLVM
  // back ends linked in (hundreds) still parse; --help-hidden lists them.
  static llvm::cl::OptionCategory noCategory("quant-opt");
  llvm::cl::HideUnrelatedOptions(noCategory);
  mlir::registerAllPasses();
  mlir::lq::registerLQTransformsPasses();
  mlir::lq::registerLQConversionPasses();
  mlir::lq::registerLQPipelines();
  mlir::lq::registerCPULoweringPipeline();
  mlir::lq::registerGPULoweringPipeline();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::lq::LQDialect>();
  // A module lowered by lq-lower-to-nvptx and saved can be serialized by a
  // later quant-opt run (gpu-module-to-binary), not only in the same one.
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "quant-opt: low-bit quantization compiler\n", registry);
  // Resource blobs are checked before MLIR's parser, which aborts on some.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> input =
      mlir::lq::readModuleFile(inputFilename);
  if (!input) {
    llvm::errs() << llvm::toString(input.takeError()) << "\n";
    return EXIT_FAILURE;
  }
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << errorMessage << "\n";
    return EXIT_FAILURE;
  }
  if (failed(mlir::MlirOptMain(output->os(), std::move(*input), registry,
                               mlir::MlirOptMainConfig::createFromCLOptions())))
    return EXIT_FAILURE;
  // Written whole or not at all: the output file is kept only on success.
  output->keep();
  return EXIT_SUCCESS;
}
