// RUN: quant-opt %s -split-input-file --lq-quantize-weights="method=rtn bits=4 group=16" | FileCheck %s --check-prefix=RTN
// RUN: quant-opt %s -split-input-file --lq-quantize-weights="method=gptq bits=3 group=0 symmetric=false" 2>/dev/null | FileCheck %s --check-prefix=GPTQ
// RUN: quant-opt %s -split-input-file --lq-quantize-weights="method=pvq pvq-dim=8 pvq-pulses=6 pvq-amp-bits=4 pvq-amp-group=16" 2>/dev/null | FileCheck %s --check-prefix=PVQ
// RUN: quant-opt %s -split-input-file --lq-quantize-weights="method=binary planes=2 group=16" 2>/dev/null | FileCheck %s --check-prefix=BIN

// The encoded bytes of @plain are pinned for every method (golden values;
// decoded weights are checked against the float ones in
// Conversion/LQToLinalg/expand-numerics.mlir): a quantizer change, or an
// input whose weights all read as zero, shows here. Update them
// deliberately when a method changes.

// A plain matmul: B is [K, N] and is transposed to the [N, K] weight view.
// RTN-LABEL: func.func @plain
// RTN: %[[W:.*]] = lq.constant codes(dense_resource<matmul0.codes> : tensor<8x16xi8>) scales(dense_resource<matmul0.scales> : tensor<8x2xf16>) : !lq.weight<8x32, #lq.uniform<bits = 4, group = 16>>
// RTN: %[[Y:.*]] = lq.matmul %arg0, %[[W]] : tensor<4x32xf32>, !lq.weight<8x32, #lq.uniform<bits = 4, group = 16>> -> tensor<4x8xf32>
// RTN-NOT: linalg.matmul
// RTN: return %[[Y]]
// RTN: matmul0.codes: "0x01000000C79157E804C9525277F57BB9C99536289A92989506A97DA869A9B37DBBAFCDDDA754AB8A9D0ECAD78979B8F8C4CB985C97F62938506A87B7B8890B595357688D04B986B131CA4AAF7B76CBCB8AD08E75C7D8E45CC90ACB93AB8B1F7933FFC78CAC6A066BCE72E89DDE09A388A5C88162BA446F1D9BEF6EB1096637ADD376C795",
// RTN-NEXT: matmul0.scales: "0x02000000B3352A380931222FE52F463210305E31AA2EE32F3F2FD12E073075316534B237"
// GPTQ-LABEL: func.func @plain
// GPTQ: lq.constant codes(dense_resource<matmul0.codes> : tensor<8x12xi8>) scales(dense_resource<matmul0.scales> : tensor<8x1xf16>) zero_points(dense_resource<matmul0.zero_points> : tensor<8x1xi8>) : !lq.weight<8x32, #lq.uniform<bits = 3, group = 32, symmetric = false>>
// GPTQ: matmul0.codes: "0x010000002B26ADC11A45535EADAB280C654AAE43FBB11CAB9AEDEBDAA3447265C1AE1CB5EE29BB35E34E515947B22C69501AC59D4A3BA6515DBDDE68DB257C8E34AF7B75518B6DF970D23F9B6EB774B6489B3F91922A1D66EDE659A5EDA9C5B6BCFA388B",
// GPTQ-NEXT: matmul0.scales: "0x02000000883BB83465350735C3338C336A351F3B",
// GPTQ-NEXT: matmul0.zero_points: "0x010000000304030404040404"
// PVQ-LABEL: func.func @plain
// PVQ: lq.constant codes(dense_resource<matmul0.codes> : tensor<8x{{[0-9]+}}xi8>) scales(dense_resource<matmul0.scales> : tensor<8x1xf16>) amplitudes(dense_resource<matmul0.amplitudes> : tensor<8x1xi8>) : !lq.weight<8x32, #lq.pvq<dim = 8, pulses = 6, amp_bits = 4, amp_group = 16>>
// PVQ: matmul0.codes: "0x01000000049D3CA9D1A35603793AEF97CD472203CC1B729BE62C010A610503F25E45760C3856D2A9D7ED3C07B79624CC7A0D740A8636F89E12EFDF09C51B1B9B586BBE0A",
// PVQ-NEXT: matmul0.scales: "0x02000000D934692ECE2E712EAF2DA42D48304835",
// PVQ-NEXT: matmul0.amplitudes: "0x01000000EDACEADCCDDDD9D9"
// BIN-LABEL: func.func @plain
// BIN: lq.constant codes(dense_resource<matmul0.codes> : tensor<2x8x4xi8>) scales(dense_resource<matmul0.scales> : tensor<8x2x2xf16>) offsets(dense_resource<matmul0.offsets> : tensor<8x2xf16>) : !lq.weight<8x32, #lq.binary<planes = 2, group = 16>>
// BIN: matmul0.codes: "0x01000000B2A96B554031C2D40DA5DF300D5A926B1168F759FA72989C996303897C3C6067CB0C980ABBDC6DFFF2F7A04E5AA45FD4ACDCF9BB6FB7576C47FBE72E539FDDBA",
// BIN-NEXT: matmul0.scales: "0x02000000BA397D3D4B3C2540A435E9387831BB3629330F3805369239F7340E384C35AF38D132AB373134AF360B3344377D3372366B34833704361D391938C63C4B3CBC3F",
// BIN-NEXT: matmul0.offsets: "0x0200000077B62E3823B005293BAD13358CAA2EB4A8ACE9B07FB1302C22AE23B1E724CABA"
func.func @plain(%x: tensor<4x32xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<[[-0.3838, 0.2557, -0.1130, -0.1575, -0.4650, -0.1067, 0.5560, 0.6362],
    [1.5553, 0.1245, 0.1974, 0.0927, -0.8330, 0.4276, 0.2532, 0.7482],
    [-2.5370, -0.8719, -0.4448, -0.2341, 0.1527, -0.0230, 0.2605, -0.9634],
    [0.4631, 0.1971, -0.3306, 0.8588, 0.2783, 0.5985, -0.3102, -1.1093],
    [-0.5161, -0.0532, 0.3160, 0.1242, -0.2237, -0.4785, -0.2603, 1.8314],
    [-1.2119, 0.1224, 0.2133, -0.7449, 0.0242, 0.6531, -1.0072, -0.4824],
    [-0.1592, -0.4086, 0.2487, -0.0311, -0.7323, 0.4139, 0.3347, 1.4188],
    [2.1609, 0.1811, 0.0596, -0.6496, 0.3077, -0.3059, -0.2264, -1.8972],
    [-1.4514, -0.2656, 0.6444, -1.0159, -0.7289, 0.1197, 0.7217, 0.8677],
    [-2.8499, -1.2591, 0.1787, -0.3681, -0.5599, 0.4887, 0.5509, 0.2359],
    [0.3687, 0.2172, 0.7970, 0.3095, 0.2593, 0.2739, -0.7842, 1.9226],
    [1.4327, 0.2648, -0.9869, -0.3168, 0.4212, -0.9056, -0.0920, 1.5293],
    [-1.9668, 0.8051, 0.2760, -0.0751, 0.1624, 0.3249, 0.0602, 1.7185],
    [-0.9923, -0.2074, 0.5208, 0.0134, -0.4402, 0.4732, 0.7327, -0.6672],
    [-2.0700, -0.0674, -0.0745, -0.1490, 0.7024, -0.5135, 0.6303, -1.9025],
    [-1.1806, 0.3158, 0.5643, 0.4295, 0.1726, 0.0712, 0.0762, 0.8629],
    [-0.2643, 0.1387, 0.2864, 0.0004, 0.3820, 0.2829, 1.0053, 0.4874],
    [-0.6414, -0.1863, -0.0066, 0.4619, -0.1683, 0.1929, 0.9187, -3.8470],
    [-1.6859, 0.1219, 0.1992, 0.1193, -0.2156, 0.3276, 0.1411, -0.7831],
    [3.6451, 0.1776, -0.2771, -0.0497, -0.1128, -0.0314, -1.3640, -0.7303],
    [1.5129, -0.5843, -0.0334, 0.4768, 0.4281, 0.7455, -0.8507, -0.5301],
    [-0.5114, 0.3116, 0.5459, -1.3414, 0.5443, -0.7238, 0.3416, -2.2382],
    [0.2638, 0.5973, -0.0747, 0.0956, 0.3986, 0.0707, -0.0442, 2.2999],
    [1.5727, -0.1469, 1.3727, -0.5734, 0.4573, -0.1329, 0.0662, 1.0575],
    [0.3333, 0.3193, -0.7637, -0.7548, 0.3075, -0.4816, -0.5133, -2.2052],
    [1.8996, 0.3733, 0.7365, -0.4689, 0.0005, -0.5702, 0.3830, 2.3841],
    [-1.3353, 0.7802, 0.4940, -0.0889, -0.9860, 0.7033, -0.0481, -0.9042],
    [0.5994, 0.2050, 0.7490, -0.5101, 0.5681, 0.7437, 0.7261, -0.2709],
    [-1.1160, 0.5093, 0.0576, 0.0621, 0.7121, -0.1317, -1.1484, -0.5808],
    [-2.7809, 0.4094, 0.1585, -0.3056, -0.0048, 0.4163, 0.0395, 1.9898],
    [-0.0919, 0.5202, 0.7457, 0.8049, -0.3359, 0.4400, -0.9380, -1.6250],
    [-2.9442, 0.5345, -0.6160, -0.0064, -0.0961, -0.0143, -0.2958, 0.3505]]> : tensor<32x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x32xf32>, tensor<32x8xf32>) outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Transposed B (the HF [out, in] layout) with a role, accumulating into a
// non-zero init, bf16 weight data.
// RTN-LABEL: func.func @transposed
// RTN: %[[W:.*]] = lq.constant codes(dense_resource<layers.0.attn.q.codes> : tensor<8x16xi8>)
// RTN: %[[P:.*]] = lq.matmul %arg0, %[[W]] {lq.role = "layers.0.attn.q"}
// RTN: %[[Y:.*]] = arith.addf %arg1, %[[P]] : tensor<4x8xf32>
// RTN: return %[[Y]]
// BIN-LABEL: func.func @transposed
// BIN: lq.matmul
func.func @transposed(%x: tensor<4x32xf32>, %acc: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<[[2.6869, 0.0221, 0.2655, 0.5003, -0.0990, -0.6298, -0.2777, 1.6104, -0.8231, -0.2989, 0.5037, 0.3964, 0.0038, 0.4026, 0.2490, -0.5895, -0.7820, -0.3195, 0.4614, -0.2828, -0.4512, -1.1564, -0.7659, -0.0586, -0.5898, 0.1821, -1.1800, 0.1639, -0.9624, -0.9711, 0.3624, -0.1378],
    [-3.3451, -0.4375, 0.1455, -0.2293, 0.3900, 0.3738, 0.3331, 0.4899, 0.6668, 0.3299, 0.2256, -1.0420, 0.4483, 0.6547, -0.4453, -0.2348, 0.9701, -0.8791, 0.2344, 1.2119, -0.4638, 1.0344, 0.9432, -0.0601, 0.2806, 0.4513, -0.4529, -0.0445, 0.4392, 0.4127, -0.0173, -0.0977],
    [-1.5241, -0.1795, 0.4458, 0.0509, -0.4265, -0.4208, 1.3333, 1.7098, 0.3187, -1.2965, 0.3107, 0.2403, 0.8420, 0.2139, -0.1012, 0.2612, -0.9721, 0.5166, 0.1624, -0.3510, 0.6628, 2.7140, -0.7012, -0.3332, 0.1456, 0.0917, -0.1992, -0.4871, 3.1807, 0.5187, -0.5971, -0.6725],
    [2.5547, 0.4946, 0.9105, 0.4051, -0.4360, 0.1303, -1.0800, -1.1222, -0.0295, 0.2614, -0.3638, -0.0621, 0.2293, 0.1883, 0.9570, 0.1045, -0.1620, 0.3946, 0.0247, -0.4130, -0.3130, -0.0005, -0.0548, 0.0785, -0.0002, 0.0879, -0.0671, -0.6292, 0.6320, 0.5268, 0.2173, -0.0946],
    [0.6697, -0.4829, -0.9481, 0.0298, -0.4652, 0.3699, -0.5420, -3.9428, -0.5198, 0.7890, -0.1909, -0.6847, -0.3817, 0.2604, 0.7453, 0.0884, 0.7419, 0.3533, -0.0105, 0.2983, 0.8273, 1.4570, 0.5119, -0.5414, -0.0742, 0.3649, -0.1482, 0.5344, 0.8945, 0.4541, -0.1062, 1.2732],
    [1.8600, -0.1077, 0.0453, 1.2976, -0.1716, 0.4371, 0.4902, 0.0099, -0.5836, 0.0938, 0.1797, 0.5648, 0.3914, 0.0122, 1.2804, 0.2699, 0.1030, 0.0276, -0.1217, 0.3431, -0.5271, -0.9430, 0.0025, -0.7320, -0.2179, -1.0044, -0.3414, 0.2842, 0.8496, -0.0273, -0.1161, -0.7084],
    [2.7417, 0.2580, 0.5467, -0.4412, -0.0926, -0.9098, 0.3902, 1.4027, -0.9487, -0.0261, 0.3152, -0.8810, -0.9127, -0.5325, -0.9438, -0.7014, 0.0158, 0.1248, 0.3170, 0.3510, 0.7513, 1.7465, -0.6559, -0.2527, -0.5301, -0.5383, -0.0406, 0.0027, 0.7355, -0.7935, -0.6188, -0.0116],
    [-0.2992, -0.1556, -0.0316, -0.3799, 0.3506, 0.1771, -0.0439, -1.0081, -0.0871, -1.3608, -0.4907, 0.0187, -0.7520, 0.0998, 0.2212, -0.6888, -0.1253, -0.1569, 0.2299, 0.3059, -0.0182, -1.2769, -0.0721, -0.0327, 0.3672, 0.1472, -0.3613, -0.6772, -0.5597, -0.3702, -0.5559, -0.0580]]> : tensor<8x32xbf16>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x32xf32>, tensor<8x32xbf16>) outs(%acc : tensor<4x8xf32>) {lq.role = "layers.0.attn.q"} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Activation x activation products (attention scores) are not weights.
// RTN-LABEL: func.func @not_constant
// RTN: linalg.matmul
// RTN-NOT: lq.
func.func @not_constant(%x: tensor<4x32xf32>, %w: tensor<32x8xf32>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<4x32xf32>, tensor<32x8xf32>) outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
