// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-quantize-activations="static=true"
// RUN: not quant-opt %s -split-input-file --lq-quantize-activations="static=true range=median" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: lq-quantize-activations: range must be absmax, mse or percentile (got 'median') and percentile in (0, 100] (got 9.999000e+01)

// Static ranges without calibration statistics: a located error.
func.func @no_stats(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %qw = lq.constant codes(dense<0> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  // expected-error @below {{lq-quantize-activations needs the calibration statistic 'lq.act_absmax' on linear 'layers.0.mlp.up' (attach it with quant-run calibrate)}}
  %u = lq.matmul %x, %qw {lq.role = "layers.0.mlp.up"} : tensor<2x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<2x4xf32>
  return %u : tensor<2x4xf32>
}

// -----

// range=mse (the default) needs the histograms too (a transform that mixed
// channels, such as a rotation, drops them).
func.func @no_hist(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4xf32>
  // expected-error @below {{lq-quantize-activations needs the calibration statistic 'lq.act_hist' on linear 'layers.0.attn.o'}}
  %o = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
      {lq.role = "layers.0.attn.o", lq.act_absmax = dense<1.0> : tensor<4xf32>} -> tensor<2x4xf32>
  return %o : tensor<2x4xf32>
}

// -----

// Statistics of the wrong size.
func.func @bad_size(%x: tensor<2x4xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4xf32>
  // expected-error @below {{lq-quantize-activations: statistic 'lq.act_absmax' on linear 'layers.0.attn.o' must hold 4 floats}}
  %o = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%i : tensor<2x4xf32>)
      {lq.role = "layers.0.attn.o", lq.act_absmax = dense<1.0> : tensor<3xf32>} -> tensor<2x4xf32>
  return %o : tensor<2x4xf32>
}
