//===- Inputs.cpp - function inputs for calibrate and compare ---------------===//
//
// The argument lists a function of f32 tensors is run on: read from .npy
// files (one per argument, samples stacked along a leading axis) or a raw
// file (little-endian f32, the arguments of each sample in order), or drawn
// at random (uniform in [-1, 1), seeded).
//
//===----------------------------------------------------------------------===//
#include "QuantRun.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

#include <cmath>
#include <cstring>

namespace quant_run {

/// A .npy file: little-endian f32, C order.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

static Expected<NpyArray> readNpy(StringRef path) {
  auto buf = MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf)
    return usage(formatv("cannot read '{0}': {1}", path, buf.getError().message()));
  StringRef bytes = (*buf)->getBuffer();
  auto bad = [&](const Twine &why) { return usage(formatv("{0}: {1}", path, why.str())); };
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return bad("not a .npy file");
  uint8_t major = bytes[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = support::endian::read16le(bytes.data() + 8);
    headerStart = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    headerLen = support::endian::read32le(bytes.data() + 8);
    headerStart = 12;
  } else {
    return bad(formatv("unsupported .npy version {0}", major));
  }
  if (headerStart + headerLen > bytes.size())
    return bad("truncated header");
  StringRef header = bytes.substr(headerStart, headerLen);
  auto field = [&](StringRef key) -> std::optional<StringRef> {
    size_t at = header.find(("'" + key + "'").str());
    if (at == StringRef::npos)
      return std::nullopt;
    StringRef rest = header.drop_front(at + key.size() + 2).ltrim(" :");
    return rest;
  };
  std::optional<StringRef> descr = field("descr"), order = field("fortran_order"),
                           shapeField = field("shape");
  if (!descr || !order || !shapeField)
    return bad("header lacks descr, fortran_order or shape");
  if (!descr->starts_with("'<f4'"))
    return bad("only little-endian float32 ('<f4') arrays are read");
  if (!order->starts_with("False"))
    return bad("Fortran-ordered arrays are not read");
  if (!shapeField->starts_with("("))
    return bad("malformed shape");
  StringRef dims = shapeField->drop_front().split(')').first;
  NpyArray a;
  SmallVector<StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  int64_t count = 1;
  for (StringRef p : parts) {
    int64_t d;
    if (p.trim().getAsInteger(10, d) || d < 0 || d > (int64_t(1) << 40))
      return bad(formatv("bad dimension '{0}'", p.trim()));
    a.shape.push_back(d);
    // Checked before the product, which could otherwise overflow.
    if (d > 0 && count > (int64_t(1) << 34) / d)
      return bad("array too large");
    count *= d;
  }
  size_t dataStart = headerStart + headerLen;
  if (bytes.size() - dataStart != (size_t)count * 4)
    return bad(
        formatv("holds {0} data bytes, its shape needs {1}", bytes.size() - dataStart, count * 4));
  a.data.resize(count);
  for (int64_t i = 0; i < count; ++i)
    a.data[i] =
        support::endian::read<float, llvm::endianness::little>(bytes.data() + dataStart + 4 * i);
  return a;
}

/// The shape of `expected` (the signature's, maybe dynamic) that `actual`
/// fits, or an error naming the argument.
static Error checkShape(const FunctionSignature &sig, size_t arg, ArrayRef<int64_t> actual) {
  const std::vector<int64_t> &expected = sig.args[arg];
  bool fits = actual.size() == expected.size();
  for (size_t d = 0; fits && d < expected.size(); ++d)
    fits = expected[d] < 0 ? actual[d] >= 1 : actual[d] == expected[d];
  if (fits)
    return Error::success();
  auto str = [](ArrayRef<int64_t> s) {
    std::string out;
    for (int64_t d : s)
      out += (out.empty() ? "" : "x") + (d < 0 ? std::string("?") : std::to_string(d));
    return out.empty() ? std::string("scalar") : out;
  };
  return usage(formatv("argument {0} of @{1} is {2}, the inputs give {3}", arg, sig.name,
                       str(expected), str(actual)));
}

Expected<std::vector<std::vector<HostTensor>>> readInputs(StringRef spec,
                                                          const FunctionSignature &sig) {
  SmallVector<StringRef> paths;
  spec.split(paths, ',', -1, /*KeepEmpty=*/false);
  std::vector<std::vector<HostTensor>> samples;
  if (llvm::all_of(paths, [](StringRef p) { return p.ends_with(".npy"); })) {
    if (paths.size() != sig.args.size())
      return usage(formatv("@{0} takes {1} arguments: give one .npy file each, not {2}", sig.name,
                           sig.args.size(), paths.size()));
    for (auto [i, path] : llvm::enumerate(paths)) {
      auto a = readNpy(path);
      if (!a)
        return a.takeError();
      // [S, ...argument] stacks S samples; the argument's own shape is one.
      bool stacked = a->shape.size() == sig.args[i].size() + 1;
      int64_t S = stacked ? a->shape[0] : 1;
      std::vector<int64_t> shape(a->shape.begin() + (stacked ? 1 : 0), a->shape.end());
      if (Error e = checkShape(sig, i, shape))
        return std::move(e);
      if (i == 0)
        samples.resize(S);
      else if ((int64_t)samples.size() != S)
        return usage(
            formatv("'{0}' holds {1} samples, '{2}' {3}", paths[0], samples.size(), path, S));
      int64_t n = 1;
      for (int64_t d : shape)
        n *= d;
      for (int64_t s = 0; s < S; ++s)
        samples[s].push_back(
            {shape, std::vector<float>(a->data.begin() + s * n, a->data.begin() + (s + 1) * n)});
    }
  } else {
    if (paths.size() != 1)
      return usage("give one raw file of f32 samples, or one .npy file per argument");
    for (auto [i, shape] : llvm::enumerate(sig.args))
      if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
        return usage(formatv("argument {0} of @{1} has a dynamic size: give .npy files, which "
                             "carry their shapes",
                             i, sig.name));
    auto buf = MemoryBuffer::getFile(paths[0], /*IsText=*/false);
    if (!buf)
      return usage(formatv("cannot read '{0}': {1}", paths[0], buf.getError().message()));
    int64_t perSample = 0;
    for (const std::vector<int64_t> &shape : sig.args) {
      int64_t n = 1;
      for (int64_t d : shape)
        n *= d;
      perSample += n;
    }
    size_t bytes = (*buf)->getBufferSize();
    if (perSample == 0 || bytes == 0 || bytes % (perSample * 4) != 0)
      return usage(formatv("'{0}' holds {1} bytes, not a whole number of samples of {2} f32 "
                           "values (@{3}'s arguments)",
                           paths[0], bytes, perSample, sig.name));
    const char *p = (*buf)->getBufferStart();
    for (size_t s = 0; s < bytes / (perSample * 4); ++s) {
      std::vector<HostTensor> sample;
      for (const std::vector<int64_t> &shape : sig.args) {
        HostTensor t{shape, {}};
        t.data.resize(t.numElements());
        for (float &v : t.data) {
          v = support::endian::read<float, llvm::endianness::little>(p);
          p += 4;
        }
        sample.push_back(std::move(t));
      }
      samples.push_back(std::move(sample));
    }
  }
  for (auto &sample : samples)
    for (HostTensor &t : sample)
      if (llvm::any_of(t.data, [](float v) { return !std::isfinite(v); }))
        return usage("the inputs hold a NaN or an infinity");
  return samples;
}

Expected<std::vector<std::vector<HostTensor>>> randomInputs(const FunctionSignature &sig,
                                                            int64_t count, uint64_t seed) {
  for (auto [i, shape] : llvm::enumerate(sig.args))
    if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
      return usage(formatv("argument {0} of @{1} has a dynamic size: give --inputs", i, sig.name));
  // splitmix64: the same numbers on every platform.
  uint64_t state = seed;
  auto next = [&] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::vector<std::vector<HostTensor>> samples(count);
  for (auto &sample : samples)
    for (const std::vector<int64_t> &shape : sig.args) {
      HostTensor t{shape, {}};
      t.data.resize(t.numElements());
      for (float &v : t.data)
        v = (float)((double)(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0);
      sample.push_back(std::move(t));
    }
  return samples;
}

Expected<std::vector<std::vector<HostTensor>>> functionInputs(const FunctionSignature &sig) {
  if (!InputsPath.empty())
    return readInputs(InputsPath, sig);
  if (Samples < 1)
    return usage("--samples must be positive");
  WithColor::warning(errs(), "quant-run")
      << formatv("no --inputs: running @{0} on {1} random inputs, uniform in [-1, 1) (seed "
                 "{2}); statistics and errors on real inputs may differ\n",
                 sig.name, (int64_t)Samples, (uint64_t)Seed);
  return randomInputs(sig, Samples, Seed);
}

} // namespace quant_run
