//===- SharedLibrary.cpp - A lowered model as a shared library ------------===//
//
// The object of writeObjectFile, plus the model's description as the
// exported string lq_model_info_json, linked by the system's C compiler
// driver into a shared library that lq::runtime::SharedLibraryModel loads
// without a header.
//
//===----------------------------------------------------------------------===//

#include "lq/Run/Engine.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

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

/// The C compiler driver that links the library: `cc`, else `clang-22`.
static llvm::Expected<std::string> findLinkerDriver() {
  for (llvm::StringRef name : {"cc", "clang-22"})
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  return err("cannot link a shared library: neither 'cc' nor 'clang-22' is on PATH");
}

llvm::Error writeSharedLibrary(mlir::ModuleOp lowered, const ModelInfo &info,
                               llvm::StringRef path, unsigned optLevel) {
  auto driver = findLinkerDriver();
  if (!driver)
    return driver.takeError();
  // Created first, in the output's folder: an unwritable destination fails
  // before code generation, and the rename at the end is atomic.
  llvm::SmallString<256> tempLibrary;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", tempLibrary))
    return err(llvm::formatv("cannot write '{0}': {1}", path, ec.message()));
  llvm::FileRemover removeLibrary(tempLibrary);

  llvm::SmallString<256> object, log;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-model", "o", object))
    return err("cannot create a temporary object file: " + ec.message());
  llvm::FileRemover removeObject(object);
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lq-link", "log", log))
    return err("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeLog(log);

  mlir::LLVM::GlobalOp infoGlobal = addModelInfoGlobal(lowered, info);
  llvm::Error written = writeObjectFile(lowered, object, optLevel);
  infoGlobal.erase();
  if (written)
    return written;

  // A cuda model's mgpu* calls stay undefined: the executable that loads
  // the library provides the runtime (one copy, one CUDA context).
  llvm::SmallVector<llvm::StringRef> args = {*driver,       "-shared", "-o", tempLibrary,
                                             object.str(), "-lm"};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*driver, args, /*Env=*/std::nullopt, redirects,
                                         /*SecondsToWait=*/0, /*MemoryLimit=*/0, &message);
  if (status != 0) {
    std::string output;
    if (auto buffer = llvm::MemoryBuffer::getFile(log))
      output = (*buffer)->getBuffer().trim().str();
    return err(llvm::formatv("linking '{0}' with {1} failed{2}{3}", path, *driver,
                             message.empty() ? "" : ": " + message,
                             output.empty() ? "" : ":\n" + output));
  }
  if (std::error_code ec = llvm::sys::fs::rename(tempLibrary, path))
    return err(llvm::formatv("cannot write '{0}': {1}", path, ec.message()));
  removeLibrary.releaseFile();
  return llvm::Error::success();
}

} // namespace lq::run
