// REQUIRES: avx512-vnni
// Packed W4A8 on vpdpbusd computes what lq-expand computes (activations
// fake-quantized per token, weights decoded by the library) on the matmuls
// of lq-cpu-packed-matmul-w4a8.mlir: 40 rows (a masked last panel), 70
// columns, batch 5 and 1; groups of 10 (asymmetric) and 5 (padded to 8 k:
// tails within the groups), 14 and 35 (asymmetric: two vector chunks of 16
// and a tail), per channel (70, padded to 72) symmetric and asymmetric.
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir %lower-to-llvm | %run-main > %t.float
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=10 symmetric=false" -o %t.w4.mlir 2>/dev/null
// RUN: quant-opt %t.w4.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.w4.lib
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=10 symmetric=false" --lq-quantize-activations -o %t.g10a.mlir 2>/dev/null
// RUN: quant-opt %t.g10a.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g10a.lib
// RUN: quant-opt %t.g10a.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.g10a.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g10a.packed %t.g10a.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=5" --lq-quantize-activations -o %t.g5.mlir 2>/dev/null
// RUN: quant-opt %t.g5.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g5.lib
// RUN: quant-opt %t.g5.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.g5.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g5.packed %t.g5.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=14" --lq-quantize-activations -o %t.g14.mlir 2>/dev/null
// RUN: quant-opt %t.g14.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g14.lib
// RUN: quant-opt %t.g14.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.g14.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g14.packed %t.g14.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=35 symmetric=false" --lq-quantize-activations -o %t.g35a.mlir 2>/dev/null
// RUN: quant-opt %t.g35a.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g35a.lib
// RUN: quant-opt %t.g35a.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.g35a.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g35a.packed %t.g35a.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=0" --lq-quantize-activations -o %t.pc.mlir 2>/dev/null
// RUN: quant-opt %t.pc.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.pc.lib
// RUN: quant-opt %t.pc.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.pc.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.pc.packed %t.pc.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=0 symmetric=false" --lq-quantize-activations -o %t.pca.mlir 2>/dev/null
// RUN: quant-opt %t.pca.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.pca.lib
// RUN: quant-opt %t.pca.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.pca.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.pca.packed %t.pca.lib | FileCheck %s --check-prefix=MATCH
// Static activation scales (one per matmul, set here by hand; some values
// clip): the packed kernel quantizes with the given scale as lq-expand does.
// RUN: sed 's/act(8)/act(8) scale(2.000000e-02)/' %t.g10a.mlir > %t.g10s.mlir
// RUN: quant-opt %t.g10s.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g10s.lib
// RUN: quant-opt %t.g10s.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.g10s.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g10s.packed %t.g10s.lib | FileCheck %s --check-prefix=MATCH
// RUN: not %python %S/../../Inputs/compare-floats.py %t.g10s.packed %t.g10a.lib | FileCheck %s --check-prefix=DIFFER
// RUN: sed 's/act(8)/act(8) scale(5.000000e-03)/' %t.pc.mlir > %t.pcs.mlir
// RUN: quant-opt %t.pcs.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.pcs.lib
// RUN: quant-opt %t.pcs.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni" | %run-main > %t.pcs.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.pcs.packed %t.pcs.lib | FileCheck %s --check-prefix=MATCH
// Panels on OpenMP threads compute the same values.
// RUN: quant-opt %t.g10a.mlir --lq-lower-to-cpu="int8-dot=avx512-vnni threads=true parallel-min-weights=0" | %run-main -shared-libs=%mlir_lib_dir/libomp%shlibext > %t.g10a.threads
// RUN: %python %S/../../Inputs/compare-floats.py %t.g10a.threads %t.g10a.lib | FileCheck %s --check-prefix=MATCH
// MATCH: MATCH 240 values

// The negative control: the comparison fails against the float weights,
// against the same 4-bit weights with float activations (the activation
// quantization shows), and between two quantizations.
// RUN: not %python %S/../../Inputs/compare-floats.py %t.g10a.packed %t.float | FileCheck %s --check-prefix=DIFFER
// RUN: not %python %S/../../Inputs/compare-floats.py %t.g10a.packed %t.w4.lib | FileCheck %s --check-prefix=DIFFER
// RUN: not %python %S/../../Inputs/compare-floats.py %t.pc.packed %t.pca.lib | FileCheck %s --check-prefix=DIFFER
// DIFFER: MISMATCH at
