// RUN: quant-opt %s --lq-gpu-block-reductions --split-input-file | FileCheck %s
// RUN: quant-opt %s --lq-gpu-block-reductions="functions=other" --split-input-file | FileCheck %s --check-prefix=SKIP
// RUN: quant-opt %s --lq-gpu-block-reductions="max-threads=1024" --split-input-file | FileCheck %s --check-prefix=WIDE

// RMSNorm's sum of squares: one block per row, 256 threads (384 rounded up
// to 512, capped by max-threads) striding over the row; the square is
// computed in the loop, the threads' sums combined by gpu.all_reduce, and
// thread 0 adds the total to the output element.
// CHECK-LABEL: func.func @sum_of_squares(
// CHECK-SAME:    %[[X:.*]]: memref<4x384xf32>, %[[OUT:.*]]: memref<4xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]],
// CHECK:           %[[ROW:.*]] = arith.remui %[[B]], %{{.*}} : index
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[PART:.*]] = scf.for %[[R:.*]] = %[[T]] to %{{.*}} step %[[C256]] iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK:             %[[V:.*]] = memref.load %[[X]][%[[ROW]], %[[R]]]
// CHECK:             %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : f32
// CHECK:             %[[NEXT:.*]] = arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK:             scf.yield %[[NEXT]] : f32
// CHECK:           %[[TOTAL:.*]] = gpu.all_reduce add %[[PART]] uniform
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[T]], %{{.*}} : index
// CHECK:           scf.if %[[FIRST]] {
// CHECK:             %[[OLD:.*]] = memref.load %[[OUT]][%[[ROW]]]
// CHECK:             %[[NEW:.*]] = arith.addf %[[OLD]], %[[TOTAL]] : f32
// CHECK:             memref.store %[[NEW]], %[[OUT]][%[[ROW]]]
// CHECK:           gpu.terminator
// SKIP-LABEL: func.func @sum_of_squares(
// SKIP:         linalg.generic
// WIDE-LABEL: func.func @sum_of_squares(
// WIDE:         %[[C512:.*]] = arith.constant 512 : index
// WIDE:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %[[C512]],
func.func @sum_of_squares(%x: memref<4x384xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x384xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %o, %sq : f32
    linalg.yield %s : f32
  }
  return
}
func.func @other() {
  return
}

// -----

// Softmax's maximum over a dynamic number of positions: the identity is
// -inf, blocks get max-threads threads, and with a dynamic count of blocks
// (heads x a dynamic dimension) a launch of zero blocks becomes one block
// that reduces and writes nothing.
// CHECK-LABEL: func.func @dynamic_max(
// CHECK-SAME:    %[[S:.*]]: memref<?x?xf32>, %[[OUT:.*]]: memref<?xf32>
// CHECK:         %[[BLOCKS:.*]] = arith.muli
// CHECK:         %[[GRID:.*]] = arith.maxui %[[BLOCKS]], %{{.*}} : index
// CHECK:         gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]],
// CHECK:           %[[ACTIVE:.*]] = arith.cmpi ult, %[[B]], %[[BLOCKS]] : index
// CHECK:           %[[UPPER:.*]] = arith.select %[[ACTIVE]], %{{.*}}, %{{.*}} : index
// CHECK:           %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK:           scf.for %{{.*}} = %{{.*}} to %[[UPPER]] step %{{.*}} iter_args(%{{.*}} = %[[NEG]])
// CHECK:             arith.maximumf
// CHECK:           gpu.all_reduce maximumf
// CHECK:           %[[T0:.*]] = arith.cmpi eq
// CHECK:           arith.andi %[[T0]], %[[ACTIVE]] : i1
func.func @dynamic_max(%s: memref<?x?xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%s : memref<?x?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %o : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A named contraction is generalized first: C = A B^T, one block per
// output, the threads striding over the shared dimension of both rows.
// CHECK-LABEL: func.func @matmul_transpose_b(
// CHECK-SAME:    %[[A:.*]]: memref<1x384xf32>, %[[B:.*]]: memref<8192x384xf32>, %[[C:.*]]: memref<1x8192xf32>
// CHECK:         gpu.launch
// CHECK:           scf.for %[[K:.*]] = {{.*}} iter_args
// CHECK:             memref.load %[[A]][%{{.*}}, %[[K]]]
// CHECK:             memref.load %[[B]][%{{.*}}, %[[K]]]
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:           gpu.all_reduce add
func.func @matmul_transpose_b(%a: memref<1x384xf32>, %b: memref<8192x384xf32>, %c: memref<1x8192xf32>) {
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                 affine_map<(d0, d1, d2) -> (d1, d2)>,
                                 affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%a, %b : memref<1x384xf32>, memref<8192x384xf32>) outs(%c : memref<1x8192xf32>)
  return
}

// -----

// Left serial: a reduction shorter than min-reduction, two reduced
// dimensions, a body that reads the accumulator twice, tensors.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-4: linalg.generic
func.func @left_alone(%x: memref<4x8xf32>, %y: memref<4x64x64xf32>, %out: memref<4xf32>,
                      %t: tensor<4x384xf32>, %tout: tensor<4xf32>) -> tensor<4xf32> {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x8xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>],
                  iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%y : memref<4x64x64xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  %x64 = memref.subview %y[0, 0, 0] [4, 64, 1] [1, 1, 1] : memref<4x64x64xf32> to memref<4x64xf32, strided<[4096, 64]>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x64 : memref<4x64xf32, strided<[4096, 64]>>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.mulf %o, %o : f32
    %s = arith.addf %d, %in : f32
    linalg.yield %s : f32
  }
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<4x384xf32>) outs(%tout : tensor<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Out-of-range option: a located error.
// RUN: not quant-opt %s --lq-gpu-block-reductions="max-threads=48" 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not quant-opt %s --lq-gpu-block-reductions="row-threads=2048" 2>&1 | FileCheck %s --check-prefix=ROWERR
// ERR: max-threads must be a power of two in [32, 1024], got 48
// ROWERR: row-threads must be a power of two in [32, 1024], got 2048
func.func @unused() {
  return
}

// -----

// The fill that initializes the output just before the reduction folds
// into the kernel: thread 0 combines the fill's value with the total, and
// the fill (a launch of its own) goes. A fill with another reader in
// between stays.
// CHECK-LABEL: func.func @fill_folded(
// CHECK-SAME:    %[[X:.*]]: memref<6x300xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[SUM:.*]] = memref.alloc() : memref<6xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         gpu.launch
// CHECK:           %[[TOTAL:.*]] = gpu.all_reduce add
// CHECK:           %[[NEW:.*]] = arith.addf %[[ZERO]], %[[TOTAL]] : f32
// CHECK:           scf.if
// CHECK-NOT:         memref.load %[[SUM]]
// CHECK:             memref.store %[[NEW]], %[[SUM]]
// CHECK:         %[[MAX:.*]] = memref.alloc() : memref<6xf32>
// CHECK:         linalg.fill
// CHECK:         memref.copy %[[MAX]]
// CHECK:         gpu.launch
// CHECK:             memref.load %[[MAX]]
func.func @fill_folded(%x: memref<6x300xf32>, %keep: memref<6xf32>) -> (memref<6xf32>, memref<6xf32>) {
  %zero = arith.constant 0.0 : f32
  %sum = memref.alloc() : memref<6xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<6xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<6x300xf32>) outs(%sum : memref<6xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  %max = memref.alloc() : memref<6xf32>
  linalg.fill ins(%zero : f32) outs(%max : memref<6xf32>)
  memref.copy %max, %keep : memref<6xf32> to memref<6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<6x300xf32>) outs(%max : memref<6xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %o : f32
    linalg.yield %m : f32
  }
  return %sum, %max : memref<6xf32>, memref<6xf32>
}

// -----

// RMSNorm: the scaling that reads the sum of squares (through the sum's
// own map) runs in the reduction's kernel, on the block's row, with the
// total in registers; in place over its input, as bufferization leaves it.
// The block has up to row-threads threads (384 rounded up to 512).
// The allocation between the two moves before the launch.
// CHECK-LABEL: func.func @rmsnorm(
// CHECK-SAME:    %[[IN:.*]]: memref<2x384xf32>, %[[W:.*]]: memref<384xf32>
// CHECK:         %[[X:.*]] = memref.alloc() : memref<2x384xf32>
// CHECK:         memref.copy %[[IN]], %[[X]]
// CHECK:         %[[SUM:.*]] = memref.alloc() : memref<2xf32>
// CHECK:         %[[Y:.*]] = memref.alloc() : memref<2x384xf32>
// CHECK-NOT:     linalg
// CHECK:         gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in {{.*}} threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{[^ ]*}} = %[[THREADS:[^,]*]],
// CHECK:           %[[ROW:.*]] = arith.remui %[[B]]
// CHECK:           %[[TOTAL:.*]] = gpu.all_reduce add
// CHECK:           %[[S:.*]] = arith.addf %{{.*}}, %[[TOTAL]] : f32
// CHECK:           scf.if
// CHECK:             memref.store %[[S]], %[[SUM]][%[[ROW]]]
// CHECK:           %[[R:.*]] = math.rsqrt %[[S]] : f32
// CHECK:           scf.for %[[N:.*]] = %[[T]] to %{{.*}} step %[[THREADS]] {
// CHECK:             %[[V:.*]] = memref.load %[[X]][%[[ROW]], %[[N]]]
// CHECK:             %[[G:.*]] = memref.load %[[W]][%[[N]]]
// CHECK:             %[[XR:.*]] = arith.mulf %[[V]], %[[R]] : f32
// CHECK:             %[[OUT:.*]] = arith.mulf %[[XR]], %[[G]] : f32
// CHECK:             memref.store %[[OUT]], %[[X]][%[[ROW]], %[[N]]]
// CHECK:           gpu.terminator
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%[[Y]]
func.func @rmsnorm(%src: memref<2x384xf32>, %w: memref<384xf32>) -> memref<2x384xf32> {
  %zero = arith.constant 0.0 : f32
  %x = memref.alloc() : memref<2x384xf32>
  memref.copy %src, %x : memref<2x384xf32> to memref<2x384xf32>
  %sum = memref.alloc() : memref<2xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<2xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x384xf32>) outs(%sum : memref<2xf32>) {
  ^bb0(%in: f32, %o: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %o, %sq : f32
    linalg.yield %s : f32
  }
  %y = memref.alloc() : memref<2x384xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>,
                                   affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum, %w : memref<2x384xf32>, memref<2xf32>, memref<384xf32>) outs(%x : memref<2x384xf32>) {
  ^bb0(%in: f32, %s: f32, %g: f32, %o: f32):
    %r = math.rsqrt %s : f32
    %xr = arith.mulf %in, %r : f32
    %out = arith.mulf %xr, %g : f32
    linalg.yield %out : f32
  }
  // A second consumer is another kernel.
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<2x384xf32>) outs(%y : memref<2x384xf32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.addf %in, %in : f32
    linalg.yield %d : f32
  }
  return %y : memref<2x384xf32>
}

// -----

// Consumers the reduction's kernel does not take: one that reads the
// reduced values of other rows (a transposed map), one that writes the
// reduction's input at another element than it reads, and one behind a
// copy (a write between the two). Each stays a kernel of its own.
// CHECK-LABEL: func.func @not_row_consumers(
// CHECK:         gpu.launch
// CHECK:         gpu.terminator
// CHECK:         linalg.generic
// CHECK:         gpu.launch
// CHECK:         gpu.terminator
// CHECK:         linalg.generic
// CHECK:         gpu.launch
// CHECK:         gpu.terminator
// CHECK:         memref.copy
// CHECK:         linalg.generic
func.func @not_row_consumers(%x: memref<4x64xf32>, %y: memref<4x64xf32>, %keep: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  %o1 = memref.alloc() : memref<4x64xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1 floordiv 16)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4xf32>) outs(%o1 : memref<4x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %b = memref.alloc() : memref<64xf32>
  %x2 = memref.alloc() : memref<64x64xf32>
  linalg.fill ins(%zero : f32) outs(%b : memref<64xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x2 : memref<64x64xf32>) outs(%b : memref<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1, d0)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<64xf32>) outs(%x2 : memref<64x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %c = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  memref.copy %c, %keep : memref<4xf32> to memref<4xf32>
  %o3 = memref.alloc() : memref<4x64xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<4xf32>) outs(%o3 : memref<4x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  return
}

// -----

// The residual addition before an RMSNorm: each thread computes, stores
// and squares its elements of the sum in the reduction's loop, and the
// scaling reads back what the same thread stored. The reciprocal square
// root is computed once per block, outside the scaling's loop. Both loops
// are unrolled 4 times (4096 / 1024 threads), their loads moved above
// their stores (in flight together), with a remainder loop.
// CHECK-LABEL: func.func @residual_rmsnorm(
// CHECK-SAME:    %[[A:.*]]: memref<1x4096xf32>, %[[D:.*]]: memref<1x4096xf32>, %[[W:.*]]: memref<4096xf32>
// CHECK:         %[[H:.*]] = memref.alloc() : memref<1x4096xf32>
// CHECK:         %[[SUM:.*]] = memref.alloc() : memref<1xf32>
// CHECK:         %[[Y:.*]] = memref.alloc() : memref<1x4096xf32>
// CHECK-NOT:     linalg
// CHECK:         gpu.launch {{.*}} threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{[^ ]*}} = %[[C1024:[^,]*]],
// CHECK:           scf.for %[[N:.*]] = %[[T]] to %{{.*}} step %{{.*}} iter_args
// CHECK:             %[[X:.*]] = memref.load %[[A]][%[[ROW:.*]], %[[N]]]
// CHECK:             %[[DX:.*]] = memref.load %[[D]][%[[ROW]], %[[N]]]
// CHECK:             %[[S:.*]] = arith.addf %[[X]], %[[DX]] : f32
// CHECK:             arith.mulf %[[S]], %[[S]] : f32
// CHECK-COUNT-3:     memref.load %[[A]]
// CHECK:             memref.load %[[D]]
// CHECK-NOT:         memref.load
// CHECK:             memref.store %[[S]], %[[H]][%[[ROW]], %[[N]]]
// CHECK-COUNT-3:     memref.store %{{.*}}, %[[H]]
// CHECK:             scf.yield
// CHECK:           scf.for %{{.*}} step %[[C1024]] iter_args
// CHECK:           gpu.all_reduce add
// CHECK:           %[[R:.*]] = math.rsqrt
// CHECK:           scf.for %[[M:.*]] = %[[T]] to %{{.*}} step %{{.*}} {
// CHECK:             %[[HV:.*]] = memref.load %[[H]][%[[ROW]], %[[M]]]
// CHECK:             arith.mulf %[[HV]], %[[R]] : f32
// CHECK-COUNT-3:     memref.load %[[H]]
// CHECK:             memref.load %[[W]]
// CHECK-NOT:         memref.load
// CHECK-COUNT-4:     memref.store %{{.*}}, %[[Y]]
// CHECK:           scf.for %{{.*}} step %[[C1024]] {
// CHECK:           gpu.terminator
// CHECK-NOT:     linalg
// CHECK:         return %[[H]], %[[Y]]
func.func @residual_rmsnorm(%a: memref<1x4096xf32>, %d: memref<1x4096xf32>, %w: memref<4096xf32>)
    -> (memref<1x4096xf32>, memref<1x4096xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<1x4096xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a, %d : memref<1x4096xf32>, memref<1x4096xf32>) outs(%h : memref<1x4096xf32>) {
  ^bb0(%x: f32, %dx: f32, %o: f32):
    %s = arith.addf %x, %dx : f32
    linalg.yield %s : f32
  }
  %sum = memref.alloc() : memref<1xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%h : memref<1x4096xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %o, %sq : f32
    linalg.yield %s : f32
  }
  %y = memref.alloc() : memref<1x4096xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>,
                                   affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%h, %sum, %w : memref<1x4096xf32>, memref<1xf32>, memref<4096xf32>) outs(%y : memref<1x4096xf32>) {
  ^bb0(%in: f32, %s: f32, %g: f32, %o: f32):
    %r = math.rsqrt %s : f32
    %xr = arith.mulf %in, %r : f32
    %out = arith.mulf %xr, %g : f32
    linalg.yield %out : f32
  }
  return %h, %y : memref<1x4096xf32>, memref<1x4096xf32>
}

// -----

// A consumer that reads the producer's output at another element (the
// reversed column, which another thread stores) stays a kernel of its own,
// after the kernel of the producer and the reduction.
// CHECK-LABEL: func.func @producer_read_elsewhere(
// CHECK-NOT:     linalg.generic
// CHECK:         gpu.launch
// CHECK:           arith.addf
// CHECK:           memref.store
// CHECK:         gpu.terminator
// CHECK:         linalg.generic
// CHECK:           arith.mulf
func.func @producer_read_elsewhere(%a: memref<1x4096xf32>) -> memref<1x4096xf32> {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<1x4096xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<1x4096xf32>) outs(%h : memref<1x4096xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  %sum = memref.alloc() : memref<1xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%h : memref<1x4096xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  %y = memref.alloc() : memref<1x4096xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 4095 - d1)>, affine_map<(d0, d1) -> (d0)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%h, %sum : memref<1x4096xf32>, memref<1xf32>) outs(%y : memref<1x4096xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %out = arith.mulf %in, %s : f32
    linalg.yield %out : f32
  }
  return %y : memref<1x4096xf32>
}
