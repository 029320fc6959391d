// Bad options are errors located at the module.
// RUN: not quant-opt %s --lq-round-matmul-inputs="type=f32" 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: not quant-opt %s --lq-round-matmul-inputs="functions=decode,prefill" 2>&1 | FileCheck %s --check-prefix=FUNCTIONS
// RUN: not quant-opt %s --lq-round-matmul-inputs="encodings=binary,int4" 2>&1 | FileCheck %s --check-prefix=ENCODINGS
// RUN: not quant-opt %s --lq-round-matmul-inputs="min-cols=-1" 2>&1 | FileCheck %s --check-prefix=MINCOLS

// TYPE: lq-round-matmul-inputs-invalid.mlir:[[# @LINE + 5]]:1: error: lq-round-matmul-inputs: type must be f16 or bf16, got 'f32'
// FUNCTIONS: lq-round-matmul-inputs-invalid.mlir:[[# @LINE + 4]]:1: error: lq-round-matmul-inputs: functions names 'prefill', which is not a func.func of the module
// FUNCTIONS-NOT: error
// MINCOLS: lq-round-matmul-inputs-invalid.mlir:[[# @LINE + 2]]:1: error: lq-round-matmul-inputs: min-cols must not be negative, got -1
// ENCODINGS: lq-round-matmul-inputs-invalid.mlir:[[# @LINE + 1]]:1: error: lq-round-matmul-inputs: encodings must be uniform, binary or pvq, got 'int4'
module {
  func.func @decode(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    %w = lq.constant codes(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
    %y = lq.matmul %x, %w : tensor<1x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<1x4xf32>
    return %y : tensor<1x4xf32>
  }
}
