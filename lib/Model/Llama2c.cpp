//===- Llama2c.cpp - llama2.c legacy checkpoint reader/writer -------------===//
//
// Layout (run.c, memory_map_weights): int32 header {dim, hidden_dim,
// n_layers, n_heads, n_kv_heads, vocab_size, seq_len}, then fp32
//   token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim],
//   wk [L, kv_dim, dim], wv [L, kv_dim, dim], wo [L, dim, dim],
//   rms_ffn [L, dim], w1 [L, hidden, dim], w2 [L, dim, hidden],
//   w3 [L, hidden, dim], rms_final [dim], freq_cis_real and freq_cis_imag
//   [seq_len, head_dim / 2] (unused), wcls [vocab, dim] if vocab_size < 0.
// Stacked per-layer arrays are split into per-layer HF-named tensors;
// w1/w2/w3 are gate/down/up.
//
//===----------------------------------------------------------------------===//

#include "lq/Model/Readers.h"
#include "Support.h"

#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace lq;
using namespace lq::detail;
using names::LayerTensor;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
/// One stacked array of the file: which tensor it feeds and its per-layer
/// shape (layer == -1 for the non-stacked ones).
struct Section {
  const char *what;
  bool perLayer;
  std::optional<LayerTensor> kind;
  const char *globalName;
  std::vector<int64_t> shape;
};
} // namespace

static std::vector<Section> sections(const LlamaConfig &c, bool sharedCls) {
  auto s = [&](LayerTensor k) { return names::expectedShape(c, k); };
  int64_t tableLen = c.maxSeqLen * (c.headDim() / 2);
  std::vector<Section> out = {
      {"token_embedding_table", false, {}, names::Embed, {c.vocabSize, c.dim}},
      {"rms_att_weight", true, LayerTensor::AttnNorm, nullptr,
       s(LayerTensor::AttnNorm)},
      {"wq", true, LayerTensor::Q, nullptr, s(LayerTensor::Q)},
      {"wk", true, LayerTensor::K, nullptr, s(LayerTensor::K)},
      {"wv", true, LayerTensor::V, nullptr, s(LayerTensor::V)},
      {"wo", true, LayerTensor::O, nullptr, s(LayerTensor::O)},
      {"rms_ffn_weight", true, LayerTensor::MLPNorm, nullptr,
       s(LayerTensor::MLPNorm)},
      {"w1", true, LayerTensor::Gate, nullptr, s(LayerTensor::Gate)},
      {"w2", true, LayerTensor::Down, nullptr, s(LayerTensor::Down)},
      {"w3", true, LayerTensor::Up, nullptr, s(LayerTensor::Up)},
      {"rms_final_weight", false, {}, names::FinalNorm, {c.dim}},
      {"freq_cis_real", false, {}, nullptr, {tableLen}},
      {"freq_cis_imag", false, {}, nullptr, {tableLen}},
  };
  if (!sharedCls)
    out.push_back({"wcls", false, {}, names::LMHead, {c.vocabSize, c.dim}});
  return out;
}

static int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Expected<LlamaModel> lq::readLlama2c(llvm::MemoryBufferRef buffer) {
  StringRef source = buffer.getBufferIdentifier();
  StringRef bytes = buffer.getBuffer();
  ByteCursor cur(bytes);
  int32_t h[7];
  for (int32_t &v : h)
    if (!cur.read(v))
      return makeError(source + ": file too small for the 28-byte llama2.c "
                                "header (" +
                       llvm::Twine(bytes.size()) + " bytes)");
  LlamaModel model;
  LlamaConfig &c = model.config;
  c.dim = h[0];
  c.hiddenDim = h[1];
  c.nLayers = h[2];
  c.nHeads = h[3];
  c.nKVHeads = h[4];
  // INT32_MIN has no positive counterpart; validate() rejects the 0 below.
  c.vocabSize = h[5] == INT32_MIN ? 0 : std::abs(h[5]);
  c.maxSeqLen = h[6];
  c.tiedEmbeddings = h[5] > 0;
  c.ropeStyle = LlamaConfig::Interleaved;
  c.normEps = 1e-5f;
  c.ropeTheta = 10000.0f;
  if (Error e = c.validate(source))
    return std::move(e);

  // The config bounds keep these sums far below 2^63.
  std::vector<Section> secs = sections(c, c.tiedEmbeddings);
  int64_t floats = 0;
  for (const Section &s : secs)
    floats += product(s.shape) * (s.perLayer ? c.nLayers : 1);
  uint64_t want = uint64_t(floats) * 4 + 28;
  if (bytes.size() != want)
    return makeError(source + ": file is " + llvm::Twine(bytes.size()) +
                     " bytes, header (dim " + llvm::Twine(c.dim) +
                     ", hidden_dim " + llvm::Twine(c.hiddenDim) +
                     ", n_layers " + llvm::Twine(c.nLayers) + ", vocab " +
                     llvm::Twine(h[5]) + ", seq_len " + llvm::Twine(c.maxSeqLen) +
                     ") implies " + llvm::Twine(want));

  for (const Section &s : secs) {
    int64_t n = product(s.shape);
    for (int64_t l = 0; l < (s.perLayer ? c.nLayers : 1); ++l) {
      StringRef raw;
      bool ok = cur.readBytes(uint64_t(n) * 4, raw);
      (void)ok;
      assert(ok && "size checked above");
      if (!s.kind && !s.globalName)
        continue;
      std::vector<float> values(n);
      convertToFloat(DType::F32, raw.data(), n, values.data());
      std::string name =
          s.kind ? names::layer(l, *s.kind) : std::string(s.globalName);
      if (Error e = model.weights.add(name, Tensor(s.shape, std::move(values)),
                                      source))
        return std::move(e);
    }
  }
  if (Error e = model.validate(source))
    return std::move(e);
  return model;
}

Expected<LlamaModel> lq::readLlama2cFile(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buf)
    return makeError("cannot open '" + path + "': " + buf.getError().message());
  return readLlama2c((*buf)->getMemBufferRef());
}

Expected<std::vector<char>> lq::serializeLlama2c(const LlamaModel &in) {
  const LlamaConfig &c = in.config;
  if (Error e = c.validate("llama2.c writer"))
    return std::move(e);
  if (c.normEps != 1e-5f || c.ropeTheta != 10000.0f)
    return makeError("llama2.c writer: the format fixes rms_norm_eps = 1e-5 "
                     "and rope_theta = 10000; this model has " +
                     std::to_string(c.normEps) + " and " +
                     std::to_string(c.ropeTheta));
  if (c.dim > INT32_MAX || c.vocabSize > INT32_MAX)
    return makeError("llama2.c writer: sizes exceed int32");
  const LlamaModel *m = &in;
  LlamaModel converted;
  if (c.ropeStyle != LlamaConfig::Interleaved) {
    converted = in;
    convertRopeStyle(converted, LlamaConfig::Interleaved);
    m = &converted;
  }
  std::vector<char> out;
  auto put = [&](const void *p, size_t n) {
    out.insert(out.end(), (const char *)p, (const char *)p + n);
  };
  int32_t header[7] = {int32_t(c.dim),      int32_t(c.hiddenDim),
                       int32_t(c.nLayers),  int32_t(c.nHeads),
                       int32_t(c.nKVHeads), int32_t(c.vocabSize),
                       int32_t(c.maxSeqLen)};
  if (!c.tiedEmbeddings)
    header[5] = -header[5];
  put(header, sizeof(header));
  int64_t half = c.headDim() / 2;
  for (const Section &s : sections(c, c.tiedEmbeddings)) {
    if (!s.kind && !s.globalName) {
      // RoPE tables as the legacy exporter wrote them (run.c ignores them).
      bool real = StringRef(s.what) == "freq_cis_real";
      for (int64_t p = 0; p < c.maxSeqLen; ++p)
        for (int64_t i = 0; i < half; ++i) {
          double a = p * std::pow(double(c.ropeTheta), -2.0 * i / c.headDim());
          float v = float(real ? std::cos(a) : std::sin(a));
          put(&v, 4);
        }
      continue;
    }
    for (int64_t l = 0; l < (s.perLayer ? c.nLayers : 1); ++l) {
      std::string name =
          s.kind ? names::layer(l, *s.kind) : std::string(s.globalName);
      const Tensor *t = m->weights.lookup(name);
      if (!t || t->shape != s.shape)
        return makeError("llama2.c writer: missing or misshapen tensor '" +
                         name + "'");
      put(t->data.data(), t->data.size() * 4);
    }
  }
  return out;
}

Error lq::writeLlama2c(const LlamaModel &model, StringRef path) {
  auto bytes = serializeLlama2c(model);
  if (!bytes)
    return bytes.takeError();
  auto file = llvm::FileOutputBuffer::create(path, bytes->size());
  if (!file)
    return makeError("cannot create '" + path +
                     "': " + toString(file.takeError()));
  std::copy(bytes->begin(), bytes->end(), (*file)->getBufferStart());
  if (Error e = (*file)->commit())
    return makeError("cannot write '" + path + "': " + toString(std::move(e)));
  return Error::success();
}
