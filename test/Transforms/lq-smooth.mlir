// RUN: quant-opt %s --lq-smooth="report=true" 2>&1 | FileCheck %s
// RUN: quant-opt %s --lq-smooth="alpha-grid=0.5 act-bits=4 attn-input=false o-input=false mlp-input=false" | FileCheck %s --check-prefix=HALF
// RUN: quant-opt %s --lq-smooth="alpha-grid=1.0 max-condition=2 report=true" 2>&1 | FileCheck %s --check-prefix=BOUND

// One layer (2 query heads sharing 1 KV head of size 2) whose inputs each
// have an outlier channel: every point smooths.
// CHECK: remark: lq-smooth: layer 0 attention input: alpha {{[01]\.[0-9]+}}, estimated output error {{.*}} (none: {{.*}})
// CHECK: remark: lq-smooth: layer 0 o input: alpha
// CHECK: remark: lq-smooth: layer 0 MLP input: alpha
// CHECK: remark: lq-smooth: layer 0 down input: alpha
// CHECK-LABEL: func.func @layer
// x / s right after the attention norm, * s (the same s) before q, k and v.
// CHECK: %[[N:.*]] = linalg.generic
// CHECK: %[[D:.*]] = lq.fpt.scale %[[N]] {inverse, scale = dense<[[S:.*]]> : tensor<4xf32>} : tensor<3x4xf32>
// CHECK: %[[XQ:.*]] = lq.fpt.scale %[[D]] {scale = dense<[[S]]> : tensor<4xf32>}
// CHECK-NEXT: linalg.matmul {{.*}}"layers.0.attn.q"{{.*}} ins(%[[XQ]],
// CHECK: %[[XK:.*]] = lq.fpt.scale %[[D]] {scale = dense<[[S]]> : tensor<4xf32>}
// CHECK-NEXT: linalg.matmul {{.*}}"layers.0.attn.k"} ins(%[[XK]],
// CHECK: %[[XV:.*]] = lq.fpt.scale %[[D]] {scale = dense<[[S]]> : tensor<4xf32>}
// CHECK-NEXT: %[[V:.*]] = linalg.matmul {{.*}}"layers.0.attn.v"} ins(%[[XV]],
// o input: x / s on v's 2 value channels, * s on o's 4 inputs, tied across
// the two query heads of the group.
// CHECK-NEXT: %[[VS:.*]] = lq.fpt.scale %[[V]] {inverse, scale = dense<[[[O0:[-0-9.e+]+]], [[O1:[-0-9.e+]+]]]> : tensor<2xf32>}
// CHECK: lq.fpt.scale %arg1 {scale = dense<[[[O0]], [[O1]], [[O0]], [[O1]]]> : tensor<4xf32>}
// CHECK-NEXT: linalg.matmul {{.*}}"layers.0.attn.o"
// MLP input at the second norm, down input on up's output.
// CHECK: %[[N2:.*]] = linalg.generic
// CHECK: %[[D2:.*]] = lq.fpt.scale %[[N2]] {inverse, scale = dense<[[S2:.*]]> : tensor<4xf32>}
// CHECK: lq.fpt.scale %[[D2]] {scale = dense<[[S2]]> : tensor<4xf32>}
// CHECK-NEXT: linalg.matmul {{.*}}"layers.0.mlp.gate"
// CHECK: lq.fpt.scale %[[D2]] {scale = dense<[[S2]]> : tensor<4xf32>}
// CHECK-NEXT: %[[U:.*]] = linalg.matmul {{.*}}"layers.0.mlp.up"}
// CHECK-NEXT: %[[US:.*]] = lq.fpt.scale %[[U]] {inverse, scale = dense<[[S3:.*]]> : tensor<6xf32>}
// CHECK: %[[H:.*]] = arith.mulf {{.*}}, %[[US]]
// CHECK: lq.fpt.scale %[[H]] {scale = dense<[[S3]]> : tensor<6xf32>}
// CHECK-NEXT: linalg.matmul {{.*}}"layers.0.mlp.down"

// alpha = 1/2 alone at the down input (A4, where it beats no smoothing):
// s = sqrt(a / w) with a = [20, 1, ...] and flat w, s ~ [sqrt(20), 1, ...]
// at geometric mean 1.
// HALF-LABEL: func.func @layer
// HALF-NOT: lq.fpt.scale {{.*}}tensor<4xf32>
// HALF: %[[U:.*]] = linalg.matmul {{.*}}"layers.0.mlp.up"}
// HALF-NEXT: lq.fpt.scale %[[U]] {inverse, scale = dense<[3.48414{{[0-9]*}}, 0.779077{{[0-9]*}}, 0.779077{{[0-9]*}}, 0.779077{{[0-9]*}}, 0.779077{{[0-9]*}}, 0.779077{{[0-9]*}}]> : tensor<6xf32>}
// HALF: lq.fpt.scale %{{.*}} {scale = dense<[3.48414

// With max(s)/min(s) bounded by 2, alpha = 1 is never admissible: nothing
// is placed.
// BOUND-COUNT-4: no smoothing
// BOUND-NOT: lq.fpt
module attributes {lq.model = {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 2 : i64}} {
  func.func @layer(%x: tensor<3x4xf32>, %att: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
    %g = arith.constant dense<[1.0, 0.5, 2.0, 1.5]> : tensor<4xf32>
    %e = tensor.empty() : tensor<3x4xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x, %g : tensor<3x4xf32>, tensor<4xf32>) outs(%e : tensor<3x4xf32>) {
    ^bb0(%a: f32, %w: f32, %o: f32):
      %m = arith.mulf %a, %w : f32
      linalg.yield %m : f32
    } -> tensor<3x4xf32>
    %zero = arith.constant 0.0 : f32
    %e4 = tensor.empty() : tensor<3x4xf32>
    %i4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<3x4xf32>) -> tensor<3x4xf32>
    %e2 = tensor.empty() : tensor<3x2xf32>
    %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<3x2xf32>) -> tensor<3x2xf32>
    %e6 = tensor.empty() : tensor<3x6xf32>
    %i6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<3x6xf32>) -> tensor<3x6xf32>
    %wq = arith.constant dense<[[0.3, -0.2, 0.5, 0.1], [-0.4, 0.2, 0.1, 0.3], [0.2, 0.5, -0.3, 0.2], [0.1, -0.1, 0.4, -0.5]]> : tensor<4x4xf32>
    %wk = arith.constant dense<[[0.2, 0.4, -0.1, 0.3], [0.5, -0.3, 0.2, 0.1]]> : tensor<2x4xf32>
    %wv = arith.constant dense<[[-0.3, 0.1, 0.4, 0.2], [0.1, 0.3, -0.2, 0.5]]> : tensor<2x4xf32>
    %wo = arith.constant dense<[[0.2, -0.3, 0.1, 0.4], [0.3, 0.1, -0.5, 0.2], [-0.1, 0.4, 0.3, -0.2], [0.5, 0.2, 0.1, 0.3]]> : tensor<4x4xf32>
    %wg = arith.constant dense<[[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], [-0.2, 0.1, 0.5, -0.3], [0.3, -0.4, 0.1, 0.2], [0.2, 0.2, -0.2, 0.2], [-0.5, 0.1, 0.3, 0.1]]> : tensor<6x4xf32>
    %wu = arith.constant dense<[[0.3, -0.1, 0.2, 0.4], [-0.2, 0.5, 0.1, 0.3], [0.4, 0.1, -0.3, 0.2], [0.1, 0.3, 0.2, -0.4], [-0.3, 0.2, 0.4, 0.1], [0.2, -0.2, 0.3, 0.5]]> : tensor<6x4xf32>
    %wd = arith.constant dense<[[0.5, -0.5, 0.5, 0.5, -0.5, 0.5], [-0.5, 0.5, 0.5, -0.5, 0.5, 0.5], [0.5, 0.5, -0.5, 0.5, 0.5, -0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<4x6xf32>
    %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%n, %wq : tensor<3x4xf32>, tensor<4x4xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.attn.q", lq.act_absmax = dense<[20.0, 1.0, 1.2, 0.8]> : tensor<4xf32>,
         lq.hessian = dense<[[4400.0, 0.0, 0.0, 0.0], [0.0, 11.0, 0.0, 0.0], [0.0, 0.0, 16.0, 0.0], [0.0, 0.0, 0.0, 7.0]]> : tensor<4x4xf32>,
         lq.tokens = 100 : i64} -> tensor<3x4xf32>
    %k = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%n, %wk : tensor<3x4xf32>, tensor<2x4xf32>) outs(%i2 : tensor<3x2xf32>) {lq.role = "layers.0.attn.k"} -> tensor<3x2xf32>
    %v = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%n, %wv : tensor<3x4xf32>, tensor<2x4xf32>) outs(%i2 : tensor<3x2xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x2xf32>
    %o = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%att, %wo : tensor<3x4xf32>, tensor<4x4xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.attn.o", lq.act_absmax = dense<[1.0, 15.0, 1.1, 0.9]> : tensor<4xf32>,
         lq.hessian = dense<[[11.0, 0.0, 0.0, 0.0], [0.0, 2500.0, 0.0, 0.0], [0.0, 0.0, 13.0, 0.0], [0.0, 0.0, 0.0, 9.0]]> : tensor<4x4xf32>,
         lq.tokens = 100 : i64} -> tensor<3x4xf32>
    %g2 = arith.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>
    %n2 = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>, affine_map<(t, c) -> (t, c)>],
                          iterator_types = ["parallel", "parallel"]}
        ins(%x, %g2 : tensor<3x4xf32>, tensor<4xf32>) outs(%e : tensor<3x4xf32>) {
    ^bb0(%a: f32, %w: f32, %o2: f32):
      %m = arith.mulf %a, %w : f32
      linalg.yield %m : f32
    } -> tensor<3x4xf32>
    %gt = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%n2, %wg : tensor<3x4xf32>, tensor<6x4xf32>) outs(%i6 : tensor<3x6xf32>)
        {lq.role = "layers.0.mlp.gate", lq.act_absmax = dense<[1.0, 1.0, 30.0, 1.0]> : tensor<4xf32>,
         lq.hessian = dense<[[11.0, 0.0, 0.0, 0.0], [0.0, 11.0, 0.0, 0.0], [0.0, 0.0, 10000.0, 0.0], [0.0, 0.0, 0.0, 11.0]]> : tensor<4x4xf32>,
         lq.tokens = 100 : i64} -> tensor<3x6xf32>
    %u = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%n2, %wu : tensor<3x4xf32>, tensor<6x4xf32>) outs(%i6 : tensor<3x6xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<3x6xf32>
    %sg = math.tanh %gt : tensor<3x6xf32>
    %h = arith.mulf %sg, %u : tensor<3x6xf32>
    %d = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%h, %wd : tensor<3x6xf32>, tensor<4x6xf32>) outs(%i4 : tensor<3x4xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[20.0, 1.0, 1.0, 1.0, 1.0, 1.0]> : tensor<6xf32>,
         lq.hessian = dense<[[4400.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 11.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 11.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 11.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 11.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 11.0]]> : tensor<6x6xf32>,
         lq.tokens = 100 : i64} -> tensor<3x4xf32>
    return %q, %k, %v, %o, %d : tensor<3x4xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x4xf32>, tensor<3x4xf32>
  }
}
