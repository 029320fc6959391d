//===- FuzzModule.cpp - libFuzzer target: lq modules ----------------------===//
//
// Reads a textual module the way quant-opt does (resource blobs checked,
// then MLIR's parser, which verifies), then, when it parses:
//   - the module prints and parses back to the same text (the lq types' and
//     attributes' printers and parsers agree), and its bytecode reads back to
//     the same text;
//   - lq-expand and lq-lower-to-nvptx either fail with a diagnostic or leave
//     a module that verifies. The passes run without the pass manager's own
//     verification, so a pass that produces invalid IR is a crash here, not
//     a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ResourceBlobs.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace mlir;

namespace {

[[noreturn]] void fail(const char *what, const std::string &detail = "") {
  std::fprintf(stderr, "fuzz invariant violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

const DialectRegistry &registry() {
  static const DialectRegistry *r = [] {
    auto *reg = new DialectRegistry;
    registerAllDialects(*reg);
    registerAllExtensions(*reg);
    reg->insert<mlir::lq::LQDialect>();
    mlir::lq::registerLQConversionPasses();
    return reg;
  }();
  return *r;
}

/// The contexts inputs are parsed in. Creating a context costs more than
/// most inputs take, so one is kept for the module and one for its reparsed
/// copies, and both are replaced every kInputsPerContext inputs: resource
/// blobs live as long as their context (which is why the copies get one of
/// their own: parsed twice in one context, a blob is renamed).
struct Contexts {
  static constexpr int kInputsPerContext = 512;
  std::unique_ptr<MLIRContext> module, copy;
  int inputs = 0;

  static std::unique_ptr<MLIRContext> make() {
    auto ctx = std::make_unique<MLIRContext>(registry(), MLIRContext::Threading::DISABLED);
    // Diagnostics are the expected outcome of most inputs; they are dropped.
    ctx->getDiagEngine().registerHandler([](Diagnostic &) { return success(); });
    return ctx;
  }
  void next() {
    if (inputs++ % kInputsPerContext)
      return;
    module = make();
    copy = make();
  }
};

/// Blob names with the `_N` suffixes that a context adds to names it has
/// seen removed, so that two prints of the same module compare equal
/// whichever blobs their contexts held before.
std::string withoutBlobSuffixes(llvm::StringRef text) {
  static const llvm::Regex suffix("(dense_resource<[^>]*[^_>])(_[0-9]+)+>");
  static const llvm::Regex key("^( *[^ :\"]*[^_ :\"])(_[0-9]+)+: \"0x");
  std::string out;
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (llvm::StringRef line : lines) {
    std::string l = line.str();
    for (std::string prev; prev != l;) {
      prev = l;
      l = suffix.sub("\\1>", l);
      l = key.sub("\\1: \"0x", l);
    }
    out += l;
    out += '\n';
  }
  return out;
}

OwningOpRef<ModuleOp> parse(MLIRContext &ctx, llvm::StringRef bytes, const char *name) {
  // Aligned as the tools align what they read (readModuleFile): the
  // bytecode reader references blobs in place.
  std::unique_ptr<llvm::WritableMemoryBuffer> buffer =
      llvm::WritableMemoryBuffer::getNewUninitMemBuffer(
          bytes.size(), name, llvm::Align(mlir::lq::kMaxResourceAlignment));
  std::memcpy(buffer->getBufferStart(), bytes.data(), bytes.size());
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&ctx));
}

std::string print(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().enableDebugInfo(false));
  return text;
}

/// Runs `pipeline` on a clone of `module`. A failure is a diagnostic; a
/// success must leave IR that verifies.
void runPipeline(ModuleOp module, llvm::StringRef pipeline) {
  OwningOpRef<ModuleOp> clone = module.clone();
  PassManager pm(module.getContext());
  pm.enableVerifier(false);
  if (failed(parsePassPipeline(pipeline, pm)))
    fail("the fuzz pipeline does not parse", pipeline.str());
  if (failed(pm.run(*clone)))
    return;
  if (failed(verify(*clone)))
    fail("a pass succeeded but left IR that does not verify", pipeline.str());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // Raw bytecode is MLIR's own reader, which trusts the value counts of a
  // region and allocates what a corrupt file asks for (docs/Reliability.md);
  // bytecode is exercised below through the round trip of every module.
  if (bytes.starts_with("ML\xefR"))
    return 0;
  if (llvm::Error e = mlir::lq::checkResourceBlobs(llvm::MemoryBufferRef(bytes, "fuzz"))) {
    llvm::consumeError(std::move(e));
    return 0;
  }
  static Contexts contexts;
  contexts.next();
  OwningOpRef<ModuleOp> module = parse(*contexts.module, bytes, "fuzz");
  if (!module)
    return 0;

  // Round trips: text -> text, and bytecode -> text.
  std::string text = print(*module);
  std::string expected = withoutBlobSuffixes(text);
  {
    OwningOpRef<ModuleOp> reparsed = parse(*contexts.copy, text, "printed");
    if (!reparsed)
      fail("a parsed module does not parse back from its printed form", text);
    if (withoutBlobSuffixes(print(*reparsed)) != expected)
      fail("a module prints differently after a round trip through text", text);
  }
  {
    std::string bytecode;
    llvm::raw_string_ostream os(bytecode);
    if (failed(writeBytecodeToFile(*module, os)))
      fail("a parsed module cannot be written as bytecode", text);
    OwningOpRef<ModuleOp> fromBytecode = parse(*contexts.copy, bytecode, "bytecode");
    if (!fromBytecode)
      fail("a module's bytecode does not read back", text);
    if (withoutBlobSuffixes(print(*fromBytecode)) != expected)
      fail("a module prints differently after a round trip through bytecode", text);
  }

  runPipeline(*module, "builtin.module(lq-expand)");
  runPipeline(*module, "builtin.module(lq-lower-to-nvptx)");
  return 0;
}
