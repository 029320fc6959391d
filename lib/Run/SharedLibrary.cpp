//===- SharedLibrary.cpp - A lowered model as a shared library ------------===//
//
// The object of writeObjectFile, plus the model's description as the
// exported string lq_model_info_json, linked by the system's C compiler
// driver into a shared library that lq::runtime::SharedLibraryModel loads
// without a header; optionally with its weights in a safetensors file
// beside it rather than in its code.
//
//===----------------------------------------------------------------------===//

#include "lq/Run/Engine.h"

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Model/Safetensors.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <map>
#include <tuple>

namespace lq::run {

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The NUL-terminated JSON of `info` as an exported constant byte array.
static mlir::LLVM::GlobalOp addModelInfoGlobal(mlir::ModuleOp lowered, const ModelInfo &info) {
  std::string json = runtime::modelInfoToJSON(info);
  json.push_back('\0');
  auto b = mlir::OpBuilder::atBlockEnd(lowered.getBody());
  auto type = mlir::LLVM::LLVMArrayType::get(b.getI8Type(), json.size());
  return mlir::LLVM::GlobalOp::create(b, lowered.getLoc(), type, /*isConstant=*/true,
                                      mlir::LLVM::Linkage::External,
                                      runtime::kModelInfoSymbol, b.getStringAttr(json));
}

/// Moves `lowered`'s weights out of its code (lq-weight-table) into the
/// tensors of a weights file, listing them in `info` in table order. The
/// tensors' bytes stay owned by the module's context.
static llvm::Expected<std::vector<lq::SafetensorsTensor>>
takeWeights(mlir::ModuleOp lowered, ModelInfo &info) {
  mlir::PassManager pm(lowered.getContext());
  pm.addPass(mlir::lq::createLQWeightTable());
  std::string diagnostics;
  {
    llvm::raw_string_ostream os(diagnostics);
    mlir::ScopedDiagnosticHandler handler(lowered.getContext(), [&](mlir::Diagnostic &d) {
      os << d.getLocation() << ": " << d << "\n";
      return mlir::success();
    });
    if (mlir::failed(pm.run(lowered)))
      return err("cannot take the weights out of the code:\n" + diagnostics);
  }
  std::vector<lq::SafetensorsTensor> tensors;
  info.weights.clear();
  auto table = lowered->getAttrOfType<mlir::DictionaryAttr>(mlir::lq::kExternalWeightsAttrName);
  if (!table)
    return tensors;
  lowered->removeAttr(mlir::lq::kExternalWeightsAttrName);
  std::map<std::tuple<llvm::StringRef, std::vector<int64_t>, llvm::StringRef>, std::string>
      byContent;
  for (mlir::NamedAttribute entry : table) {
    auto value = llvm::cast<mlir::ElementsAttr>(entry.getValue());
    mlir::FailureOr<llvm::ArrayRef<char>> bytes = mlir::lq::getRawBytes(value);
    llvm::StringRef dtype = mlir::lq::safetensorsDType(value.getElementType());
    if (mlir::failed(bytes) || dtype.empty())
      return err(llvm::formatv("the data of weight '{0}' cannot be written", entry.getName()));
    std::vector<int64_t> shape(value.getShapedType().getShape());
    llvm::StringRef data(bytes->data(), bytes->size());
    // Equal tensors (a weight packed the same way for @forward and @decode)
    // are stored once, under the first slot's name. The shape is part of
    // the key: a file tensor has one shape, and the loader checks each slot's.
    std::string &first = byContent[{dtype, shape, data}];
    if (first.empty()) {
      first = entry.getName().str();
      tensors.push_back({first, dtype.str(), shape, data});
    }
    info.weights.push_back({first, dtype.str(), shape});
  }
  return tensors;
}

llvm::Expected<std::string> findCCompiler(llvm::StringRef purpose) {
  for (llvm::StringRef name : {"cc", "clang-22"})
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  return err("cannot " + purpose + ": neither 'cc' nor 'clang-22' is on PATH");
}

llvm::Error runProgram(llvm::ArrayRef<llvm::StringRef> args, llvm::StringRef what) {
  llvm::SmallString<256> log;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-cc", "log", log))
    return err("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeLog(log);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(args.front(), args, /*Env=*/std::nullopt, redirects,
                                         /*SecondsToWait=*/0, /*MemoryLimit=*/0, &message);
  if (status == 0)
    return llvm::Error::success();
  std::string output;
  if (auto buffer = llvm::MemoryBuffer::getFile(log))
    output = (*buffer)->getBuffer().trim().str();
  return err(llvm::formatv("{0} with {1} failed{2}{3}", what, args.front(),
                           message.empty() ? "" : ": " + message,
                           output.empty() ? "" : ":\n" + output));
}

llvm::Error writeSharedLibrary(mlir::ModuleOp lowered, ModelInfo info, llvm::StringRef path,
                               unsigned optLevel, llvm::StringRef weightsPath) {
  auto driver = findCCompiler("link a shared library");
  if (!driver)
    return driver.takeError();
  // Created first, in the output's folder: an unwritable destination fails
  // before code generation, and the rename at the end is atomic.
  llvm::SmallString<256> tempLibrary;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", tempLibrary))
    return err(llvm::formatv("cannot write '{0}': {1}", path, ec.message()));
  llvm::FileRemover removeLibrary(tempLibrary);

  llvm::SmallString<256> object;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-model", "o", object))
    return err("cannot create a temporary object file: " + ec.message());
  llvm::FileRemover removeObject(object);

  std::vector<lq::SafetensorsTensor> weights;
  if (!weightsPath.empty()) {
    auto taken = takeWeights(lowered, info);
    if (!taken)
      return taken.takeError();
    weights = std::move(*taken);
  }
  mlir::LLVM::GlobalOp infoGlobal = addModelInfoGlobal(lowered, info);
  llvm::Error written = writeObjectFile(lowered, object, optLevel);
  infoGlobal.erase();
  if (written)
    return written;

  // A cuda model's mgpu* calls stay undefined: the executable that loads
  // the library provides the runtime (one copy, one CUDA context).
  llvm::SmallVector<llvm::StringRef> args = {*driver,       "-shared", "-o", tempLibrary,
                                             object.str(), "-lm"};
  if (llvm::Error e = runProgram(args, llvm::formatv("linking '{0}'", path).str()))
    return e;
  // The weights first: a library is never left without the file it reads.
  if (!weightsPath.empty())
    if (llvm::Error e = lq::writeSafetensors(weightsPath, weights, {{"format", "lq-weights"}}))
      return e;
  if (std::error_code ec = llvm::sys::fs::rename(tempLibrary, path))
    return err(llvm::formatv("cannot write '{0}': {1}", path, ec.message()));
  removeLibrary.releaseFile();
  return llvm::Error::success();
}

} // namespace lq::run
