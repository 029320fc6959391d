//===- Tokenizer.cpp - Byte-level BPE tokenizer ---------------------------===//

#include "lq/Model/Tokenizer.h"
#include "Support.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <climits>
#include <queue>

using namespace lq;
using namespace lq::detail;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

// The GPT-2 pre-tokenizer pattern, as `tokenizers`' ByteLevel uses it.
static const char *const GPT2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

uint32_t lq::gpt2ByteToCodepoint(uint8_t b) {
  // Printable bytes map to themselves; the other 68 to 256, 257, ... in order.
  auto printable = [](unsigned c) {
    return (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || c >= 174;
  };
  if (printable(b))
    return b;
  uint32_t n = 0;
  for (unsigned c = 0; c < b; ++c)
    n += !printable(c);
  return 256 + n;
}

static void appendUTF8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xe0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
}

/// Decodes one code point; nullopt for malformed input.
static std::optional<uint32_t> nextCodepoint(StringRef s, size_t &i) {
  unsigned char c = s[i];
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                       : (c >> 3) == 30 ? 4 : 0;
  if (!len || i + len > s.size())
    return std::nullopt;
  uint32_t cp = len == 1 ? c : c & (0x7f >> len);
  for (int k = 1; k < len; ++k) {
    unsigned char d = s[i + k];
    if ((d >> 6) != 2)
      return std::nullopt;
    cp = (cp << 6) | (d & 0x3f);
  }
  i += len;
  return cp;
}

struct BPETokenizer::Impl {
  std::vector<std::string> idToToken;
  llvm::StringMap<int32_t> tokenToId;
  int32_t byteToId[256];
  /// (left << 32 | right) -> (rank, merged id).
  llvm::DenseMap<uint64_t, std::pair<int32_t, int32_t>> merges;
  std::vector<std::pair<int32_t, int32_t>> mergeList; // rank order
  std::vector<AddedToken> added;
  std::vector<bool> isAdded;
  /// Code point (< 512) -> byte, or -1.
  int16_t codepointToByte[512];
  std::shared_ptr<pcre2_code> regex;
  std::string source;
  /// `ignore_merges`: a piece that is itself a vocabulary token is emitted
  /// as that token without running the merges.
  bool ignoreMerges = false;

  Error init(std::vector<AddedToken> addedTokens);
  Error addMerge(StringRef left, StringRef right, size_t rank);
  Error bpe(StringRef piece, std::vector<int32_t> &out) const;
};

Error BPETokenizer::Impl::init(std::vector<AddedToken> addedTokens) {
  for (int16_t &v : codepointToByte)
    v = -1;
  for (unsigned b = 0; b < 256; ++b) {
    uint32_t cp = gpt2ByteToCodepoint(b);
    codepointToByte[cp] = int16_t(b);
    std::string s;
    appendUTF8(s, cp);
    auto it = tokenToId.find(s);
    byteToId[b] = it == tokenToId.end() ? -1 : it->second;
  }
  isAdded.assign(idToToken.size(), false);
  for (AddedToken &t : addedTokens) {
    if (t.content.empty())
      return makeError(source + ": added token " + llvm::Twine(t.id) +
                       " has empty content");
    if (t.id < 0 || size_t(t.id) >= idToToken.size())
      return makeError(source + ": added token '" + t.content + "' id " +
                       llvm::Twine(t.id) + " is outside the vocabulary");
    if (idToToken[t.id] != t.content)
      return makeError(source + ": added token '" + t.content + "' id " +
                       llvm::Twine(t.id) + " is '" + idToToken[t.id] +
                       "' in the vocabulary");
    isAdded[t.id] = true;
  }
  // Longest first, so a token that prefixes another does not shadow it.
  std::stable_sort(addedTokens.begin(), addedTokens.end(),
                   [](const AddedToken &a, const AddedToken &b) {
                     return a.content.size() > b.content.size();
                   });
  added = std::move(addedTokens);

  int err;
  PCRE2_SIZE errOffset;
  pcre2_code *code =
      pcre2_compile((PCRE2_SPTR)GPT2Pattern, PCRE2_ZERO_TERMINATED,
                    PCRE2_UTF | PCRE2_UCP, &err, &errOffset, nullptr);
  if (!code)
    return makeError("PCRE2 cannot compile the GPT-2 pattern (error " +
                     llvm::Twine(err) + ")");
  // JIT is an optimization only; the interpreter gives the same matches.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  regex.reset(code, pcre2_code_free);
  return Error::success();
}

Error BPETokenizer::Impl::addMerge(StringRef left, StringRef right,
                                   size_t rank) {
  auto l = tokenToId.find(left), r = tokenToId.find(right);
  if (l == tokenToId.end() || r == tokenToId.end())
    return makeError(source + ": merge #" + llvm::Twine(rank) + " ('" + left +
                     "', '" + right + "') uses a token not in the vocabulary");
  auto m = tokenToId.find((left + right).str());
  if (m == tokenToId.end())
    return makeError(source + ": merge #" + llvm::Twine(rank) + " ('" + left +
                     "', '" + right + "') produces a token not in the "
                                      "vocabulary");
  uint64_t key = uint64_t(l->second) << 32 | uint32_t(r->second);
  // A repeated pair keeps its first (best) rank, as `tokenizers` does.
  merges.try_emplace(key, int32_t(rank), m->second);
  mergeList.push_back({l->second, r->second});
  return Error::success();
}

Error BPETokenizer::Impl::bpe(StringRef piece, std::vector<int32_t> &out) const {
  size_t n = piece.size();
  if (ignoreMerges) {
    std::string spelled;
    for (unsigned char b : piece)
      appendUTF8(spelled, gpt2ByteToCodepoint(b));
    auto it = tokenToId.find(spelled);
    if (it != tokenToId.end()) {
      out.push_back(it->second);
      return Error::success();
    }
  }
  std::vector<int32_t> ids(n), prev(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = piece[i];
    ids[i] = byteToId[b];
    if (ids[i] < 0)
      return makeError(llvm::formatv("{0}: byte {1:x2} has no token in the "
                                     "vocabulary and there is no byte "
                                     "fallback",
                                     source, b)
                           .str());
    prev[i] = int32_t(i) - 1;
    next[i] = i + 1 < n ? int32_t(i + 1) : -1;
  }
  // Lowest rank first, then leftmost: the order `tokenizers` merges in.
  struct Cand {
    int32_t rank, pos, left, right;
    bool operator>(const Cand &o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0)
      return;
    int32_t nx = next[pos];
    auto it = merges.find(uint64_t(ids[pos]) << 32 | uint32_t(ids[nx]));
    if (it != merges.end())
      heap.push({it->second.first, pos, ids[pos], ids[nx]});
  };
  for (size_t i = 0; i + 1 < n; ++i)
    push(int32_t(i));
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    int32_t nx = next[c.pos];
    // Stale: a neighbour changed since this candidate was pushed.
    if (ids[c.pos] != c.left || nx < 0 || ids[nx] != c.right)
      continue;
    ids[c.pos] = merges.find(uint64_t(c.left) << 32 | uint32_t(c.right))
                     ->second.second;
    ids[nx] = -1;
    next[c.pos] = next[nx];
    if (next[nx] >= 0)
      prev[next[nx]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  for (int32_t i = 0; i >= 0; i = next[i])
    out.push_back(ids[i]);
  return Error::success();
}

Expected<BPETokenizer>
BPETokenizer::fromVocab(std::vector<std::string> tokens,
                        llvm::ArrayRef<std::string> merges,
                        std::vector<AddedToken> added, StringRef source) {
  auto impl = std::make_shared<Impl>();
  impl->source = source.str();
  if (tokens.empty())
    return makeError(source + ": empty vocabulary");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (!impl->tokenToId.try_emplace(tokens[i], int32_t(i)).second)
      return makeError(source + ": token '" + tokens[i] +
                       "' appears twice in the vocabulary");
  impl->idToToken = std::move(tokens);
  for (size_t r = 0; r < merges.size(); ++r) {
    auto [l, rt] = StringRef(merges[r]).split(' ');
    if (l.empty() || rt.empty() || rt.contains(' '))
      return makeError(source + ": merge #" + llvm::Twine(r) + " '" +
                       merges[r] + "' is not 'left right'");
    if (Error e = impl->addMerge(l, rt, r))
      return std::move(e);
  }
  if (Error e = impl->init(std::move(added)))
    return std::move(e);
  return BPETokenizer(std::move(impl));
}

Expected<BPETokenizer> BPETokenizer::fromJSON(StringRef json,
                                              StringRef source) {
  Expected<llvm::json::Value> v =
      parseJSON(json, source, /*rejectDuplicates=*/false);
  if (!v)
    return v.takeError();
  const llvm::json::Object *root = v->getAsObject();
  if (!root)
    return makeError(source + ": top level is not an object");
  if (const llvm::json::Value *norm = root->get("normalizer"))
    if (norm->kind() != llvm::json::Value::Null)
      return makeError(source + ": 'normalizer' is not supported (must be "
                                "null)");
  const llvm::json::Object *pre = root->getObject("pre_tokenizer");
  if (!pre || pre->getString("type") != StringRef("ByteLevel"))
    return makeError(source + ": 'pre_tokenizer' must be ByteLevel");
  if (pre->getBoolean("add_prefix_space").value_or(false))
    return makeError(source + ": ByteLevel add_prefix_space is not supported");
  if (!pre->getBoolean("use_regex").value_or(true))
    return makeError(source + ": ByteLevel use_regex=false is not supported");
  const llvm::json::Object *model = root->getObject("model");
  if (!model || model->getString("type") != StringRef("BPE"))
    return makeError(source + ": 'model.type' must be \"BPE\"");
  if (const llvm::json::Value *d = model->get("dropout"))
    if (d->kind() != llvm::json::Value::Null)
      return makeError(source + ": BPE dropout is not supported");
  if (model->getBoolean("byte_fallback").value_or(false))
    return makeError(source + ": BPE byte_fallback is not supported");
  // Options that change how words are split or spelled.
  for (StringRef key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (const llvm::json::Value *f = model->get(key))
      if (f->kind() != llvm::json::Value::Null &&
          f->getAsString() != std::optional<StringRef>(""))
        return makeError(source + ": BPE '" + key + "' is not supported");
  bool ignoreMerges = model->getBoolean("ignore_merges").value_or(false);
  const llvm::json::Object *vocab = model->getObject("vocab");
  if (!vocab)
    return makeError(source + ": missing object 'model.vocab'");
  if (std::optional<std::string> dup = findDuplicateKey(json))
    return makeError(source + ": duplicate JSON key '" + *dup + "'");

  // Collect (id, token) from the vocabulary and the added tokens, then check
  // that the ids are exactly 0 .. n-1 (an id may appear in both lists only
  // with the same token). Sorting first keeps every allocation bounded by
  // the number of entries in the file, whatever ids it claims.
  const llvm::json::Array *addedArr = root->getArray("added_tokens");
  if (root->get("added_tokens") && !addedArr &&
      root->get("added_tokens")->kind() != llvm::json::Value::Null)
    return makeError(source + ": 'added_tokens' is not an array");
  std::vector<std::pair<int64_t, StringRef>> entries;
  entries.reserve(vocab->size() + (addedArr ? addedArr->size() : 0));
  for (const auto &kv : *vocab) {
    std::optional<int64_t> id = kv.second.getAsInteger();
    if (!id)
      return makeError(source + ": vocab entry '" + StringRef(kv.first) +
                       "' is not an integer id");
    entries.push_back({*id, StringRef(kv.first)});
  }
  std::vector<AddedToken> added;
  if (addedArr) {
    for (const llvm::json::Value &a : *addedArr) {
      const llvm::json::Object *o = a.getAsObject();
      std::optional<int64_t> id = o ? o->getInteger("id") : std::nullopt;
      std::optional<StringRef> content =
          o ? o->getString("content") : std::nullopt;
      if (!id || !content)
        return makeError(source + ": added_tokens entry without id/content");
      for (StringRef flag : {"single_word", "lstrip", "rstrip"})
        if (o->getBoolean(flag).value_or(false))
          return makeError(source + ": added token '" + *content + "' sets '" +
                           flag + "', which is not supported");
      entries.push_back({*id, *content});
      added.push_back({content->str(), int32_t(*id),
                       o->getBoolean("special").value_or(false)});
    }
  }
  for (const auto &[id, tok] : entries)
    if (id < 0 || id > INT32_MAX)
      return makeError(source + ": token '" + tok + "' has id " +
                       llvm::Twine(id) + " out of range [0, 2^31)");
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<std::string> tokens;
  for (size_t k = 0; k < entries.size(); ++k) {
    auto [id, tok] = entries[k];
    if (k > 0 && entries[k - 1].first == id) {
      if (entries[k - 1].second != tok)
        return makeError(source + ": id " + llvm::Twine(id) +
                         " is used by both '" + entries[k - 1].second +
                         "' and '" + tok + "'");
      continue;
    }
    if (id != int64_t(tokens.size()))
      return makeError(source + ": vocabulary id " +
                       llvm::Twine(tokens.size()) +
                       " is unused (ids must be contiguous)");
    tokens.push_back(tok.str());
  }
  if (tokens.empty())
    return makeError(source + ": empty vocabulary");

  auto impl = std::make_shared<Impl>();
  impl->source = source.str();
  for (size_t i = 0; i < tokens.size(); ++i)
    if (!impl->tokenToId.try_emplace(tokens[i], int32_t(i)).second)
      return makeError(source + ": token '" + tokens[i] +
                       "' has two ids");
  impl->idToToken = std::move(tokens);

  const llvm::json::Array *merges = model->getArray("merges");
  if (!merges)
    return makeError(source + ": missing array 'model.merges'");
  size_t rank = 0;
  for (const llvm::json::Value &m : *merges) {
    // Two spellings exist: "left right" (older) and ["left", "right"].
    StringRef l, r;
    if (std::optional<StringRef> s = m.getAsString()) {
      std::tie(l, r) = s->split(' ');
      if (r.contains(' '))
        l = "";
    } else if (const llvm::json::Array *pair = m.getAsArray();
               pair && pair->size() == 2 && (*pair)[0].getAsString() &&
               (*pair)[1].getAsString()) {
      l = *(*pair)[0].getAsString();
      r = *(*pair)[1].getAsString();
    }
    if (l.empty() || r.empty())
      return makeError(source + ": merge #" + llvm::Twine(rank) +
                       " is neither \"left right\" nor [left, right]");
    if (Error e = impl->addMerge(l, r, rank++))
      return std::move(e);
  }
  impl->ignoreMerges = ignoreMerges;
  if (Error e = impl->init(std::move(added)))
    return std::move(e);
  return BPETokenizer(std::move(impl));
}

Expected<BPETokenizer> BPETokenizer::fromFile(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf)
    return makeError("cannot open '" + path + "': " + buf.getError().message());
  return fromJSON((*buf)->getBuffer(), path);
}

Expected<std::vector<int32_t>> BPETokenizer::encode(StringRef text,
                                                    bool parseSpecial) const {
  const Impl &im = *impl;
  if (text.empty())
    return makeError("tokenizer: cannot encode an empty text");
  std::vector<int32_t> out;
  out.reserve(text.size() / 3);
  // Pieces repeat heavily in natural text; BPE each distinct one once.
  llvm::StringMap<std::pair<uint32_t, uint32_t>> cache;
  std::vector<int32_t> cached;

  pcre2_match_data *md =
      pcre2_match_data_create_from_pattern(im.regex.get(), nullptr);
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data *)> mdOwner(
      md, pcre2_match_data_free);

  auto encodeSegment = [&](size_t segBegin, size_t segEnd) -> Error {
    StringRef seg = text.slice(segBegin, segEnd);
    PCRE2_SIZE off = 0;
    uint32_t opts = 0; // the first match validates the segment's UTF-8
    while (off < seg.size()) {
      int rc = pcre2_match(im.regex.get(), (PCRE2_SPTR)seg.data(), seg.size(),
                           off, opts, md, nullptr);
      if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
        return makeError("tokenizer: text is not valid UTF-8 near byte " +
                         llvm::Twine(segBegin +
                                     pcre2_get_startchar(md)));
      if (rc < 0)
        // The pattern's last alternatives cover all remaining characters.
        return makeError("tokenizer: pre-tokenizer failed at byte " +
                         llvm::Twine(segBegin + off) + " (PCRE2 error " +
                         llvm::Twine(rc) + ")");
      opts = PCRE2_NO_UTF_CHECK;
      PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
      if (ov[1] <= off) // cannot happen: no alternative matches empty
        return makeError("tokenizer: empty pre-token match");
      // The alternatives cover every character, so matches are contiguous.
      if (ov[0] != off)
        return makeError("tokenizer: pre-tokenizer skipped bytes at " +
                         llvm::Twine(segBegin + off));
      StringRef piece = seg.slice(ov[0], ov[1]);
      off = ov[1];
      auto [it, inserted] = cache.try_emplace(piece, 0, 0);
      if (inserted) {
        size_t start = cached.size();
        if (Error e = im.bpe(piece, cached))
          return e;
        it->second = {uint32_t(start), uint32_t(cached.size() - start)};
      }
      out.insert(out.end(), cached.begin() + it->second.first,
                 cached.begin() + it->second.first + it->second.second);
    }
    return Error::success();
  };

  // Split out added tokens: the earliest occurrence wins, the longest at a
  // position (im.added is sorted by length).
  std::vector<size_t> nextAt(im.added.size(), 0);
  size_t pos = 0;
  if (parseSpecial && !im.added.empty()) {
    for (size_t k = 0; k < im.added.size(); ++k)
      nextAt[k] = text.find(im.added[k].content);
    while (true) {
      size_t best = StringRef::npos, which = 0;
      for (size_t k = 0; k < im.added.size(); ++k) {
        if (nextAt[k] != StringRef::npos && nextAt[k] < pos)
          nextAt[k] = text.find(im.added[k].content, pos);
        if (nextAt[k] < best)
          best = nextAt[k], which = k;
      }
      if (best == StringRef::npos)
        break;
      if (best > pos)
        if (Error e = encodeSegment(pos, best))
          return std::move(e);
      out.push_back(im.added[which].id);
      pos = best + im.added[which].content.size();
    }
  }
  if (pos < text.size())
    if (Error e = encodeSegment(pos, text.size()))
      return std::move(e);
  return out;
}

Expected<std::string> BPETokenizer::decode(llvm::ArrayRef<int32_t> ids) const {
  const Impl &im = *impl;
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || size_t(id) >= im.idToToken.size())
      return makeError("tokenizer: token id " + llvm::Twine(id) +
                       " is outside the vocabulary of " +
                       llvm::Twine(im.idToToken.size()));
    const std::string &tok = im.idToToken[id];
    if (im.isAdded[id]) {
      out += tok;
      continue;
    }
    for (size_t i = 0; i < tok.size();) {
      std::optional<uint32_t> cp = nextCodepoint(tok, i);
      if (!cp || *cp >= 512 || im.codepointToByte[*cp] < 0)
        return makeError("tokenizer: token " + llvm::Twine(id) +
                         " has a character outside the byte alphabet");
      out += char(im.codepointToByte[*cp]);
    }
  }
  return out;
}

size_t BPETokenizer::vocabSize() const { return impl->idToToken.size(); }

StringRef BPETokenizer::token(int32_t id) const {
  if (id < 0 || size_t(id) >= impl->idToToken.size())
    return "";
  return impl->idToToken[id];
}

std::optional<int32_t> BPETokenizer::tokenId(StringRef token) const {
  auto it = impl->tokenToId.find(token);
  if (it == impl->tokenToId.end())
    return std::nullopt;
  return it->second;
}

llvm::ArrayRef<BPETokenizer::AddedToken> BPETokenizer::addedTokens() const {
  return impl->added;
}

std::vector<std::string> BPETokenizer::merges() const {
  std::vector<std::string> out;
  for (auto [l, r] : impl->mergeList)
    out.push_back(impl->idToToken[l] + " " + impl->idToToken[r]);
  return out;
}

std::vector<std::string> BPETokenizer::tokens() const {
  return impl->idToToken;
}
