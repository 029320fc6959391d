//===- quant-bench-compile.cpp - Build quant-bench's GPU kernels ------------===//
//
// The compile half of the GPU benchmark: for each weight shape and kernel
// kind it builds the same `lq` IR the CPU path uses (an lq.constant holding a
// seeded random weight, lq.matmul per batch size), runs lq-lower-to-nvptx,
// convert-gpu-to-nvvm and gpu-module-to-binary in process, and writes the
// PTX plus a manifest (kernel name, launch geometry, weight seed and the
// fingerprint of the bytes the compiler packed). quant-bench then runs it on
// the GPU machine, which has no LLVM.
//
//===----------------------------------------------------------------------===//
#include "BenchModule.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"

#include "lq/Numerics/Packing.h"
#include "lq/Numerics/PVQ.h"
#include "lq/Numerics/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory Category("quant-bench-compile options");
static cl::opt<std::string> outDir("out", cl::desc("Output directory"), cl::Required, cl::cat(Category));
static cl::opt<std::string> shapesOpt("shapes", cl::desc("Weight shapes NxK, comma separated"),
                                      cl::init("4096x4096,11008x4096,4096x11008,8192x8192,28672x8192"), cl::cat(Category));
static cl::opt<std::string> batchesOpt("batches", cl::desc("Batch sizes, comma separated"),
                                       cl::init("1,4"), cl::cat(Category));
static cl::opt<std::string> kernelsOpt(
    "kernels",
    cl::desc("Kernel kinds: w4g128 (4-bit, group 128), w4pc (per-channel), w4g128a "
             "(asymmetric), w4a8g128 / w4a8pc (W4A8: act(8)), b<P>g<G> (GPTQT binary codes, "
             "P planes, group G), pvq<D>k<P>a<A>g<G> (PVQ: dim D, P pulses, A-bit "
             "amplitudes per G columns); comma separated"),
    cl::init("w4g128,w4pc"), cl::cat(Category));
static cl::opt<std::string> variantsOpt(
    "variants",
    cl::desc("lq-lower-to-nvptx option sets, ';' separated (e.g. 'warps=8 unroll=4;warps=4')"),
    cl::init(""), cl::cat(Category));
static cl::opt<std::string> chipOpt("chip", cl::desc("Target chip"), cl::init("sm_90a"), cl::cat(Category));
static cl::opt<bool> printIR("print-ir", cl::desc("Print each module after lowering"),
                             cl::init(false), cl::cat(Category));
static cl::opt<bool> f32Opt("f32-input", cl::desc("Feed f32 activations (no arith.extf)"),
                            cl::init(false), cl::cat(Category));

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(Category);
  cl::ParseCommandLineOptions(argc, argv, "quant-bench-compile: GPU kernels for quant-bench\n");
  registerAllPasses();
  mlir::lq::registerLQTransformsPasses();
  mlir::lq::registerLQConversionPasses();
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::lq::LQDialect>();
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.disableMultithreading(false);

  auto batchesOrErr = quant_bench::parsePositiveList(batchesOpt, "batch size");
  if (!batchesOrErr) {
    llvm::errs() << llvm::toString(batchesOrErr.takeError()) << "\n";
    return 1;
  }
  SmallVector<int64_t> batches = *batchesOrErr;
  SmallVector<StringRef> shapes, kinds, variants;
  StringRef(shapesOpt).split(shapes, ',', -1, false);
  StringRef(kernelsOpt).split(kinds, ',', -1, false);
  StringRef(variantsOpt).split(variants, ';', -1, true);
  if (variants.empty())
    variants.push_back("");

  // Every shape and kind is checked before anything is written. The weights
  // are made here, before the pass sees them: what the numeric library
  // cannot encode, and shapes past the kernels' 32-bit addressing, are
  // rejected first.
  struct Job {
    StringRef shape;
    int64_t rows, cols;
    quant_bench::Kind kind;
  };
  std::vector<Job> jobs;
  for (StringRef shape : shapes) {
    int64_t rows, cols;
    if (!quant_bench::parseShape(shape, rows, cols)) {
      llvm::errs() << "bad shape '" << shape << "' (expected NxK)\n";
      return 1;
    }
    for (StringRef kindName : kinds) {
      std::optional<quant_bench::Kind> kind = quant_bench::parseKind(kindName, cols);
      if (!kind) {
        llvm::errs() << "unknown kernel kind '" << kindName << "'\n";
        return 1;
      }
      if (std::optional<std::string> why = ::lq::verifyEncoding(kind->enc, rows, cols)) {
        llvm::errs() << "kernel kind '" << kindName << "' on " << shape << ": " << *why << "\n";
        return 1;
      }
      if (rows > (int64_t(1) << 32) / cols) {
        llvm::errs() << "shape " << shape << " is too large for the kernels' 32-bit addressing\n";
        return 1;
      }
      jobs.push_back({shape, rows, cols, *kind});
    }
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir)) {
    llvm::errs() << "cannot create " << outDir << ": " << ec.message() << "\n";
    return 1;
  }
  // Each file is written whole (temporary file, then rename); the manifest,
  // listing the kernels that were built, comes last.
  std::string manifestText;
  llvm::raw_string_ostream manifest(manifestText);
  auto writeFile = [&](const std::string &name, StringRef text) {
    if (llvm::Error e = llvm::writeToOutput(outDir + "/" + name, [&](llvm::raw_ostream &os) {
          os << text;
          return llvm::Error::success();
        })) {
      llvm::errs() << "cannot write " << name << ": " << llvm::toString(std::move(e)) << "\n";
      return false;
    }
    return true;
  };

  int failures = 0;
  for (Job &job : jobs) {
    StringRef shape = job.shape;
    int64_t rows = job.rows, cols = job.cols;
    quant_bench::Kind *kind = &job.kind;
    uint64_t seed = quant_bench::weightSeed(rows, cols, *kind);
    ::lq::EncodedWeight w = quant_bench::makeWeight(*kind, rows, cols, seed);
    OwningOpRef<ModuleOp> base =
        quant_bench::buildMatmulModule(ctx, *kind, rows, cols, batches, w, "bench", f32Opt);
    for (auto [vi, variant] : llvm::enumerate(variants)) {
      OwningOpRef<ModuleOp> module = base->clone();
      std::string options = ("chip=" + chipOpt + " " + variant).str();
      PassManager lower(&ctx, ModuleOp::getOperationName());
      if (failed(parsePassPipeline("lq-lower-to-nvptx{" + options + "}", lower)) ||
          failed(lower.run(*module))) {
        llvm::errs() << "lowering " << shape << " " << kind->name << " {" << options
                     << "} failed\n";
        ++failures;
        continue;
      }
      if (printIR) {
        lower.printAsTextualPipeline(llvm::outs());
        llvm::outs() << "\n";
      }
      if (printIR)
        module->print(llvm::outs(), OpPrintingFlags().elideLargeElementsAttrs());
      // The kernels' contracts, before serialization replaces the functions.
      SmallVector<std::pair<std::string, DictionaryAttr>> kernels;
      module->walk([&](gpu::GPUFuncOp f) {
        if (auto abi = f->getAttrOfType<DictionaryAttr>("lq.gpu_abi"))
          kernels.push_back({f.getName().str(), abi});
      });
      PassManager serialize(&ctx, ModuleOp::getOperationName());
      if (failed(parsePassPipeline("gpu.module(convert-gpu-to-nvvm),gpu-module-"
                                   "to-binary{format=isa}",
                                   serialize)) ||
          failed(serialize.run(*module))) {
        llvm::errs() << "serializing " << shape << " " << kind->name << " failed\n";
        ++failures;
        continue;
      }
      std::string ptx;
      module->walk([&](gpu::BinaryOp bin) {
        auto object = llvm::cast<gpu::ObjectAttr>(bin.getObjects()[0]);
        ptx = object.getObject().str();
      });
      std::string file = (shape + "_" + kind->name + "_v" + std::to_string(vi) + ".ptx").str();
      if (!writeFile(file, ptx))
        return 1;
      for (auto &[name, abi] : kernels) {
        DictionaryAttr attrs = abi; // a structured binding is not captured before C++20
        auto get = [&](StringRef key) { return llvm::cast<IntegerAttr>(attrs.get(key)).getInt(); };
        manifest << "kernel=" << name << " ptx=" << file << " kind=" << kind->name;
        if (auto *u = std::get_if<::lq::UniformEncoding>(&kind->enc))
          manifest << " encoding=uniform bits=" << u->bits << " group=" << u->group
                   << " symmetric=" << (u->symmetric ? 1 : 0) << " act_bits=" << kind->actBits;
        else if (auto *p = std::get_if<::lq::PVQEncoding>(&kind->enc))
          manifest << " encoding=pvq dim=" << p->dim << " pulses=" << p->pulses
                   << " amp_bits=" << p->ampBits << " amp_group=" << p->ampGroup;
        else
          manifest << " encoding=binary planes=" << std::get<::lq::BinaryEncoding>(kind->enc).planes
                   << " group=" << std::get<::lq::BinaryEncoding>(kind->enc).group;
        manifest << " rows=" << rows << " cols=" << cols << " batch=" << get("batch")
                 << " grid=" << get("grid") << " threads=" << get("threads")
                 << " weight_bytes=" << get("weight_bytes") << " fingerprint="
                 << llvm::cast<StringAttr>(abi.get("weight_fingerprint")).getValue()
                 << " f32_input=" << (llvm::cast<BoolAttr>(abi.get("f32_input")).getValue() ? 1 : 0)
                 << " seed=" << seed;
        if (auto prologue = abi.getAs<StringAttr>("prologue"))
          manifest << " prologue=" << prologue.getValue()
                   << " prologue_grid=" << get("prologue_grid")
                   << " prologue_threads=" << get("prologue_threads")
                   << " scratch_bytes=" << get("scratch_bytes");
        manifest << " variant=\"" << options << "\"\n";
      }
      llvm::outs() << "built " << shape << " " << kind->name << " {" << options
                   << "}: " << kernels.size() << " kernels, " << ptx.size() << " bytes of PTX\n";
      llvm::outs().flush();
    }
  }
  if (!writeFile("manifest.txt", manifestText))
    return 1;
  return failures ? 1 : 0;
}
