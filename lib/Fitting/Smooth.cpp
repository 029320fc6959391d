//===- Smooth.cpp - QQQ adaptive smoothing search -------------------------===//
#include "lq/Fitting/Smooth.h"
#include "lq/Fitting/FPT.h"

#include <algorithm>
#include <cmath>

using namespace lq;

std::vector<double> lq::fakeQuantizeRows(const std::vector<double> &w, int64_t rows, int64_t cols,
                                         unsigned bits, int64_t group) {
  int64_t g = group > 0 ? group : cols;
  double qmax = double((int64_t(1) << (bits - 1)) - 1);
  std::vector<double> out(w.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c0 = 0; c0 < cols; c0 += g) {
      int64_t c1 = std::min(cols, c0 + g);
      double m = 0;
      for (int64_t c = c0; c < c1; ++c)
        m = std::max(m, std::abs(w[r * cols + c]));
      double step = m > 0 ? m / qmax : 1.0;
      for (int64_t c = c0; c < c1; ++c) {
        double q = std::nearbyint(w[r * cols + c] / step);
        out[r * cols + c] = std::clamp(q, -qmax, qmax) * step;
      }
    }
  return out;
}

double lq::smoothingLoss(const SmoothProblem &p, const std::vector<double> &s) {
  int64_t n = p.rows, k = p.cols;
  std::vector<double> ws(n * k);
  double frob = 0;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) {
      double v = double(p.weight[r * k + c]) * s[c];
      ws[r * k + c] = v;
      frob += v * v;
    }
  std::vector<double> q = fakeQuantizeRows(ws, n, k, p.weightBits, p.weightGroup);
  // dW in x's space: Q(W diag(s)) diag(s)^-1 - W.
  std::vector<double> dw(n * k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      dw[r * k + c] = q[r * k + c] / s[c] - double(p.weight[r * k + c]);
  double weightErr = 0;
  for (int64_t r = 0; r < n; ++r) {
    const double *d = &dw[r * k];
    for (int64_t i = 0; i < k; ++i) {
      if (d[i] == 0)
        continue;
      const float *h = p.hessian + i * k;
      double dot = 0;
      for (int64_t j = 0; j < k; ++j)
        dot += double(h[j]) * d[j];
      weightErr += d[i] * dot;
    }
  }
  // A typical token's range: each channel at the expected maximum of k
  // Gaussian draws, sqrt(2 ln k) standard deviations (RMS from diag(H)),
  // capped by its largest observed value. The largest observed values alone
  // are rare spikes and would overstate the step of almost every token.
  double spread = std::sqrt(2.0 * std::log(std::max<double>(k, 2)));
  double range = 0;
  for (int64_t c = 0; c < k; ++c) {
    double rms = p.tokens > 0 ? std::sqrt(std::max(0.0f, p.hessian[c * k + c]) / p.tokens) : 0.0;
    range = std::max(range, std::min(p.actAbsMax[c], spread * rms) / s[c]);
  }
  double step = range / double((int64_t(1) << (p.actBits - 1)) - 1);
  double actErr = p.tokens * step * step / 12.0 * frob;
  return weightErr + actErr;
}

SmoothResult lq::searchSmoothing(const SmoothProblem &p, const std::vector<double> &grid,
                                 double maxCondition) {
  SmoothResult best;
  best.alpha = -1;
  best.scales.assign(p.cols, 1.0);
  best.loss = best.identityLoss = smoothingLoss(p, best.scales);
  std::vector<double> wmax = columnAbsMax(p.weight, p.rows, p.cols);
  // Tied channels: pool the ranges per group, fit per group, broadcast.
  std::vector<double> act = p.actAbsMax, wr = wmax;
  std::vector<int64_t> group(p.cols);
  int64_t groups = p.cols;
  if (!p.tie.empty()) {
    std::vector<int64_t> ids(p.tie);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    groups = (int64_t)ids.size();
    act.assign(groups, 0.0);
    wr.assign(groups, 0.0);
    for (int64_t j = 0; j < p.cols; ++j) {
      group[j] = std::lower_bound(ids.begin(), ids.end(), p.tie[j]) - ids.begin();
      act[group[j]] = std::max(act[group[j]], p.actAbsMax[j]);
      wr[group[j]] = std::max(wr[group[j]], wmax[j]);
    }
  } else {
    for (int64_t j = 0; j < p.cols; ++j)
      group[j] = j;
  }
  for (double alpha : grid) {
    std::vector<double> g = migrationScales(act, wr, alpha);
    auto [lo, hi] = std::minmax_element(g.begin(), g.end());
    if (!(*hi / *lo <= maxCondition))
      continue;
    std::vector<double> s(p.cols);
    for (int64_t j = 0; j < p.cols; ++j)
      s[j] = g[group[j]];
    double loss = smoothingLoss(p, s);
    if (loss < best.loss) {
      best.loss = loss;
      best.alpha = alpha;
      best.scales = std::move(s);
    }
  }
  return best;
}
