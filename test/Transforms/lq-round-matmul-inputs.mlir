// RUN: quant-opt %s -split-input-file --lq-round-matmul-inputs | FileCheck %s
// A second run changes nothing: its inputs are widened halves.
// RUN: quant-opt %s -split-input-file --lq-round-matmul-inputs --lq-round-matmul-inputs | FileCheck %s
// RUN: quant-opt %s -split-input-file --lq-round-matmul-inputs="type=bf16" | FileCheck %s --check-prefix=BF16
// RUN: quant-opt %s --lq-round-matmul-inputs="functions=decode" | FileCheck %s --check-prefix=DECODE
// RUN: quant-opt %s -split-input-file --lq-round-matmul-inputs="encodings=binary" | FileCheck %s --check-prefix=BINARY
// RUN: quant-opt %s -split-input-file --lq-round-matmul-inputs="min-cols=8" | FileCheck %s --check-prefix=MINCOLS

// One rounded copy per input, read by every matmul of that input (q and k
// here); other readers keep the f32 value.
// CHECK-LABEL: func.func @shared_input(
// CHECK-SAME:    %[[X:.*]]: tensor<2x4xf32>
// CHECK:         %[[E16:.*]] = tensor.empty() : tensor<2x4xf16>
// CHECK:         %[[H:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<2x4xf32>) outs(%[[E16]] : tensor<2x4xf16>)
// CHECK:           arith.truncf %{{.*}} : f32 to f16
// CHECK:         %[[E32:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<2x4xf16>) outs(%[[E32]] : tensor<2x4xf32>)
// CHECK:           arith.extf %{{.*}} : f16 to f32
// CHECK-NOT:     linalg.generic
// CHECK:         lq.matmul %[[W]], %{{.*}} {lq.role = "layers.0.attn.q"}
// CHECK:         lq.matmul %[[W]], %{{.*}} {lq.role = "layers.0.attn.k"}
// CHECK:         return %{{.*}}, %{{.*}}, %[[X]]
// BF16-LABEL: func.func @shared_input(
// BF16:         arith.truncf %{{.*}} : f32 to bf16
// BF16:         arith.extf %{{.*}} : bf16 to f32
func.func @shared_input(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %wq = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %wk = lq.constant codes(dense<2> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %q = lq.matmul %x, %wq {lq.role = "layers.0.attn.q"} : tensor<2x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<2x4xf32>
  %k = lq.matmul %x, %wk {lq.role = "layers.0.attn.k"} : tensor<2x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<2x4xf32>
  return %q, %k, %x : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// W4A8 quantizes its input itself: left alone.
// CHECK-LABEL: func.func @w4a8(
// CHECK-SAME:    %[[X:.*]]: tensor<2x4xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         lq.matmul %[[X]], %{{.*}} act(8)
func.func @w4a8(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %y = lq.matmul %x, %w act(8) {lq.role = "layers.0.mlp.down"} : tensor<2x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// A prompt's T tokens: the rounded copies take the dynamic row count, and
// the pair goes right after the input's definition.
// CHECK-LABEL: func.func @dynamic_rows(
// CHECK:         %[[N:.*]] = linalg.generic
// CHECK:           arith.mulf
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[T:.*]] = tensor.dim %[[N]], %[[C0]] : tensor<?x4xf32>
// CHECK:         %[[E16:.*]] = tensor.empty(%[[T]]) : tensor<?x4xf16>
// CHECK:         %[[H:.*]] = linalg.generic {{.*}} ins(%[[N]] : tensor<?x4xf32>) outs(%[[E16]] : tensor<?x4xf16>)
// CHECK:         %[[E32:.*]] = tensor.empty(%[[T]]) : tensor<?x4xf32>
// CHECK:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<?x4xf16>) outs(%[[E32]] : tensor<?x4xf32>)
// CHECK:         lq.matmul %[[W]], %{{.*}} : tensor<?x4xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @dynamic_rows(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%t) : tensor<?x4xf32>
  // A stand-in for a norm: an element-wise producer the truncation fuses into.
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %w = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %y = lq.matmul %n, %w : tensor<?x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Activations already in f16 (widened by arith.extf): left alone.
// CHECK-LABEL: func.func @already_f16(
// CHECK-SAME:    %[[X16:.*]]: tensor<2x4xf16>
// CHECK:         %[[X:.*]] = arith.extf %[[X16]]
// CHECK-NOT:     linalg.generic
// CHECK:         lq.matmul %[[X]], %{{.*}}
func.func @already_f16(%x16: tensor<2x4xf16>) -> tensor<2x4xf32> {
  %x = arith.extf %x16 : tensor<2x4xf16> to tensor<2x4xf32>
  %w = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %y = lq.matmul %x, %w : tensor<2x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// `encodings` picks the matmuls by the encoding of their weights: with
// binary, the binary-code matmul's input is rounded, the uniform one's not.
// CHECK-LABEL: func.func @encodings(
// CHECK-COUNT-4: linalg.generic
// BINARY-LABEL: func.func @encodings(
// BINARY-SAME:    %[[X:[^:]*]]: tensor<2x32xf32>, %[[Z:[^:]*]]: tensor<2x32xf32>
// BINARY:         %[[H:.*]] = linalg.generic {{.*}} ins(%[[Z]] : tensor<2x32xf32>)
// BINARY:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<2x32xf16>)
// BINARY-NOT:     linalg.generic
// BINARY:         lq.matmul %[[X]], %{{.*}} : tensor<2x32xf32>, !lq.weight<8x32, #lq.uniform
// BINARY:         lq.matmul %[[W]], %{{.*}} : tensor<2x32xf32>, !lq.weight<8x32, #lq.binary
func.func @encodings(%x: tensor<2x32xf32>, %z: tensor<2x32xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %wu = lq.constant codes(dense<1> : tensor<8x16xi8>) scales(dense<1.0> : tensor<8x1xf16>) : !lq.weight<8x32, #lq.uniform<bits = 4, group = 32, symmetric = true>>
  %wb = lq.constant codes(dense<1> : tensor<2x8x4xi8>) scales(dense<1.0> : tensor<8x2x2xf16>) offsets(dense<0.0> : tensor<8x2xf16>) : !lq.weight<8x32, #lq.binary<planes = 2, group = 16>>
  %u = lq.matmul %x, %wu : tensor<2x32xf32>, !lq.weight<8x32, #lq.uniform<bits = 4, group = 32, symmetric = true>> -> tensor<2x8xf32>
  %b = lq.matmul %z, %wb : tensor<2x32xf32>, !lq.weight<8x32, #lq.binary<planes = 2, group = 16>> -> tensor<2x8xf32>
  return %u, %b : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// `functions` restricts the pass to the functions it names.
// DECODE-LABEL: func.func @forward(
// DECODE-NOT:     arith.truncf
// DECODE:         lq.matmul
// DECODE-LABEL: func.func @decode(
// DECODE:         arith.truncf
// DECODE:         lq.matmul
func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %y = lq.matmul %x, %w : tensor<2x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
func.func @decode(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %y = lq.matmul %x, %w : tensor<1x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// min-cols: only the matmuls of a static K of at least 8 read rounded inputs.
// MINCOLS-LABEL: func.func @min_cols(
// MINCOLS-SAME:    %[[X:.*]]: tensor<1x8xf32>, %[[Z:.*]]: tensor<1x4xf32>
// MINCOLS:         %[[H:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x8xf32>) outs(%{{.*}} : tensor<1x8xf16>)
// MINCOLS:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<1x8xf16>) outs(%{{.*}} : tensor<1x8xf32>)
// MINCOLS-NOT:     linalg.generic
// MINCOLS:         lq.matmul %[[W]], %{{.*}} : tensor<1x8xf32>
// MINCOLS:         lq.matmul %[[Z]], %{{.*}} : tensor<1x4xf32>
func.func @min_cols(%x: tensor<1x8xf32>, %z: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %w = lq.constant codes(dense<1> : tensor<4x4xi8>) scales(dense<1.0> : tensor<4x2xf16>) : !lq.weight<4x8, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %v = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %y = lq.matmul %x, %w : tensor<1x8xf32>, !lq.weight<4x8, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<1x4xf32>
  %u = lq.matmul %z, %v : tensor<1x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<1x4xf32>
  return %y, %u : tensor<1x4xf32>, tensor<1x4xf32>
}
