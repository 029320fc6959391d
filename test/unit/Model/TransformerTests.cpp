//===- TransformerTests.cpp - Reference transformer and perplexity --------===//

#include "TestUtil.h"

#include "lq/Model/Perplexity.h"
#include "lq/Model/Readers.h"
#include "lq/Model/Tokenizer.h"
#include "lq/Model/Transformer.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace lq;
using namespace lq::test;

namespace {

const LlamaModel &shippedModel() {
  static LlamaModel m = [] {
    auto r = readHFModel(shippedModelDir());
    if (!r) {
      ADD_FAILURE() << llvm::toString(r.takeError());
      std::abort();
    }
    return std::move(*r);
  }();
  return m;
}

std::vector<int32_t> someTokens(int n, int vocab) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i)
    t.push_back(int32_t((i * 2654435761u + 17) % uint32_t(vocab)));
  return t;
}

float maxAbsDiff(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b) {
  EXPECT_EQ(a.size(), b.size());
  float d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

std::vector<float> forwardOf(const LlamaModel &m,
                             const std::vector<int32_t> &tokens) {
  Transformer t(m);
  auto logits = t.forward(tokens);
  EXPECT_TRUE(!!logits) << llvm::toString(logits.takeError());
  return logits ? *logits : std::vector<float>{};
}

TEST(Transformer, DecodeMatchesForward) {
  const LlamaModel &m = shippedModel();
  Transformer t(m);
  int64_t V = m.config.vocabSize;
  std::vector<int32_t> tokens = someTokens(40, V);
  auto full = t.forward(tokens);
  ASSERT_OK(full);
  for (float v : *full)
    ASSERT_TRUE(std::isfinite(v));
  for (size_t p = 0; p < tokens.size(); ++p) {
    auto step = t.decode(tokens[p], p);
    ASSERT_OK(step);
    // Same operations in the same order: expected bit-identical; 1e-5 states
    // the contract.
    EXPECT_LE(maxAbsDiff(*step, llvm::ArrayRef<float>(*full).slice(p * V, V)),
              1e-5f)
        << "position " << p;
  }
  // Rewinding: re-decode position 10 with another token, then continue.
  ASSERT_OK(t.decode(5, 10));
  std::vector<int32_t> alt(tokens.begin(), tokens.begin() + 12);
  alt[10] = 5;
  auto altFull = t.forward(alt);
  ASSERT_OK(altFull);
  auto step = t.decode(alt[11], 11);
  ASSERT_OK(step);
  EXPECT_LE(maxAbsDiff(*step, llvm::ArrayRef<float>(*altFull).slice(11 * V, V)),
            1e-5f);
}

TEST(Transformer, RunLayersComposesAndRewritesOnlyThePast) {
  const LlamaModel &m = shippedModel();
  Transformer t(m);
  int64_t L = m.config.nLayers, D = m.config.dim;
  std::vector<int32_t> tokens = someTokens(24, m.config.vocabSize);
  auto x = t.embed(tokens);
  ASSERT_OK(x);
  std::vector<float> whole = *x, split = *x, identity = *x, zeroed = *x;
  t.runLayers(whole, 0, L);
  t.runLayers(split, 0, 1);
  t.runLayers(split, 1, L - 1);
  EXPECT_EQ(maxAbsDiff(whole, split), 0.0f);
  // A rewrite that leaves the cache as it is computes the same.
  t.runLayers(identity, 0, L, [](int64_t, bool, float *, int64_t) {});
  EXPECT_EQ(maxAbsDiff(whole, identity), 0.0f);
  // Past-only: with layer 0's cached values zeroed, position 0 (which reads
  // only its own, unrewritten) is unchanged; later positions change.
  t.runLayers(zeroed, 0, L, [&](int64_t l, bool keys, float *rows, int64_t T) {
    if (l == 0 && !keys)
      std::fill(rows, rows + T * m.config.kvDim(), 0.0f);
  });
  llvm::ArrayRef<float> a(whole), b(zeroed);
  EXPECT_EQ(maxAbsDiff(a.take_front(D), b.take_front(D)), 0.0f);
  EXPECT_GT(maxAbsDiff(a.drop_front(D), b.drop_front(D)), 1e-3f);
}

TEST(Transformer, CausalPrefixInvariance) {
  // Logits at position p depend only on tokens[0..p].
  const LlamaModel &m = shippedModel();
  int64_t V = m.config.vocabSize;
  std::vector<int32_t> a = someTokens(30, V), b = a;
  b[20] = (b[20] + 1) % V;
  std::vector<float> la = forwardOf(m, a), lb = forwardOf(m, b);
  EXPECT_EQ(llvm::ArrayRef<float>(la).take_front(20 * V),
            llvm::ArrayRef<float>(lb).take_front(20 * V));
  EXPECT_GT(maxAbsDiff(llvm::ArrayRef<float>(la).slice(20 * V, V),
                       llvm::ArrayRef<float>(lb).slice(20 * V, V)),
            1e-3f);
}

TEST(Transformer, GroupedQueryAttentionMapping) {
  // A GQA model equals the MHA model whose kv head h holds GQA kv head
  // h / (heads / kv_heads): checks the head-to-group mapping.
  LlamaModel gqa = tinyModel(), mha = gqa;
  LlamaConfig &c = mha.config;
  c.nKVHeads = c.nHeads;
  int64_t hd = c.headDim(), group = gqa.config.nHeads / gqa.config.nKVHeads;
  for (int64_t l = 0; l < c.nLayers; ++l)
    for (names::LayerTensor kind : {names::LayerTensor::K, names::LayerTensor::V}) {
      const Tensor &src = gqa.weights.get(names::layer(l, kind));
      Tensor dst({c.nHeads * hd, c.dim}, {});
      for (int64_t h = 0; h < c.nHeads; ++h)
        dst.data.insert(dst.data.end(),
                        src.data.begin() + (h / group) * hd * c.dim,
                        src.data.begin() + (h / group + 1) * hd * c.dim);
      mha.weights.get(names::layer(l, kind)) = dst;
    }
  ASSERT_OK(mha.validate("mha"));
  std::vector<int32_t> tokens = someTokens(20, 40);
  EXPECT_LE(maxAbsDiff(forwardOf(gqa, tokens), forwardOf(mha, tokens)), 1e-5f);
}

TEST(Transformer, RopeStylesComputeTheSameFunction) {
  LlamaModel hf = tinyModel(), il = hf;
  convertRopeStyle(il, LlamaConfig::Interleaved);
  std::vector<int32_t> tokens = someTokens(32, 40);
  std::vector<float> a = forwardOf(hf, tokens), b = forwardOf(il, tokens);
  EXPECT_LE(maxAbsDiff(a, b), 1e-4f);
  // And the style matters: the permuted weights under HalfSplit differ.
  il.config.ropeStyle = LlamaConfig::HalfSplit;
  EXPECT_GT(maxAbsDiff(a, forwardOf(il, tokens)), 1e-3f);
}

TEST(Transformer, Llama2cRoundTripGivesIdenticalLogits) {
  const LlamaModel &m = shippedModel();
  TempDir dir;
  ASSERT_OK(writeLlama2c(m, dir.file("2m.bin")));
  auto back = readLlama2cFile(dir.file("2m.bin"));
  ASSERT_OK(back);
  EXPECT_EQ(back->config.ropeStyle, LlamaConfig::Interleaved);
  std::vector<int32_t> tokens = someTokens(64, m.config.vocabSize);
  // Bit-identical to the same (interleaved) weights held in memory ...
  LlamaModel inMemory = m;
  convertRopeStyle(inMemory, LlamaConfig::Interleaved);
  std::vector<float> fromFile = forwardOf(*back, tokens);
  EXPECT_EQ(fromFile, forwardOf(inMemory, tokens));
  // ... and equal to the HF-layout model up to summation order.
  EXPECT_LE(maxAbsDiff(fromFile, forwardOf(m, tokens)), 1e-4f);
}

TEST(Transformer, GGUFRoundTripGivesSameLogits) {
  const LlamaModel &m = shippedModel();
  std::vector<int32_t> tokens = someTokens(64, m.config.vocabSize);
  std::vector<float> ref = forwardOf(m, tokens);
  // F32 is lossless; BF16 is lossless too for these bf16-trained weights.
  for (GGUFTensorType type : {GGUFTensorType::F32, GGUFTensorType::BF16}) {
    auto bytes = serializeGGUF(m, type);
    ASSERT_OK(bytes);
    auto back = readGGUF(llvm::MemoryBufferRef(
        llvm::StringRef(bytes->data(), bytes->size()), "2m.gguf"));
    ASSERT_OK(back);
    EXPECT_LE(maxAbsDiff(forwardOf(*back, tokens), ref), 1e-4f);
  }
}

TEST(Transformer, Errors) {
  Transformer t(shippedModel());
  EXPECT_ERROR_CONTAINS(t.forward({}), "at least one token");
  EXPECT_ERROR_CONTAINS(t.forward({1, 8192}), "token 8192 at index 1");
  EXPECT_ERROR_CONTAINS(t.forward(std::vector<int32_t>(513, 1)),
                        "exceed max_seq_len");
  EXPECT_ERROR_CONTAINS(t.decode(1, 1), "decode position 1");
  EXPECT_ERROR_CONTAINS(t.decode(-3, 0), "token -3");
}

TEST(Perplexity, WindowProtocol) {
  EXPECT_EQ(countPerplexityWindows(248152, 512), 484); // SOURCES.md
  EXPECT_EQ(countPerplexityWindows(513, 512), 0);
  EXPECT_EQ(countPerplexityWindows(514, 512), 1);
  EXPECT_EQ(countPerplexityWindows(1025, 512), 1);
  EXPECT_EQ(countPerplexityWindows(1026, 512), 2);
  std::vector<float> logits = {0, 0, 0, 0};
  EXPECT_NEAR(tokenNLL(logits, 2), std::log(4.0), 1e-12);
}

TEST(Perplexity, TooShortOrBadTokens) {
  Transformer t(shippedModel());
  EXPECT_ERROR_CONTAINS(computePerplexity(t, std::vector<int32_t>(513, 1)),
                        "too few");
  std::vector<int32_t> ids(600, 1);
  ids[599] = 9000;
  EXPECT_ERROR_CONTAINS(computePerplexity(t, ids), "token 9000 at index 599");
}

TEST(Perplexity, FirstTwoWindowsOfDocsValid) {
  std::string data = sharedDataDir();
  if (data.empty())
    GTEST_SKIP() << "../shared/data not present";
  auto tok = BPETokenizer::fromFile(shippedModelDir() + "/tokenizer.json");
  ASSERT_OK(tok);
  auto buf = llvm::MemoryBuffer::getFile(data + "/text/docs-valid.txt");
  ASSERT_TRUE(!!buf);
  auto ids = tok->encode((*buf)->getBuffer());
  ASSERT_OK(ids);
  Transformer t(shippedModel());
  PerplexityOptions opts;
  opts.maxWindows = 2;
  auto r = computePerplexity(t, *ids, opts);
  ASSERT_OK(r);
  EXPECT_EQ(r->windowsTotal, 484);
  EXPECT_EQ(r->windowsScored, 2);
  EXPECT_EQ(r->numTargets, 1024);
  ASSERT_TRUE(std::isfinite(r->perplexity));
  // Measured with this implementation (quant-ref perplexity --max-windows 2);
  // the full run gives 39.0106 against the training script's 39.0106.
  EXPECT_NEAR(r->perplexity, 25.9413, 0.01);
}

} // namespace
