// RUN: quant-opt %s --lq-gpu-sync-host-shared-allocs | FileCheck %s

// A host_shared allocation leaves the token chain; what waited for it waits
// for its dependency. Device allocations stay asynchronous.
// CHECK-LABEL: func.func @chain(
// CHECK:         %[[T0:.*]] = gpu.wait async
// CHECK-NEXT:    %[[M:.*]] = gpu.alloc  host_shared () : memref<16xf32>
// CHECK-NEXT:    %[[D:.*]], %[[T2:.*]] = gpu.alloc async [%[[T0]]] () : memref<16xf32>
// CHECK-NEXT:    gpu.wait [%[[T2]]]
// CHECK-NEXT:    return %[[M]]
func.func @chain() -> memref<16xf32> {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] host_shared () : memref<16xf32>
  %d, %t2 = gpu.alloc async [%t1] () : memref<16xf32>
  gpu.wait [%t2]
  return %m : memref<16xf32>
}

// Several dependencies are joined by a gpu.wait async.
// CHECK-LABEL: func.func @join(
// CHECK:         %[[A:.*]] = gpu.wait async
// CHECK:         %[[B:.*]] = gpu.wait async
// CHECK:         gpu.alloc  host_shared () : memref<4xf32>
// CHECK-NEXT:    %[[J:.*]] = gpu.wait async [%[[A]], %[[B]]]
// CHECK-NEXT:    gpu.wait [%[[J]]]
func.func @join() {
  %a = gpu.wait async
  %b = gpu.wait async
  %m, %t = gpu.alloc async [%a, %b] host_shared () : memref<4xf32>
  gpu.wait [%t]
  return
}
