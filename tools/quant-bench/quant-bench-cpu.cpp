//===- quant-bench-cpu.cpp - The CPU matmul kernels against BLAS ------------===//
//
// For each weight shape, kernel kind and batch size: builds the lq module
// quant-bench-compile builds (BenchModule.h: a seeded random weight in an
// lq.constant, one lq.matmul) as `func @matmul(x: tensor<B x K x f32>) ->
// tensor<B x N x f32>`, lowers it with the CPU pipeline quant-run uses (fast
// strategy, packed 4-bit kernels) and JIT-compiles it, checks the result
// against the numeric library's decoded weight times x in plain C++, then
// times the compiled call against OpenBLAS (sgemv / sgemm on the f32 decoded
// weight) and oneDNN's int8 GEMM (dnnl_gemm_u8s8s32 on an int8 weight of the
// same shape), all in this process, next to the streaming read bandwidth
// measured here too.
//
// Timing: warm-up calls, then the median of --iters calls, each preceded
// (untimed) by a read of a buffer several times the last-level cache, so
// every call streams its weight from memory even where it would fit in L3.
// Only the call is timed: inputs are allocated once; the compiled function
// allocates its result (as compiled code does), which is freed untimed.
//
//===----------------------------------------------------------------------===//
#include "BenchModule.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Numerics/PVQ.h"
#include "lq/Numerics/Quantize.h"
#include "lq/Run/Engine.h"
#include "lq/Run/Lowering.h"
#include "lq/Run/ModelModule.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#ifdef QUANT_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef QUANT_BENCH_HAVE_DNNL
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#endif

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <thread>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory Category("quant-bench-cpu options");
static cl::opt<std::string> shapesOpt("shapes", cl::desc("Weight shapes NxK, comma separated"),
                                      cl::init("4096x4096,11008x4096,4096x11008,8192x8192,28672x8192"),
                                      cl::cat(Category));
static cl::opt<std::string> batchesOpt("batches", cl::desc("Batch sizes, comma separated"),
                                       cl::init("1,4,16,64"), cl::cat(Category));
static cl::opt<std::string> kernelsOpt(
    "kernels",
    cl::desc("Kernel kinds, as quant-bench-compile's: w4g128, w4pc, w4g128a, b<P>g<G> (G a "
             "multiple of 8) and pvq<D>k<P>a<A>g<G> (indices of at most 31 bits, D <= 16) run "
             "packed (codes in memory), w4a8g128 and w4a8pc too on hosts with int8 dot products "
             "(AVX512-VNNI or AVX2); the "
             "rest run on the weight decoded at compile time (reported as 'decoded'); comma "
             "separated"),
    cl::init("w4g128,w4pc"), cl::cat(Category));
static cl::opt<bool> packedOpt("packed",
                               cl::desc("Lower 4-bit uniform weights to the packed kernels "
                                        "(false: decoded f32 weights, for comparison)"),
                               cl::init(true), cl::cat(Category));
static cl::opt<int64_t> pvqTableEntriesOpt(
    "pvq-table-entries",
    cl::desc("lq-cpu-packed-matmul's pvq-table-entries: the largest PVQ codeword-tail table "
             "(0: every position decoded in registers)"),
    cl::init(65536), cl::cat(Category));
static cl::opt<int64_t> tiledMinBatchOpt(
    "tiled-min-batch",
    cl::desc("lq-cpu-packed-matmul's tiled-min-batch: from this batch on, uniform, binary and "
             "PVQ codes take the tiled path (uniform: 8-row register tiles; binary and PVQ: "
             "each panel's group or 4 units dequantized once into an f32 tile); 0: never"),
    cl::init(16), cl::cat(Category));
static cl::opt<int> itersOpt("iters", cl::desc("Timed calls per kernel (the median is reported)"),
                             cl::init(20), cl::cat(Category));
static cl::opt<int> warmupOpt("warmup", cl::desc("Untimed calls before timing"), cl::init(3),
                              cl::cat(Category));
static cl::opt<bool> flushOpt("flush",
                              cl::desc("Evict the caches before each timed call (weights stream "
                                       "from memory even when they fit in L3)"),
                              cl::init(true), cl::cat(Category));
static cl::opt<int> bwMBOpt("bw-mb", cl::desc("Size of the bandwidth measurement's buffer (MiB)"),
                            cl::init(1024), cl::cat(Category));
static cl::opt<bool> baselinesOpt("baselines", cl::desc("Time OpenBLAS and oneDNN too"),
                                  cl::init(true), cl::cat(Category));
static cl::opt<std::string> jsonOpt("json", cl::desc("Write the results as JSON to this file"),
                                    cl::init(""), cl::cat(Category));
static cl::opt<std::string> markdownOpt("markdown",
                                        cl::desc("Write the results as a markdown table to this file"),
                                        cl::init(""), cl::cat(Category));

/// Relative error bound of the compiled result against the f64 reference:
/// both sum the same products, only the f32 rounding differs.
static constexpr double kErrorBound = 1e-4;

namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// Runs fn(i) for i in [0, threads) on that many threads (the caller's one of them).
void parallelFor(int threads, const std::function<void(int)> &fn) {
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i)
    pool.emplace_back(fn, i);
  fn(0);
  for (std::thread &t : pool)
    t.join();
}

/// Sums its slices of `data` on `threads` threads: a streaming read.
uint64_t readSum(const std::vector<uint64_t> &data, int threads) {
  std::vector<uint64_t> sums(threads * 8, 0); // a cache line apart
  size_t n = data.size();
  parallelFor(threads, [&](int t) {
    size_t begin = n * t / threads, end = n * (t + 1) / threads;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = begin;
    for (; i + 4 <= end; i += 4) {
      s0 += data[i];
      s1 += data[i + 1];
      s2 += data[i + 2];
      s3 += data[i + 3];
    }
    for (; i < end; ++i)
      s0 += data[i];
    sums[t * 8] = s0 + s1 + s2 + s3;
  });
  uint64_t total = 0;
  for (int t = 0; t < threads; ++t)
    total += sums[t * 8];
  return total;
}

/// Best of five streaming reads of `mb` MiB, in GB/s.
double readBandwidth(int64_t mb, int threads) {
  std::vector<uint64_t> data(mb * (1 << 20) / 8);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = i; // touched: no zero pages
  double best = 0;
  volatile uint64_t sink = 0;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    sink = sink + readSum(data, threads);
    best = std::max(best, data.size() * 8 / seconds(t0, Clock::now()) / 1e9);
  }
  return best;
}

/// Reads a buffer of 4x the last-level cache (at least 128 MiB): what the
/// timed call reads next comes from memory.
class CacheFlusher {
public:
  CacheFlusher() {
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    size_t bytes = std::max<size_t>(l3 > 0 ? 4 * l3 : 0, 128u << 20);
    buffer.assign(bytes / 8, 1);
  }
  void flush() { sink = sink + readSum(buffer, 1); }

private:
  std::vector<uint64_t> buffer;
  volatile uint64_t sink = 0;
};

/// The median of `iters` timed calls of `call` after `warmup` untimed ones;
/// `after` runs untimed after each call (freeing results).
double timeCalls(const std::function<void()> &call, const std::function<void()> &after,
                 CacheFlusher *flusher) {
  for (int i = 0; i < warmupOpt; ++i) {
    call();
    after();
  }
  std::vector<double> times;
  for (int i = 0; i < itersOpt; ++i) {
    if (flusher)
      flusher->flush();
    auto t0 = Clock::now();
    call();
    auto t1 = Clock::now();
    after();
    times.push_back(seconds(t0, t1));
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

/// Waits for a library's idle workers to stop spinning: OpenBLAS's spin for
/// about 2^28 cycles after a call, OpenMP's a little, and on a machine with
/// few cores they would take cores from whatever is timed next.
void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

/// ||y - ref|| / ||ref|| over the rows `rows` of [B x N] results.
double relativeError(const float *y, const std::vector<double> &ref, llvm::ArrayRef<int64_t> rows,
                     int64_t n) {
  double num = 0, den = 0;
  for (auto [i, m] : llvm::enumerate(rows))
    for (int64_t j = 0; j < n; ++j) {
      double d = y[m * n + j] - ref[i * n + j];
      num += d * d;
      den += ref[i * n + j] * ref[i * n + j];
    }
  return den == 0 ? (num == 0 ? 0 : INFINITY) : std::sqrt(num / den);
}

struct Row {
  std::string shape, kind, path;
  int64_t rows, cols, batch;
  double lowerSeconds = 0, jitSeconds = 0;
  int64_t weightBytes = 0;
  double seconds = 0, relError = 0;
  int64_t checkedRows = 0;
  double blasSeconds = NAN, blasRelError = NAN, dnnlSeconds = NAN;
};

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Bytes the kernel streams per call: the packed kernels read the codes, the
/// scales as f32 and the zero points (binary codes: the sign bits, the
/// alphas and offsets as f32; PVQ: the index and amplitude-code streams,
/// a word of padding each, and the f32 steps), all in panels of 16 rows;
/// decoded weights are f32.
int64_t kernelWeightBytes(const quant_bench::Kind &kind, bool packed, int64_t rows,
                          int64_t cols) {
  if (!packed)
    return rows * cols * 4;
  int64_t paddedRows = llvm::divideCeil(rows, 16) * 16;
  if (const auto *bin = std::get_if<::lq::BinaryEncoding>(&kind.enc)) {
    int64_t planes = bin->planes, groups = cols / bin->group;
    return paddedRows * (cols / 8 * planes + groups * (planes + 1) * 4);
  }
  if (const auto *pvq = std::get_if<::lq::PVQEncoding>(&kind.enc)) {
    unsigned bits = llvm::cantFail(::lq::pvqIndexBits(pvq->dim, pvq->pulses));
    int64_t indexWords = llvm::divideCeil(cols / pvq->dim * bits, 32) + 1;
    int64_t ampWords = llvm::divideCeil(cols / pvq->ampGroup * pvq->ampBits, 32) + 1;
    return paddedRows * ((indexWords + ampWords) * 4 + 4);
  }
  const auto &u = std::get<::lq::UniformEncoding>(kind.enc);
  // W4A8's codes pad each group to a multiple of 8 k.
  int64_t groups = cols / u.group, groupCols = kind.actBits ? llvm::alignTo(u.group, 8) : u.group;
  return paddedRows * (groups * groupCols * u.bits / 8 + groups * 4 + (u.symmetric ? 0 : groups));
}

struct Context {
  MLIRContext &ctx;
  CacheFlusher *flusher; // null: caches not evicted
};

/// Compiles, checks and times one shape, kind and batch size.
llvm::Error benchOne(Context &c, Row &row, const quant_bench::Kind &kind,
                     const ::lq::EncodedWeight &w, const std::vector<float> &decoded,
                     const std::vector<int8_t> &int8Weight) {
  const int64_t N = row.rows, K = row.cols, B = row.batch;
  OwningOpRef<ModuleOp> module =
      quant_bench::buildMatmulModule(c.ctx, kind, N, K, {B}, w, "matmul", /*f32Input=*/true);
  auto t0 = Clock::now();
  ::lq::run::LoweringOptions lowering;
  lowering.strategy = ::lq::run::LoweringStrategy::Fast;
  lowering.packed = packedOpt;
  // The packed kernels first, as the pipeline's first stage would (W4A8
  // where the host has int8 dot products), to learn whether this matmul runs on them
  // (what remains of lq.matmul is decoded).
  if (packedOpt) {
    PassManager pm(&c.ctx, ModuleOp::getOperationName());
    std::string pipeline =
        llvm::formatv(
            "lq-cpu-packed-matmul{{int8-dot={0} pvq-table-entries={1} tiled-min-batch={2}}",
            mlir::lq::int8DotName(lowering.int8Dot), int64_t(pvqTableEntriesOpt),
            int64_t(tiledMinBatchOpt))
            .str();
    if (failed(parsePassPipeline(pipeline, pm)) || failed(pm.run(*module)))
      return fail("lq-cpu-packed-matmul failed");
  }
  bool packed = true;
  module->walk([&](mlir::lq::MatmulOp) { packed = false; });
  row.path = packed ? "packed" : "decoded";
  row.weightBytes = kernelWeightBytes(kind, packed, N, K);
  auto sig = ::lq::run::readSignature(*module, "matmul");
  if (!sig)
    return sig.takeError();
  ::lq::run::prepareForCall(*module, *sig);
  if (llvm::Error e = ::lq::run::lowerToLLVMDialect(*module, lowering))
    return e;
  auto t1 = Clock::now();
  auto runner = ::lq::run::FunctionRunner::create(*module, *sig);
  if (!runner)
    return runner.takeError();
  auto t2 = Clock::now();
  row.lowerSeconds = seconds(t0, t1);
  row.jitSeconds = seconds(t1, t2);
  // The code is compiled; the weights it reads stay in the context.
  module = nullptr;

  // Activations in [-1, 1) (fp16 values, as the GPU benchmark's).
  std::vector<uint16_t> xh = quant_bench::makeActivations(B * K, quant_bench::weightSeed(B, K, kind));
  std::vector<float> x(B * K);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = quant_bench::fromHalf(xh[i]);

  ::lq::run::MemRef<float, 2> xDesc = ::lq::run::viewOf(x.data(), {B, K}), yDesc;
  void *xPtr = &xDesc, *yPtr = &yDesc;
  void *args[] = {&yPtr, &xPtr};
  ::lq::run::FunctionRunner::PackedFunction fn = (*runner)->getPackedFunction();
  auto call = [&] { fn(args); };
  auto release = [&] {
    std::free(yDesc.allocated);
    yDesc = {};
  };

  // Correctness: f64 reference on the rows of the first two row tiles (the
  // kernels take rows four at a time, the rest one by one) and the last.
  llvm::SmallVector<int64_t> checked;
  for (int64_t m = 0; m < std::min<int64_t>(B, 8); ++m)
    checked.push_back(m);
  for (int64_t m = std::max<int64_t>(8, B - 3); m < B; ++m)
    checked.push_back(m);
  std::vector<float> xq =
      kind.actBits ? quant_bench::fakeQuantizeRows(x, B, K) : x; // act(8): int8 round trip
  std::vector<double> ref(checked.size() * N);
  for (auto [i, m] : llvm::enumerate(checked))
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      const float *wr = &decoded[n * K], *xr = &xq[m * K];
      for (int64_t k = 0; k < K; ++k)
        s += (double)wr[k] * xr[k];
      ref[i * N + n] = s;
    }
  call();
  if (yDesc.sizes[0] != B || yDesc.sizes[1] != N || yDesc.strides[1] != 1 ||
      yDesc.strides[0] != N)
    return fail("@matmul returned a result of unexpected shape or layout");
  row.relError = relativeError(yDesc.aligned + yDesc.offset, ref, checked, N);
  row.checkedRows = checked.size();
  release();
  row.seconds = timeCalls(call, release, c.flusher);

  if (!baselinesOpt)
    return llvm::Error::success();
#ifdef QUANT_BENCH_HAVE_OPENBLAS
  {
    std::vector<float> y(B * N);
    auto blas = [&] {
      if (B == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, decoded.data(), K, x.data(), 1, 0.0f,
                    y.data(), 1);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, x.data(), K,
                    decoded.data(), K, 0.0f, y.data(), N);
    };
    if (!kind.actBits) { // OpenBLAS multiplies the unquantized x
      blas();
      row.blasRelError = relativeError(y.data(), ref, checked, N);
    }
    row.blasSeconds = timeCalls(blas, [] {}, c.flusher);
    settle();
  }
#endif
#ifdef QUANT_BENCH_HAVE_DNNL
  {
    // u8 activations [B x K] times the s8 weight [N x K] transposed.
    std::vector<uint8_t> xu(B * K);
    for (size_t i = 0; i < xu.size(); ++i)
      xu[i] = (uint8_t)(xh[i] >> 4);
    std::vector<int32_t> y(B * N);
    int32_t co = 0;
    dnnl_status_t status = dnnl_success;
    auto dnnl = [&] {
      status = dnnl_gemm_u8s8s32('N', 'T', 'F', B, N, K, 1.0f, xu.data(), K, 0, int8Weight.data(),
                                 K, 0, 0.0f, y.data(), N, &co);
    };
    row.dnnlSeconds = timeCalls(dnnl, [] {}, c.flusher);
    settle();
    if (status != dnnl_success)
      return fail(llvm::formatv("dnnl_gemm_u8s8s32 failed (status {0})", (int)status));
  }
#endif
  return llvm::Error::success();
}

struct Job {
  std::string shape;
  int64_t rows, cols;
  quant_bench::Kind kind;
};

/// Sets the thread counts of the lq kernels and the baselines. oneDNN's
/// OpenMP runtime is the one it loads: its omp_set_num_threads is looked up
/// there rather than compiling this file with OpenMP.
void setLibraryThreads(int threads) {
  ::lq::run::setKernelThreads(threads); // the lq kernels' OpenMP runtime
#ifdef QUANT_BENCH_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
#ifdef QUANT_BENCH_HAVE_DNNL
  // Debian's oneDNN threads with GCC's OpenMP runtime, a second one beside
  // the kernels' libomp: the global lookup would find libomp's first.
  if (void *gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD))
    if (auto *set = reinterpret_cast<void (*)(int)>(dlsym(gomp, "omp_set_num_threads")))
      set(threads);
#endif
}

/// 2BNK floating-point operations per call (multiply and add).
double gflops(const Row &r) { return 2.0 * r.batch * r.rows * r.cols / r.seconds / 1e9; }

std::string fmtUs(double s) { return std::isnan(s) ? "-" : llvm::formatv("{0:f1}", s * 1e6).str(); }
std::string fmtX(double base, double ours) {
  return std::isnan(base) ? "-" : llvm::formatv("{0:f2}x", base / ours).str();
}

} // namespace

int main(int argc, char **argv) {
  // libLLVM registers an undocumented top-level -threads; --threads here is
  // this tool's, so that one is unregistered before this one is made.
  if (cl::Option *llvmThreads = cl::getRegisteredOptions().lookup("threads"))
    llvmThreads->removeArgument();
  static cl::opt<int> threadsOpt("threads",
                                 cl::desc("Threads of OpenBLAS, oneDNN and the bandwidth "
                                          "measurement (0: all cores)"),
                                 cl::init(0), cl::cat(Category));
  cl::HideUnrelatedOptions(Category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-bench-cpu: the CPU pipeline's lq.matmul kernels against OpenBLAS and oneDNN\n");
  auto error = [](const llvm::Twine &msg) {
    llvm::errs() << "quant-bench-cpu: " << msg << "\n";
    return 1;
  };
  if (itersOpt < 1 || warmupOpt < 0)
    return error("--iters must be at least 1 and --warmup at least 0");
  if (threadsOpt < 0 || threadsOpt > 4096)
    return error("--threads must be in [0, 4096] (0: all cores)");
  if (bwMBOpt < 1 || bwMBOpt > (1 << 20))
    return error("--bw-mb must be in [1, 1048576]");
  int threads = threadsOpt ? (int)threadsOpt : std::max(1u, std::thread::hardware_concurrency());
  auto batches = quant_bench::parsePositiveList(batchesOpt, "batch size");
  if (!batches)
    return error(llvm::toString(batches.takeError()));

  // Every shape and kind is checked before anything is compiled.
  std::vector<Job> jobs;
  llvm::SmallVector<llvm::StringRef> shapes, kinds;
  llvm::StringRef(shapesOpt).split(shapes, ',', -1, false);
  llvm::StringRef(kernelsOpt).split(kinds, ',', -1, false);
  if (shapes.empty() || kinds.empty())
    return error("no shapes or no kernel kinds given");
  for (llvm::StringRef shape : shapes) {
    int64_t rows, cols;
    if (!quant_bench::parseShape(shape.trim(), rows, cols))
      return error(llvm::formatv("bad shape '{0}' (expected NxK)", shape));
    for (llvm::StringRef name : kinds) {
      std::optional<quant_bench::Kind> kind = quant_bench::parseKind(name.trim(), cols);
      if (!kind)
        return error(llvm::formatv("unknown kernel kind '{0}'", name));
      if (std::optional<std::string> why = ::lq::verifyEncoding(kind->enc, rows, cols))
        return error(llvm::formatv("kernel kind '{0}' on {1}: {2}", name, shape, *why));
      // The f32 weight, reference and baselines are held in memory.
      if (rows > (int64_t(1) << 34) / cols)
        return error(llvm::formatv("shape {0} is too large (more than 2^34 weights)", shape));
      jobs.push_back({shape.trim().str(), rows, cols, *kind});
    }
  }

  DialectRegistry registry;
  ::lq::run::registerRunDialects(registry);
  // Lowering runs single-threaded: its threads would disturb nothing timed,
  // but the machine's cores are the baselines'.
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  ::lq::run::registerRunPasses();
  setLibraryThreads(threads);

  double bandwidth = readBandwidth(bwMBOpt, threads), bandwidth1 = readBandwidth(bwMBOpt, 1);
  llvm::outs() << llvm::formatv("read bandwidth ({0} MiB streaming sum): {1:f1} GB/s with {2} "
                                "threads, {3:f1} GB/s with 1\n",
                                (int)bwMBOpt, bandwidth, threads, bandwidth1);
  std::string baselines;
#ifdef QUANT_BENCH_HAVE_OPENBLAS
  baselines += llvm::formatv("{0}, {1} threads", llvm::StringRef(OPENBLAS_VERSION).trim(), threads).str();
#else
  baselines += "OpenBLAS not found (built without it)";
#endif
#ifdef QUANT_BENCH_HAVE_DNNL
  const dnnl_version_t *v = dnnl_version();
  baselines += llvm::formatv("; oneDNN {0}.{1}.{2} int8 GEMM, {3} threads", v->major, v->minor,
                             v->patch, threads)
                   .str();
#else
  baselines += "; oneDNN not found (built without it)";
#endif
  if (!baselinesOpt)
    baselines = "baselines off";
  llvm::outs() << "baselines: " << baselines << "\n";
  llvm::outs() << llvm::formatv("lq kernels: @matmul called as compiled; median of {0} calls "
                                "after {1} warm-up; caches {2} before each call\n",
                                (int)itersOpt, (int)warmupOpt, flushOpt ? "evicted" : "not evicted");
  llvm::outs().flush();

  CacheFlusher flusher;
  Context c{ctx, flushOpt ? &flusher : nullptr};
  std::vector<Row> rows;
  int failures = 0;
  llvm::outs() << llvm::formatv("{0,-11} {1,-8} {2,-7} {3,4} {4,9} {5,10} {6,7} {7,6} {8,6} {9,7} "
                                "{10,9} {11,10} {12,7} {13,10} {14,7}\n",
                                "shape", "kernel", "path", "B", "compile s", "lq us", "GB/s",
                                "%BW", "%BW1", "GFLOP/s", "rel.err", "blas us", "vs blas",
                                "onednn us", "vs dnnl");
  llvm::outs().flush();
  for (Job &job : jobs) {
    uint64_t seed = quant_bench::weightSeed(job.rows, job.cols, job.kind);
    ::lq::EncodedWeight w = quant_bench::makeWeight(job.kind, job.rows, job.cols, seed);
    std::vector<float> decoded = ::lq::decodeWeight(job.kind.enc, w);
    // oneDNN's weight: int8 of the same shape (its values do not matter).
    std::vector<int8_t> int8Weight(baselinesOpt ? job.rows * job.cols : 0);
    quant_bench::Rng rng(seed);
    for (int8_t &v : int8Weight)
      v = (int8_t)(rng.next() >> 56);
    for (int64_t batch : *batches) {
      Row row;
      row.shape = job.shape;
      row.kind = job.kind.name;
      row.rows = job.rows;
      row.cols = job.cols;
      row.batch = batch;
      if (llvm::Error e = benchOne(c, row, job.kind, w, decoded, int8Weight)) {
        llvm::errs() << llvm::formatv("{0} {1} batch {2}: {3}\n", job.shape, job.kind.name, batch,
                                      llvm::toString(std::move(e)));
        ++failures;
        continue;
      }
      double gbs = row.weightBytes / row.seconds / 1e9;
      bool ok = row.relError <= kErrorBound;
      failures += !ok;
      llvm::outs() << llvm::formatv(
          "{0,-11} {1,-8} {2,-7} {3,4} {4,9:f2} {5,10} {6,7:f1} {7,5:f0}% {8,5:f0}% {9,7:f1} "
          "{10,9:e1} {11,10} {12,7} {13,10} {14,7}\n",
          row.shape, row.kind, row.path, row.batch, row.lowerSeconds + row.jitSeconds,
          fmtUs(row.seconds), gbs, 100 * gbs / bandwidth, 100 * gbs / bandwidth1, gflops(row),
          row.relError,
          fmtUs(row.blasSeconds), fmtX(row.blasSeconds, row.seconds), fmtUs(row.dnnlSeconds),
          fmtX(row.dnnlSeconds, row.seconds));
      llvm::outs() << llvm::formatv("  check {0} {1} B={2}: relative error {3:e2} on {4} rows "
                                    "(bound {5:e0}) {6}\n",
                                    row.shape, row.kind, row.batch, row.relError, row.checkedRows,
                                    kErrorBound, ok ? "ok" : "FAILED");
      llvm::outs().flush();
      rows.push_back(row);
    }
  }

  if (!jsonOpt.empty()) {
    llvm::json::Array results;
    auto num = [](double v) -> llvm::json::Value {
      return std::isnan(v) ? llvm::json::Value(nullptr) : llvm::json::Value(v);
    };
    for (const Row &r : rows)
      results.push_back(llvm::json::Object{
          {"shape", r.shape}, {"rows", r.rows}, {"cols", r.cols}, {"kernel", r.kind},
          {"path", r.path}, {"batch", r.batch}, {"lower_s", r.lowerSeconds},
          {"jit_s", r.jitSeconds}, {"weight_bytes", r.weightBytes}, {"lq_s", r.seconds},
          {"rel_error", r.relError}, {"checked_rows", r.checkedRows},
          {"openblas_s", num(r.blasSeconds)}, {"openblas_rel_error", num(r.blasRelError)},
          {"onednn_s", num(r.dnnlSeconds)}});
    llvm::json::Object top{{"read_bandwidth_gbs", bandwidth},
                           {"read_bandwidth_1thread_gbs", bandwidth1},
                           {"threads", threads},
                           {"iters", (int)itersOpt},
                           {"warmup", (int)warmupOpt},
                           {"flush", (bool)flushOpt},
                           {"baselines", baselines},
                           {"results", std::move(results)}};
    if (llvm::Error e = llvm::writeToOutput(jsonOpt, [&](llvm::raw_ostream &os) {
          os << llvm::formatv("{0:2}", llvm::json::Value(std::move(top))) << "\n";
          return llvm::Error::success();
        }))
      return error("cannot write " + jsonOpt + ": " + llvm::toString(std::move(e)));
  }
  if (!markdownOpt.empty()) {
    if (llvm::Error e = llvm::writeToOutput(markdownOpt, [&](llvm::raw_ostream &os) {
          os << "| shape N×K | kernel | path | batch | compile s | lq µs | weight GB/s | % BW ("
             << threads << " thr) | % BW (1 thr) | GFLOP/s | rel. error | OpenBLAS µs | "
             << "vs OpenBLAS | oneDNN int8 µs | vs oneDNN |\n";
          os << "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
          for (const Row &r : rows) {
            double gbs = r.weightBytes / r.seconds / 1e9;
            os << llvm::formatv("| {0} | {1} | {2} | {3} | {4:f1} | {5} | {6:f1} | {7:f0} % | "
                                "{8:f0} % | {9:f1} | {10:e1} | {11} | {12} | {13} | {14} |\n",
                                r.shape, r.kind, r.path, r.batch, r.lowerSeconds + r.jitSeconds,
                                fmtUs(r.seconds), gbs, 100 * gbs / bandwidth,
                                100 * gbs / bandwidth1, gflops(r), r.relError, fmtUs(r.blasSeconds),
                                fmtX(r.blasSeconds, r.seconds), fmtUs(r.dnnlSeconds),
                                fmtX(r.dnnlSeconds, r.seconds));
          }
          return llvm::Error::success();
        }))
      return error("cannot write " + markdownOpt + ": " + llvm::toString(std::move(e)));
  }
  return failures ? 1 : 0;
}
