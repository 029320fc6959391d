// RUN: quant-opt %s --pass-pipeline="builtin.module(gpu.module(lq-gpu-lower-math))" | FileCheck %s
// RUN: quant-opt %s --pass-pipeline="builtin.module(gpu.module(lq-gpu-lower-math,convert-gpu-to-nvvm))" | FileCheck %s --check-prefix=NVVM

// sqrt and roundeven become intrinsic calls, exp the split product on
// exp2; f16 is left to convert-gpu-to-nvvm (the one libdevice call left
// after it: the f32 ones go to NVPTX instructions).
// CHECK-LABEL: gpu.func @math(
// CHECK-SAME:    %[[X:.*]]: f32, %[[D:.*]]: f64, %[[H:.*]]: f16
// CHECK:         %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// CHECK:         llvm.call_intrinsic "llvm.sqrt.f64"(%[[D]]) : (f64) -> f64
// CHECK:         llvm.call_intrinsic "llvm.sqrt.f32"(%[[X]]) : (f32) -> f32
// CHECK:         llvm.call_intrinsic "llvm.roundeven.f32"(%[[X]]) : (f32) -> f32
// CHECK:         %[[HI:.*]] = arith.mulf %[[X]], %[[LOG2E]] : f32
// CHECK:         %[[NEG:.*]] = arith.negf %[[HI]] : f32
// CHECK:         %[[ERR:.*]] = llvm.call_intrinsic "llvm.fma.f32"(%[[X]], %[[LOG2E]], %[[NEG]])
// CHECK:         %[[LO:.*]] = llvm.call_intrinsic "llvm.fma.f32"(%[[X]], %{{.*}}, %[[ERR]])
// CHECK:         %[[ABS:.*]] = llvm.call_intrinsic "llvm.fabs.f32"(%[[HI]])
// CHECK:         %[[FINITE:.*]] = arith.cmpf olt, %[[ABS]], %{{.*}} : f32
// CHECK:         %[[LO2:.*]] = arith.select %[[FINITE]], %[[LO]], %{{.*}} : f32
// CHECK:         %[[POW:.*]] = llvm.call_intrinsic "llvm.exp2.f32"(%[[HI]])
// CHECK:         %[[CORR:.*]] = llvm.call_intrinsic "llvm.fma.f32"(%[[LO2]], %{{.*}}, %{{.*}})
// CHECK:         arith.mulf %[[POW]], %[[CORR]] : f32
// CHECK:         math.exp %[[H]] : f16
// NVVM-NOT:      @__nv_sqrt
// NVVM-NOT:      @__nv_rintf
// NVVM-COUNT-1:  llvm.call @__nv_expf(
// NVVM-NOT:      llvm.call @__nv_expf(
gpu.module @kernels {
  gpu.func @math(%x: f32, %d: f64, %h: f16, %out: memref<5xf32>, %outd: memref<1xf64>, %outh: memref<1xf16>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %sd = math.sqrt %d : f64
    %s = math.sqrt %x : f32
    %r = math.roundeven %x : f32
    %e = math.exp %x : f32
    %eh = math.exp %h : f16
    memref.store %s, %out[%c0] : memref<5xf32>
    memref.store %r, %out[%c1] : memref<5xf32>
    memref.store %e, %out[%c2] : memref<5xf32>
    memref.store %sd, %outd[%c0] : memref<1xf64>
    memref.store %eh, %outh[%c0] : memref<1xf16>
    gpu.return
  }
}
