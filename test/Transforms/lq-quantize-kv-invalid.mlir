// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-quantize-kv
// RUN: not quant-opt %s -split-input-file --lq-quantize-kv="bits=3" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: lq-quantize-kv: bits must be 2, 4 or 8 (whole codes per byte), got 3

// expected-error @below {{lq-quantize-kv needs the transformer's structure: no linear is tagged as a key or value projection}}
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
    return %x : tensor<2x2xf32>
  }
}

// -----

// 2-D quantization needs the calibrated ranges of the values.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    // expected-error @below {{lq-quantize-kv needs the calibration statistic 'lq.out_absmax' on linear 'layers.0.attn.v'}}
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>) {lq.role = "layers.0.attn.v"} -> tensor<3x2xf32>
    %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    return %v3 : tensor<3x1x2xf32>
  }
}

// -----

// A transform still in place: the statistics would not describe the cache.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.v", lq.out_absmax = dense<1.0> : tensor<2xf32>} -> tensor<3x2xf32>
    // expected-error @below {{a transform is still in place after 'layers.0.attn.v' (run lq-merge-fpt first}}
    %t = lq.fpt.scale %v {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<3x2xf32>
    %v3 = tensor.expand_shape %t [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    return %v3 : tensor<3x1x2xf32>
  }
}

// -----

// Keys without RoPE after them.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    // expected-error @below {{no RoPE after 'layers.0.attn.k': cannot tell where the cached keys are}}
    %k = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.k", lq.out_absmax = dense<1.0> : tensor<2xf32>} -> tensor<3x2xf32>
    %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    return %k3 : tensor<3x1x2xf32>
  }
}

// -----

// Values that neither reach attention nor a cache.
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>) -> tensor<3x1x2xf32> {
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.v", lq.out_absmax = dense<1.0> : tensor<2xf32>} -> tensor<3x2xf32>
    %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    // expected-error @below {{unrecognized use of the values of 'layers.0.attn.v' (expected attention or a cache write)}}
    return %v3 : tensor<3x1x2xf32>
  }
}

// -----

// Past-only rewrites attention as a plain contraction plus a diagonal fix-up;
// a contraction whose body reads its loop indices is not one it can split.
#p = affine_map<(t, kv, g, d, s) -> (kv, g, t, s)>
#v = affine_map<(t, kv, g, d, s) -> (s, kv, d)>
#o = affine_map<(t, kv, g, d, s) -> (t, kv, g, d)>
module attributes {lq.model = {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64, rope_style = "half"}} {
  func.func @f(%x: tensor<3x2xf32>, %i: tensor<3x2xf32>, %w: tensor<2x2xf32>, %p: tensor<1x1x3x3xf32>, %o: tensor<3x1x1x2xf32>) -> tensor<3x1x1x2xf32> {
    %v = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i : tensor<3x2xf32>)
        {lq.role = "layers.0.attn.v", lq.out_absmax = dense<1.0> : tensor<2xf32>} -> tensor<3x2xf32>
    %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
    // expected-error @below {{lq-quantize-kv: unrecognized attention form (indexed body)}}
    %a = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
        ins(%p, %v3 : tensor<1x1x3x3xf32>, tensor<3x1x2xf32>) outs(%o : tensor<3x1x1x2xf32>) {
    ^bb0(%pp: f32, %vv: f32, %acc: f32):
      %s = linalg.index 4 : index
      %si = arith.index_cast %s : index to i32
      %sf = arith.sitofp %si : i32 to f32
      %m = arith.mulf %pp, %vv : f32
      %w2 = arith.mulf %m, %sf : f32
      %r = arith.addf %acc, %w2 : f32
      linalg.yield %r : f32
    } -> tensor<3x1x1x2xf32>
    return %a : tensor<3x1x1x2xf32>
  }
}
