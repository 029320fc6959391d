// RUN: quant-opt %s --lq-weight-table="min-bytes=64" | FileCheck %s
// RUN: not quant-opt %s --lq-weight-table="min-bytes=0" 2>&1 | FileCheck %s --check-prefix=BAD

// Constant globals of at least min-bytes move into lq.external_weights and
// are read through the slots of @lq_model_weight_table, in name order;
// small, splat, sub-byte and mutable globals stay in the code.

// CHECK-LABEL: module attributes {lq.external_weights = {
// CHECK-SAME: a_bytes = dense<{{.*}}> : tensor<64xi8>
// CHECK-SAME: b_big = dense_resource<blob_big> : tensor<16x4xf32>}}
// CHECK-NOT: @a_bytes
// CHECK-NOT: @b_big
// CHECK-DAG: llvm.mlir.global private constant @small(dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>)
// CHECK-DAG: llvm.mlir.global private constant @splat(dense<1.000000e+00> : tensor<64xf32>)
// CHECK-DAG: llvm.mlir.global private constant @bits(dense<true> : tensor<1024xi1>)
// CHECK-DAG: llvm.mlir.global private @mutable(dense_resource<blob_big> : tensor<16x4xf32>)
// CHECK-LABEL: llvm.func @read
// CHECK: %[[T0:.*]] = llvm.mlir.addressof @lq_model_weight_table : !llvm.ptr
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[T0]][0, 1] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x ptr>
// CHECK: %[[B:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[T1:.*]] = llvm.mlir.addressof @lq_model_weight_table : !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[T1]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x ptr>
// CHECK: %[[A:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.mlir.addressof @small
// CHECK: llvm.return %[[B]]
// CHECK: llvm.mlir.global external @lq_model_weight_table() {{.*}} : !llvm.array<2 x ptr> {
// CHECK-NEXT: %[[Z:.*]] = llvm.mlir.zero : !llvm.array<2 x ptr>
// CHECK-NEXT: llvm.return %[[Z]]
module {
  llvm.mlir.global private constant @b_big(dense_resource<blob_big> : tensor<16x4xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<16 x array<4 x f32>>
  llvm.mlir.global private constant @a_bytes(dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63]> : tensor<64xi8>) {addr_space = 0 : i32} : !llvm.array<64 x i8>
  llvm.mlir.global private constant @small(dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>) {addr_space = 0 : i32} : !llvm.array<4 x f32>
  llvm.mlir.global private constant @splat(dense<1.0> : tensor<64xf32>) {addr_space = 0 : i32} : !llvm.array<64 x f32>
  llvm.mlir.global private constant @bits(dense<true> : tensor<1024xi1>) {addr_space = 0 : i32} : !llvm.array<1024 x i1>
  llvm.mlir.global private @mutable(dense_resource<blob_big> : tensor<16x4xf32>) {addr_space = 0 : i32} : !llvm.array<16 x array<4 x f32>>
  llvm.func @read() -> !llvm.ptr {
    %0 = llvm.mlir.addressof @b_big : !llvm.ptr
    %1 = llvm.mlir.addressof @a_bytes : !llvm.ptr
    %2 = llvm.mlir.addressof @small : !llvm.ptr
    llvm.return %0 : !llvm.ptr
  }
}
{-#
  dialect_resources: {
    builtin: {
      blob_big: "0x040000000000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f"
    }
  }
#-}

// BAD: lq-weight-table: min-bytes must be positive, got 0
