/*===- fake_table.c - A hand-written bundle table for the tests --*- C -*-===*
 *
 * What quant-run emit generates as lq_kernels_table.c, for two f32 linears
 * y = x W^T + b whose weight and bias are separate tensors: lin0 (W [4, 3])
 * and lin1 (W [2, 4]). For cpu (the default) the kernels compute in C; with
 * -DLQ_FAKE_CUDA the target is cuda and they go through lq__cuda_launch:
 * lin0's kernel with instances of batch 4, 2 and 1, lin1's (W4A8-like, a
 * prologue and scratch) with one of batch 4, and PTX for sm_80 and sm_90a
 * plus an sm_86 cubin (test/Bundle/Inputs/fake_cuda.c loads none of them).
 * -DLQ_FAKE_CPU_FEATURES='"..."' sets lq__cpu_features; -DLQ_FAKE_BAD_TABLE
 * gives lin1 a tensor index out of range, as a generator bug would.
 *
 *===----------------------------------------------------------------------===*/
#include "lq_bundle_internal.h"

#include <string.h>

#ifndef LQ_FAKE_CPU_FEATURES
#define LQ_FAKE_CPU_FEATURES ""
#endif

const char lq__cpu_features[] = LQ_FAKE_CPU_FEATURES;

const lq_tensor_spec lq__tensors[] = {
    {"lin0.weight", "F32", 2, {4, 3}, 48},
    {"lin0.bias", "F32", 1, {4}, 16},
    {"lin1.weight", "F32", 2, {2, 4}, 32},
    {"lin1.bias", "F32", 1, {2}, 8},
};
const int lq__num_tensors = 4;

#ifndef LQ_FAKE_CUDA
const char lq__target[] = "cpu";

/* The weights file's data need not be aligned: loads go through memcpy. */
static float load(const void *base, int64_t i) {
  float v;
  memcpy(&v, (const char *)base + 4 * i, sizeof v);
  return v;
}

static int linear(int kernel, const void *x, void *y, const void *const *weights, int64_t batch) {
  int code = lq__check_call(kernel, x, y, weights, batch);
  if (code != LQ_OK)
    return code;
  int64_t rows = lq__kernels[kernel].rows, cols = lq__kernels[kernel].cols;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = 0; r < rows; ++r) {
      float sum = load(weights[1], r);
      for (int64_t c = 0; c < cols; ++c)
        sum += ((const float *)x)[b * cols + c] * load(weights[0], r * cols + c);
      ((float *)y)[b * rows + r] = sum;
    }
  return LQ_OK;
}

static int lq_f32_4x3(void *stream, const void *x, void *y, const void *const *weights,
                      int64_t batch) {
  (void)stream;
  return linear(0, x, y, weights, batch);
}
static int lq_f32_2x4(void *stream, const void *x, void *y, const void *const *weights,
                      int64_t batch) {
  (void)stream;
  return linear(1, x, y, weights, batch);
}

const lq_kernel_spec lq__kernels[] = {
    {"lq_f32_4x3", lq_f32_4x3, 4, 3, 8, 2, 0, NULL, 4, 0},
    {"lq_f32_2x4", lq_f32_2x4, 2, 4, 8, 2, 0, NULL, 4, 0},
};
const lq_cuda_image lq__cuda_images[1];
const int lq__num_cuda_images = 0;
#else
const char lq__target[] = "cuda";

static int lq_f32_4x3(void *stream, const void *x, void *y, const void *const *weights,
                      int64_t batch) {
  return lq__cuda_launch(0, stream, x, y, weights, batch);
}
static int lq_f32_2x4(void *stream, const void *x, void *y, const void *const *weights,
                      int64_t batch) {
  return lq__cuda_launch(1, stream, x, y, weights, batch);
}

static const lq_cuda_instance lin0_instances[] = {
    {4, "gemv_4x3_b4", 2, 128, NULL, 0, 0, 0},
    {2, "gemv_4x3_b2", 1, 64, NULL, 0, 0, 0},
    {1, "gemv_4x3_b1", 1, 32, NULL, 0, 0, 0},
};
static const lq_cuda_instance lin1_instances[] = {
    {4, "w4a8_2x4_b4", 1, 256, "w4a8_quant_b4", 4, 32, 96},
};

const lq_kernel_spec lq__kernels[] = {
    {"lq_f32_4x3", lq_f32_4x3, 4, 3, 8, 2, 3, lin0_instances, 2, 0},
    {"lq_f32_2x4", lq_f32_2x4, 2, 4, 8, 2, 1, lin1_instances, 2, 8},
};

static const unsigned char ptx80[] = "// fake PTX for sm_80";
static const unsigned char ptx90a[] = "// fake PTX for sm_90a";
static const unsigned char cubin86[] = {0x7f, 'E', 'L', 'F', 0};
const lq_cuda_image lq__cuda_images[] = {
    {"sm_90a", ptx90a, sizeof ptx90a, 0},
    {"sm_86", cubin86, sizeof cubin86, 1},
    {"sm_80", ptx80, sizeof ptx80, 0},
};
const int lq__num_cuda_images = 3;
#endif

const int lq__num_kernels = 2;

static const int lin0_tensors[] = {0, 1};
#ifndef LQ_FAKE_BAD_TABLE
static const int lin1_tensors[] = {2, 3};
#else
static const int lin1_tensors[] = {2, 4}; /* past lq__tensors */
#endif
const lq_linear_spec lq__linears[] = {
    {"model.lin0.weight", 0, lin0_tensors},
    {"model.lin1.weight", 1, lin1_tensors},
};
const int lq__num_linears = 2;
