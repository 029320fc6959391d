// RUN: quant-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{weight must be 2-D (N x K), got rank 1}}
func.func private @rank1(!lq.weight<8, #lq.uniform<bits = 4, group = 8, symmetric = true>>)

// -----

// expected-error @+1 {{expected an lq weight encoding attribute, got 5 : i32}}
func.func private @not_encoding(!lq.weight<8x8, 5 : i32>)

// -----

// expected-error @+1 {{encoding does not fit a 8x48 weight}}
func.func private @group_not_dividing(!lq.weight<8x48, #lq.uniform<bits = 4, group = 32, symmetric = true>>)

// -----

// expected-error @+1 {{encoding does not fit a 8x18 weight}}
func.func private @pvq_dim_not_dividing(!lq.weight<8x18, #lq.pvq<dim = 4, pulses = 2, amp_bits = 4, amp_group = 8>>)

// -----

func.func @codes_shape() {
  // expected-error @+1 {{expects codes of type 'tensor<8x32xi8>', got 'tensor<8x64xi8>'}}
  %w = lq.constant codes(dense<0> : tensor<8x64xi8>) scales(dense<1.0> : tensor<8x2xf16>)
      : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>
  return
}

// -----

func.func @scales_type() {
  // expected-error @+1 {{expects scales of type 'tensor<8x2xf16>', got 'tensor<8x2xf32>'}}
  %w = lq.constant codes(dense<0> : tensor<8x32xi8>) scales(dense<1.0> : tensor<8x2xf32>)
      : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>
  return
}

// -----

func.func @missing_zero_points() {
  // expected-error @+1 {{encoding needs zero_points}}
  %w = lq.constant codes(dense<0> : tensor<8x32xi8>) scales(dense<1.0> : tensor<8x2xf16>)
      : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = false>>
  return
}

// -----

func.func @extra_offsets() {
  // expected-error @+1 {{encoding takes no offsets}}
  %w = lq.constant codes(dense<0> : tensor<8x32xi8>) scales(dense<1.0> : tensor<8x2xf16>) offsets(dense<0.0> : tensor<8x2xf16>)
      : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>
  return
}

// -----

func.func @binary_planes_shape() {
  // expected-error @+1 {{expects codes of type 'tensor<3x8x4xi8>'}}
  %w = lq.constant codes(dense<0> : tensor<2x8x4xi8>) scales(dense<1.0> : tensor<8x2x3xf16>) offsets(dense<0.0> : tensor<8x2xf16>)
      : !lq.weight<8x32, #lq.binary<planes = 3, group = 16>>
  return
}

// -----

func.func @decode_type(%w: !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>) {
  // expected-error @+1 {{not 'tensor<64x8xf32>'}}
  %d = lq.decode %w : !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<64x8xf32>
  return
}

// -----

func.func @matmul_k(%x: tensor<3x32xf32>, %w: !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>) {
  // expected-error @+1 {{input reduction dimension 32 does not match the weight's 64}}
  %y = lq.matmul %x, %w : tensor<3x32xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x8xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<3x64xf32>, %w: !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>) {
  // expected-error @+1 {{does not match [..., 8]}}
  %y = lq.matmul %x, %w : tensor<3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x9xf32>
  return
}

// -----

func.func @matmul_act_bits(%x: tensor<3x64xf32>, %w: !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>) {
  // expected-error @+1 {{attribute 'act_bits' failed to satisfy constraint}}
  %y = lq.matmul %x, %w act(9) : tensor<3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x8xf32>
  return
}

// -----

func.func @matmul_static_scale_no_act(%x: tensor<3x64xf32>, %w: !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>) {
  // expected-error @+1 {{has a static activation scale but no act(bits)}}
  %y = lq.matmul %x, %w {act_scale = 1.0 : f32} : tensor<3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x8xf32>
  return
}

// -----

func.func @matmul_static_scale_zero(%x: tensor<3x64xf32>, %w: !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>) {
  // expected-error @+1 {{static activation scale must be a positive normal float, got 0}}
  %y = lq.matmul %x, %w act(8) scale(0.0) : tensor<3x64xf32>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x8xf32>
  return
}

// -----

func.func @quantize_static_scale_negative(%x: tensor<3x64xf32>) {
  // expected-error @+1 {{static activation scale must be a positive normal float, got -2}}
  %q, %s = lq.quantize %x bits(8) scale(-2.0) : tensor<3x64xf32> -> tensor<3x64xi8>, tensor<3x1xf32>
  return
}

// -----

func.func @matmul_f16(%x: tensor<3x64xf16>, %w: !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>>) {
  // expected-error @+1 {{expects f32 input and result}}
  %y = lq.matmul %x, %w : tensor<3x64xf16>, !lq.weight<8x64, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<3x8xf32>
  return
}

// -----

func.func @quantize_scales(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{per-token scales type 'tensor<4x64xf32>' must be f32 with the shape of 'tensor<4x64xf32>' and a last dimension of 1}}
  %q, %s = lq.quantize %x bits(8) : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x64xf32>
  return
}

// -----

func.func @quantize_codes(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{codes type 'tensor<4x64xi32>' does not match}}
  %q, %s = lq.quantize %x bits(8) : tensor<4x64xf32> -> tensor<4x64xi32>, tensor<4x1xf32>
  return
}

// -----

func.func @kv_packed(%k: tensor<2x64xf32>) {
  // expected-error @+1 {{codes type 'tensor<2x64xi8>' does not match 'tensor<2x64xf32>' (i8, last dimension 32)}}
  %q, %s, %z = lq.kv_quantize %k bits(4) : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2x1xf32>, tensor<2x1xf32>
  return
}

// -----

func.func @kv_channel_scale(%k: tensor<2x64xf32>, %cs: tensor<32xf32>) {
  // expected-error @+1 {{channel scale must be tensor<64xf32>, got 'tensor<32xf32>'}}
  %q, %s, %z = lq.kv_quantize %k channel_scale(%cs : tensor<32xf32>) bits(4) : tensor<2x64xf32> -> tensor<2x32xi8>, tensor<2x1xf32>, tensor<2x1xf32>
  return
}

// -----

func.func @kv_rank(%k: tensor<2x2x64xf32>) {
  // expected-error @+1 {{expects [tokens, channels] values}}
  %q, %s, %z = lq.kv_quantize %k bits(4) : tensor<2x2x64xf32> -> tensor<2x2x32xi8>, tensor<2x2x1xf32>, tensor<2x2x1xf32>
  return
}

// -----

func.func @scale_zero(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{scale[2] = 0.000000e+00 is not invertible}}
  %0 = lq.fpt.scale %x {scale = dense<[1.0, 2.0, 0.0, 0.5]> : tensor<4xf32>} : tensor<3x4xf32>
  return
}

// -----

func.func @scale_shape(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{expects scale to be a float tensor of type 'tensor<4xf32>'}}
  %0 = lq.fpt.scale %x {scale = dense<1.0> : tensor<3xf32>} : tensor<3x4xf32>
  return
}

// -----

func.func @rotate_not_orthogonal(%x: tensor<3x2xf32>) {
  // expected-error @+1 {{matrix is not orthogonal: row 0 has squared norm 2}}
  %0 = lq.fpt.rotate %x {matrix = dense<[[1.0, 1.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<3x2xf32>
  return
}

// -----

func.func @hadamard_size(%x: tensor<3x6xf32>) {
  // expected-error @+1 {{a Hadamard rotation needs a power-of-two block dividing the channel count, got block 6 for 6 channels}}
  %0 = lq.fpt.rotate %x : tensor<3x6xf32>
  return
}

// -----

func.func @hadamard_block(%x: tensor<3x12xf32>) {
  // expected-error @+1 {{a Hadamard rotation needs a power-of-two block dividing the channel count, got block 8 for 12 channels}}
  %0 = lq.fpt.rotate %x {block = 8 : i64, online} : tensor<3x12xf32>
  return
}

// -----

func.func @hadamard_block_with_matrix(%x: tensor<3x2xf32>) {
  // expected-error @+1 {{'block' applies to the Hadamard form only (no 'matrix')}}
  %0 = lq.fpt.rotate %x {block = 2 : i64, matrix = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<3x2xf32>
  return
}

// -----

func.func @linear_not_inverse(%x: tensor<3x2xf32>) {
  // expected-error @+1 {{inverse_matrix is not the inverse of matrix}}
  %0 = lq.fpt.linear %x {matrix = dense<[[[2.0, 0.0], [0.0, 4.0]]]> : tensor<1x2x2xf32>,
                         inverse_matrix = dense<[[[0.5, 0.0], [0.0, 0.5]]]> : tensor<1x2x2xf32>} : tensor<3x2xf32>
  return
}

// -----

func.func @linear_shape(%x: tensor<3x6xf32>) {
  // expected-error @+1 {{expects matrix of shape [heads, d, d] with heads * d = 6}}
  %0 = lq.fpt.linear %x {matrix = dense<1.0> : tensor<1x2x2xf32>, inverse_matrix = dense<1.0> : tensor<1x2x2xf32>} : tensor<3x6xf32>
  return
}

// -----

func.func @rope_shape(%x: tensor<3x8xf32>) {
  // expected-error @+1 {{expects scales of shape [heads, d/2] with heads * d = 8}}
  %0 = lq.fpt.rope_scale %x {scales = dense<1.0> : tensor<1x2xf32>, angles = dense<0.0> : tensor<1x2xf32>} : tensor<3x8xf32>
  return
}

// -----

func.func @rope_angle(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{angles[1] is not finite}}
  %0 = lq.fpt.rope_scale %x {scales = dense<1.0> : tensor<1x2xf32>, angles = dense<[[0.0, 0x7F800000]]> : tensor<1x2xf32>} : tensor<3x4xf32>
  return
}

// -----

func.func @residual_scaler(%x: tensor<3x4xf32>, %r: tensor<3x4xf32>) {
  // expected-error @+1 {{expects a per-token scaler of the shape of 'tensor<3x4xf32>' with a last dimension of 1}}
  %0 = lq.fpt.residual_scale %x, %r : tensor<3x4xf32>, tensor<3x4xf32>
  return
}
