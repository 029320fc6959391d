/*===- bundle_check.c - Drives a bundle library for the tests ----*- C -*-===*
 *
 * bundle_check DIR: opens the bundle at DIR through the public API, lists
 * its linears and calls each kernel, printing results, error codes and
 * lq_last_error(). bundle_check DIR twice: opens it twice and closes the
 * first before using the second. cpu kernels run on host arrays of
 * x[b][c] = b + 1 + c; cuda kernels (the fake driver of fake_cuda.c) get
 * fixed fake device addresses, so the launches it prints are deterministic.
 *
 *===----------------------------------------------------------------------===*/
#include "lq_bundle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *code_name(int code) {
  static const char *names[] = {"LQ_OK",           "LQ_ERR_ARGUMENT", "LQ_ERR_IO",
                                "LQ_ERR_FORMAT",   "LQ_ERR_MISMATCH", "LQ_ERR_BATCH",
                                "LQ_ERR_DEVICE",   "LQ_ERR_MEMORY"};
  return code >= 0 && code <= 7 ? names[code] : "?";
}

static void report(const char *what, int code) {
  printf("%s: %s%s%s\n", what, code_name(code), code ? " " : "", code ? lq_last_error() : "");
}

/* Two bundles open at once, closed in the order they were opened. */
static int open_twice(const char *dir) {
  lq_bundle *first = NULL, *second = NULL;
  report("open first", lq_bundle_open(dir, &first));
  report("open second", lq_bundle_open(dir, &second));
  lq_bundle_close(first);
  printf("closed first\n");
  const void *data = NULL;
  int64_t bytes = 0;
  report("second's lin0.weight", lq_bundle_tensor(second, "lin0.weight", &data, &bytes));
  lq_bundle_close(second);
  printf("closed second\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  if (argc > 2 && strcmp(argv[2], "twice") == 0)
    return open_twice(argv[1]);
  lq_bundle *bundle = (lq_bundle *)1;
  int code = lq_bundle_open(argv[1], &bundle);
  report("open", code);
  if (code != LQ_OK) {
    printf("bundle %s\n", bundle ? "set" : "NULL");
    return 0;
  }
  int cuda = strcmp(lq_bundle_target(), "cuda") == 0;
  int count = lq_bundle_linear_count();
  printf("target %s, %d linears\n", lq_bundle_target(), count);
  for (int i = 0; i < count; ++i) {
    lq_linear_info info;
    report("info", lq_bundle_linear_info(i, &info));
    printf("linear %d: %s kernel %s [%lld, %lld] batch 1..%lld, %d weights\n", i, info.name,
           info.kernel, (long long)info.rows, (long long)info.cols, (long long)info.max_batch,
           info.num_weights);
    const void *weights[8] = {0};
    report("weights", lq_bundle_linear_weights(bundle, i, weights));
    if (cuda) {
      for (int w = 0; w < info.num_weights; ++w)
        printf("weights[%d] = 0x%llx\n", w, (unsigned long long)(uintptr_t)weights[w]);
      const void *x = (const void *)0x100000;
      void *y = (void *)0x200000;
      static const int batches[] = {1, 2, 3, 4, 7, 8};
      for (size_t b = 0; b < sizeof batches / sizeof batches[0]; ++b) {
        char what[32];
        printf("call batch %d\n", batches[b]);
        snprintf(what, sizeof what, "batch %d", batches[b]);
        report(what, info.fn(NULL, x, y, weights, batches[b]));
      }
    } else {
      int64_t batch = 3;
      float *x = malloc(sizeof(float) * (size_t)(info.max_batch * info.cols));
      float *y = malloc(sizeof(float) * (size_t)(info.max_batch * info.rows));
      for (int64_t b = 0; b < info.max_batch; ++b)
        for (int64_t c = 0; c < info.cols; ++c)
          x[b * info.cols + c] = (float)(b + 1 + c);
      report("run", info.fn(NULL, x, y, weights, batch));
      for (int64_t b = 0; b < batch; ++b) {
        printf("y[%lld] =", (long long)b);
        for (int64_t r = 0; r < info.rows; ++r)
          printf(" %g", y[b * info.rows + r]);
        printf("\n");
      }
      report("batch 0", info.fn(NULL, x, y, weights, 0));
      report("batch max+1", info.fn(NULL, x, y, weights, info.max_batch + 1));
      report("batch max", info.fn(NULL, x, y, weights, info.max_batch));
      report("null x", info.fn(NULL, NULL, y, weights, 1));
      report("null y", info.fn(NULL, x, NULL, weights, 1));
      report("null weights", info.fn(NULL, x, y, NULL, 1));
      const void *partial[2] = {weights[0], NULL};
      report("null weights[1]", info.fn(NULL, x, y, partial, 1));
      free(x);
      free(y);
    }
  }
  lq_linear_info info;
  report("info -1", lq_bundle_linear_info(-1, &info));
  report("info count", lq_bundle_linear_info(count, &info));
  const void *ptrs[2];
  report("weights count", lq_bundle_linear_weights(bundle, count, ptrs));
  const void *data = NULL;
  int64_t bytes = 0;
  report("tensor lin1.bias", lq_bundle_tensor(bundle, "lin1.bias", &data, &bytes));
  if (cuda) {
    printf("lin1.bias: %lld bytes at 0x%llx\n", (long long)bytes,
           (unsigned long long)(uintptr_t)data);
  } else {
    float first;
    memcpy(&first, data, sizeof first);
    printf("lin1.bias: %lld bytes, first %g\n", (long long)bytes, first);
  }
  report("tensor extra.bytes", lq_bundle_tensor(bundle, "extra.bytes", &data, &bytes));
  lq_bundle_close(bundle);
  lq_bundle_close(NULL);
  printf("closed\n");
  return 0;
}
