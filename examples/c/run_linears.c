/* run_linears.c - a C program that runs a bundle's quantized linears.
 *
 * Loads the bundle written by `quant-run emit --reference-weights`, runs
 * every linear's kernel from the cpu library on deterministic activations
 * at a few batch sizes, and compares the result with x * W^T computed here,
 * in double, from the weights the numeric library decoded
 * (reference.safetensors). Prints one line per linear and batch; exits 1 on
 * any error or on a result outside the tolerance.
 *
 *   cc run_linears.c -I<bundle> <bundle>/cpu/lq_kernels.o -lm -ldl -lpthread
 *   ./a.out <bundle> [batch...]
 */
#include "lq_bundle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The activations: the same on every machine, |x| <= 1. */
static float activation(int64_t row, int64_t col) {
  return (float)sin(0.37 * (double)(row * 131 + col) + 0.5 * (double)row);
}

/* W4A8 kernels quantize each row of x to int8 first (symmetric, per row,
 * round half to even); the reference multiplies that same x. */
static void quantizeRow(float *x, int64_t cols, int bits) {
  float absmax = 0, levels = (float)((1 << (bits - 1)) - 1);
  for (int64_t k = 0; k < cols; ++k)
    absmax = fmaxf(absmax, fabsf(x[k]));
  float scale = absmax > 0 ? absmax / levels : 1.0f;
  for (int64_t k = 0; k < cols; ++k) {
    float q = nearbyintf(x[k] / scale);
    x[k] = fminf(fmaxf(q, -levels), levels) * scale;
  }
}

static int check(const lq_bundle *bundle, const lq_tensors *reference, int index, int64_t batch) {
  lq_linear_info info;
  if (lq_bundle_linear_info(index, &info) != LQ_OK) {
    fprintf(stderr, "error: %s\n", lq_last_error());
    return 1;
  }
  const void *weights[16];
  if (info.num_weights > 16) {
    fprintf(stderr, "error: %s takes %d weights\n", info.name, info.num_weights);
    return 1;
  }
  int status = lq_bundle_linear_weights(bundle, index, weights);
  const float *w = NULL;
  int64_t bytes = 0;
  if (status == LQ_OK)
    status = lq_tensors_get(reference, info.name, "F32", (const void **)&w, &bytes);
  if (status == LQ_OK && bytes != info.rows * info.cols * (int64_t)sizeof(float)) {
    fprintf(stderr, "error: reference %s has %lld bytes\n", info.name, (long long)bytes);
    return 1;
  }
  if (status != LQ_OK) {
    fprintf(stderr, "error %d: %s\n", status, lq_last_error());
    return 1;
  }
  float *x = malloc(sizeof(float) * batch * info.cols);
  float *y = malloc(sizeof(float) * batch * info.rows);
  if (!x || !y) {
    fprintf(stderr, "error: out of memory\n");
    return 1;
  }
  for (int64_t m = 0; m < batch; ++m)
    for (int64_t k = 0; k < info.cols; ++k)
      x[m * info.cols + k] = activation(m, k);
  status = info.fn(NULL, x, y, weights, batch);
  if (status != LQ_OK) {
    printf("%s batch %lld: error %d: %s\n", info.name, (long long)batch, status, lq_last_error());
    free(x);
    free(y);
    return 1;
  }
  if (info.act_bits)
    for (int64_t m = 0; m < batch; ++m)
      quantizeRow(x + m * info.cols, info.cols, info.act_bits);
  double worst = 0, largest = 0;
  for (int64_t m = 0; m < batch; ++m)
    for (int64_t n = 0; n < info.rows; ++n) {
      double sum = 0;
      for (int64_t k = 0; k < info.cols; ++k)
        sum += (double)x[m * info.cols + k] * w[n * info.cols + k];
      double diff = fabs(sum - y[m * info.rows + n]);
      worst = diff > worst || isnan(diff) ? diff : worst;
      largest = fmax(largest, fabs(sum));
    }
  double relative = worst / (largest > 0 ? largest : 1);
  /* f32 sums in another order (W4A8: int8 sums, exact, then f32 scales). */
  int ok = relative <= 1e-5;
  printf("%-44s %-24s batch %4lld  max |y - ref| / max |ref| = %.2e  %s\n", info.name,
         info.kernel, (long long)batch, relative, ok ? "ok" : "FAIL");
  free(x);
  free(y);
  return !ok;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <bundle dir> [batch...]\n", argv[0]);
    return 2;
  }
  lq_bundle *bundle;
  if (lq_bundle_open(argv[1], &bundle) != LQ_OK) {
    fprintf(stderr, "error: %s\n", lq_last_error());
    return 1;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/reference.safetensors", argv[1]);
  lq_tensors *reference;
  if (lq_tensors_open(path, &reference) != LQ_OK) {
    fprintf(stderr, "error: %s\n", lq_last_error());
    lq_bundle_close(bundle);
    return 1;
  }
  int64_t batches[16] = {1, 3, 17};
  int numBatches = 3;
  if (argc > 2) {
    numBatches = 0;
    for (int i = 2; i < argc && numBatches < 16; ++i)
      batches[numBatches++] = strtoll(argv[i], NULL, 10);
  }
  int failures = 0;
  for (int i = 0; i < lq_bundle_linear_count(); ++i)
    for (int b = 0; b < numBatches; ++b)
      failures += check(bundle, reference, i, batches[b]);
  printf("%d linears of %s checked on %s: %d failed\n", lq_bundle_linear_count(), argv[1],
         lq_bundle_target(), failures);
  lq_tensors_close(reference);
  lq_bundle_close(bundle);
  return failures ? 1 : 0;
}
