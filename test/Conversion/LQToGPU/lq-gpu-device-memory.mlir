// RUN: quant-opt %s --lq-gpu-device-memory="functions=decode" --split-input-file --verify-diagnostics | FileCheck %s

// Allocations move to the start: the returned one into managed memory, the
// temporary into device memory. Constants become device copies uploaded at
// the start, frees of what is not returned go to the end.
// CHECK: func.func private @__constant_4xf32_device() -> memref<4xf32> attributes {lq.device_upload}
// CHECK-LABEL: func.func @decode(
// CHECK:         %[[R:.*]] = gpu.alloc  host_shared () : memref<4xf32>
// CHECK:         %[[T:.*]] = gpu.alloc  () : memref<4xf32>
// CHECK:         %[[W:.*]] = call @__constant_4xf32_device() : () -> memref<4xf32>
// CHECK:         memref.load %{{.*}}[%{{.*}}] : memref<1xi64>
// CHECK:         gpu.launch_func @k::@f {{.*}} args(%[[W]] : memref<4xf32>, %[[T]] : memref<4xf32>)
// CHECK:         gpu.launch_func @k::@f {{.*}} args(%[[T]] : memref<4xf32>, %[[R]] : memref<4xf32>)
// CHECK-NEXT:    gpu.dealloc  %[[T]] : memref<4xf32>
// CHECK-NEXT:    return %[[R]]
module attributes {gpu.container_module} {
  memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense<1.0>
  gpu.module @k {
    gpu.func @f(%a: memref<4xf32>, %b: memref<4xf32>) kernel { gpu.return }
  }
  func.func @decode(%pos: memref<1xi64>) -> memref<4xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %p = memref.load %pos[%c0] : memref<1xi64>
    %w = memref.get_global @__constant_4xf32 : memref<4xf32>
    %t = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4xf32>, %t : memref<4xf32>)
    %r = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%t : memref<4xf32>, %r : memref<4xf32>)
    return %r : memref<4xf32>
  }
}

// -----

// A buffer the host loads a scalar from (through a view) is managed memory
// too; it is freed at the end like any temporary.
// CHECK-LABEL: func.func @decode(
// CHECK:         %[[S:.*]] = gpu.alloc  host_shared () : memref<2xi64>
// CHECK:         gpu.launch_func @k::@f
// CHECK:         %[[V:.*]] = memref.subview %[[S]][1] [1] [1]
// CHECK:         memref.load %[[V]]
// CHECK:         gpu.dealloc  %[[S]] : memref<2xi64>
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @f(%a: memref<2xi64>) kernel { gpu.return }
  }
  func.func @decode() -> i64 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %s = memref.alloc() : memref<2xi64>
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%s : memref<2xi64>)
    %v = memref.subview %s[1] [1] [1] : memref<2xi64> to memref<1xi64, strided<[1], offset: 1>>
    %p = memref.load %v[%c0] : memref<1xi64, strided<[1], offset: 1>>
    return %p : i64
  }
}

// -----

// Anything left touching buffer data on the host is an error naming the op.
func.func @decode(%x: memref<8xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    // expected-error @+1 {{'memref.store' op reads or writes buffer data on the host of a GPU function}}
    memref.store %cst, %x[%i] : memref<8xf32>
  }
  // expected-error @+1 {{'linalg.fill' op reads or writes buffer data on the host of a GPU function}}
  linalg.fill ins(%cst : f32) outs(%x : memref<8xf32>)
  return %x : memref<8xf32>
}

// -----

func.func private @cpu_kernel(memref<8xf32>)
func.func @decode(%x: memref<8xf32>) {
  // expected-error @+1 {{'func.call' op calls a function on the host of a GPU function}}
  call @cpu_kernel(%x) : (memref<8xf32>) -> ()
  return
}
