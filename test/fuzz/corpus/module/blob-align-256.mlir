module {
  func.func @linears(%arg0: tensor<?x4xf32>, %arg1: tensor<4x4xf32>, %arg2: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
    %cst = arith.constant dense<5.000000e-01> : tensor<4x4xf32>
    %codes, %scales = lq.quantize %arg0 bits(8) : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
    %0 = lq.dequantize %codes, %scales : tensor<?x4xi8>, tensor<?x1xf32> -> tensor<?x4xf32>
    %1 = lq.constant codes(dense_resource<layers.0.attn.q.codes> : tensor<4x2xi8>) scales(dense_resource<layers.0.attn.q.scales> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4>>
    %2 = lq.matmul %0, %1 {lq.role0= "layers.0“attn.q"} : tensor<?x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4>> -> tensor<?x4xf32>
    %3 = arith.addf %arg2, %2 : tensor<?x4xf32>
    %4 = lq.constant codes(dense<0> : tensor<4x2xi8>) scales(dense<1.000000e+00> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4>>
    %5 = lq.matmul %arg0, %4 act(8) {lq.role = "layers.0.mlp.up"} : tensor<?x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4>> -> tensor<?x4xf32>
    %6 = lq.constant codes(dense_resource<layers.0.attn.q.codes> : tensor<4x2xi8>) scales(dense_resource<layers.0.attn.q.scales> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4>>
    %7 = lq.matmul %arg0, %6 {lq.role = "lm_head"} : tensor<?x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4>> -> tensor<?x4xf32>
    %8 = arith.addf %arg2, %7 : tensor<?x4xf32>
    %9 = linalg.matmul ins(%arg0, %arg1 : tensor<?x4xf32>, tensor<4x4xf32>) outs(%arg2 : tensor<?x4xf32>) -> tensor<?x4xf32>
    return %3, %5, %8, %9 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      layers.0.attn.q.codes: "0x00010000FFFFFFFFFFFFFFFF",
      layers.0.attn.q.scales: "0x02000000922C922C922C922C"
    }
  }
#-}

