// RUN: quant-opt %s -split-input-file --lq-insert-fpt="qk=false" | FileCheck %s

// Learned scales (lq.fpt_scale, from quant-run calibrate --fpt-learn) on the
// o and down linears replace the closed forms: the value transform's one
// scale per value channel (2 query heads of 4 channels read 1 KV head), the
// MLP's one per hidden channel.
module attributes {lq.model = {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64}} {
  func.func @learned(%x: tensor<3x8xf32>, %a: tensor<3x8xf32>, %i4: tensor<3x4xf32>, %i8: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<3x8xf32>, tensor<3x8xf32>) {
    %wv = arith.constant dense<0.5> : tensor<8x4xf32>
    %wo = arith.constant dense<0.25> : tensor<8x8xf32>
    %v = linalg.matmul ins(%x, %wv : tensor<3x8xf32>, tensor<8x4xf32>) outs(%i4 : tensor<3x4xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x4xf32>
    %o = linalg.matmul ins(%a, %wo : tensor<3x8xf32>, tensor<8x8xf32>) outs(%i8 : tensor<3x8xf32>)
        {lq.role = "layers.0.attn.o", lq.act_absmax = dense<1.0> : tensor<8xf32>, lq.fpt_scale = dense<[2.0, 1.0, 0.5, 4.0]> : tensor<4xf32>} -> tensor<3x8xf32>
    %wu = arith.constant dense<0.5> : tensor<8x8xf32>
    %u = linalg.matmul ins(%x, %wu : tensor<3x8xf32>, tensor<8x8xf32>) outs(%i8 : tensor<3x8xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<3x8xf32>
    %h = math.tanh %u : tensor<3x8xf32>
    %d = linalg.matmul ins(%h, %wo : tensor<3x8xf32>, tensor<8x8xf32>) outs(%i8 : tensor<3x8xf32>)
        {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<1.0> : tensor<8xf32>, lq.fpt_scale = dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>} -> tensor<3x8xf32>
    return %v, %o, %d : tensor<3x4xf32>, tensor<3x8xf32>, tensor<3x8xf32>
  }
}
// CHECK-LABEL: func.func @learned
// CHECK: %[[V:.*]] = linalg.matmul {lq.role = "layers.0.attn.v"}
// CHECK-NEXT: lq.fpt.linear %[[V]] {inverse_matrix = dense<{{\[}}[{{\[}}5.000000e-01, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 2.500000e-01]]]> : tensor<1x4x4xf32>, matrix = dense<{{\[}}[{{\[}}2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 5.000000e-01, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 4.000000e+00]]]> : tensor<1x4x4xf32>}
// CHECK: lq.fpt.linear %arg1 {inverse, {{.*}} : tensor<2x4x4xf32>
// CHECK: %[[U:.*]] = linalg.matmul {lq.role = "layers.0.mlp.up"}
// CHECK-NEXT: lq.fpt.scale %[[U]] {scale = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]> : tensor<8xf32>}
// CHECK: lq.fpt.scale %{{.*}} {inverse, scale = dense<[1.000000e+00, 2.000000e+00, {{.*}}]> : tensor<8xf32>}
// CHECK-NEXT: linalg.matmul {{.*}}lq.role = "layers.0.mlp.down"

