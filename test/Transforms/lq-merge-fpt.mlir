// RUN: quant-opt %s -split-input-file --lq-merge-fpt | FileCheck %s

// A scale on a linear's output folds into the rows of W [out, in]; the
// output ranges follow (a negative scale swaps min and max).
// CHECK-LABEL: func.func @output_rows
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 4.000000e+00, 6.000000e+00], [-5.000000e-01, -1.000000e+00, -1.500000e+00]]> : tensor<2x3xf32>
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [{{.*}}] {lq.out_absmax = dense<[2.000000e+00, 1.000000e+00]> : tensor<2xf32>, lq.out_max = dense<[6.000000e+00, 1.000000e+00]> : tensor<2xf32>, lq.out_min = dense<[-2.000000e+00, -2.500000e+00]> : tensor<2xf32>, lq.role = "layers.0.attn.v"} ins(%arg0, %[[W]] :
// CHECK-NOT: lq.fpt
// CHECK: return %[[Y]]
func.func @output_rows(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x3xf32>, tensor<2x3xf32>) outs(%init : tensor<4x2xf32>)
      {lq.role = "layers.0.attn.v", lq.out_absmax = dense<[1.0, 2.0]> : tensor<2xf32>,
       lq.out_min = dense<[-1.0, -2.0]> : tensor<2xf32>, lq.out_max = dense<[3.0, 5.0]> : tensor<2xf32>} -> tensor<4x2xf32>
  %t = lq.fpt.scale %y {scale = dense<[2.0, -0.5]> : tensor<2xf32>} : tensor<4x2xf32>
  return %t : tensor<4x2xf32>
}

// -----

// x / s on a linear's input folds into the columns of W; the linear then
// reads x itself, so its input statistics become those of x = x_old * s:
// |x| max times s, H' = diag(s) H diag(s).
// CHECK-LABEL: func.func @input_columns
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[5.000000e-01, 5.000000e-01, 4.000000e+00], [1.500000e+00, 1.000000e+00, 1.200000e+01]]> : tensor<2x3xf32>
// CHECK: linalg.matmul indexing_maps = [{{.*}}] {lq.act_absmax = dense<[2.000000e+00, 4.000000e+00, 5.000000e-01]> : tensor<3xf32>, lq.hessian = dense<{{\[}}[4.000000e+00, 8.000000e+00, 0.000000e+00], [8.000000e+00, 3.200000e+01, 0.000000e+00], [0.000000e+00, 0.000000e+00, 2.500000e-01]]> : tensor<3x3xf32>, lq.role = "layers.0.mlp.down"} ins(%arg0, %[[W]] :
// CHECK-NOT: lq.fpt
func.func @input_columns(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 2.0], [3.0, 4.0, 6.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %xs = lq.fpt.scale %x {scale = dense<[2.0, 4.0, 0.5]> : tensor<3xf32>, inverse} : tensor<4x3xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%xs, %w : tensor<4x3xf32>, tensor<2x3xf32>) outs(%init : tensor<4x2xf32>)
      {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<1.0> : tensor<3xf32>,
       lq.hessian = dense<[[1.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<3x3xf32>} -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A plain matmul's weight is [in, out]: the input scale lands on its rows.
// CHECK-LABEL: func.func @plain_matmul
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 4.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: linalg.matmul ins(%arg0, %[[W]]
// CHECK-NOT: lq.fpt
func.func @plain_matmul(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %xs = lq.fpt.scale %x {scale = dense<[2.0, 1.0]> : tensor<2xf32>} : tensor<4x2xf32>
  %y = linalg.matmul ins(%xs, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// QQQ smoothing at a norm: x / s folds into the RMSNorm weight, each
// consumer's * s into its own columns.
// CHECK-LABEL: func.func @norm_smoothing
// CHECK: %[[G:.*]] = arith.constant dense<[5.000000e-01, 1.500000e+00]> : tensor<2xf32>
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%arg0, %[[G]] : tensor<4x2xf32>, tensor<2xf32>)
// CHECK: %[[W1:.*]] = arith.constant dense<2.000000e+00> : tensor<1x2xf32>
// CHECK: linalg.matmul {{.*}} ins(%[[N]], %[[W1]]
// CHECK: %[[W2:.*]] = arith.constant dense<{{\[}}[6.000000e+00, 4.000000e+00]]> : tensor<1x2xf32>
// CHECK: linalg.matmul {{.*}} ins(%[[N]], %[[W2]]
// CHECK-NOT: lq.fpt
func.func @norm_smoothing(%x: tensor<4x2xf32>) -> (tensor<4x1xf32>, tensor<4x1xf32>) {
  %g = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %e0 = tensor.empty() : tensor<4x2xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %g : tensor<4x2xf32>, tensor<2xf32>) outs(%e0 : tensor<4x2xf32>) {
  ^bb0(%a: f32, %w: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    %m = arith.mulf %sq, %w : f32
    linalg.yield %m : f32
  } -> tensor<4x2xf32>
  %xs = lq.fpt.scale %n {scale = dense<[2.0, 2.0]> : tensor<2xf32>, inverse} : tensor<4x2xf32>
  %w1 = arith.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %w2 = arith.constant dense<[[3.0, 2.0]]> : tensor<1x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x1xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x1xf32>) -> tensor<4x1xf32>
  %x1 = lq.fpt.scale %xs {scale = dense<[2.0, 2.0]> : tensor<2xf32>} : tensor<4x2xf32>
  %y1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x1, %w1 : tensor<4x2xf32>, tensor<1x2xf32>) outs(%init : tensor<4x1xf32>) -> tensor<4x1xf32>
  %x2 = lq.fpt.scale %xs {scale = dense<[2.0, 2.0]> : tensor<2xf32>} : tensor<4x2xf32>
  %y2 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x2, %w2 : tensor<4x2xf32>, tensor<1x2xf32>) outs(%init : tensor<4x1xf32>) -> tensor<4x1xf32>
  return %y1, %y2 : tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// A per-head invertible value transform: T on v's rows (W' = T^T W), T^-1
// on o's columns (W' = W T^-T), nested chains folded from the linear out.
// CHECK-LABEL: func.func @value_transform
// CHECK: %[[WV:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[V:.*]] = linalg.matmul {{.*}} ins(%arg0, %[[WV]]
// CHECK: %[[A:.*]] = math.tanh %[[V]]
// CHECK: %[[WO:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [-5.000000e-01, 5.000000e-01]]> : tensor<2x2xf32>
// CHECK: linalg.matmul {{.*}} ins(%[[A]], %[[WO]]
// CHECK-NOT: lq.fpt
func.func @value_transform(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %wv = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %wo = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %v = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %wv : tensor<4x2xf32>, tensor<2x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  %s = lq.fpt.scale %v {scale = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<4x2xf32>
  %t = lq.fpt.linear %s {matrix = dense<[[[1.0, 1.0], [0.0, 1.0]]]> : tensor<1x2x2xf32>,
                         inverse_matrix = dense<[[[1.0, -1.0], [0.0, 1.0]]]> : tensor<1x2x2xf32>} : tensor<4x2xf32>
  // Not a linear function, only there to keep the two sides apart.
  %a = math.tanh %t : tensor<4x2xf32>
  %ti = lq.fpt.linear %a {matrix = dense<[[[1.0, 1.0], [0.0, 1.0]]]> : tensor<1x2x2xf32>,
                          inverse_matrix = dense<[[[1.0, -1.0], [0.0, 1.0]]]> : tensor<1x2x2xf32>, inverse} : tensor<4x2xf32>
  %si = lq.fpt.scale %ti {scale = dense<[1.0, 2.0]> : tensor<2xf32>, inverse} : tensor<4x2xf32>
  %o = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%si, %wo : tensor<4x2xf32>, tensor<2x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %o : tensor<4x2xf32>
}

// -----

// The dynamic residual scaling is not mergeable: it stays, and is no error.
// CHECK-LABEL: func.func @residual_stays
// CHECK: lq.fpt.residual_scale %arg0, %arg1
func.func @residual_stays(%x: tensor<4x2xf32>, %r: tensor<4x1xf32>) -> tensor<4x2xf32> {
  %y = lq.fpt.residual_scale %x, %r : tensor<4x2xf32>, tensor<4x1xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A transform on an embedding lookup's rows folds into the table: E' = E M.
// CHECK-LABEL: func.func @embedding
// CHECK: %[[E:.*]] = arith.constant dense<{{\[}}[3.000000e+00, -1.000000e+00], [1.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK: linalg.generic
// CHECK: tensor.extract %[[E]]
// CHECK-NOT: lq.fpt
func.func @embedding(%tok: tensor<3xi64>) -> tensor<3x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [1.0, 0.0]]> : tensor<2x2xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t)>, affine_map<(t, c) -> (t, c)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%tok : tensor<3xi64>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%id: i64, %o: f32):
    %row = arith.index_cast %id : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<3x2xf32>
  // x M with M = [[1, 1], [1, -1]]: rows (1, 2) -> (3, -1), (1, 0) -> (1, 1).
  %r = lq.fpt.linear %x {matrix = dense<[[[1.0, 1.0], [1.0, -1.0]]]> : tensor<1x2x2xf32>,
                         inverse_matrix = dense<[[[0.5, 0.5], [0.5, -0.5]]]> : tensor<1x2x2xf32>} : tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// Functions reading one weight blob keep sharing one merged blob.
// CHECK-LABEL: func.func @first
// CHECK: arith.constant dense_resource<w.fpt> : tensor<2x2xf32>
// CHECK-LABEL: func.func @second
// CHECK: arith.constant dense_resource<w.fpt> : tensor<2x2xf32>
// CHECK-NOT: w.fpt_
// CHECK: w.fpt: "0x0400000000000000000000C00000804000000000"
func.func @first(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %xs = lq.fpt.scale %x {scale = dense<[2.0, -2.0]> : tensor<2xf32>} : tensor<1x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%xs, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
func.func @second(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %xs = lq.fpt.scale %x {scale = dense<[2.0, -2.0]> : tensor<2xf32>} : tensor<1x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%xs, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      // [[0, 1], [2, 0]] as f32
      w: "0x04000000000000000000803F0000004000000000"
    }
  }
#-}
