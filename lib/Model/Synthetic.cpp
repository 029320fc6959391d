//===- Synthetic.cpp - Llama models with seeded random weights -------------===//
//
// Models of any shape for scale tests and benchmarks, where no trained
// checkpoint of that shape is at hand. Weights follow the distributions of
// an initialized Llama: linear and embedding weights normal with standard
// deviation 0.02, norm weights 1 plus a little noise. Each tensor has its
// own generator, seeded from the model seed and the tensor's name, so the
// weights do not depend on the order or the threads that make them.
//
//===----------------------------------------------------------------------===//

#include "lq/Model/Readers.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/xxhash.h"

#include <cmath>

using namespace lq;

namespace {
/// xoshiro256+ with Box-Muller normals: fast, and the same on every host.
class NormalGenerator {
  uint64_t s[4];
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    uint64_t result = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  /// Uniform in (0, 1].
  double uniform() { return ((next() >> 11) + 1) * (1.0 / 9007199254740992.0); }

public:
  explicit NormalGenerator(uint64_t seed) {
    // splitmix64 spreads one seed over the state.
    for (uint64_t &word : s) {
      uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      word = z ^ (z >> 31);
    }
  }
  /// Fills `out` with normals of mean `mean` and deviation `stddev`.
  void fill(std::vector<float> &out, float mean, float stddev) {
    for (size_t i = 0; i < out.size(); i += 2) {
      double r = std::sqrt(-2.0 * std::log(uniform())), a = 2.0 * M_PI * uniform();
      out[i] = mean + stddev * float(r * std::cos(a));
      if (i + 1 < out.size())
        out[i + 1] = mean + stddev * float(r * std::sin(a));
    }
  }
};
} // namespace

llvm::Expected<LlamaModel> lq::makeSyntheticModel(const LlamaConfig &config, uint64_t seed) {
  if (llvm::Error e = config.validate("the synthetic model's configuration"))
    return std::move(e);
  struct Spec {
    std::string name;
    std::vector<int64_t> shape;
    bool norm;
  };
  std::vector<Spec> specs = {{names::Embed, {config.vocabSize, config.dim}, false},
                             {names::FinalNorm, {config.dim}, true}};
  if (!config.tiedEmbeddings)
    specs.push_back({names::LMHead, {config.vocabSize, config.dim}, false});
  for (int64_t l = 0; l < config.nLayers; ++l)
    for (names::LayerTensor kind : names::AllLayerTensors)
      specs.push_back({names::layer(l, kind), names::expectedShape(config, kind),
                       kind == names::LayerTensor::AttnNorm ||
                           kind == names::LayerTensor::MLPNorm});
  std::vector<Tensor> tensors(specs.size());
  llvm::parallelFor(0, specs.size(), [&](size_t i) {
    const Spec &spec = specs[i];
    int64_t n = 1;
    for (int64_t d : spec.shape)
      n *= d;
    std::vector<float> data(n);
    NormalGenerator(seed ^ llvm::xxh3_64bits(llvm::StringRef(spec.name)))
        .fill(data, spec.norm ? 1.0f : 0.0f, spec.norm ? 0.05f : 0.02f);
    tensors[i] = Tensor(spec.shape, std::move(data));
  });
  LlamaModel model;
  model.config = config;
  for (size_t i = 0; i < specs.size(); ++i)
    if (llvm::Error e = model.weights.add(specs[i].name, std::move(tensors[i]), "synthetic"))
      return std::move(e);
  if (llvm::Error e = model.validate("the synthetic model"))
    return std::move(e);
  return model;
}
