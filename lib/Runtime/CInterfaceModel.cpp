//===- CInterfaceModel.cpp - Models called through their C interfaces -----===//

#include "lq/Runtime/CInterfaceModel.h"

#include "lq/Runtime/MemRef.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace lq::runtime {

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

DecodeState::~DecodeState() = default;
CompiledModel::~CompiledModel() = default;

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

namespace {
/// The buffer functions of lib/Runtime's CUDA runtime, looked up in the
/// executable rather than linked: this library serves hosts built with and
/// without the CUDA runtime, and only cuda models need it.
struct CudaBuffers {
  void *(*alloc)(uint64_t bytes, bool hostMapped) = nullptr;
  void (*copy)(void *dst, const void *src, uint64_t bytes) = nullptr;
  void (*free)(void *buffer, void *stream) = nullptr;
};
} // namespace

static const CudaBuffers &cudaBuffers() {
  static const CudaBuffers buffers = [] {
    CudaBuffers b;
    b.alloc = reinterpret_cast<decltype(b.alloc)>(dlsym(RTLD_DEFAULT, "lqCudaAllocBuffer"));
    b.copy = reinterpret_cast<decltype(b.copy)>(dlsym(RTLD_DEFAULT, "lqCudaCopy"));
    b.free = reinterpret_cast<decltype(b.free)>(dlsym(RTLD_DEFAULT, "mgpuMemFree"));
    return b;
  }();
  return buffers;
}

llvm::Expected<void *> allocateBuffer(BufferMemory memory, size_t bytes, bool hostAccess) {
  bytes = std::max<size_t>(bytes, 1);
  if (memory == BufferMemory::CUDA) {
    const CudaBuffers &cuda = cudaBuffers();
    if (!cuda.alloc || !cuda.copy || !cuda.free)
      return err("this program has no CUDA runtime (lqCudaAllocBuffer): it was built without "
                 "the CUDA headers and runs cpu models only");
    // Zeroed there; failures inside are fatal and reported by the runtime.
    return cuda.alloc(bytes, hostAccess);
  }
  // 64-byte aligned, as the compiled code's own allocations.
  void *buffer = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!buffer)
    return err(llvm::formatv("cannot allocate {0} bytes", bytes));
  // Zeroed: cache positions past the current one are masked but still read.
  std::memset(buffer, 0, bytes);
  return buffer;
}

void freeBuffer(BufferMemory memory, void *buffer) {
  if (!buffer)
    return;
  if (memory == BufferMemory::CUDA)
    cudaBuffers().free(buffer, /*stream=*/nullptr);
  else
    std::free(buffer);
}

void copyBuffer(BufferMemory memory, void *dst, const void *src, size_t bytes) {
  if (memory == BufferMemory::CUDA)
    cudaBuffers().copy(dst, src, bytes);
  else
    std::memcpy(dst, src, bytes);
}

//===----------------------------------------------------------------------===//
// The entry points' C interfaces (docs/ModelIR.md)
//===----------------------------------------------------------------------===//

using ForwardFn = void (*)(MemRef<float, 3> *, MemRef<int64_t, 2> *);
struct DecodeResults {
  MemRef<float, 2> logits;
  MemRef<float, 4> keys, values;
};
using DecodeFn = void (*)(DecodeResults *, MemRef<int64_t, 1> *, MemRef<int64_t, 1> *,
                          MemRef<float, 4> *, MemRef<float, 4> *);
// With packed caches (lq-quantize-kv): codes and (scale, zero) per position.
struct PackedDecodeResults {
  MemRef<float, 2> logits;
  MemRef<uint8_t, 3> keyCodes;
  MemRef<float, 3> keyParams;
  MemRef<uint8_t, 3> valueCodes;
  MemRef<float, 3> valueParams;
};
using PackedDecodeFn = void (*)(PackedDecodeResults *, MemRef<int64_t, 1> *,
                                MemRef<int64_t, 1> *, MemRef<uint8_t, 3> *, MemRef<float, 3> *,
                                MemRef<uint8_t, 3> *, MemRef<float, 3> *);

llvm::Error CInterfaceModel::forward(llvm::ArrayRef<int32_t> tokens,
                                     std::vector<float> &logits) const {
  if (!forwardFn)
    return err("the model has no @forward");
  const int64_t T = tokens.size();
  if (T < 1 || T > modelInfo.context)
    return err(llvm::formatv("@forward takes 1 to {0} tokens, got {1}", modelInfo.context, T));
  if (llvm::Error e = checkTokenIds(tokens, modelInfo))
    return e;
  // In the model's buffer memory: a GPU @forward reads the ids in a kernel.
  auto buffer = allocateBuffer(memory, T * sizeof(int64_t));
  if (!buffer)
    return buffer.takeError();
  auto *ids = static_cast<int64_t *>(*buffer);
  std::copy(tokens.begin(), tokens.end(), ids);
  MemRef<int64_t, 2> input = viewOf(ids, {1, T});
  MemRef<float, 3> result;
  reinterpret_cast<ForwardFn>(forwardFn)(&result, &input);
  const int64_t V = modelInfo.vocab;
  llvm::Error e = llvm::Error::success();
  if (result.sizes[0] != 1 || result.sizes[1] != T || result.sizes[2] != V) {
    e = err(llvm::formatv("@forward returned logits of shape {0}x{1}x{2}, expected 1x{3}x{4}",
                          result.sizes[0], result.sizes[1], result.sizes[2], T, V));
  } else {
    logits.resize(T * V);
    const float *base = result.aligned + result.offset;
    if (result.strides[2] == 1 && result.strides[1] == V) {
      std::memcpy(logits.data(), base, sizeof(float) * T * V);
    } else {
      for (int64_t t = 0; t < T; ++t)
        for (int64_t v = 0; v < V; ++v)
          logits[t * V + v] = base[t * result.strides[1] + v * result.strides[2]];
    }
  }
  // Results are owned by the caller (buffer deallocation's convention).
  if (isHeapBuffer(result.allocated))
    freeBuffer(memory, result.allocated);
  freeBuffer(memory, ids);
  return e;
}

namespace {
/// The shapes of @decode's caches, in argument order, and their element size.
struct CacheShape {
  int64_t sizes[4];
  int rank;
  size_t elementBytes;
  size_t bytes() const {
    size_t n = elementBytes;
    for (int i = 0; i < rank; ++i)
      n *= sizes[i];
    return n;
  }
};

/// Two f32 caches, or (packed) codes and parameters for keys, then values,
/// and the token and position arguments; all in the model's buffer memory,
/// since device code may read them (the caches where only it does).
class CacheState : public DecodeState {
public:
  explicit CacheState(BufferMemory memory) : memory(memory) {}
  ~CacheState() override {
    for (void *c : caches)
      freeBuffer(memory, c);
    freeBuffer(memory, scalars);
  }
  void advance() { ++pos; }

  void *caches[4] = {};
  int64_t *scalars = nullptr; ///< token, position
  BufferMemory memory;
};
} // namespace

static llvm::SmallVector<CacheShape, 4> cacheShapes(const ModelInfo &info) {
  if (!info.kvBits) {
    CacheShape f32 = {{info.layers, info.kvHeads, info.context, info.headDim}, 4, sizeof(float)};
    return {f32, f32};
  }
  CacheShape codes = {{info.layers, info.context, info.packedRowBytes(), 0}, 3, 1};
  CacheShape params = {{info.layers, info.context, 2, 0}, 3, sizeof(float)};
  return {codes, params, codes, params};
}

llvm::Expected<std::unique_ptr<DecodeState>> CInterfaceModel::newDecodeState() const {
  if (!decodeFn)
    return err("the model has no @decode");
  auto state = std::make_unique<CacheState>(memory);
  auto shapes = cacheShapes(modelInfo);
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto buffer = allocateBuffer(memory, shapes[i].bytes(), /*hostAccess=*/false);
    if (!buffer)
      return err(llvm::formatv("cannot allocate a KV cache: {0}",
                               llvm::toString(buffer.takeError())));
    state->caches[i] = *buffer;
  }
  auto scalars = allocateBuffer(memory, 2 * sizeof(int64_t));
  if (!scalars)
    return scalars.takeError();
  state->scalars = static_cast<int64_t *>(*scalars);
  return std::move(state);
}

/// Takes ownership of a returned cache: copies it into `dst` unless the code
/// updated `dst` in place, then frees the returned buffer.
template <typename T, int N>
static llvm::Error adoptCache(const MemRef<T, N> &returned, void *dst, const CacheShape &shape,
                              BufferMemory memory) {
  bool fits = true;
  for (int i = 0; i < N; ++i)
    fits &= returned.sizes[i] == shape.sizes[i];
  const T *src = returned.aligned + returned.offset;
  if (fits && src != dst)
    copyBuffer(memory, dst, src, shape.bytes());
  if (isHeapBuffer(returned.allocated) && returned.allocated != dst)
    freeBuffer(memory, returned.allocated);
  return fits ? llvm::Error::success() : err("@decode returned a KV cache of the wrong shape");
}

template <typename T, int N>
static MemRef<T, N> cacheView(void *data, const CacheShape &shape) {
  int64_t sizes[N];
  std::copy(shape.sizes, shape.sizes + N, sizes);
  return viewOf(static_cast<T *>(data), sizes);
}

llvm::Error CInterfaceModel::decode(DecodeState &decodeState, int32_t token,
                                    std::vector<float> &logits) const {
  if (!decodeFn)
    return err("the model has no @decode");
  auto &state = static_cast<CacheState &>(decodeState);
  if (state.position() >= modelInfo.context)
    return err(llvm::formatv("the KV cache is full ({0} positions)", modelInfo.context));
  if (llvm::Error e = checkTokenIds(token, modelInfo))
    return e;
  state.scalars[0] = token;
  state.scalars[1] = state.position();
  MemRef<int64_t, 1> tokRef = viewOf(state.scalars, {1}), posRef = viewOf(state.scalars + 1, {1});
  auto shapes = cacheShapes(modelInfo);
  MemRef<float, 2> logitsRef;
  llvm::Error e = llvm::Error::success();
  void **caches = state.caches;
  if (!modelInfo.kvBits) {
    auto k = cacheView<float, 4>(caches[0], shapes[0]);
    auto v = cacheView<float, 4>(caches[1], shapes[1]);
    DecodeResults results;
    reinterpret_cast<DecodeFn>(decodeFn)(&results, &tokRef, &posRef, &k, &v);
    e = adoptCache(results.keys, caches[0], shapes[0], memory);
    e = llvm::joinErrors(std::move(e), adoptCache(results.values, caches[1], shapes[1], memory));
    logitsRef = results.logits;
  } else {
    auto kc = cacheView<uint8_t, 3>(caches[0], shapes[0]);
    auto kp = cacheView<float, 3>(caches[1], shapes[1]);
    auto vc = cacheView<uint8_t, 3>(caches[2], shapes[2]);
    auto vp = cacheView<float, 3>(caches[3], shapes[3]);
    PackedDecodeResults results;
    reinterpret_cast<PackedDecodeFn>(decodeFn)(&results, &tokRef, &posRef, &kc, &kp, &vc, &vp);
    e = adoptCache(results.keyCodes, caches[0], shapes[0], memory);
    e = llvm::joinErrors(std::move(e),
                         adoptCache(results.keyParams, caches[1], shapes[1], memory));
    e = llvm::joinErrors(std::move(e),
                         adoptCache(results.valueCodes, caches[2], shapes[2], memory));
    e = llvm::joinErrors(std::move(e),
                         adoptCache(results.valueParams, caches[3], shapes[3], memory));
    logitsRef = results.logits;
  }
  const int64_t V = modelInfo.vocab;
  if (logitsRef.sizes[0] != 1 || logitsRef.sizes[1] != V)
    e = llvm::joinErrors(std::move(e), err("@decode returned logits of the wrong shape"));
  if (!e) {
    logits.resize(V);
    const float *base = logitsRef.aligned + logitsRef.offset;
    for (int64_t i = 0; i < V; ++i)
      logits[i] = base[i * logitsRef.strides[1]];
    state.advance();
  }
  if (isHeapBuffer(logitsRef.allocated))
    freeBuffer(memory, logitsRef.allocated);
  return e;
}

} // namespace lq::runtime
