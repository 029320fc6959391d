//===- Safetensors.cpp - The safetensors container ------------------------===//

#include "lq/Model/Safetensors.h"
#include "Support.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace lq;
using namespace lq::detail;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

unsigned lq::safetensorsElementBytes(StringRef dtype) {
  return llvm::StringSwitch<unsigned>(dtype)
      .Cases({"F64", "I64", "U64"}, 8)
      .Cases({"F32", "I32", "U32"}, 4)
      .Cases({"F16", "BF16", "I16", "U16"}, 2)
      .Cases({"I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2"}, 1)
      .Default(0);
}

Expected<std::vector<SafetensorsTensor>>
lq::parseSafetensors(llvm::MemoryBufferRef buffer, std::map<std::string, std::string> *metadata) {
  StringRef source = buffer.getBufferIdentifier();
  StringRef bytes = buffer.getBuffer();
  if (bytes.size() < 8)
    return makeError(source + ": file too small for a safetensors header (" +
                     llvm::Twine(bytes.size()) + " bytes)");
  uint64_t headerLen = loadLE<uint64_t>(bytes.data());
  if (headerLen > bytes.size() - 8)
    return makeError(source + ": header length " + llvm::Twine(headerLen) +
                     " runs past the end of the file (" + llvm::Twine(bytes.size()) + " bytes)");
  StringRef header = bytes.substr(8, headerLen);
  StringRef data = bytes.substr(8 + headerLen);
  auto v = parseJSON(header, source + " header", /*rejectDuplicates=*/true);
  if (!v)
    return v.takeError();
  const llvm::json::Object *o = v->getAsObject();
  if (!o)
    return makeError(source + ": header is not a JSON object");

  // Processed in a stable order so errors are deterministic.
  std::vector<std::string> keys;
  for (const auto &kv : *o)
    keys.push_back(kv.first.str());
  std::sort(keys.begin(), keys.end());

  std::vector<SafetensorsTensor> tensors;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const std::string &name : keys) {
    if (name == "__metadata__") {
      const llvm::json::Object *m = o->get(name)->getAsObject();
      if (!m)
        return makeError(source + ": '__metadata__' is not an object");
      if (metadata)
        for (const auto &[key, value] : *m) {
          std::optional<StringRef> text = value.getAsString();
          if (!text)
            return makeError(source + ": '__metadata__' entry '" + key.str() +
                             "' is not a string");
          (*metadata)[key.str()] = text->str();
        }
      continue;
    }
    std::string where = (source + ": tensor '" + name + "'").str();
    const llvm::json::Object *t = o->get(name)->getAsObject();
    if (!t)
      return makeError(where + " entry is not an object");
    std::optional<StringRef> dtype = t->getString("dtype");
    if (!dtype)
      return makeError(where + ": missing 'dtype'");
    unsigned elementBytes = safetensorsElementBytes(*dtype);
    if (!elementBytes)
      return makeError(where + ": unsupported dtype '" + *dtype + "'");
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
        return makeError(where + ": 'shape' has a non-integer or negative dimension");
      shape.push_back(*i);
      std::optional<uint64_t> m = mulChecked(numel, uint64_t(*i));
      if (!m)
        return makeError(where + ": 'shape' element count overflows");
      numel = *m;
    }
    const llvm::json::Array *offs = t->getArray("data_offsets");
    if (!offs || offs->size() != 2)
      return makeError(where + ": 'data_offsets' must be [begin, end]");
    std::optional<int64_t> begin = (*offs)[0].getAsInteger(), end = (*offs)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin)
      return makeError(where + ": 'data_offsets' are not 0 <= begin <= end");
    if (uint64_t(*end) > data.size())
      return makeError(where + ": 'data_offsets' end " + llvm::Twine(*end) +
                       " runs past the data section (" + llvm::Twine(data.size()) + " bytes)");
    std::optional<uint64_t> nbytes = mulChecked(numel, uint64_t(elementBytes));
    if (!nbytes || *nbytes != uint64_t(*end - *begin))
      return makeError(where + ": 'data_offsets' span " + llvm::Twine(*end - *begin) +
                       " bytes, shape and dtype need " +
                       (nbytes ? llvm::Twine(*nbytes) : "too many"));
    ranges.push_back({uint64_t(*begin), uint64_t(*end)});
    tensors.push_back({name, dtype->str(), std::move(shape), data.substr(*begin, *end - *begin)});
  }
  // Overlapping tensors would alias; the format forbids them.
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      return makeError(source + ": tensor data ranges overlap at offset " +
                       llvm::Twine(ranges[i].first));
  return tensors;
}

Error lq::writeSafetensors(StringRef path, llvm::ArrayRef<SafetensorsTensor> tensors,
                           const std::map<std::string, std::string> &metadata) {
  llvm::json::Object header;
  uint64_t offset = 0;
  for (const SafetensorsTensor &t : tensors) {
    unsigned elementBytes = safetensorsElementBytes(t.dtype);
    uint64_t numel = 1;
    for (int64_t d : t.shape)
      numel *= uint64_t(d);
    if (!elementBytes || numel * elementBytes != t.bytes.size())
      return makeError(path + ": tensor '" + t.name + "' has " + llvm::Twine(t.bytes.size()) +
                       " bytes, not what dtype " + t.dtype + " and its shape need");
    if (header.find(t.name) != header.end() || t.name == "__metadata__")
      return makeError(path + ": tensor name '" + t.name + "' repeated or reserved");
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    header[t.name] = llvm::json::Object{{"dtype", t.dtype},
                                        {"shape", std::move(shape)},
                                        {"data_offsets", llvm::json::Array{offset,
                                                                           offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  if (!metadata.empty()) {
    llvm::json::Object m;
    for (const auto &[key, value] : metadata)
      m[key] = value;
    header["__metadata__"] = std::move(m);
  }
  std::string text = llvm::formatv("{0}", llvm::json::Value(std::move(header))).str();
  // Spaces pad the header (as the format allows) so the data starts 64-byte
  // aligned: tensors that are multiples of 64 bytes then stay aligned when
  // the file is mapped.
  text.append(llvm::alignTo(8 + text.size(), 64) - 8 - text.size(), ' ');
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    uint64_t length = text.size();
    os.write(reinterpret_cast<const char *>(&length), 8);
    os << text;
    for (const SafetensorsTensor &t : tensors)
      os << t.bytes;
    return Error::success();
  });
}
