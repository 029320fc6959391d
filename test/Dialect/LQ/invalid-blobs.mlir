// RUN: quant-opt %s -split-input-file -verify-diagnostics

// A blob shorter than its type would be read past its end; one longer is a
// weight that does not match its type. Both are refused by the verifier,
// naming the blob.

func.func @codes_short() {
  // expected-error @+1 {{codes blob 'codes_short' holds 6 bytes, but its type 'tensor<2x4xi8>' needs 8}}
  %w = lq.constant codes(dense_resource<codes_short> : tensor<2x4xi8>) scales(dense<1.0> : tensor<2x1xf16>)
      : !lq.weight<2x8, #lq.uniform<bits = 4, group = 8, symmetric = true>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      codes_short: "0x01000000112233445566"
    }
  }
#-}

// -----

func.func @codes_long() {
  // expected-error @+1 {{codes blob 'codes_long' holds 10 bytes, but its type 'tensor<2x4xi8>' needs 8}}
  %w = lq.constant codes(dense_resource<codes_long> : tensor<2x4xi8>) scales(dense<1.0> : tensor<2x1xf16>)
      : !lq.weight<2x8, #lq.uniform<bits = 4, group = 8, symmetric = true>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      codes_long: "0x0100000011223344556677889900"
    }
  }
#-}

// -----

func.func @scales_short() {
  // expected-error @+1 {{scales blob 'scales_short' holds 2 bytes, but its type 'tensor<2x1xf16>' needs 4}}
  %w = lq.constant codes(dense<0> : tensor<2x4xi8>) scales(dense_resource<scales_short> : tensor<2x1xf16>)
      : !lq.weight<2x8, #lq.uniform<bits = 4, group = 8, symmetric = true>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      scales_short: "0x02000000003C"
    }
  }
#-}

// -----

func.func @fpt_scale_short(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{scale blob 'scale_short' holds 8 bytes, but its type 'tensor<4xf32>' needs 16}}
  %0 = lq.fpt.scale %x {scale = dense_resource<scale_short> : tensor<4xf32>} : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      scale_short: "0x040000000000803F0000803F"
    }
  }
#-}

// -----

// The right size passes.
func.func @codes_exact() {
  %w = lq.constant codes(dense_resource<codes_exact> : tensor<2x4xi8>) scales(dense<1.0> : tensor<2x1xf16>)
      : !lq.weight<2x8, #lq.uniform<bits = 4, group = 8, symmetric = true>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      codes_exact: "0x010000001122334455667788"
    }
  }
#-}
