// RUN: quant-opt %s --split-input-file --lq-cpu-outline-layers="min-ops=2" | FileCheck %s

// Three repeats differing only in their weight: one function taking the
// weight, called three times; the constant every repeat shares is cloned
// into it.
// CHECK-LABEL: func.func @layers
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-DAG: %[[W0:.*]] = arith.constant dense<[1.{{.*}}
// CHECK-DAG: %[[W1:.*]] = arith.constant dense<[5.{{.*}}
// CHECK-DAG: %[[W2:.*]] = arith.constant dense<[9.{{.*}}
// CHECK: %[[Y0:.*]] = call @layers_layer(%[[X]], %[[W0]])
// CHECK-NEXT: %[[Y1:.*]] = call @layers_layer(%[[Y0]], %[[W1]])
// CHECK-NEXT: %[[Y2:.*]] = call @layers_layer(%[[Y1]], %[[W2]])
// CHECK-NEXT: return %[[Y2]]
// CHECK-LABEL: func.func private @layers_layer
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[S:.*]] = arith.constant dense<2.0
// CHECK: %[[M:.*]] = arith.mulf %[[A]], %[[W]]
// CHECK-NEXT: %[[B:.*]] = arith.addf %[[M]], %[[S]]
// CHECK-NEXT: return %[[B]]
func.func @layers(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w0 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w1 = arith.constant dense<[5.0, 6.0, 7.0, 8.0]> : tensor<4xf32>
  %w2 = arith.constant dense<[9.0, 10.0, 11.0, 12.0]> : tensor<4xf32>
  %s = arith.constant dense<2.0> : tensor<4xf32>
  %a0 = arith.mulf %x, %w0 : tensor<4xf32>
  %b0 = arith.addf %a0, %s : tensor<4xf32>
  %a1 = arith.mulf %b0, %w1 : tensor<4xf32>
  %b1 = arith.addf %a1, %s : tensor<4xf32>
  %a2 = arith.mulf %b1, %w2 : tensor<4xf32>
  %b2 = arith.addf %a2, %s : tensor<4xf32>
  return %b2 : tensor<4xf32>
}

// -----

// A cache threaded through the layers, each writing and reading its own
// slot: the slot's static offset becomes an index argument (one for both
// slices, equal in every repeat), and the function returns the cache.
// CHECK-LABEL: func.func @caches
// CHECK-SAME: (%[[X:.*]]: tensor<1x4xf32>, %[[CACHE:.*]]: tensor<3x1x4xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[R0:.*]]:2 = call @caches_layer(%[[X]], %[[CACHE]], %[[C0]])
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[R1:.*]]:2 = call @caches_layer(%[[R0]]#1, %[[R0]]#0, %[[C1]])
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[R2:.*]]:2 = call @caches_layer(%[[R1]]#1, %[[R1]]#0, %[[C2]])
// CHECK: return %[[R2]]#1, %[[R2]]#0
// CHECK-LABEL: func.func private @caches_layer
// CHECK-SAME: (%[[LX:.*]]: tensor<1x4xf32>, %[[LC:.*]]: tensor<3x1x4xf32>, %[[L:.*]]: index) -> (tensor<3x1x4xf32>, tensor<1x4xf32>)
// CHECK: %[[IN:.*]] = tensor.insert_slice %[[LX]] into %[[LC]][%[[L]], 0, 0]
// CHECK: tensor.extract_slice %[[IN]][%[[L]], 0, 0]
func.func @caches(%x: tensor<1x4xf32>, %cache: tensor<3x1x4xf32>) -> (tensor<1x4xf32>, tensor<3x1x4xf32>) {
  %c0 = tensor.insert_slice %x into %cache[0, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<1x4xf32> into tensor<3x1x4xf32>
  %r0 = tensor.extract_slice %c0[0, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<3x1x4xf32> to tensor<1x4xf32>
  %x1 = arith.addf %x, %r0 : tensor<1x4xf32>
  %c1 = tensor.insert_slice %x1 into %c0[1, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<1x4xf32> into tensor<3x1x4xf32>
  %r1 = tensor.extract_slice %c1[1, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<3x1x4xf32> to tensor<1x4xf32>
  %x2 = arith.addf %x1, %r1 : tensor<1x4xf32>
  %c2 = tensor.insert_slice %x2 into %c1[2, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<1x4xf32> into tensor<3x1x4xf32>
  %r2 = tensor.extract_slice %c2[2, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<3x1x4xf32> to tensor<1x4xf32>
  %x3 = arith.addf %x2, %r2 : tensor<1x4xf32>
  return %x3, %c2 : tensor<1x4xf32>, tensor<3x1x4xf32>
}

// -----

// One tensor.empty (as CSE leaves it) shared by the layers: each use gets
// its own copy, which goes into the function with its layer. The roles of
// the layers' ops differ and are dropped from the function; ops before and
// after the repeats stay.
// CHECK-LABEL: func.func @inits
// CHECK-NOT: tensor.empty
// CHECK: %[[N:.*]] = arith.negf
// CHECK: %[[Y0:.*]] = call @inits_layer(%[[N]], %{{.*}})
// CHECK: %[[Y1:.*]] = call @inits_layer(%[[Y0]], %{{.*}})
// CHECK: arith.negf %[[Y1]]
// CHECK-LABEL: func.func private @inits_layer
// CHECK: tensor.empty
// CHECK-NOT: lq.role
// CHECK: linalg.add ins
// CHECK: return
func.func @inits(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %w0 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w1 = arith.constant dense<[5.0, 6.0, 7.0, 8.0]> : tensor<4xf32>
  %n = arith.negf %x : tensor<4xf32>
  %y0 = linalg.add {lq.role = "layers.0.add"} ins(%n, %w0 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %z0 = arith.mulf %y0, %y0 : tensor<4xf32>
  %y1 = linalg.add {lq.role = "layers.1.add"} ins(%z0, %w1 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %z1 = arith.mulf %y1, %y1 : tensor<4xf32>
  %m = arith.negf %z1 : tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

// Not repeats: the second differs in an inherent attribute (fastmath).
// CHECK-LABEL: func.func @attributes
// CHECK-NOT: call
// CHECK: return
func.func @attributes(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w0 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w1 = arith.constant dense<[5.0, 6.0, 7.0, 8.0]> : tensor<4xf32>
  %a0 = arith.mulf %x, %w0 : tensor<4xf32>
  %b0 = arith.addf %a0, %w0 : tensor<4xf32>
  %a1 = arith.mulf %b0, %w1 : tensor<4xf32>
  %b1 = arith.addf %a1, %w1 fastmath<fast> : tensor<4xf32>
  return %b1 : tensor<4xf32>
}

// -----

// Not repeats: the first uses one outside value twice, the second two
// different ones, which one argument cannot stand for.
// CHECK-LABEL: func.func @uses
// CHECK-NOT: call
// CHECK: return
func.func @uses(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %a0 = arith.mulf %x, %x : tensor<4xf32>
  %b0 = arith.addf %a0, %a0 : tensor<4xf32>
  %a1 = arith.mulf %b0, %y : tensor<4xf32>
  %b1 = arith.addf %a1, %a1 : tensor<4xf32>
  return %b1 : tensor<4xf32>
}
