//===- ActRange.cpp - Static activation ranges from histograms -----------===//

#include "lq/Numerics/ActRange.h"

#include <algorithm>
#include <cmath>

namespace lq {

int ActHistogram::bin(float absValue) {
  if (!(absValue > 0.0f))
    return 0;
  double pos = (std::log2((double)absValue) - kMinExp) * kBinsPerOctave;
  if (pos < 0)
    return 0;
  return (int)std::min<double>(kBins - 1, std::floor(pos));
}

double ActHistogram::centre(int b) {
  return std::exp2(kMinExp + (b + 0.5) / kBinsPerOctave);
}

double ActHistogram::lower(int b) { return std::exp2(kMinExp + (double)b / kBinsPerOctave); }

std::optional<RangeMethod> parseRangeMethod(const std::string &name) {
  if (name == "absmax")
    return RangeMethod::AbsMax;
  if (name == "mse")
    return RangeMethod::MSE;
  if (name == "percentile")
    return RangeMethod::Percentile;
  return std::nullopt;
}

std::vector<float> scaleHistograms(const std::vector<float> &hist,
                                   const std::vector<double> &factor) {
  const int B = ActHistogram::kBins;
  std::vector<float> out(hist.size(), 0.0f);
  for (size_t c = 0; c < factor.size(); ++c) {
    double shift = std::log2(std::fabs(factor[c])) * ActHistogram::kBinsPerOctave;
    double whole = std::floor(shift), frac = shift - whole;
    for (int b = 0; b < B; ++b) {
      float n = hist[c * B + b];
      if (n == 0)
        continue;
      // Bin 0 holds the zeros: they stay zeros.
      if (b == 0) {
        out[c * B] += n;
        continue;
      }
      auto put = [&](double to, double part) {
        int t = (int)std::clamp<double>(to, 1, B - 1);
        out[c * B + t] += (float)(n * part);
      };
      put(b + whole, 1 - frac);
      if (frac > 0)
        put(b + whole + 1, frac);
    }
  }
  return out;
}

double chooseClip(const std::vector<double> &hist, double absMax, unsigned bits,
                  RangeMethod method, double percentile) {
  if (!(absMax > 0))
    return 0;
  if (method == RangeMethod::AbsMax)
    return absMax;
  const int B = ActHistogram::kBins;
  // Bin centres above the largest value are read as the largest value.
  auto value = [&](int b) { return std::min(ActHistogram::centre(b), absMax); };
  double total = 0;
  for (int b = 1; b < B; ++b)
    total += hist[b];
  if (total == 0)
    return absMax;
  if (method == RangeMethod::Percentile) {
    double target = total * std::clamp(percentile, 0.0, 100.0) / 100.0, seen = 0;
    for (int b = 1; b < B; ++b) {
      if (seen + hist[b] >= target) {
        // Log-linear inside the bin.
        double f = hist[b] > 0 ? (target - seen) / hist[b] : 1.0;
        double v = std::exp2(ActHistogram::kMinExp + (b + f) / ActHistogram::kBinsPerOctave);
        return std::clamp(v, absMax * 1e-6, absMax);
      }
      seen += hist[b];
    }
    return absMax;
  }
  // MSE: candidates from absMax down to absMax / 2^8 in steps of 2^(1/16).
  double qmax = std::ldexp(1.0, bits - 1) - 1;
  double best = absMax, bestErr = INFINITY;
  for (int i = 0; i <= 8 * 16; ++i) {
    double clip = absMax * std::exp2(-i / 16.0);
    double step = clip / qmax, err = 0;
    for (int b = 0; b < B; ++b) {
      if (hist[b] == 0)
        continue;
      double v = b == 0 ? 0.0 : value(b);
      double e;
      if (v > clip)
        e = (v - clip) * (v - clip);
      else if (v < step / 2)
        e = v * v;
      else
        e = step * step / 12;
      err += hist[b] * e;
    }
    if (err < bestErr) {
      bestErr = err;
      best = clip;
    }
  }
  return best;
}

} // namespace lq
