// REQUIRES: avx2
// Packed W4A8 on AVX2 (int8-dot=avx2: vpmaddubsw, then vpmaddwd by ones)
// computes what lq-expand computes, as the vpdpbusd kernels do
// (lq-cpu-packed-matmul-w4a8-run.mlir), on the same matmuls: 40 rows (a
// masked last panel), 70 columns, batch 5 and 1; groups of 10 (asymmetric),
// 5 (padded to 8 k), 35 (asymmetric), per channel; a static scale; threads.
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=10 symmetric=false" --lq-quantize-activations -o %t.g10a.mlir 2>/dev/null
// RUN: quant-opt %t.g10a.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g10a.lib
// RUN: quant-opt %t.g10a.mlir --lq-lower-to-cpu="int8-dot=avx2" | %run-main > %t.g10a.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g10a.packed %t.g10a.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=5" --lq-quantize-activations -o %t.g5.mlir 2>/dev/null
// RUN: quant-opt %t.g5.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g5.lib
// RUN: quant-opt %t.g5.mlir --lq-lower-to-cpu="int8-dot=avx2" | %run-main > %t.g5.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g5.packed %t.g5.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=35 symmetric=false" --lq-quantize-activations -o %t.g35a.mlir 2>/dev/null
// RUN: quant-opt %t.g35a.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g35a.lib
// RUN: quant-opt %t.g35a.mlir --lq-lower-to-cpu="int8-dot=avx2" | %run-main > %t.g35a.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g35a.packed %t.g35a.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %S/lq-cpu-packed-matmul-w4a8.mlir --lq-quantize-weights="method=rtn bits=4 group=0" --lq-quantize-activations -o %t.pc.mlir 2>/dev/null
// RUN: quant-opt %t.pc.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.pc.lib
// RUN: quant-opt %t.pc.mlir --lq-lower-to-cpu="int8-dot=avx2" | %run-main > %t.pc.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.pc.packed %t.pc.lib | FileCheck %s --check-prefix=MATCH
// RUN: sed 's/act(8)/act(8) scale(2.000000e-02)/' %t.g10a.mlir > %t.g10s.mlir
// RUN: quant-opt %t.g10s.mlir --lq-expand=library-decode %lower-to-llvm | %run-main > %t.g10s.lib
// RUN: quant-opt %t.g10s.mlir --lq-lower-to-cpu="int8-dot=avx2" | %run-main > %t.g10s.packed
// RUN: %python %S/../../Inputs/compare-floats.py %t.g10s.packed %t.g10s.lib | FileCheck %s --check-prefix=MATCH
// RUN: quant-opt %t.g10a.mlir --lq-lower-to-cpu="int8-dot=avx2 threads=true parallel-min-weights=0" | %run-main -shared-libs=%mlir_lib_dir/libomp%shlibext > %t.g10a.threads
// RUN: %python %S/../../Inputs/compare-floats.py %t.g10a.threads %t.g10a.lib | FileCheck %s --check-prefix=MATCH
// The AVX2 kernel's integer steps, in place of vpdpbusd.
// RUN: quant-opt %t.g10a.mlir --lq-cpu-packed-matmul="int8-dot=avx2 parallel-min-weights=0" | FileCheck %s --check-prefix=KERNEL
// MATCH: MATCH 240 values
// KERNEL-LABEL: func.func private @lq_cpu_packed_uniform
// KERNEL-NOT: vpdpbusd
// KERNEL: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"({{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// KERNEL: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"({{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// KERNEL-NOT: vpdpbusd
