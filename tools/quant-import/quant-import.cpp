//===- quant-import.cpp - Checkpoint to model module ----------------------===//
//
//   quant-import <checkpoint> [-o model.mlirbc] [--emit-text] [--context N]
//                [--config config.json] [--verify-tokens 1,2,3]
//                [--verify-tolerance 1e-4] [--linear-form model|torch] [--quiet]
//
// <checkpoint>: a Hugging Face directory (config.json + model.safetensors or
// a sharded index), a .safetensors file with config.json beside it, a .gguf
// file or a llama2.c .bin. Writes the module of docs/ModelIR.md, MLIR
// bytecode unless --emit-text.
//
//===----------------------------------------------------------------------===//

#include "Verify.h"

#include "lq/Import/ImportLlama.h"
#include "lq/Model/Readers.h"
#include "lq/Model/Transformer.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <optional>

using namespace llvm;

static cl::OptionCategory Category("quant-import options");

static cl::opt<std::string>
    InputPath(cl::Positional, cl::Required,
              cl::desc("<checkpoint: HF directory | .safetensors | .gguf | "
                       "llama2.c .bin>"),
              cl::cat(Category));
static cl::opt<std::string> OutputPath("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"),
                                       cl::cat(Category));
static cl::opt<bool> EmitText("emit-text",
                              cl::desc("Write textual MLIR instead of "
                                       "bytecode"),
                              cl::cat(Category));
static cl::opt<int64_t>
    Context("context",
            cl::desc("Context length (decode cache length, longest forward "
                     "sequence); default: the checkpoint's "
                     "max_position_embeddings"),
            cl::init(0), cl::cat(Category));
static cl::opt<std::string> ConfigPath(
    "config",
    cl::desc("JSON with Hugging Face keys overriding rms_norm_eps, "
             "rope_theta and max_position_embeddings (e.g. for a llama2.c "
             ".bin, whose header has none of them); size keys present must "
             "match the checkpoint"),
    cl::value_desc("file"), cl::cat(Category));
static cl::opt<bool> Synthetic(
    "synthetic",
    cl::desc("The input is a Hugging Face config.json: import a model of its "
             "shape with seeded random weights (initialization statistics; "
             "for scale tests and benchmarks)"),
    cl::cat(Category));
static cl::opt<uint64_t> SyntheticSeed("seed", cl::desc("Seed of --synthetic weights"),
                                       cl::init(1), cl::cat(Category));
static cl::list<int64_t> VerifyTokens(
    "verify-tokens", cl::CommaSeparated,
    cl::desc("Before writing, JIT-compile the module with the upstream "
             "lowering and compare @forward and @decode on these token ids "
             "with the reference transformer"),
    cl::value_desc("id,id,..."), cl::cat(Category));
static cl::opt<double> VerifyTolerance(
    "verify-tolerance",
    cl::desc("Largest accepted |diff| as a fraction of max(1, max |ref "
             "logit|)"),
    cl::init(1e-4), cl::cat(Category));
static cl::opt<lq::ImportOptions::LinearForm> LinearForm(
    "linear-form", cl::desc("How linear layers are written"),
    cl::values(clEnumValN(lq::ImportOptions::LinearForm::Model, "model",
                          "role-tagged transposed-B linalg.matmul (docs/ModelIR.md)"),
               clEnumValN(lq::ImportOptions::LinearForm::Torch, "torch",
                          "torch-mlir's aten.linear lowering, untagged: weight "
                          "transpose, broadcast to 1xKxN, linalg.batch_matmul (for "
                          "lq-import-linalg)")),
    cl::init(lq::ImportOptions::LinearForm::Model), cl::cat(Category));
static cl::opt<bool> Quiet("quiet", cl::desc("No progress output"),
                           cl::cat(Category));

namespace {

Error makeError(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}
Error makeError(const formatv_object_base &msg) { return makeError(msg.str()); }

class Stopwatch {
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();

public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  }
};

void progress(const formatv_object_base &msg) {
  if (!Quiet)
    errs() << "quant-import: " << msg << "\n";
}

/// Applies --config: the overridable hyperparameters are taken, the sizes
/// (where given) must agree with the checkpoint.
Error applyConfigOverride(lq::LlamaConfig &c, StringRef path) {
  auto buf = MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return makeError("cannot open '" + path + "': " +
                     buf.getError().message());
  auto parsed = json::parse((*buf)->getBuffer());
  if (!parsed)
    return makeError(path + ": invalid JSON: " + toString(parsed.takeError()));
  const json::Object *o = parsed->getAsObject();
  if (!o)
    return makeError(path + ": not a JSON object");

  struct SizeKey {
    const char *key;
    int64_t have;
  } sizes[] = {{"hidden_size", c.dim},
               {"intermediate_size", c.hiddenDim},
               {"num_hidden_layers", c.nLayers},
               {"num_attention_heads", c.nHeads},
               {"num_key_value_heads", c.nKVHeads},
               {"vocab_size", c.vocabSize}};
  for (const SizeKey &k : sizes) {
    const json::Value *v = o->get(k.key);
    if (!v)
      continue;
    std::optional<int64_t> i = v->getAsInteger();
    if (!i)
      return makeError(path + ": field '" + k.key + "' is not an integer");
    if (*i != k.have)
      return makeError(formatv("{0}: field '{1}' is {2}, the checkpoint has "
                               "{3}",
                               path, k.key, *i, k.have));
  }
  auto number = [&](const char *key, float &out) -> Error {
    const json::Value *v = o->get(key);
    if (!v)
      return Error::success();
    std::optional<double> d = v->getAsNumber();
    if (!d)
      return makeError(path + ": field '" + key + "' is not a number");
    out = float(*d);
    return Error::success();
  };
  if (Error e = number("rms_norm_eps", c.normEps))
    return e;
  if (Error e = number("rope_theta", c.ropeTheta))
    return e;
  if (const json::Value *v = o->get("max_position_embeddings")) {
    std::optional<int64_t> i = v->getAsInteger();
    if (!i)
      return makeError(path +
                       ": field 'max_position_embeddings' is not an integer");
    c.maxSeqLen = *i;
  }
  if (!(c.normEps > 0) || !std::isfinite(c.normEps))
    return makeError(path + ": field 'rms_norm_eps' must be positive");
  if (!(c.ropeTheta > 0) || !std::isfinite(c.ropeTheta))
    return makeError(path + ": field 'rope_theta' must be positive");
  return c.validate(path);
}

/// --synthetic: the shape from the config.json at `path`, random weights.
Expected<lq::LlamaModel> syntheticModel(StringRef path) {
  auto buf = MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return makeError("cannot open '" + path + "': " + buf.getError().message());
  auto config = lq::parseHFConfig((*buf)->getBuffer(), path);
  if (!config)
    return config.takeError();
  return lq::makeSyntheticModel(*config, SyntheticSeed);
}

Error run() {
  Stopwatch total;
  Stopwatch step;
  auto model = Synthetic ? syntheticModel(InputPath) : lq::loadModel(InputPath);
  if (!model)
    return model.takeError();
  if (!ConfigPath.empty())
    if (Error e = applyConfigOverride(model->config, ConfigPath))
      return e;
  const lq::LlamaConfig &c = model->config;
  if (Context < 0 || (Context == 0 && Context.getNumOccurrences()))
    return makeError(formatv("--context must be positive, got {0}",
                             int64_t(Context)));
  progress(formatv("read {0}: {1} layers, dim {2}, hidden {3}, heads {4}/{5}, "
                   "vocab {6}, {7} parameters, rope {8} (theta {9}){10} in "
                   "{11:f2} s",
                   InputPath, c.nLayers, c.dim, c.hiddenDim, c.nHeads,
                   c.nKVHeads, c.vocabSize,
                   model->weights.numParameters(c.tiedEmbeddings),
                   c.ropeStyle == lq::LlamaConfig::HalfSplit ? "half"
                                                             : "interleaved",
                   c.ropeTheta, c.tiedEmbeddings ? ", tied" : "",
                   step.seconds()));
  if (Context > c.maxSeqLen)
    WithColor::warning(errs(), "quant-import")
        << "--context " << Context << " exceeds the checkpoint's "
        << "max_position_embeddings " << c.maxSeqLen << "\n";

  // The reference copies the weights, so it must exist before the import
  // moves them into the module.
  std::optional<lq::Transformer> reference;
  if (!VerifyTokens.empty())
    reference.emplace(*model);

  mlir::DialectRegistry registry;
  lq::registerImportDialects(registry);
  if (reference)
    lq::registerVerifyExtensions(registry);
  mlir::MLIRContext context(registry);
  // The import is single-threaded; the context's pool would only idle.
  context.disableMultithreading();

  step = Stopwatch();
  lq::ImportOptions options;
  options.context = Context;
  options.linearForm = LinearForm;
  auto module = lq::importLlama(context, *model, options, InputPath);
  if (!module)
    return module.takeError();
  progress(formatv("built the module in {0:f2} s", step.seconds()));

  if (reference) {
    step = Stopwatch();
    std::vector<int32_t> tokens;
    for (int64_t t : VerifyTokens) {
      if (t < 0 || t >= c.vocabSize)
        return makeError(formatv("--verify-tokens: token {0} is outside the "
                                 "vocabulary of {1}",
                                 t, c.vocabSize));
      tokens.push_back(int32_t(t));
    }
    if (Error e = lq::verifyAgainstReference(**module, *reference, tokens,
                                             VerifyTolerance, errs()))
      return e;
    progress(formatv("verified in {0:f2} s", step.seconds()));
  }

  step = Stopwatch();
  Error written = writeToOutput(OutputPath, [&](raw_ostream &os) -> Error {
    if (EmitText) {
      (*module)->print(os);
      return Error::success();
    }
    mlir::BytecodeWriterConfig config("quant-import");
    if (failed(mlir::writeBytecodeToFile(**module, os, config)))
      return makeError("writing bytecode failed");
    return Error::success();
  });
  // The message already names the file.
  if (written)
    return makeError("cannot write output " + toString(std::move(written)));
  progress(formatv("wrote {0} in {1:f2} s (total {2:f2} s)", OutputPath,
                   step.seconds(), total.seconds()));
  return Error::success();
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM x(argc, argv);
  cl::HideUnrelatedOptions(Category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-import: Llama checkpoint to MLIR model module "
      "(docs/ModelIR.md)\n");
  if (Error e = run()) {
    WithColor::error(errs(), "quant-import") << toString(std::move(e)) << "\n";
    return 1;
  }
  return 0;
}
