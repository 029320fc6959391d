// RUN: quant-opt %s %lower-to-llvm | %run-main > %t.ref
// RUN: quant-opt %s --lq-insert-fpt --lq-expand %lower-to-llvm | %run-main > %t.inserted
// RUN: quant-opt %s --lq-insert-fpt --lq-merge-fpt -o %t.merged.mlir
// RUN: FileCheck %s --check-prefix=MERGED < %t.merged.mlir
// RUN: quant-opt %t.merged.mlir %lower-to-llvm | %run-main > %t.merged
// RUN: %python %S/../Inputs/compare-floats.py %t.inserted %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: %python %S/../Inputs/compare-floats.py %t.merged %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: quant-opt %s --lq-smooth --lq-merge-fpt %lower-to-llvm | %run-main > %t.smoothed
// RUN: %python %S/../Inputs/compare-floats.py %t.smoothed %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: quant-opt %s --lq-insert-fpt --lq-smooth --lq-merge-fpt %lower-to-llvm | %run-main > %t.both
// RUN: %python %S/../Inputs/compare-floats.py %t.both %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: quant-opt %s --lq-insert-fpt=residual=true --lq-merge-fpt -o %t.rotated.mlir
// RUN: FileCheck %s --check-prefix=MERGED < %t.rotated.mlir
// RUN: quant-opt %t.rotated.mlir %lower-to-llvm | %run-main > %t.rotated
// RUN: %python %S/../Inputs/compare-floats.py %t.rotated %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: quant-opt %t.rotated.mlir --lq-smooth --lq-merge-fpt %lower-to-llvm | %run-main > %t.rotated-smoothed
// RUN: %python %S/../Inputs/compare-floats.py %t.rotated-smoothed %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: not quant-opt %s --lq-insert-fpt=residual=true --lq-smooth 2>&1 | FileCheck %s --check-prefix=ORDER
// ORDER: run lq-merge-fpt before lq-smooth

// Function preservation of lq-insert-fpt and lq-merge-fpt on a whole model
// (rope_style "interleaved", 2 layers, 2 query heads sharing 1 KV head): the logits
// of @forward on 6 tokens and of 3 @decode steps (caches threaded) agree
// with the original to 1e-4 relative, with the transform pairs in place
// (expanded), once merged into the weights, with QQQ's smoothing pairs
// (alone and on top of the FPTs) merged, and with the residual stream
// rotated (embedding table, norms and every linear merged), and smoothed
// on top of the merged rotation (smoothing over an unmerged rotation is
// refused: the pair would not commute with it).
// CHECK: MATCH 144 values

// Nothing mergeable is left, and @forward and @decode share every merged
// weight (one blob per weight).
// MERGED-NOT: lq.fpt
// MERGED-NOT: .fpt_

// The model: quant-import of a random checkpoint (test/Inputs/make-tiny-llama.py --format llama2c --dim 8 --hidden 12 --layers 2 --heads 2 --kv-heads 1 --vocab 16 --context 8 --seed 12),
// with synthetic calibration statistics (lq.act_absmax, lq.hessian,
// lq.tokens; lq.out_* on k/v) on @forward's linears only, and a @main.
#map = affine_map<(d0, d1) -> (d0)>
#map1 = affine_map<(d0, d1) -> (d0, d1)>
#map2 = affine_map<(d0, d1) -> (d1)>
#map3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#map4 = affine_map<(d0, d1, d2) -> (d1, d2)>
#map5 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map6 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map7 = affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d1, d4)>
#map8 = affine_map<(d0, d1, d2, d3, d4) -> (d3, d0, d4)>
#map9 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#map10 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map11 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map12 = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d0, d4)>
#map13 = affine_map<(d0, d1, d2, d3, d4) -> (d4, d1, d3)>
#map14 = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#map15 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
#map16 = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
module attributes {lq.model = {arch = "llama", context = 8 : i64, dim = 8 : i64, head_dim = 4 : i64, heads = 2 : i64, hidden_dim = 12 : i64, kv_heads = 1 : i64, layers = 2 : i64, norm_eps = 9.99999974E-6 : f32, rope_style = "interleaved", rope_theta = 1.000000e+04 : f32, tied = false, vocab = 16 : i64}} {
  func.func @forward(%arg0: tensor<1x?xi64>) -> tensor<1x?x16xf32> attributes {llvm.emit_c_interface} {
    %cst = arith.constant dense_resource<model.embed_tokens.weight> : tensor<16x8xf32>
    %cst_0 = arith.constant dense_resource<model.layers.0.input_layernorm.weight> : tensor<8xf32>
    %cst_1 = arith.constant dense_resource<model.layers.0.self_attn.q_proj.weight> : tensor<8x8xf32>
    %cst_2 = arith.constant dense_resource<model.layers.0.self_attn.k_proj.weight> : tensor<4x8xf32>
    %cst_3 = arith.constant dense_resource<model.layers.0.self_attn.v_proj.weight> : tensor<4x8xf32>
    %cst_4 = arith.constant dense_resource<rope.cos> : tensor<8x2xf32>
    %cst_5 = arith.constant dense_resource<rope.sin> : tensor<8x2xf32>
    %cst_6 = arith.constant dense_resource<model.layers.0.self_attn.o_proj.weight> : tensor<8x8xf32>
    %cst_7 = arith.constant dense_resource<model.layers.0.post_attention_layernorm.weight> : tensor<8xf32>
    %cst_8 = arith.constant dense_resource<model.layers.0.mlp.gate_proj.weight> : tensor<12x8xf32>
    %cst_9 = arith.constant dense_resource<model.layers.0.mlp.up_proj.weight> : tensor<12x8xf32>
    %cst_10 = arith.constant dense_resource<model.layers.0.mlp.down_proj.weight> : tensor<8x12xf32>
    %cst_11 = arith.constant dense_resource<model.layers.1.input_layernorm.weight> : tensor<8xf32>
    %cst_12 = arith.constant dense_resource<model.layers.1.self_attn.q_proj.weight> : tensor<8x8xf32>
    %cst_13 = arith.constant dense_resource<model.layers.1.self_attn.k_proj.weight> : tensor<4x8xf32>
    %cst_14 = arith.constant dense_resource<model.layers.1.self_attn.v_proj.weight> : tensor<4x8xf32>
    %cst_15 = arith.constant dense_resource<model.layers.1.self_attn.o_proj.weight> : tensor<8x8xf32>
    %cst_16 = arith.constant dense_resource<model.layers.1.post_attention_layernorm.weight> : tensor<8xf32>
    %cst_17 = arith.constant dense_resource<model.layers.1.mlp.gate_proj.weight> : tensor<12x8xf32>
    %cst_18 = arith.constant dense_resource<model.layers.1.mlp.up_proj.weight> : tensor<12x8xf32>
    %cst_19 = arith.constant dense_resource<model.layers.1.mlp.down_proj.weight> : tensor<8x12xf32>
    %cst_20 = arith.constant dense_resource<model.norm.weight> : tensor<8xf32>
    %cst_21 = arith.constant dense_resource<lm_head.weight> : tensor<16x8xf32>
    %c1 = arith.constant 1 : index
    %dim = tensor.dim %arg0, %c1 : tensor<1x?xi64>
    %collapsed = tensor.collapse_shape %arg0 [[0, 1]] : tensor<1x?xi64> into tensor<?xi64>
    %c0 = arith.constant 0 : index
    %0 = tensor.empty(%dim) : tensor<?x8xf32>
    %1 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel"]} ins(%collapsed : tensor<?xi64>) outs(%0 : tensor<?x8xf32>) {
    ^bb0(%in: i64, %out: f32):
      %128 = arith.index_cast %in : i64 to index
      %129 = linalg.index 1 : index
      %extracted = tensor.extract %cst[%128, %129] : tensor<16x8xf32>
      linalg.yield %extracted : f32
    } -> tensor<?x8xf32>
    %cst_22 = arith.constant 0.000000e+00 : f64
    %2 = tensor.empty(%dim) : tensor<?xf64>
    %3 = linalg.fill ins(%cst_22 : f64) outs(%2 : tensor<?xf64>) -> tensor<?xf64>
    %4 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%1 : tensor<?x8xf32>) outs(%3 : tensor<?xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<?xf64>
    %5 = tensor.empty(%dim) : tensor<?x8xf32>
    %6 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%1, %4, %cst_0 : tensor<?x8xf32>, tensor<?xf64>, tensor<8xf32>) outs(%5 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f64, %in_77: f32, %out: f32):
      %cst_78 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_76, %cst_78 : f64
      %cst_79 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_79 : f64
      %130 = math.sqrt %129 : f64
      %cst_80 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_80, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_77 : f32
      linalg.yield %134 : f32
    } -> tensor<?x8xf32>
    %cst_23 = arith.constant 0.000000e+00 : f32
    %7 = tensor.empty(%dim) : tensor<?x8xf32>
    %8 = linalg.fill ins(%cst_23 : f32) outs(%7 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %9 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.q", lq.act_absmax = dense<[5.26028, 6.23024, 3.10205, 2.46933, 2.93814, 2.73769, 2.41348, 2.92585]> : tensor<8xf32>, lq.hessian = dense<[[126.417, 23.1571, 3.57809, -3.96394, -15.1949, 5.07728, 0.347469, 33.2169], [23.1571, 374.609, 4.19499, 2.51793, -7.11188, -0.152109, -4.50046, 37.2042], [3.57809, 4.19499, 100.508, -10.9248, -1.93508, 7.66965, 12.1816, -24.2555], [-3.96394, 2.51793, -10.9248, 47.0245, 0.511565, 8.62785, 2.09039, -7.8042], [-15.1949, -7.11188, -1.93508, 0.511565, 52.2442, 1.58832, -0.0191622, -6.95319], [5.07728, -0.152109, 7.66965, 8.62785, 1.58832, 37.1039, 3.47151, 7.23164], [0.347469, -4.50046, 12.1816, 2.09039, -0.0191622, 3.47151, 33.0632, 2.11781], [33.2169, 37.2042, -24.2555, -7.8042, -6.95319, 7.23164, 2.11781, 72.1095]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%6, %cst_1 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%8 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %cst_24 = arith.constant 0.000000e+00 : f32
    %10 = tensor.empty(%dim) : tensor<?x4xf32>
    %11 = linalg.fill ins(%cst_24 : f32) outs(%10 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %12 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.k", lq.act_absmax = dense<[1.71115, 1.85495, 1.22139, 2.09917, 11.5794, 1.92402, 1.31636, 3.21918]> : tensor<8xf32>, lq.hessian = dense<[[25.3395, 2.1832, -0.639684, -5.05077, -37.1415, -0.316802, 2.02373, -5.01923], [2.1832, 18.1533, -1.82408, -3.60113, -16.0913, -4.0074, -0.482993, -8.33418], [-0.639684, -1.82408, 13.1888, 0.50077, -1.68247, 4.3578, -0.907474, 6.00955], [-5.05077, -3.60113, 0.50077, 26.8001, 66.373, -3.17134, 0.682441, -3.97812], [-37.1415, -16.0913, -1.68247, 66.373, 1522.42, 27.514, -32.8575, -59.371], [-0.316802, -4.0074, 4.3578, -3.17134, 27.514, 32.0838, 3.05007, 7.16189], [2.02373, -0.482993, -0.907474, 0.682441, -32.8575, 3.05007, 16.9355, -0.30582], [-5.01923, -8.33418, 6.00955, -3.97812, -59.371, 7.16189, -0.30582, 92.0316]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[2.93423, 1.92964, 1.79101, 1.59996]> : tensor<4xf32>, lq.out_min = dense<[-1.77881, -1.86345, -1.53922, -1.20524]> : tensor<4xf32>, lq.out_max = dense<[2.93423, 1.92964, 1.79101, 1.59996]> : tensor<4xf32>} ins(%6, %cst_2 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%11 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %cst_25 = arith.constant 0.000000e+00 : f32
    %13 = tensor.empty(%dim) : tensor<?x4xf32>
    %14 = linalg.fill ins(%cst_25 : f32) outs(%13 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %15 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.v", lq.act_absmax = dense<[1.20536, 0.874979, 0.783696, 2.84841, 2.92372, 1.72959, 1.99162, 1.15811]> : tensor<8xf32>, lq.hessian = dense<[[11.2209, -0.47851, -0.604514, -4.29282, 0.456698, 0.51169, 3.21086, -0.448167], [-0.47851, 9.08489, 0.0606647, -0.0745459, 0.563293, 4.16524, 1.85981, 0.439599], [-0.604514, 0.0606647, 5.13884, -1.61409, -3.12382, 2.58292, -0.779653, 2.31709], [-4.29282, -0.0745459, -1.61409, 69.59, 14.8918, 2.79298, -16.4313, -6.99592], [0.456698, 0.563293, -3.12382, 14.8918, 55.56, -1.03369, 2.07505, -1.94095], [0.51169, 4.16524, 2.58292, 2.79298, -1.03369, 26.8516, 1.73925, 1.51514], [3.21086, 1.85981, -0.779653, -16.4313, 2.07505, 1.73925, 38.3286, -1.35108], [-0.448167, 0.439599, 2.31709, -6.99592, -1.94095, 1.51514, -1.35108, 9.99442]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[2.85128, 2.76742, 2.03166, 1.97429]> : tensor<4xf32>, lq.out_min = dense<[-1.06119, -0.84436, -0.901645, -1.58834]> : tensor<4xf32>, lq.out_max = dense<[2.85128, 2.76742, 2.03166, 1.97429]> : tensor<4xf32>} ins(%6, %cst_3 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%14 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %expanded = tensor.expand_shape %9 [[0], [1, 2]] output_shape [%dim, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
    %c0_26 = arith.constant 0 : index
    %dim_27 = tensor.dim %expanded, %c0_26 : tensor<?x2x4xf32>
    %16 = tensor.empty(%dim_27) : tensor<?x2x4xf32>
    %17 = linalg.generic {indexing_maps = [#map6, #map6], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded : tensor<?x2x4xf32>) outs(%16 : tensor<?x2x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %c0, %128 : index
      %c1_76 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_76 : index
      %c0_77 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_77 : index
      %c1_78 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_78 : index
      %c1_79 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_79 : index
      %extracted = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_80 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_81 = tensor.extract %expanded[%128, %129, %135] : tensor<?x2x4xf32>
      %136 = arith.mulf %in, %extracted : f32
      %137 = arith.mulf %extracted_81, %extracted_80 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<?x2x4xf32>
    %expanded_28 = tensor.expand_shape %12 [[0], [1, 2]] output_shape [%dim, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
    %expanded_29 = tensor.expand_shape %15 [[0], [1, 2]] output_shape [%dim, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
    %c0_30 = arith.constant 0 : index
    %dim_31 = tensor.dim %expanded_28, %c0_30 : tensor<?x1x4xf32>
    %18 = tensor.empty(%dim_31) : tensor<?x1x4xf32>
    %19 = linalg.generic {indexing_maps = [#map6, #map6], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded_28 : tensor<?x1x4xf32>) outs(%18 : tensor<?x1x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %c0, %128 : index
      %c1_76 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_76 : index
      %c0_77 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_77 : index
      %c1_78 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_78 : index
      %c1_79 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_79 : index
      %extracted = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_80 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_81 = tensor.extract %expanded_28[%128, %129, %135] : tensor<?x1x4xf32>
      %136 = arith.mulf %in, %extracted : f32
      %137 = arith.mulf %extracted_81, %extracted_80 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<?x1x4xf32>
    %expanded_32 = tensor.expand_shape %17 [[0], [1, 2], [3]] output_shape [%dim, 1, 2, 4] : tensor<?x2x4xf32> into tensor<?x1x2x4xf32>
    %cst_33 = arith.constant 0.000000e+00 : f32
    %20 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %21 = linalg.fill ins(%cst_33 : f32) outs(%20 : tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %22 = linalg.generic {indexing_maps = [#map7, #map8, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%expanded_32, %19 : tensor<?x1x2x4xf32>, tensor<?x1x4xf32>) outs(%21 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.mulf %in, %in_76 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x?x?xf32>
    %23 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %24 = linalg.generic {indexing_maps = [#map10, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%22 : tensor<1x2x?x?xf32>) outs(%23 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 2 : index
      %129 = linalg.index 3 : index
      %130 = arith.addi %c0, %128 : index
      %131 = arith.cmpi ule, %129, %130 : index
      %cst_76 = arith.constant 5.000000e-01 : f32
      %132 = arith.mulf %in, %cst_76 : f32
      %cst_77 = arith.constant 0xFF800000 : f32
      %133 = arith.select %131, %132, %cst_77 : f32
      linalg.yield %133 : f32
    } -> tensor<1x2x?x?xf32>
    %cst_34 = arith.constant 0xFF800000 : f32
    %25 = tensor.empty(%dim) : tensor<1x2x?xf32>
    %26 = linalg.fill ins(%cst_34 : f32) outs(%25 : tensor<1x2x?xf32>) -> tensor<1x2x?xf32>
    %27 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%24 : tensor<1x2x?x?xf32>) outs(%26 : tensor<1x2x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.maximumf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x?xf32>
    %28 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %29 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%24, %27 : tensor<1x2x?x?xf32>, tensor<1x2x?xf32>) outs(%28 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.subf %in, %in_76 : f32
      %129 = math.exp %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x?x?xf32>
    %cst_35 = arith.constant 0.000000e+00 : f32
    %30 = tensor.empty(%dim) : tensor<1x2x?xf32>
    %31 = linalg.fill ins(%cst_35 : f32) outs(%30 : tensor<1x2x?xf32>) -> tensor<1x2x?xf32>
    %32 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%29 : tensor<1x2x?x?xf32>) outs(%31 : tensor<1x2x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.addf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x?xf32>
    %33 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %34 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%29, %32 : tensor<1x2x?x?xf32>, tensor<1x2x?xf32>) outs(%33 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %cst_77 = arith.constant 1.000000e+00 : f32
      %128 = arith.divf %cst_77, %in_76 : f32
      %129 = arith.mulf %in, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x?x?xf32>
    %cst_36 = arith.constant 0.000000e+00 : f32
    %35 = tensor.empty(%dim) : tensor<?x1x2x4xf32>
    %36 = linalg.fill ins(%cst_36 : f32) outs(%35 : tensor<?x1x2x4xf32>) -> tensor<?x1x2x4xf32>
    %37 = linalg.generic {indexing_maps = [#map12, #map13, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%34, %expanded_29 : tensor<1x2x?x?xf32>, tensor<?x1x4xf32>) outs(%36 : tensor<?x1x2x4xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.mulf %in, %in_76 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<?x1x2x4xf32>
    %collapsed_37 = tensor.collapse_shape %37 [[0], [1, 2, 3]] : tensor<?x1x2x4xf32> into tensor<?x8xf32>
    %cst_38 = arith.constant 0.000000e+00 : f32
    %38 = tensor.empty(%dim) : tensor<?x8xf32>
    %39 = linalg.fill ins(%cst_38 : f32) outs(%38 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %40 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.o", lq.act_absmax = dense<[2.16448, 30.8736, 0.633913, 0.809239, 3.60235, 1.00554, 2.61792, 2.0033]> : tensor<8xf32>, lq.hessian = dense<[[56.069, -63.2779, 0.885321, 3.6167, 7.03956, -3.04982, -4.01885, 6.41709], [-63.2779, 8658.81, -2.54031, -21.8996, 53.4217, -3.48117, -22.6284, -53.8455], [0.885321, -2.54031, 3.5366, -0.37041, 0.321343, -0.532692, 0.906863, -0.304176], [3.6167, -21.8996, -0.37041, 4.98292, -0.840377, 0.178737, 1.10763, 0.541296], [7.03956, 53.4217, 0.321343, -0.840377, 96.6254, 3.21447, -10.039, 14.7499], [-3.04982, -3.48117, -0.532692, 0.178737, 3.21447, 8.31865, -2.58853, -1.23995], [-4.01885, -22.6284, 0.906863, 1.10763, -10.039, -2.58853, 58.9167, -6.66838], [6.41709, -53.8455, -0.304176, 0.541296, 14.7499, -1.23995, -6.66838, 23.3857]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%collapsed_37, %cst_6 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%39 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %c0_39 = arith.constant 0 : index
    %dim_40 = tensor.dim %1, %c0_39 : tensor<?x8xf32>
    %41 = tensor.empty(%dim_40) : tensor<?x8xf32>
    %42 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%1, %40 : tensor<?x8xf32>, tensor<?x8xf32>) outs(%41 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.addf %in, %in_76 : f32
      linalg.yield %128 : f32
    } -> tensor<?x8xf32>
    %cst_41 = arith.constant 0.000000e+00 : f64
    %43 = tensor.empty(%dim) : tensor<?xf64>
    %44 = linalg.fill ins(%cst_41 : f64) outs(%43 : tensor<?xf64>) -> tensor<?xf64>
    %45 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%42 : tensor<?x8xf32>) outs(%44 : tensor<?xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<?xf64>
    %46 = tensor.empty(%dim) : tensor<?x8xf32>
    %47 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%42, %45, %cst_7 : tensor<?x8xf32>, tensor<?xf64>, tensor<8xf32>) outs(%46 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f64, %in_77: f32, %out: f32):
      %cst_78 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_76, %cst_78 : f64
      %cst_79 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_79 : f64
      %130 = math.sqrt %129 : f64
      %cst_80 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_80, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_77 : f32
      linalg.yield %134 : f32
    } -> tensor<?x8xf32>
    %cst_42 = arith.constant 0.000000e+00 : f32
    %48 = tensor.empty(%dim) : tensor<?x12xf32>
    %49 = linalg.fill ins(%cst_42 : f32) outs(%48 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %50 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.gate", lq.act_absmax = dense<[2.55075, 1.57709, 2.43814, 1.36629, 1.73063, 2.66284, 4.07523, 0.739771]> : tensor<8xf32>, lq.hessian = dense<[[43.9326, -0.840476, -9.9834, -7.42318, 8.44095, 6.01486, 8.73526, -1.2493], [-0.840476, 22.0442, 4.61961, 2.53968, 0.759367, 7.23629, 5.19991, 0.0365213], [-9.9834, 4.61961, 68.9086, -5.89122, 0.342612, 5.07551, 12.6655, -0.550591], [-7.42318, 2.53968, -5.89122, 13.9019, -0.988158, 1.40942, -6.25437, 0.804749], [8.44095, 0.759367, 0.342612, -0.988158, 28.4768, 9.27614, 0.471639, 2.28319], [6.01486, 7.23629, 5.07551, 1.40942, 9.27614, 59.401, -3.12017, 5.64065], [8.73526, 5.19991, 12.6655, -6.25437, 0.471639, -3.12017, 122.163, 2.26272], [-1.2493, 0.0365213, -0.550591, 0.804749, 2.28319, 5.64065, 2.26272, 4.68549]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%47, %cst_8 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%49 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %cst_43 = arith.constant 0.000000e+00 : f32
    %51 = tensor.empty(%dim) : tensor<?x12xf32>
    %52 = linalg.fill ins(%cst_43 : f32) outs(%51 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %53 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.up", lq.act_absmax = dense<[1.8677, 2.50282, 3.85284, 0.726692, 2.54299, 3.20619, 3.48545, 2.95705]> : tensor<8xf32>, lq.hessian = dense<[[29.7581, -15.4659, -17.5866, -1.82173, 0.660517, -1.8719, -1.04688, -1.42791], [-15.4659, 82.8749, 35.0842, 2.31523, 15.3665, 1.46744, 3.05073, -4.29216], [-17.5866, 35.0842, 146.612, 0.233615, 12.1645, 19.3579, 13.8279, 12.1197], [-1.82173, 2.31523, 0.233615, 4.70178, -2.70362, -2.32173, -0.0915016, -0.827155], [0.660517, 15.3665, 12.1645, -2.70362, 45.0096, -7.39797, 0.865627, -3.672], [-1.8719, 1.46744, 19.3579, -2.32173, -7.39797, 92.033, 14.0009, -3.11629], [-1.04688, 3.05073, 13.8279, -0.0915016, 0.865627, 14.0009, 113.692, 9.24008], [-1.42791, -4.29216, 12.1197, -0.827155, -3.672, -3.11629, 9.24008, 85.483]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%47, %cst_9 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%52 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %54 = tensor.empty(%dim) : tensor<?x12xf32>
    %55 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%50, %53 : tensor<?x12xf32>, tensor<?x12xf32>) outs(%54 : tensor<?x12xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.negf %in : f32
      %129 = math.exp %128 : f32
      %cst_77 = arith.constant 1.000000e+00 : f32
      %130 = arith.addf %cst_77, %129 : f32
      %131 = arith.divf %in, %130 : f32
      %132 = arith.mulf %131, %in_76 : f32
      linalg.yield %132 : f32
    } -> tensor<?x12xf32>
    %cst_44 = arith.constant 0.000000e+00 : f32
    %56 = tensor.empty(%dim) : tensor<?x8xf32>
    %57 = linalg.fill ins(%cst_44 : f32) outs(%56 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %58 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[2.67155, 2.568, 2.83698, 4.85093, 1.36893, 2.08768, 2.59647, 2.84166, 2.62735, 1.35278, 1.63843, 8.25337]> : tensor<12xf32>, lq.hessian = dense<[[81.2445, 6.47709, 4.55067, -11.5978, 9.1644, -0.196159, -15.4189, 3.58024, -7.02039, 2.10012, 17.6882, 20.8525], [6.47709, 48.2156, -10.547, -5.19727, 3.27605, -19.4067, -8.73638, -5.33708, -10.9737, 2.02363, 6.62079, 23.4329], [4.55067, -10.547, 49.9486, -13.3557, -6.01696, -7.26653, 8.16942, -11.5696, 3.74377, 2.86204, -3.99435, 23.8914], [-11.5978, -5.19727, -13.3557, 88.0885, -3.49291, 13.4062, 3.41642, 4.44034, -8.24415, 4.65087, -11.1151, 17.2284], [9.1644, 3.27605, -6.01696, -3.49291, 21.4222, -4.03622, -0.720555, 0.419552, -6.33249, -2.23674, 6.64957, -9.68125], [-0.196159, -19.4067, -7.26653, 13.4062, -4.03622, 49.1435, -9.12595, 10.1867, 10.7217, -1.12559, 0.950526, -19.0071], [-15.4189, -8.73638, 8.16942, 3.41642, -0.720555, -9.12595, 70.3972, -11.8401, 8.73705, -4.30965, -8.24544, 5.83737], [3.58024, -5.33708, -11.5696, 4.44034, 0.419552, 10.1867, -11.8401, 54.4147, -4.6412, 9.5498, -7.8543, 7.81857], [-7.02039, -10.9737, 3.74377, -8.24415, -6.33249, 10.7217, 8.73705, -4.6412, 58.053, -5.51373, 7.96761, -3.18448], [2.10012, 2.02363, 2.86204, 4.65087, -2.23674, -1.12559, -4.30965, 9.5498, -5.51373, 18.1223, 1.61525, 6.05048], [17.6882, 6.62079, -3.99435, -11.1151, 6.64957, 0.950526, -8.24544, -7.8543, 7.96761, 1.61525, 32.5962, -5.49724], [20.8525, 23.4329, 23.8914, 17.2284, -9.68125, -19.0071, 5.83737, 7.81857, -3.18448, 6.05048, -5.49724, 422.532]]> : tensor<12x12xf32>, lq.tokens = 48 : i64} ins(%55, %cst_10 : tensor<?x12xf32>, tensor<8x12xf32>) outs(%57 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %c0_45 = arith.constant 0 : index
    %dim_46 = tensor.dim %42, %c0_45 : tensor<?x8xf32>
    %59 = tensor.empty(%dim_46) : tensor<?x8xf32>
    %60 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%42, %58 : tensor<?x8xf32>, tensor<?x8xf32>) outs(%59 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.addf %in, %in_76 : f32
      linalg.yield %128 : f32
    } -> tensor<?x8xf32>
    %cst_47 = arith.constant 0.000000e+00 : f64
    %61 = tensor.empty(%dim) : tensor<?xf64>
    %62 = linalg.fill ins(%cst_47 : f64) outs(%61 : tensor<?xf64>) -> tensor<?xf64>
    %63 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%60 : tensor<?x8xf32>) outs(%62 : tensor<?xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<?xf64>
    %64 = tensor.empty(%dim) : tensor<?x8xf32>
    %65 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%60, %63, %cst_11 : tensor<?x8xf32>, tensor<?xf64>, tensor<8xf32>) outs(%64 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f64, %in_77: f32, %out: f32):
      %cst_78 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_76, %cst_78 : f64
      %cst_79 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_79 : f64
      %130 = math.sqrt %129 : f64
      %cst_80 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_80, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_77 : f32
      linalg.yield %134 : f32
    } -> tensor<?x8xf32>
    %cst_48 = arith.constant 0.000000e+00 : f32
    %66 = tensor.empty(%dim) : tensor<?x8xf32>
    %67 = linalg.fill ins(%cst_48 : f32) outs(%66 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %68 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.q", lq.act_absmax = dense<[9.99979, 1.37012, 2.22552, 1.83817, 1.49759, 2.04344, 2.5394, 1.94919]> : tensor<8xf32>, lq.hessian = dense<[[973.355, 5.48065, -1.20858, 5.76861, 1.06508, -5.28012, 8.7911, 14.958], [5.48065, 9.72985, 2.64004, -4.77549, 1.31263, 4.13995, -1.62853, 2.88621], [-1.20858, 2.64004, 41.3726, 5.60611, -1.41918, -8.34257, -11.05, 7.69646], [5.76861, -4.77549, 5.60611, 33.1995, 7.83612, -7.12394, -7.50115, 1.56548], [1.06508, 1.31263, -1.41918, 7.83612, 23.1029, 1.08883, -5.92496, -0.928766], [-5.28012, 4.13995, -8.34257, -7.12394, 1.08883, 40.6947, -11.273, -1.05103], [8.7911, -1.62853, -11.05, -7.50115, -5.92496, -11.273, 53.0308, 2.15679], [14.958, 2.88621, 7.69646, 1.56548, -0.928766, -1.05103, 2.15679, 23.388]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%65, %cst_12 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%67 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %cst_49 = arith.constant 0.000000e+00 : f32
    %69 = tensor.empty(%dim) : tensor<?x4xf32>
    %70 = linalg.fill ins(%cst_49 : f32) outs(%69 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %71 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.k", lq.act_absmax = dense<[1.2332, 19.6574, 1.56004, 7.62723, 4.23464, 1.8457, 3.38495, 2.27957]> : tensor<8xf32>, lq.hessian = dense<[[15.7429, 11.4367, 0.162811, 10.175, -0.551069, 0.928747, -0.908338, -1.31763], [11.4367, 4666.63, -92.6096, -295.287, 94.4329, -122.727, 72.2839, 11.5277], [0.162811, -92.6096, 15.6155, 26.1986, -3.93228, 0.151873, -0.0204301, -2.49114], [10.175, -295.287, 26.1986, 438.647, 52.8998, -12.2419, -5.76525, -31.8582], [-0.551069, 94.4329, -3.93228, 52.8998, 106.128, 8.59634, -0.535586, -3.48666], [0.928747, -122.727, 0.151873, -12.2419, 8.59634, 39.5877, -6.53993, 12.7363], [-0.908338, 72.2839, -0.0204301, -5.76525, -0.535586, -6.53993, 60.308, -9.25381], [-1.31763, 11.5277, -2.49114, -31.8582, -3.48666, 12.7363, -9.25381, 39.391]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[2.11092, 1.10927, 2.45812, 0.577871]> : tensor<4xf32>, lq.out_min = dense<[-1.13752, -0.602278, -2.07918, -0.343432]> : tensor<4xf32>, lq.out_max = dense<[2.11092, 1.10927, 2.45812, 0.577871]> : tensor<4xf32>} ins(%65, %cst_13 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%70 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %cst_50 = arith.constant 0.000000e+00 : f32
    %72 = tensor.empty(%dim) : tensor<?x4xf32>
    %73 = linalg.fill ins(%cst_50 : f32) outs(%72 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %74 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.v", lq.act_absmax = dense<[8.85042, 1.27991, 20.0583, 3.46802, 1.32184, 25.6971, 0.764962, 2.56444]> : tensor<8xf32>, lq.hessian = dense<[[507.017, -0.147198, -60.7541, -12.8757, 8.53372, 198.48, -5.0933, 26.6754], [-0.147198, 14.5167, 31.8004, 3.49014, 1.11549, 1.82619, -0.0343193, 6.84189], [-60.7541, 31.8004, 2569.19, 9.02299, 59.6105, 301.494, 1.11663, 98.5605], [-12.8757, 3.49014, 9.02299, 103.301, 5.53991, -3.04601, -0.25348, 15.6499], [8.53372, 1.11549, 59.6105, 5.53991, 13.5811, 1.7659, 0.636097, -0.679112], [198.48, 1.82619, 301.494, -3.04601, 1.7659, 5386.54, -6.96907, -36.4096], [-5.0933, -0.0343193, 1.11663, -0.25348, 0.636097, -6.96907, 6.42861, 0.618688], [26.6754, 6.84189, 98.5605, 15.6499, -0.679112, -36.4096, 0.618688, 39.7981]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[2.89061, 2.80977, 2.01639, 0.836009]> : tensor<4xf32>, lq.out_min = dense<[-1.2812, -0.945403, -1.32001, -0.288063]> : tensor<4xf32>, lq.out_max = dense<[2.89061, 2.80977, 2.01639, 0.836009]> : tensor<4xf32>} ins(%65, %cst_14 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%73 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %expanded_51 = tensor.expand_shape %68 [[0], [1, 2]] output_shape [%dim, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
    %c0_52 = arith.constant 0 : index
    %dim_53 = tensor.dim %expanded_51, %c0_52 : tensor<?x2x4xf32>
    %75 = tensor.empty(%dim_53) : tensor<?x2x4xf32>
    %76 = linalg.generic {indexing_maps = [#map6, #map6], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded_51 : tensor<?x2x4xf32>) outs(%75 : tensor<?x2x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %c0, %128 : index
      %c1_76 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_76 : index
      %c0_77 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_77 : index
      %c1_78 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_78 : index
      %c1_79 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_79 : index
      %extracted = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_80 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_81 = tensor.extract %expanded_51[%128, %129, %135] : tensor<?x2x4xf32>
      %136 = arith.mulf %in, %extracted : f32
      %137 = arith.mulf %extracted_81, %extracted_80 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<?x2x4xf32>
    %expanded_54 = tensor.expand_shape %71 [[0], [1, 2]] output_shape [%dim, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
    %expanded_55 = tensor.expand_shape %74 [[0], [1, 2]] output_shape [%dim, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
    %c0_56 = arith.constant 0 : index
    %dim_57 = tensor.dim %expanded_54, %c0_56 : tensor<?x1x4xf32>
    %77 = tensor.empty(%dim_57) : tensor<?x1x4xf32>
    %78 = linalg.generic {indexing_maps = [#map6, #map6], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded_54 : tensor<?x1x4xf32>) outs(%77 : tensor<?x1x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %c0, %128 : index
      %c1_76 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_76 : index
      %c0_77 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_77 : index
      %c1_78 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_78 : index
      %c1_79 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_79 : index
      %extracted = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_80 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_81 = tensor.extract %expanded_54[%128, %129, %135] : tensor<?x1x4xf32>
      %136 = arith.mulf %in, %extracted : f32
      %137 = arith.mulf %extracted_81, %extracted_80 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<?x1x4xf32>
    %expanded_58 = tensor.expand_shape %76 [[0], [1, 2], [3]] output_shape [%dim, 1, 2, 4] : tensor<?x2x4xf32> into tensor<?x1x2x4xf32>
    %cst_59 = arith.constant 0.000000e+00 : f32
    %79 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %80 = linalg.fill ins(%cst_59 : f32) outs(%79 : tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %81 = linalg.generic {indexing_maps = [#map7, #map8, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%expanded_58, %78 : tensor<?x1x2x4xf32>, tensor<?x1x4xf32>) outs(%80 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.mulf %in, %in_76 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x?x?xf32>
    %82 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %83 = linalg.generic {indexing_maps = [#map10, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%81 : tensor<1x2x?x?xf32>) outs(%82 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 2 : index
      %129 = linalg.index 3 : index
      %130 = arith.addi %c0, %128 : index
      %131 = arith.cmpi ule, %129, %130 : index
      %cst_76 = arith.constant 5.000000e-01 : f32
      %132 = arith.mulf %in, %cst_76 : f32
      %cst_77 = arith.constant 0xFF800000 : f32
      %133 = arith.select %131, %132, %cst_77 : f32
      linalg.yield %133 : f32
    } -> tensor<1x2x?x?xf32>
    %cst_60 = arith.constant 0xFF800000 : f32
    %84 = tensor.empty(%dim) : tensor<1x2x?xf32>
    %85 = linalg.fill ins(%cst_60 : f32) outs(%84 : tensor<1x2x?xf32>) -> tensor<1x2x?xf32>
    %86 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%83 : tensor<1x2x?x?xf32>) outs(%85 : tensor<1x2x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.maximumf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x?xf32>
    %87 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %88 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%83, %86 : tensor<1x2x?x?xf32>, tensor<1x2x?xf32>) outs(%87 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.subf %in, %in_76 : f32
      %129 = math.exp %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x?x?xf32>
    %cst_61 = arith.constant 0.000000e+00 : f32
    %89 = tensor.empty(%dim) : tensor<1x2x?xf32>
    %90 = linalg.fill ins(%cst_61 : f32) outs(%89 : tensor<1x2x?xf32>) -> tensor<1x2x?xf32>
    %91 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%88 : tensor<1x2x?x?xf32>) outs(%90 : tensor<1x2x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.addf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x?xf32>
    %92 = tensor.empty(%dim, %dim) : tensor<1x2x?x?xf32>
    %93 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%88, %91 : tensor<1x2x?x?xf32>, tensor<1x2x?xf32>) outs(%92 : tensor<1x2x?x?xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %cst_77 = arith.constant 1.000000e+00 : f32
      %128 = arith.divf %cst_77, %in_76 : f32
      %129 = arith.mulf %in, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x?x?xf32>
    %cst_62 = arith.constant 0.000000e+00 : f32
    %94 = tensor.empty(%dim) : tensor<?x1x2x4xf32>
    %95 = linalg.fill ins(%cst_62 : f32) outs(%94 : tensor<?x1x2x4xf32>) -> tensor<?x1x2x4xf32>
    %96 = linalg.generic {indexing_maps = [#map12, #map13, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%93, %expanded_55 : tensor<1x2x?x?xf32>, tensor<?x1x4xf32>) outs(%95 : tensor<?x1x2x4xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.mulf %in, %in_76 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<?x1x2x4xf32>
    %collapsed_63 = tensor.collapse_shape %96 [[0], [1, 2, 3]] : tensor<?x1x2x4xf32> into tensor<?x8xf32>
    %cst_64 = arith.constant 0.000000e+00 : f32
    %97 = tensor.empty(%dim) : tensor<?x8xf32>
    %98 = linalg.fill ins(%cst_64 : f32) outs(%97 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %99 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.o", lq.act_absmax = dense<[3.20393, 3.91147, 1.93162, 5.71692, 3.57581, 3.2276, 1.61756, 2.53398]> : tensor<8xf32>, lq.hessian = dense<[[79.4593, 12.8712, 2.51367, 13.2154, 9.43983, 4.636, -1.47224, 8.27801], [12.8712, 102.752, 0.152884, -44.0812, 1.93276, -32.8559, 0.182164, -1.21747], [2.51367, 0.152884, 29.0244, 19.7037, -1.12063, -1.66932, 0.571691, 6.2151], [13.2154, -44.0812, 19.7037, 301.858, -1.66626, 25.1901, -1.91553, 3.83649], [9.43983, 1.93276, -1.12063, -1.66626, 64.4574, 7.61742, -11.5885, 6.73234], [4.636, -32.8559, -1.66932, 25.1901, 7.61742, 88.4049, 0.434678, -9.28671], [-1.47224, 0.182164, 0.571691, -1.91553, -11.5885, 0.434678, 19.2381, 6.53453], [8.27801, -1.21747, 6.2151, 3.83649, 6.73234, -9.28671, 6.53453, 67.1299]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%collapsed_63, %cst_15 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%98 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %c0_65 = arith.constant 0 : index
    %dim_66 = tensor.dim %60, %c0_65 : tensor<?x8xf32>
    %100 = tensor.empty(%dim_66) : tensor<?x8xf32>
    %101 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%60, %99 : tensor<?x8xf32>, tensor<?x8xf32>) outs(%100 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.addf %in, %in_76 : f32
      linalg.yield %128 : f32
    } -> tensor<?x8xf32>
    %cst_67 = arith.constant 0.000000e+00 : f64
    %102 = tensor.empty(%dim) : tensor<?xf64>
    %103 = linalg.fill ins(%cst_67 : f64) outs(%102 : tensor<?xf64>) -> tensor<?xf64>
    %104 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%101 : tensor<?x8xf32>) outs(%103 : tensor<?xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<?xf64>
    %105 = tensor.empty(%dim) : tensor<?x8xf32>
    %106 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%101, %104, %cst_16 : tensor<?x8xf32>, tensor<?xf64>, tensor<8xf32>) outs(%105 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f64, %in_77: f32, %out: f32):
      %cst_78 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_76, %cst_78 : f64
      %cst_79 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_79 : f64
      %130 = math.sqrt %129 : f64
      %cst_80 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_80, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_77 : f32
      linalg.yield %134 : f32
    } -> tensor<?x8xf32>
    %cst_68 = arith.constant 0.000000e+00 : f32
    %107 = tensor.empty(%dim) : tensor<?x12xf32>
    %108 = linalg.fill ins(%cst_68 : f32) outs(%107 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %109 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.gate", lq.act_absmax = dense<[4.52321, 2.46046, 1.63471, 2.88591, 2.21083, 2.74127, 36.7636, 2.07479]> : tensor<8xf32>, lq.hessian = dense<[[108.764, 8.36619, 1.04264, -1.81989, 3.10973, 13.4178, 69.2092, -7.46731], [8.36619, 39.7109, 3.86152, 2.89621, -3.26474, 10.9264, 156.176, -1.6219], [1.04264, 3.86152, 15.2986, 7.77534, 3.84311, 4.50672, 61.4044, -4.65091], [-1.81989, 2.89621, 7.77534, 71.5262, -1.48578, -10.1153, 72.3586, 1.54994], [3.10973, -3.26474, 3.84311, -1.48578, 53.7273, 2.10935, -140.168, 6.29437], [13.4178, 10.9264, 4.50672, -10.1153, 2.10935, 63.8884, -86.2801, -12.0449], [69.2092, 156.176, 61.4044, 72.3586, -140.168, -86.2801, 8073.55, -102.56], [-7.46731, -1.6219, -4.65091, 1.54994, 6.29437, -12.0449, -102.56, 39.9066]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%106, %cst_17 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%108 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %cst_69 = arith.constant 0.000000e+00 : f32
    %110 = tensor.empty(%dim) : tensor<?x12xf32>
    %111 = linalg.fill ins(%cst_69 : f32) outs(%110 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %112 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.up", lq.act_absmax = dense<[2.4831, 6.08282, 3.18623, 2.33378, 13.0642, 1.41084, 2.46823, 2.73538]> : tensor<8xf32>, lq.hessian = dense<[[54.2142, -33.2942, -1.3706, -18.653, 95.912, -0.859421, -1.48147, 0.586439], [-33.2942, 293.508, -5.50918, -8.1981, -182.243, 2.86853, 28.6434, 26.8076], [-1.3706, -5.50918, 51.3486, 11.8673, -63.9053, 4.47209, -3.51487, -1.18438], [-18.653, -8.1981, 11.8673, 80.3395, -65.2657, 8.86208, -1.07383, 10.3519], [95.912, -182.243, -63.9053, -65.2657, 1576.43, -17.1571, -8.97093, -6.72645], [-0.859421, 2.86853, 4.47209, 8.86208, -17.1571, 17.4524, -7.43315, 3.63559], [-1.48147, 28.6434, -3.51487, -1.07383, -8.97093, -7.43315, 47.3746, 0.14417], [0.586439, 26.8076, -1.18438, 10.3519, -6.72645, 3.63559, 0.14417, 56.8046]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%106, %cst_18 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%111 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %113 = tensor.empty(%dim) : tensor<?x12xf32>
    %114 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%109, %112 : tensor<?x12xf32>, tensor<?x12xf32>) outs(%113 : tensor<?x12xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.negf %in : f32
      %129 = math.exp %128 : f32
      %cst_77 = arith.constant 1.000000e+00 : f32
      %130 = arith.addf %cst_77, %129 : f32
      %131 = arith.divf %in, %130 : f32
      %132 = arith.mulf %131, %in_76 : f32
      linalg.yield %132 : f32
    } -> tensor<?x12xf32>
    %cst_70 = arith.constant 0.000000e+00 : f32
    %115 = tensor.empty(%dim) : tensor<?x8xf32>
    %116 = linalg.fill ins(%cst_70 : f32) outs(%115 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %117 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.down", lq.act_absmax = dense<[8.15739, 2.46858, 1.31216, 1.35038, 31.1616, 3.64145, 2.26865, 1.18953, 2.89345, 2.38645, 3.06515, 1.67259]> : tensor<12xf32>, lq.hessian = dense<[[676.716, 38.1021, 1.64081, -27.5727, 235.811, 61.0313, 8.12356, 5.2254, 35.2024, 28.621, -5.36752, 17.1371], [38.1021, 41.8013, -6.12741, -3.03386, -125.365, 1.81503, -9.33806, -4.3816, -5.57802, 9.66261, -12.9358, 4.76701], [1.64081, -6.12741, 9.16333, -1.75522, 69.233, 4.02449, 2.85401, 0.661632, 3.88691, 0.420428, 4.82535, 0.668368], [-27.5727, -3.03386, -1.75522, 25.5215, -73.3281, -3.98999, 8.93186, -1.73469, 11.7515, -6.27194, -2.36208, -2.02843], [235.811, -125.365, 69.233, -73.3281, 6575.56, 114.768, -27.1815, 63.7591, 38.4304, -26.3552, 58.6382, -24.8016], [61.0313, 1.81503, 4.02449, -3.98999, 114.768, 115.76, -2.18436, 0.695434, 38.2357, 8.46898, -16.106, 2.97016], [8.12356, -9.33806, 2.85401, 8.93186, -27.1815, -2.18436, 46.5283, -6.22449, 13.4312, -2.84714, 0.231132, 2.95992], [5.2254, -4.3816, 0.661632, -1.73469, 63.7591, 0.695434, -6.22449, 12.5468, -1.5079, -0.500396, 10.9439, 1.44177], [35.2024, -5.57802, 3.88691, 11.7515, 38.4304, 38.2357, 13.4312, -1.5079, 77.9186, -11.1911, -2.94357, 2.60413], [28.621, 9.66261, 0.420428, -6.27194, -26.3552, 8.46898, -2.84714, -0.500396, -11.1911, 40.1842, -5.97195, -1.59759], [-5.36752, -12.9358, 4.82535, -2.36208, 58.6382, -16.106, 0.231132, 10.9439, -2.94357, -5.97195, 78.6669, -1.42398], [17.1371, 4.76701, 0.668368, -2.02843, -24.8016, 2.97016, 2.95992, 1.44177, 2.60413, -1.59759, -1.42398, 23.1472]]> : tensor<12x12xf32>, lq.tokens = 48 : i64} ins(%114, %cst_19 : tensor<?x12xf32>, tensor<8x12xf32>) outs(%116 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %c0_71 = arith.constant 0 : index
    %dim_72 = tensor.dim %101, %c0_71 : tensor<?x8xf32>
    %118 = tensor.empty(%dim_72) : tensor<?x8xf32>
    %119 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%101, %117 : tensor<?x8xf32>, tensor<?x8xf32>) outs(%118 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f32, %out: f32):
      %128 = arith.addf %in, %in_76 : f32
      linalg.yield %128 : f32
    } -> tensor<?x8xf32>
    %cst_73 = arith.constant 0.000000e+00 : f64
    %120 = tensor.empty(%dim) : tensor<?xf64>
    %121 = linalg.fill ins(%cst_73 : f64) outs(%120 : tensor<?xf64>) -> tensor<?xf64>
    %122 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%119 : tensor<?x8xf32>) outs(%121 : tensor<?xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<?xf64>
    %123 = tensor.empty(%dim) : tensor<?x8xf32>
    %124 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%119, %122, %cst_20 : tensor<?x8xf32>, tensor<?xf64>, tensor<8xf32>) outs(%123 : tensor<?x8xf32>) {
    ^bb0(%in: f32, %in_76: f64, %in_77: f32, %out: f32):
      %cst_78 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_76, %cst_78 : f64
      %cst_79 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_79 : f64
      %130 = math.sqrt %129 : f64
      %cst_80 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_80, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_77 : f32
      linalg.yield %134 : f32
    } -> tensor<?x8xf32>
    %cst_74 = arith.constant 0.000000e+00 : f32
    %125 = tensor.empty(%dim) : tensor<?x16xf32>
    %126 = linalg.fill ins(%cst_74 : f32) outs(%125 : tensor<?x16xf32>) -> tensor<?x16xf32>
    %127 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "lm_head"} ins(%124, %cst_21 : tensor<?x8xf32>, tensor<16x8xf32>) outs(%126 : tensor<?x16xf32>) -> tensor<?x16xf32>
    %expanded_75 = tensor.expand_shape %127 [[0, 1], [2]] output_shape [1, %dim, 16] : tensor<?x16xf32> into tensor<1x?x16xf32>
    return %expanded_75 : tensor<1x?x16xf32>
  }
  func.func @decode(%arg0: tensor<1xi64>, %arg1: tensor<1xi64>, %arg2: tensor<2x1x8x4xf32>, %arg3: tensor<2x1x8x4xf32>) -> (tensor<1x16xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>) attributes {llvm.emit_c_interface} {
    %cst = arith.constant dense_resource<model.embed_tokens.weight> : tensor<16x8xf32>
    %cst_0 = arith.constant dense_resource<model.layers.0.input_layernorm.weight> : tensor<8xf32>
    %cst_1 = arith.constant dense_resource<model.layers.0.self_attn.q_proj.weight> : tensor<8x8xf32>
    %cst_2 = arith.constant dense_resource<model.layers.0.self_attn.k_proj.weight> : tensor<4x8xf32>
    %cst_3 = arith.constant dense_resource<model.layers.0.self_attn.v_proj.weight> : tensor<4x8xf32>
    %cst_4 = arith.constant dense_resource<rope.cos> : tensor<8x2xf32>
    %cst_5 = arith.constant dense_resource<rope.sin> : tensor<8x2xf32>
    %cst_6 = arith.constant dense_resource<model.layers.0.self_attn.o_proj.weight> : tensor<8x8xf32>
    %cst_7 = arith.constant dense_resource<model.layers.0.post_attention_layernorm.weight> : tensor<8xf32>
    %cst_8 = arith.constant dense_resource<model.layers.0.mlp.gate_proj.weight> : tensor<12x8xf32>
    %cst_9 = arith.constant dense_resource<model.layers.0.mlp.up_proj.weight> : tensor<12x8xf32>
    %cst_10 = arith.constant dense_resource<model.layers.0.mlp.down_proj.weight> : tensor<8x12xf32>
    %cst_11 = arith.constant dense_resource<model.layers.1.input_layernorm.weight> : tensor<8xf32>
    %cst_12 = arith.constant dense_resource<model.layers.1.self_attn.q_proj.weight> : tensor<8x8xf32>
    %cst_13 = arith.constant dense_resource<model.layers.1.self_attn.k_proj.weight> : tensor<4x8xf32>
    %cst_14 = arith.constant dense_resource<model.layers.1.self_attn.v_proj.weight> : tensor<4x8xf32>
    %cst_15 = arith.constant dense_resource<model.layers.1.self_attn.o_proj.weight> : tensor<8x8xf32>
    %cst_16 = arith.constant dense_resource<model.layers.1.post_attention_layernorm.weight> : tensor<8xf32>
    %cst_17 = arith.constant dense_resource<model.layers.1.mlp.gate_proj.weight> : tensor<12x8xf32>
    %cst_18 = arith.constant dense_resource<model.layers.1.mlp.up_proj.weight> : tensor<12x8xf32>
    %cst_19 = arith.constant dense_resource<model.layers.1.mlp.down_proj.weight> : tensor<8x12xf32>
    %cst_20 = arith.constant dense_resource<model.norm.weight> : tensor<8xf32>
    %cst_21 = arith.constant dense_resource<lm_head.weight> : tensor<16x8xf32>
    %c0 = arith.constant 0 : index
    %extracted = tensor.extract %arg1[%c0] : tensor<1xi64>
    %0 = arith.index_cast %extracted : i64 to index
    %c1 = arith.constant 1 : index
    %1 = arith.addi %0, %c1 : index
    %2 = tensor.empty() : tensor<1x8xf32>
    %3 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<1xi64>) outs(%2 : tensor<1x8xf32>) {
    ^bb0(%in: i64, %out: f32):
      %128 = arith.index_cast %in : i64 to index
      %129 = linalg.index 1 : index
      %extracted_69 = tensor.extract %cst[%128, %129] : tensor<16x8xf32>
      linalg.yield %extracted_69 : f32
    } -> tensor<1x8xf32>
    %cst_22 = arith.constant 0.000000e+00 : f64
    %4 = tensor.empty() : tensor<1xf64>
    %5 = linalg.fill ins(%cst_22 : f64) outs(%4 : tensor<1xf64>) -> tensor<1xf64>
    %6 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%3 : tensor<1x8xf32>) outs(%5 : tensor<1xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<1xf64>
    %7 = tensor.empty() : tensor<1x8xf32>
    %8 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%3, %6, %cst_0 : tensor<1x8xf32>, tensor<1xf64>, tensor<8xf32>) outs(%7 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f64, %in_70: f32, %out: f32):
      %cst_71 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_69, %cst_71 : f64
      %cst_72 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_72 : f64
      %130 = math.sqrt %129 : f64
      %cst_73 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_73, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_70 : f32
      linalg.yield %134 : f32
    } -> tensor<1x8xf32>
    %cst_23 = arith.constant 0.000000e+00 : f32
    %9 = tensor.empty() : tensor<1x8xf32>
    %10 = linalg.fill ins(%cst_23 : f32) outs(%9 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %11 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.q"} ins(%8, %cst_1 : tensor<1x8xf32>, tensor<8x8xf32>) outs(%10 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %cst_24 = arith.constant 0.000000e+00 : f32
    %12 = tensor.empty() : tensor<1x4xf32>
    %13 = linalg.fill ins(%cst_24 : f32) outs(%12 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %14 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.k"} ins(%8, %cst_2 : tensor<1x8xf32>, tensor<4x8xf32>) outs(%13 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %cst_25 = arith.constant 0.000000e+00 : f32
    %15 = tensor.empty() : tensor<1x4xf32>
    %16 = linalg.fill ins(%cst_25 : f32) outs(%15 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %17 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.v"} ins(%8, %cst_3 : tensor<1x8xf32>, tensor<4x8xf32>) outs(%16 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %expanded = tensor.expand_shape %11 [[0], [1, 2]] output_shape [1, 2, 4] : tensor<1x8xf32> into tensor<1x2x4xf32>
    %18 = tensor.empty() : tensor<1x2x4xf32>
    %19 = linalg.generic {indexing_maps = [#map6, #map6], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded : tensor<1x2x4xf32>) outs(%18 : tensor<1x2x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %0, %128 : index
      %c1_69 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_69 : index
      %c0_70 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_70 : index
      %c1_71 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_71 : index
      %c1_72 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_72 : index
      %extracted_73 = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_74 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_75 = tensor.extract %expanded[%128, %129, %135] : tensor<1x2x4xf32>
      %136 = arith.mulf %in, %extracted_73 : f32
      %137 = arith.mulf %extracted_75, %extracted_74 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<1x2x4xf32>
    %expanded_26 = tensor.expand_shape %14 [[0], [1, 2]] output_shape [1, 1, 4] : tensor<1x4xf32> into tensor<1x1x4xf32>
    %expanded_27 = tensor.expand_shape %17 [[0], [1, 2]] output_shape [1, 1, 4] : tensor<1x4xf32> into tensor<1x1x4xf32>
    %extracted_slice = tensor.extract_slice %arg2[0, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x1x4xf32>
    %20 = linalg.generic {indexing_maps = [#map6, #map14], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded_26 : tensor<1x1x4xf32>) outs(%extracted_slice : tensor<1x1x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %0, %128 : index
      %c1_69 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_69 : index
      %c0_70 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_70 : index
      %c1_71 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_71 : index
      %c1_72 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_72 : index
      %extracted_73 = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_74 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_75 = tensor.extract %expanded_26[%128, %129, %135] : tensor<1x1x4xf32>
      %136 = arith.mulf %in, %extracted_73 : f32
      %137 = arith.mulf %extracted_75, %extracted_74 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<1x1x4xf32>
    %inserted_slice = tensor.insert_slice %20 into %arg2[0, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x4xf32> into tensor<2x1x8x4xf32>
    %extracted_slice_28 = tensor.extract_slice %arg3[0, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x1x4xf32>
    %transposed = linalg.transpose ins(%expanded_27 : tensor<1x1x4xf32>) outs(%extracted_slice_28 : tensor<1x1x4xf32>) permutation = [1, 0, 2] 
    %inserted_slice_29 = tensor.insert_slice %transposed into %arg3[0, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x4xf32> into tensor<2x1x8x4xf32>
    %extracted_slice_30 = tensor.extract_slice %inserted_slice[0, 0, 0, 0] [1, 1, %1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x?x4xf32>
    %extracted_slice_31 = tensor.extract_slice %inserted_slice_29[0, 0, 0, 0] [1, 1, %1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x?x4xf32>
    %expanded_32 = tensor.expand_shape %19 [[0], [1, 2], [3]] output_shape [1, 1, 2, 4] : tensor<1x2x4xf32> into tensor<1x1x2x4xf32>
    %cst_33 = arith.constant 0.000000e+00 : f32
    %21 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %22 = linalg.fill ins(%cst_33 : f32) outs(%21 : tensor<1x2x1x?xf32>) -> tensor<1x2x1x?xf32>
    %23 = linalg.generic {indexing_maps = [#map7, #map15, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%expanded_32, %extracted_slice_30 : tensor<1x1x2x4xf32>, tensor<1x?x4xf32>) outs(%22 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.mulf %in, %in_69 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x1x?xf32>
    %24 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %25 = linalg.generic {indexing_maps = [#map10, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%23 : tensor<1x2x1x?xf32>) outs(%24 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 2 : index
      %129 = linalg.index 3 : index
      %130 = arith.addi %0, %128 : index
      %131 = arith.cmpi ule, %129, %130 : index
      %cst_69 = arith.constant 5.000000e-01 : f32
      %132 = arith.mulf %in, %cst_69 : f32
      %cst_70 = arith.constant 0xFF800000 : f32
      %133 = arith.select %131, %132, %cst_70 : f32
      linalg.yield %133 : f32
    } -> tensor<1x2x1x?xf32>
    %cst_34 = arith.constant 0xFF800000 : f32
    %26 = tensor.empty() : tensor<1x2x1xf32>
    %27 = linalg.fill ins(%cst_34 : f32) outs(%26 : tensor<1x2x1xf32>) -> tensor<1x2x1xf32>
    %28 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%25 : tensor<1x2x1x?xf32>) outs(%27 : tensor<1x2x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.maximumf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x1xf32>
    %29 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %30 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%25, %28 : tensor<1x2x1x?xf32>, tensor<1x2x1xf32>) outs(%29 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.subf %in, %in_69 : f32
      %129 = math.exp %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x1x?xf32>
    %cst_35 = arith.constant 0.000000e+00 : f32
    %31 = tensor.empty() : tensor<1x2x1xf32>
    %32 = linalg.fill ins(%cst_35 : f32) outs(%31 : tensor<1x2x1xf32>) -> tensor<1x2x1xf32>
    %33 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%30 : tensor<1x2x1x?xf32>) outs(%32 : tensor<1x2x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.addf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x1xf32>
    %34 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %35 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%30, %33 : tensor<1x2x1x?xf32>, tensor<1x2x1xf32>) outs(%34 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %cst_70 = arith.constant 1.000000e+00 : f32
      %128 = arith.divf %cst_70, %in_69 : f32
      %129 = arith.mulf %in, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x1x?xf32>
    %cst_36 = arith.constant 0.000000e+00 : f32
    %36 = tensor.empty() : tensor<1x1x2x4xf32>
    %37 = linalg.fill ins(%cst_36 : f32) outs(%36 : tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
    %38 = linalg.generic {indexing_maps = [#map12, #map16, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%35, %extracted_slice_31 : tensor<1x2x1x?xf32>, tensor<1x?x4xf32>) outs(%37 : tensor<1x1x2x4xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.mulf %in, %in_69 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x1x2x4xf32>
    %collapsed = tensor.collapse_shape %38 [[0], [1, 2, 3]] : tensor<1x1x2x4xf32> into tensor<1x8xf32>
    %cst_37 = arith.constant 0.000000e+00 : f32
    %39 = tensor.empty() : tensor<1x8xf32>
    %40 = linalg.fill ins(%cst_37 : f32) outs(%39 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %41 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.o"} ins(%collapsed, %cst_6 : tensor<1x8xf32>, tensor<8x8xf32>) outs(%40 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %42 = tensor.empty() : tensor<1x8xf32>
    %43 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%3, %41 : tensor<1x8xf32>, tensor<1x8xf32>) outs(%42 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.addf %in, %in_69 : f32
      linalg.yield %128 : f32
    } -> tensor<1x8xf32>
    %cst_38 = arith.constant 0.000000e+00 : f64
    %44 = tensor.empty() : tensor<1xf64>
    %45 = linalg.fill ins(%cst_38 : f64) outs(%44 : tensor<1xf64>) -> tensor<1xf64>
    %46 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%43 : tensor<1x8xf32>) outs(%45 : tensor<1xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<1xf64>
    %47 = tensor.empty() : tensor<1x8xf32>
    %48 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%43, %46, %cst_7 : tensor<1x8xf32>, tensor<1xf64>, tensor<8xf32>) outs(%47 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f64, %in_70: f32, %out: f32):
      %cst_71 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_69, %cst_71 : f64
      %cst_72 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_72 : f64
      %130 = math.sqrt %129 : f64
      %cst_73 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_73, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_70 : f32
      linalg.yield %134 : f32
    } -> tensor<1x8xf32>
    %cst_39 = arith.constant 0.000000e+00 : f32
    %49 = tensor.empty() : tensor<1x12xf32>
    %50 = linalg.fill ins(%cst_39 : f32) outs(%49 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %51 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.gate"} ins(%48, %cst_8 : tensor<1x8xf32>, tensor<12x8xf32>) outs(%50 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %cst_40 = arith.constant 0.000000e+00 : f32
    %52 = tensor.empty() : tensor<1x12xf32>
    %53 = linalg.fill ins(%cst_40 : f32) outs(%52 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %54 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.up"} ins(%48, %cst_9 : tensor<1x8xf32>, tensor<12x8xf32>) outs(%53 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %55 = tensor.empty() : tensor<1x12xf32>
    %56 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%51, %54 : tensor<1x12xf32>, tensor<1x12xf32>) outs(%55 : tensor<1x12xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.negf %in : f32
      %129 = math.exp %128 : f32
      %cst_70 = arith.constant 1.000000e+00 : f32
      %130 = arith.addf %cst_70, %129 : f32
      %131 = arith.divf %in, %130 : f32
      %132 = arith.mulf %131, %in_69 : f32
      linalg.yield %132 : f32
    } -> tensor<1x12xf32>
    %cst_41 = arith.constant 0.000000e+00 : f32
    %57 = tensor.empty() : tensor<1x8xf32>
    %58 = linalg.fill ins(%cst_41 : f32) outs(%57 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %59 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.down"} ins(%56, %cst_10 : tensor<1x12xf32>, tensor<8x12xf32>) outs(%58 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %60 = tensor.empty() : tensor<1x8xf32>
    %61 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%43, %59 : tensor<1x8xf32>, tensor<1x8xf32>) outs(%60 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.addf %in, %in_69 : f32
      linalg.yield %128 : f32
    } -> tensor<1x8xf32>
    %cst_42 = arith.constant 0.000000e+00 : f64
    %62 = tensor.empty() : tensor<1xf64>
    %63 = linalg.fill ins(%cst_42 : f64) outs(%62 : tensor<1xf64>) -> tensor<1xf64>
    %64 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%61 : tensor<1x8xf32>) outs(%63 : tensor<1xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<1xf64>
    %65 = tensor.empty() : tensor<1x8xf32>
    %66 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%61, %64, %cst_11 : tensor<1x8xf32>, tensor<1xf64>, tensor<8xf32>) outs(%65 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f64, %in_70: f32, %out: f32):
      %cst_71 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_69, %cst_71 : f64
      %cst_72 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_72 : f64
      %130 = math.sqrt %129 : f64
      %cst_73 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_73, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_70 : f32
      linalg.yield %134 : f32
    } -> tensor<1x8xf32>
    %cst_43 = arith.constant 0.000000e+00 : f32
    %67 = tensor.empty() : tensor<1x8xf32>
    %68 = linalg.fill ins(%cst_43 : f32) outs(%67 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %69 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.q"} ins(%66, %cst_12 : tensor<1x8xf32>, tensor<8x8xf32>) outs(%68 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %cst_44 = arith.constant 0.000000e+00 : f32
    %70 = tensor.empty() : tensor<1x4xf32>
    %71 = linalg.fill ins(%cst_44 : f32) outs(%70 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %72 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.k"} ins(%66, %cst_13 : tensor<1x8xf32>, tensor<4x8xf32>) outs(%71 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %cst_45 = arith.constant 0.000000e+00 : f32
    %73 = tensor.empty() : tensor<1x4xf32>
    %74 = linalg.fill ins(%cst_45 : f32) outs(%73 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %75 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.v"} ins(%66, %cst_14 : tensor<1x8xf32>, tensor<4x8xf32>) outs(%74 : tensor<1x4xf32>) -> tensor<1x4xf32>
    %expanded_46 = tensor.expand_shape %69 [[0], [1, 2]] output_shape [1, 2, 4] : tensor<1x8xf32> into tensor<1x2x4xf32>
    %76 = tensor.empty() : tensor<1x2x4xf32>
    %77 = linalg.generic {indexing_maps = [#map6, #map6], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded_46 : tensor<1x2x4xf32>) outs(%76 : tensor<1x2x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %0, %128 : index
      %c1_69 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_69 : index
      %c0_70 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_70 : index
      %c1_71 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_71 : index
      %c1_72 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_72 : index
      %extracted_73 = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_74 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_75 = tensor.extract %expanded_46[%128, %129, %135] : tensor<1x2x4xf32>
      %136 = arith.mulf %in, %extracted_73 : f32
      %137 = arith.mulf %extracted_75, %extracted_74 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<1x2x4xf32>
    %expanded_47 = tensor.expand_shape %72 [[0], [1, 2]] output_shape [1, 1, 4] : tensor<1x4xf32> into tensor<1x1x4xf32>
    %expanded_48 = tensor.expand_shape %75 [[0], [1, 2]] output_shape [1, 1, 4] : tensor<1x4xf32> into tensor<1x1x4xf32>
    %extracted_slice_49 = tensor.extract_slice %inserted_slice[1, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x1x4xf32>
    %78 = linalg.generic {indexing_maps = [#map6, #map14], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded_47 : tensor<1x1x4xf32>) outs(%extracted_slice_49 : tensor<1x1x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 0 : index
      %129 = linalg.index 1 : index
      %130 = linalg.index 2 : index
      %131 = arith.addi %0, %128 : index
      %c1_69 = arith.constant 1 : index
      %132 = arith.andi %130, %c1_69 : index
      %c0_70 = arith.constant 0 : index
      %133 = arith.cmpi eq, %132, %c0_70 : index
      %c1_71 = arith.constant 1 : index
      %134 = arith.shrui %130, %c1_71 : index
      %c1_72 = arith.constant 1 : index
      %135 = arith.xori %130, %c1_72 : index
      %extracted_73 = tensor.extract %cst_4[%131, %134] : tensor<8x2xf32>
      %extracted_74 = tensor.extract %cst_5[%131, %134] : tensor<8x2xf32>
      %extracted_75 = tensor.extract %expanded_47[%128, %129, %135] : tensor<1x1x4xf32>
      %136 = arith.mulf %in, %extracted_73 : f32
      %137 = arith.mulf %extracted_75, %extracted_74 : f32
      %138 = arith.subf %136, %137 : f32
      %139 = arith.addf %136, %137 : f32
      %140 = arith.select %133, %138, %139 : f32
      linalg.yield %140 : f32
    } -> tensor<1x1x4xf32>
    %inserted_slice_50 = tensor.insert_slice %78 into %inserted_slice[1, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x4xf32> into tensor<2x1x8x4xf32>
    %extracted_slice_51 = tensor.extract_slice %inserted_slice_29[1, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x1x4xf32>
    %transposed_52 = linalg.transpose ins(%expanded_48 : tensor<1x1x4xf32>) outs(%extracted_slice_51 : tensor<1x1x4xf32>) permutation = [1, 0, 2] 
    %inserted_slice_53 = tensor.insert_slice %transposed_52 into %inserted_slice_29[1, 0, %0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x4xf32> into tensor<2x1x8x4xf32>
    %extracted_slice_54 = tensor.extract_slice %inserted_slice_50[1, 0, 0, 0] [1, 1, %1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x?x4xf32>
    %extracted_slice_55 = tensor.extract_slice %inserted_slice_53[1, 0, 0, 0] [1, 1, %1, 4] [1, 1, 1, 1] : tensor<2x1x8x4xf32> to tensor<1x?x4xf32>
    %expanded_56 = tensor.expand_shape %77 [[0], [1, 2], [3]] output_shape [1, 1, 2, 4] : tensor<1x2x4xf32> into tensor<1x1x2x4xf32>
    %cst_57 = arith.constant 0.000000e+00 : f32
    %79 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %80 = linalg.fill ins(%cst_57 : f32) outs(%79 : tensor<1x2x1x?xf32>) -> tensor<1x2x1x?xf32>
    %81 = linalg.generic {indexing_maps = [#map7, #map15, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%expanded_56, %extracted_slice_54 : tensor<1x1x2x4xf32>, tensor<1x?x4xf32>) outs(%80 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.mulf %in, %in_69 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x1x?xf32>
    %82 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %83 = linalg.generic {indexing_maps = [#map10, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%81 : tensor<1x2x1x?xf32>) outs(%82 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = linalg.index 2 : index
      %129 = linalg.index 3 : index
      %130 = arith.addi %0, %128 : index
      %131 = arith.cmpi ule, %129, %130 : index
      %cst_69 = arith.constant 5.000000e-01 : f32
      %132 = arith.mulf %in, %cst_69 : f32
      %cst_70 = arith.constant 0xFF800000 : f32
      %133 = arith.select %131, %132, %cst_70 : f32
      linalg.yield %133 : f32
    } -> tensor<1x2x1x?xf32>
    %cst_58 = arith.constant 0xFF800000 : f32
    %84 = tensor.empty() : tensor<1x2x1xf32>
    %85 = linalg.fill ins(%cst_58 : f32) outs(%84 : tensor<1x2x1xf32>) -> tensor<1x2x1xf32>
    %86 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%83 : tensor<1x2x1x?xf32>) outs(%85 : tensor<1x2x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.maximumf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x1xf32>
    %87 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %88 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%83, %86 : tensor<1x2x1x?xf32>, tensor<1x2x1xf32>) outs(%87 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.subf %in, %in_69 : f32
      %129 = math.exp %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x1x?xf32>
    %cst_59 = arith.constant 0.000000e+00 : f32
    %89 = tensor.empty() : tensor<1x2x1xf32>
    %90 = linalg.fill ins(%cst_59 : f32) outs(%89 : tensor<1x2x1xf32>) -> tensor<1x2x1xf32>
    %91 = linalg.generic {indexing_maps = [#map10, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%88 : tensor<1x2x1x?xf32>) outs(%90 : tensor<1x2x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %128 = arith.addf %out, %in : f32
      linalg.yield %128 : f32
    } -> tensor<1x2x1xf32>
    %92 = tensor.empty(%1) : tensor<1x2x1x?xf32>
    %93 = linalg.generic {indexing_maps = [#map10, #map11, #map10], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%88, %91 : tensor<1x2x1x?xf32>, tensor<1x2x1xf32>) outs(%92 : tensor<1x2x1x?xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %cst_70 = arith.constant 1.000000e+00 : f32
      %128 = arith.divf %cst_70, %in_69 : f32
      %129 = arith.mulf %in, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x2x1x?xf32>
    %cst_60 = arith.constant 0.000000e+00 : f32
    %94 = tensor.empty() : tensor<1x1x2x4xf32>
    %95 = linalg.fill ins(%cst_60 : f32) outs(%94 : tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
    %96 = linalg.generic {indexing_maps = [#map12, #map16, #map9], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%93, %extracted_slice_55 : tensor<1x2x1x?xf32>, tensor<1x?x4xf32>) outs(%95 : tensor<1x1x2x4xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.mulf %in, %in_69 : f32
      %129 = arith.addf %out, %128 : f32
      linalg.yield %129 : f32
    } -> tensor<1x1x2x4xf32>
    %collapsed_61 = tensor.collapse_shape %96 [[0], [1, 2, 3]] : tensor<1x1x2x4xf32> into tensor<1x8xf32>
    %cst_62 = arith.constant 0.000000e+00 : f32
    %97 = tensor.empty() : tensor<1x8xf32>
    %98 = linalg.fill ins(%cst_62 : f32) outs(%97 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %99 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.o"} ins(%collapsed_61, %cst_15 : tensor<1x8xf32>, tensor<8x8xf32>) outs(%98 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %100 = tensor.empty() : tensor<1x8xf32>
    %101 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%61, %99 : tensor<1x8xf32>, tensor<1x8xf32>) outs(%100 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.addf %in, %in_69 : f32
      linalg.yield %128 : f32
    } -> tensor<1x8xf32>
    %cst_63 = arith.constant 0.000000e+00 : f64
    %102 = tensor.empty() : tensor<1xf64>
    %103 = linalg.fill ins(%cst_63 : f64) outs(%102 : tensor<1xf64>) -> tensor<1xf64>
    %104 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%101 : tensor<1x8xf32>) outs(%103 : tensor<1xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<1xf64>
    %105 = tensor.empty() : tensor<1x8xf32>
    %106 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%101, %104, %cst_16 : tensor<1x8xf32>, tensor<1xf64>, tensor<8xf32>) outs(%105 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f64, %in_70: f32, %out: f32):
      %cst_71 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_69, %cst_71 : f64
      %cst_72 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_72 : f64
      %130 = math.sqrt %129 : f64
      %cst_73 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_73, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_70 : f32
      linalg.yield %134 : f32
    } -> tensor<1x8xf32>
    %cst_64 = arith.constant 0.000000e+00 : f32
    %107 = tensor.empty() : tensor<1x12xf32>
    %108 = linalg.fill ins(%cst_64 : f32) outs(%107 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %109 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.gate"} ins(%106, %cst_17 : tensor<1x8xf32>, tensor<12x8xf32>) outs(%108 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %cst_65 = arith.constant 0.000000e+00 : f32
    %110 = tensor.empty() : tensor<1x12xf32>
    %111 = linalg.fill ins(%cst_65 : f32) outs(%110 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %112 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.up"} ins(%106, %cst_18 : tensor<1x8xf32>, tensor<12x8xf32>) outs(%111 : tensor<1x12xf32>) -> tensor<1x12xf32>
    %113 = tensor.empty() : tensor<1x12xf32>
    %114 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%109, %112 : tensor<1x12xf32>, tensor<1x12xf32>) outs(%113 : tensor<1x12xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.negf %in : f32
      %129 = math.exp %128 : f32
      %cst_70 = arith.constant 1.000000e+00 : f32
      %130 = arith.addf %cst_70, %129 : f32
      %131 = arith.divf %in, %130 : f32
      %132 = arith.mulf %131, %in_69 : f32
      linalg.yield %132 : f32
    } -> tensor<1x12xf32>
    %cst_66 = arith.constant 0.000000e+00 : f32
    %115 = tensor.empty() : tensor<1x8xf32>
    %116 = linalg.fill ins(%cst_66 : f32) outs(%115 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %117 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.down"} ins(%114, %cst_19 : tensor<1x12xf32>, tensor<8x12xf32>) outs(%116 : tensor<1x8xf32>) -> tensor<1x8xf32>
    %118 = tensor.empty() : tensor<1x8xf32>
    %119 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%101, %117 : tensor<1x8xf32>, tensor<1x8xf32>) outs(%118 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f32, %out: f32):
      %128 = arith.addf %in, %in_69 : f32
      linalg.yield %128 : f32
    } -> tensor<1x8xf32>
    %cst_67 = arith.constant 0.000000e+00 : f64
    %120 = tensor.empty() : tensor<1xf64>
    %121 = linalg.fill ins(%cst_67 : f64) outs(%120 : tensor<1xf64>) -> tensor<1xf64>
    %122 = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "reduction"]} ins(%119 : tensor<1x8xf32>) outs(%121 : tensor<1xf64>) {
    ^bb0(%in: f32, %out: f64):
      %128 = arith.extf %in : f32 to f64
      %129 = arith.mulf %128, %128 : f64
      %130 = arith.addf %out, %129 : f64
      linalg.yield %130 : f64
    } -> tensor<1xf64>
    %123 = tensor.empty() : tensor<1x8xf32>
    %124 = linalg.generic {indexing_maps = [#map1, #map, #map2, #map1], iterator_types = ["parallel", "parallel"]} ins(%119, %122, %cst_20 : tensor<1x8xf32>, tensor<1xf64>, tensor<8xf32>) outs(%123 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_69: f64, %in_70: f32, %out: f32):
      %cst_71 = arith.constant 8.000000e+00 : f64
      %128 = arith.divf %in_69, %cst_71 : f64
      %cst_72 = arith.constant 9.9999997473787516E-6 : f64
      %129 = arith.addf %128, %cst_72 : f64
      %130 = math.sqrt %129 : f64
      %cst_73 = arith.constant 1.000000e+00 : f64
      %131 = arith.divf %cst_73, %130 : f64
      %132 = arith.truncf %131 : f64 to f32
      %133 = arith.mulf %in, %132 : f32
      %134 = arith.mulf %133, %in_70 : f32
      linalg.yield %134 : f32
    } -> tensor<1x8xf32>
    %cst_68 = arith.constant 0.000000e+00 : f32
    %125 = tensor.empty() : tensor<1x16xf32>
    %126 = linalg.fill ins(%cst_68 : f32) outs(%125 : tensor<1x16xf32>) -> tensor<1x16xf32>
    %127 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "lm_head"} ins(%124, %cst_21 : tensor<1x8xf32>, tensor<16x8xf32>) outs(%126 : tensor<1x16xf32>) -> tensor<1x16xf32>
    return %127, %inserted_slice_50, %inserted_slice_53 : tensor<1x16xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>
  }

  func.func private @printMemrefF32(memref<*xf32>)
  func.func @main() {
    %tok = arith.constant dense<[[1, 5, 9, 2, 14, 7]]> : tensor<1x6xi64>
    %t = tensor.cast %tok : tensor<1x6xi64> to tensor<1x?xi64>
    %l = call @forward(%t) : (tensor<1x?xi64>) -> tensor<1x?x16xf32>
    %lb = bufferization.to_buffer %l : tensor<1x?x16xf32> to memref<1x?x16xf32>
    %lu = memref.cast %lb : memref<1x?x16xf32> to memref<*xf32>
    call @printMemrefF32(%lu) : (memref<*xf32>) -> ()
    %c0 = arith.constant dense<0.0> : tensor<2x1x8x4xf32>
    %tk0 = arith.constant dense<[1]> : tensor<1xi64>
    %p0 = arith.constant dense<[0]> : tensor<1xi64>
    %d0:3 = call @decode(%tk0, %p0, %c0, %c0) : (tensor<1xi64>, tensor<1xi64>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>) -> (tensor<1x16xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>)
    %db0 = bufferization.to_buffer %d0#0 : tensor<1x16xf32> to memref<1x16xf32>
    %du0 = memref.cast %db0 : memref<1x16xf32> to memref<*xf32>
    call @printMemrefF32(%du0) : (memref<*xf32>) -> ()
    %tk1 = arith.constant dense<[5]> : tensor<1xi64>
    %p1 = arith.constant dense<[1]> : tensor<1xi64>
    %d1:3 = call @decode(%tk1, %p1, %d0#1, %d0#2) : (tensor<1xi64>, tensor<1xi64>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>) -> (tensor<1x16xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>)
    %db1 = bufferization.to_buffer %d1#0 : tensor<1x16xf32> to memref<1x16xf32>
    %du1 = memref.cast %db1 : memref<1x16xf32> to memref<*xf32>
    call @printMemrefF32(%du1) : (memref<*xf32>) -> ()
    %tk2 = arith.constant dense<[9]> : tensor<1xi64>
    %p2 = arith.constant dense<[2]> : tensor<1xi64>
    %d2:3 = call @decode(%tk2, %p2, %d1#1, %d1#2) : (tensor<1xi64>, tensor<1xi64>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>) -> (tensor<1x16xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>)
    %db2 = bufferization.to_buffer %d2#0 : tensor<1x16xf32> to memref<1x16xf32>
    %du2 = memref.cast %db2 : memref<1x16xf32> to memref<*xf32>
    call @printMemrefF32(%du2) : (memref<*xf32>) -> ()
    return
  }
}

{-#
  dialect_resources: {
    builtin: {
      model.embed_tokens.weight: "0x10000000268A65BF24FC62BF1AA0593F4088E03E28CE843E432B68BFBD3FC43D81C9CDBD6ED0DABE30D61E3D2F92A73EF00F673F0BF9043F133118BDBD7811BFA13C25BE7358FC3DFBB60D3F2E21FFBDC4949EBE90E763BF8786A33D235BB43E139B29BF931D603EC87402BF6DD2C8BE25FF47BFDE65533FE0B03ABE99531D3EF0C458BFAC65253F668D53BE3FB654BFF047293E80166E3F95F0B03EBC25F43E42A02BBF805750BFA79BF03D6F0E533D96E1EB3E6203A9BAAD09EEBE0E5036BF08AB7A3FF28184BE109B4F3F1072AABE28381A3F9A140DBF62CBBB3E171A4E3F57CD7E3E83A372BE675A713F750A4C3FD9B976BFF8E92F3FD9E30CBFDEAD193F9DF9613F51A6643F3211033E519B0ABD78B4153E9955733F1A96EBBCB7D5E0BE0BF97D3F980A7F3F29290D3F78AE183E5B92693F8216BD3CFD5280BE489ED5BC1412853EEFF8F13D25749C3E71D2803EFEE4303E5CA54EBF3226D93E83732FBF06400C3FD7A862BFA71DC4BE33C866BF1C5153BFF14CA7BE2277423FA61C103F3B01733F6F168EBD4286583FB032413F7065263FB9F135BF169A6A3CB53CE2BDF70AF7BE2962AEBEE1A90F3E0055193F4E78FFBD75C8613F5B141F3FE94C76BFA09BE3BE46D3233FE5D25CBFF4F4193E433C13BFFD28713EDE1E81BEF9F11FBF69BD0BBFF82E173F54A841BF5ADD163EA99F793F566061BFA68D90BEFCBB42BF8D5C40BF",
      model.layers.0.input_layernorm.weight: "0x100000006313723F4C3D653FC431783FC5588B3F8C0E823F90157C3FC996803FF9E08F3F",
      model.layers.0.self_attn.q_proj.weight: "0x100000004E1C31BCD235443DE860883E760C9FBCA45BF3BD186F7A3E7CA44A3C77BB6F3C9E584FBE1C077EBE9E6290BEE408A5BE2497223E983188BE3992903E9AD7A03E32F4223E104C3BBE615E97BDD33ED8BD4C75B33EC4BB37BE062F2C3D475C893D41E2B23E47C277BE1A8A44BEDC0C10BEE7F508BED944B2BE0E1AA63EB828483E33756A3ED8E56F3EB0806B3E9ADEB3BEAF00FCBDB8109B3EB5EC493E1D7BA93E77F5123EFC0E99BE887A75BD5E33AE3EE760A9BE93B5AEBEC3761E3E8467DF3D23AC103EE7911E3C8037823E244B72BE63E0863E88EE82BE826C853ED9114CBD449440BE3CE5A53EC12D933EB7B6F9BDF05C5D3E5F37743E0F66563EFFEA9CBE",
      model.layers.0.self_attn.k_proj.weight: "0x100000006FCBA33EDAB74C3D9BC398BEE8CD243ED62C603E695E023D325001BE1D19333D3243913E10389D3E2B083A3EDF69453E7B698DBD4BFFAA3E588DF0BD117B9BBD35700CBE32CDA8BD8CC968BE9A13973E46565FBE1BB09CBE92CD8E3E90D933BE6BCDACBE10A98B3E9E90B2BEC03A3F3E9C75603EAA7392BE1FD82BBE5C3E713E",
      model.layers.0.self_attn.v_proj.weight: "0x100000005B6A45BE6EB4A73E5A05043D9E2EB13E10A96C3E298FBDBD181FA33D5D22F9BD81C98BBE5071063DD784C03D5B7024BD309E66BEB580153C3665B13E71CA0E3EDB4A2F3EBA40273EA3F2693D73D94FBD8C32A7BEAED5A63EF26114BE5F6B033E4BA8A13E34B388BE27A9DC3D88867EBE326AD23DC2744BBDA77D9B3E6DF5553D",
      rope.cos: "0x100000000000803F0000803F40510A3FB9FC7F3F3311D5BEE5F27F3F26707DBF83E27F3F305527BF94CB7F3F2C3C913E19AE7F3FB8CD753F128A7F3FBDFF403F815F7F3F",
      rope.sin: "0x100000000000000000000000A46A573F57D6233CB7C7683F3ED4A33CC381103E20B9F53CCFBD41BFDBCB233D107C75BFF5B64C3D8C0F8FBED19C753D4630283F323E8F3D",
      model.layers.0.self_attn.o_proj.weight: "0x1000000087BAAABEC21FA53E54E6D23D9A46643ED9D3AB3E980C9D3E6644893EF6FD8A3E8AB48CBEF69E983E0BD92DBE588EC73DB122D1BC9241A4BEE43F7EBE3FEA93BEC5DA60BE401EB0BE5921A13E85DCE5BCE88B6D3D564E87BE15DC9BBC894F00BE681943BE92611DBE5A9E803E72A328BE92A5363EF22DAF3E2B10063E018748BE7223E83DAE430DBEA0F515BEBE1F81BE6E2AABBE08B791BE1C2A87BD7108A43ECB30A2BEC79DD43D434A753EBFC97FBEDEA6973E95D2443EE3F8493DD369153E44F89E3E492557BE7440AF3CC81CA5BD44A4E73BD2B46E3ED0C3923EC1C3183EF6D4483E7E8E07BE3513163E5A29D53CB530863EE31B3D3E7FB47ABE545EC1BD",
      model.layers.0.post_attention_layernorm.weight: "0x10000000D1368A3FFEC0853F55C37E3F2045553FC53D603F78FA8A3F6BD58A3F4FA7613F",
      model.layers.0.mlp.gate_proj.weight: "0x10000000F822693D9C9EE33D8FA4763EEFDC09BD8B8AAD3C313BB13B3065383EB6E73EBE6E03573E278D753D8FBD873E5EDF763DA706963D86C92EBE0F77E0BDDAE338BEA849653E73FA433E87B0B0BE6F17D53D6639A1BEF6A8AABEFD644E3EA446AB3D51FC69BE3B713F3E6E8A75BD5A3CA93E7B3CE63DFA345ABE72E49DBEA1AA963ED86DCDBD380AA33EA54AE83D9874773E9FABAABEF56DACBE247B56BE49B18E3E6BD366BE0DC866BECCB6ADBE06F01C3E8D8B2CBE97A3F2BB95511CBE5B03863EB8AC24BEB1A2093E340B953ED7F81DBEAEDAAA3B4E70593EF7AD6BBE9EC441BE535C63BEC4DC973E27E1803EA310AFBE71539BBE74949BBE430A3B3DED3812BE33CC82BEAD058CBE2D94563EE1F7ECBC7E28843E3816913EB4A7A0BE5F4BB43D216D733E53CFB0BDDB6B973ED18AAD3DED1BB03E1D5D013D0CA7943D5C9571BEE80888BEB0A47D3DB0E7003EA81786BEBADF833D75969C3E0ADE8BBEF5A769BE521CF1BD67D593BE63603BBEFDBB703DFF6BA23E618092BE3DB5F5BD4C1E123E",
      model.layers.0.mlp.up_proj.weight: "0x100000006444AF3E048A9F3EE31F82BE5DCBB73DE4F039BE92C0D9BBA62818BD80AE233D19D746BE63B01BBE7BC748BE89F3E7BD67B3093E5A1B52BEC4D206BCC96383BC53B46E3EF96DD33D2A5D9ABED01D953EB76AC0BD66F0AD3ED40334BD33C463BE5B908F3E8711B4BDEE71653E708A21BE073184BD42251EBE334809BE5B67413D638B01BE39D7A83E5DCDAEBEFEBD773E9FD5A0BE414E40BEDEA915BE0A4E563C09C14CBDC63443BDCB78A43DF53FBB3DDA0F7FBEF7B6B33EEE5564391AC7843E6AF70FBE11E7193EC836253D60C6553E0FF7CB3D20E7173E2F349C3E5DCB0D3E2522BB3D56B3B33EAB3674BE6C9CE93D51D66DBE5B9D403EAE97823E907B873D035D25BE6B419CBD6D571EBE8DAC9FBE3F9CD5BB5AD690BD5A344DBE33C482BD1ADE3C3ED7BB8A3D889F99BDEA3B2BBE85E3B1BEC2F6BABC16BF9FBEEC9E973E158DA83E31A08BBCF1AD93BE0508FEBDB360293E6500ACBE6643BFBD851482BE71E6813E614CB43D3D9E123E8AA24B3E543904BE0770AD3C4C9E5FBD37B49EBC",
      model.layers.0.mlp.down_proj.weight: "0x10000000E14686BEAE0BE13D8A966FBE953332BEAE11A63D33021FBEE35B883EF3D1D7BDA0EBCFBD7931593E605BE9BDB5EA8B3DA02D79B7555465BED6B9D53D3711293E128066BE20FF87BEA50C15BD38656E3E3F9178BE72647FBEAD022FBEDB96D93D5DFF473E7171273EDEBA563EA47502BD96370CBECF586D3E7FBA243B9E3B2ABDFF9744BEEEBB7DBEEBF1773E17B701BE6102963D7862053D9530693E6796DBBBF5658DBD2AA3C73C80D1D3BDB5A134BEAE9AF6BDC18B8ABE8B8A823ED4F186BD62C690BE3EED72BEAF82843CD2FF563E818E1EBE49D5A2BD7200103C48EDE9BD53C306BE7E39D43DA6F338BE27F38E3E91A576BEAC65863EECC09B3DE2AC6C3E65A3723ECE5F87BE21F73E3E085E4FBEAD57253D40AF73BE9E9D7ABE34E57B3D9439AD3DBD84843E1E5BF53DFE7459BEB8F1873E2BB97B3E674728BDE16105BE420012BE56DD823E0129813E8C38DCBDB2DC92BE1DB163BE9DA7E0BCA89292BE905B713B68252ABD2A108B3E58EF56BE1A7B453DBAA237BE691587BEEF2F613E",
      model.layers.1.input_layernorm.weight: "0x1000000037A6823FA6307C3F4E69723FA42F7D3FB3CF5C3FB193963F6291933F57B26B3F",
      model.layers.1.self_attn.q_proj.weight: "0x10000000381AEB3C31D0A0BE4CBE6F3D1A0038BE1E9297BEF6785DBE7F8A843E68F196BC190A4EBE308FACBE4767BCBDB5C951BEFD6A5FBE565F73BEC999643ED058ADBEF62C99BEE8E298BD86E78F3EBEAD363EB74840BD09F822BE8DFFA53DFD19223E360F943EFB65433E6FF77CBEF0806F3C6EF3BA3D6212E1BD6B7614BEBF7E88BD9E33913E2502453CCEE695BE3E401E3E982A5DBE225953BDEC4789BE833780BD0B936A3E1494A93D229E523E0051F63ABB9A253E7A81073D5A271CBE5CB7A33EEDD485BE3FB528BE8429EA3DD98369BE274160BE2E9B72BE6617833EA1FC103EEFB58EBE5CAF4CBC8BCF533B55EF63BE18D8103E2DC39FBE1749273E06165EBE",
      model.layers.1.self_attn.k_proj.weight: "0x100000008A69783EAED32A3E09F0BDBC0395F4BD44E11F3ED1CA74BE4552AA3EC6FB88BED6A14C3C28351FBE96C5B13E3AEE153EE50697BE8E561BBE5BA380BD163E84BEB1EF073EBFA082BC473D163EE89E98BBD36352BEA361ED3CA62D6F3E6AEB88BEA2D0AD3D96B9B23D48E98E3EE66E493E5A7B59BE9020133E367FE23D8CCF093E",
      model.layers.1.self_attn.v_proj.weight: "0x10000000CD1068BEB02AC83D4FB847BD7A5AA73E218D9EBD73DF82BC424619BE82EDB33EC735383E05847D3E91F017BE8122953E10BCC5BDD73E243E4A01013E3812973E218A533E7DDB203E02F4B43EBE8B5FBEAA6C53BE7F5905BE56A81ABE09D2153D365995BDF7D8C2BDE94A32BEE96CD0BD098351BECCADB3BE2F023ABE354A90BE",
      model.layers.1.self_attn.o_proj.weight: "0x100000009CEA49BE7C3DB2BE4DFABE3DA62298BEC851663E4616783E900F203E1EF8A93DFE5920BD1EE7323E54B9033DA9F0AE3E7631703EBBC9D23DC01A273E87D8A5BED4E11CBEB57E8B3D769D88BEB09167BDD9B4D83DFD4A6D3EA0077F3EBB2A47BDFF896FBE97DCB23EC766473E3E5CCC3D5C94B23EC64D8E3E768EA33EB4BCFB3A15174D3EDCC75F3D113A49BD284BA1BE2B036E3DE1C78F3D2FBEA83E8A08433DB44DC2BDA74C90BE11403A3E6A84BA3DF318A6BD1C4A0ABE0E04DABD990DB4BE703E28BECEFA2A3EA6BAAABE1C53A73D46327BBE171FADBDF4B2343DE3959DBD96BB8EBEA7B157BEAB48B63DB3789CBE99F95DBE2B09E1BC773168BE2E9371BE",
      model.layers.1.post_attention_layernorm.weight: "0x10000000D69C923F9E75803FFF13923F1801723FC67B803F8713823F4FA5773F13BA873F",
      model.layers.1.mlp.gate_proj.weight: "0x100000008C83923E474147BE34E010BE5872B43E779495BEE888693E88D34D3EA9E2AABE7BE10FBE04C5B7BDF23D88BDB1BC8ABE41FA473EB2499D3E16665E3E0107683D572C403C79C63F3EBF25693DFF169FBE9074C43D06CC9A3E9CD3B13E6EA444BE5EC91E3E2589BABCA2007CBEF3A28DBED0C36B3EDC802BBEB4A93ABE6038E33C8AB89ABDD215A6BE00476DBE340BC63D85629A3EF61705BE8C74443E4B973ABE29BA893ED53A753EDE7F923E2FA711BECAF50BBE810EABBE2EAD1D3E5B4AA93C77C5583D7785613E093B433E1356D4BD245739BD6EBD8ABEF04CDEBCAE81893E8534A63ED6445FBE5A3D0CBDBA20413EA2F84EBD149D0CBE2DCF713E480AC73D30117C3E69E9FEBD7DBAD63D967F873E8420393E86CB913EA9BE843E5185883D6094A9BE645E05BE115CDABDFC58583E578B883DECE88ABDA51E483EAC16A2BD7A9D863E2E7659BE4C09703C54A4B13E12C142BEDAD3DEBD50C621BED217813EAC83483E1F201FBE2670F53D633C063E2CCB373E85BB0E3DB1C967BE4D73713E",
      model.layers.1.mlp.up_proj.weight: "0x10000000130C93BE1AD89D3E0EF1FCBD3A5885BE61DD123E77286E3EABB0FE3D356D13BE6FFCAF3D7682AEBE34798D3D9933753D552C1DBCE2FBD0BD27034B3E898F5B3EFDCF8FBE90F0953E578F173E4AF0953DCC26B4BE546B5EBE8356B2BE0664223E0D9C893DD7BF863E8EC43EBE7475873DE2FCFF3CF2389F3E97A2443ECB32533E5994A6BE5EB9343E0BDC5D3EE8A385BECCC6B3BD47F3823E1EBB87BEC1515B3E595302BD31A5AF3E26CB783EF82C963E786596BEF07D58BD3F152ABE506322BE9DC019BE34D6A23EB7AC96BE8A9DC13D36461ABEC2831ABED966793E894D13BE932481BE2453A33E519F91BEBD153FBE9DF510BE6D9C09BE858EAC3CDB906B3D801F0CBE660C853C755A8BBE09AAD33D442F4C3ED3430B3E3EB68CBE94493C3EA8F20CBE9276673EC3349C3EA80CE53D92E3633E5369913E3A5295BE8141793C7796EB3DF67B5D3E13E9143E9857AABD44AE2EBBEADE97BE96C1723D8687E5BA567E9CBD22A34CBE63C99FBE2A863BBE410D21BE72B1933E8ABC8D3D5811023E",
      model.layers.1.mlp.down_proj.weight: "0x10000000D7BD1EBD9C700D3ED5CD1CBD020C33BE3BFC54BE617C90BE25BFDD3DB3AB693EBA02033E5340833EB42BB33D1EED913E6C4B2BBEB13423BD47416EBE069741BE91A40A3E661A923B497B843E426C72BEB214993DCDA422BCCF16F7BD5FF67CBE46441D3EB0D0273E1C6F133E5F4322BD7E98913D4ABA2CBE3C826D3E6F541D3EC5FD2D3D5D490ABE3954593E7F788C3E831C9B3D7A906B3E81CA8DBDEE6294BCC5E0263E45C8B5BD54B9933E7B4F3DBEF941C5BD30626FBEB8FEC53D34806FBEC02F8B3EC7B88F3E8FFD32BD5746F43DD2A84D3E97C2F9BDFE59D5BD6B031F3E836DF63DCF1D6CBDA119DDBD89458ABEC0FC0D3D51C6BD3D606989BE4E4B22BEB943613E97D4CA3D7979D33D7850DDBDC4E6A43DAF22F4BD8DD7E7BDECEDE33DAC74753ED531FBBD979E89BE28BD623E59D94DBD3F85CABC9FEABCBDDD16C13DD1FD2CBE6357DD3D08A61C3E25C15B3D551F38BE746A963C881618BE8C2A893E66B3783E893033BC27C28CBD706E413D624D7D3CA9B40FBE76FCDABD4FCA6D3E",
      model.norm.weight: "0x10000000C7D8893FA6825A3FEE278F3FF8CD5B3F39FF5A3FE99A823F691F793F3138793F",
      lm_head.weight: "0x10000000A3B277BCF30E98BE550342BE6FE866BCBA6B303D7268DABDE06C993ECE216E3C263097BE9F5A1ABD2423DEBD12E692BE6DD185BE108E68BE49B63D3EC04373BEB7AD92BA36D9943E91C1AE3E83CD773EF3B22F3EFC558CBE2DDB3C3E8D218FBD309C66BE32978CBEA27895BDE34160BEBE0AD93D2373FFBC759C103EA1E4E13CB499B43E06A45A3E89AB82BEF53E4D3E72A801BE4FEF573DAF1A89BEF340EC3DB8EFF13D27D9A53EDB6E853EE39A3C3E85394D3ED7B0ABBEE4E54D3E3CC35FBDB77E0A3EA8646ABDA2EE303EC141A73DF1B6903ED1FC2E3E9EA314BE7F2E8FBEE1090BBE23E516BE018AAB3ED32B9B3ECA3D113DAE40493D56E9FF3C166715BE44E04D3E8B1B123EBAE3C83D6456763E7CFCDEBD794147BE1CD58EBE03BE84BE48949F3E83DD523DC6458EBE90C49E3E05B076BE40FD55BED0ACA93DC70C5FBD59447ABE9BF92CBE49E89DBE0E088FBEA48D573CA3001DBE52BF9B3D287799BECB29063E3DCA603EA48DC33C5D49A1BEB5D8423C4F6FA3BD12A793BE771E533E1E6195BED823A3BE77EC13BE09D71C3E3880CF3D3E9DA53E461841BD413075BEB2EB843EAF571C3E304C47BE9816F73C9CA519BE06D69ABDC6FE9B3D7877693E4B1D01BEA20EACBE2FD7933E7809FFBDC4D7AA3E4F6DCB3DE46D9E3EC70F7DBEC64679BD27C3DABD7D4723BDF60EAD3DB9A1193C83C3F23CE212E1BDE65480BD"
    }
  }
#-}
