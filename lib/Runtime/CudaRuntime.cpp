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
// Work on a stream is recorded until the stream is synchronized and then
// replayed as a CUDA graph (CudaGraph.cpp): a decode step is ~200 small
// kernels whose host launch cost exceeds their GPU time.
//
// Errors are fatal: a failed allocation, copy or launch would otherwise
// leave the program computing on garbage. `LQ_CUDA_DRIVER` names another
// driver library than libcuda.so.1; `LQ_CUDA_MEMORY_LIMIT` caps the device
// memory the runtime allocates (bytes, or with a K, M or G suffix).
//
//===----------------------------------------------------------------------===//
#include "CudaRuntimeInternal.h"
#include "lq/Runtime/CudaRuntime.h"
#include "lq/Runtime/GridDependency.h"

#include <dlfcn.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lq::runtime::cuda {
namespace {
int defaultDevice = 0;

/// The driver whose error functions `check` uses: set as soon as its
/// symbols resolve, before the first call that can fail.
Driver *resolved = nullptr;
} // namespace

/// Ends the program with a message. Static destructors and atexit handlers
/// do not run: the lowered module's destructor unloads its GPU module
/// through this runtime, which is what just failed (or is still being set
/// up, when the driver does not load).
void fatal(const char *format, ...) {
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

void check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return;
  const char *name = "?", *text = "?";
  resolved->cuGetErrorName(result, &name);
  resolved->cuGetErrorString(result, &text);
  fatal("%s failed: %s (%s)", what, name, text);
}

namespace {
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
#define LQ_RESOLVE_OPTIONAL(fn, sym)                                                           \
  d.fn = reinterpret_cast<decltype(d.fn)>(dlsym(lib, sym));                                    \
  if (!d.fn && !d.missingGraphFunction)                                                        \
    d.missingGraphFunction = sym;
  LQ_CUDA_GRAPH_FUNCTIONS(LQ_RESOLVE_OPTIONAL)
#undef LQ_RESOLVE_OPTIONAL
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
  int pools = 0;
  check(d.cuDeviceGetAttribute(&pools, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, d.device),
        "cuDeviceGetAttribute");
  if (pools) {
    // Freed temporaries stay in the pool for the next call instead of going
    // back to the driver at every synchronization.
    check(d.cuDeviceGetDefaultMemPool(&d.pool, d.device), "cuDeviceGetDefaultMemPool");
    cuuint64_t threshold = UINT64_MAX;
    check(d.cuMemPoolSetAttribute(d.pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &threshold),
          "cuMemPoolSetAttribute(release threshold)");
    d.pools = true;
  }
  return d;
}
} // namespace

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

Stats *stats() {
  static Stats *enabled = [] {
    const char *flag = std::getenv("LQ_CUDA_STATS");
    if (!flag || !*flag || std::string_view(flag) == "0")
      return static_cast<Stats *>(nullptr);
    static Stats s;
    std::atexit([] {
      static const char *names[] = {
#define LQ_STAT_NAME(id) #id,
          LQ_STAT_IDS(LQ_STAT_NAME)
#undef LQ_STAT_NAME
      };
      std::fprintf(stderr, "lq-runtime stats: entry point, calls, host ms, host us/call\n");
      for (size_t i = 0; i < size_t(Stat::Count); ++i) {
        uint64_t calls = s.calls[i].load(), nanos = s.nanos[i].load();
        if (calls)
          std::fprintf(stderr, "lq-runtime stats: %-13s %10llu %10.3f %9.3f\n", names[i],
                       (unsigned long long)calls, nanos / 1e6, nanos / 1e3 / calls);
      }
    });
    return &s;
  }();
  return enabled;
}

bool profilingKernels() {
  static const bool enabled = [] {
    const char *flag = std::getenv("LQ_CUDA_STATS");
    return flag && std::string_view(flag) == "kernels";
  }();
  return enabled;
}

CUresult launchKernel(const KernelLaunch &launch, CUstream stream, void **params, void **extra) {
  Driver &d = driver();
  if (!launch.dependent)
    return d.cuLaunchKernel(launch.function, launch.grid[0], launch.grid[1], launch.grid[2],
                            launch.block[0], launch.block[1], launch.block[2], launch.smem,
                            stream, params, extra);
  // The kernel waits (griddepcontrol.wait) before touching what the
  // previous kernel writes: it may be scheduled while that one finishes.
  CUlaunchAttribute attribute = {};
  attribute.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  attribute.value.programmaticStreamSerializationAllowed = 1;
  CUlaunchConfig config = {};
  config.gridDimX = launch.grid[0];
  config.gridDimY = launch.grid[1];
  config.gridDimZ = launch.grid[2];
  config.blockDimX = launch.block[0];
  config.blockDimY = launch.block[1];
  config.blockDimZ = launch.block[2];
  config.sharedMemBytes = launch.smem;
  config.hStream = stream;
  config.attrs = &attribute;
  config.numAttrs = 1;
  return d.cuLaunchKernelEx(&config, launch.function, params, extra);
}

} // namespace lq::runtime::cuda

namespace {
using namespace lq::runtime::cuda;

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

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// The lowered code looks each kernel up by name before every launch
/// (gpu.binary's launch handler calls mgpuModuleGetFunction at the launch
/// site): the handles are cached by (module, name), and the kernels that
/// may start while the previous kernel on their stream is still running
/// (programmatic dependent launch, sm_90+) are kept in a set. Those are the
/// kernels whose PTX executes `griddepcontrol.wait`, which
/// lq-lower-to-nvptx emits before a kernel's first access to anything an
/// earlier kernel produces; they are found by name when a PTX module loads.
struct Kernels {
  struct Key {
    CUmodule module;
    const char *name;
    bool operator==(const Key &other) const {
      return module == other.module && name == other.name;
    }
  };
  struct KeyHash {
    size_t operator()(const Key &key) const {
      return std::hash<const void *>()(key.module) ^ (std::hash<const void *>()(key.name) << 1);
    }
  };
  struct Entry {
    std::string name; ///< checked on a hit: the key's pointer may be reused
    CUfunction function;
  };
  std::mutex mutex;
  std::unordered_map<Key, Entry, KeyHash> functions;
  std::vector<std::pair<CUmodule, std::string>> dependentNames;
  /// Modules all of whose kernels wait (lq-gpu-dependent-launch).
  std::unordered_set<CUmodule> dependentModules;
  std::unordered_set<CUfunction> dependent;
};
Kernels &kernels() {
  static Kernels *registry = new Kernels; // outlives global destructors
  return *registry;
}

/// Records a module whose kernels all wait on the grid dependency: it
/// defines the global that lq-gpu-dependent-launch adds (any format).
void recordDependentModule(CUmodule module) {
  CUdeviceptr address = 0;
  size_t bytes = 0;
  if (driver().cuModuleGetGlobal(&address, &bytes, module, lq::runtime::kGridDependentGlobal) !=
      CUDA_SUCCESS)
    return;
  Kernels &k = kernels();
  std::lock_guard<std::mutex> lock(k.mutex);
  k.dependentModules.insert(module);
}

/// Records the kernels of `ptx` that wait on the grid dependency.
void recordDependentKernels(CUmodule module, const char *ptx) {
  std::vector<std::string> names = lq::runtime::gridDependentKernels(ptx);
  Kernels &k = kernels();
  std::lock_guard<std::mutex> lock(k.mutex);
  for (std::string &name : names)
    k.dependentNames.emplace_back(module, std::move(name));
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// What mgpuMemFree must do with a pointer, by how it was allocated.
enum class MemoryKind {
  Pool,    ///< cuMemAllocAsync: freed in stream order (cuMemFreeAsync)
  Device,  ///< cuMemAlloc
  Shared,  ///< host_shared: pinned host memory (cuMemAllocHost), kept for reuse by size
  Host,    ///< cuMemAllocHost: pinned, mapped host memory
};

/// Every live allocation of this runtime, and freed host-shared blocks by
/// size: the returned results (logits) are host-shared memory the caller
/// frees after each call, and cuMemAllocHost / cuMemFreeHost cost far more
/// than a decode step's kernels.
struct Allocations {
  struct Allocation {
    MemoryKind kind;
    uint64_t bytes;
  };
  std::mutex mutex;
  std::unordered_map<void *, Allocation> live;
  std::unordered_multimap<uint64_t, void *> freeShared;
  /// Freed pool blocks by (stream, size), reused on the same stream only:
  /// its later kernels are ordered after the free, so no other stream can
  /// race them. A decode step allocates the same sizes every step; each
  /// cuMemAllocAsync / cuMemFreeAsync pair cost 1.5 us of host time, 18 %
  /// of a 19M model's step.
  struct StreamBlock {
    CUstream stream;
    uint64_t bytes;
    bool operator==(const StreamBlock &o) const { return stream == o.stream && bytes == o.bytes; }
  };
  struct StreamBlockHash {
    size_t operator()(const StreamBlock &b) const {
      return std::hash<const void *>()(b.stream) ^ (std::hash<uint64_t>()(b.bytes) << 1);
    }
  };
  std::unordered_multimap<StreamBlock, void *, StreamBlockHash> freePool;
  uint64_t freePoolBytes = 0;
  /// Device memory held: live pool and device allocations and the free
  /// pool blocks above (what LQ_CUDA_MEMORY_LIMIT bounds).
  uint64_t deviceBytes = 0;
  static constexpr uint64_t kMaxFreePoolBytes = uint64_t(1) << 30;
  static constexpr size_t kMaxFreeShared = 64;
};
Allocations &allocations() {
  static Allocations *registry = new Allocations; // outlives global destructors
  return *registry;
}

void *record(void *ptr, MemoryKind kind, uint64_t bytes) {
  Allocations &a = allocations();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.live[ptr] = {kind, bytes};
  return ptr;
}

/// Whether `ptr` starts a block of this runtime: device or pinned memory,
/// which an asynchronous copy reads when it runs, not when it is issued.
bool isRuntimeMemory(const void *ptr) {
  Allocations &a = allocations();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.live.count(const_cast<void *>(ptr));
}

/// LQ_CUDA_MEMORY_LIMIT: the device bytes the runtime may hold, so that
/// running out of device memory can be tried on any GPU; unset, no limit.
uint64_t memoryLimit() {
  static const uint64_t limit = [] {
    const char *text = std::getenv("LQ_CUDA_MEMORY_LIMIT");
    if (!text || !*text)
      return UINT64_MAX;
    char *end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(text, &end, 10);
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10, ++end; break;
    case 'm': case 'M': shift = 20, ++end; break;
    case 'g': case 'G': shift = 30, ++end; break;
    default: break;
    }
    if (!(*text >= '0' && *text <= '9') || *end || errno || value > (UINT64_MAX >> shift))
      fatal("LQ_CUDA_MEMORY_LIMIT=%s: expected a number of bytes, optionally with a K, M or G "
            "suffix",
            text);
    return uint64_t(value) << shift;
  }();
  return limit;
}

/// Gives the cached free pool blocks back to the driver and the pool's
/// unused memory back to the device, before an allocation is retried.
void releaseFreeBlocks() {
  // Recorded work may still use a cached block: issue it before the frees.
  graph::flush(nullptr);
  Driver &d = driver();
  Allocations &a = allocations();
  std::unordered_multimap<Allocations::StreamBlock, void *, Allocations::StreamBlockHash> blocks;
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    blocks.swap(a.freePool);
    a.deviceBytes -= a.freePoolBytes;
    a.freePoolBytes = 0;
  }
  for (const auto &[block, ptr] : blocks)
    check(d.cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(ptr), block.stream), "cuMemFreeAsync");
  check(d.cuCtxSynchronize(), "cuCtxSynchronize (an earlier launch or copy)");
  if (d.pools)
    check(d.cuMemPoolTrimTo(d.pool, 0), "cuMemPoolTrimTo");
}

/// With CUDA graphs, a small pool block is allocated in a size class (four
/// per power of two): a buffer sized by the decode position keeps its
/// block for many steps, so the step needs no new allocation (issued before
/// the graph launch, not behind earlier launches) and fewer node updates.
uint64_t poolSizeClass(uint64_t bytes) {
  constexpr uint64_t kMinClass = 256, kMaxClass = uint64_t(1) << 20;
  if (!graph::enabled() || bytes > kMaxClass)
    return bytes;
  if (bytes <= kMinClass)
    return kMinClass;
  uint64_t step = uint64_t(1) << (61 - __builtin_clzll(bytes - 1));
  return (bytes + step - 1) & ~(step - 1);
}

/// `bytes` of device memory, from the stream-ordered pool on `stream` or,
/// without one, from cuMemAlloc. Running out, from the driver or against
/// LQ_CUDA_MEMORY_LIMIT, is retried once without the cached free blocks and
/// then fatal with the same message either way.
CUdeviceptr allocateDevice(uint64_t bytes, CUstream stream) {
  Driver &d = driver();
  Allocations &a = allocations();
  const char *what = stream ? "cuMemAllocAsync" : "cuMemAlloc";
  bool overLimit = false;
  uint64_t held = 0;
  CUdeviceptr ptr = 0;
  auto attempt = [&] {
    {
      std::lock_guard<std::mutex> lock(a.mutex);
      held = a.deviceBytes;
    }
    overLimit = held > memoryLimit() || bytes > memoryLimit() - held;
    if (overLimit)
      return CUDA_ERROR_OUT_OF_MEMORY;
    return stream ? d.cuMemAllocAsync(&ptr, bytes, stream) : d.cuMemAlloc(&ptr, bytes);
  };
  CUresult result = attempt();
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    releaseFreeBlocks();
    result = attempt();
  }
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    if (overLimit)
      fatal("out of device memory: cannot allocate %llu bytes with %llu bytes allocated "
            "(limit %llu bytes: LQ_CUDA_MEMORY_LIMIT)",
            (unsigned long long)bytes, (unsigned long long)held,
            (unsigned long long)memoryLimit());
    size_t total = 0;
    d.cuDeviceTotalMem(&total, d.device);
    fatal("out of device memory: cannot allocate %llu bytes with %llu bytes allocated "
          "(limit %llu bytes: the device's memory; %s: CUDA_ERROR_OUT_OF_MEMORY)",
          (unsigned long long)bytes, (unsigned long long)held, (unsigned long long)total, what);
  }
  check(result, what);
  std::lock_guard<std::mutex> lock(a.mutex);
  a.deviceBytes += bytes;
  return ptr;
}

/// Streams are reused: gpu-async-region's lowering creates one per call
/// and destroys it at the end, and cuStreamCreate / cuStreamDestroy cost
/// more than a small kernel.
struct StreamPool {
  std::mutex mutex;
  std::vector<CUstream> idle;
};
StreamPool &streamPool() {
  static StreamPool *pool = new StreamPool; // outlives global destructors
  return *pool;
}

/// Whether `function` waits on the grid dependency and so is launched with
/// programmatic stream serialization (sm_90+).
bool isDependent(CUfunction function) {
  if (driver().sm < 90)
    return false;
  Kernels &k = kernels();
  std::lock_guard<std::mutex> lock(k.mutex);
  return k.dependent.count(function);
}

} // namespace

extern "C" {

CUmodule mgpuModuleLoad(void *data, size_t gpuBlobSize) {
  Timed timed(Stat::ModuleLoad);
  (void)gpuBlobSize; // cubins and fatbins carry their own size.
  CUmodule module = nullptr;
  checkLoad(driver().cuModuleLoadData(&module, data), "binary", "", nullptr);
  recordDependentModule(module);
  return module;
}

CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  Timed timed(Stat::ModuleLoad);
  CUmodule module = nullptr;
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                    reinterpret_cast<void *>((intptr_t)(optLevel < 0 ? 4 : optLevel))};
  CUresult result = driver().cuModuleLoadDataEx(&module, data, 3, options, values);
  checkLoad(result, "PTX", ptxTarget(static_cast<const char *>(data)), log);
  recordDependentKernels(module, static_cast<const char *>(data));
  recordDependentModule(module);
  return module;
}

void mgpuModuleUnload(CUmodule module) {
  // Recorded launches and cached graphs may hold the module's kernels.
  graph::flush(nullptr);
  graph::release();
  {
    // A later module may get the same handle.
    Kernels &k = kernels();
    std::lock_guard<std::mutex> lock(k.mutex);
    for (auto it = k.functions.begin(); it != k.functions.end();)
      it = it->first.module == module ? k.functions.erase(it) : std::next(it);
    k.dependentNames.erase(std::remove_if(k.dependentNames.begin(), k.dependentNames.end(),
                                          [&](const auto &entry) { return entry.first == module; }),
                           k.dependentNames.end());
    k.dependentModules.erase(module);
  }
  // Runs from a global destructor; at process exit the driver may already
  // be shut down, which frees the module anyway.
  CUresult result = driver().cuModuleUnload(module);
  if (result != CUDA_ERROR_DEINITIALIZED)
    check(result, "cuModuleUnload");
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  Timed timed(Stat::GetFunction);
  Kernels &k = kernels();
  std::lock_guard<std::mutex> lock(k.mutex);
  auto it = k.functions.find({module, name});
  if (it != k.functions.end() && it->second.name == name)
    return it->second.function;
  CUfunction function = nullptr;
  CUresult result = driver().cuModuleGetFunction(&function, module, name);
  if (result != CUDA_SUCCESS)
    fatal("the loaded module has no kernel '%s'", name);
  k.functions[{module, name}] = {name, function};
  if (profilingKernels())
    profile::name(function, name);
  if (k.dependentModules.count(module))
    k.dependent.insert(function);
  for (const auto &[m, n] : k.dependentNames)
    if (m == module && n == name)
      k.dependent.insert(function);
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
                      CUstream stream, void **params, void **extra, size_t paramsCount) {
  Timed timed(Stat::Launch);
  if (smem > 48 * 1024)
    check(driver().cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                      smem),
          "cuFuncSetAttribute(max dynamic shared memory)");
  KernelLaunch l = {function,
                    {unsigned(gridX), unsigned(gridY), unsigned(gridZ)},
                    {unsigned(blockX), unsigned(blockY), unsigned(blockZ)},
                    unsigned(smem),
                    isDependent(function)};
  if (graph::recordLaunch(l, stream, params, extra, paramsCount))
    return;
  graph::flush(stream);
  if (profilingKernels())
    return profile::launch(l, stream, params, extra);
  launch(l, stream, params, extra);
}

CUstream mgpuStreamCreate() {
  Timed timed(Stat::StreamCreate);
  {
    StreamPool &pool = streamPool();
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (!pool.idle.empty()) {
      CUstream stream = pool.idle.back();
      pool.idle.pop_back();
      return stream;
    }
  }
  CUstream stream = nullptr;
  check(driver().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  graph::adopt(stream);
  return stream;
}

void mgpuStreamDestroy(CUstream stream) {
  Timed timed(Stat::StreamDestroy);
  // The lowering synchronizes a stream before destroying it: it is idle
  // (and has nothing recorded, unless a caller skipped that).
  graph::submit(stream);
  StreamPool &pool = streamPool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.idle.push_back(stream);
}

void mgpuStreamSynchronize(CUstream stream) {
  Timed timed(Stat::StreamSync);
  graph::submit(stream);
  // Kernel faults surface here, asynchronously: report them as such.
  check(driver().cuStreamSynchronize(stream), "cuStreamSynchronize (an earlier launch or copy)");
  if (profilingKernels())
    profile::drain();
}

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  graph::flush(stream);
  check(driver().cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

CUevent mgpuEventCreate() {
  CUevent event = nullptr;
  check(driver().cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(CUevent event) { check(driver().cuEventDestroy(event), "cuEventDestroy"); }

void mgpuEventSynchronize(CUevent event) {
  Timed timed(Stat::EventSync);
  check(driver().cuEventSynchronize(event), "cuEventSynchronize (an earlier launch or copy)");
}

void mgpuEventRecord(CUevent event, CUstream stream) {
  // The event marks the work issued so far: issue what is recorded.
  graph::flush(stream);
  check(driver().cuEventRecord(event, stream), "cuEventRecord");
}

/// Host-shared memory (what the host reads: the results, scalars) is pinned
/// host memory that kernels write through the bus, reused by size once
/// freed. Not managed memory: its pages migrate back to the device at the
/// first kernel write after each host read, which cost a 19M model's decode
/// step 180 us for 32 KB of logits. Device
/// memory on a stream comes from the device's stream-ordered pool (cheap,
/// reused across calls, capturable in a CUDA graph), without one from
/// cuMemAlloc (the constants' uploads, which live as long as the program).
void *mgpuMemAlloc(uint64_t sizeBytes, CUstream stream, bool isHostShared) {
  if (sizeBytes == 0)
    return nullptr;
  Driver &d = driver();
  CUdeviceptr ptr = 0;
  if (isHostShared) {
    Timed timed(Stat::AllocShared);
    {
      Allocations &a = allocations();
      std::lock_guard<std::mutex> lock(a.mutex);
      auto it = a.freeShared.find(sizeBytes);
      if (it != a.freeShared.end()) {
        void *reused = it->second;
        a.freeShared.erase(it);
        a.live[reused] = {MemoryKind::Shared, sizeBytes};
        return reused;
      }
    }
    void *host = nullptr;
    check(d.cuMemAllocHost(&host, sizeBytes), "cuMemAllocHost");
    return record(host, MemoryKind::Shared, sizeBytes);
  }
  if (stream && d.pools) {
    Timed timed(Stat::AllocPool);
    sizeBytes = poolSizeClass(sizeBytes);
    {
      Allocations &a = allocations();
      std::lock_guard<std::mutex> lock(a.mutex);
      auto it = a.freePool.find({stream, sizeBytes});
      if (it != a.freePool.end()) {
        void *reused = it->second;
        a.freePool.erase(it);
        a.freePoolBytes -= sizeBytes;
        a.live[reused] = {MemoryKind::Pool, sizeBytes};
        return reused;
      }
    }
    // Stream-ordered: valid for the work recorded on the stream, which is
    // issued later (CudaGraph.cpp).
    ptr = allocateDevice(sizeBytes, stream);
    return record(reinterpret_cast<void *>(ptr), MemoryKind::Pool, sizeBytes);
  }
  Timed timed(Stat::AllocDevice);
  ptr = allocateDevice(sizeBytes, nullptr);
  return record(reinterpret_cast<void *>(ptr), MemoryKind::Device, sizeBytes);
}

void mgpuMemFree(void *ptr, CUstream stream) {
  if (!ptr)
    return;
  Driver &d = driver();
  Allocations &a = allocations();
  Allocations::Allocation allocation = {MemoryKind::Device, 0};
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    auto it = a.live.find(ptr);
    if (it != a.live.end()) {
      allocation = it->second;
      a.live.erase(it);
    }
  }
  CUdeviceptr dptr = reinterpret_cast<CUdeviceptr>(ptr);
  switch (allocation.kind) {
  case MemoryKind::Pool: {
    Timed timed(Stat::FreePool);
    // Without a stream, nothing orders the free after the work that used
    // the memory: finish all of it.
    if (!stream) {
      graph::flush(nullptr);
      check(d.cuCtxSynchronize(), "cuCtxSynchronize (an earlier launch or copy)");
    }
    if (stream) {
      std::lock_guard<std::mutex> lock(a.mutex);
      if (a.freePoolBytes + allocation.bytes <= Allocations::kMaxFreePoolBytes) {
        a.freePool.emplace(Allocations::StreamBlock{stream, allocation.bytes}, ptr);
        a.freePoolBytes += allocation.bytes;
        return;
      }
    }
    // The free is ordered after the work issued on the stream: issue what is
    // recorded first.
    graph::flush(stream);
    check(d.cuMemFreeAsync(dptr, stream), "cuMemFreeAsync");
    std::lock_guard<std::mutex> lock(a.mutex);
    a.deviceBytes -= allocation.bytes;
    return;
  }
  case MemoryKind::Shared: {
    Timed timed(Stat::FreeShared);
    // The block may be handed out (and written on the host) at once.
    if (stream)
      mgpuStreamSynchronize(stream);
    {
      std::lock_guard<std::mutex> lock(a.mutex);
      if (a.freeShared.size() < Allocations::kMaxFreeShared) {
        a.freeShared.emplace(allocation.bytes, ptr);
        return;
      }
    }
    // Recorded work on another stream may still use it.
    graph::flush(nullptr);
    check(d.cuMemFreeHost(ptr), "cuMemFreeHost");
    return;
  }
  case MemoryKind::Host: {
    Timed timed(Stat::FreeHost);
    if (stream)
      mgpuStreamSynchronize(stream);
    graph::flush(nullptr);
    check(d.cuMemFreeHost(ptr), "cuMemFreeHost");
    return;
  }
  case MemoryKind::Device: {
    Timed timed(Stat::FreeDevice);
    // cuMemFree does not order against the stream: finish its work first.
    if (stream)
      mgpuStreamSynchronize(stream);
    // cuMemFree waits for the work issued on the device: issue what is recorded.
    graph::flush(nullptr);
    check(d.cuMemFree(dptr), "cuMemFree");
    std::lock_guard<std::mutex> lock(a.mutex);
    a.deviceBytes -= allocation.bytes;
    return;
  }
  }
}

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, CUstream stream) {
  Timed timed(Stat::Memcpy);
  // A copy from pageable host memory reads it before the call returns: it is
  // recorded only between the runtime's own (device or pinned) blocks.
  if (graph::enabled() && isRuntimeMemory(dst) && isRuntimeMemory(src) &&
      graph::recordMemcpy(reinterpret_cast<CUdeviceptr>(dst), reinterpret_cast<CUdeviceptr>(src),
                          sizeBytes, stream))
    return;
  graph::flush(stream);
  check(driver().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                               reinterpret_cast<CUdeviceptr>(src), sizeBytes, stream),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, CUstream stream) {
  Timed timed(Stat::Memset);
  if (graph::recordMemset(reinterpret_cast<CUdeviceptr>(dst), value, count, 4, stream))
    return;
  graph::flush(stream);
  check(driver().cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count, stream),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, CUstream stream) {
  Timed timed(Stat::Memset);
  if (graph::recordMemset(reinterpret_cast<CUdeviceptr>(dst), value, count, 2, stream))
    return;
  graph::flush(stream);
  check(driver().cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count, stream),
        "cuMemsetD16Async");
}

void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes) {
  check(driver().cuMemHostRegister(ptr, sizeBytes, 0), "cuMemHostRegister");
}

void mgpuMemHostUnregister(void *ptr) {
  graph::flush(nullptr);
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

void *lqCudaAllocBuffer(uint64_t sizeBytes, bool hostMapped) {
  Driver &d = driver();
  sizeBytes = std::max<uint64_t>(sizeBytes, 1);
  void *ptr = nullptr;
  if (hostMapped) {
    // Unified addressing: kernels use the host pointer as it is.
    Timed timed(Stat::AllocHost);
    check(d.cuMemAllocHost(&ptr, sizeBytes), "cuMemAllocHost");
    std::memset(ptr, 0, sizeBytes);
    return record(ptr, MemoryKind::Host, sizeBytes);
  }
  Timed timed(Stat::AllocDevice);
  CUdeviceptr dptr = allocateDevice(sizeBytes, nullptr);
  check(d.cuMemsetD8(dptr, 0, sizeBytes), "cuMemsetD8");
  return record(reinterpret_cast<void *>(dptr), MemoryKind::Device, sizeBytes);
}

void lqCudaCopy(void *dst, const void *src, uint64_t sizeBytes) {
  Timed timed(Stat::Memcpy);
  graph::flush(nullptr);
  check(driver().cuMemcpy(reinterpret_cast<CUdeviceptr>(dst), reinterpret_cast<CUdeviceptr>(src),
                          sizeBytes),
        "cuMemcpy");
}

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
