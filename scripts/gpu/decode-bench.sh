#!/usr/bin/env bash
# GPU decode-step benchmark: tokens/s and ms per @decode step of models
# compiled with `quant-run compile --target cuda --shared`, and the CUDA
# runtime's per-step host work (LQ_CUDA_STATS).
#
# The GPU machine has the NVIDIA driver but no LLVM, so the work is split:
#
#   scripts/gpu/decode-bench.sh build OUT MODEL_DIR...
#       (build machine) imports each checkpoint and compiles it for the GPU,
#       fp32 and RTN W4 g128 (fp32 only for checkpoints under FP32_MAX_MB
#       megabytes, default 20: a library embeds its weights), into
#       OUT/lib/<model>-<method>.so, with quant-run-aot and a tokenizer
#       beside them: OUT is all the GPU machine needs.
#   scripts/gpu/decode-bench.sh run OUT
#       (GPU machine) runs `quant-run-aot bench` (STEPS decode steps from
#       position 0) and `generate` (TOKENS tokens) on each library and prints
#       one table row per library, then the runtime's statistics (calls and
#       host time per entry point) of one more bench run per library into
#       OUT/<name>.stats, and the GPU time of each kernel (events around
#       every launch) of another into OUT/<name>.kernels.
#
# Environment: BUILD (build tree, default ./build), STEPS (default 256),
# TOKENS (default 64), PROMPT, FP32_MAX_MB.
set -euo pipefail

BUILD=${BUILD:-build}
STEPS=${STEPS:-256}
TOKENS=${TOKENS:-64}
PROMPT=${PROMPT:-The compiler}
FP32_MAX_MB=${FP32_MAX_MB:-20}

die() { echo "decode-bench: $*" >&2; exit 1; }

build() {
  local out=$1
  shift
  local bin=$BUILD/bin
  mkdir -p "$out/lib" "$out/modules"
  cp "$bin/quant-run-aot" "$out/"
  for model in "$@"; do
    local name m
    name=$(basename "$model")
    m=$out/modules/$name
    cp "$model/tokenizer.json" "$out/tokenizer.json"
    "$bin/quant-import" "$model" -o "$m-fp32.mlirbc" --quiet
    "$bin/quant-opt" "$m-fp32.mlirbc" --lq-quantize-weights="method=rtn bits=4 group=128" \
      --emit-bytecode -o "$m-rtn-w4.mlirbc"
    local methods="rtn-w4"
    if [ "$(du -m --apparent-size -c "$model"/*.safetensors | tail -1 | cut -f1)" -le "$FP32_MAX_MB" ]; then
      methods="fp32 rtn-w4"
    fi
    for method in $methods; do
      echo "== $name-$method"
      "$bin/quant-run" compile "$m-$method.mlirbc" --target cuda --shared -o "$out/lib/$name-$method.so"
    done
  done
  rm -rf "$out/modules"
  du -sh "$out"
}

run() {
  local out=$1 aot=$1/quant-run-aot
  [ -x "$aot" ] || die "$aot: not found (run 'build' first)"
  echo "| library | decode tokens/s ($STEPS steps) | ms/step | generate tokens/s ($TOKENS tokens) |"
  echo "|---|---|---|---|"
  for lib in "$out"/lib/*.so; do
    local name bench speed ms gen
    name=$(basename "$lib" .so)
    bench=$("$aot" bench "$lib" --steps "$STEPS" --iters 1 --tokens 1 2> "$out/$name.bench.log") ||
      { echo "| $name | FAILED: $(tail -1 "$out/$name.bench.log") | | |"; continue; }
    speed=$(echo "$bench" | sed -n 's/^decode *compiled.* \([0-9.]*\) tokens\/s$/\1/p')
    ms=$(awk -v s="$speed" 'BEGIN { if (s > 0) printf "%.3f", 1000 / s }')
    "$aot" generate "$lib" --tokenizer "$out" --prompt "$PROMPT" --max-tokens "$TOKENS" \
      > "$out/$name.gen" 2> "$out/$name.gen.log" || true
    gen=$(sed -n 's/.*generated .* (\([0-9.]*\) tokens\/s).*/\1/p' "$out/$name.gen.log")
    echo "| $name | $speed | $ms | ${gen:-FAILED} |"
  done
  for lib in "$out"/lib/*.so; do
    local name
    name=$(basename "$lib" .so)
    LQ_CUDA_STATS=1 "$aot" bench "$lib" --steps "$STEPS" --iters 1 --tokens 1 \
      > /dev/null 2> "$out/$name.stats" || true
    echo
    echo "$name: runtime calls over $STEPS decode steps (and start-up)"
    grep '^lq-runtime stats' "$out/$name.stats" | sed 's/^lq-runtime stats: //'
    LQ_CUDA_STATS=kernels "$aot" bench "$lib" --steps "$STEPS" --iters 1 --tokens 1 \
      > /dev/null 2> "$out/$name.kernels" || true
    echo "$name: GPU time per kernel (event-timed), the 10 longest"
    grep '^lq-runtime kernels' "$out/$name.kernels" | sed 's/^lq-runtime kernels: //' | head -12
  done
}

case "${1:-}" in
  build) shift; [ $# -ge 2 ] || die "usage: $0 build OUT MODEL_DIR..."; build "$@" ;;
  run) shift; [ $# -eq 1 ] || die "usage: $0 run OUT"; run "$@" ;;
  *) die "usage: $0 build|run ..." ;;
esac
