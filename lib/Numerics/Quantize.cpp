//===- Quantize.cpp - RTN and GPTQ over uniform, PVQ and binary codes -------===//
//
// GPTQ (Frantar et al.) quantizes the columns of each row left to right and
// spreads each column's error over the columns not yet quantized through the
// upper Cholesky factor U of H^-1. The encodings plug in as a RowQuantizer:
// a "unit" of columns quantized jointly (1 for scalar codes, D for PVQ) and a
// parameter group fitted when it starts (scales, amplitudes, binary levels).
// RTN is the same loop with U = I.
//
//===----------------------------------------------------------------------===//
#include "lq/Numerics/Quantize.h"

#include "lq/Numerics/PVQ.h"
#include "lq/Numerics/Packing.h"

#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

namespace lq {

//===----------------------------------------------------------------------===//
// Encoding checks and sizes
//===----------------------------------------------------------------------===//

namespace {
struct StorageSizes {
  int64_t byteElements = 0; // codes, zero points, amplitudes (8 bits each)
  int64_t halfElements = 0; // scales, offsets (16 bits each)
};

} // namespace

std::optional<std::string> verifyEncoding(const Encoding &enc, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0)
    return "weight shape must be positive, got " + std::to_string(rows) + "x" +
           std::to_string(cols);
  if (auto *u = std::get_if<UniformEncoding>(&enc)) {
    if (u->bits < 2 || u->bits > 8)
      return "uniform bits must be in [2, 8], got " + std::to_string(u->bits);
    if (u->group <= 0)
      return "group must be positive, got " + std::to_string(u->group);
    if (cols % u->group)
      return "group " + std::to_string(u->group) + " does not divide the reduction dimension " +
             std::to_string(cols);
    return std::nullopt;
  }
  if (auto *p = std::get_if<PVQEncoding>(&enc)) {
    if (p->dim < 1 || p->dim > 4096)
      return "pvq dim must be in [1, 4096], got " + std::to_string(p->dim);
    if (p->pulses < 1 || p->pulses > 4096)
      return "pvq pulses must be in [1, 4096], got " + std::to_string(p->pulses);
    if (p->ampBits < 1 || p->ampBits > 16)
      return "pvq amp_bits must be in [1, 16], got " + std::to_string(p->ampBits);
    llvm::Expected<unsigned> bits = pvqIndexBits(p->dim, p->pulses);
    if (!bits)
      return llvm::toString(bits.takeError());
    if (p->ampGroup <= 0 || p->ampGroup % p->dim)
      return "pvq amp_group " + std::to_string(p->ampGroup) + " is not a multiple of dim " +
             std::to_string(p->dim);
    if (cols % p->ampGroup)
      return "pvq amp_group " + std::to_string(p->ampGroup) +
             " does not divide the reduction dimension " + std::to_string(cols);
    return std::nullopt;
  }
  const auto &b = std::get<BinaryEncoding>(enc);
  if (b.planes < 1 || b.planes > 8)
    return "binary planes must be in [1, 8], got " + std::to_string(b.planes);
  if (b.group <= 0)
    return "group must be positive, got " + std::to_string(b.group);
  if (cols % b.group)
    return "group " + std::to_string(b.group) + " does not divide the reduction dimension " +
           std::to_string(cols);
  return std::nullopt;
}

static StorageSizes storageSizes(const Encoding &enc, int64_t rows, int64_t cols) {
  StorageSizes s;
  if (auto *u = std::get_if<UniformEncoding>(&enc)) {
    int64_t groups = rows * (cols / u->group);
    s.byteElements = rows * packedBytes(cols, u->bits) + (u->symmetric ? 0 : groups);
    s.halfElements = groups;
  } else if (auto *p = std::get_if<PVQEncoding>(&enc)) {
    unsigned bits = llvm::cantFail(pvqIndexBits(p->dim, p->pulses));
    s.byteElements = rows * (packedBytes(cols / p->dim, bits) +
                             packedBytes(cols / p->ampGroup, p->ampBits));
    s.halfElements = rows;
  } else {
    const auto &b = std::get<BinaryEncoding>(enc);
    int64_t groups = rows * (cols / b.group);
    s.byteElements = b.planes * rows * packedBytes(cols, 1);
    s.halfElements = groups * (b.planes + 1);
  }
  return s;
}

double bitsPerWeight(const Encoding &enc, int64_t rows, int64_t cols) {
  StorageSizes s = storageSizes(enc, rows, cols);
  return (8.0 * s.byteElements + 16.0 * s.halfElements) / ((double)rows * cols);
}

//===----------------------------------------------------------------------===//
// Row quantizers
//===----------------------------------------------------------------------===//

namespace {
/// The 2^planes levels of a binary-code group with their sign patterns,
/// computed exactly as decodeWeight does, sorted by value.
using BinaryLevels = std::vector<std::pair<float, unsigned>>;

BinaryLevels binaryLevels(const std::vector<float> &alpha, float offset) {
  BinaryLevels levels;
  for (unsigned p = 0; p < (1u << alpha.size()); ++p) {
    float v = offset;
    for (size_t i = 0; i < alpha.size(); ++i)
      v = v + ((p >> i & 1) ? 1.0f : -1.0f) * alpha[i];
    levels.push_back({v, p});
  }
  std::sort(levels.begin(), levels.end());
  return levels;
}

size_t nearestLevel(const BinaryLevels &levels, double w) {
  auto it = std::lower_bound(levels.begin(), levels.end(), std::make_pair((float)w, 0u),
                             [](auto &a, auto &b) { return a.first < b.first; });
  size_t hi = std::min<size_t>(it - levels.begin(), levels.size() - 1);
  size_t lo = hi > 0 ? hi - 1 : 0;
  return std::fabs(w - levels[lo].first) <= std::fabs(w - levels[hi].first) ? lo : hi;
}

/// One group's binary-code parameters (fp16-exact) and levels.
struct BinaryGroupCodes {
  std::vector<float> alpha;
  float offset = 0;
  BinaryLevels levels;
};

/// GPTQT on one group for one scale factor gamma: linear quantization to
/// 2^gridBits levels with the min-max scale times gamma (gamma < 1 clips both
/// ends around the centre), then the integer grid re-coded as binary planes.
BinaryGroupCodes binaryGroupCandidate(const double *w, int64_t n, unsigned planes,
                                      unsigned gridBits, double gamma) {
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < n; ++i)
    lo = std::min(lo, w[i]), hi = std::max(hi, w[i]);
  BinaryGroupCodes codes;
  codes.alpha.assign(planes, 0.0f);
  codes.offset = roundToHalf((float)((lo + hi) / 2));
  if (hi > lo) {
    int64_t grid = int64_t(1) << gridBits;
    double s = (hi - lo) / (grid - 1) * gamma;
    double z = (grid - 1) / 2.0 - (lo + hi) / 2 / s;
    std::vector<double> histogram(grid, 0);
    for (int64_t i = 0; i < n; ++i)
      histogram[(int64_t)std::clamp<double>(std::nearbyint(w[i] / s + z), 0, grid - 1)] += 1;
    BinaryCodeFit fit = fitBinaryCodes(histogram, planes);
    // Merged form: w = sum (s alpha_i) b_i + s (beta - z).
    for (unsigned i = 0; i < planes; ++i)
      codes.alpha[i] = roundToHalf((float)(s * fit.alpha[i]));
    codes.offset = roundToHalf((float)(s * (fit.beta - z)));
  }
  codes.levels = binaryLevels(codes.alpha, codes.offset);
  return codes;
}

/// The candidate with the least squared error over the re-exploration grid.
BinaryGroupCodes fitBinaryGroup(const double *w, int64_t n, unsigned planes, unsigned gridBits,
                                const std::vector<double> &gammas) {
  BinaryGroupCodes best;
  double bestErr = INFINITY;
  for (double gamma : gammas) {
    BinaryGroupCodes c = binaryGroupCandidate(w, n, planes, gridBits, gamma);
    double err = 0;
    for (int64_t i = 0; i < n; ++i) {
      double d = w[i] - c.levels[nearestLevel(c.levels, w[i])].first;
      err += d * d;
    }
    if (err < bestErr)
      bestErr = err, best = std::move(c);
  }
  return best;
}
} // namespace

namespace {
/// Quantizes one row at a time into the shared EncodedWeight (rows never
/// share bytes, so rows may run on different threads).
class RowQuantizer {
public:
  virtual ~RowQuantizer() = default;
  /// Columns quantized jointly.
  virtual int64_t unit() const = 0;
  /// Columns sharing fitted parameters (a multiple of unit()).
  virtual int64_t paramGroup() const = 0;
  virtual void startRow(int64_t row, const float *original) {}
  /// Fits the parameters of group `g` from its current values.
  virtual void fitGroup(int64_t row, int64_t g, const double *w) = 0;
  /// Quantizes unit() columns starting at `col`; writes codes and the
  /// decoded values (exactly what decodeWeight returns).
  virtual void quantizeUnit(int64_t row, int64_t col, const double *w, double *q) = 0;
};

class UniformQuantizer : public RowQuantizer {
public:
  UniformQuantizer(const UniformEncoding &e, EncodedWeight &out)
      : e(e), out(out), params(out.cols / e.group) {}
  int64_t unit() const override { return 1; }
  int64_t paramGroup() const override { return e.group; }
  void fitGroup(int64_t row, int64_t g, const double *w) override {
    double lo = 0, hi = 0; // the grid always holds zero
    for (int64_t i = 0; i < e.group; ++i)
      lo = std::min(lo, w[i]), hi = std::max(hi, w[i]);
    int64_t levels = (int64_t(1) << e.bits) - 1;
    int64_t idx = row * (out.cols / e.group) + g;
    double s;
    int zero;
    if (e.symmetric) {
      double half = std::ldexp(1.0, (int)e.bits - 1);
      s = std::max(-lo / half, hi / (half - 1));
      zero = (int)half;
    } else {
      s = (hi - lo) / levels;
      zero = s > 0 ? (int)std::clamp<double>(std::nearbyint(-lo / s), 0, levels) : 0;
      out.zeroPoints[idx] = (uint8_t)zero;
    }
    out.scales[idx] = floatToHalf((float)s);
    params[g] = {halfToFloat(out.scales[idx]), zero};
  }
  void quantizeUnit(int64_t row, int64_t col, const double *w, double *q) override {
    auto [scale, zero] = params[col / e.group];
    int64_t maxCode = (int64_t(1) << e.bits) - 1;
    int64_t code = zero;
    if (scale > 0 && std::isfinite(scale))
      code = (int64_t)std::clamp<double>(std::nearbyint(*w / scale) + zero, 0, maxCode);
    putBits(&out.codes[row * packedBytes(out.cols, e.bits)], col * e.bits, e.bits, code);
    *q = (float)(code - zero) * scale;
  }

private:
  UniformEncoding e;
  EncodedWeight &out;
  std::vector<std::pair<float, int>> params; // (scale, zero) per group of the row
};

class BinaryQuantizer : public RowQuantizer {
public:
  BinaryQuantizer(const BinaryEncoding &e, const QuantizeOptions &o, EncodedWeight &out)
      : e(e), gridBits(o.gridBits ? o.gridBits : e.planes + 1), rescale(o.rescaleGrid), out(out),
        groupLevels(out.cols / e.group) {
    if (rescale.empty())
      rescale.push_back(1.0);
  }
  int64_t unit() const override { return 1; }
  int64_t paramGroup() const override { return e.group; }

  void fitGroup(int64_t row, int64_t g, const double *w) override {
    BinaryGroupCodes best = fitBinaryGroup(w, e.group, e.planes, gridBits, rescale);
    int64_t idx = row * (out.cols / e.group) + g;
    for (unsigned i = 0; i < e.planes; ++i)
      out.scales[idx * e.planes + i] = floatToHalf(best.alpha[i]);
    out.offsets[idx] = floatToHalf(best.offset);
    groupLevels[g] = best.levels;
  }

  void quantizeUnit(int64_t row, int64_t col, const double *w, double *q) override {
    const auto &lv = groupLevels[col / e.group];
    const auto &[value, bits] = lv[nearestLevel(lv, *w)];
    int64_t rowBytes = packedBytes(out.cols, 1);
    for (unsigned i = 0; i < e.planes; ++i)
      putBits(&out.codes[(i * out.rows + row) * rowBytes], col, 1, bits >> i & 1);
    *q = value;
  }

private:
  BinaryEncoding e;
  unsigned gridBits;
  std::vector<double> rescale;
  EncodedWeight &out;
  std::vector<BinaryLevels> groupLevels;
};

class PVQQuantizer : public RowQuantizer {
public:
  PVQQuantizer(const PVQEncoding &e, const PVQCodebook &book, EncodedWeight &out)
      : e(e), book(book), indexBits(llvm::cantFail(pvqIndexBits(e.dim, e.pulses))), out(out),
        x(e.dim), y(e.dim), amps(out.cols / e.ampGroup) {}
  int64_t unit() const override { return e.dim; }
  int64_t paramGroup() const override { return e.ampGroup; }

  void startRow(int64_t row, const float *original) override {
    // The amplitude step covers the largest group norm of the row.
    double maxNorm = 0;
    for (int64_t c = 0; c < out.cols; c += e.dim) {
      double n = 0;
      for (int64_t i = 0; i < e.dim; ++i)
        n += (double)original[c + i] * original[c + i];
      maxNorm = std::max(maxNorm, std::sqrt(n));
    }
    out.scales[row] = floatToHalf((float)(maxNorm / std::ldexp(1.0, (int)e.ampBits)));
    step = halfToFloat(out.scales[row]);
  }

  void fitGroup(int64_t row, int64_t g, const double *w) override {
    // Least-squares shared amplitude: the mean projection of each D-group
    // on its own pyramid direction.
    double sum = 0;
    int64_t units = e.ampGroup / e.dim;
    for (int64_t u = 0; u < units; ++u) {
      direction(w + u * e.dim);
      double c = 0, n = 0;
      for (int64_t i = 0; i < e.dim; ++i)
        c += w[u * e.dim + i] * y[i], n += (double)y[i] * y[i];
      sum += c / std::sqrt(n);
    }
    int64_t maxCode = (int64_t(1) << e.ampBits) - 1;
    int64_t a = 0;
    if (step > 0)
      a = (int64_t)std::clamp<double>(std::nearbyint(sum / units / step) - 1, 0, maxCode);
    putBits(&out.amplitudes[row * packedBytes(out.cols / e.ampGroup, e.ampBits)],
            g * e.ampBits, e.ampBits, a);
    amps[g] = (float)(a + 1) * step;
  }

  void quantizeUnit(int64_t row, int64_t col, const double *w, double *q) override {
    direction(w);
    putBits(&out.codes[row * packedBytes(out.cols / e.dim, indexBits)],
            (col / e.dim) * indexBits, indexBits, book.encode(y.data()));
    decodeGroup(y.data(), e.dim, amps[col / e.ampGroup], q);
  }

  /// amp * y / ||y||, computed exactly as decodeWeight does.
  template <typename T>
  static void decodeGroup(const int32_t *y, int64_t dim, float amp, T *out) {
    int64_t sumSq = 0;
    for (int64_t i = 0; i < dim; ++i)
      sumSq += (int64_t)y[i] * y[i];
    float norm = std::sqrt((float)sumSq);
    for (int64_t i = 0; i < dim; ++i)
      out[i] = amp * ((float)y[i] / norm);
  }

private:
  void direction(const double *w) {
    for (int64_t i = 0; i < e.dim; ++i)
      x[i] = (float)w[i];
    pvqSearch(x.data(), e.dim, e.pulses, y.data());
  }

  PVQEncoding e;
  const PVQCodebook &book;
  unsigned indexBits;
  EncodedWeight &out;
  std::vector<float> x;
  std::vector<int32_t> y;
  float step = 0;
  std::vector<float> amps; // per amplitude group of the row
};

//===----------------------------------------------------------------------===//
// Cholesky helpers (double, row-major n x n)
//===----------------------------------------------------------------------===//

/// In-place lower Cholesky factor; false when not positive definite.
bool cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double *rj = &a[j * n];
    double d = rj[j];
    for (int64_t k = 0; k < j; ++k)
      d -= rj[k] * rj[k];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    rj[j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double *ri = &a[i * n];
      double s = ri[j];
      for (int64_t k = 0; k < j; ++k)
        s -= ri[k] * rj[k];
      ri[j] = s / d;
    }
    for (int64_t k = j + 1; k < n; ++k)
      rj[k] = 0;
  }
  return true;
}

/// U, the upper Cholesky factor of H^-1 (H^-1 = U^T U), from damped H:
/// H = L L^T, H^-1 = L^-T L^-1, then U = chol(H^-1)^T. The damping grows
/// tenfold while H is not numerically positive definite.
llvm::Expected<std::vector<double>> inverseCholeskyUpper(std::vector<double> h, int64_t n,
                                                         double dampening) {
  double meanDiag = 0;
  for (int64_t i = 0; i < n; ++i)
    meanDiag += h[i * n + i];
  meanDiag /= n;
  double damp = dampening * meanDiag;
  std::vector<double> l;
  for (int attempt = 0;; ++attempt) {
    l = h;
    for (int64_t i = 0; i < n; ++i)
      l[i * n + i] += damp;
    if (cholesky(l, n))
      break;
    if (attempt == 6)
      return llvm::createStringError(
          "the Hessian is not positive definite even with damping %g", damp);
    damp = std::max(damp * 10, 1e-8 * std::max(meanDiag, 1e-30));
  }
  // Linv = L^-1 (lower), by forward substitution column by column.
  std::vector<double> linv(n * n, 0);
  for (int64_t c = 0; c < n; ++c) {
    linv[c * n + c] = 1 / l[c * n + c];
    for (int64_t i = c + 1; i < n; ++i) {
      double s = 0;
      for (int64_t k = c; k < i; ++k)
        s += l[i * n + k] * linv[k * n + c];
      linv[i * n + c] = -s / l[i * n + i];
    }
  }
  // Hinv = Linv^T Linv.
  std::vector<double> hinv(n * n, 0);
  for (int64_t k = 0; k < n; ++k)
    for (int64_t i = 0; i <= k; ++i) {
      double lki = linv[k * n + i];
      if (lki == 0)
        continue;
      for (int64_t j = 0; j <= k; ++j)
        hinv[i * n + j] += lki * linv[k * n + j];
    }
  if (!cholesky(hinv, n))
    return llvm::createStringError("the inverse Hessian lost positive definiteness");
  // Upper factor U = L'^T.
  std::vector<double> u(n * n, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      u[j * n + i] = hinv[i * n + j];
  return u;
}
} // namespace

//===----------------------------------------------------------------------===//
// quantizeWeight
//===----------------------------------------------------------------------===//

llvm::Expected<EncodedWeight> quantizeWeight(const float *weight, int64_t rows, int64_t cols,
                                             const Encoding &enc, const QuantizeOptions &opts) {
  if (std::optional<std::string> msg = verifyEncoding(enc, rows, cols))
    return llvm::createStringError(*msg);
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(weight[i]))
      return llvm::createStringError("the weight holds a non-finite value at [%lld, %lld]",
                                     (long long)(i / cols), (long long)(i % cols));
  if (opts.dampening < 0 || !std::isfinite(opts.dampening))
    return llvm::createStringError("dampening must be a finite non-negative number");
  if (opts.blockSize <= 0)
    return llvm::createStringError("block size must be positive");
  if (auto *b = std::get_if<BinaryEncoding>(&enc))
    if (opts.gridBits != 0 && (opts.gridBits <= b->planes || opts.gridBits > 12))
      return llvm::createStringError(
          "GPTQT grid bits must exceed the %u binary planes and be at most 12, got %u",
          b->planes, opts.gridBits);

  EncodedWeight out;
  out.rows = rows, out.cols = cols;
  std::optional<PVQCodebook> book;
  if (auto *u = std::get_if<UniformEncoding>(&enc)) {
    out.codes.assign(rows * packedBytes(cols, u->bits), 0);
    out.scales.assign(rows * (cols / u->group), 0);
    if (!u->symmetric)
      out.zeroPoints.assign(rows * (cols / u->group), 0);
  } else if (auto *p = std::get_if<PVQEncoding>(&enc)) {
    book.emplace(llvm::cantFail(PVQCodebook::create(p->dim, p->pulses)));
    unsigned bits = llvm::cantFail(pvqIndexBits(p->dim, p->pulses));
    out.codes.assign(rows * packedBytes(cols / p->dim, bits), 0);
    out.scales.assign(rows, 0);
    out.amplitudes.assign(rows * packedBytes(cols / p->ampGroup, p->ampBits), 0);
  } else {
    const auto &b = std::get<BinaryEncoding>(enc);
    out.codes.assign(b.planes * rows * packedBytes(cols, 1), 0);
    out.scales.assign(rows * (cols / b.group) * b.planes, 0);
    out.offsets.assign(rows * (cols / b.group), 0);
  }
  auto makeQuantizer = [&]() -> std::unique_ptr<RowQuantizer> {
    if (auto *u = std::get_if<UniformEncoding>(&enc))
      return std::make_unique<UniformQuantizer>(*u, out);
    if (auto *p = std::get_if<PVQEncoding>(&enc))
      return std::make_unique<PVQQuantizer>(*p, *book, out);
    return std::make_unique<BinaryQuantizer>(std::get<BinaryEncoding>(enc), opts, out);
  };
  int64_t unit = makeQuantizer()->unit();
  int64_t group = makeQuantizer()->paramGroup();

  // Column order (by unit) and U. Identity for RTN or without statistics.
  bool feedback = opts.algorithm == QuantizeOptions::Algorithm::GPTQ && opts.hessian;
  std::vector<int64_t> order(cols / unit);
  std::iota(order.begin(), order.end(), 0);
  std::vector<bool> dead(cols, false);
  std::vector<double> u;
  bool staticGroups = false;
  if (feedback) {
    const float *h = opts.hessian;
    for (int64_t i = 0; i < cols; ++i)
      if (!std::isfinite(h[i * cols + i]) || h[i * cols + i] < 0)
        return llvm::createStringError("the Hessian diagonal holds %g at %lld",
                                       (double)h[i * cols + i], (long long)i);
    if (opts.actOrder) {
      std::vector<double> weightOf(order.size(), 0);
      for (int64_t i = 0; i < cols; ++i)
        weightOf[i / unit] += h[i * cols + i];
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return weightOf[a] > weightOf[b]; });
      staticGroups = true;
    }
    std::vector<double> hp(cols * cols);
    std::vector<int64_t> col(cols); // permuted position -> original column
    for (size_t o = 0; o < order.size(); ++o)
      for (int64_t j = 0; j < unit; ++j)
        col[o * unit + j] = order[o] * unit + j;
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        double v = h[col[i] * cols + col[j]];
        if (!std::isfinite(v))
          return llvm::createStringError("the Hessian holds a non-finite value");
        hp[i * cols + j] = v;
      }
    for (int64_t i = 0; i < cols; ++i)
      if (hp[i * cols + i] == 0) { // an input that is always zero: its weight is free.
        dead[col[i]] = true;
        hp[i * cols + i] = 1;
      }
    llvm::Expected<std::vector<double>> factor = inverseCholeskyUpper(hp, cols, opts.dampening);
    if (!factor)
      return factor.takeError();
    u = std::move(*factor);
  }

  auto quantizeRows = [&](int64_t begin, int64_t end) {
    std::unique_ptr<RowQuantizer> q = makeQuantizer();
    std::vector<double> w(cols), decoded(cols), err, pending;
    for (int64_t r = begin; r < end; ++r) {
      const float *row = weight + r * cols;
      q->startRow(r, row);
      // w in permuted order.
      for (size_t o = 0; o < order.size(); ++o)
        for (int64_t j = 0; j < unit; ++j) {
          int64_t c = order[o] * unit + j;
          w[o * unit + j] = dead[c] ? 0.0 : row[c];
        }
      if (staticGroups) {
        std::vector<double> original(row, row + cols);
        for (int64_t g = 0; g < cols / group; ++g)
          q->fitGroup(r, g, &original[g * group]);
      }
      if (!feedback) {
        for (int64_t c = 0; c < cols; c += unit) {
          if (c % group == 0)
            q->fitGroup(r, c / group, &w[c]);
          q->quantizeUnit(r, c, &w[c], &decoded[c]);
        }
        continue;
      }
      int64_t block = std::max<int64_t>(unit, opts.blockSize / unit * unit);
      for (int64_t b0 = 0; b0 < cols; b0 += block) {
        int64_t b1 = std::min(cols, b0 + block);
        err.assign(b1 - b0, 0);
        for (int64_t c = b0; c < b1; c += unit) {
          int64_t origCol = order[c / unit] * unit;
          if (!staticGroups && origCol % group == 0) {
            // Identity order: the group is w[c, c + group). Its columns past
            // the block have not received this block's errors yet (the lazy
            // update comes after the block); fit on the updated values.
            const double *g = &w[c];
            if (c + group > b1) {
              pending.assign(w.begin() + c, w.begin() + c + group);
              for (int64_t j = b0; j < c; ++j) {
                double e = err[j - b0];
                const double *uj = &u[j * cols];
                for (int64_t t = b1; t < c + group; ++t)
                  pending[t - c] -= e * uj[t];
              }
              g = pending.data();
            }
            q->fitGroup(r, origCol / group, g);
          }
          q->quantizeUnit(r, origCol, &w[c], &decoded[c]);
          for (int64_t j = c; j < c + unit; ++j) {
            double e = (w[j] - decoded[j]) / u[j * cols + j];
            err[j - b0] = e;
            const double *uj = &u[j * cols];
            for (int64_t t = j + 1; t < b1; ++t)
              w[t] -= e * uj[t];
          }
        }
        for (int64_t j = b0; j < b1; ++j) {
          double e = err[j - b0];
          const double *uj = &u[j * cols];
          for (int64_t t = b1; t < cols; ++t)
            w[t] -= e * uj[t];
        }
      }
    }
  };

  unsigned threads = opts.threads ? opts.threads : llvm::hardware_concurrency().compute_thread_count();
  int64_t chunk = std::max<int64_t>(1, (rows + 4 * threads - 1) / (4 * threads));
  if (threads <= 1 || rows <= chunk) {
    quantizeRows(0, rows);
  } else {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
    for (int64_t r = 0; r < rows; r += chunk)
      pool.async([&, r] { quantizeRows(r, std::min(rows, r + chunk)); });
    pool.wait();
  }
  return out;
}

//===----------------------------------------------------------------------===//
// rescaleBinary
//===----------------------------------------------------------------------===//

llvm::Expected<RescaleResult> rescaleBinary(const float *weight, const BinaryEncoding &enc,
                                            EncodedWeight &ew, const QuantizeOptions &opts) {
  int64_t rows = ew.rows, cols = ew.cols;
  if (std::optional<std::string> msg = verifyEncoding(enc, rows, cols))
    return llvm::createStringError(*msg);
  int64_t groups = cols / enc.group, rowBytes = packedBytes(cols, 1);
  if ((int64_t)ew.codes.size() != enc.planes * rows * rowBytes ||
      (int64_t)ew.scales.size() != rows * groups * enc.planes ||
      (int64_t)ew.offsets.size() != rows * groups)
    return llvm::createStringError("the encoded weight does not match #lq.binary<planes = %u, "
                                   "group = %lld> for %lldx%lld",
                                   enc.planes, (long long)enc.group, (long long)rows,
                                   (long long)cols);
  unsigned gridBits = opts.gridBits ? opts.gridBits : enc.planes + 1;
  if (gridBits <= enc.planes || gridBits > 12)
    return llvm::createStringError("GPTQT grid bits must exceed the %u binary planes and be at "
                                   "most 12, got %u",
                                   enc.planes, gridBits);
  const float *h = opts.hessian;
  std::vector<float> decoded = decodeWeight(enc, ew);
  std::vector<double> before(rows, 0), after(rows, 0);
  std::vector<int64_t> changed(rows, 0);

  auto rescaleRows = [&](int64_t begin, int64_t end) {
    std::vector<double> delta(cols), v(cols), w(enc.group), e(enc.group);
    for (int64_t r = begin; r < end; ++r) {
      const float *row = weight + r * cols;
      for (int64_t c = 0; c < cols; ++c)
        delta[c] = (double)row[c] - decoded[r * cols + c];
      // v = H delta (H symmetric), so a change e on columns G moves the loss
      // by 2 e.v_G + e^T H_GG e.
      for (int64_t j = 0; j < cols; ++j) {
        if (!h) {
          v[j] = delta[j];
          continue;
        }
        double s = 0;
        for (int64_t i = 0; i < cols; ++i)
          s += (double)h[j * cols + i] * delta[i];
        v[j] = s;
      }
      double loss = 0;
      for (int64_t c = 0; c < cols; ++c)
        loss += delta[c] * v[c];
      before[r] = loss;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t c0 = g * enc.group;
        for (int64_t i = 0; i < enc.group; ++i)
          w[i] = row[c0 + i];
        double bestGain = -1e-12 * std::max(std::fabs(loss), 1e-30);
        std::optional<BinaryGroupCodes> best;
        for (double gamma : opts.rescaleGrid) {
          BinaryGroupCodes cand =
              binaryGroupCandidate(w.data(), enc.group, enc.planes, gridBits, gamma);
          for (int64_t i = 0; i < enc.group; ++i)
            e[i] = (w[i] - cand.levels[nearestLevel(cand.levels, w[i])].first) - delta[c0 + i];
          double gain = 0;
          for (int64_t i = 0; i < enc.group; ++i) {
            double he = 0;
            if (h)
              for (int64_t j = 0; j < enc.group; ++j)
                he += (double)h[(c0 + i) * cols + c0 + j] * e[j];
            else
              he = e[i];
            gain += e[i] * (2 * v[c0 + i] + he);
          }
          if (gain < bestGain)
            bestGain = gain, best = std::move(cand);
        }
        if (!best)
          continue;
        // Apply: new codes, delta, v and loss.
        int64_t idx = r * groups + g;
        for (unsigned i = 0; i < enc.planes; ++i)
          ew.scales[idx * enc.planes + i] = floatToHalf(best->alpha[i]);
        ew.offsets[idx] = floatToHalf(best->offset);
        for (int64_t i = 0; i < enc.group; ++i) {
          const auto &[value, bits] = best->levels[nearestLevel(best->levels, w[i])];
          for (unsigned p = 0; p < enc.planes; ++p)
            putBits(&ew.codes[(p * rows + r) * rowBytes], c0 + i, 1, bits >> p & 1);
          e[i] = (w[i] - value) - delta[c0 + i];
          delta[c0 + i] = w[i] - value;
        }
        for (int64_t i = 0; i < enc.group; ++i) {
          if (e[i] == 0)
            continue;
          if (!h) {
            v[c0 + i] += e[i];
            continue;
          }
          const float *hrow = h + (c0 + i) * cols;
          for (int64_t j = 0; j < cols; ++j)
            v[j] += hrow[j] * e[i];
        }
        loss += bestGain;
        ++changed[r];
      }
      after[r] = loss;
    }
  };
  unsigned threads =
      opts.threads ? opts.threads : llvm::hardware_concurrency().compute_thread_count();
  if (threads <= 1 || rows < 8) {
    rescaleRows(0, rows);
  } else {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
    int64_t chunk = std::max<int64_t>(1, rows / (4 * threads));
    for (int64_t r = 0; r < rows; r += chunk)
      pool.async([&, r] { rescaleRows(r, std::min(rows, r + chunk)); });
    pool.wait();
  }
  RescaleResult result;
  result.groups = rows * groups;
  for (int64_t r = 0; r < rows; ++r)
    result.lossBefore += before[r], result.lossAfter += after[r],
        result.groupsChanged += changed[r];
  return result;
}

//===----------------------------------------------------------------------===//
// decodeWeight and layerLoss
//===----------------------------------------------------------------------===//

std::vector<float> decodeWeight(const Encoding &enc, const EncodedWeight &ew) {
  int64_t rows = ew.rows, cols = ew.cols;
  std::vector<float> w(rows * cols);
  if (auto *u = std::get_if<UniformEncoding>(&enc)) {
    int64_t rowBytes = packedBytes(cols, u->bits), groups = cols / u->group;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        int64_t g = r * groups + c / u->group;
        int64_t q = (int64_t)getBits(&ew.codes[r * rowBytes], c * u->bits, u->bits);
        int64_t zero = u->symmetric ? int64_t(1) << (u->bits - 1) : ew.zeroPoints[g];
        w[r * cols + c] = (float)(q - zero) * halfToFloat(ew.scales[g]);
      }
    return w;
  }
  if (auto *p = std::get_if<PVQEncoding>(&enc)) {
    PVQCodebook book = llvm::cantFail(PVQCodebook::create(p->dim, p->pulses));
    unsigned bits = llvm::cantFail(pvqIndexBits(p->dim, p->pulses));
    int64_t codeBytes = packedBytes(cols / p->dim, bits);
    int64_t ampBytes = packedBytes(cols / p->ampGroup, p->ampBits);
    std::vector<int32_t> y(p->dim);
    for (int64_t r = 0; r < rows; ++r) {
      float step = halfToFloat(ew.scales[r]);
      for (int64_t c = 0; c < cols; c += p->dim) {
        uint64_t a = getBits(&ew.amplitudes[r * ampBytes], (c / p->ampGroup) * p->ampBits,
                             p->ampBits);
        book.decode(getBits(&ew.codes[r * codeBytes], (c / p->dim) * bits, bits), y.data());
        PVQQuantizer::decodeGroup(y.data(), p->dim, (float)(a + 1) * step, &w[r * cols + c]);
      }
    }
    return w;
  }
  const auto &b = std::get<BinaryEncoding>(enc);
  int64_t rowBytes = packedBytes(cols, 1), groups = cols / b.group;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t g = r * groups + c / b.group;
      float v = halfToFloat(ew.offsets[g]);
      for (unsigned i = 0; i < b.planes; ++i) {
        bool bit = getBits(&ew.codes[(i * rows + r) * rowBytes], c, 1);
        v = v + (bit ? 1.0f : -1.0f) * halfToFloat(ew.scales[g * b.planes + i]);
      }
      w[r * cols + c] = v;
    }
  return w;
}

double layerLoss(const float *weight, const float *decoded, int64_t rows, int64_t cols,
                 const float *hessian) {
  double loss = 0;
  std::vector<double> d(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      d[c] = (double)weight[r * cols + c] - decoded[r * cols + c];
    if (!hessian) {
      for (int64_t c = 0; c < cols; ++c)
        loss += d[c] * d[c];
      continue;
    }
    for (int64_t i = 0; i < cols; ++i) {
      if (d[i] == 0)
        continue;
      double s = 0;
      const float *hi = hessian + i * cols;
      for (int64_t j = 0; j < cols; ++j)
        s += hi[j] * d[j];
      loss += d[i] * s;
    }
  }
  return loss;
}

} // namespace lq
