//===- BinaryCodes.cpp - GPTQT's fit of binary codes to a histogram -------===//
//
// The levels of k scaled binary (+-1) planes plus an offset that best fit a
// histogram of integer codes (GPTQT's re-coding of linear codes), used by the
// binary quantizer in Quantize.cpp.
//
//===----------------------------------------------------------------------===//

#include "lq/Numerics/Quantize.h"

#include <cmath>
#include <vector>

namespace lq {


/// Solves the small dense system A x = b (n <= 9) by Gaussian elimination with
/// partial pivoting; false when singular.
static bool solveSmall(std::vector<double> a, std::vector<double> b, int n,
                       std::vector<double> &x) {
  for (int c = 0; c < n; ++c) {
    int p = c;
    for (int r = c + 1; r < n; ++r)
      if (std::fabs(a[r * n + c]) > std::fabs(a[p * n + c]))
        p = r;
    if (std::fabs(a[p * n + c]) < 1e-12)
      return false;
    for (int k = 0; k < n; ++k)
      std::swap(a[c * n + k], a[p * n + k]);
    std::swap(b[c], b[p]);
    for (int r = c + 1; r < n; ++r) {
      double f = a[r * n + c] / a[c * n + c];
      for (int k = c; k < n; ++k)
        a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  x.assign(n, 0);
  for (int c = n - 1; c >= 0; --c) {
    double s = b[c];
    for (int k = c + 1; k < n; ++k)
      s -= a[c * n + k] * x[k];
    x[c] = s / a[c * n + c];
  }
  return true;
}

/// The level of sign pattern `bits` (bit i set = +alpha_i).
static double levelOf(const std::vector<double> &alpha, double beta, unsigned bits) {
  double v = beta;
  for (size_t i = 0; i < alpha.size(); ++i)
    v += (bits >> i & 1) ? alpha[i] : -alpha[i];
  return v;
}

BinaryCodeFit fitBinaryCodes(const std::vector<double> &histogram, unsigned planes) {
  int64_t grid = (int64_t)histogram.size();
  unsigned patterns = 1u << planes;
  BinaryCodeFit fit;
  // Start from the uniform binary code spanning the grid: alpha_i = step*2^i/2.
  double step = (grid - 1) / (double)(patterns - 1);
  for (unsigned i = 0; i < planes; ++i)
    fit.alpha.push_back(step * std::ldexp(1.0, (int)i) / 2);
  fit.beta = (grid - 1) / 2.0;
  auto assignAndError = [&](const std::vector<double> &alpha, double beta,
                            std::vector<unsigned> &assign) {
    double err = 0;
    assign.assign(grid, 0);
    for (int64_t v = 0; v < grid; ++v) {
      if (histogram[v] == 0)
        continue;
      double best = INFINITY;
      for (unsigned p = 0; p < patterns; ++p) {
        double d = v - levelOf(alpha, beta, p);
        if (d * d < best)
          best = d * d, assign[v] = p;
      }
      err += histogram[v] * best;
    }
    return err;
  };
  std::vector<unsigned> assign;
  fit.error = assignAndError(fit.alpha, fit.beta, assign);
  int n = planes + 1;
  for (int iter = 0; iter < 30; ++iter) {
    // Least squares for (alpha, beta) with the sign patterns fixed.
    std::vector<double> a(n * n, 0), rhs(n, 0), phi(n), x;
    for (int64_t v = 0; v < grid; ++v) {
      if (histogram[v] == 0)
        continue;
      for (unsigned i = 0; i < planes; ++i)
        phi[i] = (assign[v] >> i & 1) ? 1.0 : -1.0;
      phi[planes] = 1.0;
      for (int r = 0; r < n; ++r) {
        rhs[r] += histogram[v] * v * phi[r];
        for (int c = 0; c < n; ++c)
          a[r * n + c] += histogram[v] * phi[r] * phi[c];
      }
    }
    for (int r = 0; r < n; ++r)
      a[r * n + r] += 1e-9;
    if (!solveSmall(a, rhs, n, x))
      break;
    std::vector<double> alpha(x.begin(), x.begin() + planes);
    std::vector<unsigned> nextAssign;
    double err = assignAndError(alpha, x[planes], nextAssign);
    if (!(err < fit.error - 1e-12))
      break;
    fit.alpha = alpha, fit.beta = x[planes], fit.error = err;
    assign = std::move(nextAssign);
  }
  return fit;
}

} // namespace lq
