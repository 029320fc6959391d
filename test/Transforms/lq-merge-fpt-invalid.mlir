// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-merge-fpt

// Nothing to fold into: a function argument in, a return out.
func.func @no_neighbour(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{lq-merge-fpt: cannot merge this transform}}
  %y = lq.fpt.scale %x {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// The linear's output is also read elsewhere: folding into its rows would
// change that other reader.
func.func @shared_output(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  // expected-error @below {{lq-merge-fpt: cannot merge this transform}}
  %t = lq.fpt.scale %y {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<4x2xf32>
  return %y, %t : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// A rotation cannot fold into a norm's per-channel weight.
func.func @rotation_after_norm(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %g = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %e0 = tensor.empty() : tensor<4x2xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %g : tensor<4x2xf32>, tensor<2xf32>) outs(%e0 : tensor<4x2xf32>) {
  ^bb0(%a: f32, %w: f32, %o: f32):
    %m = arith.mulf %a, %w : f32
    linalg.yield %m : f32
  } -> tensor<4x2xf32>
  // expected-error @below {{lq-merge-fpt: cannot merge this transform}}
  %r = lq.fpt.rotate %n : tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// -----

// The "norm" uses its weight non-linearly: not foldable.
func.func @nonlinear_weight(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %g = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %e0 = tensor.empty() : tensor<4x2xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %g : tensor<4x2xf32>, tensor<2xf32>) outs(%e0 : tensor<4x2xf32>) {
  ^bb0(%a: f32, %w: f32, %o: f32):
    %aw = arith.addf %a, %w : f32
    %m = arith.mulf %aw, %w : f32
    linalg.yield %m : f32
  } -> tensor<4x2xf32>
  // expected-error @below {{lq-merge-fpt: cannot merge this transform}}
  %s = lq.fpt.scale %n {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<4x2xf32>
  return %s : tensor<4x2xf32>
}
