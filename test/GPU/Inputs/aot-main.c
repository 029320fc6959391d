// Driver of the AOT-compiled test module: runs its `entry` function and
// provides the printMemrefF32 it calls, so the executable needs no MLIR
// runtime library, only lib/Runtime and the NVIDIA driver.
#include <stdint.h>
#include <stdio.h>

void entry(void);

// A ranked memref descriptor: base, aligned data, offset, sizes, strides.
struct Descriptor {
  float *base, *data;
  int64_t offset, sizesAndStrides[];
};

void printMemrefF32(int64_t rank, struct Descriptor *d) {
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i)
    count *= d->sizesAndStrides[i];
  // Contiguous row-major results: the format compare-floats.py reads.
  printf("Unranked Memref (aot) rank = %lld\ndata = \n[", (long long)rank);
  for (int64_t i = 0; i < count; ++i)
    printf("%s%.9g", i ? ", " : "", d->data[d->offset + i]);
  printf("]\n");
}

int main(void) {
  entry();
  return 0;
}
