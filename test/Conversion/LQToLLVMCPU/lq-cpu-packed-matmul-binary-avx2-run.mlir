// REQUIRES: avx2
// Binary codes with int8-dot=avx2 (the table lookups on AVX2's 8-lane
// vpermps intrinsic, the index's bit 3 choosing the table's half) compute
// what lq-expand computes, as the portable and the AVX-512 forms do
// (lq-cpu-packed-matmul-binary.mlir), on the same matmuls: 40 rows (a
// masked last panel), 72 columns, batch 5 and 1; 1 to 3 planes in groups
// of 8 and 24 and per channel; threads.
// RUN: quant-opt %S/lq-cpu-packed-matmul-binary.mlir --lq-quantize-weights="method=binary planes=1 group=8" -o %t.b1g8.mlir 2>/dev/null
// RUN: quant-opt %t.b1g8.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.b1g8.lib
// RUN: quant-opt %t.b1g8.mlir --lq-lower-to-cpu="packed=true int8-dot=avx2" | %run-main > %t.b1g8.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.b1g8.packed %t.b1g8.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-binary.mlir --lq-quantize-weights="method=binary planes=2 group=24" -o %t.b2g24.mlir 2>/dev/null
// RUN: quant-opt %t.b2g24.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.b2g24.lib
// RUN: quant-opt %t.b2g24.mlir --lq-lower-to-cpu="packed=true int8-dot=avx2" | %run-main > %t.b2g24.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.b2g24.packed %t.b2g24.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-binary.mlir --lq-quantize-weights="method=binary planes=3 group=0" -o %t.b3pc.mlir 2>/dev/null
// RUN: quant-opt %t.b3pc.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.b3pc.lib
// RUN: quant-opt %t.b3pc.mlir --lq-lower-to-cpu="packed=true int8-dot=avx2" | %run-main > %t.b3pc.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.b3pc.packed %t.b3pc.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-binary.mlir --lq-quantize-weights="method=binary planes=3 group=8" -o %t.b3g8.mlir 2>/dev/null
// RUN: quant-opt %t.b3g8.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.b3g8.lib
// RUN: quant-opt %t.b3g8.mlir --lq-lower-to-cpu="packed=true int8-dot=avx2 threads=true parallel-min-weights=0" | %run-main -shared-libs=%mlir_lib_dir/libomp%shlibext > %t.b3g8.threads
// RUN: %python %S/../../Inputs/compare-floats.py %t.b3g8.threads %t.b3g8.lib | FileCheck %s --check-prefix=MATCH
// The negative control: a different quantization does not match.
// RUN: not %python %S/../../Inputs/compare-floats.py %t.b3g8.threads %t.b3pc.lib | FileCheck %s --check-prefix=DIFFER
// MATCH: MATCH 240 values
// DIFFER: MISMATCH at
