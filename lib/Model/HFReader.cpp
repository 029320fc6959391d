//===- HFReader.cpp - Hugging Face config.json + safetensors --------------===//

#include "lq/Model/Readers.h"
#include "Support.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <map>

using namespace lq;
using namespace lq::detail;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

Expected<LlamaConfig> lq::parseHFConfig(StringRef json, StringRef source) {
  auto v = parseJSON(json, source, /*rejectDuplicates=*/true);
  if (!v)
    return v.takeError();
  const llvm::json::Object *o = v->getAsObject();
  if (!o)
    return makeError(source + ": top level is not a JSON object");

  auto getInt = [&](StringRef key, int64_t &out,
                    std::optional<int64_t> dflt) -> Error {
    const llvm::json::Value *f = o->get(key);
    if (!f) {
      if (dflt) {
        out = *dflt;
        return Error::success();
      }
      return makeError(source + ": missing field '" + key + "'");
    }
    std::optional<int64_t> i = f->getAsInteger();
    if (!i)
      return makeError(source + ": field '" + key + "' is not an integer");
    out = *i;
    return Error::success();
  };
  auto getFloat = [&](StringRef key, float &out, double dflt) -> Error {
    const llvm::json::Value *f = o->get(key);
    if (!f) {
      out = float(dflt);
      return Error::success();
    }
    if (f->kind() == llvm::json::Value::Null)
      return makeError(source + ": field '" + key +
                       "' is null (give a number, or leave it out for the default)");
    std::optional<double> d = f->getAsNumber();
    if (!d)
      return makeError(source + ": field '" + key + "' is not a number");
    out = float(*d);
    return Error::success();
  };

  if (const llvm::json::Value *mt = o->get("model_type"))
    if (std::optional<StringRef> s = mt->getAsString(); !s || *s != "llama")
      return makeError(source + ": field 'model_type' is not \"llama\"");
  if (const llvm::json::Value *act = o->get("hidden_act"))
    if (std::optional<StringRef> s = act->getAsString(); !s || *s != "silu")
      return makeError(source + ": field 'hidden_act' must be \"silu\"");
  // Features of LlamaConfig this runtime does not implement.
  for (StringRef unsupported : {"rope_scaling", "attention_bias", "mlp_bias"})
    if (const llvm::json::Value *f = o->get(unsupported))
      if (f->kind() != llvm::json::Value::Null &&
          !(f->kind() == llvm::json::Value::Boolean && !*f->getAsBoolean()))
        return makeError(source + ": field '" + unsupported +
                         "' is not supported");

  LlamaConfig c;
  c.ropeStyle = LlamaConfig::HalfSplit;
  if (Error e = getInt("hidden_size", c.dim, std::nullopt))
    return std::move(e);
  if (Error e = getInt("intermediate_size", c.hiddenDim, std::nullopt))
    return std::move(e);
  if (Error e = getInt("num_hidden_layers", c.nLayers, std::nullopt))
    return std::move(e);
  if (Error e = getInt("num_attention_heads", c.nHeads, std::nullopt))
    return std::move(e);
  if (Error e = getInt("num_key_value_heads", c.nKVHeads, c.nHeads))
    return std::move(e);
  if (Error e = getInt("vocab_size", c.vocabSize, std::nullopt))
    return std::move(e);
  if (Error e = getInt("max_position_embeddings", c.maxSeqLen, 2048))
    return std::move(e);
  if (Error e = getFloat("rms_norm_eps", c.normEps, 1e-6))
    return std::move(e);
  if (Error e = getFloat("rope_theta", c.ropeTheta, 10000.0))
    return std::move(e);
  if (const llvm::json::Value *t = o->get("tie_word_embeddings")) {
    std::optional<bool> b = t->getAsBoolean();
    if (!b)
      return makeError(source + ": field 'tie_word_embeddings' is not a bool");
    c.tiedEmbeddings = *b;
  }
  if (const llvm::json::Value *hd = o->get("head_dim"))
    if (hd->kind() != llvm::json::Value::Null) {
      std::optional<int64_t> i = hd->getAsInteger();
      if (!i || !c.nHeads || *i != c.dim / c.nHeads)
        return makeError(source + ": field 'head_dim' must equal "
                                  "hidden_size / num_attention_heads");
    }
  if (Error e = c.validate(source))
    return std::move(e);
  return c;
}

Error lq::readSafetensors(llvm::MemoryBufferRef buffer, LlamaWeights &out) {
  StringRef source = buffer.getBufferIdentifier();
  StringRef bytes = buffer.getBuffer();
  if (bytes.size() < 8)
    return makeError(source + ": file too small for a safetensors header (" +
                     llvm::Twine(bytes.size()) + " bytes)");
  uint64_t headerLen = loadLE<uint64_t>(bytes.data());
  if (headerLen > bytes.size() - 8)
    return makeError(source + ": header length " + llvm::Twine(headerLen) +
                     " runs past the end of the file (" +
                     llvm::Twine(bytes.size()) + " bytes)");
  StringRef header = bytes.substr(8, headerLen);
  StringRef data = bytes.substr(8 + headerLen);
  auto v = parseJSON(header, source + " header", /*rejectDuplicates=*/true);
  if (!v)
    return v.takeError();
  const llvm::json::Object *o = v->getAsObject();
  if (!o)
    return makeError(source + ": header is not a JSON object");

  // Process in a stable order so errors are deterministic.
  std::vector<std::string> keys;
  for (const auto &kv : *o)
    keys.push_back(kv.first.str());
  std::sort(keys.begin(), keys.end());

  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const std::string &name : keys) {
    if (name == "__metadata__") {
      if (!o->get(name)->getAsObject())
        return makeError(source + ": '__metadata__' is not an object");
      continue;
    }
    std::string where = (source + ": tensor '" + name + "'").str();
    const llvm::json::Object *t = o->get(name)->getAsObject();
    if (!t)
      return makeError(where + " entry is not an object");
    std::optional<StringRef> dtype = t->getString("dtype");
    if (!dtype)
      return makeError(where + ": missing 'dtype'");
    DType type;
    if (*dtype == "F32")
      type = DType::F32;
    else if (*dtype == "F16")
      type = DType::F16;
    else if (*dtype == "BF16")
      type = DType::BF16;
    else
      return makeError(where + ": unsupported dtype '" + *dtype +
                       "' (F32, F16, BF16 supported)");
    const llvm::json::Array *shapeArr = t->getArray("shape");
    if (!shapeArr)
      return makeError(where + ": missing 'shape'");
    if (shapeArr->size() > 8)
      return makeError(where + ": too many dimensions");
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    for (const llvm::json::Value &d : *shapeArr) {
      std::optional<int64_t> i = d.getAsInteger();
      if (!i || *i < 0)
        return makeError(where + ": 'shape' has a non-integer or negative "
                                 "dimension");
      shape.push_back(*i);
      std::optional<uint64_t> m = mulChecked(numel, uint64_t(*i));
      if (!m)
        return makeError(where + ": 'shape' element count overflows");
      numel = *m;
    }
    const llvm::json::Array *offs = t->getArray("data_offsets");
    if (!offs || offs->size() != 2)
      return makeError(where + ": 'data_offsets' must be [begin, end]");
    std::optional<int64_t> begin = (*offs)[0].getAsInteger(),
                           end = (*offs)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin)
      return makeError(where + ": 'data_offsets' are not 0 <= begin <= end");
    if (uint64_t(*end) > data.size())
      return makeError(where + ": 'data_offsets' end " + llvm::Twine(*end) +
                       " runs past the data section (" +
                       llvm::Twine(data.size()) + " bytes)");
    std::optional<uint64_t> nbytes = mulChecked(numel, dtypeSize(type));
    if (!nbytes || *nbytes != uint64_t(*end - *begin))
      return makeError(where + ": 'data_offsets' span " +
                       llvm::Twine(*end - *begin) + " bytes, shape and dtype "
                       "need " + (nbytes ? llvm::Twine(*nbytes) : "too many"));
    ranges.push_back({uint64_t(*begin), uint64_t(*end)});

    std::vector<float> values(numel);
    convertToFloat(type, data.data() + *begin, numel, values.data());
    if (Error e = out.add(name, Tensor(std::move(shape), std::move(values)),
                          source))
      return e;
  }
  // Overlapping tensors would alias; the format forbids them.
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      return makeError(source + ": tensor data ranges overlap at offset " +
                       llvm::Twine(ranges[i].first));
  return Error::success();
}

static Expected<std::unique_ptr<llvm::MemoryBuffer>> openFile(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return makeError("cannot open '" + path + "': " + buf.getError().message());
  return std::move(*buf);
}

Expected<LlamaModel> lq::readHFModel(StringRef path) {
  llvm::SmallString<256> dir(path);
  std::vector<std::string> shards;
  // Index tensor name -> shard file (sharded checkpoints only).
  std::map<std::string, std::string> shardOf;
  if (llvm::sys::fs::is_directory(path)) {
    llvm::SmallString<256> single(dir), index(dir);
    llvm::sys::path::append(single, "model.safetensors");
    llvm::sys::path::append(index, "model.safetensors.index.json");
    if (llvm::sys::fs::exists(single)) {
      shards.push_back(single.str().str());
    } else if (llvm::sys::fs::exists(index)) {
      auto buf = openFile(index);
      if (!buf)
        return buf.takeError();
      auto v = parseJSON((*buf)->getBuffer(), index, true);
      if (!v)
        return v.takeError();
      const llvm::json::Object *o = v->getAsObject();
      const llvm::json::Object *map = o ? o->getObject("weight_map") : nullptr;
      if (!map)
        return makeError(index + ": missing object 'weight_map'");
      llvm::StringSet<> seen;
      std::vector<std::string> files;
      for (const auto &kv : *map) {
        if (std::optional<StringRef> f = kv.second.getAsString())
          shardOf[kv.first.str()] = f->str();
        std::optional<StringRef> f = kv.second.getAsString();
        if (!f)
          return makeError(index + ": 'weight_map' entry '" + StringRef(kv.first) +
                           "' is not a string");
        // Shards must live in the checkpoint folder.
        if (f->contains('/') || f->contains('\\') || *f == ".." || f->empty())
          return makeError(index + ": shard name '" + *f +
                           "' is not a plain file name");
        if (seen.insert(*f).second)
          files.push_back(f->str());
      }
      std::sort(files.begin(), files.end());
      for (const std::string &f : files) {
        llvm::SmallString<256> p(dir);
        llvm::sys::path::append(p, f);
        shards.push_back(p.str().str());
      }
      if (shards.empty())
        return makeError(index + ": 'weight_map' is empty");
    } else {
      return makeError(path + ": no model.safetensors or "
                              "model.safetensors.index.json in directory");
    }
  } else {
    shards.push_back(path.str());
    llvm::sys::path::remove_filename(dir);
  }

  llvm::SmallString<256> configPath(dir);
  llvm::sys::path::append(configPath, "config.json");
  auto configBuf = openFile(configPath);
  if (!configBuf)
    return configBuf.takeError();
  auto config = parseHFConfig((*configBuf)->getBuffer(), configPath);
  if (!config)
    return config.takeError();

  LlamaModel model;
  model.config = *config;
  for (const std::string &shard : shards) {
    auto buf = openFile(shard);
    if (!buf)
      return buf.takeError();
    LlamaWeights shardWeights;
    if (Error e = readSafetensors((*buf)->getMemBufferRef(), shardWeights))
      return std::move(e);
    StringRef file = llvm::sys::path::filename(shard);
    for (auto &[name, tensor] : shardWeights.tensors) {
      // The index must say where each tensor is: a reader that loads only
      // the shard it names would miss it.
      if (!shardOf.empty()) {
        auto it = shardOf.find(name);
        if (it == shardOf.end() || it->second != file)
          return makeError(shard + ": tensor '" + name + "' is here, but the index's " +
                           "weight_map " +
                           (it == shardOf.end() ? "does not list it"
                                                : "puts it in '" + it->second + "'"));
      }
      if (Error e = model.weights.add(name, std::move(tensor), shard))
        return std::move(e);
    }
  }
  if (Error e = model.validate(shards.size() == 1 ? StringRef(shards[0])
                                                  : StringRef(dir)))
    return std::move(e);
  return model;
}
