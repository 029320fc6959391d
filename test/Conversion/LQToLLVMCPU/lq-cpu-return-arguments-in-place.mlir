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

// -----

// Before the deallocations are lowered, a bufferization.dealloc both frees
// and retains the returned clone: it leaves the buffers freed, and the
// argument is retained in its place.
// CHECK-LABEL: func.func @dealloc
// CHECK-SAME: (%[[CACHE:.*]]: memref<4x8xf32>, %{{.*}}: f32)
// CHECK: %[[A:.*]] = memref.alloc
// CHECK-NOT: bufferization.clone
// CHECK: bufferization.dealloc (%[[A]] : memref<4xf32>) if (%{{.*}}) retain (%[[A]], %[[CACHE]] : memref<4xf32>, memref<4x8xf32>)
// CHECK: return %[[A]], %[[CACHE]]
func.func @dealloc(%cache: memref<4x8xf32>, %v: f32) -> (memref<4xf32>, memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %true = arith.constant true
  memref.store %v, %cache[%c0, %c0] : memref<4x8xf32>
  %a = memref.alloc() : memref<4xf32>
  %r = bufferization.clone %cache : memref<4x8xf32> to memref<4x8xf32>
  %u:2 = bufferization.dealloc (%a, %r : memref<4xf32>, memref<4x8xf32>) if (%true, %true) retain (%a, %r : memref<4xf32>, memref<4x8xf32>)
  return %a, %r : memref<4xf32>, memref<4x8xf32>
}

// -----

// Kept: the ownership the dealloc reports for the clone is used.
// CHECK-LABEL: func.func @ownership
// CHECK: bufferization.clone
func.func @ownership(%cache: memref<4x8xf32>) -> (memref<4x8xf32>, i1) {
  %true = arith.constant true
  %r = bufferization.clone %cache : memref<4x8xf32> to memref<4x8xf32>
  %u = bufferization.dealloc (%r : memref<4x8xf32>) if (%true) retain (%r : memref<4x8xf32>)
  return %r, %u : memref<4x8xf32>, i1
}
