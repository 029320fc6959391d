// Shapes, encodings and chips the NVPTX kernels cannot handle are located
// errors, never a silently wrong kernel.
// RUN: quant-opt %s -split-input-file -verify-diagnostics --lq-lower-to-nvptx
// RUN: not quant-opt %s -split-input-file --lq-lower-to-nvptx="chip=sm_70" 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not quant-opt %s -split-input-file --lq-lower-to-nvptx="chip=gfx90a" 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not quant-opt %s -split-input-file --lq-lower-to-nvptx="warps=33" 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not quant-opt %s -split-input-file --lq-lower-to-nvptx="prefetch=2" 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not quant-opt %s -split-input-file --lq-lower-to-nvptx="min-blocks-per-sm=-2" 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not quant-opt %s -split-input-file --lq-lower-to-nvptx="f16-weights-min-batch=-2" 2>&1 | FileCheck %s --check-prefix=OPTION

// OLD: error: lq-lower-to-nvptx: chip 'sm_70' is not supported: the kernels use mma.sync.m16n8k16 with f32 accumulation, which needs sm_80 or newer
// PARSE: error: lq-lower-to-nvptx: cannot parse chip 'gfx90a' (expected sm_<major><minor>, e.g. sm_90a)
// OPTION: error: lq-lower-to-nvptx: warps and row-warps must be in 0..32

func.func @rows(%x: tensor<1x64xf32>) -> tensor<1x24xf32> {
  %w = lq.constant codes(dense<0> : tensor<24x32xi8>) scales(dense<1.0> : tensor<24x1xf16>) : !lq.weight<24x64, #lq.uniform<bits = 4, group = 64>>
  // expected-error @+1 {{cannot be tiled for the GPU: N = 24 is not a multiple of the 16-row mma tile}}
  %y = lq.matmul %x, %w : tensor<1x64xf32>, !lq.weight<24x64, #lq.uniform<bits = 4, group = 64>> -> tensor<1x24xf32>
  return %y : tensor<1x24xf32>
}

// -----

func.func @cols(%x: tensor<1x96xf32>) -> tensor<1x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x48xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x96, #lq.uniform<bits = 4, group = 96>>
  // expected-error @+1 {{cannot be tiled for the GPU: K = 96 is not a multiple of the 64-column load chunk}}
  %y = lq.matmul %x, %w : tensor<1x96xf32>, !lq.weight<16x96, #lq.uniform<bits = 4, group = 96>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @group(%x: tensor<1x128xf32>) -> tensor<1x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x64xi8>) scales(dense<1.0> : tensor<16x4xf16>) : !lq.weight<16x128, #lq.uniform<bits = 4, group = 32>>
  // expected-error @+1 {{cannot be tiled for the GPU: group 32 is not a multiple of the 64-column load chunk}}
  %y = lq.matmul %x, %w : tensor<1x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 4, group = 32>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @bits(%x: tensor<1x128xf32>) -> tensor<1x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x48xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x128, #lq.uniform<bits = 3, group = 128>>
  // expected-error @+1 {{cannot be tiled for the GPU: the GPU kernels take 4-bit uniform codes, not 3-bit}}
  %y = lq.matmul %x, %w : tensor<1x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 3, group = 128>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @batch(%x: tensor<72x128xf32>) -> tensor<72x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x64xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>>
  // expected-error @+1 {{has more rows than one launch (at most 64 rows): launching it over row chunks needs device-resident=true}}
  %y = lq.matmul %x, %w : tensor<72x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>> -> tensor<72x16xf32>
  return %y : tensor<72x16xf32>
}

// -----

func.func @dynamic(%x: tensor<?x128xf32>) -> tensor<?x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x64xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>>
  // expected-error @+1 {{has a dynamic row count (at most 64 rows): launching it over row chunks needs device-resident=true}}
  %y = lq.matmul %x, %w : tensor<?x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @act4(%x: tensor<1x128xf32>) -> tensor<1x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x64xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>>
  // expected-error @+1 {{lq-lower-to-nvptx has no GPU kernel for act(4) with #lq.uniform<bits = 4, group = 128> weights (quantized activations: act(8) with 4-bit uniform codes, W4A8)}}
  %y = lq.matmul %x, %w act(4) : tensor<1x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// W4A8 takes symmetric codes only: int8 registers of 16 (q - 8).
func.func @w4a8_asymmetric(%x: tensor<16x128xf32>) -> tensor<16x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x64xi8>) scales(dense<1.0> : tensor<16x1xf16>) zero_points(dense<8> : tensor<16x1xi8>) : !lq.weight<16x128, #lq.uniform<bits = 4, group = 128, symmetric = false>>
  // expected-error @+1 {{cannot be tiled for the GPU: the W4A8 kernel takes symmetric 4-bit codes (no zero points)}}
  %y = lq.matmul %x, %w act(8) : tensor<16x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 4, group = 128, symmetric = false>> -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

// Static activation scales: the W4A8 kernel takes each row's own maximum.
func.func @w4a8_static(%x: tensor<16x128xf32>) -> tensor<16x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x64xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>>
  // expected-error @+1 {{lq-lower-to-nvptx has no GPU kernel for static activation scales (act(8) scale(...)); skip-unsupported leaves it to lq-expand}}
  %y = lq.matmul %x, %w act(8) scale(0.5) : tensor<16x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>> -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

func.func @w4a8_cols(%x: tensor<16x96xf32>) -> tensor<16x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x48xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x96, #lq.uniform<bits = 4, group = 96>>
  // expected-error @+1 {{cannot be tiled for the GPU: K = 96 is not a multiple of the 64-column load chunk}}
  %y = lq.matmul %x, %w act(8) : tensor<16x96xf32>, !lq.weight<16x96, #lq.uniform<bits = 4, group = 96>> -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

func.func @w4a8_binary(%x: tensor<16x256xf32>) -> tensor<16x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<2x16x32xi8>) scales(dense<1.0> : tensor<16x2x2xf16>) offsets(dense<0.0> : tensor<16x2xf16>) : !lq.weight<16x256, #lq.binary<planes = 2, group = 128>>
  // expected-error @+1 {{lq-lower-to-nvptx has no GPU kernel for act(8) with #lq.binary<planes = 2, group = 128> weights (quantized activations: act(8) with 4-bit uniform codes, W4A8)}}
  %y = lq.matmul %x, %w act(8) : tensor<16x256xf32>, !lq.weight<16x256, #lq.binary<planes = 2, group = 128>> -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

// The activation quantization kernel keeps a row in registers: at most
// 16 128-bit loads per thread.
func.func @w4a8_long(%x: tensor<4x32768xf32>) -> tensor<4x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x16384xi8>) scales(dense<1.0> : tensor<16x1xf16>) : !lq.weight<16x32768, #lq.uniform<bits = 4, group = 32768>>
  // expected-error @+1 {{K = 32768 is too long for the activation quantization kernel (at most 16384)}}
  %y = lq.matmul %x, %w act(8) : tensor<4x32768xf32>, !lq.weight<16x32768, #lq.uniform<bits = 4, group = 32768>> -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// PVQ indices are decoded from 32-bit words.
func.func @pvq_index_bits(%x16: tensor<1x128xf16>) -> tensor<1x16xf32> {
  %x = arith.extf %x16 : tensor<1x128xf16> to tensor<1x128xf32>
  %w = lq.constant codes(dense<0> : tensor<16x66xi8>) scales(dense<1.0> : tensor<16x1xf16>) amplitudes(dense<0> : tensor<16x8xi8>) : !lq.weight<16x128, #lq.pvq<dim = 8, pulses = 40, amp_bits = 4, amp_group = 8>>
  // expected-error @+1 {{cannot be tiled for the GPU: N(8, 40) needs more than the kernel's 32-bit indices}}
  %y = lq.matmul %x, %w : tensor<1x128xf32>, !lq.weight<16x128, #lq.pvq<dim = 8, pulses = 40, amp_bits = 4, amp_group = 8>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// The block-start table of many pulses in few dimensions outgrows shared memory.
func.func @pvq_table_size(%x: tensor<1x128xf32>) -> tensor<1x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<16x80xi8>) scales(dense<1.0> : tensor<16x1xf16>) amplitudes(dense<0> : tensor<16x8xi8>) : !lq.weight<16x128, #lq.pvq<dim = 4, pulses = 64, amp_bits = 4, amp_group = 8>>
  // expected-error @+1 {{cannot be tiled for the GPU: the PVQ kernel's block-start and norm tables for dimension 4 and 64 pulses do not fit 48 KB of shared memory}}
  %y = lq.matmul %x, %w : tensor<1x128xf32>, !lq.weight<16x128, #lq.pvq<dim = 4, pulses = 64, amp_bits = 4, amp_group = 8>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// A lane loads 8 groups of 16-bit indices at once: K a multiple of 8 D.
func.func @pvq_cols(%x16: tensor<1x96xf16>) -> tensor<1x16xf32> {
  %x = arith.extf %x16 : tensor<1x96xf16> to tensor<1x96xf32>
  %w = lq.constant codes(dense<0> : tensor<16x12xi8>) scales(dense<1.0> : tensor<16x1xf16>) amplitudes(dense<0> : tensor<16x2xi8>) : !lq.weight<16x96, #lq.pvq<dim = 16, pulses = 4, amp_bits = 4, amp_group = 32>>
  // expected-error @+1 {{cannot be tiled for the GPU: K = 96 is not a multiple of the 128 columns of a lane's 128-bit load}}
  %y = lq.matmul %x, %w : tensor<1x96xf32>, !lq.weight<16x96, #lq.pvq<dim = 16, pulses = 4, amp_bits = 4, amp_group = 32>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @pvq_dim(%x16: tensor<1x128xf16>) -> tensor<1x16xf32> {
  %x = arith.extf %x16 : tensor<1x128xf16> to tensor<1x128xf32>
  %w = lq.constant codes(dense<0> : tensor<16x32xi8>) scales(dense<1.0> : tensor<16x1xf16>) amplitudes(dense<0> : tensor<16x8xi8>) : !lq.weight<16x128, #lq.pvq<dim = 4, pulses = 4, amp_bits = 4, amp_group = 8>>
  // expected-error @+1 {{the PVQ GPU kernel needs groups of a multiple of 8 dimensions (128-bit activation loads), not 4}}
  %y = lq.matmul %x, %w : tensor<1x128xf32>, !lq.weight<16x128, #lq.pvq<dim = 4, pulses = 4, amp_bits = 4, amp_group = 8>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @pvq_batch(%x16: tensor<9x128xf16>) -> tensor<9x16xf32> {
  %x = arith.extf %x16 : tensor<9x128xf16> to tensor<9x128xf32>
  %w = lq.constant codes(dense<0> : tensor<16x24xi8>) scales(dense<1.0> : tensor<16x1xf16>) amplitudes(dense<0> : tensor<16x8xi8>) : !lq.weight<16x128, #lq.pvq<dim = 8, pulses = 4, amp_bits = 4, amp_group = 8>>
  // expected-error @+1 {{has more rows than one launch (at most 8 rows): launching it over row chunks needs device-resident=true}}
  %y = lq.matmul %x, %w : tensor<9x128xf32>, !lq.weight<16x128, #lq.pvq<dim = 8, pulses = 4, amp_bits = 4, amp_group = 8>> -> tensor<9x16xf32>
  return %y : tensor<9x16xf32>
}

// -----

// Binary codes: a lane's 128-bit load of one plane covers 256 columns.
func.func @binary_cols(%x16: tensor<1x128xf16>) -> tensor<1x16xf32> {
  %x = arith.extf %x16 : tensor<1x128xf16> to tensor<1x128xf32>
  %w = lq.constant codes(dense<0> : tensor<2x16x16xi8>) scales(dense<1.0> : tensor<16x1x2xf16>) offsets(dense<0.0> : tensor<16x1xf16>) : !lq.weight<16x128, #lq.binary<planes = 2, group = 128>>
  // expected-error @+1 {{cannot be tiled for the GPU: K = 128 is not a multiple of the 256 columns a lane's 128-bit load of one plane covers}}
  %y = lq.matmul %x, %w : tensor<1x128xf32>, !lq.weight<16x128, #lq.binary<planes = 2, group = 128>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @binary_f32(%x: tensor<1x256xf32>) -> tensor<1x16xf32> {
  %w = lq.constant codes(dense<0> : tensor<2x16x32xi8>) scales(dense<1.0> : tensor<16x2x2xf16>) offsets(dense<0.0> : tensor<16x2xf16>) : !lq.weight<16x256, #lq.binary<planes = 2, group = 128>>
  // expected-error @+1 {{the binary-code GPU kernel takes f16 activations (an arith.extf from f16 feeding the matmul; lq-round-matmul-inputs makes one)}}
  %y = lq.matmul %x, %w : tensor<1x256xf32>, !lq.weight<16x256, #lq.binary<planes = 2, group = 128>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @not_constant(%x: tensor<1x128xf32>, %w: !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>>) -> tensor<1x16xf32> {
  // expected-error @+1 {{lq-lower-to-nvptx needs the weight as an lq.constant, to re-pack it at compile time}}
  %y = lq.matmul %x, %w : tensor<1x128xf32>, !lq.weight<16x128, #lq.uniform<bits = 4, group = 128>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}
