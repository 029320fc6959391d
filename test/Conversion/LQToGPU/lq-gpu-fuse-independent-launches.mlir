// RUN: quant-opt %s --lq-gpu-fuse-independent-launches --split-input-file | FileCheck %s
// RUN: quant-opt %s --lq-gpu-fuse-independent-launches="functions=other" --split-input-file | FileCheck %s --check-prefix=SKIP

// A decode step's rotation of the query (into a fresh buffer), of the key
// (into its cache slot) and the copy of the value (into its slot): three
// launches that share no written buffer become one of 1 + 2 + 1 blocks.
// Each body keeps its block ids (rebased) and its block size: the value's
// 64 threads skip the others. The view between two launches moves before
// the merged one.
// CHECK-LABEL: func.func @rope_and_cache(
// CHECK-SAME:    %[[Q:.*]]: memref<128xf32>, %[[K:.*]]: memref<64xf32>, %[[V:.*]]: memref<64xf32>, %[[KC:.*]]: memref<4x64xf32>, %[[VC:.*]]: memref<4x64xf32>, %[[POS:.*]]: index
// CHECK:         %[[QR:.*]] = memref.alloc() : memref<128xf32>
// CHECK:         %[[KSLOT:.*]] = memref.subview %[[KC]][%[[POS]], 0]
// CHECK:         %[[B01:.*]] = arith.addi %[[C1:.*]], %[[C2:.*]] : index
// CHECK:         %[[VSLOT:.*]] = memref.subview %[[VC]][%[[POS]], 0]
// CHECK:         %[[B012:.*]] = arith.addi %[[B01]], %[[C1]] : index
// CHECK:         gpu.launch blocks(%[[BID:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[B012]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TID:.*]], %{{.*}}, %{{.*}}) in (%{{[^ ]*}} = %[[C128:[^,]*]],
// CHECK:           %[[FIRST:.*]] = arith.cmpi ult, %[[BID]], %[[B01]] : index
// CHECK:           scf.if %[[FIRST]] {
// CHECK:             %[[INNER:.*]] = arith.cmpi ult, %[[BID]], %[[C1]] : index
// CHECK:             scf.if %[[INNER]] {
// CHECK:               memref.store %{{.*}}, %[[QR]][%[[TID]]]
// CHECK:             } else {
// CHECK:               %[[KB:.*]] = arith.subi %[[BID]], %[[C1]] : index
// CHECK:               %[[KMASK:.*]] = arith.cmpi ult, %[[TID]], %{{.*}} : index
// CHECK:               scf.if %[[KMASK]] {
// CHECK:                 arith.muli %[[KB]]
// CHECK:                 memref.store %{{.*}}, %[[KSLOT]]
// CHECK:           } else {
// CHECK:             %[[VB:.*]] = arith.subi %[[BID]], %[[B01]] : index
// CHECK:             %[[VMASK:.*]] = arith.cmpi ult, %[[TID]], %{{.*}} : index
// CHECK:             scf.if %[[VMASK]] {
// CHECK:               memref.store %{{.*}}, %[[VSLOT]]
// CHECK:           gpu.terminator
// CHECK-NOT:     gpu.launch
// CHECK:         return
// SKIP-LABEL: func.func @rope_and_cache(
// SKIP-COUNT-3: gpu.launch
func.func @rope_and_cache(%q: memref<128xf32>, %k: memref<64xf32>, %v: memref<64xf32>,
                          %kc: memref<4x64xf32>, %vc: memref<4x64xf32>, %pos: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %qr = memref.alloc() : memref<128xf32>
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    %x = memref.load %q[%t] : memref<128xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %qr[%t] : memref<128xf32>
    gpu.terminator
  }
  %kslot = memref.subview %kc[%pos, 0] [1, 64] [1, 1] : memref<4x64xf32> to memref<64xf32, strided<[1], offset: ?>>
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %i0 = arith.muli %b, %c32 : index
    %i = arith.addi %i0, %t : index
    %x = memref.load %k[%i] : memref<64xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %kslot[%i] : memref<64xf32, strided<[1], offset: ?>>
    gpu.terminator
  }
  %vslot = memref.subview %vc[%pos, 0] [1, 64] [1, 1] : memref<4x64xf32> to memref<64xf32, strided<[1], offset: ?>>
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %x = memref.load %v[%t] : memref<64xf32>
    memref.store %x, %vslot[%t] : memref<64xf32, strided<[1], offset: ?>>
    gpu.terminator
  }
  return
}
func.func @other() {
  return
}

// -----

// Launches that stay apart: the second reads what the first writes; the
// third writes what the second reads (through another view of the same
// buffer); the fourth synchronizes its threads; the fifth follows a copy.
// CHECK-LABEL: func.func @dependent(
// CHECK-COUNT-5: gpu.launch
func.func @dependent(%a: memref<64xf32>, %out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %tmp = memref.alloc() : memref<64xf32>
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %x = memref.load %a[%t] : memref<64xf32>
    memref.store %x, %tmp[%t] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %x = memref.load %tmp[%t] : memref<64xf32>
    memref.store %x, %out[%t] : memref<64xf32>
    gpu.terminator
  }
  %view = memref.subview %tmp[0] [32] [1] : memref<64xf32> to memref<32xf32, strided<[1]>>
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %x = memref.load %a[%t] : memref<64xf32>
    memref.store %x, %view[%t] : memref<32xf32, strided<[1]>>
    gpu.terminator
  }
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %x = memref.load %a[%t] : memref<64xf32>
    gpu.barrier
    memref.store %x, %a[%t] : memref<64xf32>
    gpu.terminator
  }
  memref.copy %a, %out : memref<64xf32> to memref<64xf32>
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %x = memref.load %a[%t] : memref<64xf32>
    memref.store %x, %tmp[%t] : memref<64xf32>
    gpu.terminator
  }
  return
}
