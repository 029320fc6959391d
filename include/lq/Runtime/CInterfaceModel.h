//===- CInterfaceModel.h - Models called through their C interfaces -*- C++ -*-===//
//
// The memref ABI of the model contract's entry points (docs/ModelIR.md):
// _mlir_ciface_forward / _mlir_ciface_decode called with memref
// descriptors, caches passed in and returned (in place or not), result
// buffers freed by the caller. One implementation, whoever produced the
// function pointers (the JIT or a shared library). No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUNTIME_CINTERFACEMODEL_H
#define LQ_RUNTIME_CINTERFACEMODEL_H

#include "lq/Runtime/CompiledModel.h"

#include <cstddef>

namespace lq::runtime {

/// Where the buffers the caller and the model exchange (caches, returned
/// results) live.
enum class BufferMemory {
  /// The host heap: aligned_alloc / free (code compiled for the CPU).
  Host,
  /// CUDA managed memory through the mgpu* runtime (mgpuMemAlloc with
  /// isHostShared, mgpuMemFree), readable by host and device; the runtime
  /// must be linked into (and exported by) the executable.
  Managed,
};

/// A zeroed buffer of `bytes` in `memory`.
llvm::Expected<void *> allocateBuffer(BufferMemory memory, size_t bytes);
/// Frees a buffer of `memory`: one from allocateBuffer, or a result the
/// model's code allocated.
void freeBuffer(BufferMemory memory, void *buffer);

class CInterfaceModel : public CompiledModel {
public:
  /// `forwardFn` / `decodeFn` are the _mlir_ciface_ entry points (null for
  /// one `info` says is absent).
  CInterfaceModel(const ModelInfo &info, void *forwardFn, void *decodeFn, BufferMemory memory)
      : modelInfo(info), forwardFn(forwardFn), decodeFn(decodeFn), memory(memory) {}

  const ModelInfo &info() const override { return modelInfo; }
  llvm::Error forward(llvm::ArrayRef<int32_t> tokens, std::vector<float> &logits) const override;
  llvm::Expected<std::unique_ptr<DecodeState>> newDecodeState() const override;
  llvm::Error decode(DecodeState &state, int32_t token,
                     std::vector<float> &logits) const override;

protected:
  ModelInfo modelInfo;
  void *forwardFn = nullptr, *decodeFn = nullptr;
  BufferMemory memory;
};

} // namespace lq::runtime

#endif // LQ_RUNTIME_CINTERFACEMODEL_H
