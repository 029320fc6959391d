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
// Dynamic residual scaling (not merged: lq-expand runs it) with every
// other transform: the function is unchanged.
// RUN: quant-opt %s --lq-insert-fpt="residual-scaling=true residual=true down-rotation=true" --lq-merge-fpt --lq-expand %lower-to-llvm | %run-main > %t.rscale
// RUN: %python %S/../Inputs/compare-floats.py %t.rscale %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: quant-opt %s --lq-insert-fpt=down-rotation=true --lq-merge-fpt -o %t.down.mlir
// RUN: FileCheck %s --check-prefix=DOWN < %t.down.mlir
// RUN: quant-opt %t.down.mlir --lq-expand %lower-to-llvm | %run-main > %t.down
// RUN: %python %S/../Inputs/compare-floats.py %t.down %t.ref --rtol 1e-4 --atol 1e-5 | FileCheck %s
// RUN: not quant-opt %s --lq-insert-fpt=residual=true --lq-smooth 2>&1 | FileCheck %s --check-prefix=ORDER
// ORDER: run lq-merge-fpt before lq-smooth
// RUN: not quant-opt %s --lq-smooth --lq-insert-fpt=residual=true 2>&1 | FileCheck %s --check-prefix=ORDER2
// ORDER2: run lq-merge-fpt before the residual rotation

// Function preservation of lq-insert-fpt and lq-merge-fpt on a whole model
// (rope_style "half", 2 layers, 2 query heads sharing 1 KV head): the logits
// of @forward on 6 tokens and of 3 @decode steps (caches threaded) agree
// with the original to 1e-4 relative, with the transform pairs in place
// (expanded), once merged into the weights, with QQQ's smoothing pairs
// (alone and on top of the FPTs) merged, and with the residual stream
// rotated (embedding table, norms and every linear merged), and smoothed
// on top of the merged rotation (smoothing over an unmerged rotation is
// refused: the pair would not commute with it).
// CHECK: MATCH 144 values

// With down-rotation, the online Hadamard (blocks of 4 of the 12 hidden
// channels) stays before each down projection, in both functions; its
// inverse is merged.
// DOWN-LABEL: func.func @forward
// DOWN-NOT: inverse
// DOWN: lq.fpt.rotate %{{.*}} {block = 4 : i64, online} : tensor<?x12xf32>
// DOWN: linalg.matmul {{.*}}lq.role = "layers.0.mlp.down"
// DOWN: lq.fpt.rotate %{{.*}} {block = 4 : i64, online} : tensor<?x12xf32>
// DOWN: linalg.matmul {{.*}}lq.role = "layers.1.mlp.down"
// DOWN-LABEL: func.func @decode
// DOWN: lq.fpt.rotate %{{.*}} {block = 4 : i64, online} : tensor<1x12xf32>

// Nothing mergeable is left, and @forward and @decode share every merged
// weight (one blob per weight).
// MERGED-NOT: lq.fpt
// MERGED-NOT: .fpt_

// The model: quant-import of a random checkpoint (test/Inputs/make-tiny-llama.py --dim 8 --hidden 12 --layers 2 --heads 2 --kv-heads 1 --vocab 16 --context 8 --seed 11),
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
module attributes {lq.model = {arch = "llama", context = 8 : i64, dim = 8 : i64, head_dim = 4 : i64, heads = 2 : i64, hidden_dim = 12 : i64, kv_heads = 1 : i64, layers = 2 : i64, norm_eps = 9.99999974E-6 : f32, rope_style = "half", rope_theta = 1.000000e+04 : f32, tied = false, vocab = 16 : i64}} {
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
    %9 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.q", lq.act_absmax = dense<[1.33586, 2.90643, 1.7891, 3.0906, 8.11762, 2.41669, 27.5579, 2.23527]> : tensor<8xf32>, lq.hessian = dense<[[9.82693, -5.5849, 3.23399, -1.30644, 5.63673, -2.31843, 4.36097, 4.17596], [-5.5849, 90.7326, -1.91221, -8.47035, 0.491375, 6.31851, 134.904, 2.7212], [3.23399, -1.91221, 23.2341, -6.04346, -23.8618, 0.742908, -7.84275, 9.41787], [-1.30644, -8.47035, -6.04346, 46.6689, -3.16394, -0.467296, -7.29356, 0.635767], [5.63673, 0.491375, -23.8618, -3.16394, 433.151, 8.68261, 217.78, -11.7732], [-2.31843, 6.31851, 0.742908, -0.467296, 8.68261, 64.0372, 46.5137, 8.15083], [4.36097, 134.904, -7.84275, -7.29356, 217.78, 46.5137, 4194.3, -20.5836], [4.17596, 2.7212, 9.41787, 0.635767, -11.7732, 8.15083, -20.5836, 33.4493]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%6, %cst_1 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%8 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %cst_24 = arith.constant 0.000000e+00 : f32
    %10 = tensor.empty(%dim) : tensor<?x4xf32>
    %11 = linalg.fill ins(%cst_24 : f32) outs(%10 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %12 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.k", lq.act_absmax = dense<[3.04232, 1.3263, 7.809, 1.73272, 1.22087, 4.0261, 2.86169, 2.04182]> : tensor<8xf32>, lq.hessian = dense<[[82.1839, 4.2368, -39.7214, -0.17383, -2.97537, 4.23831, 3.38767, -0.767736], [4.2368, 17.6344, 5.88056, 1.27472, -2.11708, -0.739302, 2.88035, -0.365291], [-39.7214, 5.88056, 504.33, 27.9803, 1.33274, -53.523, 0.544956, 33.5784], [-0.17383, 1.27472, 27.9803, 37.1627, -0.95037, 1.88479, 5.27518, 5.99163], [-2.97537, -2.11708, 1.33274, -0.95037, 10.6869, 3.73519, 3.618, 2.54927], [4.23831, -0.739302, -53.523, 1.88479, 3.73519, 120.112, 16.6037, -3.32187], [3.38767, 2.88035, 0.544956, 5.27518, 3.618, 16.6037, 56.4732, -4.37938], [-0.767736, -0.365291, 33.5784, 5.99163, 2.54927, -3.32187, -4.37938, 39.628]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[0.836453, 1.80928, 1.93901, 2.98124]> : tensor<4xf32>, lq.out_min = dense<[-0.709951, -1.43302, -1.59513, -1.64894]> : tensor<4xf32>, lq.out_max = dense<[0.836453, 1.80928, 1.93901, 2.98124]> : tensor<4xf32>} ins(%6, %cst_2 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%11 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %cst_25 = arith.constant 0.000000e+00 : f32
    %13 = tensor.empty(%dim) : tensor<?x4xf32>
    %14 = linalg.fill ins(%cst_25 : f32) outs(%13 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %15 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.v", lq.act_absmax = dense<[3.72867, 2.22634, 3.60948, 10.5386, 2.3852, 3.65854, 1.86527, 5.46133]> : tensor<8xf32>, lq.hessian = dense<[[109.689, -9.40228, -10.49, -62.9489, -7.08431, 3.5587, 3.31218, 19.4074], [-9.40228, 35.6567, 7.30205, 13.8348, 6.49624, -21.4267, -0.734944, 24.6077], [-10.49, 7.30205, 107.814, 3.75868, 9.09416, -2.81494, -0.52291, 0.630707], [-62.9489, 13.8348, 3.75868, 791.991, -3.56363, -49.6721, 8.04711, -6.13363], [-7.08431, 6.49624, 9.09416, -3.56363, 54.4111, -18.827, 2.60576, -15.1274], [3.5587, -21.4267, -2.81494, -49.6721, -18.827, 100.312, 0.118257, -2.05084], [3.31218, -0.734944, -0.52291, 8.04711, 2.60576, 0.118257, 27.4343, -5.1492], [19.4074, 24.6077, 0.630707, -6.13363, -15.1274, -2.05084, -5.1492, 331.853]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[2.46131, 1.65326, 1.67792, 1.73156]> : tensor<4xf32>, lq.out_min = dense<[-2.07047, -1.33298, -0.730964, -1.05352]> : tensor<4xf32>, lq.out_max = dense<[2.46131, 1.65326, 1.67792, 1.73156]> : tensor<4xf32>} ins(%6, %cst_3 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%14 : tensor<?x4xf32>) -> tensor<?x4xf32>
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_76 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_76 : index
      %c2_77 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_77 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_78 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_79 = tensor.extract %expanded[%128, %129, %136] : tensor<?x2x4xf32>
      %137 = arith.mulf %in, %extracted : f32
      %138 = arith.mulf %extracted_79, %extracted_78 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_76 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_76 : index
      %c2_77 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_77 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_78 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_79 = tensor.extract %expanded_28[%128, %129, %136] : tensor<?x1x4xf32>
      %137 = arith.mulf %in, %extracted : f32
      %138 = arith.mulf %extracted_79, %extracted_78 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
    %40 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.attn.o", lq.act_absmax = dense<[2.38318, 3.26493, 1.05848, 10.2377, 0.836478, 2.52792, 3.96091, 0.904813]> : tensor<8xf32>, lq.hessian = dense<[[46.6339, -0.559446, -1.63109, 26.4624, -4.03239, 3.41564, 18.6964, -0.192206], [-0.559446, 113.431, -2.52136, -77.5348, -0.745728, 11.5774, 15.7377, -4.69286], [-1.63109, -2.52136, 9.80861, 9.16567, 2.06438, 2.02087, -2.84269, 0.476968], [26.4624, -77.5348, 9.16567, 887.197, -6.61458, 9.85986, -45.4268, 1.34102], [-4.03239, -0.745728, 2.06438, -6.61458, 9.29388, -0.0318393, -7.23418, 0.83864], [3.41564, 11.5774, 2.02087, 9.85986, -0.0318393, 61.0192, 17.0441, 3.93636], [18.6964, 15.7377, -2.84269, -45.4268, -7.23418, 17.0441, 83.619, -9.54719], [-0.192206, -4.69286, 0.476968, 1.34102, 0.83864, 3.93636, -9.54719, 7.40443]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%collapsed_37, %cst_6 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%39 : tensor<?x8xf32>) -> tensor<?x8xf32>
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
    %50 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.gate", lq.act_absmax = dense<[9.84858, 3.43612, 1.11214, 2.89789, 1.83492, 2.24764, 2.46429, 2.43697]> : tensor<8xf32>, lq.hessian = dense<[[495.685, -60.6826, -9.343, -11.446, -0.691797, 9.58673, -12.1757, 17.7314], [-60.6826, 99.8286, 1.06681, 5.42731, 2.84154, -9.18254, -11.7078, -8.01305], [-9.343, 1.06681, 14.238, 4.51641, -0.884671, 0.142261, 2.38281, -0.63883], [-11.446, 5.42731, 4.51641, 83.1392, 0.101647, 0.74043, -10.5505, -10.6759], [-0.691797, 2.84154, -0.884671, 0.101647, 14.5189, -0.55995, 5.113, 0.943191], [9.58673, -9.18254, 0.142261, 0.74043, -0.55995, 39.027, 5.32686, -0.995431], [-12.1757, -11.7078, 2.38281, -10.5505, 5.113, 5.32686, 55.4759, 14.8517], [17.7314, -8.01305, -0.63883, -10.6759, 0.943191, -0.995431, 14.8517, 47.0648]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%47, %cst_8 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%49 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %cst_43 = arith.constant 0.000000e+00 : f32
    %51 = tensor.empty(%dim) : tensor<?x12xf32>
    %52 = linalg.fill ins(%cst_43 : f32) outs(%51 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %53 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.up", lq.act_absmax = dense<[0.998198, 4.65337, 2.05116, 2.27487, 2.40507, 13.3322, 1.11865, 3.24429]> : tensor<8xf32>, lq.hessian = dense<[[7.26763, -1.14877, 2.90758, -1.15862, 3.19521, -12.5652, -0.706345, 0.589301], [-1.14877, 136.486, 0.850072, 5.29897, 12.2946, 137.531, 3.66073, 11.5473], [2.90758, 0.850072, 39.3795, -8.00542, 7.23151, 19.5319, -2.62624, -12.2623], [-1.15862, 5.29897, -8.00542, 41.609, 2.67609, 26.8728, 1.87076, 11.7697], [3.19521, 12.2946, 7.23151, 2.67609, 78.7895, -38.12, -7.31897, 8.87909], [-12.5652, 137.531, 19.5319, 26.8728, -38.12, 1611.2, 4.05841, -22.6615], [-0.706345, 3.66073, -2.62624, 1.87076, -7.31897, 4.05841, 8.4437, 2.9212], [0.589301, 11.5473, -12.2623, 11.7697, 8.87909, -22.6615, 2.9212, 57.3511]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%47, %cst_9 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%52 : tensor<?x12xf32>) -> tensor<?x12xf32>
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
    %58 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.0.mlp.down", lq.act_absmax = dense<[0.959963, 1.26177, 2.9233, 23.0302, 2.42926, 2.5034, 2.51331, 2.73178, 28.3623, 18.5642, 2.70445, 1.9606]> : tensor<12xf32>, lq.hessian = dense<[[8.81894, 2.572, 2.5599, -4.88493, -4.787, -2.11109, -3.46855, -6.33105, 17.1788, -1.92459, -2.03734, -4.16246], [2.572, 11.0444, -2.62122, 51.4122, -0.557569, -2.04665, 4.02102, -2.23895, 50.5667, 15.9588, -1.36617, -3.76218], [2.5599, -2.62122, 59.5458, -99.7331, -13.3434, 3.90464, -19.54, 5.5077, -157.913, -115.807, -13.7269, -10.8197], [-4.88493, 51.4122, -99.7331, 4294.28, -0.00831808, -97.7615, -21.1023, 33.5086, -443.088, 330.737, -66.5378, 22.0519], [-4.787, -0.557569, -13.3434, -0.00831808, 55.6522, -2.23209, -3.86909, 0.89679, 89.5372, 39.1196, 11.2409, 10.9129], [-2.11109, -2.04665, 3.90464, -97.7615, -2.23209, 59.0427, 7.03062, 2.23024, -145.392, -44.3606, -8.97353, -2.43951], [-3.46855, 4.02102, -19.54, -21.1023, -3.86909, 7.03062, 68.276, -2.87442, 80.0757, -9.67415, 9.76217, -4.72145], [-6.33105, -2.23895, 5.5077, 33.5086, 0.89679, 2.23024, -2.87442, 64.6514, -37.3872, -20.1086, -12.0568, 4.44044], [17.1788, 50.5667, -157.913, -443.088, 89.5372, -145.392, 80.0757, -37.3872, 7756.73, 1266.72, -18.9741, -39.524], [-1.92459, 15.9588, -115.807, 330.737, 39.1196, -44.3606, -9.67415, -20.1086, 1266.72, 2437.35, -12.5953, 26.7538], [-2.03734, -1.36617, -13.7269, -66.5378, 11.2409, -8.97353, 9.76217, -12.0568, -18.9741, -12.5953, 70.916, -2.30846], [-4.16246, -3.76218, -10.8197, 22.0519, 10.9129, -2.43951, -4.72145, 4.44044, -39.524, 26.7538, -2.30846, 39.7181]]> : tensor<12x12xf32>, lq.tokens = 48 : i64} ins(%55, %cst_10 : tensor<?x12xf32>, tensor<8x12xf32>) outs(%57 : tensor<?x8xf32>) -> tensor<?x8xf32>
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
    %68 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.q", lq.act_absmax = dense<[0.649953, 3.90052, 1.84792, 0.937795, 2.2403, 3.08407, 4.53517, 1.40605]> : tensor<8xf32>, lq.hessian = dense<[[3.8581, 1.85183, -0.245422, -0.317171, -1.55121, -1.38369, -1.14608, 0.45182], [1.85183, 68.8742, -5.71999, -4.34671, -24.7746, 15.2756, 17.8357, -3.90031], [-0.245422, -5.71999, 16.3433, 0.896828, -0.664369, -4.92749, -9.56098, 0.433281], [-0.317171, -4.34671, 0.896828, 7.55353, 3.72555, -2.06798, 2.192, -0.131817], [-1.55121, -24.7746, -0.664369, 3.72555, 46.6247, -3.20043, 0.566633, 4.22701], [-1.38369, 15.2756, -4.92749, -2.06798, -3.20043, 73.4827, -3.96636, -6.04852], [-1.14608, 17.8357, -9.56098, 2.192, 0.566633, -3.96636, 111.694, -9.71499], [0.45182, -3.90031, 0.433281, -0.131817, 4.22701, -6.04852, -9.71499, 17.3836]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%65, %cst_12 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%67 : tensor<?x8xf32>) -> tensor<?x8xf32>
    %cst_49 = arith.constant 0.000000e+00 : f32
    %69 = tensor.empty(%dim) : tensor<?x4xf32>
    %70 = linalg.fill ins(%cst_49 : f32) outs(%69 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %71 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.k", lq.act_absmax = dense<[3.86355, 1.25794, 1.45558, 3.38198, 3.53568, 3.01069, 3.57167, 1.1665]> : tensor<8xf32>, lq.hessian = dense<[[111.955, -9.28285, -5.48953, 14.9398, 5.21466, 23.5703, 3.01421, -6.04346], [-9.28285, 12.1941, 1.88113, -8.45401, -3.10992, -4.66023, 6.48685, 0.767402], [-5.48953, 1.88113, 18.4254, 1.98464, -5.26572, -5.27701, -4.24174, 1.20198], [14.9398, -8.45401, 1.98464, 95.4093, -4.44373, 11.257, -11.9538, -1.07932], [5.21466, -3.10992, -5.26572, -4.44373, 73.4405, 2.90545, -6.05124, 3.55144], [23.5703, -4.66023, -5.27701, 11.257, 2.90545, 79.25, 8.40692, 2.24576], [3.01421, 6.48685, -4.24174, -11.9538, -6.05124, 8.40692, 95.1542, -4.78464], [-6.04346, 0.767402, 1.20198, -1.07932, 3.55144, 2.24576, -4.78464, 11.067]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[2.5407, 0.560759, 2.04526, 2.64629]> : tensor<4xf32>, lq.out_min = dense<[-1.45424, -0.217099, -1.43568, -0.824419]> : tensor<4xf32>, lq.out_max = dense<[2.5407, 0.560759, 2.04526, 2.64629]> : tensor<4xf32>} ins(%65, %cst_13 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%70 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %cst_50 = arith.constant 0.000000e+00 : f32
    %72 = tensor.empty(%dim) : tensor<?x4xf32>
    %73 = linalg.fill ins(%cst_50 : f32) outs(%72 : tensor<?x4xf32>) -> tensor<?x4xf32>
    %74 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.v", lq.act_absmax = dense<[1.5107, 1.07232, 2.80672, 2.42335, 1.05436, 1.65152, 1.19769, 1.83857]> : tensor<8xf32>, lq.hessian = dense<[[21.126, 1.88421, 0.477237, 10.8148, -0.909078, -3.53174, -0.10071, -5.14663], [1.88421, 12.4025, -1.38934, 0.00856718, -0.308493, -0.993138, 0.96487, -4.49319], [0.477237, -1.38934, 56.3007, -5.51592, -2.02125, -0.355637, -5.93155, 1.78238], [10.8148, 0.00856718, -5.51592, 59.4477, -0.514733, -8.12976, 5.01794, 4.67909], [-0.909078, -0.308493, -2.02125, -0.514733, 5.80415, 1.58846, -1.46437, -3.56981], [-3.53174, -0.993138, -0.355637, -8.12976, 1.58846, 21.2527, -0.105687, -3.77828], [-0.10071, 0.96487, -5.93155, 5.01794, -1.46437, -0.105687, 11.1755, -2.56869], [-5.14663, -4.49319, 1.78238, 4.67909, -3.56981, -3.77828, -2.56869, 33.6325]]> : tensor<8x8xf32>, lq.tokens = 48 : i64, lq.out_absmax = dense<[1.01493, 1.45317, 0.777156, 2.71714]> : tensor<4xf32>, lq.out_min = dense<[-0.532789, -0.913047, -0.516554, -1.66934]> : tensor<4xf32>, lq.out_max = dense<[1.01493, 1.45317, 0.777156, 2.71714]> : tensor<4xf32>} ins(%65, %cst_14 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%73 : tensor<?x4xf32>) -> tensor<?x4xf32>
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_76 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_76 : index
      %c2_77 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_77 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_78 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_79 = tensor.extract %expanded_51[%128, %129, %136] : tensor<?x2x4xf32>
      %137 = arith.mulf %in, %extracted : f32
      %138 = arith.mulf %extracted_79, %extracted_78 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_76 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_76 : index
      %c2_77 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_77 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_78 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_79 = tensor.extract %expanded_54[%128, %129, %136] : tensor<?x1x4xf32>
      %137 = arith.mulf %in, %extracted : f32
      %138 = arith.mulf %extracted_79, %extracted_78 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
    %99 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.attn.o", lq.act_absmax = dense<[3.71794, 2.69942, 1.0221, 1.31269, 20.899, 7.44223, 2.34454, 1.42344]> : tensor<8xf32>, lq.hessian = dense<[[92.0659, -12.4824, -2.50261, 4.77756, -59.0316, -18.1294, 8.22617, -11.0326], [-12.4824, 33.3656, -0.922065, -1.3653, -42.6453, 18.7345, -6.90476, 2.96851], [-2.50261, -0.922065, 6.32361, 0.234242, -26.4967, -5.77113, -1.66365, 0.813349], [4.77756, -1.3653, 0.234242, 15.3727, -24.274, -32.9099, 0.0376031, -1.75433], [-59.0316, -42.6453, -26.4967, -24.274, 2782.34, 311.326, -29.9239, 27.6874], [-18.1294, 18.7345, -5.77113, -32.9099, 311.326, 528.653, -18.8559, -8.7002], [8.22617, -6.90476, -1.66365, 0.0376031, -29.9239, -18.8559, 37.7168, -1.77379], [-11.0326, 2.96851, 0.813349, -1.75433, 27.6874, -8.7002, -1.77379, 12.8262]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%collapsed_63, %cst_15 : tensor<?x8xf32>, tensor<8x8xf32>) outs(%98 : tensor<?x8xf32>) -> tensor<?x8xf32>
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
    %109 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.gate", lq.act_absmax = dense<[28.2712, 3.18435, 2.38857, 3.62155, 2.83682, 2.81619, 1.40238, 2.6787]> : tensor<8xf32>, lq.hessian = dense<[[7438.03, -56.3365, 7.17716, -254.053, 76.3941, 111.203, -42.4267, -36.4498], [-56.3365, 94.617, 17.2126, -14.5243, -10.3389, -9.40612, -5.40203, -20.8254], [7.17716, 17.2126, 52.2838, -5.51899, 1.53392, -6.83675, 4.33591, -8.0603], [-254.053, -14.5243, -5.51899, 109.584, 0.691657, 13.4829, -1.4645, 3.93], [76.3941, -10.3389, 1.53392, 0.691657, 64.7363, -27.1602, -5.04402, -14.5077], [111.203, -9.40612, -6.83675, 13.4829, -27.1602, 79.6876, -17.4742, 17.4259], [-42.4267, -5.40203, 4.33591, -1.4645, -5.04402, -17.4742, 29.2517, -8.52823], [-36.4498, -20.8254, -8.0603, 3.93, -14.5077, 17.4259, -8.52823, 54.351]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%106, %cst_17 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%108 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %cst_69 = arith.constant 0.000000e+00 : f32
    %110 = tensor.empty(%dim) : tensor<?x12xf32>
    %111 = linalg.fill ins(%cst_69 : f32) outs(%110 : tensor<?x12xf32>) -> tensor<?x12xf32>
    %112 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.up", lq.act_absmax = dense<[1.4147, 15.9782, 1.93089, 1.08783, 1.20762, 2.18837, 2.98186, 3.84495]> : tensor<8xf32>, lq.hessian = dense<[[19.7396, 1.12732, 0.916147, 3.56796, 0.0379538, -1.03002, 0.540459, -3.82685], [1.12732, 2304.91, -34.8532, 17.7193, 3.62725, -28.005, 11.3231, -140.234], [0.916147, -34.8532, 34.2763, 6.72257, -2.83831, 0.0378105, 2.28126, -0.762923], [3.56796, 17.7193, 6.72257, 11.9977, 0.697442, 1.80195, 8.35259, 3.17376], [0.0379538, 3.62725, -2.83831, 0.697442, 11.5215, -0.960611, 4.30978, 2.89698], [-1.03002, -28.005, 0.0378105, 1.80195, -0.960611, 29.1997, -10.2603, 2.74684], [0.540459, 11.3231, 2.28126, 8.35259, 4.30978, -10.2603, 97.7762, -15.053], [-3.82685, -140.234, -0.762923, 3.17376, 2.89698, 2.74684, -15.053, 103.404]]> : tensor<8x8xf32>, lq.tokens = 48 : i64} ins(%106, %cst_18 : tensor<?x8xf32>, tensor<12x8xf32>) outs(%111 : tensor<?x12xf32>) -> tensor<?x12xf32>
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
    %117 = linalg.matmul indexing_maps = [#map3, #map4, #map5] {lq.role = "layers.1.mlp.down", lq.act_absmax = dense<[2.4394, 1.36252, 2.17323, 0.853174, 1.75371, 1.37637, 1.56364, 1.16027, 1.61757, 1.46332, 0.693639, 1.15277]> : tensor<12xf32>, lq.hessian = dense<[[48.1041, 1.18861, -6.20994, 3.53386, -0.400099, 3.2762, -7.66771, 2.48924, -2.51184, -2.35603, -2.18376, 0.37827], [1.18861, 13.7174, 2.33609, -0.620949, -2.01634, -0.53548, -2.95677, -1.39888, -1.78468, -0.817463, 0.556114, -0.190329], [-6.20994, 2.33609, 65.3818, -3.28544, -6.94333, -2.10869, 1.43591, 0.658476, 3.51659, 10.9208, 4.45934, 3.29633], [3.53386, -0.620949, -3.28544, 8.27107, -0.584782, 4.60322, -0.0473014, 0.413825, 0.316107, 1.40567, 1.9182, -0.186155], [-0.400099, -2.01634, -6.94333, -0.584782, 29.2222, 6.49832, 0.956706, -2.6131, -0.896254, 2.81486, -1.62871, -2.44395], [3.2762, -0.53548, -2.10869, 4.60322, 6.49832, 18.0144, 0.962997, -1.75057, -0.47947, -1.96437, -0.609667, -1.55888], [-7.66771, -2.95677, 1.43591, -0.0473014, 0.956706, 0.962997, 22.9169, 0.615886, 0.579197, 8.22993, 0.608779, 0.87739], [2.48924, -1.39888, 0.658476, 0.413825, -2.6131, -1.75057, 0.615886, 8.21887, 0.55342, 2.22625, -0.98851, -1.31235], [-2.51184, -1.78468, 3.51659, 0.316107, -0.896254, -0.47947, 0.579197, 0.55342, 24.8044, -0.243448, 0.234564, 3.16335], [-2.35603, -0.817463, 10.9208, 1.40567, 2.81486, -1.96437, 8.22993, 2.22625, -0.243448, 24.1615, 1.33673, 0.638098], [-2.18376, 0.556114, 4.45934, 1.9182, -1.62871, -0.609667, 0.608779, -0.98851, 0.234564, 1.33673, 6.76556, 1.47842], [0.37827, -0.190329, 3.29633, -0.186155, -2.44395, -1.55888, 0.87739, -1.31235, 3.16335, 0.638098, 1.47842, 10.1292]]> : tensor<12x12xf32>, lq.tokens = 48 : i64} ins(%114, %cst_19 : tensor<?x12xf32>, tensor<8x12xf32>) outs(%116 : tensor<?x8xf32>) -> tensor<?x8xf32>
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_69 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_69 : index
      %c2_70 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_70 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted_71 = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_72 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_73 = tensor.extract %expanded[%128, %129, %136] : tensor<1x2x4xf32>
      %137 = arith.mulf %in, %extracted_71 : f32
      %138 = arith.mulf %extracted_73, %extracted_72 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_69 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_69 : index
      %c2_70 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_70 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted_71 = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_72 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_73 = tensor.extract %expanded_26[%128, %129, %136] : tensor<1x1x4xf32>
      %137 = arith.mulf %in, %extracted_71 : f32
      %138 = arith.mulf %extracted_73, %extracted_72 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_69 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_69 : index
      %c2_70 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_70 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted_71 = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_72 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_73 = tensor.extract %expanded_46[%128, %129, %136] : tensor<1x2x4xf32>
      %137 = arith.mulf %in, %extracted_71 : f32
      %138 = arith.mulf %extracted_73, %extracted_72 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
      %c2 = arith.constant 2 : index
      %132 = arith.cmpi ult, %130, %c2 : index
      %c2_69 = arith.constant 2 : index
      %133 = arith.subi %130, %c2_69 : index
      %c2_70 = arith.constant 2 : index
      %134 = arith.addi %130, %c2_70 : index
      %135 = arith.select %132, %130, %133 : index
      %136 = arith.select %132, %134, %133 : index
      %extracted_71 = tensor.extract %cst_4[%131, %135] : tensor<8x2xf32>
      %extracted_72 = tensor.extract %cst_5[%131, %135] : tensor<8x2xf32>
      %extracted_73 = tensor.extract %expanded_47[%128, %129, %136] : tensor<1x1x4xf32>
      %137 = arith.mulf %in, %extracted_71 : f32
      %138 = arith.mulf %extracted_73, %extracted_72 : f32
      %139 = arith.subf %137, %138 : f32
      %140 = arith.addf %137, %138 : f32
      %141 = arith.select %132, %139, %140 : f32
      linalg.yield %141 : f32
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
      model.embed_tokens.weight: "0x10000000F04F2A3FA0FF5A3F182E32BFFE8191BEBE195ABE43332B3F2D3EDC3E86D82C3E267600BF911959BF6C9F2C3F5BAAAA3E30AF12BE748610BFF65082BD15341BBFDFB1193F985950BF59FFCF3EF2FC7F3F314D41BFFFCA5DBC891E2A3F78B7693FF88B2E3F893C81BEC28C2DBF05A494BEC3F12A3FFE88CB3E50CB7DBDA50D16BFB1BB8ABECCCC03BFF04D41BF5D708D3EE93887BEFF653CBF6C4F5B3F304850BFCCF15F3F163809BF7C46BEBEF015663F6D7B27BF2DD220BFE726763F5752683F142B7CBFDABF303FD1E24FBFCA5FF7BE121E2F3FD78CD3BE244514BF2C0F5CBFD41513BF4E8CD43DA7F30BBFF1C0E8BEA4653DBF6E0326BF1DB453BFA6F64CBFC90F033FDBAD91BE474231BF4487163F5F5F1B3F486ED23E9BAC11BF8FC4F1BE792A72BF9A8F403F12CDB33E054CB1BD74AA63BF5AC6143F9BAA7E3F995E153F5BADCABEF03F613FFD1AE7BD5EEB3EBFE583083F1DE2033FB96B6E3E57F913BF1E44493F7D517D3F710705BEADC62A3F067CCE3DBE72D2BEDE4D1EBFCBC9533E5292143F15827FBF0FC9E1BE4FFAD73E7C5879BF5B7C763F1F413BBF0F66B8BE559E9D3EF85D03BFC59A093DB5E1943C54508E3E19EC98BEC9BB87BE2F4770BCBBA134BFF0EB69BD34693BBF5E5020BD498B9CBE9828A8BE16572DBF4080B43E9426E2BE99DDD33E6CFA54BF57221FBF0D5B633FCD3D163F595413BFA1D792BE",
      model.layers.0.input_layernorm.weight: "0x10000000A052703F37C56E3F40DF7B3FDAF27B3FDB78863FE4E0533FDE8B703F688B873F",
      model.layers.0.self_attn.q_proj.weight: "0x10000000625B4DBE653A67BE0E728ABE547D4CBE5FC8ACBEF7048A3E766DE9BD2E4AAE3E73856A3E37B295BD35119FBD872FABBDD2A15D3E0A8522BC2605A1BE7D1DCB3DB7B82ABE9CFCC23AB4525FBE25180A3E394C023EE744FE3DA9DF03BEF91B3F3D0E75ABBE9EC3D0BB04F0B13E151FCA3D46BDB0BC3B6880BE0781133ED9728BBD312E8DBEFBD898BEDC85D63C4EEE9DBDA76294BEFE229E3E086AD2BD8A363BBEE7A1E3BC2AE3473E5A62063E74C2ADBED83EA23E626FA33E849B1DBEA3E38D3E3D4C83BEDF1E54BD7737153EFBF4633DEB2D17BEE2C005BE6702B4BE7963683EB7DF6BBEAFF19B3E91DAAC3EED052F3ED93A9CBE8E6EEBBDB2869B3ECBDD85BE",
      model.layers.0.self_attn.k_proj.weight: "0x10000000B814B33ECBF6EA3DEF0BCEBD5A42823E1C0EC5BC356644BE4E5412BE6D2B92BE521494BEE498AF3E57E3A83E105B0CBD77CC66BEDFB1BEBD6629EEBDAFD49F3EB0D9863E0964B5BD6EB92C3EAA697C3E30F74F3E733946BE939F8A3E2657A1BEAD7F813DB783F73D675C493D7084793E24BDF8BD0FA967BEBB33A9BE67F7B0BE",
      model.layers.0.self_attn.v_proj.weight: "0x10000000252B8B3D31D9033EBE4494BEB455C43D008F823ED6D74EBD3D2A96BEE67689BE9990793EEFA7AABE82F35CBE197220BCF7AB9CBE04F85B3E799F94BE3498543EEE46DB3D10CEA03D95E734BE4F46823DB6A4DBBDF546ACBD63397F3CB63AD43D53D2AEBD8F4CEB3B9F68A2BE0EDB73BE25452D3B63CD69BE6DEF3D3E99B4A0BD",
      rope.cos: "0x100000000000803F0000803F40510A3FB9FC7F3F3311D5BEE5F27F3F26707DBF83E27F3F305527BF94CB7F3F2C3C913E19AE7F3FB8CD753F128A7F3FBDFF403F815F7F3F",
      rope.sin: "0x100000000000000000000000A46A573F57D6233CB7C7683F3ED4A33CC381103E20B9F53CCFBD41BFDBCB233D107C75BFF5B64C3D8C0F8FBED19C753D4630283F323E8F3D",
      model.layers.0.self_attn.o_proj.weight: "0x10000000EA842EBE78B6533E2C44883EBCF33BBEC920713D059E9C3EB592E23DC9649DBEDA14B53D7FE54F3E0D2BA93DE128BE3DD8E6D3BD587592BE6F76673E13E8A73EA3962C3EAACDADBED197653EB079F6BDA9EB1CBE34BC7DBEB3536F3E9A848FBEEF40263E0313213EED1017BE9717923E6FF81EBE5C5596BEDF60A2BE5EB62A3EDC935A3EFF68853E658F873E390995BE47B040BEFF1DD4BDB8C1F43D9D499D3E420BB13E52A7EEBDCF805CBEF2A553BE7FED5ABE32383B3E881966BDE98E4CBEA5FA47BEAD86A93DA56985BDC210413E3AEF69BD725E233E35D28EBD229D593E0AC4513E1E57913E1C8E0B3ECB2FC3BD9129923DB6E33CBE17799A3E285931BB",
      model.layers.0.post_attention_layernorm.weight: "0x100000009EB6893FE55E803FC908853F59E7973F6A50963F07E5583FC526853FF957623F",
      model.layers.0.mlp.gate_proj.weight: "0x10000000C38A26BD6C1164BDDE585C3EBDB65B3DFA3D6ABEA550333E0D51A3BEDA58A6BE8747023E33704FBE2F29093DAEA93E3EC8ACDE3BFC9AEBBDB8488FBEAA6FA83E9D6152BDBDE9BDBD933203BCAB29AEBD4556683E1E73753D0F8388BE4D819FBEDC1288BE564FC73DD624BABCA079D9BC3546A23E519A513EEF486FBCCDDB2B3EAB0DAE3E38403C3EA2539FBE5E6F833E2F79083E2A6F6F3BF2B31C3E4A6CB4BEB03F6CBD6B2D93BE93565C3ED0FB533D874C4E3E041C813D3D9FECBD6646A3BD704618BEBE9AA03E69A99ABEEB819C3E56F37C3EA550AEBEEE298BBAA2AE6C3D299CC3BD808BA23E9E8FA83E11B5843DA19190BE18978C3D0B2890BE4D41A9BDF0FF19BD0D51AF3E504198BE561DE03DC5875EBC9E370CB933E6493E33FCA13E93BD653E0DEB71BE377544BE7D03B3BEA2CD37BD1C96A63E423BCF3C4A5F25BE81A980BD930C873E3851ABBEAE0856BEE41588BEE57237BE0D29F7BD79E09BBC941544BDAB2331BE254FA6BEF7C6A03E5B244BBE87FB7FBE79D3C0BDFB2B7E3E",
      model.layers.0.mlp.up_proj.weight: "0x1000000017237EBE61C7973E9D27AE3EDDA9643E393010BE708D7F3EEFD9643EC6ECB8BD46AC97BE1DA923BE714F69BE124E863DD604A53D907C4D3EC8FB8A3E9B594DBED61CED3CD4B1CEBDC236923DB4E71ABE12B7883D37892D3D8559FC3D3BF298BE5F400FBEAC88A33EC817493E18B807BEAE22433DADD797BDFFA839BEE0868B3E15876DBE99F31BBE82E0933D08E39B3E3BA9A2BEAA11F93DD83F9BBE3798EEBDDF2E6B3EC5BE5CBE9711943EEB615B3EE0AD49BD40C6A73E1BAD863D521681BC44C26EBD7B77D4BD71AFB23DCCA020BD3BE1F6BD9192403EB3AB3EBEBC3772BD0FF3533EB759B1BD1A8C7D3EAD8698BE53D312BE5C841F3EA05E943E0072A03D6BFC9C3E4926B43E35D90B3EDE5B5B3E0312F2BD0C89D1BD6D8A79BDD511A23E3599ADBE4722EBBD6E4BADBDAA7FA23EC7360E3CAEBE45BE0CAF2A3E43575CBB561F92BD69C347BE459777BECE1591BE4A76A03E9DEDAB3EFBEAD13B03456F3E50791A3DDEC05FBE366A913E3EAFF63C8396ADBE9BC927BEEAE72B3E0502853E",
      model.layers.0.mlp.down_proj.weight: "0x1000000056E6273E8EB1823E3099143E0EB78ABEC183723ED20A65BD7CC6FF3D42530B3EE3F660BE28851ABE9ACE653E2F2DCD3DD0492D3E38156E3EF284F6BDCEA774BE663747BE3206E7BDA2F7EE3DE8B0BD3CD709023E877D8EBE1BF083BC9C6D843EE3536E3E06891D3E6E6D153ECBF87C3EC3303E3E799E1C3E01D27EBEDCE54DBEA0DA363E557585BDC535E23D7E135B3E2B39A4BD9ED445BEFAB8393D049176BE55FD163D4D5FE33D423ED5BBD27F153EF9F3C33C49C493BE86D1703E3F76223EF3CE8E3D155A473D2355E4BDFBCF813E8DB24EBE8ADC8F3EA62D083E2D248E3D8A38073EB09E45BEA11E2FBE75FF883E9D346DBD0FF93D3D812060BE461A52BE17FC5DBA5CEC3DBE041EF43D9C3F1DBD88DF6FBE34EF5BBCF4E8D23B380AD1BB4E9F33BD758DDA3DAE232F3D67B31EBD10388BBE9191333E77BE403EFFA155BD2C0E123E4A48AFBCB89C063EC24FB9BDE0E88C3CE7A2FB3DB391EE3DF304E3BD7D0E1BBE9BD37CBDAB2F2DBEF8800B3EB61BE5BABFE977BE65B1573EB6F9333E",
      model.layers.1.input_layernorm.weight: "0x100000005F73823F19AB753F1E70973FDC608A3F6259943F6712693FCCC1983FC98D813F",
      model.layers.1.self_attn.q_proj.weight: "0x1000000084430F3D20E519BEC0EC3F3D9084BA3D6DF04D3E4F7539BE65A5253CF688AC3C1EB5143EF016963EAABB133D676791BED026E1BD3284A93E71F8E8BDE07D853ED17E99BEDDF645BDEED10BBEADC69A3E7A7DB0BD466673BE75D4ABBD7C5AB73D933D683EA0F4B2BDCBC384BEE9D39E3E40E0F9BD715899BEE46F71BE39FA5EBEB1C39ABD186330BE32BFE0BD3365A5BE00C9A5BEAF45AE3E2B4B243E2A17883EE636FCBCFB8190BD03A14BBEDCEDF73CD3CEBFBD5EC3313E25817A3EB1D14C3E565A7ABED5B8A93E9161E5BA17608A3D84047C3EDDA6C2BD115EA13EC107973E1C64D8BD0633343ED72A05BDF21B2D3E935BAF3B934F0C3D0857333E620DC73D",
      model.layers.1.self_attn.k_proj.weight: "0x100000001CBF4D3D765207BE793F843E0D92A93DE6AE503E57AC19BDD0F09ABEFC26B4BEB1FFA83ECB663CB92FA2A73E4C86683EDC0D153ED6DD60BE25D8A63E400F5D3D272CDBBB5394383E153AACBED7EE00BEE7EF7BBEE6FCA7BE8A41B43EC7E6583E94D329BE430B243E4C8ACBBDCB7DE2BDD0691DBE55D453388091853ED3A5363C",
      model.layers.1.self_attn.v_proj.weight: "0x10000000CE703BBE06569A3EA402D7BD660D183ED9071E3E413CB4BE1F8E8D3D49EC85BE7EEF5FBEB3DE0ABCF43A8B3E671B0CBE270106BC8BA66C3DB9BAAB3D318DC83CF481D2BC9E9F58BED3D479BEA07E7E3EEAD298BE98816C3E7CAF72BE8A566DBE173FC03DD9183F3E68538C3E6534243E1E2A60BE850167BEC2F4A7BE935E273D",
      model.layers.1.self_attn.o_proj.weight: "0x100000006738D23C81888D3E218CF23B0190B1BE9DCCDBBCD2889F3E9324CEBA8EC260BE8AF767BE36A8A63E50CF373EF6DAA9BD3E2D02BD0DCC3CBE18F577BED09E443E863697BE63E68EBE5BE5553DA81A2EBEC8DB033EBFBF93BE8694D23D3CDFA43EFA56CDBCAE3E073DBC87F93DA8D2883D6BFCE3BD13058DBEB29C433EFCEAF0BB4A202E3DD26F91BEB10386BD96E088BD68A38C3D020E47BE40672D3E9EF12EBD00F6AC3EBE8C8ABEEC326D3D4D2F47BE09A08DBD086526BE38D0243EB2110DBED4384FBEA7C805BEFFCA5A3E7BF441BEBA5217BEE1CF573E01D3C63CD2721A3EA91B9FBB2483323C43AD0D3CC271933D14499DBE02138A3CABFB673E8D455BBE",
      model.layers.1.post_attention_layernorm.weight: "0x10000000CF1C923F2ADB853F9530973FF855953FB07E673FBF0C883F55F7653F5B71573F",
      model.layers.1.mlp.gate_proj.weight: "0x1000000020A898BD772114BDE3A4963D8DDE263E75EC2ABEB324753ED0A773BE304BB1BE154B6ABE94F3E33D07B0993E628951BE8897493E785C7FBE29B6A1BED44F8DBE8BC6663ED8A394BEA1D5B23DF7489D3E2852A7BE1273A2BEDDD89B3E8028953DC2DA403E0BFDBF3C5B7B9FBD0CF939BE996D7A3D98E6973DF4194DBE692B79BE8BD510BECF0F08BE9E03A7BE39D98C3EFCB3153DE405993E4D3EFFBD7A6778BEC2EE073ECC9DCC3DEE78913ECB16A23E26B1913D610EC5BD129F6BBE7FE8DB3D91707DBE62F3FFBD3436AA3E7F637A3E3B6DF13D33EB9DBD5D0217BD4EC0853E4249613E6718A5BEF9492A3EC07BAD3D6B9E273EFE04DDBC557E30BED8F3073E85E5413EF2ED20BEB0DB6D3ECBBDD03DAA42A23EE227E03B2C52393E1789183E00B1863E1A3E4BBE52AE883E228C2EBD98C5F73D5FF3A33E5E113E3EA397593EFB7490BE6D9D973E614098BC292D663E8801703D31F98B3BB30E03BC014301BED8B4833EEB9F363E52E6643ECEA9AABDDE9A993E439B0B3EDC586DBE7F6B3DBE",
      model.layers.1.mlp.up_proj.weight: "0x1000000009B158BEFAE787BE8AD5E93C3B2F063E57E5A3BECA59363E5C50C43C3BFAE83D801E853E7BD30FBEA95D84BE921639BE7C798B3E971842BEAC0687BE6F09433E263B883EFAD6EEBDD71C3BBD81821A3E5789A0BD203124BE009D973EE6758B3EFD0BA63E1D78273C9F0ECFBD61E0B1BE9475383ED016AB3D82D7D73D832CB1BE868351BADFE0B13E900B0E3E2A22B33DBEE6173DA271663E7D6F48BE4B69CBBDEBA7D43C052A3A3EC5722A3EBE21833E07AEA53ED75FA2BE9AE6453E1E2B51BE38FEF43D814D68BE1FEB74BEC58EA23D99CD64BECB27A83CB69796BEC2A9843EDDD9D4BC1CAD903EE0AED83B0C87A3BD7FAF773E181AAEBEADB420BDF86E92BE5C0A9FBDF53E11BD09D6ABBEA0B2CB3D32AC0B3E3CE9B1BECD5F71BEB12E5EBE6380843E56BA10BEBEA2A8BD04A57ABEAA5350BE824ED1BD7D9A7EBEDCEC42BCF7774DBE0A4986BE58AD413D544AAC3E30C38C3EBD6F8EBE1645ADBE7107093DF985303D5A4A823E23A41DBE21B1E43DA5B2A0BEDBC75BBEA67EE4BD420EBC3D",
      model.layers.1.mlp.down_proj.weight: "0x10000000811D24BECA0D52BE146D68BC6EAF883E444438BEA9E64CBE5177A73D65E75E3E9EB2553EE383803E4BE8BD3DFE9BD93D2EF37EBE1344713D4A0FCBBD1EA9E2BD07A934BE1E32C6BDD58F22BD7B92A8BD996D87BEBFB0053EC0DC333EAFF6A8BD9F8016BE46E4F2BD1C60323CF93925BEFF209E3D51D9F5BD32A62E3E666715BE9EAF3D3E84B250BE1C0EFDBD2DB86ABDB57E2A3E0B3157BDF7257C3EA8F612BE51387CBE5DFC063D7FC2053DDEA72BBD8AC634BE5AB784BE04AB513E37917CBD7A960F3C7D3BC33C0EF58ABE96457ABE4FA932BC49CFB7BA3E84043E691F04BE9C1723BD8B83743E87DA91BD635FBABD006F3D3E49F410BCC5ED8BBEE73C17BE8181F8BC75D9E9BD35D58BBE575EFC3D776F1CBE89C70CBE3F997A3E32E5CE3D0610AEBD1ABF473EBF0C7ABEDC0B0EBDE9EAAA3D0C6DBC3CB475D2BD6CD0813E372181BE1ECD38BE3B9B933E7E6A6ABE700125BE6702DCBDE0D93ABE1A47C13DEED1E4BD4AB64BBE949FF83D5098F2BD32F675BECEAC6DBE0248EABDDE20193D",
      model.norm.weight: "0x1000000086217B3F4567853FC06E633F55EE883F814C7A3FE713943FC4748B3FBD24973F",
      lm_head.weight: "0x100000006B85ABBEE57DFF3DFB4C1D3E7C9D8E3ED976553E11BE9C3D223E713EA19DAC3E5B96A4BEE82D71BE02FB893D4DED783E3422743E36AF2F3D62DE95BC4C10773E9BBF173E33D98C3E65F604BEC0F6A4BEEA1C26BC73BB183EC6DC69BE50B5ADBE2C338D3E1070AEBE2B83AFBE9EC1B83BB675403EC24AB4BE9BA2D9BD16715CBEB7B2A2BDE37910BE97BE1C3E709315BEF465DBBC88250F3E574397BED59A98BEF038823E90BC11BE0304913EC4958C3D76EE5F3E513AEEBD18BAAABE8D98463DFD079ABE380046BE93E6093ECAD32DBEA662E5BC5DC5A7BE8E5C1E3E230B94BE6CDF6ABEF4FB80BE3EFAECBDD4A3243E278299BDF4B5583E4700973ECEE489BEEDE539BE788DB8BA47752EBEEC0A273E093BD7BD308EC93D3028833DB08535BEDBFD2DBE8FAD3EBE802E9ABE929A79BE5966923CF33A433E57900FBE1419963E35238CBDA566B43E03EC3A3E23CB373EEF12A4BE4D06C83DC618AABEAF9349BEB226543E073B623E88669FBE054B43BD0AF20EBE86DEA8BE7314F33CD7C9A83EC6F853BE22202F3B0C5474BE43971A3EED265E3E77E93A3EDA51243CBF4AF53D3F8B7A3D1318A0BE08FF9EBDE9EDEBBD60FFA5BEA5E69EBEFCC695BE61C594BE28AC2A3EC42C18BE8798AE3E570705BD9E41883C130086BCC715853EFF1D103E169D8BBED489883E823C9F3EC7B13A3E784DDD3CD983643E0B0B5B3DB1C9B73D"
    }
  }
#-}
