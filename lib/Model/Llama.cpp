//===- Llama.cpp - Llama configuration, weights and validation ------------===//

#include "lq/Model/Llama.h"
#include "Support.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include <cassert>
#include <cmath>

using namespace lq;
using namespace lq::detail;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

// Far above any real Llama, yet small enough that every product of two of
// them (and the KV cache size) fits in int64 without care.
static constexpr int64_t MaxDim = int64_t(1) << 20;
static constexpr int64_t MaxLayers = 4096;
static constexpr int64_t MaxVocab = int64_t(1) << 24;

Error LlamaConfig::validate(StringRef source) const {
  auto check = [&](int64_t v, int64_t max, const char *field) -> Error {
    if (v <= 0 || v > max)
      return makeError(source + ": " + field + " = " + llvm::Twine(v) +
                       " is out of range [1, " + llvm::Twine(max) + "]");
    return Error::success();
  };
  if (Error e = check(dim, MaxDim, "dim (hidden_size)"))
    return e;
  if (Error e = check(hiddenDim, MaxDim, "hidden_dim (intermediate_size)"))
    return e;
  if (Error e = check(nLayers, MaxLayers, "n_layers"))
    return e;
  if (Error e = check(nHeads, dim, "n_heads"))
    return e;
  if (Error e = check(nKVHeads, nHeads, "n_kv_heads"))
    return e;
  if (Error e = check(vocabSize, MaxVocab, "vocab_size"))
    return e;
  if (Error e = check(maxSeqLen, MaxDim, "max_seq_len"))
    return e;
  if (dim % nHeads)
    return makeError(source + ": dim " + llvm::Twine(dim) +
                     " is not divisible by n_heads " + llvm::Twine(nHeads));
  if (nHeads % nKVHeads)
    return makeError(source + ": n_heads " + llvm::Twine(nHeads) +
                     " is not divisible by n_kv_heads " +
                     llvm::Twine(nKVHeads));
  if (headDim() % 2)
    return makeError(source + ": head dim " + llvm::Twine(headDim()) +
                     " is odd; RoPE needs pairs");
  // eps = 0 divides by zero on an all-zero row (a padding embedding).
  if (!std::isfinite(normEps) || normEps <= 0)
    return makeError(source + ": rms_norm_eps must be finite and > 0");
  if (!std::isfinite(ropeTheta) || ropeTheta <= 0)
    return makeError(source + ": rope_theta must be finite and > 0");
  return Error::success();
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string Tensor::shapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string names::layer(int64_t layer, LayerTensor kind) {
  const char *suffix = "";
  switch (kind) {
  case LayerTensor::AttnNorm:
    suffix = "input_layernorm.weight";
    break;
  case LayerTensor::Q:
    suffix = "self_attn.q_proj.weight";
    break;
  case LayerTensor::K:
    suffix = "self_attn.k_proj.weight";
    break;
  case LayerTensor::V:
    suffix = "self_attn.v_proj.weight";
    break;
  case LayerTensor::O:
    suffix = "self_attn.o_proj.weight";
    break;
  case LayerTensor::MLPNorm:
    suffix = "post_attention_layernorm.weight";
    break;
  case LayerTensor::Gate:
    suffix = "mlp.gate_proj.weight";
    break;
  case LayerTensor::Up:
    suffix = "mlp.up_proj.weight";
    break;
  case LayerTensor::Down:
    suffix = "mlp.down_proj.weight";
    break;
  }
  return "model.layers." + std::to_string(layer) + "." + suffix;
}

std::vector<int64_t> names::expectedShape(const LlamaConfig &c,
                                          LayerTensor kind) {
  switch (kind) {
  case LayerTensor::AttnNorm:
  case LayerTensor::MLPNorm:
    return {c.dim};
  case LayerTensor::Q:
  case LayerTensor::O:
    return {c.dim, c.dim};
  case LayerTensor::K:
  case LayerTensor::V:
    return {c.kvDim(), c.dim};
  case LayerTensor::Gate:
  case LayerTensor::Up:
    return {c.hiddenDim, c.dim};
  case LayerTensor::Down:
    return {c.dim, c.hiddenDim};
  }
  return {};
}

const Tensor *LlamaWeights::lookup(StringRef name) const {
  auto it = tensors.find(name.str());
  return it == tensors.end() ? nullptr : &it->second;
}
Tensor *LlamaWeights::lookup(StringRef name) {
  auto it = tensors.find(name.str());
  return it == tensors.end() ? nullptr : &it->second;
}
const Tensor &LlamaWeights::get(StringRef name) const {
  const Tensor *t = lookup(name);
  assert(t && "missing tensor; validate the model first");
  return *t;
}
Tensor &LlamaWeights::get(StringRef name) {
  Tensor *t = lookup(name);
  assert(t && "missing tensor; validate the model first");
  return *t;
}

Error LlamaWeights::add(StringRef name, Tensor tensor, StringRef source) {
  if (!tensors.emplace(name.str(), std::move(tensor)).second)
    return makeError(source + ": duplicate tensor '" + name + "'");
  return Error::success();
}

int64_t LlamaWeights::numParameters(bool tied) const {
  int64_t n = 0;
  for (const auto &[name, t] : tensors)
    if (!(tied && name == names::LMHead))
      n += t.numel();
  return n;
}

Error LlamaModel::validate(StringRef source) {
  if (Error e = config.validate(source))
    return e;
  if (config.tiedEmbeddings && !weights.lookup(names::LMHead))
    if (const Tensor *embed = weights.lookup(names::Embed))
      weights.tensors[names::LMHead] = *embed;

  llvm::SmallVector<std::pair<std::string, std::vector<int64_t>>, 0> expected;
  expected.push_back({names::Embed, {config.vocabSize, config.dim}});
  for (int64_t l = 0; l < config.nLayers; ++l)
    for (names::LayerTensor kind : names::AllLayerTensors)
      expected.push_back(
          {names::layer(l, kind), names::expectedShape(config, kind)});
  expected.push_back({names::FinalNorm, {config.dim}});
  expected.push_back({names::LMHead, {config.vocabSize, config.dim}});

  llvm::StringSet<> known;
  for (const auto &[name, shape] : expected) {
    known.insert(name);
    const Tensor *t = weights.lookup(name);
    if (!t)
      return makeError(source + ": missing tensor '" + name + "'");
    Tensor want(shape, {});
    if (t->shape != shape)
      return makeError(source + ": tensor '" + name + "' has shape " +
                       t->shapeString() + ", config expects " +
                       want.shapeString());
    if (int64_t(t->data.size()) != t->numel())
      return makeError(source + ": tensor '" + name +
                       "' holds the wrong number of values");
    for (size_t i = 0; i < t->data.size(); ++i)
      if (!std::isfinite(t->data[i]))
        return makeError(source + ": tensor '" + name +
                         "' has a non-finite value (" +
                         std::to_string(t->data[i]) + ") at element " +
                         llvm::Twine(i));
  }
  for (const auto &[name, t] : weights.tensors)
    if (!known.contains(name))
      return makeError(source + ": unexpected tensor '" + name + "'");
  return Error::success();
}

void lq::convertRopeStyle(LlamaModel &model, LlamaConfig::RopeStyle to) {
  LlamaConfig &c = model.config;
  if (c.ropeStyle == to)
    return;
  int64_t hd = c.headDim(), half = hd / 2, in = c.dim;
  auto permute = [&](Tensor &w) {
    std::vector<float> out(w.data.size());
    int64_t heads = w.shape[0] / hd;
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < half; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          int64_t hsRow = h * hd + i + j * half, ilRow = h * hd + 2 * i + j;
          int64_t src = to == LlamaConfig::Interleaved ? hsRow : ilRow;
          int64_t dst = to == LlamaConfig::Interleaved ? ilRow : hsRow;
          std::copy_n(&w.data[src * in], in, &out[dst * in]);
        }
    w.data = std::move(out);
  };
  for (int64_t l = 0; l < c.nLayers; ++l) {
    permute(model.weights.get(names::layer(l, names::LayerTensor::Q)));
    permute(model.weights.get(names::layer(l, names::LayerTensor::K)));
  }
  c.ropeStyle = to;
}

//===----------------------------------------------------------------------===//
// detail helpers
//===----------------------------------------------------------------------===//

llvm::Expected<llvm::json::Value>
detail::parseJSON(StringRef text, const llvm::Twine &source,
                  bool rejectDuplicates) {
  // Nesting depth outside strings; malformed text is left to the parser.
  unsigned depth = 0;
  for (size_t i = 0, n = text.size(); i < n; ++i) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < n && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > MaxJSONDepth)
        return makeError(source + ": invalid JSON: nested deeper than " +
                         llvm::Twine(MaxJSONDepth) + " levels at byte " +
                         llvm::Twine(i));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  Expected<llvm::json::Value> v = llvm::json::parse(text);
  if (!v)
    return makeError(source + ": invalid JSON: " + toString(v.takeError()));
  if (rejectDuplicates)
    if (std::optional<std::string> dup = findDuplicateKey(text))
      return makeError(source + ": duplicate JSON key '" + *dup + "'");
  return v;
}

std::optional<std::string> detail::findDuplicateKey(StringRef json) {
  // A small scanner over already-validated JSON: a stack of key sets, one per
  // open object; arrays push an empty marker so their strings are not keys.
  struct Frame {
    bool isObject;
    llvm::StringSet<> keys;
  };
  std::vector<Frame> stack;
  bool expectKey = false;
  for (size_t i = 0, n = json.size(); i < n; ++i) {
    char c = json[i];
    if (c == '{') {
      stack.push_back({true, {}});
      expectKey = true;
    } else if (c == '[') {
      stack.push_back({false, {}});
      expectKey = false;
    } else if (c == '}' || c == ']') {
      if (!stack.empty())
        stack.pop_back();
      expectKey = false;
    } else if (c == ',') {
      expectKey = !stack.empty() && stack.back().isObject;
    } else if (c == '"') {
      size_t start = i++;
      while (i < n && json[i] != '"')
        i += json[i] == '\\' ? 2 : 1;
      if (expectKey && !stack.empty()) {
        // Decode escapes so "a" and "\u0061" compare equal.
        StringRef raw = json.slice(start, std::min(i + 1, n));
        std::string key = raw.drop_front().drop_back().str();
        if (raw.contains('\\'))
          if (auto v = llvm::json::parse(raw))
            if (auto s = v->getAsString())
              key = s->str();
        if (!stack.back().keys.insert(key).second)
          return key;
      }
      expectKey = false;
    }
  }
  return std::nullopt;
}

void detail::convertToFloat(DType type, const char *src, size_t count,
                            float *dst) {
  if (count == 0) // dst may be null (an empty vector's data())
    return;
  switch (type) {
  case DType::F32:
    std::memcpy(dst, src, count * 4);
    return;
  case DType::F16:
    for (size_t i = 0; i < count; ++i)
      dst[i] = f16ToFloat(loadLE<uint16_t>(src + 2 * i));
    return;
  case DType::BF16:
    for (size_t i = 0; i < count; ++i)
      dst[i] = bf16ToFloat(loadLE<uint16_t>(src + 2 * i));
    return;
  }
}
