//===- Transformer.cpp - Reference fp32 Llama transformer -----------------===//
//
// forward() and decode() share one code path (Impl::run over a KV cache), so
// a decode step computes each logit with exactly the same operations, in the
// same order, as the corresponding row of a full forward pass.
//
//===----------------------------------------------------------------------===//

#include "lq/Model/Transformer.h"
#include "Support.h"

#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

using namespace lq;
using namespace lq::detail;
using names::LayerTensor;
using llvm::ArrayRef;

// The hot loops get an AVX2+FMA clone picked at load time; the default clone
// keeps the library runnable on any x86-64.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define LQ_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LQ_HOT
#endif

namespace {
typedef float v8 __attribute__((vector_size(32), aligned(4)));

/// A linear layer's weight [out, in] repacked as panels of 16 output rows,
/// each stored k-major ([in][16]) so the kernel streams it contiguously.
struct Packed {
  int64_t in = 0, out = 0, panels = 0;
  std::vector<float> data;

  /// Concatenates the rows of `parts` (e.g. q, k, v into one qkv matrix).
  explicit Packed(std::initializer_list<const Tensor *> parts = {}) {
    if (parts.size() == 0)
      return;
    in = (*parts.begin())->shape[1];
    for (const Tensor *t : parts)
      out += t->shape[0];
    panels = (out + 15) / 16;
    data.assign(panels * in * 16, 0.0f);
    int64_t row = 0;
    for (const Tensor *t : parts)
      for (int64_t r = 0; r < t->shape[0]; ++r, ++row)
        for (int64_t k = 0; k < in; ++k)
          data[(row / 16) * in * 16 + k * 16 + row % 16] = t->data[r * in + k];
  }
};

template <int MR>
inline __attribute__((always_inline)) void
microKernel(const float *x, int64_t in, const float *panel, float *y,
            int64_t ldy, int64_t cols) {
  v8 acc[MR][2];
  for (int r = 0; r < MR; ++r)
    acc[r][0] = acc[r][1] = v8{};
  for (int64_t k = 0; k < in; ++k) {
    v8 b0 = *(const v8 *)(panel + k * 16);
    v8 b1 = *(const v8 *)(panel + k * 16 + 8);
    for (int r = 0; r < MR; ++r) {
      float a = x[r * in + k];
      acc[r][0] += a * b0;
      acc[r][1] += a * b1;
    }
  }
  if (cols == 16) { // full panel: fixed-size stores, no memcpy call
    for (int r = 0; r < MR; ++r) {
      std::memcpy(y + r * ldy, &acc[r][0], 32);
      std::memcpy(y + r * ldy + 8, &acc[r][1], 32);
    }
    return;
  }
  for (int r = 0; r < MR; ++r) {
    float tmp[16];
    std::memcpy(tmp, &acc[r][0], 32);
    std::memcpy(tmp + 8, &acc[r][1], 32);
    std::memcpy(y + r * ldy, tmp, cols * sizeof(float));
  }
}

/// y[rows, 16-column panel] = x[rows, in] * panel.
LQ_HOT void matmulTile(const float *x, int64_t rows, int64_t in,
                       const float *panel, float *y, int64_t ldy,
                       int64_t cols) {
  int64_t r = 0;
  for (; r + 6 <= rows; r += 6)
    microKernel<6>(x + r * in, in, panel, y + r * ldy, ldy, cols);
  const float *xr = x + r * in;
  float *yr = y + r * ldy;
  switch (rows - r) {
  case 5:
    return microKernel<5>(xr, in, panel, yr, ldy, cols);
  case 4:
    return microKernel<4>(xr, in, panel, yr, ldy, cols);
  case 3:
    return microKernel<3>(xr, in, panel, yr, ldy, cols);
  case 2:
    return microKernel<2>(xr, in, panel, yr, ldy, cols);
  case 1:
    return microKernel<1>(xr, in, panel, yr, ldy, cols);
  }
}

/// y[T, out] = x[T, in] * W^T, over (row chunk, panel) tasks.
void matmul(const float *x, int64_t T, const Packed &w, float *y) {
  constexpr int64_t RowChunk = 48;
  int64_t rowChunks = (T + RowChunk - 1) / RowChunk;
  auto task = [&](size_t i) {
    int64_t rc = int64_t(i) / w.panels, p = int64_t(i) % w.panels;
    int64_t r0 = rc * RowChunk, rows = std::min(RowChunk, T - r0);
    matmulTile(x + r0 * w.in, rows, w.in, w.data.data() + p * w.in * 16,
               y + r0 * w.out + p * 16, w.out, std::min<int64_t>(16, w.out - p * 16));
  };
  size_t tasks = size_t(rowChunks * w.panels);
  // Tiny products (decode steps of small models) lose more to scheduling
  // than they gain.
  if (T * w.in * w.out < (int64_t(1) << 17))
    for (size_t i = 0; i < tasks; ++i)
      task(i);
  else
    llvm::parallelFor(0, tasks, task);
}

void rmsNorm(const float *x, int64_t T, int64_t dim, const float *w, float eps,
             float *y) {
  for (int64_t t = 0; t < T; ++t) {
    const float *xr = x + t * dim;
    double ss = 0;
    for (int64_t i = 0; i < dim; ++i)
      ss += double(xr[i]) * xr[i];
    float scale = float(1.0 / std::sqrt(ss / dim + eps));
    for (int64_t i = 0; i < dim; ++i)
      y[t * dim + i] = xr[i] * scale * w[i];
  }
}

/// Scores, softmax and weighted sum for one query head at one position over
/// keys [0, n). `k`/`v` point at the kv head's first cached row; the last
/// position's key and value are read from `kOwn`/`vOwn` instead when given
/// (past-only KV quantization: the cache holds the quantized rows).
LQ_HOT void attendOne(const float *q, const float *k, const float *v,
                      int64_t n, int64_t hd, int64_t kvStride, float scale,
                      float *scores, float *out, const float *kOwn = nullptr,
                      const float *vOwn = nullptr) {
  float maxS = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    const float *kj = kOwn && j == n - 1 ? kOwn : k + j * kvStride;
    // Eight partial sums (vectorizable without reassociating a scalar
    // reduction), combined in a fixed order.
    v8 acc = {};
    int64_t d = 0;
    for (; d + 8 <= hd; d += 8)
      acc += *(const v8 *)(q + d) * *(const v8 *)(kj + d);
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) +
              ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; d < hd; ++d)
      s += q[d] * kj[d];
    scores[j] = s * scale;
    maxS = std::max(maxS, scores[j]);
  }
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    scores[j] = std::exp(scores[j] - maxS);
    sum += scores[j];
  }
  float inv = 1.0f / sum;
  for (int64_t d = 0; d < hd; ++d)
    out[d] = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float *vj = vOwn && j == n - 1 ? vOwn : v + j * kvStride;
    float p = scores[j] * inv;
    for (int64_t d = 0; d < hd; ++d)
      out[d] += p * vj[d];
  }
}

struct KVCache {
  int64_t length = 0; // positions filled
  int64_t capacity = 0;
  std::vector<std::vector<float>> k, v; // per layer [capacity, kvDim]

  void reserve(int64_t n, int64_t layers, int64_t kvDim) {
    if (n <= capacity)
      return;
    int64_t cap = std::max(n, capacity * 2);
    k.resize(layers);
    v.resize(layers);
    for (int64_t l = 0; l < layers; ++l) {
      k[l].resize(cap * kvDim);
      v[l].resize(cap * kvDim);
    }
    capacity = cap;
  }
};
} // namespace

struct Transformer::Impl {
  LlamaConfig c;
  std::vector<float> embed;
  struct Layer {
    std::vector<float> attnNorm, mlpNorm;
    Packed qkv, o, gateUp, down;
  };
  std::vector<Layer> layers;
  std::vector<float> finalNorm;
  Packed lmHead;
  KVCache cache;
  std::vector<float> lastLogits;

  explicit Impl(const LlamaModel &m) : c(m.config) {
    const LlamaWeights &w = m.weights;
    embed = w.get(names::Embed).data;
    finalNorm = w.get(names::FinalNorm).data;
    lmHead = Packed({&w.get(names::LMHead)});
    for (int64_t l = 0; l < c.nLayers; ++l) {
      auto t = [&](LayerTensor k) { return &w.get(names::layer(l, k)); };
      Layer L;
      L.attnNorm = t(LayerTensor::AttnNorm)->data;
      L.mlpNorm = t(LayerTensor::MLPNorm)->data;
      L.qkv = Packed({t(LayerTensor::Q), t(LayerTensor::K), t(LayerTensor::V)});
      L.o = Packed({t(LayerTensor::O)});
      L.gateUp = Packed({t(LayerTensor::Gate), t(LayerTensor::Up)});
      L.down = Packed({t(LayerTensor::Down)});
      layers.push_back(std::move(L));
    }
  }

  void rope(float *vec, int64_t nHeads, int64_t pos) const {
    int64_t hd = c.headDim(), half = hd / 2;
    for (int64_t i = 0; i < half; ++i) {
      // theta^(-2i/hd) in double: a correctly rounded angle per position.
      double angle = pos * std::pow(double(c.ropeTheta), -2.0 * i / hd);
      float cs = float(std::cos(angle)), sn = float(std::sin(angle));
      for (int64_t h = 0; h < nHeads; ++h) {
        float *x = vec + h * hd;
        int64_t a = c.ropeStyle == LlamaConfig::HalfSplit ? i : 2 * i;
        int64_t b = c.ropeStyle == LlamaConfig::HalfSplit ? i + half : 2 * i + 1;
        float x0 = x[a], x1 = x[b];
        x[a] = x0 * cs - x1 * sn;
        x[b] = x1 * cs + x0 * sn;
      }
    }
  }

  /// Buffers of one pass over T positions.
  struct Scratch {
    std::vector<float> xn, qkv, att, tmp, act;
    Scratch(const LlamaConfig &c, int64_t T)
        : xn(T * c.dim), qkv(T * (c.dim + 2 * c.kvDim())), att(T * c.dim),
          tmp(T * std::max(c.dim, 2 * c.hiddenDim)), act(T * c.hiddenDim) {}
  };

  /// Runs layer `l` on hidden states x [T, dim] at positions [start, start
  /// + T) on top of `kv` (which holds positions [0, start) of the layer).
  /// With `rewrite`, the cache receives the keys and values as it rewrites
  /// them and each position attends to its own as computed.
  void layer(int64_t l, float *x, int64_t T, int64_t start, KVCache &kv,
             const Transformer::KVRewrite *rewrite, Scratch &s,
             const Transformer::LinearInputTap *tap = nullptr) const {
    int64_t D = c.dim, hd = c.headDim(), kvD = c.kvDim(), H = c.hiddenDim,
            qkvW = D + 2 * kvD;
    float scale = 1.0f / std::sqrt(float(hd));
    int64_t group = c.nHeads / c.nKVHeads;
    const Layer &L = layers[l];
    rmsNorm(x, T, D, L.attnNorm.data(), c.normEps, s.xn.data());
    matmul(s.xn.data(), T, L.qkv, s.qkv.data());
    float *K = kv.k[l].data(), *V = kv.v[l].data();
    for (int64_t t = 0; t < T; ++t) {
      float *row = &s.qkv[t * qkvW];
      rope(row, c.nHeads, start + t);
      rope(row + D, c.nKVHeads, start + t);
      std::copy_n(row + D, kvD, K + (start + t) * kvD);
      std::copy_n(row + D + kvD, kvD, V + (start + t) * kvD);
    }
    if (rewrite) {
      (*rewrite)(l, /*keys=*/true, K + start * kvD, T);
      (*rewrite)(l, /*keys=*/false, V + start * kvD, T);
    }
    // One task per (head, block of queries); each owns its score buffer.
    constexpr int64_t QBlock = 16;
    int64_t qBlocks = (T + QBlock - 1) / QBlock;
    auto attnTask = [&](size_t i) {
      int64_t h = int64_t(i) % c.nHeads, qb = int64_t(i) / c.nHeads;
      std::vector<float> scores(start + T);
      for (int64_t t = qb * QBlock; t < std::min(T, (qb + 1) * QBlock); ++t) {
        const float *own = rewrite ? &s.qkv[t * qkvW + D + (h / group) * hd] : nullptr;
        attendOne(&s.qkv[t * qkvW + h * hd], K + (h / group) * hd,
                  V + (h / group) * hd, start + t + 1, hd, kvD, scale,
                  scores.data(), &s.att[t * D + h * hd], own,
                  own ? own + kvD : nullptr);
      }
    };
    size_t attnTasks = size_t(qBlocks * c.nHeads);
    if (T == 1)
      for (size_t i = 0; i < attnTasks; ++i)
        attnTask(i);
    else
      llvm::parallelFor(0, attnTasks, attnTask);
    if (tap)
      (*tap)(l, Transformer::LinearInput::O, s.att.data(), T);
    matmul(s.att.data(), T, L.o, s.tmp.data());
    for (int64_t i = 0; i < T * D; ++i)
      x[i] += s.tmp[i];

    rmsNorm(x, T, D, L.mlpNorm.data(), c.normEps, s.xn.data());
    matmul(s.xn.data(), T, L.gateUp, s.tmp.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < H; ++j) {
        float g = s.tmp[t * 2 * H + j], u = s.tmp[t * 2 * H + H + j];
        s.act[t * H + j] = g / (1.0f + std::exp(-g)) * u;
      }
    if (tap)
      (*tap)(l, Transformer::LinearInput::Down, s.act.data(), T);
    matmul(s.act.data(), T, L.down, s.tmp.data());
    for (int64_t i = 0; i < T * D; ++i)
      x[i] += s.tmp[i];
  }

  /// Runs tokens at positions [start, start + T) on top of `kv` (which holds
  /// positions [0, start)); writes logits [T, vocab].
  void run(ArrayRef<int32_t> tokens, int64_t start, KVCache &kv,
           float *logits) const {
    int64_t T = tokens.size(), D = c.dim;
    kv.reserve(start + T, c.nLayers, c.kvDim());
    kv.length = start + T;
    std::vector<float> x(T * D);
    for (int64_t t = 0; t < T; ++t)
      std::copy_n(&embed[int64_t(tokens[t]) * D], D, &x[t * D]);
    Scratch s(c, T);
    for (int64_t l = 0; l < c.nLayers; ++l)
      layer(l, x.data(), T, start, kv, nullptr, s);
    rmsNorm(x.data(), T, D, finalNorm.data(), c.normEps, s.xn.data());
    matmul(s.xn.data(), T, lmHead, logits);
  }

  llvm::Error checkTokens(ArrayRef<int32_t> tokens) const {
    for (size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] < 0 || tokens[i] >= c.vocabSize)
        return makeError("transformer: token " + llvm::Twine(tokens[i]) +
                         " at index " + llvm::Twine(i) +
                         " is outside the vocabulary of " +
                         llvm::Twine(c.vocabSize));
    return llvm::Error::success();
  }
};

Transformer::Transformer(const LlamaModel &model)
    : impl(std::make_unique<Impl>(model)) {}
Transformer::~Transformer() = default;
Transformer::Transformer(Transformer &&) = default;
Transformer &Transformer::operator=(Transformer &&) = default;

const LlamaConfig &Transformer::config() const { return impl->c; }

llvm::Expected<std::vector<float>>
Transformer::forward(ArrayRef<int32_t> tokens) const {
  if (tokens.empty())
    return makeError("transformer: forward() needs at least one token");
  if (int64_t(tokens.size()) > impl->c.maxSeqLen)
    return makeError("transformer: " + llvm::Twine(tokens.size()) +
                     " tokens exceed max_seq_len " +
                     llvm::Twine(impl->c.maxSeqLen));
  if (llvm::Error e = impl->checkTokens(tokens))
    return std::move(e);
  std::vector<float> logits(tokens.size() * impl->c.vocabSize);
  KVCache kv;
  impl->run(tokens, 0, kv, logits.data());
  return logits;
}

llvm::Expected<ArrayRef<float>> Transformer::decode(int32_t token,
                                                    int64_t pos) {
  if (pos < 0 || pos > impl->cache.length || pos >= impl->c.maxSeqLen)
    return makeError("transformer: decode position " + llvm::Twine(pos) +
                     " is invalid with " + llvm::Twine(impl->cache.length) +
                     " cached positions and max_seq_len " +
                     llvm::Twine(impl->c.maxSeqLen));
  if (llvm::Error e = impl->checkTokens(token))
    return std::move(e);
  impl->lastLogits.resize(impl->c.vocabSize);
  impl->run(token, pos, impl->cache, impl->lastLogits.data());
  return ArrayRef<float>(impl->lastLogits);
}

void Transformer::reset() { impl->cache = KVCache(); }

llvm::Expected<std::vector<float>>
Transformer::embed(ArrayRef<int32_t> tokens) const {
  if (tokens.empty() || int64_t(tokens.size()) > impl->c.maxSeqLen)
    return makeError("transformer: embed() needs 1 to max_seq_len (" +
                     llvm::Twine(impl->c.maxSeqLen) + ") tokens, got " +
                     llvm::Twine(tokens.size()));
  if (llvm::Error e = impl->checkTokens(tokens))
    return std::move(e);
  int64_t D = impl->c.dim;
  std::vector<float> x(tokens.size() * D);
  for (size_t t = 0; t < tokens.size(); ++t)
    std::copy_n(&impl->embed[int64_t(tokens[t]) * D], D, &x[t * D]);
  return x;
}

void Transformer::runLayers(llvm::MutableArrayRef<float> x, int64_t first,
                            int64_t count, KVRewrite rewrite, LinearInputTap tap) const {
  const LlamaConfig &c = impl->c;
  int64_t T = int64_t(x.size()) / c.dim;
  assert(T >= 1 && T <= c.maxSeqLen && int64_t(x.size()) == T * c.dim &&
         first >= 0 && count >= 0 && first + count <= c.nLayers &&
         "runLayers: bad hidden states or layer range");
  KVCache kv;
  kv.reserve(T, c.nLayers, c.kvDim());
  kv.length = T;
  Impl::Scratch s(c, T);
  for (int64_t l = first; l < first + count; ++l)
    impl->layer(l, x.data(), T, 0, kv, rewrite ? &rewrite : nullptr, s, tap ? &tap : nullptr);
}
