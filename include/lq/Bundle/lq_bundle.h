/*===- lq_bundle.h - The C API of an emitted kernel bundle ------*- C -*-===*
 *
 * `quant-run emit` writes a bundle directory: for each target (cpu, cuda) a
 * shared library whose kernels take packed quantized weights, the packed
 * weights as safetensors, this header, lq_kernels.h (one declaration per
 * kernel) and manifest.json. This header is the same for every bundle; it
 * uses no MLIR types. Every function returns LQ_OK or an error code, with a
 * message from lq_last_error() (per thread).
 *
 *===----------------------------------------------------------------------===*/
#ifndef LQ_BUNDLE_H
#define LQ_BUNDLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  LQ_OK = 0,
  LQ_ERR_ARGUMENT = 1, /* a null pointer, an unknown index or name */
  LQ_ERR_IO = 2,       /* a file cannot be opened, read or mapped */
  LQ_ERR_FORMAT = 3,   /* a weights file is not well-formed safetensors */
  LQ_ERR_MISMATCH = 4, /* a tensor is missing or differs from the manifest */
  LQ_ERR_BATCH = 5,    /* a batch outside the compiled range */
  LQ_ERR_DEVICE = 6,   /* no CUDA driver or device, or a CUDA call failed */
  LQ_ERR_MEMORY = 7    /* out of host or device memory */
};

/* y[batch, rows] = x[batch, cols] * W^T for one packed weight W.
 * cpu:  x and y are host f32 arrays, row-major; `stream` is ignored.
 * cuda: x is device f16 [batch, cols], y device f32 [batch, rows], the
 *       work is queued on `stream` (a CUstream; NULL: the legacy stream) of
 *       the calling thread's current context.
 * `weights` holds the linear's tensors in manifest order (host pointers for
 * cpu, device pointers for cuda), e.g. from lq_bundle_linear_weights. */
typedef int (*lq_kernel_fn)(void *stream, const void *x, void *y, const void *const *weights,
                            int64_t batch);

typedef struct lq_bundle lq_bundle;

/* Opens <dir>/<target>/weights.safetensors and checks every tensor the
 * library's linears take against the manifest compiled into it (present,
 * dtype, shape, size, inside the file); cuda copies them to the device of
 * the current context (the primary context of device 0 if there is none).
 * On error *out is NULL and nothing stays allocated. */
int lq_bundle_open(const char *dir, lq_bundle **out);
void lq_bundle_close(lq_bundle *bundle);

/* The message of this thread's last error ("" if none). */
const char *lq_last_error(void);

/* "cpu" or "cuda": what this library's kernels run on. */
const char *lq_bundle_target(void);

typedef struct {
  const char *name;   /* the model's weight, e.g. model.layers.0.self_attn.q_proj.weight */
  const char *kernel; /* the kernel's C function, declared in lq_kernels.h */
  lq_kernel_fn fn;
  int64_t rows, cols; /* W is [rows, cols] */
  int64_t max_batch;  /* batches 1..max_batch */
  int num_weights;    /* tensors the kernel takes */
  int act_bits;       /* W4A8: the kernel quantizes each row of x to this many bits
                         (symmetric, round half to even) first; 0 otherwise */
} lq_linear_info;

int lq_bundle_linear_count(void);
int lq_bundle_linear_info(int index, lq_linear_info *out);
/* The linear's tensors (num_weights pointers into the opened bundle). */
int lq_bundle_linear_weights(const lq_bundle *bundle, int index, const void **weights);
/* A tensor of the weights file by name; *bytes (if not NULL) gets its size. */
int lq_bundle_tensor(const lq_bundle *bundle, const char *name, const void **data,
                     int64_t *bytes);

/* Any safetensors file, checked as lq_bundle_open checks the weights (every
 * tensor inside the file, sizes agreeing with shapes) and mapped read-only:
 * e.g. a bundle's reference.safetensors. */
typedef struct lq_tensors lq_tensors;
int lq_tensors_open(const char *path, lq_tensors **out);
void lq_tensors_close(lq_tensors *tensors);
/* Tensor `name`: its data and size in bytes; LQ_ERR_MISMATCH if it is
 * missing or, when `dtype` is not NULL, of another dtype. */
int lq_tensors_get(const lq_tensors *tensors, const char *name, const char *dtype,
                   const void **data, int64_t *bytes);

#ifdef __cplusplus
}
#endif

#endif /* LQ_BUNDLE_H */
