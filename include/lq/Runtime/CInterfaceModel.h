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
  /// CUDA memory through lib/Runtime's CUDA runtime (lqCudaAllocBuffer,
  /// lqCudaCopy, mgpuMemFree), which must be linked into (and exported by)
  /// the executable: device memory for what only kernels touch (caches),
  /// pinned host memory for what the host writes too (the token and
  /// position); results are host-shared memory the model's code allocated.
  CUDA,
};

/// A zeroed buffer of `bytes` in `memory`. Without `hostAccess`, only the
/// model's code touches it (CUDA: device memory).
llvm::Expected<void *> allocateBuffer(BufferMemory memory, size_t bytes, bool hostAccess = true);
/// Frees a buffer of `memory`: one from allocateBuffer, or a result the
/// model's code allocated.
void freeBuffer(BufferMemory memory, void *buffer);
/// Copies `bytes` between two buffers of `memory`.
void copyBuffer(BufferMemory memory, void *dst, const void *src, size_t bytes);

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
