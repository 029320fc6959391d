//===- TokenizerTests.cpp - Byte-level BPE tokenizer ----------------------===//
//
// Expected ids were cross-checked against an independent Python
// implementation (GPT-2 `encoder.py`-style BPE over the merges, with the
// pre-tokenizer written out from Unicode categories), which also agrees with
// this tokenizer on every token of docs-valid and both WikiText-2 files.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "lq/Model/Readers.h"
#include "lq/Model/Tokenizer.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace lq;
using namespace lq::test;

namespace {

const BPETokenizer &shipped() {
  static BPETokenizer tok = [] {
    auto t = BPETokenizer::fromFile(shippedModelDir() + "/tokenizer.json");
    if (!t) {
      ADD_FAILURE() << llvm::toString(t.takeError());
      std::abort();
    }
    return std::move(*t);
  }();
  return tok;
}

std::vector<int32_t> enc(llvm::StringRef s) {
  auto ids = shipped().encode(s);
  EXPECT_TRUE(!!ids) << llvm::toString(ids.takeError());
  return ids ? *ids : std::vector<int32_t>{};
}

TEST(Tokenizer, ByteAlphabet) {
  EXPECT_EQ(gpt2ByteToCodepoint('!'), uint32_t('!'));
  EXPECT_EQ(gpt2ByteToCodepoint(' '), 0x120u); // 'Ġ'
  EXPECT_EQ(gpt2ByteToCodepoint('\n'), 0x10au); // 'Ċ'
  EXPECT_EQ(gpt2ByteToCodepoint(0), 0x100u);
  EXPECT_EQ(gpt2ByteToCodepoint(0xad), 0x143u);
  EXPECT_EQ(gpt2ByteToCodepoint(0xff), 0xffu);
}

TEST(Tokenizer, Vocabulary) {
  const BPETokenizer &t = shipped();
  EXPECT_EQ(t.vocabSize(), 8192u);
  EXPECT_EQ(t.token(0), "<|endoftext|>");
  ASSERT_EQ(t.addedTokens().size(), 1u);
  EXPECT_TRUE(t.addedTokens()[0].special);
  EXPECT_EQ(t.tokenId("Ġworld"), 7197);
  EXPECT_EQ(t.merges().front(), "Ġ Ġ");
}

TEST(Tokenizer, KnownIds) {
  EXPECT_EQ(enc("Hello, world!"),
            (std::vector<int32_t>{40, 5848, 12, 7197, 1}));
  // Contractions, runs of spaces (\s+(?!\S) leaves one for " #"), newlines.
  EXPECT_EQ(enc("def foo(x):\n    return x  # it's\n"),
            (std::vector<int32_t>{987, 2951, 8, 88, 1183, 199, 308, 595, 1143,
                                  221, 665, 385, 609, 199}));
  // Unicode letters (ï, é, CJK) and numbers (², a \p{N} but not a digit).
  EXPECT_EQ(enc("naïve café — x² 三个"),
            (std::vector<int32_t>{78, 65, 128, 108, 376, 2837, 70, 7545, 221,
                                  4837, 1143, 127, 111, 221, 391, 232, 917}));
  // Added tokens are split out first.
  EXPECT_EQ(enc("<|endoftext|>The end"), (std::vector<int32_t>{0, 470, 1363}));
  auto plain = shipped().encode("<|endoftext|>", /*parseSpecial=*/false);
  ASSERT_TRUE(!!plain);
  EXPECT_GT(plain->size(), 1u);
}

TEST(Tokenizer, RoundTripsShippedTexts) {
  std::string data = sharedDataDir();
  if (data.empty())
    GTEST_SKIP() << "../shared/data not present";
  for (const char *name : {"/text/docs-valid.txt", "/text/wikitext-2/test.txt"}) {
    auto buf = llvm::MemoryBuffer::getFile(data + name);
    ASSERT_TRUE(!!buf) << name;
    // The first 4 KB, cut back to a character boundary.
    llvm::StringRef text = (*buf)->getBuffer().take_front(4096);
    while ((text.back() & 0xc0) == 0x80 || (text.back() & 0x80))
      text = text.drop_back();
    std::vector<int32_t> ids = enc(text);
    EXPECT_GT(ids.size(), 500u);
    auto back = shipped().decode(ids);
    ASSERT_TRUE(!!back);
    EXPECT_EQ(*back, text.str()) << name;
  }
}

TEST(Tokenizer, WholeDocsValidTokenCount) {
  std::string data = sharedDataDir();
  if (data.empty())
    GTEST_SKIP() << "../shared/data not present";
  auto buf = llvm::MemoryBuffer::getFile(data + "/text/docs-valid.txt");
  ASSERT_TRUE(!!buf);
  auto ids = shipped().encode((*buf)->getBuffer());
  ASSERT_TRUE(!!ids);
  EXPECT_EQ(ids->size(), 248152u); // SOURCES.md
}

TEST(Tokenizer, RoundTripsArbitraryUTF8) {
  const char *texts[] = {"  leading and trailing  \n\n\t", "ünïcödé ΑΒΓ 12345",
                         "tabs\tand\r\nCRLF", "emoji 🙂 and 𝔘", "'ll 'S 'd'd"};
  for (const char *s : texts) {
    auto back = shipped().decode(enc(s));
    ASSERT_TRUE(!!back);
    EXPECT_EQ(*back, s);
  }
}

TEST(Tokenizer, Errors) {
  EXPECT_ERROR_CONTAINS(shipped().encode(""), "empty text");
  EXPECT_ERROR_CONTAINS(shipped().encode("ok \xff\xfe bad"), "not valid UTF-8");
  EXPECT_ERROR_CONTAINS(shipped().decode({1, 8192}), "outside the vocabulary");
  EXPECT_ERROR_CONTAINS(shipped().decode({-1}), "outside the vocabulary");
}

TEST(Tokenizer, SmallVocabularies) {
  // Byte-level vocabulary of a, b, c plus one merge; 'z' cannot be encoded.
  const char *json = R"({"normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
    "added_tokens": [{"id": 4, "content": "<s>", "special": true}],
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3,
                                       "<s>": 4},
              "merges": ["a b"]}})";
  auto t = BPETokenizer::fromJSON(json, "t.json");
  ASSERT_OK(t);
  auto ids = t->encode("abcab<s>ba");
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, (std::vector<int32_t>{3, 2, 3, 4, 1, 0}));
  EXPECT_ERROR_CONTAINS(t->encode("az"), "byte 0x7a has no token");

  // ignore_merges: with a token "bc" that no merge produces, the piece "bc"
  // comes out whole only when ignore_merges is on.
  {
    std::string j = json;
    j.replace(j.find("\"<s>\": 4"), 8, "\"<s>\": 4, \"bc\": 5");
    auto plain = BPETokenizer::fromJSON(j, "t.json");
    ASSERT_OK(plain);
    j.replace(j.find("\"merges\""), 8, "\"ignore_merges\": true, \"merges\"");
    auto ign = BPETokenizer::fromJSON(j, "t.json");
    ASSERT_OK(ign);
    auto ii = ign->encode("bc");
    ASSERT_OK(ii);
    EXPECT_EQ(*ii, (std::vector<int32_t>{5}));
    auto pb = plain->encode("bc");
    ASSERT_OK(pb);
    EXPECT_EQ(*pb, (std::vector<int32_t>{1, 2}));
  }

  // The same through a GGUF vocabulary.
  auto g = BPETokenizer::fromVocab({"a", "b", "c", "ab"}, {"a b"}, {}, "g");
  ASSERT_OK(g);
  auto gids = g->encode("abcab");
  ASSERT_OK(gids);
  EXPECT_EQ(*gids, (std::vector<int32_t>{3, 2, 3}));

  auto bad = [&](const std::string &from, const std::string &to) {
    std::string s = json;
    size_t p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    return BPETokenizer::fromJSON(s.replace(p, from.size(), to), "t.json");
  };
  EXPECT_ERROR_CONTAINS(bad("\"a b\"", "\"a x\""), "not in the vocabulary");
  EXPECT_ERROR_CONTAINS(bad("\"a b\"", "\"b a\""), "produces a token");
  EXPECT_ERROR_CONTAINS(bad("\"a b\"", "\"ab\""), "neither");
  EXPECT_ERROR_CONTAINS(bad("\"ab\": 3", "\"ab\": 7"), "id 3 is unused");
  EXPECT_ERROR_CONTAINS(bad("\"ab\": 3", "\"ab\": 2"), "used by both");
  EXPECT_ERROR_CONTAINS(bad("\"ab\": 3", "\"ab\": -1"), "out of range");
  EXPECT_ERROR_CONTAINS(bad("\"c\": 2", "\"c\": 2, \"c\": 2"),
                        "duplicate JSON key 'c'");
  EXPECT_ERROR_CONTAINS(bad("\"BPE\"", "\"WordPiece\""), "BPE");
  EXPECT_ERROR_CONTAINS(bad("\"normalizer\": null", "\"normalizer\": {}"),
                        "normalizer");
  EXPECT_ERROR_CONTAINS(bad("\"add_prefix_space\": false",
                            "\"add_prefix_space\": true"),
                        "add_prefix_space");
  EXPECT_ERROR_CONTAINS(bad("\"id\": 4", "\"id\": 2"), "used by both");
  EXPECT_ERROR_CONTAINS(bad("\"special\": true", "\"lstrip\": true"),
                        "'lstrip'");
  EXPECT_ERROR_CONTAINS(bad("\"merges\"", "\"end_of_word_suffix\": \"</w>\", "
                                          "\"merges\""),
                        "end_of_word_suffix");
  EXPECT_ERROR_CONTAINS(BPETokenizer::fromJSON("{", "t.json"), "invalid JSON");
  EXPECT_ERROR_CONTAINS(
      BPETokenizer::fromJSON(std::string(100000, '{'), "t.json"),
      "nested deeper");
}

} // namespace
