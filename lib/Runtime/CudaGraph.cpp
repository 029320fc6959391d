//===- CudaGraph.cpp - Stream work replayed as CUDA graphs ------------------===//
//
// A lowered @decode issues ~200 kernels on one stream and synchronizes it
// once; the host spends ~3 us in each cuLaunchKernel, more than most of the
// kernels take on the GPU. So the launches (and asynchronous copies and
// memsets) on a stream are recorded instead of issued: the function, grid,
// block, shared memory, whether it is a dependent (PDL) kernel, and a copy
// of its parameter bytes, whose layout cuFuncGetParamInfo gives (the PTX is
// not always at hand: fatbin modules carry none). At the synchronization,
// and for a long sequence in growing chunks while it is recorded (so the GPU
// starts early):
//
// - a sequence with a cached graph of the same structure (the same kernels,
//   copies and memsets in the same order) updates the kernel nodes whose
//   grid, block, shared memory or parameters changed (a decode step's
//   position, its attention grids and the blocks sized by it) and launches
//   the graph;
// - a sequence seen for the second time is captured on its stream (PDL
//   launches become programmatic edges, as eagerly), instantiated and
//   launched, and its nodes are found by walking the captured chain;
// - anything else is issued eagerly, as without graphs.
//
// Only the streams of mgpuStreamCreate are recorded (the lowered code's):
// a host that brings its own stream may time or synchronize it through the
// driver, which the recorder would not see. An operation the recorder does
// not take (an event, a host-side free, a synchronous copy, a copy from
// pageable memory, a launch with `extra` arguments) first issues what is
// recorded, eagerly, so the order on the device is always the order of the
// calls. Pool allocations need no flush: a stream-ordered allocation is
// valid for all work issued on its stream later, which the recorded work is.
//
// LQ_CUDA_GRAPHS=0 turns this off; so does LQ_CUDA_STATS=kernels, which
// times each launch.
//
//===----------------------------------------------------------------------===//
#include "CudaRuntimeInternal.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lq::runtime::cuda::graph {
namespace {

/// Where a kernel's parameters lie in its parameter buffer.
struct ParamLayout {
  std::vector<size_t> offsets, sizes;
  size_t bytes = 0;
  /// False when the driver cannot describe the kernel's parameters as the
  /// lowered code passes them: such a kernel is launched eagerly.
  bool usable = false;
};

/// One recorded operation.
struct Op {
  enum Kind : uint8_t { Kernel, Memcpy, Memset } kind;
  KernelLaunch launch;         ///< Kernel
  const ParamLayout *layout;   ///< Kernel
  size_t paramOffset;          ///< Kernel: its parameters in Sequence::params
  CUdeviceptr dst, src;        ///< Memcpy, Memset (dst)
  size_t count;                ///< Memcpy: bytes; Memset: elements
  unsigned value, width;       ///< Memset
};

/// Recorded operations in order, with their parameter bytes.
struct Sequence {
  std::vector<Op> ops;
  std::vector<unsigned char> params;
  /// Of the structure: what must match for a graph to be reused.
  uint64_t hash = 0;
  /// Chunks of this call issued so far (see issueChunk).
  unsigned chunks = 0;

  void clear() {
    ops.clear();
    params.clear();
    hash = 0;
  }
  void **pointers(const Op &op, std::vector<void *> &scratch) {
    scratch.resize(op.layout->offsets.size());
    for (size_t i = 0; i < scratch.size(); ++i)
      scratch[i] = params.data() + op.paramOffset + op.layout->offsets[i];
    return scratch.data();
  }
};

uint64_t mix(uint64_t hash, uint64_t value) {
  hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return hash;
}

/// Whether `a` and `b` can be one graph's nodes: only kernel parameters,
/// grids, blocks and shared memory are updated in place.
bool sameStructure(const Op &a, const Op &b) {
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case Op::Kernel:
    return a.launch.function == b.launch.function && a.launch.dependent == b.launch.dependent;
  case Op::Memcpy:
    return a.dst == b.dst && a.src == b.src && a.count == b.count;
  case Op::Memset:
    return a.dst == b.dst && a.count == b.count && a.value == b.value && a.width == b.width;
  }
  return false;
}

/// Whether kernel `a` (in `aParams`) launches like kernel `b` (in `bParams`).
bool sameLaunch(const Op &a, const std::vector<unsigned char> &aParams, const Op &b,
                const std::vector<unsigned char> &bParams) {
  return std::equal(a.launch.grid, a.launch.grid + 3, b.launch.grid) &&
         std::equal(a.launch.block, a.launch.block + 3, b.launch.block) &&
         a.launch.smem == b.launch.smem &&
         (!a.layout->bytes || std::memcmp(aParams.data() + a.paramOffset,
                                          bParams.data() + b.paramOffset, a.layout->bytes) == 0);
}

/// An instantiated graph and the sequence its nodes hold now.
struct Graph {
  Sequence applied;
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr; ///< null: the structure cannot be captured
  std::vector<CUgraphNode> nodes;
  uint64_t lastUse = 0;
};

struct State {
  std::mutex mutex;
  std::unordered_map<CUstream, Sequence> recording;
  /// The streams of mgpuStreamCreate: the only ones recorded.
  std::unordered_set<CUstream> owned;
  std::unordered_map<CUfunction, ParamLayout> layouts;
  std::vector<std::unique_ptr<Graph>> graphs;
  /// Structures issued eagerly lately: one seen again gets a graph.
  std::vector<uint64_t> seen;
  uint64_t clock = 0;
  std::vector<void *> scratch;
  /// Streams with recorded operations, so that flushing all is cheap.
  size_t pending = 0;
};
/// A decode step is one sequence; a prefill (@forward) is one per
/// synchronization, a few dozen. Each graph holds device memory for its
/// nodes.
constexpr size_t kMaxGraphs = 32;
constexpr size_t kMaxSeen = 64;

State &state() {
  static State *s = new State; // outlives global destructors (module unloads)
  return *s;
}

/// With LQ_CUDA_STATS, says whether graphs are used, and why a sequence
/// gets none: `message`, `what` and the name of `result`.
void note(const char *message, const char *what = "", CUresult result = CUDA_SUCCESS) {
  if (!stats())
    return;
  const char *name = nullptr;
  if (result != CUDA_SUCCESS)
    driver().cuGetErrorName(result, &name);
  std::fprintf(stderr, "lq-runtime stats: %s%s%s%s\n", message, what, name ? ": " : "",
               name ? name : "");
}

const ParamLayout *layoutOf(State &s, CUfunction function, size_t count) {
  auto [it, inserted] = s.layouts.try_emplace(function);
  ParamLayout &layout = it->second;
  if (inserted) {
    Driver &d = driver();
    layout.usable = true;
    for (size_t i = 0; i < count && layout.usable; ++i) {
      size_t offset = 0, size = 0;
      layout.usable = d.cuFuncGetParamInfo(function, i, &offset, &size) == CUDA_SUCCESS;
      layout.offsets.push_back(offset);
      layout.sizes.push_back(size);
      layout.bytes = std::max(layout.bytes, offset + size);
    }
    // A kernel with more parameters than the call passes is not what the
    // lowering launched: leave it to the driver.
    size_t offset = 0, size = 0;
    if (d.cuFuncGetParamInfo(function, count, &offset, &size) == CUDA_SUCCESS)
      layout.usable = false;
  }
  return layout.usable && layout.offsets.size() == count ? &layout : nullptr;
}

/// Issues `op` on `stream`, returning the driver's result.
CUresult issue(Sequence &seq, const Op &op, CUstream stream, std::vector<void *> &scratch) {
  Driver &d = driver();
  switch (op.kind) {
  case Op::Kernel:
    return launchKernel(op.launch, stream, seq.pointers(op, scratch));
  case Op::Memcpy:
    return d.cuMemcpyAsync(op.dst, op.src, op.count, stream);
  case Op::Memset:
    return op.width == 4 ? d.cuMemsetD32Async(op.dst, op.value, op.count, stream)
                         : d.cuMemsetD16Async(op.dst, (unsigned short)op.value, op.count, stream);
  }
  return CUDA_ERROR_INVALID_VALUE;
}

const char *issueName(const Op &op) {
  switch (op.kind) {
  case Op::Kernel:
    return launchName(op.launch);
  case Op::Memcpy:
    return "cuMemcpyAsync";
  case Op::Memset:
    return op.width == 4 ? "cuMemsetD32Async" : "cuMemsetD16Async";
  }
  return "?";
}

/// Issues `seq` on `stream` one operation after the other, as without graphs.
void replay(State &s, Sequence &seq, CUstream stream) {
  for (const Op &op : seq.ops)
    check(issue(seq, op, stream, s.scratch), issueName(op));
}

void destroy(Graph &g, bool atExit) {
  Driver &d = driver();
  CUresult results[2] = {g.exec ? d.cuGraphExecDestroy(g.exec) : CUDA_SUCCESS,
                         g.graph ? d.cuGraphDestroy(g.graph) : CUDA_SUCCESS};
  // At process exit the driver may be shut down, which frees them anyway.
  for (CUresult result : results)
    if (!(atExit && result == CUDA_ERROR_DEINITIALIZED))
      check(result, "destroying a CUDA graph");
}

CUgraphNodeType nodeType(const Op &op) {
  switch (op.kind) {
  case Op::Kernel:
    return CU_GRAPH_NODE_TYPE_KERNEL;
  case Op::Memcpy:
    return CU_GRAPH_NODE_TYPE_MEMCPY;
  case Op::Memset:
    return CU_GRAPH_NODE_TYPE_MEMSET;
  }
  return CU_GRAPH_NODE_TYPE_EMPTY;
}

/// Captures `seq` on `stream` into `g` and instantiates it; on failure `g`
/// keeps no executable graph and the reason is noted.
void capture(State &s, Sequence &seq, CUstream stream, Graph &g) {
  Timed timed(Stat::GraphBuild);
  Driver &d = driver();
  // Thread-local: another thread's unrelated calls do not end the capture.
  CUresult result = d.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
  if (result != CUDA_SUCCESS)
    return note("no CUDA graph: failed: ", "cuStreamBeginCapture", result);
  const char *failed = nullptr;
  for (const Op &op : seq.ops) {
    result = issue(seq, op, stream, s.scratch);
    if (result != CUDA_SUCCESS) {
      failed = issueName(op);
      break;
    }
  }
  CUresult ended = d.cuStreamEndCapture(stream, &g.graph);
  if (ended != CUDA_SUCCESS)
    g.graph = nullptr;
  if (failed)
    return note("no CUDA graph: failed while capturing: ", failed, result);
  if (ended != CUDA_SUCCESS)
    return note("no CUDA graph: failed: ", "cuStreamEndCapture", ended);
  // The capture is a chain: each operation depends on the one before it
  // (programmatically for a dependent kernel). Walk it from the root to
  // pair nodes with operations.
  CUgraphNode next[2] = {};
  CUgraphEdgeData edges[2] = {};
  size_t n = 2;
  result = d.cuGraphGetRootNodes(g.graph, next, &n);
  while (result == CUDA_SUCCESS && n == 1 && g.nodes.size() < seq.ops.size()) {
    CUgraphNodeType type;
    result = d.cuGraphNodeGetType(next[0], &type);
    if (result != CUDA_SUCCESS || type != nodeType(seq.ops[g.nodes.size()]))
      break;
    g.nodes.push_back(next[0]);
    n = 2;
    result = d.cuGraphNodeGetDependentNodes(next[0], next, edges, &n);
  }
  if (result != CUDA_SUCCESS)
    return note("no CUDA graph: failed: ", "walking the captured graph", result);
  if (g.nodes.size() != seq.ops.size() || n != 0)
    return note("no CUDA graph: the captured graph is not the recorded chain");
  result = d.cuGraphInstantiate(&g.exec, g.graph, 0);
  if (result != CUDA_SUCCESS) {
    g.exec = nullptr;
    return note("no CUDA graph: failed: ", "cuGraphInstantiate", result);
  }
}

/// Brings `g`'s kernel nodes to `seq`'s launches and launches it on
/// `stream`; `seq` is left with what the nodes held before.
void launch(State &s, Graph &g, Sequence &seq, CUstream stream) {
  Timed timed(Stat::GraphLaunch);
  Driver &d = driver();
  for (size_t i = 0; i < seq.ops.size(); ++i) {
    const Op &op = seq.ops[i];
    if (op.kind != Op::Kernel || sameLaunch(op, seq.params, g.applied.ops[i], g.applied.params))
      continue;
    Timed update(Stat::GraphUpdate);
    CUDA_KERNEL_NODE_PARAMS params = {};
    params.func = op.launch.function;
    params.gridDimX = op.launch.grid[0];
    params.gridDimY = op.launch.grid[1];
    params.gridDimZ = op.launch.grid[2];
    params.blockDimX = op.launch.block[0];
    params.blockDimY = op.launch.block[1];
    params.blockDimZ = op.launch.block[2];
    params.sharedMemBytes = op.launch.smem;
    params.kernelParams = seq.pointers(op, s.scratch);
    check(d.cuGraphExecKernelNodeSetParams(g.exec, g.nodes[i], &params),
          "cuGraphExecKernelNodeSetParams");
  }
  check(d.cuGraphLaunch(g.exec, stream), "cuGraphLaunch");
  std::swap(g.applied.ops, seq.ops);
  std::swap(g.applied.params, seq.params);
  g.lastUse = ++s.clock;
}

Graph *find(State &s, const Sequence &seq) {
  for (const std::unique_ptr<Graph> &g : s.graphs) {
    const Sequence &other = g->applied;
    if (other.hash != seq.hash || other.ops.size() != seq.ops.size())
      continue;
    bool same = true;
    for (size_t i = 0; i < seq.ops.size() && same; ++i)
      same = sameStructure(seq.ops[i], other.ops[i]);
    if (same)
      return g.get();
  }
  return nullptr;
}

/// Issues and forgets what is recorded on `stream`.
void issueRecorded(State &s, CUstream stream, bool synchronizing) {
  auto it = s.recording.find(stream);
  if (it == s.recording.end() || it->second.ops.empty())
    return;
  Sequence &seq = it->second;
  --s.pending;
  if (!synchronizing) {
    // Cut short by an operation the recorder does not take.
    count(Stat::Flush);
    replay(s, seq, stream);
    seq.clear();
    return;
  }
  Graph *g = find(s, seq);
  if (!g && std::find(s.seen.begin(), s.seen.end(), seq.hash) != s.seen.end()) {
    if (s.graphs.size() == kMaxGraphs) {
      auto oldest = std::min_element(s.graphs.begin(), s.graphs.end(), [](auto &a, auto &b) {
        return a->lastUse < b->lastUse;
      });
      destroy(**oldest, false);
      s.graphs.erase(oldest);
    }
    s.graphs.push_back(std::make_unique<Graph>());
    g = s.graphs.back().get();
    capture(s, seq, stream, *g);
    if (!g->exec) {
      // Kept without a graph: the structure is issued eagerly from now on.
      count(Stat::GraphFailed);
      destroy(*g, /*atExit=*/false);
      g->graph = nullptr;
      g->nodes.clear();
    }
    // The nodes hold the captured parameters: nothing to update.
    g->applied.ops = seq.ops;
    g->applied.params = seq.params;
    g->applied.hash = seq.hash;
  }
  if (g && g->exec) {
    launch(s, *g, seq, stream);
  } else {
    Timed timed(Stat::Replay);
    if (!g) {
      if (s.seen.size() == kMaxSeen)
        s.seen.erase(s.seen.begin());
      s.seen.push_back(seq.hash);
    }
    replay(s, seq, stream);
  }
  seq.clear();
}

/// Issues a long sequence in chunks as it is recorded (8 operations, then
/// 16, 32, 64 and 128 at most), so that the GPU runs the first kernels
/// while the host records the next: with one graph for the whole call the
/// GPU idles until the call synchronizes. On an H100, 19M W4 decodes 38 %
/// faster than with one graph a step (chunks of 16: 35 %, 64: 27 %).
void issueChunk(State &s, CUstream stream, Sequence &seq) {
  constexpr size_t kFirstChunk = 8;
  constexpr unsigned kDoublings = 4;
  if (seq.ops.size() < (kFirstChunk << std::min(seq.chunks, kDoublings)))
    return;
  issueRecorded(s, stream, /*synchronizing=*/true);
  ++seq.chunks;
}

/// `stream`'s recording, started if empty (one more stream pending).
Sequence &recordingOf(State &s, CUstream stream) {
  Sequence &seq = s.recording[stream];
  if (seq.ops.empty())
    ++s.pending;
  return seq;
}

/// Appends `op` (its kernel parameters already in `seq`) with its structure
/// mixed into the sequence's hash, and issues a chunk when one is due.
void append(State &s, CUstream stream, Sequence &seq, const Op &op) {
  switch (op.kind) {
  case Op::Kernel:
    seq.hash = mix(mix(mix(seq.hash, Op::Kernel), reinterpret_cast<uintptr_t>(op.launch.function)),
                   op.launch.dependent);
    break;
  case Op::Memcpy:
    seq.hash = mix(mix(mix(mix(seq.hash, Op::Memcpy), op.dst), op.src), op.count);
    break;
  case Op::Memset:
    seq.hash =
        mix(mix(mix(mix(mix(seq.hash, Op::Memset), op.dst), op.count), op.value), op.width);
    break;
  }
  seq.ops.push_back(op);
  issueChunk(s, stream, seq);
}

/// Records a copy or memset on a stream of mgpuStreamCreate.
bool recordCopyOrSet(CUstream stream, const Op &op) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.owned.count(stream))
    return false;
  append(s, stream, recordingOf(s, stream), op);
  return true;
}

} // namespace

bool enabled() {
  static const bool on = [] {
    const char *flag = std::getenv("LQ_CUDA_GRAPHS");
    if (flag && std::string_view(flag) == "0")
      return note("CUDA graphs off: LQ_CUDA_GRAPHS=0"), false;
    if (profilingKernels())
      return note("CUDA graphs off: LQ_CUDA_STATS=kernels times every launch"), false;
    if (const char *missing = driver().missingGraphFunction)
      return note("CUDA graphs off: the driver (CUDA 12.4 or newer needed) has no ", missing),
             false;
    note("CUDA graphs on");
    return true;
  }();
  return on;
}

bool recordLaunch(const KernelLaunch &launch, CUstream stream, void **params, void **extra,
                  size_t paramsCount) {
  if (!enabled() || !stream || extra || (paramsCount && !params))
    return false;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.owned.count(stream))
    return false;
  const ParamLayout *layout = layoutOf(s, launch.function, paramsCount);
  if (!layout)
    return false;
  Sequence &seq = recordingOf(s, stream);
  Op op = {};
  op.kind = Op::Kernel;
  op.launch = launch;
  op.layout = layout;
  op.paramOffset = seq.params.size();
  // Zero-filled: the padding between parameters compares equal.
  seq.params.resize(seq.params.size() + layout->bytes);
  for (size_t i = 0; i < paramsCount; ++i)
    std::memcpy(seq.params.data() + op.paramOffset + layout->offsets[i], params[i],
                layout->sizes[i]);
  append(s, stream, seq, op);
  return true;
}

bool recordMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  if (!enabled() || !stream)
    return false;
  Op op = {};
  op.kind = Op::Memcpy;
  op.dst = dst;
  op.src = src;
  op.count = bytes;
  return recordCopyOrSet(stream, op);
}

bool recordMemset(CUdeviceptr dst, unsigned value, size_t elements, unsigned width,
                  CUstream stream) {
  if (!enabled() || !stream)
    return false;
  Op op = {};
  op.kind = Op::Memset;
  op.dst = dst;
  op.count = elements;
  op.value = value;
  op.width = width;
  return recordCopyOrSet(stream, op);
}

void adopt(CUstream stream) {
  if (!enabled())
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.owned.insert(stream);
}

void submit(CUstream stream) {
  if (!enabled())
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  issueRecorded(s, stream, /*synchronizing=*/true);
  auto it = s.recording.find(stream);
  if (it != s.recording.end())
    it->second.chunks = 0;
}

void flush(CUstream stream) {
  if (!enabled())
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.pending)
    return;
  for (auto &[recorded, seq] : s.recording) {
    if (stream && recorded != stream)
      continue;
    issueRecorded(s, recorded, /*synchronizing=*/false);
    seq.chunks = 0;
  }
}

void release() {
  if (!enabled())
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (std::unique_ptr<Graph> &g : s.graphs)
    destroy(*g, /*atExit=*/true);
  s.graphs.clear();
  s.layouts.clear();
  s.seen.clear();
}

} // namespace lq::runtime::cuda::graph
