//===- CudaRuntime.h - The mgpu* entry points over the CUDA driver -*- C++ -*-===//
//
// The functions MLIR's gpu-to-llvm lowering (and the gpu.binary offloading
// handler) call, implemented over the CUDA driver API, which is opened at
// run time. Declared with opaque handles so hosts need no CUDA headers.
// Every failure is fatal and says what failed (see CudaRuntime.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef LQ_RUNTIME_CUDARUNTIME_H
#define LQ_RUNTIME_CUDARUNTIME_H

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" {
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUevent_st;

CUmod_st *mgpuModuleLoad(void *data, size_t gpuBlobSize);
/// `data` is NUL-terminated PTX, compiled by the driver at `optLevel`.
CUmod_st *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(CUmod_st *module);
CUfunc_st *mgpuModuleGetFunction(CUmod_st *module, const char *name);
void mgpuLaunchKernel(CUfunc_st *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
                      CUstream_st *stream, void **params, void **extra, size_t paramsCount);
CUstream_st *mgpuStreamCreate();
void mgpuStreamDestroy(CUstream_st *stream);
void mgpuStreamSynchronize(CUstream_st *stream);
void mgpuStreamWaitEvent(CUstream_st *stream, CUevent_st *event);
CUevent_st *mgpuEventCreate();
void mgpuEventDestroy(CUevent_st *event);
void mgpuEventSynchronize(CUevent_st *event);
void mgpuEventRecord(CUevent_st *event, CUstream_st *stream);
void *mgpuMemAlloc(uint64_t sizeBytes, CUstream_st *stream, bool isHostShared);
void mgpuMemFree(void *ptr, CUstream_st *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, CUstream_st *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count, CUstream_st *stream);
void mgpuMemset16(void *dst, unsigned short value, size_t count, CUstream_st *stream);
void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes);
void mgpuMemHostUnregister(void *ptr);
void mgpuSetDefaultDevice(int32_t device);

// For hosts that exchange buffers with a model's code (CInterfaceModel);
// mgpuMemFree frees them.
/// A zeroed buffer of device memory (cuMemAlloc), or with `hostMapped` of
/// pinned host memory the kernels read and write through the same pointer.
void *lqCudaAllocBuffer(uint64_t sizeBytes, bool hostMapped);
/// A synchronous copy between any two buffers (unified addressing).
void lqCudaCopy(void *dst, const void *src, uint64_t sizeBytes);
}

namespace lq::runtime {

struct DeviceInfo {
  std::string name;
  int sm = 0;            ///< compute capability, major * 10 + minor
  int driverVersion = 0; ///< CUDA version the driver supports, e.g. 13000
  int multiprocessors = 0;
};

/// The device the mgpu* functions use (initialising the driver if needed).
DeviceInfo deviceInfo();

} // namespace lq::runtime

#endif // LQ_RUNTIME_CUDARUNTIME_H
