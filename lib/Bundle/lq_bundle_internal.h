/*===- lq_bundle_internal.h - Tables of an emitted bundle library -*- C -*-===*
 *
 * The contract between the code `quant-run emit` generates for a bundle
 * (lq_kernels_table.c: the tables below and one C function per kernel) and
 * the runtime compiled beside it (lq_bundle_runtime.c: loading, checking
 * and, for cuda, launching). Both are compiled into each bundle library;
 * nothing here is part of the public API (lq_bundle.h).
 *
 *===----------------------------------------------------------------------===*/
#ifndef LQ_BUNDLE_INTERNAL_H
#define LQ_BUNDLE_INTERNAL_H

#include "lq_bundle.h"

#include <stddef.h>
#include <stdint.h>

#define LQ_MAX_RANK 4

/* A tensor of <target>/weights.safetensors as the library expects it. */
typedef struct {
  const char *name;
  const char *dtype; /* safetensors dtype: "I8", "U8", "I32", "F16", "F32" */
  int rank;
  int64_t shape[LQ_MAX_RANK];
  int64_t bytes; /* product of shape times the dtype's size */
} lq_tensor_spec;

/* cuda: one compiled instance of a kernel, for `batch` rows per launch. */
typedef struct {
  int64_t batch;
  const char *kernel; /* entry in the PTX: (x, w, y), or (scratch, w, y) after a prologue */
  unsigned grid, threads;
  /* W4A8: the activation quantization kernel (x, scratch), run first on the
   * same rows into a scratch buffer of scratch_bytes; NULL otherwise. */
  const char *prologue;
  unsigned prologue_grid, prologue_threads;
  int64_t scratch_bytes;
} lq_cuda_instance;

/* A kernel: one C function, shared by every linear of its shape and encoding. */
typedef struct {
  const char *name; /* the C function's name */
  lq_kernel_fn fn;
  int64_t rows, cols;
  int64_t max_batch;
  int num_weights;
  /* cuda: instances by decreasing batch; the largest is the chunk size
   * for every batch above it, and each smaller one (a power of two) for
   * the batches from it up to twice it. */
  int num_instances;
  const lq_cuda_instance *instances;
  int64_t x_element_bytes; /* cuda: 2 (f16); cpu: 4 (f32) */
  int act_bits;            /* x quantized per row to this many bits first; 0: not */
} lq_kernel_spec;

/* A quantized linear of the model. */
typedef struct {
  const char *name;    /* the model's weight name */
  int kernel;          /* index into lq__kernels */
  const int *tensors;  /* num_weights indices into lq__tensors */
} lq_linear_spec;

/* PTX (or cubin) images of the cuda library, by target architecture:
 * "sm_90a" loads on compute capability 9.0 only, "sm_80" on 8.0 and
 * above; a cubin (is_cubin) on its exact architecture only. */
typedef struct {
  const char *arch;
  const unsigned char *image;
  size_t size; /* bytes; PTX images are NUL-terminated within size */
  int is_cubin;
} lq_cuda_image;

/* Defined by the generated lq_kernels_table.c. */
extern const char lq__target[]; /* "cpu" or "cuda" */
extern const lq_tensor_spec lq__tensors[];
extern const int lq__num_tensors;
extern const lq_kernel_spec lq__kernels[];
extern const int lq__num_kernels;
extern const lq_linear_spec lq__linears[];
extern const int lq__num_linears;
/* cuda: the images. The runtime refers to them for either target, so a cpu
 * table defines them too: lq__num_cuda_images = 0 and a one-element
 * lq__cuda_images (C has no empty arrays). */
extern const lq_cuda_image lq__cuda_images[];
extern const int lq__num_cuda_images;
/* cpu: the x86 features the kernels were compiled for, e.g. "avx512f,avx512bw"
 * (checked by lq_bundle_open with __builtin_cpu_supports); "" if none. */
extern const char lq__cpu_features[];

/* Runtime services for the generated functions. */

/* Sets this thread's error message (printf format) and returns `code`. */
int lq__fail(int code, const char *format, ...);
/* Checks a call of kernel `kernel`: non-null x, y and weights (and each
 * weight pointer), 1 <= batch <= max_batch. LQ_OK or the error. */
int lq__check_call(int kernel, const void *x, const void *y, const void *const *weights,
                   int64_t batch);
/* cuda: launches kernel `kernel` over `batch` rows on `stream`, loading the
 * image into the current context at the first call. */
int lq__cuda_launch(int kernel, void *stream, const void *x, void *y,
                    const void *const *weights, int64_t batch);

#endif /* LQ_BUNDLE_INTERNAL_H */
