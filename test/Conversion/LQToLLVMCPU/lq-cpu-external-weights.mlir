// RUN: quant-opt %s --split-input-file --lq-cpu-external-weights="min-bytes=64" | FileCheck %s
// RUN: not quant-opt %s --split-input-file --lq-cpu-external-weights="min-bytes=0" 2>&1 | FileCheck %s --check-prefix=BAD

// Constant globals of at least min-bytes lose their value to the module's
// lq.external_weights table and become public external declarations
// without an alignment; small, splat, sub-byte and mutable globals stay.

// CHECK-LABEL: module attributes {lq.external_weights = {
// CHECK-SAME: big = dense_resource<blob_big> : tensor<16x4xf32>
// CHECK-SAME: dense_bytes = dense<{{.*}}> : tensor<64xi8>
// CHECK-NOT: small
// CHECK-SAME: }}
// CHECK-DAG: memref.global constant @big : memref<16x4xf32>{{$}}
// CHECK-DAG: memref.global constant @dense_bytes : memref<64xi8>{{$}}
// CHECK-DAG: memref.global "private" constant @small : memref<4xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-DAG: memref.global "private" constant @splat : memref<64xf32> = dense<1.000000e+00>
// CHECK-DAG: memref.global "private" constant @bits : memref<1024xi1> = dense<
// CHECK-DAG: memref.global "private" @mutable : memref<64xf32> = dense_resource<blob_big>
// CHECK-LABEL: func.func @read
// CHECK: memref.get_global @big
module {
  memref.global "private" constant @big : memref<16x4xf32> = dense_resource<blob_big> {alignment = 64 : i64}
  memref.global "private" constant @dense_bytes : memref<64xi8> = dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63]>
  memref.global "private" constant @small : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
  memref.global "private" constant @splat : memref<64xf32> = dense<1.0>
  memref.global "private" constant @bits : memref<1024xi1> = dense<true>
  memref.global "private" @mutable : memref<64xf32> = dense_resource<blob_big>
  func.func @read() -> memref<16x4xf32> {
    %0 = memref.get_global @big : memref<16x4xf32>
    return %0 : memref<16x4xf32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      blob_big: "0x040000000000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f"
    }
  }
#-}

// -----

// BAD: error: lq-cpu-external-weights: min-bytes must be positive, got 0
module {
}
