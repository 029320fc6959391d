// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-insert-fpt="value=false mlp=false"

// expected-error @below {{lq-insert-fpt needs the transformer's shape: the module has no 'lq.model' attribute}}
module {
  func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
    return %x : tensor<2x4xf32>
  }
}

// -----

// expected-error @below {{lq-insert-fpt needs the transformer's structure: no linalg.matmul carries an lq.role}}
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) -> tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<1.0> : tensor<4x4xf32>
    // expected-error @below {{malformed lq.role 'layers.x.attn.q'}}
    %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.x.attn.q"} -> tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, rope_style = "half"}} {
  // expected-error @below {{layer 0 of @f has no linear tagged 'layers.0.attn.k'}}
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<1.0> : tensor<4x4xf32>
    %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.attn.q"} -> tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}

// -----

// expected-error @below {{the pre-RoPE transform needs RoPE, but lq.model has no rope_style}}
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
    %w = arith.constant dense<1.0> : tensor<4x4xf32>
    %q = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.attn.q"} -> tensor<2x4xf32>
    %k = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.attn.k"} -> tensor<2x4xf32>
    return %q, %k : tensor<2x4xf32>, tensor<2x4xf32>
  }
}

// -----

// The keys go straight out: there is no RoPE for the transform to commute with.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
    %w = arith.constant dense<1.0> : tensor<4x4xf32>
    // expected-error @below {{no RoPE after linear 'layers.0.attn.q'}}
    %q = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.attn.q"} -> tensor<2x4xf32>
    %k = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.attn.k"} -> tensor<2x4xf32>
    return %q, %k : tensor<2x4xf32>, tensor<2x4xf32>
  }
}

// -----

// RoPE is there, the key statistics are not.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>, %e: tensor<2x1x4xf32>) -> (tensor<2x1x4xf32>, tensor<2x1x4xf32>) {
    %w = arith.constant dense<1.0> : tensor<4x4xf32>
    %q = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.attn.q"} -> tensor<2x4xf32>
    // expected-error @below {{lq-insert-fpt needs the calibration statistic 'lq.out_absmax' on linear 'layers.0.attn.k'}}
    %k = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.attn.k"} -> tensor<2x4xf32>
    %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [2, 1, 4] : tensor<2x4xf32> into tensor<2x1x4xf32>
    %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [2, 1, 4] : tensor<2x4xf32> into tensor<2x1x4xf32>
    %qr = linalg.generic {indexing_maps = [affine_map<(t, h, d) -> (t, h, d)>, affine_map<(t, h, d) -> (t, h, d)>], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%q3 : tensor<2x1x4xf32>) outs(%e : tensor<2x1x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    } -> tensor<2x1x4xf32>
    %kr = linalg.generic {indexing_maps = [affine_map<(t, h, d) -> (t, h, d)>, affine_map<(t, h, d) -> (t, h, d)>], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%k3 : tensor<2x1x4xf32>) outs(%e : tensor<2x1x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    } -> tensor<2x1x4xf32>
    return %qr, %kr : tensor<2x1x4xf32>, tensor<2x1x4xf32>
  }
}
