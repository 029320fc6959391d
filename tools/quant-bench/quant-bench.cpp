//===- quant-bench.cpp - GPU benchmark of the lq-lower-to-nvptx kernels -----===//
//
// Runs the kernels quant-bench-compile built (PTX + manifest) on the GPU:
// regenerates each weight from its seed, packs it with the compiler's own
// packing code (and checks the bytes' fingerprint against the compiler's),
// checks every kernel's result against the numeric library's decoded
// reference (relative error over the output, and with --element-tolerance
// each element against the output's largest magnitude), then times it with
// CUDA events (warm-up, median of --iters launches, weights rotated through
// more memory than the L2 holds) next to cuBLAS fp16 GEMM on the same
// shape, in the same process. Device copy bandwidth is measured in the same
// run. --seed makes the activations reproducible; the last line says how
// many kernels were checked.
//
// Kernels are loaded and launched through the project's CUDA runtime (the
// mgpu* functions AOT-compiled modules call); timing and cuBLAS use the
// driver and cuBLAS directly.
//
//===----------------------------------------------------------------------===//
#include "BenchData.h"

#include "lq/Numerics/Quantize.h"
#include "lq/Runtime/CudaRuntime.h"
#include "lq/Runtime/GPULayout.h"

#include <cublas_v2.h>
#include <cuda.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "quant-bench: %s\n", msg.c_str());
  std::exit(1);
}

void checkCu(CUresult r, const char *what) {
  if (r != CUDA_SUCCESS) {
    const char *name = "?";
    cuGetErrorName(r, &name);
    die(std::string(what) + " failed: " + name);
  }
}

void checkBlas(cublasStatus_t s, const char *what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    die(std::string(what) + " failed: cuBLAS status " + std::to_string((int)s));
}

struct Entry {
  std::map<std::string, std::string> f;
  std::string get(const std::string &k) const {
    auto it = f.find(k);
    if (it == f.end())
      die("manifest entry without '" + k + "'");
    return it->second;
  }
  int64_t num(const std::string &k) const { return std::stoll(get(k)); }
};

std::vector<Entry> readManifest(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    die("cannot read " + path);
  std::vector<Entry> entries;
  std::string line;
  while (std::getline(in, line)) {
    Entry e;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && line[i] == ' ')
        ++i;
      size_t eq = line.find('=', i);
      if (eq == std::string::npos)
        break;
      std::string key = line.substr(i, eq - i), value;
      i = eq + 1;
      if (i < line.size() && line[i] == '"') {
        size_t end = line.find('"', i + 1);
        value = line.substr(i + 1, end - i - 1);
        i = end + 1;
      } else {
        size_t end = line.find(' ', i);
        if (end == std::string::npos)
          end = line.size();
        value = line.substr(i, end - i);
        i = end;
      }
      e.f[key] = value;
    }
    if (!e.f.empty())
      entries.push_back(e);
  }
  return entries;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Times `launch(i)` for i = 0..iters-1 after `warmup` calls, one event pair
/// per launch; returns the median in microseconds.
template <typename F>
double timeLaunches(CUstream stream, int warmup, int iters, F launch) {
  for (int i = 0; i < warmup; ++i)
    launch(i);
  std::vector<CUevent> events(2 * iters);
  for (auto &e : events)
    checkCu(cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate");
  for (int i = 0; i < iters; ++i) {
    checkCu(cuEventRecord(events[2 * i], stream), "cuEventRecord");
    launch(warmup + i);
    checkCu(cuEventRecord(events[2 * i + 1], stream), "cuEventRecord");
  }
  checkCu(cuStreamSynchronize(stream), "cuStreamSynchronize (timed launches)");
  std::vector<double> us(iters);
  for (int i = 0; i < iters; ++i) {
    float ms = 0;
    checkCu(cuEventElapsedTime(&ms, events[2 * i], events[2 * i + 1]), "cuEventElapsedTime");
    us[i] = ms * 1000.0;
  }
  for (auto &e : events)
    cuEventDestroy(e);
  return median(us);
}

/// y[m][n] = sum_k x[m][k] w[n][k] in double, over all hardware threads.
std::vector<double> reference(const std::vector<float> &x, const std::vector<float> &w, int64_t m,
                              int64_t n, int64_t k) {
  std::vector<double> y(m * n);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t r = t; r < n; r += threads)
        for (int64_t b = 0; b < m; ++b) {
          double s = 0;
          const float *wr = &w[r * k], *xr = &x[b * k];
          for (int64_t c = 0; c < k; ++c)
            s += (double)xr[c] * wr[c];
          y[b * n + r] = s;
        }
    });
  for (auto &th : pool)
    th.join();
  return y;
}

/// ||got - ref|| / ||ref||, or NaN if any value is not finite.
double relativeError(const std::vector<float> &got, const std::vector<double> &ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i]))
      return NAN;
    num += (got[i] - ref[i]) * (got[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

/// max_i |got_i - ref_i| / max_i |ref_i|, or NaN if any value is not finite:
/// one wrong element (a bad index in a tail, a lane that reads the wrong
/// code) shows here even where the norm-wise error hides it.
double elementError(const std::vector<float> &got, const std::vector<double> &ref) {
  double worst = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i]))
      return NAN;
    worst = std::max(worst, std::fabs(got[i] - ref[i]));
    scale = std::max(scale, std::fabs(ref[i]));
  }
  return worst / std::max(scale, 1e-300);
}

struct Row {
  std::string kind, variant;
  int64_t rows, cols, batch;
  double us, gbps, pctCopy, cublasUs, speedup, err, cublasErr;
};

} // namespace

int main(int argc, char **argv) {
  std::string dir, mdPath;
  int iters = 100, warmup = 20;
  double tolerance = 1e-3;
  double elementTolerance = -1; // < 0: not checked
  bool seeded = false;
  uint64_t seed = 0;
  bool skipCublas = false;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--kernels")
      dir = value();
    else if (a == "--markdown")
      mdPath = value();
    else if (a == "--iters")
      iters = std::stoi(value());
    else if (a == "--warmup")
      warmup = std::stoi(value());
    else if (a == "--tolerance")
      tolerance = std::stod(value());
    else if (a == "--element-tolerance")
      elementTolerance = std::stod(value());
    else if (a == "--seed") {
      seed = std::stoull(value());
      seeded = true;
    } else if (a == "--no-cublas")
      skipCublas = true;
    else if (a == "--filter")
      filter = value();
    else
      die("usage: quant-bench --kernels DIR [--markdown FILE] [--iters N] [--warmup N] "
          "[--tolerance T] [--element-tolerance T] [--seed N] [--no-cublas] "
          "[--filter SUBSTRING-OF-PTX-FILE]");
  }
  if (dir.empty())
    die("--kernels DIR (the output of quant-bench-compile) is required");
  if (iters < 50)
    std::fprintf(stderr, "quant-bench: note: fewer than 50 timed launches\n");

  lq::runtime::DeviceInfo info = lq::runtime::deviceInfo();
  CUstream stream;
  checkCu(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  int l2 = 0;
  {
    CUdevice dev;
    checkCu(cuDeviceGet(&dev, 0), "cuDeviceGet");
    checkCu(cuDeviceGetAttribute(&l2, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, dev), "L2 size");
  }
  std::printf("device: %s (sm_%d, %d SMs, L2 %d MB, driver CUDA %d.%d)\n", info.name.c_str(),
              info.sm, info.multiprocessors, l2 >> 20, info.driverVersion / 1000,
              info.driverVersion % 1000 / 10);

  // Device copy bandwidth: 1 GiB device to device, bytes read + written.
  double copyGBps;
  {
    size_t bytes = size_t(1) << 30;
    CUdeviceptr a, b;
    checkCu(cuMemAlloc(&a, bytes), "cuMemAlloc");
    checkCu(cuMemAlloc(&b, bytes), "cuMemAlloc");
    checkCu(cuMemsetD32Async(a, 0x3f800000u, bytes / 4, stream), "cuMemsetD32");
    double us = timeLaunches(stream, 3, 20, [&](int) {
      checkCu(cuMemcpyDtoDAsync(b, a, bytes, stream), "cuMemcpyDtoDAsync");
    });
    copyGBps = 2.0 * bytes / (us * 1e3);
    cuMemFree(a);
    cuMemFree(b);
  }
  std::printf("device copy bandwidth (cuMemcpyDtoD, read + write): %.0f GB/s\n", copyGBps);

  cublasHandle_t blas = nullptr;
  if (!skipCublas) {
    checkBlas(cublasCreate(&blas), "cublasCreate");
    checkBlas(cublasSetStream(blas, stream), "cublasSetStream");
  }

  std::vector<Entry> entries = readManifest(dir + "/manifest.txt");
  if (!filter.empty())
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const Entry &e) {
                                   return e.get("ptx").find(filter) == std::string::npos;
                                 }),
                  entries.end());
  std::printf("%-8s %-24s %6s %6s %5s | %9s %8s %6s | %9s %7s | %9s %9s\n", "kernel", "variant",
              "N", "K", "batch", "us", "GB/s", "%copy", "cuBLAS us", "speedup", "rel.err",
              "cublas.err");
  std::vector<Row> results;
  // Activations: reproducible with --seed (the weights always are, from
  // the manifest's seeds).
  std::mt19937_64 seeds(seeded ? seed : std::random_device{}());
  int failures = 0, checked = 0;
  double worstErr = 0, worstElement = 0;
  std::map<std::string, CUmod_st *> modules;

  // Entries of one weight are consecutive; each weight is prepared once.
  for (size_t first = 0; first < entries.size();) {
    const Entry &e0 = entries[first];
    size_t last = first;
    while (last < entries.size() && entries[last].get("seed") == e0.get("seed") &&
           entries[last].get("rows") == e0.get("rows") && entries[last].get("cols") == e0.get("cols"))
      ++last;
    int64_t rows = e0.num("rows"), cols = e0.num("cols");
    uint64_t seed = std::stoull(e0.get("seed"));
    // The weight, packed with the compiler's own code.
    lq::Encoding enc;
    lq::EncodedWeight w;
    std::vector<uint8_t> blobBytesV;
    bool actQuant = e0.f.count("act_bits") && e0.num("act_bits") == 8;
    if (e0.get("encoding") == "pvq") {
      lq::PVQEncoding p{e0.num("dim"), e0.num("pulses"), (unsigned)e0.num("amp_bits"),
                        e0.num("amp_group")};
      enc = p;
      w = quant_bench::makePVQWeight(p, rows, cols, seed);
      blobBytesV = lq::gpu::packPVQ(p, w).bytes;
    } else if (e0.get("encoding") == "binary") {
      lq::BinaryEncoding b{(unsigned)e0.num("planes"), e0.num("group")};
      enc = b;
      w = quant_bench::makeBinaryWeight(b, rows, cols, seed);
      blobBytesV = lq::gpu::packBinary(b, w).bytes;
    } else {
      lq::UniformEncoding u{(unsigned)e0.num("bits"), e0.num("group"), e0.num("symmetric") != 0};
      enc = u;
      w = quant_bench::makeUniformWeight(u, rows, cols, seed);
      blobBytesV = actQuant ? lq::gpu::packW4A8(u, w).bytes : lq::gpu::packW4(u, w).bytes;
    }
    struct {
      std::vector<uint8_t> &bytes;
    } blob{blobBytesV};
    std::vector<float> decoded = lq::decodeWeight(enc, w);

    // Enough copies of the weight to exceed the L2 several times over, so
    // every timed launch streams its weight from device memory.
    size_t blobBytes = blob.bytes.size();
    size_t copies = std::clamp<size_t>((4 * (size_t)l2 + blobBytes - 1) / blobBytes, 1, 64);
    std::vector<CUdeviceptr> wDev(copies);
    for (auto &p : wDev) {
      p = (CUdeviceptr)mgpuMemAlloc(blobBytes, nullptr, false);
      mgpuMemcpy((void *)p, blob.bytes.data(), blobBytes, nullptr);
    }
    // cuBLAS's fp16 copy of the same (decoded) weight.
    size_t w16Bytes = rows * cols * 2;
    size_t copies16 = std::clamp<size_t>((4 * (size_t)l2 + w16Bytes - 1) / w16Bytes, 1, 16);
    std::vector<CUdeviceptr> w16Dev;
    if (blas) {
      std::vector<uint16_t> w16(rows * cols);
      for (size_t i = 0; i < w16.size(); ++i)
        w16[i] = quant_bench::toHalf(decoded[i]);
      w16Dev.resize(copies16);
      for (auto &p : w16Dev) {
        checkCu(cuMemAlloc(&p, w16Bytes), "cuMemAlloc");
        checkCu(cuMemcpyHtoD(p, w16.data(), w16Bytes), "cuMemcpyHtoD");
      }
    }
    std::map<int64_t, std::pair<double, double>> cublasByBatch; // batch -> (us, err)
    std::map<int64_t, std::tuple<std::vector<uint16_t>, std::vector<float>, std::vector<double>>>
        inputs; // batch -> (x as f16 bits, x as float, reference y)

    for (size_t ei = first; ei < last; ++ei) {
      const Entry &e = entries[ei];
      if ((uint64_t)std::stoull(e.get("fingerprint")) !=
          lq::gpu::fingerprint(blob.bytes.data(), blob.bytes.size()))
        die("the weight packed here differs from the one the compiler packed for " +
            e.get("kernel") + " (" + e.get("ptx") + ")");
      if ((size_t)e.num("weight_bytes") != blobBytes)
        die("weight size mismatch for " + e.get("kernel"));
      int64_t batch = e.num("batch");
      bool f32In = e.num("f32_input") != 0;
      std::string ptxPath = dir + "/" + e.get("ptx");
      if (!modules.count(ptxPath)) {
        std::string ptx = readFile(ptxPath);
        modules[ptxPath] = mgpuModuleLoadJIT(ptx.data(), 4);
      }
      CUfunc_st *fn = mgpuModuleGetFunction(modules[ptxPath], e.get("kernel").c_str());
      int regs = 0, spill = 0, blocksPerSM = 0;
      cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, fn);
      cuFuncGetAttribute(&spill, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, fn);
      cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocksPerSM, fn, e.num("threads"), 0);

      // Fresh activations for every weight and batch (shared by the
      // variants of one kernel, whose reference is the same).
      auto &[x16, xf, ref] = inputs[batch];
      if (x16.empty()) {
        x16 = quant_bench::makeActivations(batch * cols, seeds());
        xf.resize(x16.size());
        for (size_t i = 0; i < xf.size(); ++i)
          xf[i] = quant_bench::fromHalf(x16[i]);
        // W4A8: the reference multiplies the per-token int8 round trip of x.
        ref = reference(actQuant ? quant_bench::fakeQuantizeRows(xf, batch, cols) : xf, decoded,
                        batch, rows, cols);
      }
      size_t xBytes = f32In ? xf.size() * 4 : x16.size() * 2;
      void *xDev = mgpuMemAlloc(xBytes, nullptr, false);
      mgpuMemcpy(xDev, f32In ? (void *)xf.data() : (void *)x16.data(), xBytes, nullptr);
      size_t yBytes = batch * rows * 4;
      void *yDev = mgpuMemAlloc(yBytes, nullptr, false);

      CUstream_st *s = reinterpret_cast<CUstream_st *>(stream);
      // W4A8: the activation quantization kernel runs first, into a scratch
      // buffer the GEMM reads; both are timed.
      CUfunc_st *prologue = nullptr;
      void *scratch = nullptr;
      if (e.f.count("prologue")) {
        prologue = mgpuModuleGetFunction(modules[ptxPath], e.get("prologue").c_str());
        scratch = mgpuMemAlloc(e.num("scratch_bytes"), nullptr, false);
      }
      auto launch = [&](int i) {
        void *wp = (void *)wDev[i % copies];
        void *in = xDev;
        if (prologue) {
          void *pargs[] = {&xDev, &scratch};
          mgpuLaunchKernel(prologue, e.num("prologue_grid"), 1, 1, e.num("prologue_threads"), 1, 1,
                           0, s, pargs, nullptr, 2);
          in = scratch;
        }
        void *args[] = {&in, &wp, &yDev};
        mgpuLaunchKernel(fn, e.num("grid"), 1, 1, e.num("threads"), 1, 1, 0, s, args, nullptr, 3);
      };
      // Check: poisoned output (all-ones bits: NaN), one launch, compare.
      mgpuMemset32(yDev, 0xFFFFFFFFu, batch * rows, s);
      launch(0);
      mgpuStreamSynchronize(s);
      std::vector<float> y(batch * rows);
      mgpuMemcpy(y.data(), yDev, yBytes, nullptr);
      double err = relativeError(y, ref);
      double elemErr = elementError(y, ref);
      bool ok = err <= tolerance; // NaN compares false
      if (elementTolerance >= 0 && !(elemErr <= elementTolerance))
        ok = false;
      ++checked;
      worstErr = std::max(worstErr, std::isnan(err) ? INFINITY : err);
      worstElement = std::max(worstElement, std::isnan(elemErr) ? INFINITY : elemErr);
      double us = timeLaunches(stream, warmup, iters, launch);

      double cuUs = NAN, cuErr = NAN;
      if (blas) {
        auto it = cublasByBatch.find(batch);
        if (it != cublasByBatch.end()) {
          cuUs = it->second.first;
          cuErr = it->second.second;
        } else {
          CUdeviceptr x16Dev, y16Dev;
          checkCu(cuMemAlloc(&x16Dev, x16.size() * 2), "cuMemAlloc");
          checkCu(cuMemAlloc(&y16Dev, batch * rows * 2), "cuMemAlloc");
          checkCu(cuMemcpyHtoD(x16Dev, x16.data(), x16.size() * 2), "cuMemcpyHtoD");
          float alpha = 1, beta = 0;
          // Column-major view: y^T [N x M] = W [K x N]^T * x^T [K x M].
          auto gemm = [&](int i) {
            checkBlas(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, rows, batch, cols, &alpha,
                                   (void *)w16Dev[i % copies16], CUDA_R_16F, cols, (void *)x16Dev,
                                   CUDA_R_16F, cols, &beta, (void *)y16Dev, CUDA_R_16F, rows,
                                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                      "cublasGemmEx");
          };
          gemm(0);
          checkCu(cuStreamSynchronize(stream), "cuStreamSynchronize (cuBLAS)");
          std::vector<uint16_t> y16(batch * rows);
          checkCu(cuMemcpyDtoH(y16.data(), y16Dev, y16.size() * 2), "cuMemcpyDtoH");
          std::vector<float> yc(y16.size());
          for (size_t i = 0; i < yc.size(); ++i)
            yc[i] = quant_bench::fromHalf(y16[i]);
          cuErr = relativeError(yc, ref);
          cuUs = timeLaunches(stream, warmup, iters, gemm);
          cublasByBatch[batch] = {cuUs, cuErr};
          cuMemFree(x16Dev);
          cuMemFree(y16Dev);
        }
      }
      mgpuMemFree(xDev, nullptr);
      mgpuMemFree(yDev, nullptr);
      if (scratch)
        mgpuMemFree(scratch, nullptr);

      Row r{e.get("kind") + (f32In ? "/f32" : ""), e.get("variant"), rows, cols, batch, us, blobBytes / (us * 1e3), 0,
            cuUs, cuUs / us, err, cuErr};
      r.pctCopy = 100.0 * r.gbps / copyGBps;
      std::string variant = r.variant.substr(std::min<size_t>(r.variant.find(' ') + 1, r.variant.size()));
      std::printf("%-8s %-24s %6lld %6lld %5lld | %9.2f %8.0f %5.1f%% | %9.2f %6.2fx | %9.2e %9.2e"
                  " | %3d regs %4d B local %2d blocks/SM%s\n",
                  r.kind.c_str(), variant.c_str(), (long long)rows, (long long)cols,
                  (long long)batch, us, r.gbps, r.pctCopy, cuUs, r.speedup, err, cuErr, regs, spill,
                  blocksPerSM, ok ? "" : "  <-- WRONG RESULT");
      std::fflush(stdout);
      if (!ok)
        ++failures;
      results.push_back(r);
    }
    for (auto p : wDev)
      mgpuMemFree((void *)p, nullptr);
    for (auto p : w16Dev)
      cuMemFree(p);
    first = last;
  }

  if (!mdPath.empty()) {
    std::ofstream md(mdPath);
    md << "Device: " << info.name << " (sm_" << info.sm << ", " << info.multiprocessors
       << " SMs), driver CUDA " << info.driverVersion / 1000 << "." << info.driverVersion % 1000 / 10
       << ". Device copy bandwidth (cuMemcpyDtoD, read + write): " << (long)copyGBps
       << " GB/s. Median of " << iters << " launches after " << warmup
       << " warm-up launches, CUDA events; weights rotated through " << 4 * (l2 >> 20)
       << " MB or more.\n\n";
    md << "| kernel | options | N | K | batch | µs | weight GB/s | % of copy BW | cuBLAS fp16 µs "
          "| speed-up | rel. error | cuBLAS rel. error |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    char buf[512];
    for (const Row &r : results) {
      std::snprintf(buf, sizeof(buf),
                    "| %s | %s | %lld | %lld | %lld | %.2f | %.0f | %.1f | %.2f | %.2f | %.1e | %.1e |\n",
                    r.kind.c_str(), r.variant.c_str(), (long long)r.rows, (long long)r.cols,
                    (long long)r.batch, r.us, r.gbps, r.pctCopy, r.cublasUs, r.speedup, r.err,
                    r.cublasErr);
      md << buf;
    }
  }
  if (blas)
    cublasDestroy(blas);
  // The count lets a test check that every kernel of the manifest ran.
  std::printf("checked %d kernels: %d wrong; worst relative error %.2e, worst element error %.2e "
              "(of the output's largest magnitude)\n",
              checked, failures, worstErr, worstElement);
  if (failures) {
    std::fprintf(stderr, "quant-bench: %d kernel(s) gave wrong results\n", failures);
    return 1;
  }
  return 0;
}
