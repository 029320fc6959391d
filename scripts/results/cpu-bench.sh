#!/usr/bin/env bash
# Regenerates docs/results/cpu.md: the CPU pipeline's lq.matmul kernels
# against OpenBLAS (f32 sgemv / sgemm on the decoded weight) and oneDNN's int8
# GEMM, measured by quant-bench-cpu in one process on this machine.
#
#   scripts/results/cpu-bench.sh [--build DIR] [--out FILE] [quant-bench-cpu options...]
#
# Options after the script's own go to quant-bench-cpu (e.g. --shapes
# 4096x4096 --batches 1,16 --iters 50); its defaults are the five Llama
# shapes, batches 1, 4, 16, 64 and kernels w4g128, w4pc. Run it on an idle
# machine: the load average is recorded next to the figures.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build"
out="$root/docs/results/cpu.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) break ;;
  esac
done
bench="$build/bin/quant-bench-cpu"
if [ ! -x "$bench" ]; then
  echo "cpu-bench.sh: $bench not found (build the quant-bench-cpu target first)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "+ $bench $*" >&2
# The table goes to stdout as it is measured; the markdown is kept.
"$bench" --markdown "$tmp/table.md" --json "$tmp/results.json" "$@" | tee "$tmp/stdout.txt"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
cores="$(nproc)"
l3="$(lscpu | sed -n 's/^L3 cache: *//p' | head -1)"
mem="$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
flags="$(grep -o -w 'avx512f\|avx512_vnni\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/ $//')"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
args="$*"

{
  cat <<EOF
# CPU results: the \`lq-lower-to-cpu\` kernels against OpenBLAS and oneDNN

Machine: **$cpu**, $cores cores, L3 $l3, $mem memory ($flags).
Measured $(date -u +%Y-%m-%d) at commit \`$commit\`; load average
$load_before before the run, $load_after after (figures from a loaded machine
are noisy: compare rows of one table, not tables of different runs).

Every row comes from one \`quant-bench-cpu\` process (regenerate this page with
\`scripts/results/cpu-bench.sh${args:+ $args}\`). For each weight shape N×K
(output rows × reduction), kernel kind and batch B it builds
\`func @matmul(x: tensor<B×K×f32>) -> tensor<B×N×f32>\` on a seeded random
weight (an \`lq.constant\`, as \`quant-bench-compile\` does), lowers it with the
CPU pipeline (\`lowerToLLVMDialect\`: fast strategy, packed kernels) and
JIT-compiles it. The result is checked against the numeric library's decoded
weight (\`decodeWeight\`) times x in double precision (relative error bound
1e-4). Then the compiled call, OpenBLAS (\`cblas_sgemv\` at B = 1,
\`cblas_sgemm\` otherwise, on the f32 decoded weight) and oneDNN's
\`dnnl_gemm_u8s8s32\` (u8 activations × an s8 weight of the same shape) are
timed in the same process: warm-up calls, then the median of the timed calls,
each preceded (untimed) by a read of a buffer 4× the L3, so every call streams
its weight from memory.

* **path**: *packed*: the kernel of \`lq-cpu-packed-matmul\` reads the
  codes where they lie; *decoded*: the encoding has no packed kernel yet and
  the weight is decoded to f32 at compile time (lq-expand).
* **compile s**: lowering plus JIT compilation; the weights stay out of the
  code (\`lq-cpu-external-weights\`), so this depends on the shape alone.
* **lq µs**: the compiled call; kernels of at least 2^20 weights run their
  16-row panels on the OpenMP threads (\`--threads\`).
* **weight GB/s**: bytes the kernel streams per call / time: packed codes
  (½ byte a weight), scales as f32 and zero points in 16-row panels; f32
  for decoded weights. **% BW**: of the streaming read bandwidth measured in
  the same process with all threads (the baselines' thread count), and with
  one thread (the lq kernel's).
* **vs OpenBLAS / vs oneDNN**: baseline time / lq time (above 1: lq is
  faster). OpenBLAS reads 4 bytes a weight, oneDNN 1. \`dnnl_gemm_u8s8s32\` is
  oneDNN's BLAS-like API, on a plain row-major weight (no weight reordered
  ahead of time, as its matmul primitive could use).
* **GFLOP/s**: 2·B·N·K / lq time. Where it nears one core's f32 FMA
  throughput the kernel is compute-bound and its weight GB/s low by nature
  (from batch 4 or 16 on).
* Multi-threaded baselines suffer most from a loaded machine: with a load
  above the core count their threads wait on each other (run with
  \`--threads 1\` for a per-core comparison with the lq kernel).

Run parameters and measured bandwidth:

\`\`\`
$(grep -v '^  check\|^shape\|^[0-9]' "$tmp/stdout.txt")
\`\`\`

EOF
  cat "$tmp/table.md"
  # What changed in the kernels, with before/after measurements (kept by
  # hand next to this page; not regenerated).
  if [ -f "$(dirname "$out")/cpu-notes.md" ]; then
    echo
    cat "$(dirname "$out")/cpu-notes.md"
  fi
} > "$out"
echo "wrote $out" >&2
