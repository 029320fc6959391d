// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-quantize-activations
// RUN: not quant-opt %s -split-input-file --lq-quantize-activations="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: lq-quantize-activations: bits must be in [2, 8], got 9

// expected-error @below {{lq-quantize-activations needs the linear layers tagged: no matmul carries an lq.role}}
module {
  func.func @f(%x: tensor<2x2xf32>, %w: tensor<2x2xf32>, %i: tensor<2x2xf32>) -> tensor<2x2xf32> {
    %y = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%i : tensor<2x2xf32>) -> tensor<2x2xf32>
    return %y : tensor<2x2xf32>
  }
}

// -----

func.func @conflict(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %qw = lq.constant codes(dense<0> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  // expected-error @below {{linear 'layers.0.mlp.up' already quantizes its activations to 4 bits}}
  %u = lq.matmul %x, %qw act(4) {lq.role = "layers.0.mlp.up"} : tensor<2x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<2x4xf32>
  return %u : tensor<2x4xf32>
}
