// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-smooth="o-input=false mlp-input=false down-input=false"
// RUN: not quant-opt %s -split-input-file --lq-smooth="alpha-grid=0.5,2" 2>&1 | FileCheck %s --check-prefix=GRID
// GRID: lq-smooth: alpha-grid values must lie in [0, 1], got 2

// The Hessian the error estimate needs is missing.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
    %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x, %g : tensor<3x2xf32>, tensor<2xf32>) outs(%i : tensor<3x2xf32>) {
    ^bb0(%a: f32, %w: f32, %o: f32):
      %m = arith.mulf %a, %w : f32
      linalg.yield %m : f32
    } -> tensor<3x2xf32>
    %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    // expected-error @below {{lq-smooth needs the calibration statistic 'lq.hessian' on linear 'layers.0.attn.q'}}
    %q = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.q", lq.act_absmax = dense<[5.0, 1.0]> : tensor<2xf32>, lq.tokens = 10 : i64} -> tensor<3x2xf32>
    %k = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.k"} -> tensor<3x2xf32>
    %v = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x2xf32>
    return %q, %k, %v : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
  }
}

// -----

// No RMSNorm in front: x / s would have nowhere to go.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
    %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    // expected-error @below {{the attention input of layer 0 is not produced by an RMSNorm whose weight could absorb x / s}}
    %q = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.q"} -> tensor<3x2xf32>
    %k = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.k"} -> tensor<3x2xf32>
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x2xf32>
    return %q, %k, %v : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
  }
}

// -----

// q, k and v must read one activation.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64}} {
  func.func @f(%x: tensor<3x2xf32>, %y: tensor<3x2xf32>, %i: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
    %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    %q = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.q"} -> tensor<3x2xf32>
    // expected-error @below {{the linears at the attention input of layer 0 do not read the same activation}}
    %k = linalg.matmul ins(%y, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.k"} -> tensor<3x2xf32>
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x2xf32>
    return %q, %k, %v : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
  }
}

// -----

// The normalised activation is also returned: x / s would change it.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
    %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x, %g : tensor<3x2xf32>, tensor<2xf32>) outs(%i : tensor<3x2xf32>) {
    ^bb0(%a: f32, %w: f32, %o: f32):
      %m = arith.mulf %a, %w : f32
      linalg.yield %m : f32
    } -> tensor<3x2xf32>
    %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    %q = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.q"} -> tensor<3x2xf32>
    %k = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.k"} -> tensor<3x2xf32>
    %v = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x2xf32>
    // expected-error @below {{the attention input of layer 0 is also read here, which x / s would change}}
    return %q, %k, %v, %n : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
  }
}

// -----

// An unmerged rotation between the norm and the linears would not commute
// with the smoothing pair.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
    %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x, %g : tensor<3x2xf32>, tensor<2xf32>) outs(%i : tensor<3x2xf32>) {
    ^bb0(%a: f32, %w: f32, %o: f32):
      %m = arith.mulf %a, %w : f32
      linalg.yield %m : f32
    } -> tensor<3x2xf32>
    // expected-error @below {{a non-diagonal transform is still in place before 'layers.0.attn.q' (run lq-merge-fpt before lq-smooth)}}
    %r = lq.fpt.rotate %n {inverse} : tensor<3x2xf32>
    %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    %q = linalg.matmul ins(%r, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.q"} -> tensor<3x2xf32>
    %k = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.k"} -> tensor<3x2xf32>
    %v = linalg.matmul ins(%n, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x2xf32>
    return %q, %k, %v : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
  }
}
