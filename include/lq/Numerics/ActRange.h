//===- ActRange.h - Static activation ranges from histograms ----*- C++ -*-===//
//
// Static (per-tensor) activation quantization needs a range fixed ahead of
// time. Calibration records, per input channel of each linear, a histogram
// of |x| in logarithmic bins (kBinsPerOctave per octave from 2^kMinExp): a
// per-channel scale applied later (smoothing, FPTQuant's MLP scaling) only
// shifts a channel's histogram, so the range can be chosen after such
// transforms without running the model again.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_NUMERICS_ACTRANGE_H
#define LQ_NUMERICS_ACTRANGE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lq {

struct ActHistogram {
  static constexpr int kBinsPerOctave = 4;
  static constexpr int kMinExp = -20;
  static constexpr int kOctaves = 36;
  static constexpr int kBins = kBinsPerOctave * kOctaves;

  /// The bin of |x| (values under 2^kMinExp in bin 0, over the top in the
  /// last one).
  static int bin(float absValue);
  /// A bin's representative value (its geometric centre).
  static double centre(int bin);
  /// Lower edge of a bin.
  static double lower(int bin);
};

/// How a static range is chosen from a tensor's histogram.
enum class RangeMethod {
  AbsMax,     ///< the largest |x| seen
  MSE,        ///< the clip minimising clipping + rounding error over the histogram
  Percentile, ///< the given percentile of |x|
};

/// Parses "absmax", "mse" or "percentile".
std::optional<RangeMethod> parseRangeMethod(const std::string &name);

/// Shifts the per-channel histograms `hist` ([channels, kBins], row-major)
/// for channel c multiplied by factor[c] (|factor| > 0): counts move by
/// log2|factor| octaves, split between the two nearest bins.
std::vector<float> scaleHistograms(const std::vector<float> &hist,
                                   const std::vector<double> &factor);

/// The clipping value of a tensor: `hist` is its |x| histogram summed over
/// channels ([kBins]), `absMax` its largest |x|, `bits` the signed code
/// width. The result is in (0, absMax] (absMax for AbsMax), or 0 when the
/// tensor is all zero.
double chooseClip(const std::vector<double> &hist, double absMax, unsigned bits,
                  RangeMethod method, double percentile);

} // namespace lq

#endif // LQ_NUMERICS_ACTRANGE_H
