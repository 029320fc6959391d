//===- CudaRuntime.cpp - The mgpu* entry points over the CUDA driver API ----===//
//
// MLIR's gpu-to-llvm lowering turns gpu.launch_func, gpu.alloc, gpu.memcpy,
// ... into calls of `mgpu*` functions, and the gpu.binary offloading
// handler loads modules through mgpuModuleLoad(JIT) from a global
// constructor. Upstream ships these in a runner library that Debian's MLIR
// does not package; this is our implementation, so an AOT-compiled module
// links against this library and needs nothing but the NVIDIA driver.
//
// libcuda is opened at run time (dlopen) rather than linked: a machine
// without a driver gets a message naming what is missing instead of a
// loader error, and the library builds where only the toolkit headers are.
//
// Errors are fatal: a failed allocation, copy or launch would otherwise
// leave the program computing on garbage. `LQ_CUDA_DRIVER` names another
// driver library than libcuda.so.1.
//
//===----------------------------------------------------------------------===//
#include "lq/Runtime/CudaRuntime.h"
#include "lq/Runtime/GridDependency.h"

#include <cuda.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace {

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
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")                                      \
  X(cuCtxSetCurrent, "cuCtxSetCurrent")                                                        \
  X(cuModuleLoadData, "cuModuleLoadData")                                                      \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx")                                                  \
  X(cuModuleUnload, "cuModuleUnload")                                                          \
  X(cuModuleGetFunction, "cuModuleGetFunction")                                                \
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
  X(cuMemAlloc, "cuMemAlloc_v2")                                                               \
  X(cuMemAllocManaged, "cuMemAllocManaged")                                                    \
  X(cuMemFree, "cuMemFree_v2")                                                                 \
  X(cuMemcpyAsync, "cuMemcpyAsync")                                                            \
  X(cuMemsetD32Async, "cuMemsetD32Async")                                                      \
  X(cuMemsetD16Async, "cuMemsetD16Async")                                                      \
  X(cuMemHostRegister, "cuMemHostRegister_v2")                                                 \
  X(cuMemHostUnregister, "cuMemHostUnregister")

struct Driver {
#define LQ_DECLARE(fn, sym) decltype(&::fn) fn = nullptr;
  LQ_CUDA_FUNCTIONS(LQ_DECLARE)
#undef LQ_DECLARE
  CUdevice device = 0;
  CUcontext context = nullptr;
  int sm = 0;
};

int defaultDevice = 0;

/// Ends the program with a message. Static destructors and atexit handlers
/// do not run: the lowered module's destructor unloads its GPU module
/// through this runtime, which is what just failed (or is still being set
/// up, when the driver does not load).
[[noreturn]] void fatal(const char *format, ...) {
  std::fflush(stdout);
  std::fprintf(stderr, "lq-runtime: ");
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::_Exit(1);
}

/// The driver whose error functions `check` uses: set as soon as its
/// symbols resolve, before the first call that can fail.
Driver *resolved = nullptr;

/// Fails with the driver's name and description of `result`.
void check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return;
  const char *name = "?", *text = "?";
  resolved->cuGetErrorName(result, &name);
  resolved->cuGetErrorString(result, &text);
  fatal("%s failed: %s (%s)", what, name, text);
}

Driver &load() {
  static Driver d;
  const char *path = std::getenv("LQ_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!lib)
    fatal("cannot load the CUDA driver library %s (%s); is the NVIDIA driver installed?", path,
          dlerror());
#define LQ_RESOLVE(fn, sym)                                                                    \
  d.fn = reinterpret_cast<decltype(d.fn)>(dlsym(lib, sym));                                    \
  if (!d.fn)                                                                                   \
    fatal("the CUDA driver library has no %s: the driver is older than this runtime needs "   \
          "(CUDA 12 or newer)",                                                                \
          sym);
  LQ_CUDA_FUNCTIONS(LQ_RESOLVE)
#undef LQ_RESOLVE
  resolved = &d;
  check(d.cuInit(0), "cuInit");
  int version = 0;
  check(d.cuDriverGetVersion(&version), "cuDriverGetVersion");
  if (version < 12000)
    fatal("the CUDA driver supports CUDA %d.%d; the lq GPU kernels need 12.0 or newer",
          version / 1000, version % 1000 / 10);
  int count = 0;
  check(d.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (defaultDevice >= count)
    fatal("device %d requested, but the driver sees %d CUDA device(s)", defaultDevice, count);
  check(d.cuDeviceGet(&d.device, defaultDevice), "cuDeviceGet");
  int major = 0, minor = 0;
  check(d.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d.device),
        "cuDeviceGetAttribute");
  check(d.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d.device),
        "cuDeviceGetAttribute");
  d.sm = major * 10 + minor;
  check(d.cuDevicePrimaryCtxRetain(&d.context, d.device), "cuDevicePrimaryCtxRetain");
  return d;
}

Driver &driver() {
  static Driver &d = load();
  // Every entry point may run on a new host thread: make the context current.
  thread_local bool current = false;
  if (!current) {
    current = true;
    check(d.cuCtxSetCurrent(d.context), "cuCtxSetCurrent");
  }
  return d;
}

/// The `.target sm_XY` a PTX text was generated for, or "".
std::string ptxTarget(const char *ptx) {
  const char *at = std::strstr(ptx, ".target");
  if (!at)
    return "";
  at += 7;
  while (*at == ' ' || *at == '\t')
    ++at;
  std::string target;
  while (*at && *at != '\n' && *at != ',' && *at != ' ')
    target += *at++;
  return target;
}

/// A module that does not load is a mismatch between what was compiled and
/// the machine: say which.
void checkLoad(CUresult result, const char *kind, const std::string &target, const char *log) {
  if (result == CUDA_SUCCESS)
    return;
  const char *name = "?";
  driver().cuGetErrorName(result, &name);
  int version = 0;
  driver().cuDriverGetVersion(&version);
  fatal("cannot load the %s module%s%s on this sm_%d device with a CUDA %d.%d driver: %s%s%s", kind,
        target.empty() ? "" : " built for ", target.c_str(), driver().sm, version / 1000,
        version % 1000 / 10, name, log && *log ? "\n" : "", log ? log : "");
}

/// Kernels that may start while the previous kernel on their stream is
/// still running (programmatic dependent launch, sm_90+): those whose PTX
/// executes `griddepcontrol.wait`, which lq-lower-to-nvptx emits before a
/// kernel's first access to anything an earlier kernel produces. Found by
/// name when a PTX module loads, by handle when its functions are looked up.
struct DependentLaunches {
  std::mutex mutex;
  std::vector<std::pair<CUmodule, std::string>> names;
  std::vector<CUfunction> functions;
};
DependentLaunches &dependentLaunches() {
  static DependentLaunches *registry = new DependentLaunches; // outlives global destructors
  return *registry;
}

/// Records the kernels of `ptx` that wait on the grid dependency.
void recordDependentKernels(CUmodule module, const char *ptx) {
  std::vector<std::string> names = lq::runtime::gridDependentKernels(ptx);
  DependentLaunches &r = dependentLaunches();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (std::string &name : names)
    r.names.emplace_back(module, std::move(name));
}

} // namespace

extern "C" {

CUmodule mgpuModuleLoad(void *data, size_t gpuBlobSize) {
  (void)gpuBlobSize; // cubins and fatbins carry their own size.
  CUmodule module = nullptr;
  checkLoad(driver().cuModuleLoadData(&module, data), "binary", "", nullptr);
  return module;
}

CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  CUmodule module = nullptr;
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                    reinterpret_cast<void *>((intptr_t)(optLevel < 0 ? 4 : optLevel))};
  CUresult result = driver().cuModuleLoadDataEx(&module, data, 3, options, values);
  checkLoad(result, "PTX", ptxTarget(static_cast<const char *>(data)), log);
  recordDependentKernels(module, static_cast<const char *>(data));
  return module;
}

void mgpuModuleUnload(CUmodule module) {
  // Runs from a global destructor; at process exit the driver may already
  // be shut down, which frees the module anyway.
  CUresult result = driver().cuModuleUnload(module);
  if (result != CUDA_ERROR_DEINITIALIZED)
    check(result, "cuModuleUnload");
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  CUfunction function = nullptr;
  CUresult result = driver().cuModuleGetFunction(&function, module, name);
  if (result != CUDA_SUCCESS)
    fatal("the loaded module has no kernel '%s'", name);
  DependentLaunches &r = dependentLaunches();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto &[m, n] : r.names)
    if (m == module && n == name && std::find(r.functions.begin(), r.functions.end(), function) ==
                                        r.functions.end())
      r.functions.push_back(function);
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
                      CUstream stream, void **params, void **extra, size_t paramsCount) {
  (void)paramsCount;
  Driver &d = driver();
  if (smem > 48 * 1024)
    check(d.cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
          "cuFuncSetAttribute(max dynamic shared memory)");
  bool dependent = false;
  if (d.sm >= 90) {
    DependentLaunches &r = dependentLaunches();
    std::lock_guard<std::mutex> lock(r.mutex);
    dependent = std::find(r.functions.begin(), r.functions.end(), function) != r.functions.end();
  }
  if (!dependent) {
    check(d.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, smem, stream,
                           params, extra),
          "cuLaunchKernel");
    return;
  }
  // The kernel waits (griddepcontrol.wait) before touching what the
  // previous kernel writes: it may be scheduled while that one finishes.
  CUlaunchAttribute attribute = {};
  attribute.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  attribute.value.programmaticStreamSerializationAllowed = 1;
  CUlaunchConfig config = {};
  config.gridDimX = gridX;
  config.gridDimY = gridY;
  config.gridDimZ = gridZ;
  config.blockDimX = blockX;
  config.blockDimY = blockY;
  config.blockDimZ = blockZ;
  config.sharedMemBytes = smem;
  config.hStream = stream;
  config.attrs = &attribute;
  config.numAttrs = 1;
  check(d.cuLaunchKernelEx(&config, function, params, extra), "cuLaunchKernelEx");
}

CUstream mgpuStreamCreate() {
  CUstream stream = nullptr;
  check(driver().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(CUstream stream) { check(driver().cuStreamDestroy(stream), "cuStreamDestroy"); }

void mgpuStreamSynchronize(CUstream stream) {
  // Kernel faults surface here, asynchronously: report them as such.
  check(driver().cuStreamSynchronize(stream), "cuStreamSynchronize (an earlier launch or copy)");
}

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  check(driver().cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

CUevent mgpuEventCreate() {
  CUevent event = nullptr;
  check(driver().cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(CUevent event) { check(driver().cuEventDestroy(event), "cuEventDestroy"); }

void mgpuEventSynchronize(CUevent event) {
  check(driver().cuEventSynchronize(event), "cuEventSynchronize (an earlier launch or copy)");
}

void mgpuEventRecord(CUevent event, CUstream stream) {
  check(driver().cuEventRecord(event, stream), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t sizeBytes, CUstream stream, bool isHostShared) {
  (void)stream;
  if (sizeBytes == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  if (isHostShared)
    check(driver().cuMemAllocManaged(&ptr, sizeBytes, CU_MEM_ATTACH_GLOBAL), "cuMemAllocManaged");
  else
    check(driver().cuMemAlloc(&ptr, sizeBytes), "cuMemAlloc");
  return reinterpret_cast<void *>(ptr);
}

void mgpuMemFree(void *ptr, CUstream stream) {
  if (!ptr)
    return;
  // cuMemFree does not order against the stream: finish its work first.
  if (stream)
    mgpuStreamSynchronize(stream);
  check(driver().cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)), "cuMemFree");
}

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, CUstream stream) {
  check(driver().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                               reinterpret_cast<CUdeviceptr>(src), sizeBytes, stream),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, CUstream stream) {
  check(driver().cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count, stream),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, CUstream stream) {
  check(driver().cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count, stream),
        "cuMemsetD16Async");
}

void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes) {
  check(driver().cuMemHostRegister(ptr, sizeBytes, 0), "cuMemHostRegister");
}

void mgpuMemHostUnregister(void *ptr) {
  check(driver().cuMemHostUnregister(ptr), "cuMemHostUnregister");
}

/// A ranked memref descriptor's base and extent: register the whole buffer.
struct LQStridedMemRef {
  char *basePtr;
  char *data;
  int64_t offset;
  int64_t sizesAndStrides[];
};

void mgpuMemHostRegisterMemRef(int64_t rank, LQStridedMemRef *descriptor,
                               int64_t elementSizeBytes) {
  int64_t extent = 1;
  for (int64_t i = 0; i < rank; ++i)
    extent = std::max<int64_t>(extent, descriptor->sizesAndStrides[i] *
                                           descriptor->sizesAndStrides[rank + i]);
  mgpuMemHostRegister(descriptor->data + descriptor->offset * elementSizeBytes,
                      extent * elementSizeBytes);
}

void mgpuMemHostUnregisterMemRef(int64_t rank, LQStridedMemRef *descriptor,
                                 int64_t elementSizeBytes) {
  (void)rank;
  mgpuMemHostUnregister(descriptor->data + descriptor->offset * elementSizeBytes);
}

void mgpuSetDefaultDevice(int32_t device) { defaultDevice = device; }

} // extern "C"

namespace lq::runtime {

DeviceInfo deviceInfo() {
  Driver &d = driver();
  DeviceInfo info;
  char name[256] = {0};
  check(d.cuDeviceGetName(name, sizeof(name), d.device), "cuDeviceGetName");
  info.name = name;
  info.sm = d.sm;
  check(d.cuDriverGetVersion(&info.driverVersion), "cuDriverGetVersion");
  check(d.cuDeviceGetAttribute(&info.multiprocessors, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                               d.device),
        "cuDeviceGetAttribute");
  return info;
}

} // namespace lq::runtime
