// RUN: quant-opt %s --lq-fuse-sibling-matmuls --split-input-file | FileCheck %s
// RUN: quant-opt %s --lq-fuse-sibling-matmuls="functions=other" --split-input-file | FileCheck %s --check-prefix=SKIP

// Three matmuls of one input, 4-bit uniform weights of 2, 1 and 1 rows: one
// matmul of the 4 stacked rows, each result its columns of it. The stacked
// codes are the rows in order (blob: 4-byte alignment, then the bytes).
// CHECK-LABEL: func.func @three_siblings(
// CHECK-SAME:    %[[X:.*]]: tensor<3x8xf32>
// CHECK:         %[[W:.*]] = lq.constant codes(dense_resource<[[CODES:.*]]> : tensor<4x4xi8>) scales(dense_resource<{{.*}}> : tensor<4x1xf16>) : !lq.weight<4x8, #lq.uniform<bits = 4, group = 8>>
// CHECK:         %[[Y:.*]] = lq.matmul %[[X]], %[[W]] {lq.act_absmax = dense<1.000000e+00> : tensor<8xf32>, lq.role = "q+k+v"} : tensor<3x8xf32>, !lq.weight<4x8, #lq.uniform<bits = 4, group = 8>> -> tensor<3x4xf32>
// CHECK-DAG:     %[[Q:.*]] = tensor.extract_slice %[[Y]][0, 0] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
// CHECK-DAG:     %[[K:.*]] = tensor.extract_slice %[[Y]][0, 2] [3, 1] [1, 1] : tensor<3x4xf32> to tensor<3x1xf32>
// CHECK-DAG:     %[[V:.*]] = tensor.extract_slice %[[Y]][0, 3] [3, 1] [1, 1] : tensor<3x4xf32> to tensor<3x1xf32>
// CHECK:         return %[[Q]], %[[K]], %[[V]]
// CHECK:       [[CODES]]: "0x01000000{{0*}}0102030405060708090A0B0C0D0E0F10"
// SKIP-LABEL: func.func @three_siblings(
// SKIP-COUNT-3: lq.matmul
#u4 = #lq.uniform<bits = 4, group = 8>
func.func @three_siblings(%x: tensor<3x8xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x1xf32>) {
  %wq = lq.constant codes(dense<[[1, 2, 3, 4], [5, 6, 7, 8]]> : tensor<2x4xi8>) scales(dense<[[1.0], [2.0]]> : tensor<2x1xf16>) : !lq.weight<2x8, #u4>
  %wk = lq.constant codes(dense<[[9, 10, 11, 12]]> : tensor<1x4xi8>) scales(dense<[[3.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #u4>
  %wv = lq.constant codes(dense<[[13, 14, 15, 16]]> : tensor<1x4xi8>) scales(dense<[[4.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #u4>
  %q = lq.matmul %x, %wq {lq.role = "q", lq.act_absmax = dense<1.0> : tensor<8xf32>} : tensor<3x8xf32>, !lq.weight<2x8, #u4> -> tensor<3x2xf32>
  %k = lq.matmul %x, %wk {lq.role = "k", lq.act_absmax = dense<1.0> : tensor<8xf32>} : tensor<3x8xf32>, !lq.weight<1x8, #u4> -> tensor<3x1xf32>
  %v = lq.matmul %x, %wv {lq.role = "v", lq.act_absmax = dense<1.0> : tensor<8xf32>} : tensor<3x8xf32>, !lq.weight<1x8, #u4> -> tensor<3x1xf32>
  return %q, %k, %v : tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x1xf32>
}
func.func @other() {
  return
}

// -----

// Binary codes are [planes, rows, bytes]: the rows stack within each plane.
// Scales [rows, groups, planes] and offsets [rows, groups] stack by row.
// CHECK-LABEL: func.func @binary_planes(
// CHECK:         lq.constant codes(dense_resource<[[CODES:.*]]> : tensor<2x2x1xi8>) scales(dense_resource<{{.*}}> : tensor<2x1x2xf16>) offsets(dense_resource<{{.*}}> : tensor<2x1xf16>) : !lq.weight<2x8, #lq.binary<planes = 2, group = 8>>
// CHECK:         lq.matmul {{.*}} -> tensor<1x2xf32>
// CHECK-NOT:     lq.matmul
// CHECK:       [[CODES]]: "0x0100000011332244"
#b2 = #lq.binary<planes = 2, group = 8>
func.func @binary_planes(%x: tensor<1x8xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %wa = lq.constant codes(dense<[[[17]], [[34]]]> : tensor<2x1x1xi8>) scales(dense<[[[1.0, 0.5]]]> : tensor<1x1x2xf16>) offsets(dense<[[0.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #b2>
  %wb = lq.constant codes(dense<[[[51]], [[68]]]> : tensor<2x1x1xi8>) scales(dense<[[[2.0, 1.0]]]> : tensor<1x1x2xf16>) offsets(dense<[[0.25]]> : tensor<1x1xf16>) : !lq.weight<1x8, #b2>
  %a = lq.matmul %x, %wa : tensor<1x8xf32>, !lq.weight<1x8, #b2> -> tensor<1x1xf32>
  %b = lq.matmul %x, %wb : tensor<1x8xf32>, !lq.weight<1x8, #b2> -> tensor<1x1xf32>
  return %a, %b : tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// Not siblings: another input, another encoding, other activation bits, a
// weight with a reference attached. Nothing changes.
// CHECK-LABEL: func.func @not_siblings(
// CHECK-COUNT-5: lq.matmul
#u4g8 = #lq.uniform<bits = 4, group = 8>
#u4pc = #lq.uniform<bits = 4, group = 8, symmetric = false>
func.func @not_siblings(%x: tensor<1x8xf32>, %y: tensor<1x8xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>) {
  %w1 = lq.constant codes(dense<[[1, 2, 3, 4]]> : tensor<1x4xi8>) scales(dense<[[1.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #u4g8>
  %w2 = lq.constant codes(dense<[[1, 2, 3, 4]]> : tensor<1x4xi8>) scales(dense<[[1.0]]> : tensor<1x1xf16>) zero_points(dense<[[8]]> : tensor<1x1xi8>) : !lq.weight<1x8, #u4pc>
  %w3 = lq.constant codes(dense<[[1, 2, 3, 4]]> : tensor<1x4xi8>) scales(dense<[[1.0]]> : tensor<1x1xf16>) {lq.reference = dense<0.0> : tensor<1x8xf32>} : !lq.weight<1x8, #u4g8>
  %a = lq.matmul %x, %w1 : tensor<1x8xf32>, !lq.weight<1x8, #u4g8> -> tensor<1x1xf32>
  %b = lq.matmul %y, %w1 : tensor<1x8xf32>, !lq.weight<1x8, #u4g8> -> tensor<1x1xf32>
  %c = lq.matmul %x, %w2 : tensor<1x8xf32>, !lq.weight<1x8, #u4pc> -> tensor<1x1xf32>
  %d = lq.matmul %y, %w1 act(8) : tensor<1x8xf32>, !lq.weight<1x8, #u4g8> -> tensor<1x1xf32>
  %e = lq.matmul %x, %w3 : tensor<1x8xf32>, !lq.weight<1x8, #u4g8> -> tensor<1x1xf32>
  return %a, %b, %c, %d, %e : tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// The same siblings in two functions (@forward and @decode) share one
// stacked blob per storage tensor, as they shared the siblings' blobs.
// CHECK-LABEL: func.func @forward(
// CHECK:         lq.constant codes(dense_resource<[[CODES:"q\+k.codes"]]> : tensor<2x4xi8>) scales(dense_resource<[[SCALES:"q\+k.scales"]]>
// CHECK-LABEL: func.func @decode(
// CHECK:         lq.constant codes(dense_resource<[[CODES]]> : tensor<2x4xi8>) scales(dense_resource<[[SCALES]]>
// CHECK:       dialect_resources
// CHECK-NEXT:    builtin: {
// CHECK-NEXT:      [[CODES]]: "0x0100000001020304090A0B0C",
// CHECK-NEXT:      [[SCALES]]: "0x02000000003C0042"
// CHECK-NEXT:    }
#u4s = #lq.uniform<bits = 4, group = 8>
func.func @forward(%x: tensor<1x8xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %wq = lq.constant codes(dense<[[1, 2, 3, 4]]> : tensor<1x4xi8>) scales(dense<[[1.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #u4s>
  %wk = lq.constant codes(dense<[[9, 10, 11, 12]]> : tensor<1x4xi8>) scales(dense<[[3.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #u4s>
  %q = lq.matmul %x, %wq {lq.role = "q"} : tensor<1x8xf32>, !lq.weight<1x8, #u4s> -> tensor<1x1xf32>
  %k = lq.matmul %x, %wk {lq.role = "k"} : tensor<1x8xf32>, !lq.weight<1x8, #u4s> -> tensor<1x1xf32>
  return %q, %k : tensor<1x1xf32>, tensor<1x1xf32>
}
func.func @decode(%x: tensor<1x8xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %wq = lq.constant codes(dense<[[1, 2, 3, 4]]> : tensor<1x4xi8>) scales(dense<[[1.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #u4s>
  %wk = lq.constant codes(dense<[[9, 10, 11, 12]]> : tensor<1x4xi8>) scales(dense<[[3.0]]> : tensor<1x1xf16>) : !lq.weight<1x8, #u4s>
  %q = lq.matmul %x, %wq {lq.role = "q"} : tensor<1x8xf32>, !lq.weight<1x8, #u4s> -> tensor<1x1xf32>
  %k = lq.matmul %x, %wk {lq.role = "k"} : tensor<1x8xf32>, !lq.weight<1x8, #u4s> -> tensor<1x1xf32>
  return %q, %k : tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// Splat storage (one value for a whole tensor) stacks spelled out.
// CHECK-LABEL: func.func @splat_zero_points(
// CHECK:         lq.constant codes({{.*}} : tensor<2x4xi8>) scales({{.*}} : tensor<2x2xf16>) zero_points(dense_resource<[[ZP:.*]]> : tensor<2x2xi8>)
// CHECK:       [[ZP]]: "0x0100000008080707"
#u4a = #lq.uniform<bits = 4, group = 4, symmetric = false>
func.func @splat_zero_points(%x: tensor<1x8xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %wq = lq.constant codes(dense<[[1, 2, 3, 4]]> : tensor<1x4xi8>) scales(dense<1.0> : tensor<1x2xf16>) zero_points(dense<8> : tensor<1x2xi8>) : !lq.weight<1x8, #u4a>
  %wk = lq.constant codes(dense<[[9, 10, 11, 12]]> : tensor<1x4xi8>) scales(dense<2.0> : tensor<1x2xf16>) zero_points(dense<7> : tensor<1x2xi8>) : !lq.weight<1x8, #u4a>
  %q = lq.matmul %x, %wq {lq.role = "q"} : tensor<1x8xf32>, !lq.weight<1x8, #u4a> -> tensor<1x1xf32>
  %k = lq.matmul %x, %wk {lq.role = "k"} : tensor<1x8xf32>, !lq.weight<1x8, #u4a> -> tensor<1x1xf32>
  return %q, %k : tensor<1x1xf32>, tensor<1x1xf32>
}
