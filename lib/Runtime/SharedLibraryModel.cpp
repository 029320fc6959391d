//===- SharedLibraryModel.cpp - A model compiled to a shared library ------===//

#include "lq/Runtime/SharedLibraryModel.h"

#include "lq/Model/Safetensors.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <dlfcn.h>

namespace lq::runtime {

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static BufferMemory memoryFor(ModelTarget target) {
  return target == ModelTarget::CUDA ? BufferMemory::CUDA : BufferMemory::Host;
}

std::string SharedLibraryModel::defaultWeightsPath(llvm::StringRef libraryPath) {
  llvm::SmallString<256> path(libraryPath);
  llvm::sys::path::replace_extension(path, ".safetensors");
  return std::string(path);
}

/// Maps the weights file at `path` and points each slot of the library's
/// weight table at the data of the tensor `info.weights` names for it.
static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
bindWeights(void *handle, const ModelInfo &info, llvm::StringRef path) {
  auto **table = static_cast<const void **>(dlsym(handle, kWeightTableSymbol.data()));
  if (!table)
    return err(llvm::formatv("its description lists weights but it has no '{0}'",
                             kWeightTableSymbol));
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return err(llvm::formatv("cannot read its weights file '{0}': {1}", path,
                             file.getError().message()));
  auto tensors = parseSafetensors((*file)->getMemBufferRef());
  if (!tensors)
    return err("its weights file is not valid: " + llvm::toString(tensors.takeError()));
  llvm::StringMap<const SafetensorsTensor *> byName;
  for (const SafetensorsTensor &t : *tensors)
    byName[t.name] = &t;
  auto shapeText = [](llvm::ArrayRef<int64_t> shape) {
    return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }),
                            ", ") +
           "]";
  };
  // Every tensor is checked before any slot is set.
  std::vector<const void *> slots;
  for (const WeightSpec &w : info.weights) {
    const SafetensorsTensor *t = byName.lookup(w.name);
    if (!t)
      return err(llvm::formatv("its weights file '{0}' has no tensor '{1}' (not this "
                               "library's weights?)",
                               path, w.name));
    if (t->dtype != w.dtype || t->shape != w.shape)
      return err(llvm::formatv("its weights file '{0}' has '{1}' as {2} {3}, the library "
                               "expects {4} {5}",
                               path, w.name, t->dtype, shapeText(t->shape), w.dtype,
                               shapeText(w.shape)));
    slots.push_back(t->bytes.data());
  }
  for (size_t i = 0; i < slots.size(); ++i)
    table[i] = slots[i];
  return std::move(*file);
}

SharedLibraryModel::SharedLibraryModel(const ModelInfo &info, void *forwardFn, void *decodeFn,
                                       void *handle)
    : CInterfaceModel(info, forwardFn, decodeFn, memoryFor(info.target)), handle(handle) {}

SharedLibraryModel::~SharedLibraryModel() { dlclose(handle); }

llvm::Expected<std::unique_ptr<SharedLibraryModel>>
SharedLibraryModel::load(llvm::StringRef path, llvm::StringRef weightsPath) {
  // dlopen searches the library path for a name without a slash.
  llvm::SmallString<256> absolute(path);
  if (std::error_code ec = llvm::sys::fs::make_absolute(absolute))
    return err(llvm::formatv("cannot read '{0}': {1}", path, ec.message()));
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(absolute, status))
    return err(llvm::formatv("cannot read '{0}': {1}", path, ec.message()));
  if (!llvm::sys::fs::is_regular_file(status))
    return err(llvm::formatv("'{0}' is not a file", path));

  // RTLD_NOW: a symbol the library needs and nothing provides (mgpu* in a
  // program without the CUDA runtime) fails here, not in the middle of a run.
  dlerror();
  void *handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return err(llvm::formatv("'{0}' is not a loadable shared library: {1}", path, dlerror()));
  auto fail = [&](const llvm::Twine &msg) {
    dlclose(handle);
    return err(path + ": " + msg);
  };

  auto *json = static_cast<const char *>(dlsym(handle, kModelInfoSymbol.data()));
  if (!json)
    return fail(llvm::formatv("no '{0}': not a model library (quant-run compile --shared)",
                              kModelInfoSymbol));
  auto info = parseModelInfoJSON(json);
  if (!info)
    return fail(llvm::toString(info.takeError()));

  auto entryPoint = [&](bool present, llvm::StringRef name, void *&fn) -> llvm::Error {
    if (!present)
      return llvm::Error::success();
    fn = dlsym(handle, ("_mlir_ciface_" + name).str().c_str());
    if (!fn)
      return err(llvm::formatv("its description lists @{0} but it has no '_mlir_ciface_{0}'",
                               name));
    return llvm::Error::success();
  };
  void *forwardFn = nullptr, *decodeFn = nullptr;
  if (llvm::Error e = entryPoint(info->hasForward, "forward", forwardFn))
    return fail(llvm::toString(std::move(e)));
  if (llvm::Error e = entryPoint(info->hasDecode, "decode", decodeFn))
    return fail(llvm::toString(std::move(e)));

  std::unique_ptr<llvm::MemoryBuffer> weights;
  if (!info->weights.empty()) {
    auto bound = bindWeights(handle, *info,
                             weightsPath.empty() ? defaultWeightsPath(path) : weightsPath.str());
    if (!bound)
      return fail(llvm::toString(bound.takeError()));
    weights = std::move(*bound);
  }

  std::unique_ptr<SharedLibraryModel> model(
      new SharedLibraryModel(*info, forwardFn, decodeFn, handle));
  model->weights = std::move(weights);
  if (info->target == ModelTarget::CUDA) {
    // One allocation up front: a program without the runtime, or a machine
    // without the driver (which the runtime reports), fails before any work.
    auto probe = allocateBuffer(model->memory, 1);
    if (!probe)
      return err(path + ": a cuda model: " + llvm::toString(probe.takeError()));
    freeBuffer(model->memory, *probe);
  }
  return std::move(model);
}

} // namespace lq::runtime
