/* Calls @forward of a model compiled by `quant-run compile` (through the
   header it writes, included as "model.h") on tokens 0..T-1, T = argv[1],
   and prints each row of logits. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int64_t T = argc > 1 ? atoll(argv[1]) : 4;
  int64_t *ids = malloc(sizeof(int64_t) * T);
  for (int64_t t = 0; t < T; ++t)
    ids[t] = t % LQ_MODEL_VOCAB;
  lq_memref_i64_2d tokens = {ids, ids, 0, {1, T}, {T, 1}};
  lq_memref_f32_3d logits;
  _mlir_ciface_forward(&logits, &tokens);
  printf("logits %lld x %lld x %lld\n", (long long)logits.sizes[0],
         (long long)logits.sizes[1], (long long)logits.sizes[2]);
  for (int64_t t = 0; t < logits.sizes[1]; ++t) {
    for (int64_t v = 0; v < logits.sizes[2]; ++v)
      printf("%s%g", v ? " " : "",
             logits.aligned[logits.offset + t * logits.strides[1] + v * logits.strides[2]]);
    printf("\n");
  }
  free(logits.allocated);
  free(ids);
  return 0;
}
