// lq-cpu-packed-matmul on PVQ codes: the packed kernels compute what the
// library's compile-time decode computes, on the matmuls of
// lq-cpu-packed-matmul-bits.mlir (40 rows: two full panels and a masked
// one; 72 columns: 9 groups of 8; batch 5 and 1), for each decode strategy:
// the whole codeword from a table (D = 8, 5 pulses: N = 9424; D = 4, 3
// pulses: N = 88, 18 groups, so two groups a unit), every position in
// registers (5 pulses with pvq-table-entries=0; 27 pulses: 30-bit indices
// whose tails would need 383041 entries), and both (12 pulses: 4 positions
// in registers, then a table of the 16641 codewords of P(4, k <= 12)); the
// register strategies only with pvq-registers=true, as by default such
// codebooks are left for lq-expand (checked below).
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir %lower-to-llvm | %run-main > %t.float
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir --lq-quantize-weights="method=pvq pvq-dim=8 pvq-pulses=5 pvq-amp-bits=3 pvq-amp-group=8" -o %t.k5.mlir 2>/dev/null
// RUN: quant-opt %t.k5.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.k5.lib
// RUN: quant-opt %t.k5.mlir --lq-lower-to-cpu="packed=true" | %run-main > %t.k5.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.k5.packed %t.k5.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %t.k5.mlir --lq-cpu-packed-matmul="pvq-table-entries=0 pvq-registers=true" | quant-opt --lq-lower-to-cpu="packed=true" | %run-main > %t.k5r.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.k5r.packed %t.k5.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir --lq-quantize-weights="method=pvq pvq-dim=8 pvq-pulses=12 pvq-amp-bits=3 pvq-amp-group=8" -o %t.k12.mlir 2>/dev/null
// RUN: quant-opt %t.k12.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.k12.lib
// RUN: quant-opt %t.k12.mlir --lq-cpu-packed-matmul="pvq-registers=true" | quant-opt --lq-lower-to-cpu="packed=true" | %run-main > %t.k12.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.k12.packed %t.k12.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir --lq-quantize-weights="method=pvq pvq-dim=8 pvq-pulses=27 pvq-amp-bits=4 pvq-amp-group=24" -o %t.k27.mlir 2>/dev/null
// RUN: quant-opt %t.k27.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.k27.lib
// RUN: quant-opt %t.k27.mlir --lq-cpu-packed-matmul="pvq-registers=true" | quant-opt --lq-lower-to-cpu="packed=true" | %run-main > %t.k27.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.k27.packed %t.k27.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir --lq-quantize-weights="method=pvq pvq-dim=4 pvq-pulses=3 pvq-amp-bits=2 pvq-amp-group=8" -o %t.d4.mlir 2>/dev/null
// RUN: quant-opt %t.d4.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.d4.lib
// RUN: quant-opt %t.d4.mlir --lq-lower-to-cpu="packed=true" | %run-main > %t.d4.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.d4.packed %t.d4.lib | FileCheck %s --check-prefix=MATCH
// The large-batch path (tiled-min-batch=1 takes it at every batch): each
// panel's 4 units (here 1 or 2, as the group counts divide) decoded once
// into an f32 tile that blocks of 8 rows of x read.
// RUN: quant-opt %t.k5.mlir --lq-cpu-packed-matmul="tiled-min-batch=1" --lq-lower-to-cpu="packed=true" | %run-main > %t.k5.tiled
// RUN: %python %S/../../Inputs/compare-floats.py %t.k5.tiled %t.k5.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %t.k12.mlir --lq-cpu-packed-matmul="tiled-min-batch=1 pvq-registers=true" | quant-opt --lq-lower-to-cpu="packed=true" | %run-main > %t.k12.tiled
// RUN: %python %S/../../Inputs/compare-floats.py %t.k12.tiled %t.k12.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %t.d4.mlir --lq-cpu-packed-matmul="tiled-min-batch=1" --lq-lower-to-cpu="packed=true" | %run-main > %t.d4.tiled
// RUN: %python %S/../../Inputs/compare-floats.py %t.d4.tiled %t.d4.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %t.d4.mlir --lq-cpu-packed-matmul="tiled-min-batch=1" | FileCheck %s --check-prefix=TILED
// TILED-LABEL: func.func private @lq_cpu_packed_pvq{{.*}}_m5(
// TILED: tensor.empty() : tensor<8x16xf32>
// Panels on OpenMP threads compute the same values.
// RUN: quant-opt %t.k12.mlir --lq-cpu-packed-matmul="pvq-registers=true parallel-min-weights=0" | quant-opt --lq-lower-to-cpu="packed=true threads=true parallel-min-weights=0" | %run-main -shared-libs=%mlir_lib_dir/libomp%shlibext > %t.k12.threads
// RUN: %python %S/../../Inputs/compare-floats.py %t.k12.threads %t.k12.lib | FileCheck %s --check-prefix=MATCH
// MATCH: MATCH 240 values

// The negative control: the comparison fails against the float weights and
// between two quantizations.
// RUN: not %python %S/../../Inputs/compare-floats.py %t.k12.packed %t.float | FileCheck %s --check-prefix=DIFFER
// RUN: not %python %S/../../Inputs/compare-floats.py %t.k12.packed %t.k5.lib | FileCheck %s --check-prefix=DIFFER
// DIFFER: MISMATCH at

// The layout: per panel, the rows' streams of index | amplitude code << 14
// (one code per group: 9 x 17 bits, 5 words and one of padding) as i32
// words of 16 rows, and the f32 steps. The whole codeword and 1 / ||y||
// are one i64 of the table of P(8, 5) (y + 8 in 4-bit fields, the f32
// above), read lane by lane (two lanes' indices per i64 extracted); each
// position is decoded in place (and, or into 2^23's mantissa, subtract),
// x comes scaled by 2^-(4 * (p % 4)), and a group's dot product is scaled
// by amp / ||y|| once. No position in registers, no square root. The unit
// loop carries the next unit's codewords and amp / ||y||, looked up a
// step ahead (here one group a unit: 9 groups a row).
// RUN: quant-opt %t.k5.mlir --lq-cpu-packed-matmul | FileCheck %s --check-prefix=TABLE
// TABLE-NOT: lq.matmul
// TABLE-DAG: arith.constant dense_resource<lq_cpu_pvq_0_fields> : tensor<3x6x16xi32>
// TABLE-DAG: arith.constant dense_resource<lq_cpu_pvq_0_steps> : tensor<3x16xf32>
// TABLE-NOT: lq_cpu_pvq_0_amps
// TABLE: func.func private @lq_cpu_packed_pvq_dim_8_pulses_5_amp_bits_3_amp_group_8_40x72_m5
// TABLE-NOT: lq_cpu_pvq_d8p5_starts
// TABLE: arith.constant dense<[1.000000e+00, 6.250000e-02, 3.906250e-03, 2.44140625E-4, 1.000000e+00
// TABLE: arith.constant dense_resource<lq_cpu_pvq_d8p5_nibbles> : tensor<9424xi64>
// TABLE: vector.transfer_read {{.*}} : tensor<3x6x16xi32>, vector<16xi32>
// TABLE: arith.minui
// TABLE: vector.bitcast {{.*}} : vector<16xi32> to vector<8xi64>
// TABLE-COUNT-16: tensor.extract {{.*}} : tensor<9424xi64>
// TABLE: vector.from_elements {{.*}} : vector<16xi64>
// TABLE: arith.trunci {{.*}} : vector<16xi64> to vector<16xi32>
// TABLE: arith.constant dense<1258291200> : vector<16xi32>
// TABLE: arith.constant dense<15> : vector<16xi32>
// TABLE: arith.andi
// TABLE: arith.ori
// TABLE: arith.subf
// TABLE-NOT: math.sqrt
// TABLE: arith.mulf
// TABLE-COUNT-7: vector.fma
// TABLE-NEXT: vector.fma
// TABLE: scf.for {{.*}} -> (vector<16xf32>, vector<16xi32>, vector<16xf32>)
// TABLE: func.func private @lq_cpu_packed_pvq_dim_8_pulses_5_amp_bits_3_amp_group_8_40x72_m1

// Registers only: the block starts of rows (rest, k), rest = 2..7, and per
// position a binary search of 5 probes (29 starts a row); no table of
// codewords.
// RUN: quant-opt %t.k27.mlir --lq-cpu-packed-matmul="pvq-registers=true" | FileCheck %s --check-prefix=REGS
// REGS-NOT: lq.matmul
// REGS: arith.constant dense_resource<lq_cpu_pvq_d8p27_starts> : tensor<4872xi32>
// REGS-NOT: tail
// REGS-COUNT-5: vector.gather {{.*}} : tensor<4872xi32>
// REGS-NOT: lq.matmul

// Both: starts for the 4 positions in registers, then P(4, k)'s codewords
// (one i32 each) at their pulse count's offset.
// RUN: quant-opt %t.k12.mlir --lq-cpu-packed-matmul="pvq-registers=true" | FileCheck %s --check-prefix=BOTH
// By default a codebook over pvq-table-entries is left for lq-expand.
// RUN: quant-opt %t.k12.mlir --lq-cpu-packed-matmul | FileCheck %s --check-prefix=LEFT
// LEFT-NOT: func.func private @lq_cpu_packed_pvq
// LEFT: lq.matmul {{.*}}#lq.pvq
// BOTH-DAG: arith.constant dense_resource<lq_cpu_pvq_d8p12_starts> : tensor<1092xi32>
// BOTH-DAG: arith.constant dense_resource<lq_cpu_pvq_d8p12_tail4> : tensor<16641xi32>
// BOTH-DAG: arith.constant dense_resource<lq_cpu_pvq_d8p12_tail_offsets> : tensor<13xi32>
// BOTH: vector.gather {{.*}} : tensor<13xi32>
// BOTH: vector.gather {{.*}} : tensor<16641xi32>

// What the kernel does not take is left for lq-expand: indices of more
// than 31 bits (40 pulses: 33) and dimensions over 16.
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir --lq-quantize-weights="method=pvq pvq-dim=8 pvq-pulses=40 pvq-amp-bits=3 pvq-amp-group=8" 2>/dev/null | quant-opt --lq-cpu-packed-matmul | FileCheck %s --check-prefix=LEFT
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir --lq-quantize-weights="method=pvq pvq-dim=24 pvq-pulses=2 pvq-amp-bits=3 pvq-amp-group=24" 2>/dev/null | quant-opt --lq-cpu-packed-matmul | FileCheck %s --check-prefix=LEFT
// LEFT-NOT: lq_cpu_packed
// LEFT: lq.matmul
// LEFT-NOT: lq_cpu_packed
// And lq-expand decodes those: the whole pipeline still runs them.
// RUN: quant-opt %S/lq-cpu-packed-matmul-bits.mlir --lq-quantize-weights="method=pvq pvq-dim=8 pvq-pulses=40 pvq-amp-bits=3 pvq-amp-group=8" -o %t.k40.mlir 2>/dev/null
// RUN: quant-opt %t.k40.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.k40.lib
// RUN: quant-opt %t.k40.mlir --lq-lower-to-cpu="packed=true" | %run-main > %t.k40.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.k40.packed %t.k40.lib | FileCheck %s --check-prefix=MATCH
