// RUN: quant-opt %s --split-input-file --lq-cpu-return-arguments-in-place | FileCheck %s

// The clone of an argument that only the return uses gives way to the
// argument: the caller gets back the buffer it passed (a KV cache updated in
// place).
// CHECK-LABEL: func.func @cache
// CHECK-SAME: (%[[CACHE:.*]]: memref<4x8xf32>, %{{.*}}: f32)
// CHECK-NOT: bufferization.clone
// CHECK: return %[[CACHE]]
func.func @cache(%cache: memref<4x8xf32>, %v: f32) -> memref<4x8xf32> {
  %c0 = arith.constant 0 : index
  memref.store %v, %cache[%c0, %c0] : memref<4x8xf32>
  %r = bufferization.clone %cache : memref<4x8xf32> to memref<4x8xf32>
  return %r : memref<4x8xf32>
}

// -----

// Kept: a clone with another use, a clone of a local buffer, and a clone
// that changes the type.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: bufferization.clone
// CHECK: return
func.func @kept(%a: memref<4xf32>, %b: memref<4xf32, strided<[1], offset: ?>>) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %used = bufferization.clone %a : memref<4xf32> to memref<4xf32>
  %c0 = arith.constant 0 : index
  %x = memref.load %used[%c0] : memref<4xf32>
  %local = memref.alloc() : memref<4xf32>
  memref.store %x, %local[%c0] : memref<4xf32>
  %l = bufferization.clone %local : memref<4xf32> to memref<4xf32>
  %s = bufferization.clone %b : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32>
  return %used, %l, %s, %local : memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>
}
