//===- GGUF.cpp - GGUF llama checkpoint reader/writer ---------------------===//
//
// GGUF (v2/v3): "GGUF", u32 version, u64 tensor count, u64 metadata count,
// metadata {string key, u32 type, value}, tensor infos {string name, u32
// n_dims, u64 dims[n_dims] (innermost first), u32 ggml type, u64 offset},
// then the data section at the next multiple of general.alignment (32).
//
// llama.cpp's HF converter permutes the rows of attn_q/attn_k so that RoPE
// rotates adjacent pairs (2i, 2i+1) (ggml's "normal" rope); we keep them as
// stored and mark the model RopeStyle::Interleaved.
//
//===----------------------------------------------------------------------===//

#include "lq/Model/Readers.h"
#include "Support.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace lq;
using namespace lq::detail;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
enum ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

/// The metadata we keep: scalars as int/double, strings, and arrays of
/// strings (tokenizer); other arrays are skipped after bounds checks.
struct MetaValue {
  uint32_t type = 0;
  bool isInt = false, isFloat = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  uint32_t elemType = 0;
  std::vector<std::string> strings;
};

class GGUFParser {
public:
  GGUFParser(llvm::MemoryBufferRef buffer)
      : source(buffer.getBufferIdentifier()), bytes(buffer.getBuffer()),
        cur(bytes) {}

  Error parse();

  StringRef source;
  StringRef bytes;
  ByteCursor cur;
  uint32_t version = 0;
  llvm::StringMap<MetaValue> meta;
  struct TensorInfo {
    std::string name;
    std::vector<int64_t> shape; // outermost first (HF order)
    uint32_t type;
    uint64_t offset;
    uint64_t numel;
  };
  std::vector<TensorInfo> tensors;
  uint64_t dataStart = 0;

private:
  Error fail(const llvm::Twine &what) {
    return makeError(source + ": " + what + " (at byte " +
                     llvm::Twine(cur.offset()) + ")");
  }
  Error readString(std::string &out, const llvm::Twine &field);
  Error readValue(uint32_t type, MetaValue &out, const llvm::Twine &field,
                  unsigned depth);
};
} // namespace

Error GGUFParser::readString(std::string &out, const llvm::Twine &field) {
  uint64_t len;
  StringRef s;
  if (!cur.read(len))
    return fail("truncated length of " + field);
  if (!cur.readBytes(len, s))
    return fail("string of " + llvm::Twine(len) + " bytes in " + field +
                " runs past the end of the file");
  out = s.str();
  return Error::success();
}

static uint64_t scalarSize(uint32_t type) {
  switch (type) {
  case U8:
  case I8:
  case Bool:
    return 1;
  case U16:
  case I16:
    return 2;
  case U32:
  case I32:
  case F32:
    return 4;
  case U64:
  case I64:
  case F64:
    return 8;
  default:
    return 0;
  }
}

Error GGUFParser::readValue(uint32_t type, MetaValue &out,
                            const llvm::Twine &field, unsigned depth) {
  out.type = type;
  auto truncated = [&] { return fail("truncated value of " + field); };
  switch (type) {
  case U8: {
    uint8_t v;
    if (!cur.read(v))
      return truncated();
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case I8: {
    int8_t v;
    if (!cur.read(v))
      return truncated();
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case Bool: {
    uint8_t v;
    if (!cur.read(v))
      return truncated();
    if (v > 1)
      return fail("bool value " + llvm::Twine(v) + " in " + field);
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case U16: {
    uint16_t v;
    if (!cur.read(v))
      return truncated();
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case I16: {
    int16_t v;
    if (!cur.read(v))
      return truncated();
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case U32: {
    uint32_t v;
    if (!cur.read(v))
      return truncated();
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case I32: {
    int32_t v;
    if (!cur.read(v))
      return truncated();
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case U64: {
    uint64_t v;
    if (!cur.read(v))
      return truncated();
    if (v > uint64_t(INT64_MAX))
      return fail("value of " + field + " exceeds int64");
    out.isInt = true, out.i = int64_t(v);
    return Error::success();
  }
  case I64: {
    int64_t v;
    if (!cur.read(v))
      return truncated();
    out.isInt = true, out.i = v;
    return Error::success();
  }
  case F32: {
    float v;
    if (!cur.read(v))
      return truncated();
    out.isFloat = true, out.f = v;
    return Error::success();
  }
  case F64: {
    double v;
    if (!cur.read(v))
      return truncated();
    out.isFloat = true, out.f = v;
    return Error::success();
  }
  case String:
    return readString(out.s, field);
  case Array: {
    uint32_t elem;
    uint64_t n;
    if (!cur.read(elem) || !cur.read(n))
      return truncated();
    out.elemType = elem;
    if (depth >= 4)
      return fail("arrays nested too deeply in " + field);
    if (uint64_t sz = scalarSize(elem)) {
      std::optional<uint64_t> total = mulChecked(n, sz);
      if (!total || !cur.skip(*total))
        return fail("array of " + llvm::Twine(n) + " elements in " + field +
                    " runs past the end of the file");
      return Error::success();
    }
    if (elem != String && elem != Array)
      return fail("unknown array element type " + llvm::Twine(elem) + " in " +
                  field);
    // Each element takes at least 8 bytes; bound n before reserving.
    if (n > cur.remaining() / 8)
      return fail("array of " + llvm::Twine(n) + " elements in " + field +
                  " runs past the end of the file");
    if (elem == String)
      out.strings.reserve(n);
    for (uint64_t k = 0; k < n; ++k) {
      MetaValue v;
      if (Error e = readValue(elem, v, field, depth + 1))
        return e;
      if (elem == String)
        out.strings.push_back(std::move(v.s));
    }
    return Error::success();
  }
  default:
    return fail("unknown metadata type " + llvm::Twine(type) + " for " + field);
  }
}

Error GGUFParser::parse() {
  char magic[4];
  for (char &m : magic)
    if (!cur.read(m))
      return fail("file too small for the GGUF header");
  if (StringRef(magic, 4) != "GGUF")
    return makeError(source + ": bad magic (not a GGUF file)");
  uint64_t nTensors, nKV;
  if (!cur.read(version) || !cur.read(nTensors) || !cur.read(nKV))
    return fail("truncated GGUF header");
  if (version != 2 && version != 3)
    return makeError(source + ": unsupported GGUF version " +
                     llvm::Twine(version) + " (2 and 3 supported)");
  // Each metadata entry takes >= 12 bytes and each tensor info >= 24.
  if (nKV > cur.remaining() / 12)
    return fail("metadata count " + llvm::Twine(nKV) + " exceeds the file");
  if (nTensors > cur.remaining() / 24)
    return fail("tensor count " + llvm::Twine(nTensors) + " exceeds the file");

  for (uint64_t k = 0; k < nKV; ++k) {
    std::string key;
    if (Error e = readString(key, "metadata key #" + llvm::Twine(k)))
      return e;
    uint32_t type;
    if (!cur.read(type))
      return fail("truncated type of metadata '" + key + "'");
    MetaValue v;
    if (Error e = readValue(type, v, "metadata '" + key + "'", 0))
      return e;
    if (!meta.try_emplace(key, std::move(v)).second)
      return fail("duplicate metadata key '" + key + "'");
  }

  llvm::StringMap<bool> seen;
  for (uint64_t t = 0; t < nTensors; ++t) {
    TensorInfo info;
    if (Error e = readString(info.name, "tensor name #" + llvm::Twine(t)))
      return e;
    std::string where = "tensor '" + info.name + "'";
    if (!seen.try_emplace(info.name, true).second)
      return fail("duplicate " + where);
    uint32_t nDims;
    if (!cur.read(nDims))
      return fail("truncated " + where);
    if (nDims == 0 || nDims > 4)
      return fail(where + " has " + llvm::Twine(nDims) +
                  " dimensions (1 to 4 supported)");
    info.numel = 1;
    for (uint32_t d = 0; d < nDims; ++d) {
      uint64_t dim;
      if (!cur.read(dim))
        return fail("truncated " + where);
      std::optional<uint64_t> n = mulChecked(info.numel, dim);
      if (!n || dim > uint64_t(INT64_MAX) || *n > uint64_t(INT64_MAX) / 4)
        return fail(where + " element count overflows");
      info.numel = *n;
      info.shape.insert(info.shape.begin(), int64_t(dim));
    }
    if (!cur.read(info.type) || !cur.read(info.offset))
      return fail("truncated " + where);
    tensors.push_back(std::move(info));
  }

  uint64_t alignment = 32;
  if (auto it = meta.find("general.alignment"); it != meta.end()) {
    if (!it->second.isInt || it->second.i <= 0 || it->second.i > (1 << 20) ||
        !llvm::isPowerOf2_64(it->second.i))
      return makeError(source + ": general.alignment must be a power of two");
    alignment = it->second.i;
  }
  dataStart = llvm::alignTo(cur.offset(), alignment);
  if (dataStart > bytes.size())
    return makeError(source + ": data section starts past the end of file");
  uint64_t dataSize = bytes.size() - dataStart;
  for (const TensorInfo &t : tensors) {
    std::string where = (source + ": tensor '" + t.name + "'").str();
    uint64_t elem;
    switch (t.type) {
    case uint32_t(GGUFTensorType::F32):
      elem = 4;
      break;
    case uint32_t(GGUFTensorType::F16):
    case uint32_t(GGUFTensorType::BF16):
      elem = 2;
      break;
    default:
      return makeError(where + " has ggml type " + llvm::Twine(t.type) +
                       "; only F32 (0), F16 (1) and BF16 (30) are supported");
    }
    if (t.offset % alignment)
      return makeError(where + ": offset " + llvm::Twine(t.offset) +
                       " is not aligned to " + llvm::Twine(alignment));
    uint64_t nbytes = t.numel * elem; // numel <= INT64_MAX / 4 checked above
    if (t.offset > dataSize || nbytes > dataSize - t.offset)
      return makeError(where + ": data [" + llvm::Twine(t.offset) + ", +" +
                       llvm::Twine(nbytes) + ") runs past the end of the "
                                             "file");
  }
  return Error::success();
}

/// GGUF tensor name -> HF name, or "" when unknown.
static std::string hfName(StringRef g) {
  if (g == "token_embd.weight")
    return names::Embed;
  if (g == "output_norm.weight")
    return names::FinalNorm;
  if (g == "output.weight")
    return names::LMHead;
  if (!g.consume_front("blk."))
    return "";
  auto [num, rest] = g.split('.');
  int64_t layer;
  if (num.getAsInteger(10, layer) || layer < 0 || num.size() > 6 ||
      (num.size() > 1 && num[0] == '0'))
    return "";
  using names::LayerTensor;
  static const std::pair<const char *, LayerTensor> map[] = {
      {"attn_norm.weight", LayerTensor::AttnNorm},
      {"attn_q.weight", LayerTensor::Q},
      {"attn_k.weight", LayerTensor::K},
      {"attn_v.weight", LayerTensor::V},
      {"attn_output.weight", LayerTensor::O},
      {"ffn_norm.weight", LayerTensor::MLPNorm},
      {"ffn_gate.weight", LayerTensor::Gate},
      {"ffn_up.weight", LayerTensor::Up},
      {"ffn_down.weight", LayerTensor::Down}};
  for (const auto &[suffix, kind] : map)
    if (rest == suffix)
      return names::layer(layer, kind);
  return "";
}

Expected<LlamaModel> lq::readGGUF(llvm::MemoryBufferRef buffer) {
  GGUFParser p(buffer);
  if (Error e = p.parse())
    return std::move(e);
  StringRef source = p.source;

  auto arch = p.meta.find("general.architecture");
  if (arch == p.meta.end() || arch->second.type != String)
    return makeError(source + ": missing string 'general.architecture'");
  if (arch->second.s != "llama")
    return makeError(source + ": general.architecture is '" + arch->second.s +
                     "', only 'llama' is supported");
  auto getInt = [&](StringRef key, int64_t &out,
                    std::optional<int64_t> dflt) -> Error {
    auto it = p.meta.find(key);
    if (it == p.meta.end()) {
      if (dflt) {
        out = *dflt;
        return Error::success();
      }
      return makeError(source + ": missing metadata '" + key + "'");
    }
    if (!it->second.isInt)
      return makeError(source + ": metadata '" + key + "' is not an integer");
    out = it->second.i;
    return Error::success();
  };
  auto getFloat = [&](StringRef key, float &out, float dflt) -> Error {
    auto it = p.meta.find(key);
    if (it == p.meta.end()) {
      out = dflt;
      return Error::success();
    }
    if (!it->second.isFloat)
      return makeError(source + ": metadata '" + key + "' is not a float");
    out = float(it->second.f);
    return Error::success();
  };

  LlamaModel model;
  LlamaConfig &c = model.config;
  c.ropeStyle = LlamaConfig::Interleaved;
  for (auto [key, field, dflt] :
       {std::tuple<const char *, int64_t *, std::optional<int64_t>>{
            "llama.embedding_length", &c.dim, std::nullopt},
        {"llama.feed_forward_length", &c.hiddenDim, std::nullopt},
        {"llama.block_count", &c.nLayers, std::nullopt},
        {"llama.attention.head_count", &c.nHeads, std::nullopt},
        {"llama.context_length", &c.maxSeqLen, std::nullopt}})
    if (Error e = getInt(key, *field, dflt))
      return std::move(e);
  if (Error e = getInt("llama.attention.head_count_kv", c.nKVHeads, c.nHeads))
    return std::move(e);
  if (Error e =
          getFloat("llama.attention.layer_norm_rms_epsilon", c.normEps, 1e-5f))
    return std::move(e);
  if (Error e = getFloat("llama.rope.freq_base", c.ropeTheta, 10000.0f))
    return std::move(e);

  // Vocabulary: explicit key, else the embedding's row count.
  int64_t vocab = -1;
  if (Error e = getInt("llama.vocab_size", vocab, -1))
    return std::move(e);
  bool hasOutput = false;
  for (const auto &t : p.tensors) {
    if (t.name == "token_embd.weight" && vocab < 0 && t.shape.size() == 2)
      vocab = t.shape[0];
    hasOutput |= t.name == "output.weight";
  }
  c.vocabSize = vocab;
  c.tiedEmbeddings = !hasOutput;
  if (Error e = c.validate(source))
    return std::move(e);
  int64_t ropeDims;
  if (Error e = getInt("llama.rope.dimension_count", ropeDims, c.headDim()))
    return std::move(e);
  if (ropeDims != c.headDim())
    return makeError(source + ": llama.rope.dimension_count " +
                     llvm::Twine(ropeDims) +
                     " != head dim (partial RoPE unsupported)");

  for (const auto &t : p.tensors) {
    std::string name = hfName(t.name);
    if (name.empty())
      return makeError(source + ": unexpected tensor '" + t.name + "'");
    DType type = t.type == uint32_t(GGUFTensorType::F32)   ? DType::F32
                 : t.type == uint32_t(GGUFTensorType::F16) ? DType::F16
                                                           : DType::BF16;
    // parse() bounded every tensor by the file, so this allocation is too.
    std::vector<float> values(t.numel);
    convertToFloat(type, p.bytes.data() + p.dataStart + t.offset, t.numel,
                   values.data());
    if (Error e = model.weights.add(name, Tensor(t.shape, std::move(values)),
                                    source))
      return std::move(e);
  }
  if (Error e = model.validate(source))
    return std::move(e);
  return model;
}

Expected<LlamaModel> lq::readGGUFFile(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buf)
    return makeError("cannot open '" + path + "': " + buf.getError().message());
  return readGGUF((*buf)->getMemBufferRef());
}

Expected<GGUFVocab> lq::readGGUFVocab(llvm::MemoryBufferRef buffer) {
  GGUFParser p(buffer);
  if (Error e = p.parse())
    return std::move(e);
  GGUFVocab v;
  auto model = p.meta.find("tokenizer.ggml.model");
  if (model == p.meta.end() || model->second.s != "gpt2")
    return makeError(p.source + ": tokenizer.ggml.model is not 'gpt2'");
  auto tokens = p.meta.find("tokenizer.ggml.tokens");
  if (tokens == p.meta.end() || tokens->second.type != Array ||
      tokens->second.elemType != String)
    return makeError(p.source + ": missing string array tokenizer.ggml.tokens");
  v.tokens = tokens->second.strings;
  auto merges = p.meta.find("tokenizer.ggml.merges");
  if (merges != p.meta.end()) {
    if (merges->second.type != Array || merges->second.elemType != String)
      return makeError(p.source + ": tokenizer.ggml.merges is not a string "
                                  "array");
    v.merges = merges->second.strings;
  }
  return v;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

namespace {
class GGUFWriter {
public:
  std::vector<char> out;
  template <typename T> void put(T v) {
    out.insert(out.end(), (const char *)&v, (const char *)&v + sizeof(T));
  }
  void putString(StringRef s) {
    put<uint64_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void kvString(StringRef k, StringRef v) {
    putString(k);
    put<uint32_t>(String);
    putString(v);
  }
  void kvU32(StringRef k, uint32_t v) {
    putString(k);
    put<uint32_t>(U32);
    put(v);
  }
  void kvF32(StringRef k, float v) {
    putString(k);
    put<uint32_t>(F32);
    put(v);
  }
  void kvStrings(StringRef k, const std::vector<std::string> &v) {
    putString(k);
    put<uint32_t>(Array);
    put<uint32_t>(String);
    put<uint64_t>(v.size());
    for (const std::string &s : v)
      putString(s);
  }
  void pad(uint64_t alignment) {
    out.resize(llvm::alignTo(out.size(), alignment), 0);
  }
};
} // namespace

Expected<std::vector<char>> lq::serializeGGUF(const LlamaModel &in,
                                              GGUFTensorType type,
                                              const GGUFVocab *vocab) {
  const LlamaConfig &c = in.config;
  if (Error e = c.validate("GGUF writer"))
    return std::move(e);
  const LlamaModel *m = &in;
  LlamaModel converted;
  if (c.ropeStyle != LlamaConfig::Interleaved) {
    converted = in;
    convertRopeStyle(converted, LlamaConfig::Interleaved);
    m = &converted;
  }
  // GGUF name, HF name, in llama.cpp's order.
  std::vector<std::pair<std::string, std::string>> list = {
      {"token_embd.weight", names::Embed}};
  using names::LayerTensor;
  const std::pair<const char *, LayerTensor> layerNames[] = {
      {"attn_norm", LayerTensor::AttnNorm}, {"attn_q", LayerTensor::Q},
      {"attn_k", LayerTensor::K},           {"attn_v", LayerTensor::V},
      {"attn_output", LayerTensor::O},      {"ffn_norm", LayerTensor::MLPNorm},
      {"ffn_gate", LayerTensor::Gate},      {"ffn_up", LayerTensor::Up},
      {"ffn_down", LayerTensor::Down}};
  for (int64_t l = 0; l < c.nLayers; ++l)
    for (const auto &[g, kind] : layerNames)
      list.push_back({"blk." + std::to_string(l) + "." + g + ".weight",
                      names::layer(l, kind)});
  list.push_back({"output_norm.weight", names::FinalNorm});
  if (!c.tiedEmbeddings)
    list.push_back({"output.weight", names::LMHead});

  constexpr uint64_t alignment = 32;
  GGUFWriter w;
  w.out.insert(w.out.end(), {'G', 'G', 'U', 'F'});
  w.put<uint32_t>(3);
  w.put<uint64_t>(list.size());
  w.put<uint64_t>(12 + (vocab ? 2 + !vocab->merges.empty() : 0));
  w.kvString("general.architecture", "llama");
  w.kvU32("general.alignment", alignment);
  w.kvU32("llama.context_length", c.maxSeqLen);
  w.kvU32("llama.embedding_length", c.dim);
  w.kvU32("llama.feed_forward_length", c.hiddenDim);
  w.kvU32("llama.block_count", c.nLayers);
  w.kvU32("llama.attention.head_count", c.nHeads);
  w.kvU32("llama.attention.head_count_kv", c.nKVHeads);
  w.kvU32("llama.rope.dimension_count", c.headDim());
  w.kvU32("llama.vocab_size", c.vocabSize);
  w.kvF32("llama.attention.layer_norm_rms_epsilon", c.normEps);
  w.kvF32("llama.rope.freq_base", c.ropeTheta);
  if (vocab) {
    w.kvString("tokenizer.ggml.model", "gpt2");
    w.kvStrings("tokenizer.ggml.tokens", vocab->tokens);
    if (!vocab->merges.empty())
      w.kvStrings("tokenizer.ggml.merges", vocab->merges);
  }
  uint64_t elem = type == GGUFTensorType::F32 ? 4 : 2;
  uint64_t offset = 0;
  std::vector<const Tensor *> data;
  for (const auto &[g, hf] : list) {
    const Tensor *t = m->weights.lookup(hf);
    if (!t)
      return makeError("GGUF writer: missing tensor '" + hf + "'");
    data.push_back(t);
    w.putString(g);
    w.put<uint32_t>(t->shape.size());
    for (auto it = t->shape.rbegin(); it != t->shape.rend(); ++it)
      w.put<uint64_t>(*it);
    w.put<uint32_t>(uint32_t(type));
    w.put<uint64_t>(offset);
    offset = llvm::alignTo(offset + t->numel() * elem, alignment);
  }
  w.pad(alignment);
  for (const Tensor *t : data) {
    for (float v : t->data) {
      if (type == GGUFTensorType::F32)
        w.put(v);
      else if (type == GGUFTensorType::F16)
        w.put(floatToF16(v));
      else
        w.put(floatToBF16(v));
    }
    w.pad(alignment);
  }
  return std::move(w.out);
}

Error lq::writeGGUF(const LlamaModel &model, StringRef path,
                    GGUFTensorType type, const GGUFVocab *vocab) {
  auto bytes = serializeGGUF(model, type, vocab);
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
