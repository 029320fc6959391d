// Out-of-range or mistyped per-layer KV parameters are errors at the linear
// that carries them.
// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-quantize-kv

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    // expected-error @below {{lq-quantize-kv: lq.kv_clip of 'layers.0.attn.v' must be a float in (0, 1], got 1.500000e+00 : f32}}
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.v", lq.out_absmax = dense<1.0> : tensor<2xf32>, lq.kv_clip = 1.5 : f32} -> tensor<3x2xf32>
    %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    return %v3 : tensor<3x1x2xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    // expected-error @below {{lq-quantize-kv: lq.kv_clip of 'layers.0.attn.v' must be a float in (0, 1], got 0.000000e+00 : f32}}
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.v", lq.out_absmax = dense<1.0> : tensor<2xf32>, lq.kv_clip = 0.0 : f32} -> tensor<3x2xf32>
    %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    return %v3 : tensor<3x1x2xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    // expected-error @below {{lq-quantize-kv: lq.kv_clip of 'layers.0.attn.v' must be a float in (0, 1], got 1 : i64}}
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.v", lq.out_absmax = dense<1.0> : tensor<2xf32>, lq.kv_clip = 1 : i64} -> tensor<3x2xf32>
    %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    return %v3 : tensor<3x1x2xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    // expected-error @below {{lq-quantize-kv: lq.kv_smooth of 'layers.0.attn.v' must be a float in [0, 1], got -5.000000e-01 : f32}}
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.v", lq.out_absmax = dense<1.0> : tensor<2xf32>, lq.kv_smooth = -0.5 : f32} -> tensor<3x2xf32>
    %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    return %v3 : tensor<3x1x2xf32>
  }
}

// -----

// The op itself checks its clip.
func.func @clip_out_of_range(%k: tensor<2x64xf32>) {
  // expected-error @below {{'lq.kv_quantize' op clip must be in (0, 1], got 2.000000e+00 : f32}}
  %q, %s, %z = lq.kv_quantize %k bits(4) {clip = 2.0 : f32} : tensor<2x64xf32> -> tensor<2x32xi8>, tensor<2x1xf32>, tensor<2x1xf32>
  return
}
