// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-insert-fpt="qk=false value=false max-condition=10"

// One activation channel 1000x the others against flat weight columns:
// t = sqrt(w / a) spans sqrt(1000) ~ 31.6 > max-condition.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<4x4xf32>
    %u = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
    %h = math.tanh %u : tensor<2x4xf32>
    // expected-error @below {{the fitted MLP scaling of layer 0 is not safely invertible: condition number 3.162e+01 exceeds max-condition 1.000e+01}}
    %d = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[1000.0, 1.0, 1.0, 1.0]> : tensor<4xf32>} -> tensor<2x4xf32>
    return %d : tensor<2x4xf32>
  }
}

// -----

module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<4x4xf32>
    %u = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
    %h = math.tanh %u : tensor<2x4xf32>
    // expected-error @below {{statistic 'lq.act_absmax' on linear 'layers.0.mlp.down' must hold 4 floats, got 'tensor<3xf32>'}}
    %d = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[1.0, 1.0, 1.0]> : tensor<3xf32>} -> tensor<2x4xf32>
    return %d : tensor<2x4xf32>
  }
}

// -----

// A plain matmul's weight is [in, out], so input channel j's weight range
// is row j of %wd: t = sqrt(w / a) ~ [1000, 1, 1, 1], condition 1000.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<4x4xf32>
    %wd = arith.constant dense<[[1000.0, 1000.0, 1000.0, 1000.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<4x4xf32>
    %u = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
    %h = math.tanh %u : tensor<2x4xf32>
    // expected-error @below {{the fitted MLP scaling of layer 0 is not safely invertible: condition number 1.000e+03}}
    %d = linalg.matmul ins(%h, %wd : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[0.001, 1.0, 1.0, 1.0]> : tensor<4xf32>} -> tensor<2x4xf32>
    return %d : tensor<2x4xf32>
  }
}
