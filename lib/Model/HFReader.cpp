//===- HFReader.cpp - Hugging Face config.json + safetensors --------------===//

#include "lq/Model/Readers.h"
#include "lq/Model/Safetensors.h"
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
  auto tensors = parseSafetensors(buffer);
  if (!tensors)
    return tensors.takeError();
  for (SafetensorsTensor &t : *tensors) {
    DType type;
    if (t.dtype == "F32")
      type = DType::F32;
    else if (t.dtype == "F16")
      type = DType::F16;
    else if (t.dtype == "BF16")
      type = DType::BF16;
    else
      return makeError(buffer.getBufferIdentifier() + ": tensor '" + t.name +
                       "': unsupported dtype '" + t.dtype + "' (F32, F16, BF16 supported)");
    std::vector<float> values(t.bytes.size() / dtypeSize(type));
    convertToFloat(type, t.bytes.data(), values.size(), values.data());
    if (Error e = out.add(t.name, Tensor(std::move(t.shape), std::move(values)),
                          buffer.getBufferIdentifier()))
      return e;
  }
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
