// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-insert-fpt="qk=false value=false max-condition=100"

// Malformed learned scales (lq.fpt_scale) are located errors, never silently
// replaced by the closed form.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<4x4xf32>
    %u = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
    %h = math.tanh %u : tensor<2x4xf32>
    // expected-error @below {{lq-insert-fpt: lq.fpt_scale of 'layers.0.mlp.down' must hold 4 floats, got dense<1.000000e+00> : tensor<3xf32>}}
    %d = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<1.0> : tensor<4xf32>, lq.fpt_scale = dense<1.0> : tensor<3xf32>} -> tensor<2x4xf32>
    return %d : tensor<2x4xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<4x4xf32>
    %u = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
    %h = math.tanh %u : tensor<2x4xf32>
    // expected-error @below {{lq-insert-fpt: lq.fpt_scale of 'layers.0.mlp.down' must be positive and finite, got -1}}
    %d = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<1.0> : tensor<4xf32>, lq.fpt_scale = dense<[1.0, -1.0, 1.0, 1.0]> : tensor<4xf32>} -> tensor<2x4xf32>
    return %d : tensor<2x4xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<4x4xf32>
    %u = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
    %h = math.tanh %u : tensor<2x4xf32>
    // expected-error @below {{lq-insert-fpt: lq.fpt_scale of 'layers.0.mlp.down' must hold 4 floats, got "learned"}}
    %d = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<1.0> : tensor<4xf32>, lq.fpt_scale = "learned"} -> tensor<2x4xf32>
    return %d : tensor<2x4xf32>
  }
}

// -----

// A learned scale is held to max-condition like a fitted one.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<4x4xf32>
    %u = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
    %h = math.tanh %u : tensor<2x4xf32>
    // expected-error @below {{the fitted MLP scaling of layer 0 is not safely invertible: condition number 1.000e+03 exceeds max-condition 1.000e+02}}
    %d = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<1.0> : tensor<4xf32>, lq.fpt_scale = dense<[1000.0, 1.0, 1.0, 1.0]> : tensor<4xf32>} -> tensor<2x4xf32>
    return %d : tensor<2x4xf32>
  }
}
