// RUN: quant-opt %s --lq-gpu-unshare-fills | FileCheck %s
// RUN: quant-opt %s --lq-gpu-unshare-fills="functions=other" | FileCheck %s --check-prefix=SKIP

// One fill initializes two reductions (as after CSE of two layers' RMSNorm
// sums): the second gets an empty tensor and a fill of its own, just
// before it, so bufferization writes each in place instead of copying.
// CHECK-LABEL: func.func @two_reductions(
// CHECK-SAME:    %[[X:.*]]: tensor<4x384xf32>, %[[Y:.*]]: tensor<4x384xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         %[[F1:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E1]] : tensor<4xf32>)
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x384xf32>) outs(%[[F1]] : tensor<4xf32>)
// CHECK:         %[[E2:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         %[[F2:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E2]] : tensor<4xf32>)
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} ins(%[[Y]] : tensor<4x384xf32>) outs(%[[F2]] : tensor<4xf32>)
// CHECK:         return %[[A]], %[[B]]
// SKIP-LABEL: func.func @two_reductions(
// SKIP-COUNT-1: linalg.fill
// SKIP-NOT:     linalg.fill
// SKIP-LABEL: func.func @other(
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
func.func @two_reductions(%x: tensor<4x384xf32>, %y: tensor<4x384xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x384xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %b = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<4x384xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
func.func @other() {
  return
}

// A fill of a tensor that is not empty (a real value it overwrites) and a
// fill with one use are left as they are.
// CHECK-LABEL: func.func @left_alone(
// CHECK-COUNT-2: linalg.fill
// CHECK-NOT:     linalg.fill
func.func @left_alone(%t: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%t : tensor<4xf32>) -> tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %g = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %f, %f, %g : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
