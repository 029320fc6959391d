//===- KVQuant.h - WKVQuant's KV cache quantization numerics ----*- C++ -*-===//
//
// The static channel scales of 2-D KV quantization and a reference of what
// lq.kv_quantize + lq.kv_dequantize compute, shared by lq-quantize-kv (which
// places the scales in the module) and the cross-block reconstruction of
// quant-run calibrate (which evaluates candidate parameters without
// compiling). No MLIR dependency.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_FITTING_KVQUANT_H
#define LQ_FITTING_KVQUANT_H

#include "lq/Fitting/FPT.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace lq {

/// The tunable parameters of one layer's keys or values. The defaults are
/// the untuned scheme.
struct KVQuantParams {
  /// The per-token range [clip * min, clip * max], in (0, 1].
  double clip = 1.0;
  /// The channel scale is range^smooth (2-D quantization), in [0, 1]: 1
  /// divides every channel by its calibrated range, 0 does not smooth.
  double smooth = 1.0;
};

/// The static per-channel scales of 2-D quantization for one layer's keys
/// or values [kvHeads * headDim] from the calibrated |x| maxima of the k/v
/// projection: range^smooth, normalised to geometric mean 1. Cached keys
/// are after RoPE, which mixes the two channels of each frequency pair, so
/// for keys (with `rope`) both get the pair's bound hypot(max_a, max_b).
std::vector<double> kvChannelScales(const std::vector<double> &absmax, int64_t kvHeads,
                                    int64_t headDim, std::optional<RopePairing> rope, bool keys,
                                    double smooth);

/// Quantizes and dequantizes `rows` ([tokens, channels], row-major) in place
/// with the arithmetic of lq.kv_quantize followed by lq.kv_dequantize
/// (f32, the same operations in the same order): divided by
/// `channelScale` (null: none), per-token asymmetric `bits`-bit codes over
/// [clip * min, clip * max], multiplied back.
void fakeQuantizeKV(float *rows, int64_t tokens, int64_t channels, const float *channelScale,
                    unsigned bits, float clip);

} // namespace lq

#endif // LQ_FITTING_KVQUANT_H
