func.func @f() -> tensor<2xf32> { %c = arith.constant dense_resource<w> : tensor<2xf32> return %c : tensor<2xf32> } {-# dialect_resources: { builtin: { w: "0x000000000000803F0000803F" } } #-}
