//===- SharedLibraryModel.h - A model compiled to a shared library -*- C++ -*-===//
//
// Loads a library written by `quant-run compile --shared` (dlopen), reads
// its description (lq_model_info_json) and calls its entry points through
// the memref ABI: the runner side of ahead-of-time compilation, for
// machines without LLVM or MLIR. A "cuda" library's host code calls the
// mgpu* runtime, which the executable loading it must export.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUNTIME_SHAREDLIBRARYMODEL_H
#define LQ_RUNTIME_SHAREDLIBRARYMODEL_H

#include "lq/Runtime/CInterfaceModel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

namespace lq::runtime {

class SharedLibraryModel : public CInterfaceModel {
public:
  /// Loads `path` and checks its description and entry points; an error
  /// (never a crash) for a file that is not a library, a library without
  /// the symbols or with a malformed description, and a cuda library where
  /// the mgpu* runtime is not available. A missing NVIDIA driver is
  /// reported by the runtime itself, which ends the program.
  ///
  /// A library whose description lists weights reads them from
  /// `weightsPath` (default: defaultWeightsPath(path)), mapped, not copied:
  /// every listed tensor must be there with its dtype and shape, or loading
  /// fails naming the first that is not.
  static llvm::Expected<std::unique_ptr<SharedLibraryModel>>
  load(llvm::StringRef path, llvm::StringRef weightsPath = "");
  ~SharedLibraryModel() override;

  /// The weights file of the library at `libraryPath`: the same path with
  /// the extension ".safetensors" in place of the library's.
  static std::string defaultWeightsPath(llvm::StringRef libraryPath);

  /// Device code runs on one stream: calls are made one at a time.
  bool allowsConcurrentCalls() const override {
    return modelInfo.target == ModelTarget::CPU;
  }

private:
  SharedLibraryModel(const ModelInfo &info, void *forwardFn, void *decodeFn, void *handle);
  void *handle;
  /// The mapped weights file the library's weight table points into.
  std::unique_ptr<llvm::MemoryBuffer> weights;
};

} // namespace lq::runtime

#endif // LQ_RUNTIME_SHAREDLIBRARYMODEL_H
