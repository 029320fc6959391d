//===- CudaProfile.cpp - GPU time per kernel (LQ_CUDA_STATS=kernels) --------===//
//
// With LQ_CUDA_STATS=kernels, every kernel launch of the runtime is timed by
// a pair of events around it, for machines without a system profiler.
//
//===----------------------------------------------------------------------===//
#include "CudaRuntimeInternal.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lq::runtime::cuda::profile {
namespace {

/// With LQ_CUDA_STATS=kernels, the GPU time of every kernel launch, from a
/// pair of events around it, summed per kernel name and printed at exit:
/// where a decode step's time goes, kernel by kernel, on machines without a
/// system profiler. The events serialize nothing but add a little host time.
struct KernelProfile {
  struct Pending {
    std::string name;
    CUevent start, end;
  };
  struct Total {
    uint64_t launches = 0;
    double milliseconds = 0;
  };
  std::mutex mutex;
  std::unordered_map<CUfunction, std::string> names;
  std::vector<Pending> pending;
  std::vector<CUevent> idle;
  std::unordered_map<std::string, Total> totals;
};

KernelProfile *kernelProfile() {
  static KernelProfile *enabled = [] {
    if (!profilingKernels())
      return static_cast<KernelProfile *>(nullptr);
    static KernelProfile *p = new KernelProfile; // read by the atexit handler
    std::atexit([] {
      std::vector<std::pair<std::string, KernelProfile::Total>> rows(p->totals.begin(),
                                                                      p->totals.end());
      std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
        return a.second.milliseconds > b.second.milliseconds;
      });
      double all = 0;
      uint64_t launches = 0;
      for (const auto &row : rows)
        all += row.second.milliseconds, launches += row.second.launches;
      std::fprintf(stderr, "lq-runtime kernels: %llu launches, %.3f ms of kernel time\n",
                   (unsigned long long)launches, all);
      std::fprintf(stderr, "lq-runtime kernels: kernel, launches, ms, us/launch, share\n");
      for (const auto &[name, total] : rows)
        std::fprintf(stderr, "lq-runtime kernels: %-32s %8llu %9.3f %8.2f %5.1f%%\n",
                     name.c_str(), (unsigned long long)total.launches, total.milliseconds,
                     total.milliseconds * 1e3 / total.launches,
                     all > 0 ? 100 * total.milliseconds / all : 0.0);
    });
    return p;
  }();
  return enabled;
}

CUevent profileEvent(KernelProfile &p) {
  if (!p.idle.empty()) {
    CUevent event = p.idle.back();
    p.idle.pop_back();
    return event;
  }
  CUevent event = nullptr;
  check(driver().cuEventCreate(&event, CU_EVENT_DEFAULT), "cuEventCreate");
  return event;
}

} // namespace

void name(CUfunction function, const char *name) {
  KernelProfile *p = kernelProfile();
  std::lock_guard<std::mutex> lock(p->mutex);
  p->names[function] = name;
}

void launch(const KernelLaunch &launch, CUstream stream, void **params, void **extra) {
  KernelProfile *p = kernelProfile();
  KernelProfile::Pending record;
  {
    std::lock_guard<std::mutex> lock(p->mutex);
    auto name = p->names.find(launch.function);
    record = {name == p->names.end() ? "?" : name->second, profileEvent(*p), profileEvent(*p)};
  }
  check(driver().cuEventRecord(record.start, stream), "cuEventRecord");
  cuda::launch(launch, stream, params, extra);
  check(driver().cuEventRecord(record.end, stream), "cuEventRecord");
  std::lock_guard<std::mutex> lock(p->mutex);
  p->pending.push_back(std::move(record));
}

void drain() {
  KernelProfile *p = kernelProfile();
  if (!p)
    return;
  std::lock_guard<std::mutex> lock(p->mutex);
  for (KernelProfile::Pending &launch : p->pending) {
    float ms = 0;
    if (driver().cuEventSynchronize(launch.end) == CUDA_SUCCESS &&
        driver().cuEventElapsedTime(&ms, launch.start, launch.end) == CUDA_SUCCESS) {
      KernelProfile::Total &total = p->totals[launch.name];
      total.launches += 1;
      total.milliseconds += ms;
    }
    p->idle.push_back(launch.start);
    p->idle.push_back(launch.end);
  }
  p->pending.clear();
}

} // namespace lq::runtime::cuda::profile
