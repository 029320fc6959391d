// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-quantize-weights="method=gptq bits=4 group=16"
// RUN: not quant-opt %s --lq-quantize-weights="method=magic" 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not quant-opt %s --lq-quantize-weights="method=rtn bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not quant-opt %s --lq-quantize-weights="method=pvq pvq-dim=8 pvq-amp-group=12" 2>&1 | FileCheck %s --check-prefix=AMPGROUP
// RUN: not quant-opt %s --lq-quantize-weights="method=binary planes=0" 2>&1 | FileCheck %s --check-prefix=PLANES
// RUN: not quant-opt %s --lq-quantize-weights="method=rtn bits=four" 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not quant-opt %s --lq-quantize-weights="method=gptq dampening=-0.01" 2>&1 | FileCheck %s --check-prefix=DAMP
// RUN: not quant-opt %s --lq-quantize-weights="method=gptq dampening=1.5" 2>&1 | FileCheck %s --check-prefix=DAMP
// RUN: not quant-opt %s --lq-quantize-weights="method=gptq block-size=0" 2>&1 | FileCheck %s --check-prefix=BLOCK

// METHOD: error: unknown quantization method 'magic' (expected rtn, gptq, pvq or binary)
// BITS: error:
// AMPGROUP: error:
// PLANES: error:
// PARSE: error
// DAMP: error: dampening must be in [0, 1] (a fraction of the Hessian's mean diagonal), got
// BLOCK: error: block-size must be at least 1, got 0

// Without calibration statistics GPTQ says it falls back to an identity Hessian.
func.func @no_hessian(%x: tensor<2x16xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.5> : tensor<16x4xf32>
  %init = arith.constant dense<0.0> : tensor<2x4xf32>
  // expected-remark @+1 {{no lq.hessian statistics: gptq runs with an identity Hessian}}
  %y = linalg.matmul ins(%x, %w : tensor<2x16xf32>, tensor<16x4xf32>) outs(%init : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @role_not_constant(%x: tensor<2x16xf32>, %w: tensor<16x4xf32>, %init: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{the weight of linear 'layers.0.mlp.up' is not a constant}}
  %y = linalg.matmul ins(%x, %w : tensor<2x16xf32>, tensor<16x4xf32>) outs(%init : tensor<2x4xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @group_not_dividing(%x: tensor<2x24xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.5> : tensor<24x4xf32>
  %init = arith.constant dense<0.0> : tensor<2x4xf32>
  // expected-error @+1 {{cannot encode the 4x24 weight}}
  %y = linalg.matmul ins(%x, %w : tensor<2x24xf32>, tensor<24x4xf32>) outs(%init : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @int_weight(%x: tensor<2x16xi8>) -> tensor<2x4xi32> {
  %w = arith.constant dense<1> : tensor<16x4xi8>
  %init = arith.constant dense<0> : tensor<2x4xi32>
  // expected-error @+1 {{weight element type 'i8' is not supported (expected f32, f16 or bf16 data)}}
  %y = linalg.matmul ins(%x, %w : tensor<2x16xi8>, tensor<16x4xi8>) outs(%init : tensor<2x4xi32>) -> tensor<2x4xi32>
  return %y : tensor<2x4xi32>
}

// -----

func.func @f16_activations(%x: tensor<2x16xf16>) -> tensor<2x4xf16> {
  %w = arith.constant dense<0.5> : tensor<16x4xf16>
  %init = arith.constant dense<0.0> : tensor<2x4xf16>
  // expected-error @+1 {{only f32 activations are supported, got 'f16' -> 'f16'}}
  %y = linalg.matmul ins(%x, %w : tensor<2x16xf16>, tensor<16x4xf16>) outs(%init : tensor<2x4xf16>) -> tensor<2x4xf16>
  return %y : tensor<2x4xf16>
}

// -----

func.func @hessian_shape(%x: tensor<2x16xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.5> : tensor<16x4xf32>
  %init = arith.constant dense<0.0> : tensor<2x4xf32>
  // expected-error @+1 {{lq.hessian must be a 16x16 tensor}}
  %y = linalg.matmul ins(%x, %w : tensor<2x16xf32>, tensor<16x4xf32>) outs(%init : tensor<2x4xf32>) {lq.hessian = dense<1.0> : tensor<8x8xf32>} -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
