//===- Tokenizer.h - Byte-level BPE tokenizer ------------------*- C++ -*-===//
//
// The Hugging Face `tokenizers` byte-level BPE (GPT-2 family) as stored in
// tokenizer.json: added tokens are split out first, the rest is pre-tokenized
// with the GPT-2 regex (PCRE2, Unicode properties), each piece's bytes are
// mapped to GPT-2's printable alphabet and merged by rank.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_MODEL_TOKENIZER_H
#define LQ_MODEL_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lq {

class BPETokenizer {
public:
  struct AddedToken {
    std::string content;
    int32_t id;
    bool special;
  };

  /// Parses tokenizer.json text. Requires model.type "BPE", a ByteLevel
  /// pre-tokenizer without prefix space and no normalizer; every merge's
  /// parts and result must be in the vocabulary; ids must be 0..n-1. Honours
  /// model.ignore_merges; rejects dropout, byte_fallback, subword
  /// prefixes/suffixes and added tokens with lstrip/rstrip/single_word.
  static llvm::Expected<BPETokenizer> fromJSON(llvm::StringRef json,
                                               llvm::StringRef source);
  static llvm::Expected<BPETokenizer> fromFile(llvm::StringRef path);
  /// From a vocabulary (id = index, tokens in the GPT-2 byte alphabet) and
  /// merges "left right" in rank order, e.g. a GGUF "gpt2" vocabulary.
  static llvm::Expected<BPETokenizer>
  fromVocab(std::vector<std::string> tokens,
            llvm::ArrayRef<std::string> merges,
            std::vector<AddedToken> added, llvm::StringRef source);

  /// Encodes `text` (valid UTF-8, non-empty) in one stream without adding
  /// BOS/EOS. With `parseSpecial`, occurrences of added tokens' content
  /// become their ids (the `tokenizers` default).
  llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text,
                                              bool parseSpecial = true) const;
  /// Concatenated bytes of `ids`; fails on an out-of-range id.
  llvm::Expected<std::string> decode(llvm::ArrayRef<int32_t> ids) const;

  size_t vocabSize() const;
  /// The vocabulary string of `id` (GPT-2 alphabet, or an added token).
  llvm::StringRef token(int32_t id) const;
  std::optional<int32_t> tokenId(llvm::StringRef token) const;
  llvm::ArrayRef<AddedToken> addedTokens() const;
  /// Merges in rank order as "left right".
  std::vector<std::string> merges() const;
  std::vector<std::string> tokens() const;

  struct Impl;

private:
  explicit BPETokenizer(std::shared_ptr<const Impl> impl)
      : impl(std::move(impl)) {}
  std::shared_ptr<const Impl> impl;
};

/// GPT-2's reversible map from bytes to printable code points.
uint32_t gpt2ByteToCodepoint(uint8_t byte);

} // namespace lq

#endif // LQ_MODEL_TOKENIZER_H
