func.func @f() -> tensor<4xf32> {
  %c = arith.constant dense_resource<w> : tensor<4xf32>
  return %c : tensor<4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x000100000000803F000000400000404000008040"
    }
  }
#-}
