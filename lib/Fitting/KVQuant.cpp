//===- KVQuant.cpp - WKVQuant's KV cache quantization numerics ------------===//

#include "lq/Fitting/KVQuant.h"

#include <algorithm>
#include <cmath>
#include <limits>

std::vector<double> lq::kvChannelScales(const std::vector<double> &absmax, int64_t kvHeads,
                                        int64_t headDim, std::optional<RopePairing> rope,
                                        bool keys, double smooth) {
  std::vector<double> range = absmax;
  if (keys && rope)
    for (int64_t h = 0; h < kvHeads; ++h)
      for (int64_t i = 0; i < headDim / 2; ++i) {
        auto [a, b] = ropePair(*rope, headDim, i);
        double r = std::hypot(absmax[h * headDim + a], absmax[h * headDim + b]);
        range[h * headDim + a] = range[h * headDim + b] = r;
      }
  // Dividing each channel by its range flattens the token's profile: with
  // per-token steps set by the largest channel, the rounding noise mapped
  // back (times the channel scale) sums to sum_c r_c^2, its minimum.
  return migrationScales(range, std::vector<double>(range.size(), 1.0), smooth);
}

void lq::fakeQuantizeKV(float *rows, int64_t tokens, int64_t channels, const float *channelScale,
                        unsigned bits, float clip) {
  const float levels = float((1 << bits) - 1);
  std::vector<float> y(channels);
  for (int64_t t = 0; t < tokens; ++t) {
    float *x = rows + t * channels;
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (int64_t c = 0; c < channels; ++c) {
      y[c] = channelScale ? x[c] / channelScale[c] : x[c];
      lo = std::min(lo, y[c]);
      hi = std::max(hi, y[c]);
    }
    if (clip != 1.0f) {
      lo *= clip;
      hi *= clip;
    }
    float range = hi - lo;
    float scale = range <= 0.0f ? 1.0f : range / levels;
    // nearbyint rounds half to even in the default rounding mode, as
    // math.roundeven does.
    float zero = std::min(std::max(std::nearbyint(-lo / scale), 0.0f), levels);
    for (int64_t c = 0; c < channels; ++c) {
      float q = std::min(std::max(std::nearbyint(y[c] / scale) + zero, 0.0f), levels);
      float v = (q - zero) * scale;
      x[c] = channelScale ? v * channelScale[c] : v;
    }
  }
}
