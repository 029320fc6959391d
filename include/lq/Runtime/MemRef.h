//===- MemRef.h - The memref descriptors of MLIR's C interfaces -*- C++ -*-===//
//
// How code lowered from MLIR passes memrefs (CRunnerUtils'
// StridedMemRefType), for hosts that call _mlir_ciface_* entry points
// without linking MLIR. No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUNTIME_MEMREF_H
#define LQ_RUNTIME_MEMREF_H

#include <cstdint>

namespace lq::runtime {

/// The descriptor MLIR passes memrefs by (as CRunnerUtils' StridedMemRefType).
template <typename T, int N> struct MemRef {
  T *allocated = nullptr;
  T *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizes[N] = {};
  int64_t strides[N] = {};
};

/// A contiguous row-major memref over `data` with `sizes`.
template <typename T, int N>
MemRef<T, N> viewOf(T *data, const int64_t (&sizes)[N]) {
  MemRef<T, N> m;
  m.allocated = m.aligned = data;
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    m.sizes[i] = sizes[i];
    m.strides[i] = stride;
    stride *= sizes[i];
  }
  return m;
}

/// Whether a returned descriptor's allocated pointer is a buffer the callee
/// allocated (and the caller frees): memref.get_global results carry
/// 0xdeadbeef instead (see finalize-memref-to-llvm).
inline bool isHeapBuffer(const void *allocated) {
  return allocated && allocated != reinterpret_cast<void *>(0xdeadbeef);
}

} // namespace lq::runtime

#endif // LQ_RUNTIME_MEMREF_H
