//===- ModelInfoTests.cpp - The JSON description of compiled models -------===//

#include "lq/Runtime/ModelInfo.h"

#include "gtest/gtest.h"

#include <string>

using namespace lq::runtime;

static ModelInfo packedCudaModel() {
  ModelInfo info;
  info.dim = 128;
  info.hiddenDim = 384;
  info.layers = 2;
  info.heads = 4;
  info.kvHeads = 2;
  info.headDim = 32;
  info.vocab = 8192;
  info.context = 512;
  info.hasDecode = true;
  info.kvBits = 4;
  info.target = ModelTarget::CUDA;
  return info;
}

TEST(ModelInfoJSON, RoundTrips) {
  ModelInfo info = packedCudaModel();
  std::string json = modelInfoToJSON(info);
  EXPECT_NE(json.find("\"kv_row_bytes\":32"), std::string::npos) << json;
  auto parsed = parseModelInfoJSON(json);
  ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->vocab, 8192);
  EXPECT_EQ(parsed->context, 512);
  EXPECT_EQ(parsed->kvBits, 4);
  EXPECT_EQ(parsed->packedRowBytes(), 32);
  EXPECT_FALSE(parsed->hasForward);
  EXPECT_TRUE(parsed->hasDecode);
  EXPECT_EQ(parsed->target, ModelTarget::CUDA);
}

/// The error message parsing `json` gives, or "" when it parses.
static std::string errorOf(const std::string &json) {
  auto parsed = parseModelInfoJSON(json);
  return parsed ? "" : llvm::toString(parsed.takeError());
}

/// The description of packedCudaModel with `from` replaced by `to`.
static std::string edited(const std::string &from, const std::string &to) {
  std::string json = modelInfoToJSON(packedCudaModel());
  size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return json.replace(at, from.size(), to);
}

TEST(ModelInfoJSON, RefusesBadDescriptions) {
  EXPECT_NE(errorOf("{\"format\":"), "");
  EXPECT_NE(errorOf("[1, 2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(errorOf(edited("\"version\":1", "\"version\":2")).find("version 1"),
            std::string::npos);
  EXPECT_NE(errorOf(edited("\"kv_row_bytes\":32", "\"kv_row_bytes\":16")).find("kv_row_bytes"),
            std::string::npos);
  EXPECT_NE(errorOf(edited("\"kv_bits\":4", "\"kv_bits\":3")).find("kv_bits"),
            std::string::npos);
  EXPECT_NE(errorOf(edited("\"vocab\":8192", "\"vocab\":0")).find("'vocab' is 0"),
            std::string::npos);
  EXPECT_NE(errorOf(edited(",\"vocab\":8192", "")).find("no integer 'vocab'"),
            std::string::npos);
  EXPECT_NE(errorOf(edited("\"cuda\"", "\"tpu\"")).find("'target'"), std::string::npos);
  EXPECT_NE(errorOf(edited("[\"decode\"]", "[]")).find("no entry point"), std::string::npos);
  EXPECT_NE(errorOf(edited("[\"decode\"]", "[\"prefill\"]")).find("'functions'"),
            std::string::npos);
  EXPECT_NE(errorOf(edited("\"heads\":4", "\"heads\":3")).find("multiple"), std::string::npos);
  // A cache too large to allocate is refused before any allocation.
  std::string huge = edited("\"context\":512", "\"context\":16000000");
  huge.replace(huge.find("\"layers\":2"), 10, "\"layers\":16000");
  EXPECT_NE(errorOf(huge).find("KV cache"), std::string::npos);
}

TEST(ModelInfoJSON, WeightsRoundTripAndAreChecked) {
  ModelInfo info = packedCudaModel();
  info.weights = {{"embed", "F32", {8192, 128}}, {"w.codes", "I8", {24, 64, 16}}};
  auto parsed = parseModelInfoJSON(modelInfoToJSON(info));
  ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
  ASSERT_EQ(parsed->weights.size(), 2u);
  EXPECT_EQ(parsed->weights[1].name, "w.codes");
  EXPECT_EQ(parsed->weights[1].dtype, "I8");
  EXPECT_EQ(parsed->weights[1].shape, (std::vector<int64_t>{24, 64, 16}));

  auto withWeights = [&](const std::string &list) {
    return edited("\"functions\":[\"decode\"]", "\"functions\":[\"decode\"],\"weights\":" + list);
  };
  EXPECT_EQ(errorOf(withWeights("[]")), "");
  EXPECT_NE(errorOf(withWeights("{}")).find("'weights' is not an array"), std::string::npos);
  EXPECT_NE(errorOf(withWeights("[{\"name\":\"w\",\"shape\":[1]}]"))
                .find("needs a name, a dtype and a shape"),
            std::string::npos);
  EXPECT_NE(errorOf(withWeights("[{\"name\":\"w\",\"dtype\":\"I4\",\"shape\":[1]}]"))
                .find("not a safetensors dtype of whole bytes"),
            std::string::npos);
  EXPECT_NE(errorOf(withWeights("[{\"name\":\"w\",\"dtype\":\"F32\",\"shape\":[-1]}]"))
                .find("bad shape"),
            std::string::npos);
  EXPECT_NE(errorOf(withWeights("[{\"name\":\"w\",\"dtype\":\"F32\",\"shape\":"
                                "[4294967296,4294967296]}]"))
                .find("bad shape"),
            std::string::npos);
}
