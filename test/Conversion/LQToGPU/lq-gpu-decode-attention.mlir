// RUN: quant-opt %s --lq-gpu-decode-attention --split-input-file --allow-unregistered-dialect | FileCheck %s
// RUN: quant-opt %s --lq-gpu-decode-attention="functions=other" --split-input-file --allow-unregistered-dialect | FileCheck %s --check-prefix=SKIP

// The attention of one query (a decode step) as quant-import emits it,
// with grouped-query heads (2 KV heads of 2 query heads each, head
// dimension 64) over a dynamic window of S positions: the seven linalg ops
// become two launches. The first has 128 blocks of 256 threads, 32 per
// query head, each over ceil(S / 32) of the positions; it writes each
// share's unnormalized weighted sum, maximum and sum. The second, a block
// per head and a thread per column, weighs the shares by exp(max_i - max).
// CHECK-LABEL: func.func @decode_attention(
// CHECK-SAME:    %[[Q:[^:]*]]: tensor<1x2x2x64xf32>, %[[K:[^:]*]]: tensor<2x?x64xf32>, %[[V:[^:]*]]: tensor<2x?x64xf32>, %[[POS:[^:]*]]: index
// CHECK-NOT:     linalg.generic
// CHECK-DAG:     %[[QB:.*]] = bufferization.to_buffer %[[Q]] read_only : tensor<1x2x2x64xf32> to memref<1x2x2x64xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-DAG:     %[[KB:.*]] = bufferization.to_buffer %[[K]] read_only : tensor<2x?x64xf32> to memref<2x?x64xf32, strided<[?, ?, ?], offset: ?>>
// CHECK-DAG:     %[[VB:.*]] = bufferization.to_buffer %[[V]] read_only
// CHECK:         %[[SCRATCH:.*]] = memref.alloc(%{{.*}}) : memref<4x?xf32>
// CHECK:         %[[SUMS:.*]] = memref.alloc() : memref<128x64xf32>
// CHECK:         %[[MAXS:.*]] = memref.alloc() : memref<128xf32>
// CHECK:         %[[TOTALS:.*]] = memref.alloc() : memref<128xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x2x2x64xf32>
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %c128{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) workgroup(%[[PARTS:.*]] : memref<512xf32, #gpu.address_space<workgroup>>)
// CHECK:           arith.ceildivui
//                  Scores: two key elements per lane, four positions at once.
// CHECK:           scf.for
// CHECK-COUNT-8:     memref.load %[[KB]]
// CHECK-COUNT-20:    gpu.shuffle xor
// CHECK:             arith.cmpi ule, %{{.*}}, %[[POS]] : index
// CHECK:             arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK:             memref.store %{{.*}}, %[[SCRATCH]]
// CHECK:           gpu.barrier
// CHECK:           %[[MAX:.*]] = gpu.all_reduce maximumf
// CHECK:           math.exp
// CHECK:           %[[TOTAL:.*]] = gpu.all_reduce add
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK-COUNT-8:     memref.load %[[VB]]
// CHECK:           memref.store %{{.*}}, %[[PARTS]]
// CHECK:           gpu.barrier
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}, %[[SUMS]]
// CHECK:           scf.if
// CHECK:             memref.store %[[MAX]], %[[MAXS]]
// CHECK:             memref.store %[[TOTAL]], %[[TOTALS]]
// CHECK:           gpu.terminator
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %c4{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c64{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
// CHECK-COUNT-32:  memref.load %[[MAXS]]
// CHECK-COUNT-32:  math.exp
// CHECK:           arith.divf
// CHECK:           memref.store %{{.*}}, %[[OUT]]
// CHECK:           gpu.terminator
// CHECK:         %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:         return %[[R]]
// SKIP-LABEL: func.func @decode_attention(
// SKIP-COUNT-7: linalg.generic
// SKIP-NOT:     gpu.launch
#q = affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d1, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d0, d4)>
#v = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
func.func @decode_attention(%q: tensor<1x2x2x64xf32>, %keys: tensor<2x?x64xf32>, %values: tensor<2x?x64xf32>, %pos: index) -> tensor<1x2x2x64xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.125 : f32
  %one = arith.constant 1.0 : f32
  %c1 = arith.constant 1 : index
  %S = tensor.dim %keys, %c1 : tensor<2x?x64xf32>
  %e = tensor.empty(%S) : tensor<2x2x1x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2x1x?xf32>) -> tensor<2x2x1x?xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %keys : tensor<1x2x2x64xf32>, tensor<2x?x64xf32>) outs(%z : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scores : tensor<2x2x1x?xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = linalg.index 2 : index
    %s = linalg.index 3 : index
    %qpos = arith.addi %pos, %t : index
    %ok = arith.cmpi ule, %s, %qpos : index
    %x = arith.mulf %a, %scale : f32
    %r = arith.select %ok, %x, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %er = tensor.empty() : tensor<2x2x1xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<2x2x1x?xf32>) outs(%mi : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %si = linalg.fill ins(%zero : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x2x1x?xf32>) outs(%si : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %probs = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %inv = arith.divf %one, %b : f32
    %r = arith.mulf %a, %inv : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %eo = tensor.empty() : tensor<1x2x2x64xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x2x64xf32>) -> tensor<1x2x2x64xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%probs, %values : tensor<2x2x1x?xf32>, tensor<2x?x64xf32>) outs(%zo : tensor<1x2x2x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x64xf32>
  return %out : tensor<1x2x2x64xf32>
}
func.func @other() {
  return
}

// -----

// A head dimension that is not a multiple of 32 is left to the linalg
// lowering.
// CHECK-LABEL: func.func @head_dim_48(
// CHECK-COUNT-7: linalg.generic
// CHECK-NOT:     gpu.launch
#q = affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d1, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d0, d4)>
#v = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
func.func @head_dim_48(%q: tensor<1x2x2x48xf32>, %keys: tensor<2x?x48xf32>, %values: tensor<2x?x48xf32>, %pos: index) -> tensor<1x2x2x48xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.125 : f32
  %one = arith.constant 1.0 : f32
  %c1 = arith.constant 1 : index
  %S = tensor.dim %keys, %c1 : tensor<2x?x48xf32>
  %e = tensor.empty(%S) : tensor<2x2x1x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2x1x?xf32>) -> tensor<2x2x1x?xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %keys : tensor<1x2x2x48xf32>, tensor<2x?x48xf32>) outs(%z : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scores : tensor<2x2x1x?xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = linalg.index 2 : index
    %s = linalg.index 3 : index
    %qpos = arith.addi %pos, %t : index
    %ok = arith.cmpi ule, %s, %qpos : index
    %x = arith.mulf %a, %scale : f32
    %r = arith.select %ok, %x, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %er = tensor.empty() : tensor<2x2x1xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<2x2x1x?xf32>) outs(%mi : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %si = linalg.fill ins(%zero : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x2x1x?xf32>) outs(%si : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %probs = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %inv = arith.divf %one, %b : f32
    %r = arith.mulf %a, %inv : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %eo = tensor.empty() : tensor<1x2x2x48xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x2x48xf32>) -> tensor<1x2x2x48xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%probs, %values : tensor<2x2x1x?xf32>, tensor<2x?x48xf32>) outs(%zo : tensor<1x2x2x48xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x48xf32>
  return %out : tensor<1x2x2x48xf32>
}

// -----

// Two query positions (a forward call's attention) are not a decode step.
// CHECK-LABEL: func.func @two_queries(
// CHECK-COUNT-7: linalg.generic
// CHECK-NOT:     gpu.launch
#q = affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d1, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d0, d4)>
#v = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
func.func @two_queries(%q: tensor<2x2x2x64xf32>, %keys: tensor<2x?x64xf32>, %values: tensor<2x?x64xf32>, %pos: index) -> tensor<2x2x2x64xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.125 : f32
  %one = arith.constant 1.0 : f32
  %c1 = arith.constant 1 : index
  %S = tensor.dim %keys, %c1 : tensor<2x?x64xf32>
  %e = tensor.empty(%S) : tensor<2x2x2x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2x2x?xf32>) -> tensor<2x2x2x?xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %keys : tensor<2x2x2x64xf32>, tensor<2x?x64xf32>) outs(%z : tensor<2x2x2x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2x?xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scores : tensor<2x2x2x?xf32>) outs(%e : tensor<2x2x2x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = linalg.index 2 : index
    %s = linalg.index 3 : index
    %qpos = arith.addi %pos, %t : index
    %ok = arith.cmpi ule, %s, %qpos : index
    %x = arith.mulf %a, %scale : f32
    %r = arith.select %ok, %x, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2x?xf32>
  %er = tensor.empty() : tensor<2x2x2xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<2x2x2x?xf32>) outs(%mi : tensor<2x2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<2x2x2x?xf32>, tensor<2x2x2xf32>) outs(%e : tensor<2x2x2x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2x?xf32>
  %si = linalg.fill ins(%zero : f32) outs(%er : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x2x2x?xf32>) outs(%si : tensor<2x2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2xf32>
  %probs = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x2x2x?xf32>, tensor<2x2x2xf32>) outs(%e : tensor<2x2x2x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %inv = arith.divf %one, %b : f32
    %r = arith.mulf %a, %inv : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2x?xf32>
  %eo = tensor.empty() : tensor<2x2x2x64xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x2x2x64xf32>) -> tensor<2x2x2x64xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%probs, %values : tensor<2x2x2x?xf32>, tensor<2x?x64xf32>) outs(%zo : tensor<2x2x2x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2x64xf32>
  return %out : tensor<2x2x2x64xf32>
}

// -----

// Another mask (a query that does not see its own position) is not the
// one the kernel applies.
// CHECK-LABEL: func.func @strict_mask(
// CHECK-COUNT-7: linalg.generic
// CHECK-NOT:     gpu.launch
#q = affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d1, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d0, d4)>
#v = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
func.func @strict_mask(%q: tensor<1x2x2x64xf32>, %keys: tensor<2x?x64xf32>, %values: tensor<2x?x64xf32>, %pos: index) -> tensor<1x2x2x64xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.125 : f32
  %one = arith.constant 1.0 : f32
  %c1 = arith.constant 1 : index
  %S = tensor.dim %keys, %c1 : tensor<2x?x64xf32>
  %e = tensor.empty(%S) : tensor<2x2x1x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2x1x?xf32>) -> tensor<2x2x1x?xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %keys : tensor<1x2x2x64xf32>, tensor<2x?x64xf32>) outs(%z : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scores : tensor<2x2x1x?xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = linalg.index 2 : index
    %s = linalg.index 3 : index
    %qpos = arith.addi %pos, %t : index
    %ok = arith.cmpi ult, %s, %qpos : index
    %x = arith.mulf %a, %scale : f32
    %r = arith.select %ok, %x, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %er = tensor.empty() : tensor<2x2x1xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<2x2x1x?xf32>) outs(%mi : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %si = linalg.fill ins(%zero : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x2x1x?xf32>) outs(%si : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %probs = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %inv = arith.divf %one, %b : f32
    %r = arith.mulf %a, %inv : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %eo = tensor.empty() : tensor<1x2x2x64xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x2x64xf32>) -> tensor<1x2x2x64xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%probs, %values : tensor<2x2x1x?xf32>, tensor<2x?x64xf32>) outs(%zo : tensor<1x2x2x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x64xf32>
  return %out : tensor<1x2x2x64xf32>
}

// -----

// Scores read elsewhere too must stay.
// CHECK-LABEL: func.func @scores_used_twice(
// CHECK-COUNT-7: linalg.generic
// CHECK-NOT:     gpu.launch
#q = affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d1, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d0, d4)>
#v = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
func.func @scores_used_twice(%q: tensor<1x2x2x64xf32>, %keys: tensor<2x?x64xf32>, %values: tensor<2x?x64xf32>, %pos: index) -> tensor<1x2x2x64xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.125 : f32
  %one = arith.constant 1.0 : f32
  %c1 = arith.constant 1 : index
  %S = tensor.dim %keys, %c1 : tensor<2x?x64xf32>
  %e = tensor.empty(%S) : tensor<2x2x1x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2x1x?xf32>) -> tensor<2x2x1x?xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %keys : tensor<1x2x2x64xf32>, tensor<2x?x64xf32>) outs(%z : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scores : tensor<2x2x1x?xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = linalg.index 2 : index
    %s = linalg.index 3 : index
    %qpos = arith.addi %pos, %t : index
    %ok = arith.cmpi ule, %s, %qpos : index
    %x = arith.mulf %a, %scale : f32
    %r = arith.select %ok, %x, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %er = tensor.empty() : tensor<2x2x1xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<2x2x1x?xf32>) outs(%mi : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %si = linalg.fill ins(%zero : f32) outs(%er : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x2x1x?xf32>) outs(%si : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %probs = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x2x1x?xf32>, tensor<2x2x1xf32>) outs(%e : tensor<2x2x1x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %inv = arith.divf %one, %b : f32
    %r = arith.mulf %a, %inv : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1x?xf32>
  %eo = tensor.empty() : tensor<1x2x2x64xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x2x64xf32>) -> tensor<1x2x2x64xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%probs, %values : tensor<2x2x1x?xf32>, tensor<2x?x64xf32>) outs(%zo : tensor<1x2x2x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x64xf32>
  "test.use"(%scores) : (tensor<2x2x1x?xf32>) -> ()
  return %out : tensor<1x2x2x64xf32>
}
