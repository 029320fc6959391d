// RUN: quant-opt %s --lq-gpu-merge-kernel-modules="functions=decode" --split-input-file | FileCheck %s

// The kernels outlined from @decode (all named after it) join its first
// kernel module, renamed after their modules, and the launches follow; another function's kernels and modules with targets stay.
// CHECK-LABEL: gpu.module @decode_kernel {
// CHECK:         gpu.func @decode_kernel(
// CHECK:         gpu.func @decode_kernel_0(
// CHECK:         gpu.func @decode_kernel_1(
// CHECK:       }
// CHECK-NOT:   gpu.module @decode_kernel_0
// CHECK-NOT:   gpu.module @decode_kernel_1
// CHECK:       gpu.module @other_kernel {
// CHECK:       gpu.module @decode_kernel_lib [#nvvm.target]
// CHECK-LABEL: func.func @decode(
// CHECK:         gpu.launch_func @decode_kernel::@decode_kernel blocks
// CHECK:         gpu.launch_func @decode_kernel::@decode_kernel_0 blocks
// CHECK:         gpu.launch_func @decode_kernel::@decode_kernel_1 blocks
// CHECK:         gpu.launch_func @decode_kernel_lib::@f blocks
// CHECK-LABEL: func.func @other(
// CHECK:         gpu.launch_func @other_kernel::@other_kernel blocks
module attributes {gpu.container_module} {
  gpu.module @decode_kernel {
    gpu.func @decode_kernel(%a: memref<4xf32>) kernel { gpu.return }
  }
  gpu.module @decode_kernel_0 {
    gpu.func @decode_kernel(%a: memref<4xf32>) kernel { gpu.return }
  }
  gpu.module @decode_kernel_1 {
    gpu.func @decode_kernel(%a: memref<4xf32>) kernel { gpu.return }
  }
  gpu.module @other_kernel {
    gpu.func @other_kernel(%a: memref<4xf32>) kernel { gpu.return }
  }
  gpu.module @decode_kernel_lib [#nvvm.target] {
    gpu.func @f(%a: memref<4xf32>) kernel { gpu.return }
  }
  func.func @decode(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @decode_kernel::@decode_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @decode_kernel_0::@decode_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @decode_kernel_1::@decode_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @decode_kernel_lib::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  func.func @other(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @other_kernel::@other_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
}

// -----

// A module whose symbols clash with the merged module's stays apart.
// CHECK-LABEL: gpu.module @decode_kernel {
// CHECK:         func.func private @helper()
// CHECK:       gpu.module @decode_kernel_0 {
// CHECK:         func.func private @helper()
// CHECK:       gpu.launch_func @decode_kernel_0::@decode_kernel_0
module attributes {gpu.container_module} {
  gpu.module @decode_kernel {
    func.func private @helper()
    gpu.func @decode_kernel() kernel { gpu.return }
  }
  gpu.module @decode_kernel_0 {
    func.func private @helper()
    gpu.func @decode_kernel_0() kernel { gpu.return }
  }
  func.func @decode() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @decode_kernel_0::@decode_kernel_0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
