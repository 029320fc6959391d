//===- FPT.cpp - Fitting function-preserving transforms -------------------===//
#include "lq/Fitting/FPT.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace lq;

static double maxOf(const std::vector<double> &v) {
  double m = 0;
  for (double x : v)
    m = std::max(m, std::abs(x));
  return m;
}

std::vector<double> lq::migrationScales(const std::vector<double> &act,
                                        const std::vector<double> &weight, double alpha) {
  size_t n = act.size();
  std::vector<double> s(n, 1.0);
  double maxA = maxOf(act), maxW = maxOf(weight);
  if (n == 0 || weight.size() != n || !(maxA > 0) || !(maxW > 0) || !std::isfinite(maxA) ||
      !std::isfinite(maxW))
    return s; // no range information: nothing to migrate.
  double logSum = 0;
  for (size_t j = 0; j < n; ++j) {
    double a = std::max(std::abs(act[j]), kRangeFloor * maxA);
    double w = std::max(std::abs(weight[j]), kRangeFloor * maxW);
    double logS = alpha * std::log(a) - (1.0 - alpha) * std::log(w);
    s[j] = logS;
    logSum += logS;
  }
  double mean = logSum / double(n);
  for (double &v : s)
    v = std::exp(v - mean);
  return s;
}

std::vector<double> lq::columnAbsMax(const float *w, int64_t rows, int64_t cols) {
  std::vector<double> m(cols, 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      m[j] = std::max(m[j], (double)std::abs(w[i * cols + j]));
  return m;
}

double lq::conditionNumber(const std::vector<double> &m, int64_t n) {
  const double inf = std::numeric_limits<double>::infinity();
  if ((int64_t)m.size() != n * n || n == 0)
    return inf;
  for (double v : m)
    if (!std::isfinite(v))
      return inf;
  double scale = maxOf(m);
  if (!(scale > 0))
    return inf;
  // One-sided Jacobi (Hestenes): rotate column pairs until all columns are
  // orthogonal; the column norms are then the singular values, each to high
  // relative accuracy (unlike the eigenvalues of M^T M).
  std::vector<double> u(n * n);
  for (int64_t i = 0; i < n * n; ++i)
    u[i] = m[i] / scale;
  auto col = [&](int64_t i, int64_t j) -> double & { return u[i * n + j]; };
  for (int sweep = 0; sweep < 60; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        double alpha = 0, beta = 0, gamma = 0;
        for (int64_t i = 0; i < n; ++i) {
          alpha += col(i, p) * col(i, p);
          beta += col(i, q) * col(i, q);
          gamma += col(i, p) * col(i, q);
        }
        if (gamma == 0 || std::abs(gamma) <= 1e-15 * std::sqrt(alpha * beta))
          continue;
        rotated = true;
        double zeta = (beta - alpha) / (2 * gamma);
        double t = (zeta >= 0 ? 1 : -1) / (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
        double c = 1 / std::sqrt(1 + t * t), s = c * t;
        for (int64_t i = 0; i < n; ++i) {
          double up = col(i, p), uq = col(i, q);
          col(i, p) = c * up - s * uq;
          col(i, q) = s * up + c * uq;
        }
      }
    if (!rotated)
      break;
  }
  double lo = inf, hi = 0;
  for (int64_t j = 0; j < n; ++j) {
    double norm = 0;
    for (int64_t i = 0; i < n; ++i)
      norm += col(i, j) * col(i, j);
    norm = std::sqrt(norm);
    lo = std::min(lo, norm);
    hi = std::max(hi, norm);
  }
  if (!(lo > 0))
    return inf;
  return hi / lo;
}

std::vector<double> lq::invertMatrix(const std::vector<double> &m, int64_t n) {
  std::vector<double> a = m, inv(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    inv[i * n + i] = 1;
  for (int64_t col = 0; col < n; ++col) {
    int64_t pivot = col;
    for (int64_t r = col + 1; r < n; ++r)
      if (std::abs(a[r * n + col]) > std::abs(a[pivot * n + col]))
        pivot = r;
    double p = a[pivot * n + col];
    if (p == 0 || !std::isfinite(p))
      return {};
    if (pivot != col)
      for (int64_t k = 0; k < n; ++k) {
        std::swap(a[pivot * n + k], a[col * n + k]);
        std::swap(inv[pivot * n + k], inv[col * n + k]);
      }
    for (int64_t k = 0; k < n; ++k) {
      a[col * n + k] /= p;
      inv[col * n + k] /= p;
    }
    for (int64_t r = 0; r < n; ++r) {
      if (r == col)
        continue;
      double f = a[r * n + col];
      if (f == 0)
        continue;
      for (int64_t k = 0; k < n; ++k) {
        a[r * n + k] -= f * a[col * n + k];
        inv[r * n + k] -= f * inv[col * n + k];
      }
    }
  }
  return inv;
}

PreRopeFit lq::fitPreRope(const std::vector<double> &kAbsMax,
                          const std::vector<double> &kSecondMoment, int64_t d,
                          RopePairing pairing) {
  int64_t half = d / 2;
  PreRopeFit fit;
  fit.scales.assign(half, 1.0);
  fit.angles.assign(half, 0.0);
  std::vector<double> range(half);
  for (int64_t i = 0; i < half; ++i) {
    auto [a, b] = ropePair(pairing, d, i);
    range[i] = std::hypot(kAbsMax[a], kAbsMax[b]);
  }
  // c_i ~ 1 / r_i is the migration scale with alpha = 1 against unit weights.
  fit.scales = migrationScales(range, std::vector<double>(half, 1.0), 1.0);
  for (double &c : fit.scales)
    c = 1.0 / c;
  for (int64_t i = 0; i < half; ++i) {
    auto [a, b] = ropePair(pairing, d, i);
    double saa = kSecondMoment[a * d + a], sbb = kSecondMoment[b * d + b];
    double sab = kSecondMoment[a * d + b];
    if (saa == sbb && sab == 0)
      continue;
    // Var(y_a) - Var(y_b) = c^2 (cos 2phi (S_aa - S_bb) - 2 sin 2phi S_ab).
    double twoPhi = std::atan2(saa - sbb, 2 * sab);
    if (twoPhi > M_PI / 2)
      twoPhi -= M_PI;
    else if (twoPhi <= -M_PI / 2)
      twoPhi += M_PI;
    fit.angles[i] = twoPhi / 2;
  }
  return fit;
}

std::vector<double> lq::preRopeMatrix(const PreRopeFit &fit, int64_t d, RopePairing pairing,
                                      bool queries) {
  std::vector<double> m(d * d, 0.0);
  for (int64_t i = 0; i < d / 2; ++i) {
    auto [a, b] = ropePair(pairing, d, i);
    // M = c R(phi) on the column vector (x_a, x_b); as x -> x M on rows:
    // y_a = c (cos x_a - sin x_b), y_b = c (sin x_a + cos x_b). The queries'
    // M^-T = R(phi) / c.
    double c = queries ? 1.0 / fit.scales[i] : fit.scales[i], phi = fit.angles[i];
    m[a * d + a] = c * std::cos(phi);
    m[b * d + a] = -c * std::sin(phi);
    m[a * d + b] = c * std::sin(phi);
    m[b * d + b] = c * std::cos(phi);
  }
  return m;
}

std::vector<double> lq::outputSecondMoment(const float *w, int64_t cols, int64_t row0, int64_t n,
                                           const float *hessian) {
  std::vector<double> wh(n * cols, 0.0), s(n * n, 0.0);
  for (int64_t a = 0; a < n; ++a) {
    const float *wa = w + (row0 + a) * cols;
    for (int64_t i = 0; i < cols; ++i) {
      double wai = wa[i];
      if (wai == 0)
        continue;
      const float *hi = hessian + i * cols;
      double *out = &wh[a * cols];
      for (int64_t j = 0; j < cols; ++j)
        out[j] += wai * hi[j];
    }
  }
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < n; ++b) {
      const float *wb = w + (row0 + b) * cols;
      double dot = 0;
      for (int64_t j = 0; j < cols; ++j)
        dot += wh[a * cols + j] * wb[j];
      s[a * n + b] = dot;
    }
  return s;
}
