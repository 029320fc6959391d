// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -emit-bytecode | quant-opt | FileCheck %s

// CHECK-LABEL: func.func @uniform
// CHECK: %[[W:.*]] = lq.constant codes(dense<17> : tensor<8x32xi8>) scales(dense<1.000000e+00> : tensor<8x2xf16>) : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32>>
// CHECK: lq.decode %[[W]] : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32>> -> tensor<8x64xf32>
// CHECK: lq.matmul %{{.*}}, %[[W]] : tensor<3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32>> -> tensor<3x8xf32>
// CHECK: lq.matmul %{{.*}}, %[[W]] act(8) : tensor<2x3x64xf32>
func.func @uniform(%x: tensor<3x64xf32>, %y: tensor<2x3x64xf32>) -> (tensor<8x64xf32>, tensor<3x8xf32>, tensor<2x3x8xf32>) {
  %w = lq.constant codes(dense<17> : tensor<8x32xi8>) scales(dense<1.0> : tensor<8x2xf16>)
      : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>
  %d = lq.decode %w : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<8x64xf32>
  %m = lq.matmul %x, %w : tensor<3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x8xf32>
  %b = lq.matmul %y, %w act(8) : tensor<2x3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<2x3x8xf32>
  return %d, %m, %b : tensor<8x64xf32>, tensor<3x8xf32>, tensor<2x3x8xf32>
}

// Static activation scales round-trip.
// CHECK-LABEL: func.func @static_scale
// CHECK: lq.matmul %{{.*}}, %{{.*}} act(8) scale(2.500000e-02) : tensor<3x64xf32>
// CHECK: lq.quantize %{{.*}} bits(4) scale(5.000000e-01) : tensor<3x64xf32>
func.func @static_scale(%x: tensor<3x64xf32>) -> (tensor<3x8xf32>, tensor<3x64xi8>) {
  %w = lq.constant codes(dense<17> : tensor<8x32xi8>) scales(dense<1.0> : tensor<8x2xf16>)
      : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>
  %m = lq.matmul %x, %w act(8) scale(0.025) : tensor<3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x8xf32>
  %q, %s = lq.quantize %x bits(4) scale(0.5) : tensor<3x64xf32> -> tensor<3x64xi8>, tensor<3x1xf32>
  return %m, %q : tensor<3x8xf32>, tensor<3x64xi8>
}

// CHECK-LABEL: func.func @asymmetric
// CHECK: zero_points(dense<3> : tensor<4x1xi8>) : !lq.weight<4x32, #lq.uniform<bits = 3, group = 32, symmetric = false>>
func.func @asymmetric() -> tensor<4x32xf32> {
  %w = lq.constant codes(dense<0> : tensor<4x12xi8>) scales(dense<0.5> : tensor<4x1xf16>) zero_points(dense<3> : tensor<4x1xi8>)
      : !lq.weight<4x32, #lq.uniform<bits = 3, group = 32, symmetric = false>>
  %d = lq.decode %w : !lq.weight<4x32, #lq.uniform<bits = 3, group = 32, symmetric = false>> -> tensor<4x32xf32>
  return %d : tensor<4x32xf32>
}

// CHECK-LABEL: func.func @pvq
// CHECK: lq.constant codes(dense<0> : tensor<8x3xi8>) scales(dense<1.000000e+00> : tensor<8x1xf16>) amplitudes(dense<5> : tensor<8x1xi8>) : !lq.weight<8x16, #lq.pvq<dim = 4, pulses = 2, amp_bits = 4, amp_group = 8>>
func.func @pvq() -> tensor<8x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<8x3xi8>) scales(dense<1.0> : tensor<8x1xf16>) amplitudes(dense<5> : tensor<8x1xi8>)
      : !lq.weight<8x16, #lq.pvq<dim = 4, pulses = 2, amp_bits = 4, amp_group = 8>>
  %d = lq.decode %w : !lq.weight<8x16, #lq.pvq<dim = 4, pulses = 2, amp_bits = 4, amp_group = 8>> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

// CHECK-LABEL: func.func @binary
// CHECK: lq.constant codes(dense<85> : tensor<2x8x4xi8>) scales(dense<2.500000e-01> : tensor<8x2x2xf16>) offsets(dense<0.000000e+00> : tensor<8x2xf16>) : !lq.weight<8x32, #lq.binary<planes = 2, group = 16>>
func.func @binary() -> tensor<8x32xf32> {
  %w = lq.constant codes(dense<85> : tensor<2x8x4xi8>) scales(dense<0.25> : tensor<8x2x2xf16>) offsets(dense<0.0> : tensor<8x2xf16>)
      : !lq.weight<8x32, #lq.binary<planes = 2, group = 16>>
  %d = lq.decode %w : !lq.weight<8x32, #lq.binary<planes = 2, group = 16>> -> tensor<8x32xf32>
  return %d : tensor<8x32xf32>
}

// CHECK-LABEL: func.func @activations
// CHECK: %[[Q:.*]], %[[S:.*]] = lq.quantize %{{.*}} bits(8) : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
// CHECK: lq.dequantize %[[Q]], %[[S]] : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
func.func @activations(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %q, %s = lq.quantize %x bits(8) : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
  %y = lq.dequantize %q, %s : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// CHECK-LABEL: func.func @kv
// CHECK: lq.kv_quantize %{{.*}} channel_scale(%{{.*}} : tensor<64xf32>) bits(4) : tensor<1x64xf32> -> tensor<1x32xi8>, tensor<1x1xf32>, tensor<1x1xf32>
// CHECK: lq.kv_dequantize %{{.*}}, %{{.*}}, %{{.*}} bits(4) : tensor<1x32xi8>, tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x64xf32>
func.func @kv(%k: tensor<1x64xf32>, %cs: tensor<64xf32>) -> tensor<1x64xf32> {
  %q, %s, %z = lq.kv_quantize %k channel_scale(%cs : tensor<64xf32>) bits(4)
      : tensor<1x64xf32> -> tensor<1x32xi8>, tensor<1x1xf32>, tensor<1x1xf32>
  %r = lq.kv_dequantize %q, %s, %z bits(4) : tensor<1x32xi8>, tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}

// CHECK-LABEL: func.func @transforms
// CHECK: lq.fpt.scale %{{.*}} {scale = dense<[1.000000e+00, 2.000000e+00, 4.000000e+00, 5.000000e-01]> : tensor<4xf32>} : tensor<3x4xf32>
// CHECK: lq.fpt.rotate %{{.*}} {inverse} : tensor<3x4xf32>
// CHECK: lq.fpt.linear %{{.*}} {inverse_matrix = dense<{{.*}}> : tensor<2x2x2xf32>, matrix = dense<{{.*}}> : tensor<2x2x2xf32>} : tensor<3x4xf32>
// CHECK: lq.fpt.rope_scale %{{.*}} {angles = dense<5.000000e-01> : tensor<1x2xf32>, inverse, scales = dense<2.000000e+00> : tensor<1x2xf32>, transpose} : tensor<3x4xf32>
// CHECK: lq.fpt.residual_scale %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<3x1xf32>
// CHECK: lq.fpt.rotate %{{.*}} {block = 2 : i64, online} : tensor<3x4xf32>
func.func @transforms(%x: tensor<3x4xf32>, %r: tensor<3x1xf32>) -> tensor<3x4xf32> {
  %0 = lq.fpt.scale %x {scale = dense<[1.0, 2.0, 4.0, 0.5]> : tensor<4xf32>} : tensor<3x4xf32>
  %1 = lq.fpt.rotate %0 {inverse} : tensor<3x4xf32>
  %2 = lq.fpt.linear %1 {matrix = dense<[[[2.0, 0.0], [0.0, 4.0]], [[1.0, 1.0], [0.0, 1.0]]]> : tensor<2x2x2xf32>,
                         inverse_matrix = dense<[[[0.5, 0.0], [0.0, 0.25]], [[1.0, -1.0], [0.0, 1.0]]]> : tensor<2x2x2xf32>} : tensor<3x4xf32>
  %3 = lq.fpt.rope_scale %2 {scales = dense<2.0> : tensor<1x2xf32>, angles = dense<0.5> : tensor<1x2xf32>, inverse, transpose} : tensor<3x4xf32>
  %4 = lq.fpt.residual_scale %3, %r : tensor<3x4xf32>, tensor<3x1xf32>
  %online = lq.fpt.rotate %4 {block = 2 : i64, online} : tensor<3x4xf32>
  return %online : tensor<3x4xf32>
}
