// RUN: quant-opt %s -split-input-file --lq-insert-fpt | FileCheck %s
// RUN: quant-opt %s -split-input-file --lq-insert-fpt="qk=false value=false" | FileCheck %s --check-prefix=MLP
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --lq-insert-fpt="residual=true qk=false value=false mlp=false" | FileCheck %s --check-prefix=RES
// RUN: not quant-opt %s -split-input-file --lq-insert-fpt="residual=true qk=false value=false mlp=false" 2>&1 | FileCheck %s --check-prefix=RES-ERR
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --lq-insert-fpt="residual-scaling=true qk=false value=false mlp=false" | FileCheck %s --check-prefix=RSCALE
// RUN: not quant-opt %s -split-input-file --lq-insert-fpt="residual-scaling=true qk=false value=false mlp=false" 2>&1 | FileCheck %s --check-prefix=RSCALE-ERR

// Dynamic residual scaling on a whole model (lq-merge-fpt-preserve.mlir):
// the o and down inputs are divided by the RMS of the residual stream that
// enters the layer's attention / MLP norm, their outputs multiplied back;
// their activation statistics (of the unscaled input) are dropped.
// RSCALE-LABEL: func.func @forward
// RSCALE: %[[X:.*]] = lq.fpt.residual_scale %{{.*}}, %[[R:.*]] : tensor<?x8xf32>, tensor<?x1xf32>
// RSCALE-NEXT: %[[O:.*]] = linalg.matmul indexing_maps = [{{.*}}] {lq.hessian = {{.*}}lq.role = "layers.0.attn.o"{{.*}} ins(%[[X]],
// RSCALE-NEXT: lq.fpt.residual_scale %[[O]], %[[R]] {inverse} : tensor<?x8xf32>, tensor<?x1xf32>
// RSCALE: %[[Y:.*]] = lq.fpt.residual_scale %{{.*}}, %[[R2:.*]] : tensor<?x12xf32>, tensor<?x1xf32>
// RSCALE-NEXT: %[[D:.*]] = linalg.matmul indexing_maps = [{{.*}}] {lq.hessian = {{.*}}lq.role = "layers.0.mlp.down"{{.*}} ins(%[[Y]],
// RSCALE-NEXT: lq.fpt.residual_scale %[[D]], %[[R2]] {inverse} : tensor<?x8xf32>, tensor<?x1xf32>
// RSCALE-LABEL: func.func @decode
// RSCALE: lq.fpt.residual_scale %{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<1x1xf32>
// The one-layer module here reads q through no norm.
// RSCALE-ERR: the input of 'layers.0.attn.q' is not an RMSNorm of the residual stream, so residual scaling has no RMS to take

// The residual rotation on a whole model (lq-merge-fpt-preserve.mlir): the
// embedding rows get R; each norm's weight g moves out (x / g after it,
// * g before each reader, after R^T); the o and down outputs get R.
// RES-LABEL: func.func @forward
// RES: tensor.extract %[[TABLE:.*]][
// RES: %[[X0:.*]] = lq.fpt.rotate %{{.*}} : tensor<?x8xf32>
// RES: %[[N:.*]] = lq.fpt.scale %{{.*}} {inverse, scale = dense<[[G:.*]]> : tensor<8xf32>} : tensor<?x8xf32>
// RES: %[[RQ:.*]] = lq.fpt.rotate %[[N]] {inverse} : tensor<?x8xf32>
// RES-NEXT: %[[SQ:.*]] = lq.fpt.scale %[[RQ]] {scale = dense<[[G]]> : tensor<8xf32>}
// RES-NEXT: linalg.matmul {{.*}}lq.role = "layers.0.attn.q"{{.*}} ins(%[[SQ]],
// RES: %[[O:.*]] = linalg.matmul {{.*}}lq.role = "layers.0.attn.o"
// RES-NEXT: lq.fpt.rotate %[[O]] : tensor<?x8xf32>
// RES: %[[D:.*]] = linalg.matmul {{.*}}lq.role = "layers.0.mlp.down"
// RES-NEXT: lq.fpt.rotate %[[D]] : tensor<?x8xf32>
// RES: lq.fpt.rotate %{{.*}} {inverse} : tensor<?x8xf32>
// RES-NEXT: lq.fpt.scale
// RES: linalg.matmul {{.*}}lq.role = "lm_head"
// RES-LABEL: func.func @decode
// RES: lq.fpt.rotate %{{.*}} : tensor<1x8xf32>
// The one-layer module here has no gate, norm or embedding to rotate through.
// RES-ERR: the residual rotation needs every linear of layer 0 tagged

// One layer in the importer's form (q/k reshaped to heads and rotated by an
// elementwise generic standing in for RoPE), 2 query heads sharing 1 KV
// head of size 4, rope_style "half".
// CHECK-LABEL: func.func @layer
// q: the queries' side M^-T (inverse + transpose), repeated per query head.
// CHECK: %[[Q:.*]] = linalg.matmul {{.*}} {lq.role = "layers.0.attn.q"} ins(%arg0,
// CHECK-NEXT: %[[QT:.*]] = lq.fpt.rope_scale %[[Q]] {angles = dense<{{\[}}[[[A0:.*]], [[A1:.*]]], {{\[}}[[A0]], [[A1]]]]> : tensor<2x2xf32>, inverse, scales = dense<{{\[}}[1.14185{{[0-9]*}}, 0.87576{{[0-9]*}}], [1.14185{{[0-9]*}}, 0.87576{{[0-9]*}}]]> : tensor<2x2xf32>, transpose} : tensor<3x8xf32>
// CHECK-NEXT: tensor.expand_shape %[[QT]]
// k: c_i ~ 1 / sqrt(kmax_i^2 + kmax_{i+2}^2) = 1 / [sqrt(10), sqrt(17)], geometric mean 1.
// CHECK: %[[K:.*]] = linalg.matmul {{.*}} {lq.hessian = {{.*}}, lq.out_absmax = {{.*}}, lq.role = "layers.0.attn.k"}
// CHECK-NEXT: %[[KT:.*]] = lq.fpt.rope_scale %[[K]] {angles = dense<{{\[}}[[[A0]], [[A1]]]]> : tensor<1x2xf32>, scales = dense<{{\[}}[1.14185{{[0-9]*}}, 0.87576{{[0-9]*}}]]> : tensor<1x2xf32>} : tensor<3x4xf32>
// CHECK-NEXT: tensor.expand_shape %[[KT]]
// v and o: T per KV head, T^-1 per query head.
// CHECK: %[[V:.*]] = linalg.matmul {{.*}} {lq.role = "layers.0.attn.v"}
// CHECK-NEXT: %[[VT:.*]] = lq.fpt.linear %[[V]] {inverse_matrix = dense<{{.*}}> : tensor<1x4x4xf32>, matrix = dense<{{.*}}> : tensor<1x4x4xf32>} : tensor<3x4xf32>
// CHECK: %[[OT:.*]] = lq.fpt.linear %arg1 {inverse, inverse_matrix = dense<{{.*}}> : tensor<2x4x4xf32>, matrix = dense<{{.*}}> : tensor<2x4x4xf32>} : tensor<3x8xf32>
// CHECK-NEXT: linalg.matmul {{.*}} {lq.act_absmax = {{.*}}, lq.role = "layers.0.attn.o"} ins(%[[OT]],
// The MLP scale t = sqrt(w / a) with a = [4, 1, 1, 1, 1, 1] and every
// w = 0.5: t ~ [0.5, 1, 1, 1, 1, 1], geometric mean 1.
// CHECK: %[[U:.*]] = linalg.matmul {{.*}} {lq.role = "layers.0.mlp.up"}
// CHECK-NEXT: %[[UT:.*]] = lq.fpt.scale %[[U]] {scale = dense<[5.61231{{[0-9]*}}e-01, 1.12246{{[0-9]*}}, 1.12246{{[0-9]*}}, 1.12246{{[0-9]*}}, 1.12246{{[0-9]*}}, 1.12246{{[0-9]*}}]> : tensor<6xf32>} : tensor<3x6xf32>
// CHECK: %[[H:.*]] = math.tanh %[[UT]]
// CHECK: %[[HT:.*]] = lq.fpt.scale %[[H]] {inverse, scale = dense<[5.61231{{.*}}]> : tensor<6xf32>} : tensor<3x6xf32>
// CHECK-NEXT: linalg.matmul {{.*}} {lq.act_absmax = {{.*}}, lq.role = "layers.0.mlp.down"} ins(%[[HT]],
// CHECK: return {{.*}}, %[[VT]],
// MLP-LABEL: func.func @layer
// MLP-NOT: lq.fpt.rope_scale
// MLP-NOT: lq.fpt.linear
// MLP: lq.fpt.scale
// MLP: lq.fpt.scale {{.*}} {inverse,
module attributes {lq.model = {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, rope_style = "half"}} {
  func.func @layer(%x: tensor<3x4xf32>, %att: tensor<3x8xf32>) -> (tensor<3x2x4xf32>, tensor<3x1x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %wq = arith.constant dense<[[0.123, 0.242, 0.295, 0.442], [0.240, 0.422, -0.471, -0.034], [0.443, 0.149, 0.401, -0.387], [-0.031, -0.253, 0.044, 0.074], [-0.487, -0.283, -0.221, 0.416], [0.266, -0.340, 0.297, -0.361], [0.117, -0.373, -0.498, 0.371], [-0.291, -0.285, 0.482, 0.372]]> : tensor<8x4xf32>
    %wk = arith.constant dense<[[-0.211, 0.461, 0.039, 0.178], [-0.295, 0.441, 0.191, 0.467], [0.394, -0.201, -0.139, -0.334], [-0.354, -0.435, -0.199, 0.103]]> : tensor<4x4xf32>
    %wv = arith.constant dense<[[-0.497, 0.178, -0.162, -0.190], [0.319, -0.019, -0.184, -0.019], [0.205, -0.443, 0.475, -0.477], [0.250, 0.345, -0.482, 0.288]]> : tensor<4x4xf32>
    %wo = arith.constant dense<[[-0.134, 0.079, -0.491, -0.453, -0.319, 0.455, -0.303, 0.256], [0.430, 0.442, -0.156, -0.145, 0.025, 0.276, -0.392, 0.248], [0.297, 0.360, -0.463, 0.446, -0.409, -0.159, 0.111, 0.418], [-0.160, 0.424, 0.045, -0.188, -0.183, -0.323, -0.422, -0.351]]> : tensor<4x8xf32>
    %wu = arith.constant dense<[[0.189, 0.497, -0.338, -0.451], [0.487, 0.034, -0.094, -0.263], [0.094, 0.326, -0.044, -0.078], [-0.444, 0.416, -0.467, -0.006], [0.338, -0.369, 0.232, 0.450], [0.130, 0.288, -0.393, -0.065]]> : tensor<6x4xf32>
    %wd = arith.constant dense<[[0.5, -0.5, 0.5, 0.5, -0.5, 0.5], [-0.5, 0.5, 0.5, -0.5, 0.5, 0.5], [0.5, 0.5, -0.5, 0.5, 0.5, -0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<4x6xf32>
    %e8 = tensor.empty() : tensor<3x8xf32>
    %i8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<3x8xf32>) -> tensor<3x8xf32>
    %e4 = tensor.empty() : tensor<3x4xf32>
    %i4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<3x4xf32>) -> tensor<3x4xf32>
    %e6 = tensor.empty() : tensor<3x6xf32>
    %i6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<3x6xf32>) -> tensor<3x6xf32>
    %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wq : tensor<3x4xf32>, tensor<8x4xf32>) outs(%i8 : tensor<3x8xf32>) {lq.role = "layers.0.attn.q"} -> tensor<3x8xf32>
    %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
    %eq = tensor.empty() : tensor<3x2x4xf32>
    %qr = linalg.generic {indexing_maps = [affine_map<(t, h, d) -> (t, h, d)>, affine_map<(t, h, d) -> (t, h, d)>], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%q3 : tensor<3x2x4xf32>) outs(%eq : tensor<3x2x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    } -> tensor<3x2x4xf32>
    %k = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wk : tensor<3x4xf32>, tensor<4x4xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.attn.k", lq.out_absmax = dense<[1.0, 1.0, 3.0, 4.0]> : tensor<4xf32>,
         lq.hessian = dense<[[8.350, 1.548, 1.518, -6.569], [1.548, 12.223, -1.501, -0.502], [1.518, -1.501, 15.121, -0.569], [-6.569, -0.502, -0.569, 14.776]]> : tensor<4x4xf32>} -> tensor<3x4xf32>
    %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [3, 1, 4] : tensor<3x4xf32> into tensor<3x1x4xf32>
    %ek = tensor.empty() : tensor<3x1x4xf32>
    %kr = linalg.generic {indexing_maps = [affine_map<(t, h, d) -> (t, h, d)>, affine_map<(t, h, d) -> (t, h, d)>], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%k3 : tensor<3x1x4xf32>) outs(%ek : tensor<3x1x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    } -> tensor<3x1x4xf32>
    %v = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wv : tensor<3x4xf32>, tensor<4x4xf32>) outs(%i4 : tensor<3x4xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x4xf32>
    %o = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%att, %wo : tensor<3x8xf32>, tensor<4x8xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.attn.o", lq.act_absmax = dense<[1.496, 1.639, 1.045, 1.557, 0.921, 1.229, 1.655, 1.536]> : tensor<8xf32>} -> tensor<3x4xf32>
    %u = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wu : tensor<3x4xf32>, tensor<6x4xf32>) outs(%i6 : tensor<3x6xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<3x6xf32>
    %h = math.tanh %u : tensor<3x6xf32>
    %d = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%h, %wd : tensor<3x6xf32>, tensor<4x6xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[4.0, 1.0, 1.0, 1.0, 1.0, 1.0]> : tensor<6xf32>} -> tensor<3x4xf32>
    return %qr, %kr, %v, %o, %d : tensor<3x2x4xf32>, tensor<3x1x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
  }
}

// -----

// rope_style "interleaved" pairs channels (2i, 2i+1): the same scaled
// rotations, as explicit per-head 2x2 blocks of an lq.fpt.linear.
// CHECK-LABEL: func.func @interleaved
// CHECK: %[[Q:.*]] = linalg.matmul {{.*}} {lq.role = "layers.0.attn.q"}
// CHECK-NEXT: lq.fpt.linear %[[Q]] {inverse_matrix = dense<{{.*}}> : tensor<2x4x4xf32>, matrix = dense<{{\[}}[{{\[}}{{[-0-9.e+]+}}, {{[-0-9.e+]+}}, 0.000000e+00, 0.000000e+00], [{{[-0-9.e+]+}}, {{[-0-9.e+]+}}, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, {{.*}} : tensor<2x4x4xf32>} : tensor<3x8xf32>
// CHECK: %[[K:.*]] = linalg.matmul {{.*}} lq.role = "layers.0.attn.k"
// CHECK-NEXT: lq.fpt.linear %[[K]] {inverse_matrix = dense<{{.*}}> : tensor<1x4x4xf32>, matrix = dense<{{\[}}[{{\[}}{{[-0-9.e+]+}}, {{[-0-9.e+]+}}, 0.000000e+00, 0.000000e+00], [{{[-0-9.e+]+}}, {{[-0-9.e+]+}}, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, {{.*}} : tensor<1x4x4xf32>} : tensor<3x4xf32>
module attributes {lq.model = {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, rope_style = "interleaved"}} {
  func.func @interleaved(%x: tensor<3x4xf32>, %att: tensor<3x8xf32>) -> (tensor<3x2x4xf32>, tensor<3x1x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %wq = arith.constant dense<[[0.123, 0.242, 0.295, 0.442], [0.240, 0.422, -0.471, -0.034], [0.443, 0.149, 0.401, -0.387], [-0.031, -0.253, 0.044, 0.074], [-0.487, -0.283, -0.221, 0.416], [0.266, -0.340, 0.297, -0.361], [0.117, -0.373, -0.498, 0.371], [-0.291, -0.285, 0.482, 0.372]]> : tensor<8x4xf32>
    %wk = arith.constant dense<[[-0.211, 0.461, 0.039, 0.178], [-0.295, 0.441, 0.191, 0.467], [0.394, -0.201, -0.139, -0.334], [-0.354, -0.435, -0.199, 0.103]]> : tensor<4x4xf32>
    %wv = arith.constant dense<[[-0.497, 0.178, -0.162, -0.190], [0.319, -0.019, -0.184, -0.019], [0.205, -0.443, 0.475, -0.477], [0.250, 0.345, -0.482, 0.288]]> : tensor<4x4xf32>
    %wo = arith.constant dense<[[-0.134, 0.079, -0.491, -0.453, -0.319, 0.455, -0.303, 0.256], [0.430, 0.442, -0.156, -0.145, 0.025, 0.276, -0.392, 0.248], [0.297, 0.360, -0.463, 0.446, -0.409, -0.159, 0.111, 0.418], [-0.160, 0.424, 0.045, -0.188, -0.183, -0.323, -0.422, -0.351]]> : tensor<4x8xf32>
    %wu = arith.constant dense<[[0.189, 0.497, -0.338, -0.451], [0.487, 0.034, -0.094, -0.263], [0.094, 0.326, -0.044, -0.078], [-0.444, 0.416, -0.467, -0.006], [0.338, -0.369, 0.232, 0.450], [0.130, 0.288, -0.393, -0.065]]> : tensor<6x4xf32>
    %wd = arith.constant dense<[[0.5, -0.5, 0.5, 0.5, -0.5, 0.5], [-0.5, 0.5, 0.5, -0.5, 0.5, 0.5], [0.5, 0.5, -0.5, 0.5, 0.5, -0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<4x6xf32>
    %e8 = tensor.empty() : tensor<3x8xf32>
    %i8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<3x8xf32>) -> tensor<3x8xf32>
    %e4 = tensor.empty() : tensor<3x4xf32>
    %i4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<3x4xf32>) -> tensor<3x4xf32>
    %e6 = tensor.empty() : tensor<3x6xf32>
    %i6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<3x6xf32>) -> tensor<3x6xf32>
    %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wq : tensor<3x4xf32>, tensor<8x4xf32>) outs(%i8 : tensor<3x8xf32>) {lq.role = "layers.0.attn.q"} -> tensor<3x8xf32>
    %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
    %eq = tensor.empty() : tensor<3x2x4xf32>
    %qr = linalg.generic {indexing_maps = [affine_map<(t, h, d) -> (t, h, d)>, affine_map<(t, h, d) -> (t, h, d)>], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%q3 : tensor<3x2x4xf32>) outs(%eq : tensor<3x2x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    } -> tensor<3x2x4xf32>
    %k = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wk : tensor<3x4xf32>, tensor<4x4xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.attn.k", lq.out_absmax = dense<[1.0, 1.0, 3.0, 4.0]> : tensor<4xf32>,
         lq.hessian = dense<[[8.350, 1.548, 1.518, -6.569], [1.548, 12.223, -1.501, -0.502], [1.518, -1.501, 15.121, -0.569], [-6.569, -0.502, -0.569, 14.776]]> : tensor<4x4xf32>} -> tensor<3x4xf32>
    %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [3, 1, 4] : tensor<3x4xf32> into tensor<3x1x4xf32>
    %ek = tensor.empty() : tensor<3x1x4xf32>
    %kr = linalg.generic {indexing_maps = [affine_map<(t, h, d) -> (t, h, d)>, affine_map<(t, h, d) -> (t, h, d)>], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%k3 : tensor<3x1x4xf32>) outs(%ek : tensor<3x1x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    } -> tensor<3x1x4xf32>
    %v = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wv : tensor<3x4xf32>, tensor<4x4xf32>) outs(%i4 : tensor<3x4xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x4xf32>
    %o = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%att, %wo : tensor<3x8xf32>, tensor<4x8xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.attn.o", lq.act_absmax = dense<[1.496, 1.639, 1.045, 1.557, 0.921, 1.229, 1.655, 1.536]> : tensor<8xf32>} -> tensor<3x4xf32>
    %u = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %wu : tensor<3x4xf32>, tensor<6x4xf32>) outs(%i6 : tensor<3x6xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<3x6xf32>
    %h = math.tanh %u : tensor<3x6xf32>
    %d = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%h, %wd : tensor<3x6xf32>, tensor<4x6xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[4.0, 1.0, 1.0, 1.0, 1.0, 1.0]> : tensor<6xf32>} -> tensor<3x4xf32>
    return %qr, %kr, %v, %o, %d : tensor<3x2x4xf32>, tensor<3x1x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
  }
}
