// RUN: quant-opt %s --lq-quantize-weights="method=gptq bits=4 group=16 exclude=lm_head" 2>/dev/null | FileCheck %s --check-prefix=SHARE
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=16 roles=lm_" | FileCheck %s --check-prefix=ROLES
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=16 roles=layers.1.,layers.0." | FileCheck %s --check-prefix=LAYER

// A weight used by two functions (as @forward and @decode are) is encoded
// once and shared; an excluded role stays in float.
// SHARE-LABEL: func.func @shared_a
// SHARE: lq.constant codes(dense_resource<layers.0.mlp.up.codes> : tensor<8x16xi8>)
// SHARE: linalg.matmul {{.*}} {lq.role = "lm_head"} ins
// SHARE-LABEL: func.func @shared_b
// SHARE: lq.constant codes(dense_resource<layers.0.mlp.up.codes> : tensor<8x16xi8>)
// SHARE-NOT: layers.0.mlp.up.codes_

// `roles` (prefixes) quantizes only the linears whose role starts with one
// of them, in every function; the others stay as they are.
// ROLES-LABEL: func.func @shared_a
// ROLES: linalg.matmul {{.*}} {lq.role = "layers.0.mlp.up"} ins
// ROLES: lq.constant codes(dense_resource<lm_head.codes> : tensor<8x16xi8>)
// ROLES-LABEL: func.func @shared_b
// ROLES-NOT: lq.
// ROLES: linalg.matmul {{.*}} {lq.role = "layers.0.mlp.up"} ins
// ROLES-NOT: lq.
// LAYER-LABEL: func.func @shared_a
// LAYER: lq.constant codes(dense_resource<layers.0.mlp.up.codes> : tensor<8x16xi8>)
// LAYER: linalg.matmul {{.*}} {lq.role = "lm_head"} ins
// LAYER-LABEL: func.func @shared_b
// LAYER: lq.constant codes(dense_resource<layers.0.mlp.up.codes> : tensor<8x16xi8>)
func.func @shared_a(%x: tensor<4x32xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %w = arith.constant dense_resource<up_weight> : tensor<8x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x32xf32>, tensor<8x32xf32>) outs(%init : tensor<4x8xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<4x8xf32>
  %h = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x32xf32>, tensor<8x32xf32>) outs(%init : tensor<4x8xf32>) {lq.role = "lm_head"} -> tensor<4x8xf32>
  return %y, %h : tensor<4x8xf32>, tensor<4x8xf32>
}
func.func @shared_b(%x: tensor<4x32xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense_resource<up_weight> : tensor<8x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x32xf32>, tensor<8x32xf32>) outs(%init : tensor<4x8xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      up_weight: "0x040000004AF6C13DCD00A03FD06E6EBF700C7E3FE7AF84BEC5E485BE332AF33F6651213E58D12FBD6AC03A3FC03C903F09ABFCBCC286163F004679BFF6CBBBBEED51E0BE4188AABFFE16C1BFAD3ED0BF6A6174BE4C9030BE4E03A4BECB928D3D77F4AABF90BEA2BD18D0733E5144403F0CA258BFDEBBCCBEACF800C02EEF00BF96960CC071AEB5BF54FE8C3F7DE70CC08B6E4C3F12E2A73EE9EA9FBE102FEB3EB407073F5ED0853F28E66BBEB89B17BF12C81ABF70877CBF2D0138BD792749BFB4C7883F4649EFBFD4FF8BBF3C0374BF7AF105C0DE7DF33F3B221AC03D0B91BE4F7406BF2FF5D33F2022FEBFD631893FF43D3BBF38F31EBEA8C42BBF2FF6233F409E91BF8995A1BDD9F2B43E948DEB3F15F019C04037C33FB0B4723FDE98F7BEBB1F9C3E0498EEBE00C8D23FDE9E563EA1BA5CBE118969BE58AC4CBE72DB34BE0A0561BFD4BB03406A9BF4BFA6C466C07598FBBD151516BEB8AFBE3EEE6951BEF5AB17BE3329AA3E0FEA773F3B5DE5BE1BE2BEBE1863F83FCFAF073F6C467CBF7BBB1440DDA1463FAFC816BF345396BF32BD983E3F0B55BF6F5D87BF5CE3A5BFB69401BF2AC48D3FDAF5DDBE8A86B9BFDF382B3F6089863DDC08583F74D2993FCECA2CBE905014BE52503ABD6E3A91BFFC412B3F99A4AF3F41FC313E702373BEB51085BE6FD647BF0FCE4DBF263ACDBE978857BF17EDDFBE38E4C9BF9D3FB33E2A2B493DC08593BF8E1613C0E515FFBB244E8D3FCACA3BBF364BF7BE1A8211BF5C3F273F2D7B6ABF445F7C3FE3299BBEDEB96C3FB17B053D85E46CBE2736BDBF14EC2FBFBEC485BEECE0283F90D67A3E255D32BF4AC8D13E47C17C3F872218BE33C8E0BE479BC9BE50864F3F28D0093F2AFD6DBF64F3BF3E24C0F5BE034F40BFEFAB9E3FE435523F7E9039BFB979A23DC35F003F5DB423BFFBA6F6BD3CB62A3F2C07E5BFE1B1A73E06223D3FB919013F29B8ABBFE11FA33EF80C5DBF7DEB113F2DC81A3F1EA25D3E80EF43BF705217BF69A35A3F4C1766BF75D9FD3E0DEE023F3AA68EBE6E40194072AF8F3D8A5F0940900901C032980FC0EF557B3FE6DE223F0BE49FBE61525BBDDA95F3BF880621BFCD4A84BFA02463BE91D3623FEF06593D4B53BE3EF7B832BF92B2DEBE56AEE53D898490BEF0E1A13FED3060BF2B0CF23F07107BBF32A1873FF0ED45BFAAF9D23F53B60B3E4FEECB3E2C9C3E3FA08A22BFA05D85BF03B201C0382A9C3F233732BF858F17BFF05BFDBCE98FFE3FEA3BDDBFBC527F3EC9B4CABEBA28083FFF43E6BF70ADCBBEB22F573FD88FC73F6B61CC3F82D85ABF1C03603D110CE1BD5B2FB0BFA65BB8BF1BC6413F167A7B3EC70C12BE709E9B3F973980BF4DC9063F3860233CA90D73BDEA05FB3EAE27343EFE9E883E1AFB873E0F21F83F522A9FBEC891813F6BBE1B3F5D08B3BE80B44B3FCD895BBFCC89943F"
    }
  }
#-}
