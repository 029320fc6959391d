#!/usr/bin/env bash
# The kernel variant sets that GPU/kernels-correct.test runs on a GPU, in one
# place, so that the compile-only tests
# (Conversion/LQToNVPTX/kernel-sets-*.test) build exactly the kernels the
# GPU checks.
#
#   kernel-sets.sh QUANT_BENCH_COMPILE OUT SET...
#
# Builds each SET into OUT/SET. Sets: f16 w4gemm w4gemmg f32 binary binaryf16 w4a8 w4a8f32
# pvq pvqf32.
set -euo pipefail
qbc="$1" out="$2"
shift 2
for set in "$@"; do
  case "$set" in
  f16)
    args=(--shapes 256x512,48x384,128x11008 --batches 1,4,13,64 --kernels w4g128,w4pc,w4g128a
          --variants ";warps=1 unroll=2;warps=5 unroll=3 prefetch=0;warps=8 unroll=1 stages=4") ;;
  w4gemm)
    # (Two K warps at least: per-channel sums of one warp over K = 11008 run
    # in one f32 chain, ~1e-5 of the largest output per element.)
    args=(--shapes 256x512,48x384,128x11008 --batches 17,64,100,300 --kernels w4g128,w4pc,w4g128a
          --variants "gemm-min-batch=17;gemm-min-batch=17 row-warps=1 warps=2 row-tiles=1;gemm-min-batch=17 row-warps=2 warps=3 unroll=1 min-blocks-per-sm=2;max-batch-tiles=2 unroll=3 row-tiles=3;gemm-min-batch=17 row-warps=2 prefetch=0 row-tiles=4") ;;
  w4gemmg)
    args=(--shapes 256x1024,64x4096 --batches 24,128 --kernels w4g64,w4g512,w4g256a
          --variants "gemm-min-batch=24;gemm-min-batch=24 row-tiles=1 prefetch=0;gemm-min-batch=24 row-warps=4 warps=2 row-tiles=4") ;;
  f32)
    args=(--f32-input --shapes 128x11008 --batches 1,13 --kernels w4g128,w4g128a
          --variants ";warps=3 unroll=5 stages=3") ;;
  binary)
    # One exact mma per plane at every batch.
    args=(--shapes 256x512,48x768,128x11008 --batches 1,4,13,64
          --kernels b1g128,b2g128,b3g128,b4g128,b3g64,b2g256
          --variants "f16-weights-min-batch=-1;f16-weights-min-batch=-1 warps=1 unroll=2;f16-weights-min-batch=-1 warps=5 unroll=3 prefetch=0") ;;
  binaryf16)
    # Planes folded into f16 weights: at every batch, and from batch 13
    # (batch 1 exact, 13 and 64 folded).
    args=(--shapes 256x512,48x768,128x11008 --batches 1,13,64
          --kernels b1g128,b3g128,b4g128,b3g64,b2g256
          --variants "f16-weights-min-batch=1 warps=1 unroll=2;f16-weights-min-batch=13 warps=5 unroll=3 prefetch=0") ;;
  w4a8)
    args=(--shapes 256x512,48x384,128x11008 --batches 1,4,13,64,100,256 --kernels w4a8g128,w4a8pc
          --variants ";row-warps=1 warps=1;row-warps=2 warps=3 unroll=1;max-batch-tiles=2 unroll=3;row-warps=2 prefetch=0") ;;
  w4a8f32)
    args=(--f32-input --shapes 128x11008,64x4096 --batches 1,13,70 --kernels w4a8g128,w4a8pc) ;;
  pvq)
    args=(--shapes 256x512,48x1024,128x11008,16x8320 --batches 1,3,8
          --kernels pvq8k36a4g64,pvq16k12a4g64,pvq8k6a4g8,pvq8k1a4g8 --variants ";warps=3") ;;
  pvqf32)
    args=(--f32-input --shapes 128x11008 --batches 1,3 --kernels pvq8k36a4g64,pvq4k3a4g8) ;;
  *)
    echo "kernel-sets.sh: unknown set '$set'" >&2
    exit 2 ;;
  esac
  "$qbc" --out "$out/$set" "${args[@]}"
done
