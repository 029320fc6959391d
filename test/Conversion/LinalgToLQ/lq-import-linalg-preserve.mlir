// RUN: quant-opt %s %lower-to-llvm | %run-main > %t.ref
// RUN: quant-opt %s --lq-import-linalg -o %t.imported.mlir
// RUN: quant-opt %t.imported.mlir %lower-to-llvm | %run-main > %t.imported
// RUN: %python %S/../../Inputs/compare-floats.py %t.imported %t.ref --rtol 1e-6 --atol 1e-6 | FileCheck %s
// RUN: FileCheck %s --check-prefix=IMPORTED < %t.imported.mlir
// RUN: grep -c "lq.role" %t.imported.mlir | FileCheck %s --check-prefix=ROLES
// RUN: quant-opt %t.imported.mlir --lq-quantize-weights="method=rtn bits=8 group=0" --lq-expand %lower-to-llvm | %run-main > %t.w8
// RUN: %python %S/../../Inputs/compare-floats.py %t.w8 %t.ref --rtol 0 --atol 2e-2 | FileCheck %s
// RUN: not %python %S/../../Inputs/compare-floats.py %t.w8 %t.ref --rtol 0 --atol 1e-7

// Function preservation of lq-import-linalg: every pattern it rewrites, run
// on fixed inputs before and after the import, agrees to 1e-6 (the same
// products summed in the same order but for the bias, added after the sum
// instead of before). Quantized to 8 bits (per channel) the outputs move
// (the last RUN line: not equal to 1e-7) by less than 2e-2 (measured 8.8e-3):
// the weights the import made are the ones the products used.

// CHECK: MATCH

// Every contraction became a tagged transposed-B linalg.matmul; none of the
// frontend's forms is left.
// IMPORTED-NOT: linalg.batch_matmul
// IMPORTED-NOT: linalg.matvec
// IMPORTED-NOT: linalg.vecmat
// ROLES: 12

func.func @lenet_fc(%x: tensor<2x6xf32>) -> tensor<2x5xf32> {
  %w = arith.constant dense<[[0.811, 0.373, 0.533, 0.809, -0.480, 0.271], [0.810, 0.744, 0.146, -0.661, -0.177, 0.988], [-0.794, -0.362, 0.900, -0.101, -0.583, -0.366], [0.817, -0.329, -0.145, 0.255, 0.611, -0.016], [-0.837, 0.146, -0.930, -0.811, -0.619, 0.387]]> : tensor<5x6xf32>
  %b = arith.constant dense<[-0.433, 0.380, -0.673, -0.765, -0.953]> : tensor<5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x5xf32>
  %wt = linalg.transpose ins(%w : tensor<5x6xf32>) outs(%e : tensor<6x5xf32>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %y = linalg.matmul ins(%x, %wt : tensor<2x6xf32>, tensor<6x5xf32>) outs(%f : tensor<2x5xf32>) -> tensor<2x5xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y, %b : tensor<2x5xf32>, tensor<5xf32>) outs(%e2 : tensor<2x5xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<2x5xf32>
  return %r : tensor<2x5xf32>
}

func.func @torch_linear(%x: tensor<1x?x6xf32>) -> tensor<1x?x5xf32> {
  %c1 = arith.constant 1 : index
  %w = arith.constant dense<[[0.412, 0.718, -0.561, -0.525, -0.974, 0.290], [-0.399, -0.726, 0.294, 0.199, -0.105, -0.694], [0.277, 0.111, -0.134, -0.671, 0.858, 0.726], [0.380, 0.992, 0.161, -0.310, -0.767, 0.215], [0.039, -0.127, 0.985, 0.679, -0.770, 0.768]]> : tensor<5x6xf32>
  %b = arith.constant dense<[-0.996, 0.303, -0.369, 0.460, 0.905]> : tensor<5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x5xf32>
  %wt = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<5x6xf32>) outs(%e : tensor<6x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<6x5xf32>
  %e3 = tensor.empty() : tensor<1x6x5xf32>
  %wb = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%wt : tensor<6x5xf32>) outs(%e3 : tensor<1x6x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x6x5xf32>
  %t = tensor.dim %x, %c1 : tensor<1x?x6xf32>
  %e4 = tensor.empty(%t) : tensor<1x?x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e4 : tensor<1x?x5xf32>) -> tensor<1x?x5xf32>
  %y = linalg.batch_matmul ins(%x, %wb : tensor<1x?x6xf32>, tensor<1x6x5xf32>) outs(%f : tensor<1x?x5xf32>) -> tensor<1x?x5xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %b : tensor<1x?x5xf32>, tensor<5xf32>) outs(%e4 : tensor<1x?x5xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<1x?x5xf32>
  return %r : tensor<1x?x5xf32>
}

func.func @matvec(%x: tensor<6xf32>) -> tensor<5xf32> {
  %w = arith.constant dense<[[0.061, 0.526, -0.891, 0.335, -0.765, -0.090], [-0.333, -0.854, 0.494, -0.813, -0.485, -0.828], [0.325, -0.398, -0.911, -0.946, -0.561, 0.013], [-0.976, -0.952, 0.333, 0.055, -0.730, -0.376], [-0.748, -0.450, -0.224, -0.564, -0.605, -0.547]]> : tensor<5x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<5xf32>) -> tensor<5xf32>
  %y = linalg.matvec ins(%w, %x : tensor<5x6xf32>, tensor<6xf32>) outs(%f : tensor<5xf32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

func.func @vecmat(%x: tensor<6xf32>) -> tensor<5xf32> {
  %w = arith.constant dense<[[-0.397, 0.110, 0.772, 0.296, -0.103], [-0.994, -0.623, 0.268, -0.190, 0.694], [0.818, -0.407, -0.271, -0.404, 0.353], [-0.803, -0.448, 0.757, -0.254, 0.940], [-0.208, 0.674, -0.075, -0.801, 0.155], [-0.577, 0.836, 0.402, 0.059, 0.845]]> : tensor<6x5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<5xf32>) -> tensor<5xf32>
  %y = linalg.vecmat ins(%x, %w : tensor<6xf32>, tensor<6x5xf32>) outs(%f : tensor<5xf32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

func.func @generic_weight_first(%x: tensor<3x6xf32>) -> tensor<3x5xf32> {
  %w = arith.constant dense<[[0.094, 0.933, 0.430, -0.642, -0.412, 0.692], [-0.800, 0.963, -0.918, 0.499, 0.237, -0.188], [0.203, 0.165, -0.281, -0.434, -0.900, 0.310], [0.761, -0.248, 0.716, -0.205, -0.491, 0.601], [0.853, -0.817, 0.743, -0.362, 0.549, -0.414]]> : tensor<5x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%w, %x : tensor<5x6xf32>, tensor<3x6xf32>) outs(%f : tensor<3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

func.func @fill_weight(%x: tensor<3x6xf32>) -> tensor<3x5xf32> {
  %c = arith.constant 0.25 : f32
  %zero = arith.constant 0.0 : f32
  %ew = tensor.empty() : tensor<6x5xf32>
  %w = linalg.fill ins(%c : f32) outs(%ew : tensor<6x5xf32>) -> tensor<6x5xf32>
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x6xf32>, tensor<6x5xf32>) outs(%f : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

func.func @im2col_filter(%cols: tensor<4x6xf32>) -> tensor<4x5xf32> {
  %w = arith.constant dense<[[[0.980, -0.327, -0.587], [-0.895, -0.730, -0.818]], [[0.640, -0.960, -0.764], [-0.521, -0.717, 0.551]], [[-0.987, 0.363, -0.300], [-0.707, -0.541, 0.053]], [[-0.506, -0.218, -0.224], [0.072, 0.404, -0.419]], [[0.218, 0.430, -0.407], [0.528, -0.834, -0.013]]]> : tensor<5x2x3xf32>
  %wf = tensor.collapse_shape %w [[0], [1, 2]] : tensor<5x2x3xf32> into tensor<5x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%cols, %wf : tensor<4x6xf32>, tensor<5x6xf32>) outs(%f : tensor<4x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x5xf32>
  return %y : tensor<4x5xf32>
}

func.func @bias_init(%x: tensor<3x6xf32>) -> tensor<3x5xf32> {
  %w = arith.constant dense<[[-0.295, -0.749, 0.318, 0.704, -0.031], [-0.293, 0.810, 0.981, 0.257, 0.123], [0.278, 0.406, 0.365, 0.078, 0.505], [0.493, 0.291, 0.058, -0.259, -0.572], [0.015, -0.386, -0.058, -0.641, 0.812], [-0.742, 0.759, 0.134, 0.820, 0.763]]> : tensor<6x5xf32>
  %b = arith.constant dense<[-0.658, -0.451, 0.993, 0.323, -0.830]> : tensor<5xf32>
  %e = tensor.empty() : tensor<3x5xf32>
  %bb = linalg.broadcast ins(%b : tensor<5xf32>) outs(%e : tensor<3x5xf32>) dimensions = [0]
  %y = linalg.matmul ins(%x, %w : tensor<3x6xf32>, tensor<6x5xf32>) outs(%bb : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

func.func @output_transposed(%x: tensor<3x6xf32>) -> tensor<5x3xf32> {
  %w = arith.constant dense<[[-0.472, -0.808, -0.392, -0.848, -0.921, -0.911], [-0.055, 0.426, 0.017, 0.341, 0.308, -0.731], [0.410, 0.005, -0.162, 0.923, -0.089, 0.371], [0.555, -0.033, -0.693, -0.620, -0.421, -0.619], [-0.198, -0.864, 0.538, 0.537, 0.273, -0.771]]> : tensor<5x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<5x3xf32>) -> tensor<5x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (n, m)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<3x6xf32>, tensor<5x6xf32>) outs(%f : tensor<5x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

func.func @input_transposed(%x: tensor<6x3xf32>) -> tensor<3x5xf32> {
  %w = arith.constant dense<[[-0.565, 0.798, 0.749, 0.455, 0.738], [-0.586, -0.422, -0.129, -0.053, -0.272], [-0.510, 0.625, -0.632, 0.144, 0.629], [-0.698, -0.330, -0.245, -0.430, 0.833], [0.757, -0.743, -0.867, 0.190, 0.008], [-0.926, 0.729, 0.752, 0.125, -0.821]]> : tensor<6x5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<6x3xf32>, tensor<6x5xf32>) outs(%f : tensor<3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

func.func @batch_broadcast(%x: tensor<2x3x6xf32>) -> tensor<2x3x5xf32> {
  %w = arith.constant dense<[[-0.616, 0.674, 0.370, -0.111, 0.870], [-0.913, 0.368, 0.663, 0.651, -0.809], [0.408, 0.128, 0.256, -0.683, 0.926], [0.936, -0.765, 0.101, 0.072, -0.109], [-0.328, -0.525, 0.461, 0.020, -0.097], [0.014, -0.428, 0.797, 0.536, -0.474]]> : tensor<6x5xf32>
  %zero = arith.constant 0.0 : f32
  %eb = tensor.empty() : tensor<2x6x5xf32>
  %wb = linalg.broadcast ins(%w : tensor<6x5xf32>) outs(%eb : tensor<2x6x5xf32>) dimensions = [0]
  %e = tensor.empty() : tensor<2x3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %y = linalg.batch_matmul ins(%x, %wb : tensor<2x3x6xf32>, tensor<2x6x5xf32>) outs(%f : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

func.func @two_reductions(%x: tensor<3x2x3xf32>) -> tensor<3x5xf32> {
  %w = arith.constant dense<[[[-0.385, 0.067, 0.267], [0.801, 0.857, -0.874]], [[0.731, -0.972, 0.156], [0.543, -0.644, -0.542]], [[-0.857, -0.117, 0.668], [-0.998, 0.511, -0.222]], [[0.872, 0.122, -0.076], [-0.427, 0.696, -0.071]], [[0.395, 0.322, 0.638], [-0.408, -0.790, -0.622]]]> : tensor<5x2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, c, k) -> (m, c, k)>, affine_map<(m, n, c, k) -> (n, c, k)>, affine_map<(m, n, c, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : tensor<3x2x3xf32>, tensor<5x2x3xf32>) outs(%f : tensor<3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %in0 = arith.constant dense<[[0.244, -0.762, -0.931, -0.296, 0.326, -0.639], [-0.414, -0.752, 0.960, 0.819, 0.974, 0.271]]> : tensor<2x6xf32>
  %out0 = func.call @lenet_fc(%in0) : (tensor<2x6xf32>) -> tensor<2x5xf32>
  %u0 = tensor.cast %out0 : tensor<2x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u0) : (tensor<*xf32>) -> ()
  %in1 = arith.constant dense<[[[-0.243, -0.447, -0.318, 0.561, 0.087, -0.737], [0.767, 0.714, -0.978, -0.815, 0.011, -0.050], [0.653, -0.579, 0.967, -0.303, -0.705, 0.959]]]> : tensor<1x3x6xf32>
  %d1 = tensor.cast %in1 : tensor<1x3x6xf32> to tensor<1x?x6xf32>
  %out1 = func.call @torch_linear(%d1) : (tensor<1x?x6xf32>) -> tensor<1x?x5xf32>
  %u1 = tensor.cast %out1 : tensor<1x?x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()
  %in2 = arith.constant dense<[0.525, 0.586, -0.658, 0.929, -0.392, -0.067]> : tensor<6xf32>
  %out2 = func.call @matvec(%in2) : (tensor<6xf32>) -> tensor<5xf32>
  %u2 = tensor.cast %out2 : tensor<5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  %in3 = arith.constant dense<[0.744, -0.762, -0.946, 0.235, 0.019, 0.896]> : tensor<6xf32>
  %out3 = func.call @vecmat(%in3) : (tensor<6xf32>) -> tensor<5xf32>
  %u3 = tensor.cast %out3 : tensor<5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()
  %in4 = arith.constant dense<[[0.943, -0.270, 0.498, -0.953, 0.435, -0.108], [-0.363, -0.429, -0.060, -0.092, -0.379, -0.950], [-0.933, -0.960, 0.697, -0.158, -0.081, 0.834]]> : tensor<3x6xf32>
  %out4 = func.call @generic_weight_first(%in4) : (tensor<3x6xf32>) -> tensor<3x5xf32>
  %u4 = tensor.cast %out4 : tensor<3x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u4) : (tensor<*xf32>) -> ()
  %in5 = arith.constant dense<[[-0.830, 0.635, 0.780, -0.141, 0.412, -0.951], [-0.212, -0.968, 0.473, 0.940, 0.854, 0.052], [0.633, 0.353, -0.989, -0.370, -0.796, -0.139]]> : tensor<3x6xf32>
  %out5 = func.call @fill_weight(%in5) : (tensor<3x6xf32>) -> tensor<3x5xf32>
  %u5 = tensor.cast %out5 : tensor<3x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u5) : (tensor<*xf32>) -> ()
  %in6 = arith.constant dense<[[-0.332, -0.948, -0.976, -0.766, 0.128, 0.676], [0.278, 0.756, -0.541, -0.502, -0.256, -0.860], [0.045, -0.765, -0.870, 0.680, -0.498, -0.100], [-0.075, -0.912, -0.920, 0.731, 0.823, 0.513]]> : tensor<4x6xf32>
  %out6 = func.call @im2col_filter(%in6) : (tensor<4x6xf32>) -> tensor<4x5xf32>
  %u6 = tensor.cast %out6 : tensor<4x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u6) : (tensor<*xf32>) -> ()
  %in7 = arith.constant dense<[[-0.076, -0.637, -0.684, 0.045, -0.567, 0.243], [0.982, 0.883, -0.510, -0.523, -0.919, 0.849], [0.935, 0.663, 0.453, 0.192, 0.838, -0.372]]> : tensor<3x6xf32>
  %out7 = func.call @bias_init(%in7) : (tensor<3x6xf32>) -> tensor<3x5xf32>
  %u7 = tensor.cast %out7 : tensor<3x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u7) : (tensor<*xf32>) -> ()
  %in8 = arith.constant dense<[[-0.015, 0.838, 0.213, -0.280, -0.605, -0.433], [0.723, 0.194, 0.425, 0.688, 0.463, 0.061], [-0.882, 0.572, -0.531, -0.641, -0.932, 0.007]]> : tensor<3x6xf32>
  %out8 = func.call @output_transposed(%in8) : (tensor<3x6xf32>) -> tensor<5x3xf32>
  %u8 = tensor.cast %out8 : tensor<5x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u8) : (tensor<*xf32>) -> ()
  %in9 = arith.constant dense<[[0.260, -0.786, -0.787], [-0.084, 0.033, -0.546], [0.812, -0.129, -0.501], [0.601, 0.559, -0.379], [-0.303, -0.146, -0.870], [0.802, -0.592, -0.566]]> : tensor<6x3xf32>
  %out9 = func.call @input_transposed(%in9) : (tensor<6x3xf32>) -> tensor<3x5xf32>
  %u9 = tensor.cast %out9 : tensor<3x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u9) : (tensor<*xf32>) -> ()
  %in10 = arith.constant dense<[[[0.444, -0.064, 0.305, -0.701, 0.321, 0.921], [0.942, -0.950, -0.712, -0.564, 0.164, 0.023], [-0.034, -0.486, -0.782, -0.076, -0.549, 0.327]], [[0.960, -0.731, 0.790, 0.862, -0.224, -0.941], [-0.314, -0.486, 0.447, 0.954, 0.923, -0.565], [-0.545, -0.166, -0.494, 0.305, 0.233, -0.978]]]> : tensor<2x3x6xf32>
  %out10 = func.call @batch_broadcast(%in10) : (tensor<2x3x6xf32>) -> tensor<2x3x5xf32>
  %u10 = tensor.cast %out10 : tensor<2x3x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u10) : (tensor<*xf32>) -> ()
  %in11 = arith.constant dense<[[[-0.526, -0.118, -0.158], [0.485, -0.839, -0.824]], [[-0.208, -0.641, -0.750], [0.943, 0.375, -0.911]], [[0.496, -0.763, 0.882], [-0.578, -0.340, -0.910]]]> : tensor<3x2x3xf32>
  %out11 = func.call @two_reductions(%in11) : (tensor<3x2x3xf32>) -> tensor<3x5xf32>
  %u11 = tensor.cast %out11 : tensor<3x5xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u11) : (tensor<*xf32>) -> ()
  return
}
