// A comment that mentions {-# dialect_resources: { builtin: { x: "0x00000000" } } #-}
// and a string attribute that holds the same text are neither a section nor a blob.
func.func @f() -> tensor<2xf32> attributes {note = "{-# x: \"0x00000000\" #-}"} {
  %c = arith.constant dense_resource<w> : tensor<2xf32>
  return %c : tensor<2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000803F"
    }
  }
#-}
