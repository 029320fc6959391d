//===- TestUtil.h - Shared helpers for the LQModel tests -------*- C++ -*-===//

#ifndef LQ_TEST_UNIT_MODEL_TESTUTIL_H
#define LQ_TEST_UNIT_MODEL_TESTUTIL_H

#include "lq/Model/Llama.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>

namespace lq::test {

/// The message of a failed llvm::Expected / llvm::Error, or nullopt.
template <typename T>
std::optional<std::string> errorMessage(llvm::Expected<T> &&e) {
  if (e)
    return std::nullopt;
  return llvm::toString(e.takeError());
}
inline std::optional<std::string> errorMessage(llvm::Error &&e) {
  if (!e)
    return std::nullopt;
  return llvm::toString(std::move(e));
}

/// Expects `expr` to fail with a message containing `needle`.
#define EXPECT_ERROR_CONTAINS(expr, needle)                                    \
  do {                                                                         \
    std::optional<std::string> lqMsg = ::lq::test::errorMessage((expr));       \
    if (lqMsg)                                                                 \
      EXPECT_NE(lqMsg->find(needle), std::string::npos) << *lqMsg;             \
    else                                                                       \
      ADD_FAILURE() << "expected an error containing '" << (needle) << "'";    \
  } while (0)

/// Asserts that `expr` (an lvalue or temporary Expected / Error) succeeded.
#define ASSERT_OK(expr)                                                        \
  do {                                                                         \
    auto &&lqRes = (expr);                                                     \
    ASSERT_TRUE(::lq::test::succeeded(lqRes))                                  \
        << llvm::toString(::lq::test::takeErr(lqRes));                         \
  } while (0)

template <typename T> bool succeeded(llvm::Expected<T> &e) { return !!e; }
inline bool succeeded(llvm::Error &e) { return !e; }
template <typename T> llvm::Error takeErr(llvm::Expected<T> &e) {
  return e.takeError();
}
inline llvm::Error takeErr(llvm::Error &e) { return std::move(e); }

/// The repository root: $QUANT_OPT_SRC_ROOT (set by lit) or the path this
/// file was compiled from.
inline std::string srcRoot() {
  if (const char *env = std::getenv("QUANT_OPT_SRC_ROOT"))
    return env;
  llvm::SmallString<256> p(__FILE__);
  for (int i = 0; i < 4; ++i)
    llvm::sys::path::remove_filename(p);
  return std::string(p);
}
/// test/data/llama-docs-2m, shipped with the repository.
inline std::string shippedModelDir() {
  return srcRoot() + "/test/data/llama-docs-2m";
}
/// ../shared/data, or "" when absent (tests using it skip).
inline std::string sharedDataDir() {
  std::string d = srcRoot() + "/../shared/data";
  return llvm::sys::fs::is_directory(d) ? d : "";
}

/// A fresh directory removed at destruction.
class TempDir {
public:
  TempDir() {
    llvm::SmallString<128> p;
    if (llvm::sys::fs::createUniqueDirectory("lq-model-test", p))
      ADD_FAILURE() << "cannot create a temp dir";
    path = std::string(p);
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    return path + "/" + name.str();
  }
  std::string path;
};

inline void writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << ec.message();
  os << bytes;
}

/// A small random Llama (HF layout) with every structural feature: GQA,
/// several layers, untied classifier unless `tied`.
inline LlamaModel tinyModel(bool tied = false, uint32_t seed = 1) {
  LlamaModel m;
  LlamaConfig &c = m.config;
  c.dim = 16;
  c.hiddenDim = 24;
  c.nLayers = 2;
  c.nHeads = 4;
  c.nKVHeads = 2;
  c.vocabSize = 40;
  c.maxSeqLen = 32;
  c.tiedEmbeddings = tied;
  std::mt19937 rng(seed);
  // Multiples of 1/64 in [-1, 1): exact in F16 and BF16, so conversions
  // round-trip bit for bit.
  std::uniform_int_distribution<int> dist(-64, 63);
  auto make = [&](std::vector<int64_t> shape, float base = 0) {
    Tensor t(shape, {});
    t.data.resize(t.numel());
    for (float &v : t.data)
      v = base + dist(rng) / 64.0f;
    return t;
  };
  auto &w = m.weights.tensors;
  w[names::Embed] = make({c.vocabSize, c.dim});
  for (int64_t l = 0; l < c.nLayers; ++l)
    for (names::LayerTensor k : names::AllLayerTensors) {
      bool norm = k == names::LayerTensor::AttnNorm ||
                  k == names::LayerTensor::MLPNorm;
      w[names::layer(l, k)] =
          make(names::expectedShape(c, k), norm ? 1.0f : 0.0f);
    }
  w[names::FinalNorm] = make({c.dim}, 1.0f);
  if (tied)
    w[names::LMHead] = w[names::Embed];
  else
    w[names::LMHead] = make({c.vocabSize, c.dim});
  return m;
}

/// HF config.json text for `c`.
inline std::string configJSON(const LlamaConfig &c) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "{\"model_type\": \"llama\", \"hidden_size\": " << c.dim
     << ", \"intermediate_size\": " << c.hiddenDim
     << ", \"num_hidden_layers\": " << c.nLayers
     << ", \"num_attention_heads\": " << c.nHeads
     << ", \"num_key_value_heads\": " << c.nKVHeads
     << ", \"vocab_size\": " << c.vocabSize
     << ", \"max_position_embeddings\": " << c.maxSeqLen
     << ", \"rms_norm_eps\": 1e-05, \"rope_theta\": 10000.0, "
        "\"tie_word_embeddings\": "
     << (c.tiedEmbeddings ? "true" : "false") << "}";
  return s;
}

/// A safetensors file holding `tensors` (name -> tensor) as F32, or with a
/// raw header override when `header` is non-empty.
inline std::string
safetensorsBytes(const std::vector<std::pair<std::string, const Tensor *>> &ts,
                 const std::string &dtype = "F32") {
  std::string header = "{\"__metadata__\": {\"format\": \"pt\"}";
  std::string data;
  for (const auto &[name, t] : ts) {
    size_t begin = data.size();
    for (float v : t->data) {
      if (dtype == "F32") {
        data.append((const char *)&v, 4);
      } else {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        uint16_t h;
        if (dtype == "BF16") {
          h = uint16_t(bits >> 16); // test values are exact in BF16
        } else {
          // F16 of k/64, |k| <= 64, plus the norms' 1 + k/64: exact.
          int exp = int((bits >> 23) & 0xff) - 127 + 15;
          h = uint16_t((bits >> 16) & 0x8000);
          if ((bits & 0x7fffffff) != 0)
            h |= uint16_t(exp << 10) | uint16_t((bits >> 13) & 0x3ff);
        }
        data.append((const char *)&h, 2);
      }
    }
    std::string shape;
    for (size_t i = 0; i < t->shape.size(); ++i)
      shape += (i ? "," : "") + std::to_string(t->shape[i]);
    header += ", \"" + name + "\": {\"dtype\": \"" + dtype +
              "\", \"shape\": [" + shape + "], \"data_offsets\": [" +
              std::to_string(begin) + ", " + std::to_string(data.size()) +
              "]}";
  }
  header += "}";
  uint64_t n = header.size();
  return std::string((const char *)&n, 8) + header + data;
}

inline std::vector<std::pair<std::string, const Tensor *>>
allTensors(const LlamaModel &m) {
  std::vector<std::pair<std::string, const Tensor *>> out;
  for (const auto &[name, t] : m.weights.tensors)
    if (!(m.config.tiedEmbeddings && name == names::LMHead))
      out.push_back({name, &t});
  return out;
}

inline std::string rawHeaderFile(const std::string &header,
                                 const std::string &data) {
  uint64_t n = header.size();
  return std::string((const char *)&n, 8) + header + data;
}

} // namespace lq::test

#endif // LQ_TEST_UNIT_MODEL_TESTUTIL_H
