//===- FPTLearn.cpp - Learning FPT channel scales, quantizers in the loop -===//
#include "lq/Fitting/FPTLearn.h"

#include "lq/Fitting/FPT.h"
#include "lq/Numerics/ActRange.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace lq;

namespace {

// Unaligned 8-float vectors: the dot products below vectorize without
// reassociating a scalar reduction (as in lib/Model/Transformer.cpp).
typedef float v8 __attribute__((vector_size(32), aligned(4)));

float dot(const float *a, const float *b, int64_t k) {
  v8 acc = {};
  int64_t i = 0;
  for (; i + 8 <= k; i += 8)
    acc += *(const v8 *)(a + i) * *(const v8 *)(b + i);
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < k; ++i)
    s += a[i] * b[i];
  return s;
}

/// c[m, n] = a[m, k] b[n, k]^T. Four rows of a per pass over b, so each
/// row of b is loaded once for four dot products.
void matmulNT(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k) {
  int64_t i = 0;
  for (; i + 4 <= m; i += 4)
    for (int64_t j = 0; j < n; ++j) {
      const float *bj = b + j * k;
      v8 acc[4] = {};
      int64_t l = 0;
      for (; l + 8 <= k; l += 8) {
        v8 bv = *(const v8 *)(bj + l);
        for (int r = 0; r < 4; ++r)
          acc[r] += *(const v8 *)(a + (i + r) * k + l) * bv;
      }
      for (int r = 0; r < 4; ++r) {
        const v8 &x = acc[r];
        float s = ((x[0] + x[4]) + (x[1] + x[5])) + ((x[2] + x[6]) + (x[3] + x[7]));
        for (int64_t t = l; t < k; ++t)
          s += a[(i + r) * k + t] * bj[t];
        c[(i + r) * n + j] = s;
      }
    }
  for (; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[i * n + j] = dot(a + i * k, b + j * k, k);
}

/// c[m, k] = a[m, n] b[n, k] (rows of c accumulate rows of b), four rows of
/// c per pass over b.
void matmulNN(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k) {
  std::fill(c, c + m * k, 0.0f);
  int64_t i = 0;
  for (; i + 4 <= m; i += 4)
    for (int64_t j = 0; j < n; ++j) {
      const float *bj = b + j * k;
      float f0 = a[i * n + j], f1 = a[(i + 1) * n + j], f2 = a[(i + 2) * n + j],
            f3 = a[(i + 3) * n + j];
      float *c0 = c + i * k, *c1 = c0 + k, *c2 = c1 + k, *c3 = c2 + k;
      for (int64_t l = 0; l < k; ++l) {
        float bv = bj[l];
        c0[l] += f0 * bv;
        c1[l] += f1 * bv;
        c2[l] += f2 * bv;
        c3[l] += f3 * bv;
      }
    }
  for (; i < m; ++i) {
    float *ci = c + i * k;
    for (int64_t j = 0; j < n; ++j) {
      float f = a[i * n + j];
      const float *bj = b + j * k;
      for (int64_t l = 0; l < k; ++l)
        ci[l] += f * bj[l];
    }
  }
}

void transpose(const float *a, float *t, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      t[j * m + i] = a[i * n + j];
}

/// What the backward pass needs of one symmetric round-to-nearest
/// quantization with a step per group of columns of each row.
struct Quantized {
  std::vector<float> values;       ///< dequantized, like the input
  std::vector<int64_t> argmax;     ///< per group: the column setting the step (-1: all zero)
  std::vector<float> steps;        ///< per group
  std::vector<double> ratios;      ///< per group: the clip over the largest |x| (1: none)
  std::vector<uint8_t> saturated;  ///< per element: past the clip (empty: none is)
};

/// With `mseClip`, each group is clipped where lq-quantize-activations'
/// MSE range clips it (ActRange.h, from the group's histogram) and elements
/// past the clip saturate; else the step is the group's largest |x| / qmax.
/// With `frozen` (the quantization of `frozenInput`), each element keeps
/// that rounding offset round(u) - u instead of rounding again, and the
/// clip ratios and saturated elements are frozen's: the straight-through
/// estimator's view of the quantizer, which the gradient of
/// channelScaleLoss differentiates exactly.
Quantized fakeQuantize(const float *x, int64_t rows, int64_t cols, int64_t group, unsigned bits,
                       bool mseClip = false, const Quantized *frozen = nullptr,
                       const float *frozenInput = nullptr) {
  int64_t g = group > 0 && group < cols ? group : cols;
  int64_t groups = (cols + g - 1) / g;
  float qmax = float((int64_t(1) << (bits - 1)) - 1);
  Quantized q;
  q.values.resize(rows * cols);
  q.argmax.assign(rows * groups, -1);
  q.steps.assign(rows * groups, 0.0f);
  q.ratios.assign(rows * groups, 1.0);
  if (mseClip)
    q.saturated.assign(rows * cols, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t gi = 0; gi < groups; ++gi) {
      int64_t c0 = gi * g, c1 = std::min(cols, c0 + g);
      const float *in = x + r * cols;
      float *out = q.values.data() + r * cols;
      float m = 0;
      int64_t arg = -1;
      for (int64_t c = c0; c < c1; ++c)
        if (std::abs(in[c]) > m) {
          m = std::abs(in[c]);
          arg = c;
        }
      if (arg < 0) {
        std::fill(out + c0, out + c1, 0.0f);
        continue;
      }
      double &ratio = q.ratios[r * groups + gi];
      if (frozen) {
        ratio = frozen->ratios[r * groups + gi];
      } else if (mseClip) {
        std::vector<double> hist(ActHistogram::kBins, 0.0);
        for (int64_t c = c0; c < c1; ++c)
          hist[ActHistogram::bin(std::abs(in[c]))] += 1;
        ratio = chooseClip(hist, m, bits, RangeMethod::MSE, 0) / m;
      }
      float clip = float(ratio * m), step = clip / qmax;
      float refStep = frozen ? frozen->steps[r * groups + gi] : 0.0f;
      for (int64_t c = c0; c < c1; ++c) {
        int64_t i = r * cols + c;
        bool past =
            frozen ? !frozen->saturated.empty() && frozen->saturated[i] : std::abs(in[c]) > clip;
        if (past) {
          q.saturated[i] = 1;
          out[c] = (frozen ? frozen->values[i] : in[c]) < 0 ? -clip : clip;
        } else if (frozen) {
          float offset = refStep > 0 ? (frozen->values[i] - frozenInput[i]) / refStep : 0.0f;
          out[c] = in[c] + step * offset;
        } else {
          out[c] = std::clamp(std::nearbyint(in[c] / step), -qmax, qmax) * step;
        }
      }
      q.argmax[r * groups + gi] = arg;
      q.steps[r * groups + gi] = step;
    }
  return q;
}

/// Turns the gradient w.r.t. the dequantized values into the gradient
/// w.r.t. the input, in place: identity through the rounding (STE), zero
/// past the clip, plus the step's dependence on the group's largest |x|:
///   d out_j / d step = (out_j - x_j) / step (out_j / step past the clip),
///   d step / d x_k = sign(x_k) * ratio / qmax.
void quantizeBackward(const float *x, const Quantized &q, float *grad, int64_t rows, int64_t cols,
                      int64_t group, unsigned bits) {
  int64_t g = group > 0 && group < cols ? group : cols;
  int64_t groups = (cols + g - 1) / g;
  double qmax = double((int64_t(1) << (bits - 1)) - 1);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t gi = 0; gi < groups; ++gi) {
      int64_t arg = q.argmax[r * groups + gi];
      if (arg < 0)
        continue;
      int64_t c0 = gi * g, c1 = std::min(cols, c0 + g);
      double step = q.steps[r * groups + gi], dStep = 0;
      for (int64_t c = c0; c < c1; ++c) {
        int64_t i = r * cols + c;
        bool past = !q.saturated.empty() && q.saturated[i];
        dStep += double(grad[i]) * (double(q.values[i]) - (past ? 0.0 : x[i]));
        if (past)
          grad[i] = 0;
      }
      dStep /= step;
      grad[r * cols + arg] +=
          float(dStep * (x[r * cols + arg] > 0 ? 1.0 : -1.0) * q.ratios[r * groups + gi] / qmax);
    }
}

/// x' = (x diag(t)) H and W' = (W diag(t)^-1) H at log-scales `logT`, and
/// x diag(t), W diag(t)^-1 before H.
struct Transformed {
  std::vector<float> xt, u, xr, wr;
};

Transformed transform(const ChannelScaleProblem &p, const std::vector<double> &logT) {
  const int64_t n = p.rows, k = p.cols, m = p.out;
  std::vector<float> t(k);
  for (int64_t j = 0; j < k; ++j)
    t[j] = float(std::exp(logT[p.param(j)]));
  // x' = (x diag(t)) H, W' = (W diag(t)^-1) H.
  std::vector<float> xt(n * k), u(m * k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < k; ++j)
      xt[r * k + j] = p.inputs[r * k + j] * t[j];
  for (int64_t o = 0; o < m; ++o)
    for (int64_t j = 0; j < k; ++j)
      u[o * k + j] = p.weight[o * k + j] / t[j];
  std::vector<float> xr = xt, wr = u;
  if (p.hadamardBlock > 0) {
    hadamardRows(xr.data(), n, k, p.hadamardBlock);
    hadamardRows(wr.data(), m, k, p.hadamardBlock);
  }
  return {std::move(xt), std::move(u), std::move(xr), std::move(wr)};
}

/// The loss (and gradient) with the float output `target` = x W^T given;
/// with `frozenAt`, the rounding offsets are those at log-scales `frozenAt`.
double lossWithTarget(const ChannelScaleProblem &p, const std::vector<float> &target,
                      const std::vector<double> &logT, std::vector<double> *grad,
                      const std::vector<double> *frozenAt = nullptr) {
  const int64_t n = p.rows, k = p.cols, m = p.out;
  Transformed tr = transform(p, logT);
  std::vector<float> &xt = tr.xt, &u = tr.u, &xr = tr.xr, &wr = tr.wr;
  // Activations: per token (each row one group), or with static ranges the
  // whole [n, k] tensor one group, clipped.
  const int64_t aRows = p.actStatic ? 1 : n, aCols = p.actStatic ? n * k : k;
  Quantized a, b;
  if (frozenAt) {
    Transformed ref = transform(p, *frozenAt);
    Quantized refA = fakeQuantize(ref.xr.data(), aRows, aCols, 0, p.actBits, p.actStatic);
    Quantized refB = fakeQuantize(ref.wr.data(), m, k, p.weightGroup, p.weightBits);
    a = fakeQuantize(xr.data(), aRows, aCols, 0, p.actBits, p.actStatic, &refA, ref.xr.data());
    b = fakeQuantize(wr.data(), m, k, p.weightGroup, p.weightBits, false, &refB, ref.wr.data());
  } else {
    a = fakeQuantize(xr.data(), aRows, aCols, 0, p.actBits, p.actStatic);
    b = fakeQuantize(wr.data(), m, k, p.weightGroup, p.weightBits);
  }
  std::vector<float> res(n * m);
  matmulNT(a.values.data(), b.values.data(), res.data(), n, m, k);
  // Each row's squared error, relative to its output's when p.relative.
  std::vector<double> rowWeight(n, 1.0 / double(n * m));
  if (p.relative)
    for (int64_t r = 0; r < n; ++r) {
      double energy = 0;
      for (int64_t o = 0; o < m; ++o)
        energy += double(target[r * m + o]) * target[r * m + o];
      rowWeight[r] = energy > 0 ? 1.0 / (double(n) * energy) : 0.0;
    }
  double loss = 0;
  for (int64_t r = 0; r < n; ++r) {
    double rowLoss = 0;
    for (int64_t o = 0; o < m; ++o) {
      float &e = res[r * m + o];
      e -= target[r * m + o];
      rowLoss += double(e) * e;
    }
    loss += rowWeight[r] * rowLoss;
  }
  if (!grad)
    return loss;

  // d loss / d A = 2 diag(w) R B, d loss / d B = 2 R^T diag(w) A.
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < m; ++o)
      res[r * m + o] *= float(2 * rowWeight[r]);
  std::vector<float> gA(n * k), gB(m * k), resT(m * n);
  matmulNN(res.data(), b.values.data(), gA.data(), n, m, k);
  transpose(res.data(), resT.data(), n, m);
  matmulNN(resT.data(), a.values.data(), gB.data(), m, n, k);
  quantizeBackward(xr.data(), a, gA.data(), aRows, aCols, 0, p.actBits);
  quantizeBackward(wr.data(), b, gB.data(), m, k, p.weightGroup, p.weightBits);
  if (p.hadamardBlock > 0) { // H is symmetric: the gradient goes back through H.
    hadamardRows(gA.data(), n, k, p.hadamardBlock);
    hadamardRows(gB.data(), m, k, p.hadamardBlock);
  }
  // d/d log t_j of x_j t_j is x_j t_j; of W_j / t_j it is -W_j / t_j.
  grad->assign(p.numParams(), 0.0);
  std::vector<double> perChannel(k, 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < k; ++j)
      perChannel[j] += double(gA[r * k + j]) * xt[r * k + j];
  for (int64_t o = 0; o < m; ++o)
    for (int64_t j = 0; j < k; ++j)
      perChannel[j] -= double(gB[o * k + j]) * u[o * k + j];
  for (int64_t j = 0; j < k; ++j)
    (*grad)[p.param(j)] += perChannel[j];
  return loss;
}

std::vector<float> floatOutput(const ChannelScaleProblem &p) {
  std::vector<float> y(p.rows * p.out);
  matmulNT(p.inputs, p.weight, y.data(), p.rows, p.out, p.cols);
  return y;
}

} // namespace

int64_t ChannelScaleProblem::numParams() const {
  if (tie.empty())
    return cols;
  int64_t n = 0;
  for (int64_t v : tie)
    n = std::max(n, v + 1);
  return n;
}

void lq::hadamardRows(float *rows, int64_t numRows, int64_t n, int64_t block) {
  assert(block > 0 && (block & (block - 1)) == 0 && n % block == 0 && "bad Hadamard block");
  float norm = float(1.0 / std::sqrt(double(block)));
  for (int64_t r = 0; r < numRows; ++r)
    for (int64_t b0 = 0; b0 < n; b0 += block) {
      float *x = rows + r * n + b0;
      // Butterflies in natural (Sylvester) order: H[i][j] = (-1)^popcount(i & j).
      for (int64_t len = 1; len < block; len <<= 1)
        for (int64_t i = 0; i < block; i += 2 * len)
          for (int64_t j = i; j < i + len; ++j) {
            float a = x[j], b = x[j + len];
            x[j] = a + b;
            x[j + len] = a - b;
          }
      for (int64_t i = 0; i < block; ++i)
        x[i] *= norm;
    }
}

double lq::channelScaleLoss(const ChannelScaleProblem &p, const std::vector<double> &logT,
                            std::vector<double> *grad) {
  return lossWithTarget(p, floatOutput(p), logT, grad);
}

double lq::channelScaleFrozenLoss(const ChannelScaleProblem &p, const std::vector<double> &logT,
                                  const std::vector<double> &frozenAt) {
  return lossWithTarget(p, floatOutput(p), logT, nullptr, &frozenAt);
}

std::vector<double> lq::closedFormLogScales(const ChannelScaleProblem &p) {
  int64_t np = p.numParams();
  std::vector<double> a(np, 0.0), w(np, 0.0);
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t j = 0; j < p.cols; ++j)
      a[p.param(j)] = std::max(a[p.param(j)], (double)std::abs(p.inputs[r * p.cols + j]));
  std::vector<double> colMax = columnAbsMax(p.weight, p.out, p.cols);
  for (int64_t j = 0; j < p.cols; ++j)
    w[p.param(j)] = std::max(w[p.param(j)], colMax[j]);
  // migrationScales divides the activation by s: t = 1 / s.
  std::vector<double> s = migrationScales(a, w, 0.5);
  for (double &v : s)
    v = -std::log(v);
  return s;
}

ChannelScaleResult lq::learnChannelScales(const ChannelScaleProblem &p,
                                          const std::vector<double> &initLogT,
                                          const ChannelScaleOptions &o) {
  // The last rows, when held out, choose the iterate; the others train.
  int64_t held = std::clamp<int64_t>(int64_t(o.validationFraction * double(p.rows)), 0,
                                     p.rows - 1);
  ChannelScaleProblem train = p, validation = p;
  train.rows = p.rows - held;
  validation.inputs = p.inputs + train.rows * p.cols;
  validation.rows = held;
  std::vector<float> target = floatOutput(train);
  std::vector<float> validationTarget = held ? floatOutput(validation) : std::vector<float>();
  int64_t np = p.numParams();
  std::vector<double> theta = initLogT, m(np, 0.0), v(np, 0.0), grad;
  ChannelScaleResult result;
  result.logScales = theta;
  result.initialLoss = result.loss = std::numeric_limits<double>::infinity();
  for (int64_t step = 0; step <= o.steps; ++step) {
    double loss = lossWithTarget(train, target, theta, step < o.steps ? &grad : nullptr);
    if (held)
      loss = lossWithTarget(validation, validationTarget, theta, nullptr);
    if (step == 0)
      result.initialLoss = loss;
    if (loss < result.loss) {
      result.loss = loss;
      result.logScales = theta;
      result.bestStep = step;
    }
    if (step == o.steps)
      break;
    double c1 = 1 - std::pow(o.beta1, double(step + 1));
    double c2 = 1 - std::pow(o.beta2, double(step + 1));
    for (int64_t i = 0; i < np; ++i) {
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * grad[i];
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * grad[i] * grad[i];
      theta[i] -= o.learningRate * (m[i] / c1) / (std::sqrt(v[i] / c2) + o.epsilon);
    }
    // Only ratios matter to x W^T; keep the geometric mean where it started
    // so the parameters do not drift along that direction.
    double drift = 0;
    for (int64_t i = 0; i < np; ++i)
      drift += theta[i] - initLogT[i];
    drift /= double(np);
    for (double &th : theta)
      th -= drift;
  }
  return result;
}
