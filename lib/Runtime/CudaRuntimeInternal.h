//===- CudaRuntimeInternal.h - Shared by the CUDA runtime's files -*- C++ -*-===//
//
// The driver table, fatal errors, statistics and kernel launches of
// CudaRuntime.cpp, the per-kernel profile of CudaProfile.cpp, and the CUDA
// graph recorder of CudaGraph.cpp that the mgpu* entry points call. Private
// to lib/Runtime: hosts include lq/Runtime/CudaRuntime.h.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_LIB_RUNTIME_CUDARUNTIMEINTERNAL_H
#define LQ_LIB_RUNTIME_CUDARUNTIMEINTERNAL_H

#include <cuda.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace lq::runtime::cuda {

// The driver functions used here, with their exported (versioned) names.
#define LQ_CUDA_FUNCTIONS(X)                                                                   \
  X(cuInit, "cuInit")                                                                          \
  X(cuDriverGetVersion, "cuDriverGetVersion")                                                  \
  X(cuGetErrorName, "cuGetErrorName")                                                          \
  X(cuGetErrorString, "cuGetErrorString")                                                      \
  X(cuDeviceGet, "cuDeviceGet")                                                                \
  X(cuDeviceGetCount, "cuDeviceGetCount")                                                      \
  X(cuDeviceGetAttribute, "cuDeviceGetAttribute")                                              \
  X(cuDeviceGetName, "cuDeviceGetName")                                                        \
  X(cuDeviceTotalMem, "cuDeviceTotalMem_v2")                                                   \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")                                      \
  X(cuCtxSetCurrent, "cuCtxSetCurrent")                                                        \
  X(cuCtxSynchronize, "cuCtxSynchronize")                                                      \
  X(cuModuleLoadData, "cuModuleLoadData")                                                      \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx")                                                  \
  X(cuModuleUnload, "cuModuleUnload")                                                          \
  X(cuModuleGetFunction, "cuModuleGetFunction")                                                \
  X(cuModuleGetGlobal, "cuModuleGetGlobal_v2")                                                 \
  X(cuFuncSetAttribute, "cuFuncSetAttribute")                                                  \
  X(cuLaunchKernel, "cuLaunchKernel")                                                          \
  X(cuLaunchKernelEx, "cuLaunchKernelEx")                                                      \
  X(cuStreamCreate, "cuStreamCreate")                                                          \
  X(cuStreamDestroy, "cuStreamDestroy_v2")                                                     \
  X(cuStreamSynchronize, "cuStreamSynchronize")                                                \
  X(cuStreamWaitEvent, "cuStreamWaitEvent")                                                    \
  X(cuEventCreate, "cuEventCreate")                                                            \
  X(cuEventDestroy, "cuEventDestroy_v2")                                                       \
  X(cuEventRecord, "cuEventRecord")                                                            \
  X(cuEventSynchronize, "cuEventSynchronize")                                                  \
  X(cuEventElapsedTime, "cuEventElapsedTime")                                                  \
  X(cuMemAlloc, "cuMemAlloc_v2")                                                               \
  X(cuMemFree, "cuMemFree_v2")                                                                 \
  X(cuMemAllocAsync, "cuMemAllocAsync")                                                        \
  X(cuMemFreeAsync, "cuMemFreeAsync")                                                          \
  X(cuDeviceGetDefaultMemPool, "cuDeviceGetDefaultMemPool")                                    \
  X(cuMemPoolSetAttribute, "cuMemPoolSetAttribute")                                            \
  X(cuMemPoolTrimTo, "cuMemPoolTrimTo")                                                        \
  X(cuMemAllocHost, "cuMemAllocHost_v2")                                                       \
  X(cuMemFreeHost, "cuMemFreeHost")                                                            \
  X(cuMemcpy, "cuMemcpy")                                                                      \
  X(cuMemsetD8, "cuMemsetD8_v2")                                                               \
  X(cuMemcpyAsync, "cuMemcpyAsync")                                                            \
  X(cuMemsetD32Async, "cuMemsetD32Async")                                                      \
  X(cuMemsetD16Async, "cuMemsetD16Async")                                                      \
  X(cuMemHostRegister, "cuMemHostRegister_v2")                                                 \
  X(cuMemHostUnregister, "cuMemHostUnregister")

// What the CUDA graph recorder needs (cuFuncGetParamInfo: CUDA 12.4; the
// dependent-node query with edge data: 12.3). A driver without one of them
// launches every kernel eagerly.
#define LQ_CUDA_GRAPH_FUNCTIONS(X)                                                             \
  X(cuFuncGetParamInfo, "cuFuncGetParamInfo")                                                  \
  X(cuStreamBeginCapture, "cuStreamBeginCapture_v2")                                           \
  X(cuStreamEndCapture, "cuStreamEndCapture")                                                  \
  X(cuGraphInstantiate, "cuGraphInstantiateWithFlags")                                         \
  X(cuGraphLaunch, "cuGraphLaunch")                                                            \
  X(cuGraphGetRootNodes, "cuGraphGetRootNodes")                                                \
  X(cuGraphNodeGetDependentNodes, "cuGraphNodeGetDependentNodes_v2")                           \
  X(cuGraphNodeGetType, "cuGraphNodeGetType")                                                  \
  X(cuGraphExecKernelNodeSetParams, "cuGraphExecKernelNodeSetParams_v2")                       \
  X(cuGraphExecDestroy, "cuGraphExecDestroy")                                                  \
  X(cuGraphDestroy, "cuGraphDestroy")

struct Driver {
#define LQ_DECLARE(fn, sym) decltype(&::fn) fn = nullptr;
  LQ_CUDA_FUNCTIONS(LQ_DECLARE)
  LQ_CUDA_GRAPH_FUNCTIONS(LQ_DECLARE)
#undef LQ_DECLARE
  CUdevice device = 0;
  CUcontext context = nullptr;
  int sm = 0;
  /// Whether cuMemAllocAsync works (stream-ordered memory pools), and the
  /// device's default pool.
  bool pools = false;
  CUmemoryPool pool = nullptr;
  /// The first LQ_CUDA_GRAPH_FUNCTIONS entry point the driver lacks, or null.
  const char *missingGraphFunction = nullptr;
};

/// The driver, loaded and initialized at the first call, with the device's
/// primary context current on the calling thread.
Driver &driver();

/// Ends the program with a message (see CudaRuntime.cpp).
[[noreturn]] void fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));

/// Fails with the driver's name and description of `result`.
void check(CUresult result, const char *what);

//===----------------------------------------------------------------------===//
// Statistics (LQ_CUDA_STATS)
//===----------------------------------------------------------------------===//

/// The entry points counted when `LQ_CUDA_STATS` is set: calls and host time
/// in each, printed at exit, so a decode step's host overhead (launches,
/// allocations, synchronizations) can be read off a run. The Graph* rows and
/// Replay / Flush count what the CUDA graph recorder did (CudaGraph.cpp).
#define LQ_STAT_IDS(X)                                                                         \
  X(ModuleLoad) X(GetFunction) X(Launch) X(StreamCreate) X(StreamDestroy) X(StreamSync)        \
  X(EventSync) X(AllocPool) X(AllocDevice) X(AllocShared) X(AllocHost) X(FreePool)            \
  X(FreeDevice) X(FreeShared) X(FreeHost) X(Memcpy) X(Memset) X(GraphLaunch) X(GraphUpdate)   \
  X(GraphBuild) X(GraphFailed) X(Replay) X(Flush)
enum class Stat {
#define LQ_STAT_ENUM(id) id,
  LQ_STAT_IDS(LQ_STAT_ENUM)
#undef LQ_STAT_ENUM
  Count
};

struct Stats {
  std::atomic<uint64_t> calls[size_t(Stat::Count)] = {};
  std::atomic<uint64_t> nanos[size_t(Stat::Count)] = {};
};

/// The counters, or null when LQ_CUDA_STATS is off.
Stats *stats();

/// Counts the enclosing scope's call and host time under `id`.
class Timed {
public:
  explicit Timed(Stat id) : id(id), s(stats()) {
    if (s)
      start = std::chrono::steady_clock::now();
  }
  ~Timed() {
    if (!s)
      return;
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
    s->calls[size_t(id)].fetch_add(1, std::memory_order_relaxed);
    s->nanos[size_t(id)].fetch_add(nanos, std::memory_order_relaxed);
  }

private:
  Stat id;
  Stats *s;
  std::chrono::steady_clock::time_point start;
};

/// Counts `n` events under `id` (no time).
inline void count(Stat id, uint64_t n = 1) {
  if (Stats *s = stats())
    s->calls[size_t(id)].fetch_add(n, std::memory_order_relaxed);
}

/// Whether LQ_CUDA_STATS=kernels times every launch with events.
bool profilingKernels();

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

/// A kernel launch as the lowered code asks for it.
struct KernelLaunch {
  CUfunction function;
  unsigned grid[3];
  unsigned block[3];
  unsigned smem;
  /// Launched with programmatic stream serialization: the kernel waits on
  /// the grid dependency (griddepcontrol.wait), sm_90+.
  bool dependent;
};

/// Launches `launch` on `stream` and returns the driver's result (a stream
/// capture must not end the program when a launch is refused).
CUresult launchKernel(const KernelLaunch &launch, CUstream stream, void **params,
                      void **extra = nullptr);

/// The driver function launchKernel calls, for messages.
inline const char *launchName(const KernelLaunch &launch) {
  return launch.dependent ? "cuLaunchKernelEx" : "cuLaunchKernel";
}

/// launchKernel, fatal when the driver refuses the launch.
inline void launch(const KernelLaunch &launch, CUstream stream, void **params,
                   void **extra = nullptr) {
  check(launchKernel(launch, stream, params, extra), launchName(launch));
}

//===----------------------------------------------------------------------===//
// Kernel profile (CudaProfile.cpp), with LQ_CUDA_STATS=kernels
//===----------------------------------------------------------------------===//

namespace profile {
/// Names the launches of `function` in the profile.
void name(CUfunction function, const char *name);
/// Launches `launch` on `stream` between a pair of timing events.
void launch(const KernelLaunch &launch, CUstream stream, void **params, void **extra);
/// Adds the launches a synchronization completed to the totals.
void drain();
} // namespace profile

//===----------------------------------------------------------------------===//
// CUDA graphs (CudaGraph.cpp)
//===----------------------------------------------------------------------===//

namespace graph {

/// Whether work on streams is recorded and replayed as CUDA graphs:
/// LQ_CUDA_GRAPHS is not 0, LQ_CUDA_STATS is not `kernels`, and the driver
/// has LQ_CUDA_GRAPH_FUNCTIONS.
bool enabled();

/// Record an operation on `stream` to be issued at the stream's next
/// synchronization instead of now; false (nothing recorded) when graphs are
/// off or the operation cannot be recorded: the caller flushes the stream
/// and issues it eagerly.
bool recordLaunch(const KernelLaunch &launch, CUstream stream, void **params, void **extra,
                  size_t paramsCount);
bool recordMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream);
/// `width` is 2 or 4 bytes.
bool recordMemset(CUdeviceptr dst, unsigned value, size_t elements, unsigned width,
                  CUstream stream);

/// Makes `stream`, created by mgpuStreamCreate, one whose work is recorded.
/// Work on other streams is issued at once: their owner may time or
/// synchronize them through the driver, which the recorder would not see.
void adopt(CUstream stream);

/// Issues what is recorded on `stream`, as a CUDA graph once the same
/// sequence repeats, before the stream is synchronized or destroyed.
void submit(CUstream stream);

/// Issues what is recorded on `stream` (every stream when null) eagerly,
/// before an operation that must see it issued: an event, a host-side free,
/// a synchronous copy.
void flush(CUstream stream);

/// Destroys the cached graphs and parameter layouts: a module is unloaded,
/// and its functions' handles may be reused by the next one.
void release();

} // namespace graph
} // namespace lq::runtime::cuda

#endif // LQ_LIB_RUNTIME_CUDARUNTIMEINTERNAL_H
