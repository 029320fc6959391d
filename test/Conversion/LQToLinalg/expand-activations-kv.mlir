// RUN: quant-opt %s --lq-expand %lower-to-llvm | %run-main | FileCheck %s

// lq-expand gives activation and KV-cache quantization their documented
// semantics: values chosen so every code and every dequantized value is
// exact.

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @widen(%c: tensor<?x?xi8>) -> tensor<?x?xi32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %c, %c0 : tensor<?x?xi8>
  %d1 = tensor.dim %c, %c1 : tensor<?x?xi8>
  %e = tensor.empty(%d0, %d1) : tensor<?x?xi32>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c : tensor<?x?xi8>) outs(%e : tensor<?x?xi32>) {
  ^bb0(%a: i8, %b: i32):
    %v = arith.extsi %a : i8 to i32
    linalg.yield %v : i32
  } -> tensor<?x?xi32>
  return %w : tensor<?x?xi32>
}

func.func @main() {
  // Per-token symmetric int8: scale = max|x| / 127 per row.
  %x = arith.constant dense<[[127.0, -63.0, 0.0, 31.0], [254.0, -126.0, 100.0, 2.0]]> : tensor<2x4xf32>
  %q, %s = lq.quantize %x bits(8) : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2x1xf32>
  %qd = tensor.cast %q : tensor<2x4xi8> to tensor<?x?xi8>
  %qw = call @widen(%qd) : (tensor<?x?xi8>) -> tensor<?x?xi32>
  %qu = tensor.cast %qw : tensor<?x?xi32> to tensor<*xi32>
  // CHECK: [127,   -63,   0,   31]
  // CHECK: [127,   -63,   50,   1]
  call @printMemrefI32(%qu) : (tensor<*xi32>) -> ()
  %su = tensor.cast %s : tensor<2x1xf32> to tensor<*xf32>
  // CHECK: [1]
  // CHECK: [2]
  call @printMemrefF32(%su) : (tensor<*xf32>) -> ()
  %d = lq.dequantize %q, %s : tensor<2x4xi8>, tensor<2x1xf32> -> tensor<2x4xf32>
  %du = tensor.cast %d : tensor<2x4xf32> to tensor<*xf32>
  // CHECK: [127,   -63,   0,   31]
  // CHECK: [254,   -126,   100,   2]
  call @printMemrefF32(%du) : (tensor<*xf32>) -> ()

  // A static scale (2): every row uses it, values beyond 127 * 2 clip,
  // the scales result repeats it.
  %sq, %ss = lq.quantize %x bits(8) scale(2.0) : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2x1xf32>
  %sqd = tensor.cast %sq : tensor<2x4xi8> to tensor<?x?xi8>
  %sqw = call @widen(%sqd) : (tensor<?x?xi8>) -> tensor<?x?xi32>
  %squ = tensor.cast %sqw : tensor<?x?xi32> to tensor<*xi32>
  // CHECK: [64,   -32,   0,   16]
  // CHECK: [127,   -63,   50,   1]
  call @printMemrefI32(%squ) : (tensor<*xi32>) -> ()
  %ssu = tensor.cast %ss : tensor<2x1xf32> to tensor<*xf32>
  // CHECK: [2]
  // CHECK: [2]
  call @printMemrefF32(%ssu) : (tensor<*xf32>) -> ()
  %x2 = arith.constant dense<[[300.0, -400.0, 1.0, 3.0]]> : tensor<1x4xf32>
  %sq2, %ss2 = lq.quantize %x2 bits(8) scale(2.0) : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  %sd2 = lq.dequantize %sq2, %ss2 : tensor<1x4xi8>, tensor<1x1xf32> -> tensor<1x4xf32>
  %sdu = tensor.cast %sd2 : tensor<1x4xf32> to tensor<*xf32>
  // CHECK: [254,   -254,   0,   4]
  call @printMemrefF32(%sdu) : (tensor<*xf32>) -> ()

  // KV cache, 4 bits, per-token asymmetric, two codes per byte LSB-first:
  // row 0 has scale 0.2, zero 0, codes [0, 5, 10, 15] -> bytes 0x50, 0xFA.
  %k = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [-1.5, 0.0, 1.5, 3.0]]> : tensor<2x4xf32>
  %kq, %ks, %kz = lq.kv_quantize %k bits(4)
      : tensor<2x4xf32> -> tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xf32>
  %kqd = tensor.cast %kq : tensor<2x2xi8> to tensor<?x?xi8>
  %kqw = call @widen(%kqd) : (tensor<?x?xi8>) -> tensor<?x?xi32>
  %kqu = tensor.cast %kqw : tensor<?x?xi32> to tensor<*xi32>
  // CHECK: [80,   -6]
  // CHECK: [80,   -6]
  call @printMemrefI32(%kqu) : (tensor<*xi32>) -> ()
  %kzu = tensor.cast %kz : tensor<2x1xf32> to tensor<*xf32>
  // CHECK: [0]
  // CHECK: [5]
  call @printMemrefF32(%kzu) : (tensor<*xf32>) -> ()
  %kd = lq.kv_dequantize %kq, %ks, %kz bits(4)
      : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xf32> -> tensor<2x4xf32>
  %kdu = tensor.cast %kd : tensor<2x4xf32> to tensor<*xf32>
  // CHECK: [0,   1,   2,   3]
  // CHECK: [-1.5,   0,   1.5,   3]
  call @printMemrefF32(%kdu) : (tensor<*xf32>) -> ()

  // 2-D: channels divided by their static scale first, multiplied back after.
  %cs = arith.constant dense<[1.0, 2.0, 4.0, 8.0]> : tensor<4xf32>
  %v = arith.constant dense<[[0.0, 2.0, 8.0, 24.0]]> : tensor<1x4xf32>
  %vq, %vs, %vz = lq.kv_quantize %v channel_scale(%cs : tensor<4xf32>) bits(4)
      : tensor<1x4xf32> -> tensor<1x2xi8>, tensor<1x1xf32>, tensor<1x1xf32>
  %vd = lq.kv_dequantize %vq, %vs, %vz channel_scale(%cs : tensor<4xf32>) bits(4)
      : tensor<1x2xi8>, tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x4xf32>
  %vdu = tensor.cast %vd : tensor<1x4xf32> to tensor<*xf32>
  // CHECK: [0,   2,   8,   24]
  call @printMemrefF32(%vdu) : (tensor<*xf32>) -> ()
  return
}
