//===- ModelInfo.cpp - The JSON description of a compiled model -----------===//

#include "lq/Runtime/ModelInfo.h"

#include "lq/Model/Safetensors.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

namespace lq::runtime {

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static constexpr llvm::StringLiteral kFormat = "lq-model-info";
static constexpr int64_t kVersion = 1;

llvm::Error checkTokenIds(llvm::ArrayRef<int32_t> ids, const ModelInfo &info) {
  for (int32_t id : ids)
    if (id < 0 || id >= info.vocab)
      return err(llvm::formatv("token id {0} is outside the vocabulary [0, {1})", id, info.vocab));
  return llvm::Error::success();
}

llvm::StringRef targetName(ModelTarget target) {
  return target == ModelTarget::CUDA ? "cuda" : "cpu";
}

std::string modelInfoToJSON(const ModelInfo &info) {
  llvm::json::Array functions;
  if (info.hasForward)
    functions.push_back("forward");
  if (info.hasDecode)
    functions.push_back("decode");
  llvm::json::Object object{{"format", kFormat},
                            {"version", kVersion},
                            {"target", targetName(info.target)},
                            {"dim", info.dim},
                            {"hidden_dim", info.hiddenDim},
                            {"layers", info.layers},
                            {"heads", info.heads},
                            {"kv_heads", info.kvHeads},
                            {"head_dim", info.headDim},
                            {"vocab", info.vocab},
                            {"context", info.context},
                            {"kv_bits", info.kvBits},
                            {"kv_row_bytes", info.kvBits ? info.packedRowBytes() : 0},
                            {"functions", std::move(functions)}};
  if (!info.weights.empty()) {
    llvm::json::Array weights;
    for (const WeightSpec &w : info.weights)
      weights.push_back(llvm::json::Object{
          {"name", w.name}, {"dtype", w.dtype}, {"shape", llvm::json::Array(w.shape)}});
    object["weights"] = std::move(weights);
  }
  return llvm::formatv("{0}", llvm::json::Value(std::move(object))).str();
}

/// The optional "weights" list: each entry's name, a dtype of whole bytes
/// and a shape whose byte size does not overflow.
static llvm::Error parseWeights(const llvm::json::Object &object,
                                std::vector<WeightSpec> &weights) {
  const llvm::json::Value *list = object.get("weights");
  if (!list)
    return llvm::Error::success();
  const llvm::json::Array *entries = list->getAsArray();
  if (!entries)
    return err("the model description's 'weights' is not an array");
  for (const llvm::json::Value &entry : *entries) {
    const llvm::json::Object *w = entry.getAsObject();
    std::optional<llvm::StringRef> name = w ? w->getString("name") : std::nullopt;
    std::optional<llvm::StringRef> dtype = w ? w->getString("dtype") : std::nullopt;
    const llvm::json::Array *shape = w ? w->getArray("shape") : nullptr;
    if (!name || !dtype || !shape)
      return err(llvm::formatv("the model description's weight {0} needs a name, a dtype and a "
                               "shape",
                               weights.size()));
    WeightSpec spec{name->str(), dtype->str(), {}};
    uint64_t bytes = safetensorsElementBytes(*dtype);
    if (!bytes)
      return err(llvm::formatv("the model description's weight '{0}' has dtype '{1}', not a "
                               "safetensors dtype of whole bytes",
                               *name, *dtype));
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> size = d.getAsInteger();
      if (!size || *size < 0 || __builtin_mul_overflow(bytes, uint64_t(*size), &bytes))
        return err(llvm::formatv("the model description's weight '{0}' has a bad shape", *name));
      spec.shape.push_back(*size);
    }
    weights.push_back(std::move(spec));
  }
  return llvm::Error::success();
}

llvm::Expected<ModelInfo> parseModelInfoJSON(llvm::StringRef json) {
  auto parsed = llvm::json::parse(json);
  if (!parsed)
    return err("the model description is not JSON: " + llvm::toString(parsed.takeError()));
  const llvm::json::Object *object = parsed->getAsObject();
  if (!object)
    return err("the model description is not a JSON object");
  if (object->getString("format") != kFormat || object->getInteger("version") != kVersion)
    return err(llvm::formatv("the model description is not {0} version {1}", kFormat, kVersion));

  ModelInfo info;
  // Bounds keep every product the runner computes (cache bytes) in range.
  auto read = [&](llvm::StringRef key, int64_t &value, int64_t min, int64_t max) -> llvm::Error {
    std::optional<int64_t> v = object->getInteger(key);
    if (!v)
      return err(llvm::formatv("the model description has no integer '{0}'", key));
    if (*v < min || *v > max)
      return err(llvm::formatv("the model description's '{0}' is {1}, outside [{2}, {3}]", key,
                               *v, min, max));
    value = *v;
    return llvm::Error::success();
  };
  const int64_t kMaxDim = int64_t(1) << 24;
  int64_t rowBytes = 0;
  for (auto [key, field, min] :
       {std::tuple<llvm::StringRef, int64_t *, int64_t>{"dim", &info.dim, 1},
        {"hidden_dim", &info.hiddenDim, 1},
        {"layers", &info.layers, 1},
        {"heads", &info.heads, 1},
        {"kv_heads", &info.kvHeads, 1},
        {"head_dim", &info.headDim, 1},
        {"vocab", &info.vocab, 1},
        {"context", &info.context, 1},
        {"kv_bits", &info.kvBits, 0},
        {"kv_row_bytes", &rowBytes, 0}})
    if (llvm::Error e = read(key, *field, min, key == "kv_bits" ? 8 : kMaxDim))
      return std::move(e);

  std::optional<llvm::StringRef> target = object->getString("target");
  if (target == "cpu")
    info.target = ModelTarget::CPU;
  else if (target == "cuda")
    info.target = ModelTarget::CUDA;
  else
    return err("the model description's 'target' is not \"cpu\" or \"cuda\"");

  const llvm::json::Array *functions = object->getArray("functions");
  if (!functions)
    return err("the model description has no 'functions' array");
  for (const llvm::json::Value &f : *functions) {
    std::optional<llvm::StringRef> name = f.getAsString();
    if (name == "forward")
      info.hasForward = true;
    else if (name == "decode")
      info.hasDecode = true;
    else
      return err("the model description's 'functions' names something other than forward "
                 "and decode");
  }
  if (!info.hasForward && !info.hasDecode)
    return err("the model description lists no entry point (forward, decode)");

  if (info.kvBits != 0 && info.kvBits != 2 && info.kvBits != 4 && info.kvBits != 8)
    return err(llvm::formatv("the model description's kv_bits is {0}, not 0, 2, 4 or 8",
                             info.kvBits));
  if (rowBytes != (info.kvBits ? info.packedRowBytes() : 0))
    return err(llvm::formatv("the model description's kv_row_bytes {0} does not match "
                             "kv_heads {1} x head_dim {2} x kv_bits {3}",
                             rowBytes, info.kvHeads, info.headDim, info.kvBits));
  if (info.heads % info.kvHeads != 0)
    return err(llvm::formatv("the model description's heads ({0}) are not a multiple of its "
                             "kv_heads ({1})",
                             info.heads, info.kvHeads));
  if (llvm::Error e = parseWeights(*object, info.weights))
    return std::move(e);
  // One f32 cache must be addressable (and allocatable) on the host.
  double cacheBytes = 4.0 * info.layers * info.kvHeads * info.context * info.headDim;
  if (cacheBytes > double(int64_t(1) << 40))
    return err(llvm::formatv("the model description's KV cache would take {0:e2} bytes",
                             cacheBytes));
  return info;
}

} // namespace lq::runtime
