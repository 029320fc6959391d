// RUN: quant-opt %s --lq-expand="library-decode=true" | FileCheck %s

// Packed storage written as splats (one element repeated, as hand-written
// IR has it) decodes like the same bytes written out: every code byte 0x33
// holds two codes 3, so every 4-bit symmetric weight is (3 - 8) * 0.5.
// CHECK-LABEL: func.func @splat_storage(
// CHECK:         arith.constant dense<-2.500000e+00> : tensor<2x8xf32>
// CHECK:         linalg.matmul
func.func @splat_storage(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = lq.constant codes(dense<51> : tensor<2x4xi8>) scales(dense<0.5> : tensor<2x2xf16>) : !lq.weight<2x8, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %y = lq.matmul %x, %w : tensor<1x8xf32>, !lq.weight<2x8, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
