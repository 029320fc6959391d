//===- quant-export.cpp - Model module to a float GGUF checkpoint ----------===//
//
//   quant-export <model.mlir[bc]> -o <out.gguf>
//
// Reads the module's lq.model configuration and the weights of @forward:
// role-tagged linears (float constants, or lq.constant decoded with the
// reference decoder — exactly the floats lq.decode stands for), and the
// other tensors by their checkpoint names. The GGUF runs in the reference
// transformer (quant-ref), which cross-checks the compiled quantized module.
//
//===----------------------------------------------------------------------===//
#include "lq/Model/Readers.h"
#include "lq/Run/ModelModule.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

static llvm::cl::OptionCategory Category("quant-export options");
static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional, llvm::cl::Required,
                                            llvm::cl::desc("<model.mlir[bc]>"), llvm::cl::cat(Category));
static llvm::cl::opt<std::string> outputPath("o", llvm::cl::Required,
                                             llvm::cl::desc("Output GGUF file"), llvm::cl::cat(Category));

static int fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "quant-export") << msg << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::HideUnrelatedOptions(Category);
  llvm::cl::ParseCommandLineOptions(argc, argv, "quant-export: model module -> float GGUF\n");
  DialectRegistry registry;
  ::lq::run::registerRunDialects(registry);
  MLIRContext context(registry);
  auto module = ::lq::run::loadModelModule(context, inputPath);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  auto model = ::lq::run::readCheckpoint(**module, /*decodeQuantized=*/true, inputPath);
  if (!model)
    return fail(llvm::toString(model.takeError()));
  // writeGGUF writes a temporary and renames, so a failure leaves no file.
  if (llvm::Error e = ::lq::writeGGUF(*model, outputPath, ::lq::GGUFTensorType::F32))
    return fail(llvm::toString(std::move(e)));
  return 0;
}
