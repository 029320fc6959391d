// RUN: quant-opt %s --pass-pipeline="builtin.module(gpu.module(lq-gpu-dependent-launch))" --split-input-file | FileCheck %s

// Every kernel signals its dependents, then waits before its first access;
// the module gets the global the runtime looks up.
// CHECK-LABEL: gpu.module @kernels
// CHECK:         llvm.mlir.global external @lq_grid_dependent(1 : i32) {addr_space = 1 : i32, alignment = 4 : i64} : i32
// CHECK-LABEL:   gpu.func @plain(
// CHECK-NEXT:      nvvm.griddepcontrol launch_dependents
// CHECK-NEXT:      nvvm.griddepcontrol wait
// CHECK-NEXT:      arith.constant
// A kernel that signals already gets the wait before anything else.
// CHECK-LABEL:   gpu.func @signals(
// CHECK-NEXT:      nvvm.griddepcontrol wait
// CHECK-NEXT:      nvvm.griddepcontrol launch_dependents
// CHECK-NOT:       nvvm.griddepcontrol
// CHECK:           gpu.return
// A kernel that waits keeps what it has.
// CHECK-LABEL:   gpu.func @waits(
// CHECK-NEXT:      arith.constant
// CHECK-NEXT:      nvvm.griddepcontrol wait
// CHECK-NOT:       nvvm.griddepcontrol
// CHECK:           gpu.return
// A device function is not launched.
// CHECK-LABEL:   gpu.func @helper(
// CHECK-NOT:       nvvm.griddepcontrol
// CHECK:           gpu.return
gpu.module @kernels {
  gpu.func @plain(%out: memref<4xf32>) kernel {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1.0 : f32
    memref.store %one, %out[%c0] : memref<4xf32>
    gpu.return
  }
  gpu.func @signals(%out: memref<4xf32>) kernel {
    nvvm.griddepcontrol launch_dependents
    %c0 = arith.constant 0 : index
    %one = arith.constant 1.0 : f32
    memref.store %one, %out[%c0] : memref<4xf32>
    gpu.return
  }
  gpu.func @waits(%out: memref<4xf32>) kernel {
    %c0 = arith.constant 0 : index
    nvvm.griddepcontrol wait
    %one = arith.constant 1.0 : f32
    memref.store %one, %out[%c0] : memref<4xf32>
    gpu.return
  }
  gpu.func @helper(%out: memref<4xf32>) {
    gpu.return
  }
}

// -----

// A module without kernels gets no global.
// CHECK-LABEL: gpu.module @none
// CHECK-NOT:     lq_grid_dependent
gpu.module @none {
  gpu.func @helper(%out: memref<4xf32>) {
    gpu.return
  }
}
