//===- ReaderTests.cpp - Checkpoint readers on good and hostile files -----===//

#include "TestUtil.h"

#include "lq/Model/Readers.h"
#include "lq/Model/Safetensors.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace lq;
using namespace lq::test;
using llvm::MemoryBufferRef;

namespace {

MemoryBufferRef memRef(llvm::StringRef bytes, llvm::StringRef name = "mem") {
  return MemoryBufferRef(bytes, name);
}
llvm::StringRef str(const std::vector<char> &v) {
  return llvm::StringRef(v.data(), v.size());
}

void expectSameWeights(const LlamaModel &a, const LlamaModel &b) {
  ASSERT_EQ(a.weights.tensors.size(), b.weights.tensors.size());
  for (const auto &[name, t] : a.weights.tensors) {
    const Tensor *u = b.weights.lookup(name);
    ASSERT_TRUE(u) << name;
    EXPECT_EQ(t.shape, u->shape) << name;
    EXPECT_EQ(t.data, u->data) << name;
  }
}

//===----------------------------------------------------------------------===//
// config.json
//===----------------------------------------------------------------------===//

TEST(HFConfig, ParsesShippedConfig) {
  auto buf = llvm::MemoryBuffer::getFile(shippedModelDir() + "/config.json");
  ASSERT_TRUE(!!buf);
  auto c = parseHFConfig((*buf)->getBuffer(), "config.json");
  ASSERT_OK(c);
  EXPECT_EQ(c->dim, 128);
  EXPECT_EQ(c->hiddenDim, 384);
  EXPECT_EQ(c->nLayers, 2);
  EXPECT_EQ(c->nHeads, 4);
  EXPECT_EQ(c->nKVHeads, 2);
  EXPECT_EQ(c->vocabSize, 8192);
  EXPECT_EQ(c->maxSeqLen, 512);
  EXPECT_FLOAT_EQ(c->normEps, 1e-5f);
  EXPECT_FLOAT_EQ(c->ropeTheta, 10000.0f);
  EXPECT_FALSE(c->tiedEmbeddings);
  EXPECT_EQ(c->ropeStyle, LlamaConfig::HalfSplit);
}

TEST(HFConfig, RejectsBadConfigs) {
  std::string good = configJSON(tinyModel().config);
  ASSERT_OK(parseHFConfig(good, "c.json"));
  auto with = [&](const std::string &from, const std::string &to) {
    std::string s = good;
    size_t p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    return s.replace(p, from.size(), to);
  };
  EXPECT_ERROR_CONTAINS(parseHFConfig("{", "c.json"), "c.json: invalid JSON");
  EXPECT_ERROR_CONTAINS(parseHFConfig("[1]", "c.json"), "not a JSON object");
  // llvm::json::parse recurses per level; deep nesting must not overflow
  // the stack.
  std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_ERROR_CONTAINS(parseHFConfig(deep, "c.json"), "nested deeper");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig("{\"a\": " + std::string(300, '{') + "}", "c.json"),
      "nested deeper");
  // Brackets inside strings do not count.
  ASSERT_OK(parseHFConfig(
      with("{", "{\"x\": \"[\\\"" + std::string(1000, '[') + "\", "),
      "c.json"));
  EXPECT_ERROR_CONTAINS(parseHFConfig(with("\"hidden_size\"", "\"x\""), "c.json"),
                        "missing field 'hidden_size'");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("\"hidden_size\": 16", "\"hidden_size\": \"16\""),
                    "c.json"),
      "'hidden_size' is not an integer");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("\"hidden_size\": 16", "\"hidden_size\": 18"), "c.json"),
      "not divisible by n_heads");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("\"num_key_value_heads\": 2",
                         "\"num_key_value_heads\": 3"),
                    "c.json"),
      "n_kv_heads");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("\"hidden_size\": 16", "\"hidden_size\": -16"),
                    "c.json"),
      "out of range");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("\"vocab_size\": 40",
                         "\"vocab_size\": 99999999999999999"),
                    "c.json"),
      "vocab_size");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("{", "{\"vocab_size\": 41, "), "c.json"),
      "duplicate JSON key 'vocab_size'");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("\"llama\"", "\"gpt2\""), "c.json"), "model_type");
  EXPECT_ERROR_CONTAINS(
      parseHFConfig(with("{", "{\"rope_scaling\": {\"type\": \"linear\"}, "),
                    "c.json"),
      "rope_scaling");
}

//===----------------------------------------------------------------------===//
// safetensors
//===----------------------------------------------------------------------===//

TEST(Safetensors, ReadsAllDTypes) {
  LlamaModel m = tinyModel();
  for (const char *dtype : {"F32", "F16", "BF16"}) {
    std::string file = safetensorsBytes(allTensors(m), dtype);
    LlamaWeights w;
    ASSERT_OK(readSafetensors(memRef(file), w));
    LlamaModel back;
    back.config = m.config;
    back.weights = w;
    expectSameWeights(m, back);
  }
}

TEST(Safetensors, TruncatedAtEveryOffsetFails) {
  LlamaModel m = tinyModel();
  Tensor small({3, 2}, {1, 2, 3, 4, 5, 6});
  std::string file = safetensorsBytes({{"a", &small}, {"b", &small}});
  for (size_t n = 0; n < file.size(); ++n) {
    LlamaWeights w;
    llvm::Error e = readSafetensors(memRef(llvm::StringRef(file).take_front(n)), w);
    EXPECT_TRUE(!!e) << "prefix of " << n << " bytes was accepted";
    llvm::consumeError(std::move(e));
  }
  LlamaWeights w;
  ASSERT_OK(readSafetensors(memRef(file), w));
}

TEST(Safetensors, RejectsHostileHeaders) {
  std::string data(24, '\0');
  auto read = [&](const std::string &header,
                  const std::string &payload) -> llvm::Error {
    LlamaWeights w;
    return readSafetensors(memRef(rawHeaderFile(header, payload), "x.st"), w);
  };
  auto entry = [](const std::string &body) { return "{\"t\": {" + body + "}}"; };
  EXPECT_ERROR_CONTAINS(read("[]", data), "not a JSON object");
  EXPECT_ERROR_CONTAINS(read("{", data), "invalid JSON");
  EXPECT_ERROR_CONTAINS(
      read(entry("\"dtype\": \"I8\", \"shape\": [1], \"data_offsets\": [0, 1]"),
           data),
      "unsupported dtype 'I8'");
  EXPECT_ERROR_CONTAINS(
      read(entry("\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]"),
           data),
      "'data_offsets' span 4 bytes");
  EXPECT_ERROR_CONTAINS(
      read(entry("\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [24, "
                 "28]"),
           data),
      "runs past the data section");
  EXPECT_ERROR_CONTAINS(
      read(entry("\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, "
                 "4]"),
           data),
      "0 <= begin <= end");
  EXPECT_ERROR_CONTAINS(
      read(entry("\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, "
                 "4]"),
           data),
      "negative");
  EXPECT_ERROR_CONTAINS(
      read(entry("\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, "
                 "4294967296], \"data_offsets\": [0, 4]"),
           data),
      "overflows");
  EXPECT_ERROR_CONTAINS(
      read(entry("\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": "
                 "[18446744073709551612, 18446744073709551616]"),
           data),
      "data_offsets");
  EXPECT_ERROR_CONTAINS(read(entry("\"shape\": [1], \"data_offsets\": [0, 4]"),
                             data),
                        "missing 'dtype'");
  EXPECT_ERROR_CONTAINS(
      read("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, "
           "8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], "
           "\"data_offsets\": [4, 12]}}",
           data),
      "overlap");
  EXPECT_ERROR_CONTAINS(
      read("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, "
           "4]}, \"a\": {\"dtype\": \"F32\", \"shape\": [1], "
           "\"data_offsets\": [4, 8]}}",
           data),
      "duplicate JSON key 'a'");
  // Header length beyond the file, and beyond 2^63.
  for (uint64_t n : {uint64_t(100), ~uint64_t(0), uint64_t(1) << 63}) {
    std::string f((const char *)&n, 8);
    f += "{}";
    LlamaWeights w;
    EXPECT_ERROR_CONTAINS(readSafetensors(memRef(f, "x.st"), w),
                          "runs past the end of the file");
  }
}

TEST(Safetensors, DuplicateAcrossShardsFails) {
  Tensor small({1}, {1});
  std::string file = safetensorsBytes({{"a", &small}});
  LlamaWeights w;
  ASSERT_OK(readSafetensors(memRef(file, "s1"), w));
  EXPECT_ERROR_CONTAINS(readSafetensors(memRef(file, "s2"), w),
                        "s2: duplicate tensor 'a'");
}

TEST(Safetensors, WritesAnyDTypeAndReadsItBack) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("weights", "safetensors", path));
  llvm::FileRemover remove(path);
  std::string codes = "\x01\x02\x03\x04\x05\x06", scales(8, '\x3c');
  std::vector<SafetensorsTensor> tensors = {{"w.codes", "I8", {2, 3}, codes},
                                            {"w.scales", "F16", {2, 2}, scales}};
  ASSERT_OK(writeSafetensors(path, tensors, {{"format", "lq-weights"}}));
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(!!buffer);
  // The data section starts 64-byte aligned in the file.
  uint64_t headerLength;
  std::memcpy(&headerLength, (*buffer)->getBufferStart(), 8);
  EXPECT_EQ((8 + headerLength) % 64, 0u);
  std::map<std::string, std::string> metadata;
  auto back = parseSafetensors((*buffer)->getMemBufferRef(), &metadata);
  ASSERT_OK(back);
  ASSERT_EQ(back->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*back)[i].name, tensors[i].name);
    EXPECT_EQ((*back)[i].dtype, tensors[i].dtype);
    EXPECT_EQ((*back)[i].shape, tensors[i].shape);
    EXPECT_EQ((*back)[i].bytes, tensors[i].bytes);
  }
  EXPECT_EQ(metadata["format"], "lq-weights");
  // A size that disagrees with the shape is refused, and nothing is written.
  llvm::SmallString<128> other(path);
  other += ".bad";
  EXPECT_ERROR_CONTAINS(writeSafetensors(other, {{"w", "F32", {2}, codes}}),
                        "tensor 'w' has 6 bytes, not what dtype F32 and its shape need");
  EXPECT_FALSE(llvm::sys::fs::exists(other));
}

//===----------------------------------------------------------------------===//
// Hugging Face checkpoint folders
//===----------------------------------------------------------------------===//

TEST(HFModel, ReadsShippedModel) {
  auto m = readHFModel(shippedModelDir());
  ASSERT_OK(m);
  EXPECT_EQ(m->weights.numParameters(false), 2491008);
  EXPECT_EQ(m->weights.tensors.size(), 2u + 2 * 9 + 1);
  // Also through the file path and the dispatcher.
  ASSERT_OK(readHFModel(shippedModelDir() + "/model.safetensors"));
  ASSERT_OK(loadModel(shippedModelDir()));
}

TEST(HFModel, SingleAndSharded) {
  LlamaModel m = tinyModel();
  TempDir dir;
  writeFile(dir.file("config.json"), configJSON(m.config));
  writeFile(dir.file("model.safetensors"),
            safetensorsBytes(allTensors(m), "BF16"));
  auto one = readHFModel(dir.path);
  ASSERT_OK(one);
  expectSameWeights(m, *one);

  TempDir sharded;
  auto all = allTensors(m);
  std::vector<std::pair<std::string, const Tensor *>> a(all.begin(),
                                                        all.begin() + 7),
      b(all.begin() + 7, all.end());
  writeFile(sharded.file("config.json"), configJSON(m.config));
  writeFile(sharded.file("s-1.safetensors"), safetensorsBytes(a, "F16"));
  writeFile(sharded.file("s-2.safetensors"), safetensorsBytes(b));
  std::string index = "{\"metadata\": {}, \"weight_map\": {";
  for (size_t i = 0; i < all.size(); ++i)
    index += (i ? ", \"" : "\"") + all[i].first + "\": \"" +
             (i < 7 ? "s-1" : "s-2") + ".safetensors\"";
  writeFile(sharded.file("model.safetensors.index.json"), index + "}}");
  auto two = readHFModel(sharded.path);
  ASSERT_OK(two);
  expectSameWeights(m, *two);

  writeFile(sharded.file("model.safetensors.index.json"),
            "{\"weight_map\": {\"x\": \"../evil.safetensors\"}}");
  EXPECT_ERROR_CONTAINS(readHFModel(sharded.path), "not a plain file name");
}

TEST(HFModel, StructuralErrors) {
  auto check = [](LlamaModel m, const char *needle) {
    TempDir dir;
    writeFile(dir.file("config.json"), configJSON(tinyModel().config));
    writeFile(dir.file("model.safetensors"), safetensorsBytes(allTensors(m)));
    EXPECT_ERROR_CONTAINS(readHFModel(dir.path), needle);
  };
  LlamaModel m = tinyModel();
  m.weights.tensors.erase(names::layer(1, names::LayerTensor::V));
  check(m, "missing tensor 'model.layers.1.self_attn.v_proj.weight'");

  m = tinyModel();
  m.weights.get(names::FinalNorm) = Tensor({15}, std::vector<float>(15, 1));
  check(m, "tensor 'model.norm.weight' has shape [15], config expects [16]");

  m = tinyModel();
  m.weights.get(names::layer(0, names::LayerTensor::Up)).data[5] = NAN;
  check(m, "non-finite value");
  m = tinyModel();
  m.weights.get(names::Embed).data[7] = -INFINITY;
  check(m, "model.embed_tokens.weight' has a non-finite value");

  m = tinyModel();
  m.weights.tensors["model.layers.2.mlp.up_proj.weight"] = Tensor({1}, {0});
  check(m, "unexpected tensor 'model.layers.2.mlp.up_proj.weight'");

  TempDir empty;
  EXPECT_ERROR_CONTAINS(readHFModel(empty.path), "no model.safetensors");
  writeFile(empty.file("model.safetensors"),
            safetensorsBytes(allTensors(tinyModel())));
  EXPECT_ERROR_CONTAINS(readHFModel(empty.path), "config.json");
}

TEST(HFModel, TiedEmbeddingsMaterializeLMHead) {
  LlamaModel m = tinyModel(/*tied=*/true);
  TempDir dir;
  writeFile(dir.file("config.json"), configJSON(m.config));
  writeFile(dir.file("model.safetensors"), safetensorsBytes(allTensors(m)));
  auto back = readHFModel(dir.path);
  ASSERT_OK(back);
  EXPECT_TRUE(back->config.tiedEmbeddings);
  EXPECT_EQ(back->weights.get(names::LMHead).data,
            m.weights.get(names::Embed).data);
}

//===----------------------------------------------------------------------===//
// RoPE layout conversion
//===----------------------------------------------------------------------===//

TEST(LoadModel, DispatchesOnContentAndName) {
  LlamaModel m = tinyModel();
  TempDir dir;
  writeFile(dir.file("config.json"), configJSON(m.config));
  // A safetensors file under another name is recognised by its header.
  writeFile(dir.file("weights.dat"), safetensorsBytes(allTensors(m)));
  auto st = loadModel(dir.file("weights.dat"));
  ASSERT_OK(st);
  expectSameWeights(m, *st);
  auto gguf = serializeGGUF(m);
  ASSERT_OK(gguf);
  writeFile(dir.file("m.model"), str(*gguf));
  auto g = loadModel(dir.file("m.model"));
  ASSERT_OK(g);
  EXPECT_EQ(g->config.ropeStyle, LlamaConfig::Interleaved);
  auto bin = serializeLlama2c(m);
  ASSERT_OK(bin);
  writeFile(dir.file("m.ckpt"), str(*bin));
  ASSERT_OK(loadModel(dir.file("m.ckpt")));
  // Wrong content for the name, or no recognisable format at all.
  writeFile(dir.file("x.gguf"), str(*bin));
  EXPECT_ERROR_CONTAINS(loadModel(dir.file("x.gguf")), "bad magic");
  writeFile(dir.file("junk.dat"), "not a model at all");
  EXPECT_ERROR_CONTAINS(loadModel(dir.file("junk.dat")),
                        "reading it as a llama2.c checkpoint failed");
  writeFile(dir.file("junk.bin"), "not a model at all");
  EXPECT_ERROR_CONTAINS(loadModel(dir.file("junk.bin")), "llama2.c header");
  EXPECT_ERROR_CONTAINS(loadModel(dir.file("missing")), "cannot open");
}

TEST(RopeStyle, ConversionPermutesAndInverts) {
  LlamaModel m = tinyModel(), c = m;
  convertRopeStyle(c, LlamaConfig::Interleaved);
  EXPECT_EQ(c.config.ropeStyle, LlamaConfig::Interleaved);
  // Head 1 (hd = 4): HF rows (4, 5, 6, 7) = pairs (4,6), (5,7) become
  // interleaved rows 4, 5, 6, 7 = HF 4, 6, 5, 7.
  const Tensor &q = m.weights.get(names::layer(0, names::LayerTensor::Q));
  const Tensor &qi = c.weights.get(names::layer(0, names::LayerTensor::Q));
  int64_t in = m.config.dim;
  int hfOf[4] = {4, 6, 5, 7};
  for (int r = 0; r < 4; ++r)
    for (int64_t k = 0; k < in; ++k)
      EXPECT_EQ(qi.data[(4 + r) * in + k], q.data[hfOf[r] * in + k]);
  EXPECT_EQ(c.weights.get(names::layer(0, names::LayerTensor::V)).data,
            m.weights.get(names::layer(0, names::LayerTensor::V)).data);
  convertRopeStyle(c, LlamaConfig::HalfSplit);
  expectSameWeights(m, c);
}

//===----------------------------------------------------------------------===//
// llama2.c
//===----------------------------------------------------------------------===//

TEST(Llama2c, RoundTripTiedAndUntied) {
  for (bool tied : {false, true}) {
    LlamaModel m = tinyModel(tied);
    auto bytes = serializeLlama2c(m);
    ASSERT_OK(bytes);
    int32_t header[7];
    std::memcpy(header, bytes->data(), 28);
    EXPECT_EQ(header[5], tied ? 40 : -40);
    auto back = readLlama2c(memRef(str(*bytes), "m.bin"));
    ASSERT_OK(back);
    EXPECT_EQ(back->config.ropeStyle, LlamaConfig::Interleaved);
    EXPECT_EQ(back->config.tiedEmbeddings, tied);
    convertRopeStyle(*back, LlamaConfig::HalfSplit);
    expectSameWeights(m, *back);
  }
  // Through a file and the dispatcher.
  TempDir dir;
  ASSERT_OK(writeLlama2c(tinyModel(), dir.file("m.bin")));
  ASSERT_OK(loadModel(dir.file("m.bin")));
}

TEST(Llama2c, HostileFiles) {
  LlamaModel m = tinyModel();
  auto bytes = serializeLlama2c(m);
  ASSERT_OK(bytes);
  std::string good(bytes->begin(), bytes->end());
  // Truncation anywhere (every offset in the header, then a stride).
  for (size_t n = 0; n < good.size(); n += n < 64 ? 1 : 97)
    EXPECT_ERROR_CONTAINS(readLlama2c(memRef(llvm::StringRef(good).take_front(n),
                                          "m.bin")),
                          "m.bin");
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(good + "xxxx", "m.bin")),
                        "implies");
  auto withHeader = [&](int field, int32_t value) {
    std::string s = good;
    std::memcpy(&s[4 * field], &value, 4);
    return s;
  };
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(withHeader(0, 0), "m.bin")),
                        "dim (hidden_size) = 0");
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(withHeader(0, -16), "m.bin")),
                        "out of range");
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(withHeader(3, 3), "m.bin")),
                        "not divisible");
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(withHeader(5, INT32_MIN), "m.bin")),
                        "vocab_size");
  // Sizes whose product overflows 32 and 64 bits must not wrap into a match.
  std::string huge = withHeader(0, 1 << 20);
  std::memcpy(&huge[4], "\x00\x00\x10\x00", 4); // hidden_dim = 2^20
  std::memcpy(&huge[8], "\x00\x10\x00\x00", 4); // n_layers = 4096
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(huge, "m.bin")), "implies");
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(withHeader(2, INT32_MAX), "m.bin")),
                        "n_layers");

  // A NaN weight.
  std::string nan = good;
  float v = NAN;
  std::memcpy(&nan[28 + 4 * 5], &v, 4);
  EXPECT_ERROR_CONTAINS(readLlama2c(memRef(nan, "m.bin")), "non-finite");

  // The writer refuses what the format cannot say.
  LlamaModel theta = tinyModel();
  theta.config.ropeTheta = 500000;
  EXPECT_ERROR_CONTAINS(serializeLlama2c(theta), "rope_theta");
}

//===----------------------------------------------------------------------===//
// GGUF
//===----------------------------------------------------------------------===//

TEST(GGUF, RoundTripAllTypes) {
  LlamaModel m = tinyModel();
  for (GGUFTensorType type :
       {GGUFTensorType::F32, GGUFTensorType::F16, GGUFTensorType::BF16}) {
    auto bytes = serializeGGUF(m, type);
    ASSERT_OK(bytes);
    auto back = readGGUF(memRef(str(*bytes), "m.gguf"));
    ASSERT_OK(back);
    EXPECT_EQ(back->config.ropeStyle, LlamaConfig::Interleaved);
    EXPECT_EQ(back->config.dim, 16);
    EXPECT_EQ(back->config.nKVHeads, 2);
    EXPECT_EQ(back->config.vocabSize, 40);
    convertRopeStyle(*back, LlamaConfig::HalfSplit);
    expectSameWeights(m, *back);
  }
  // Tied: the writer omits output.weight, the reader restores it.
  LlamaModel tied = tinyModel(true);
  auto bytes = serializeGGUF(tied);
  ASSERT_OK(bytes);
  auto back = readGGUF(memRef(str(*bytes), "m.gguf"));
  ASSERT_OK(back);
  EXPECT_TRUE(back->config.tiedEmbeddings);
  TempDir dir;
  ASSERT_OK(writeGGUF(tied, dir.file("m.gguf")));
  ASSERT_OK(loadModel(dir.file("m.gguf")));
}

TEST(GGUF, VocabRoundTrip) {
  GGUFVocab v;
  v.tokens = {"a", "b", "ab", "Ġ"};
  v.merges = {"a b"};
  auto bytes = serializeGGUF(tinyModel(), GGUFTensorType::F32, &v);
  ASSERT_OK(bytes);
  auto back = readGGUFVocab(memRef(str(*bytes), "m.gguf"));
  ASSERT_OK(back);
  EXPECT_EQ(back->tokens, v.tokens);
  EXPECT_EQ(back->merges, v.merges);
  ASSERT_OK(readGGUF(memRef(str(*bytes), "m.gguf")));
}

/// Offsets of interesting fields in a file serializeGGUF wrote, found by
/// searching for the key or tensor name.
size_t after(const std::string &f, const std::string &s) {
  size_t p = f.find(s);
  EXPECT_NE(p, std::string::npos) << s;
  return p + s.size();
}

TEST(GGUF, HostileFiles) {
  GGUFVocab vocab;
  vocab.tokens = {"a", "b", "ab"};
  vocab.merges = {"a b"};
  auto bytes = serializeGGUF(tinyModel(), GGUFTensorType::F32, &vocab);
  ASSERT_OK(bytes);
  std::string good(bytes->begin(), bytes->end());
  auto read = [](const std::string &f) { return readGGUF(memRef(f, "m.gguf")); };
  // Every offset through the metadata and tensor infos, then a stride.
  for (size_t n = 0; n < good.size(); n += n < 2048 ? 1 : 61)
    EXPECT_ERROR_CONTAINS(read(good.substr(0, n)), "m.gguf");

  auto patch = [&](size_t off, auto value) {
    std::string s = good;
    std::memcpy(&s[off], &value, sizeof(value));
    return s;
  };
  EXPECT_ERROR_CONTAINS(read(patch(0, uint32_t(0x46554746))), "bad magic");
  EXPECT_ERROR_CONTAINS(read(patch(4, uint32_t(1))), "unsupported GGUF version");
  EXPECT_ERROR_CONTAINS(read(patch(8, ~uint64_t(0))), "tensor count");
  EXPECT_ERROR_CONTAINS(read(patch(16, uint64_t(1) << 60)), "metadata count");
  // Key string length beyond the file.
  EXPECT_ERROR_CONTAINS(read(patch(24, ~uint64_t(0) - 3)), "runs past the end");
  // general.architecture's value type -> unknown.
  size_t archType = after(good, "general.architecture");
  EXPECT_ERROR_CONTAINS(read(patch(archType, uint32_t(99))),
                        "unknown metadata type 99");
  // The tokens array count -> huge.
  size_t tokensArr = after(good, "tokenizer.ggml.tokens") + 8;
  EXPECT_ERROR_CONTAINS(read(patch(tokensArr, uint64_t(1) << 62)),
                        "runs past the end of the file");
  // A value of the wrong type for a required key.
  size_t blocks = after(good, "llama.block_count");
  EXPECT_ERROR_CONTAINS(read(patch(blocks, uint32_t(6))), "not an integer");
  EXPECT_ERROR_CONTAINS(read(patch(blocks + 4, uint32_t(7))),
                        "missing tensor 'model.layers.2.");

  // Tensor infos: after the name come n_dims, dims, type, offset.
  size_t info = after(good, "blk.0.attn_q.weight");
  EXPECT_ERROR_CONTAINS(read(patch(info, uint32_t(9))), "dimensions");
  EXPECT_ERROR_CONTAINS(read(patch(info + 4, uint64_t(1) << 40)), "runs past");
  {
    std::string s = patch(info + 4, uint64_t(1) << 62);
    std::memcpy(&s[info + 12], "\0\0\0\0\0\0\0\x40", 8);
    EXPECT_ERROR_CONTAINS(read(s), "overflows");
  }
  EXPECT_ERROR_CONTAINS(read(patch(info + 4, uint64_t(8))),
                        "q_proj.weight' has shape [16, 8]");
  EXPECT_ERROR_CONTAINS(read(patch(info + 20, uint32_t(2))), "ggml type 2");
  EXPECT_ERROR_CONTAINS(read(patch(info + 24, uint64_t(3))), "not aligned");
  EXPECT_ERROR_CONTAINS(read(patch(info + 24, uint64_t(1) << 62)), "runs past");

  // Duplicate and unknown names (same length, so offsets stay valid).
  {
    std::string s = good;
    size_t k = s.find("blk.0.attn_k.weight");
    s.replace(k, 19, "blk.0.attn_q.weight");
    EXPECT_ERROR_CONTAINS(read(s), "duplicate tensor 'blk.0.attn_q.weight'");
    s = good;
    s.replace(k, 19, "blk.0.attn_z.weight");
    EXPECT_ERROR_CONTAINS(read(s), "unexpected tensor 'blk.0.attn_z.weight'");
    s = good;
    s.replace(s.find("llama.rope.freq_base"), 20, "llama.context_length");
    EXPECT_ERROR_CONTAINS(read(s), "duplicate metadata key "
                                   "'llama.context_length'");
    s = good;
    size_t arch = s.find("llama", after(good, "general.architecture"));
    s.replace(arch, 5, "gemma");
    EXPECT_ERROR_CONTAINS(read(s), "only 'llama' is supported");
  }
  // A NaN in the data section (the last tensor ends the file, padded).
  {
    std::string s = good;
    float v = NAN;
    size_t lastData = s.size() - 40 * 16 * 4;
    std::memcpy(&s[lastData], &v, 4);
    EXPECT_ERROR_CONTAINS(read(s), "lm_head.weight' has a non-finite");
  }
}

TEST(GGUF, DeeplyNestedArraysFail) {
  // "GGUF" v3, 0 tensors, 1 kv: key "k", type array of arrays, n = 1 ...
  std::string f = "GGUF";
  auto put = [&](auto v) { f.append((const char *)&v, sizeof(v)); };
  put(uint32_t(3));
  put(uint64_t(0));
  put(uint64_t(1));
  put(uint64_t(1));
  f += "k";
  put(uint32_t(9));
  for (int i = 0; i < 1000; ++i) {
    put(uint32_t(9));
    put(uint64_t(1));
  }
  EXPECT_ERROR_CONTAINS(readGGUF(memRef(f, "n.gguf")), "nested too deeply");
}

} // namespace
