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
#       position 0) and `generate` (TOKENS tokens) on each library, with the
#       runtime's CUDA graphs off and on (LQ_CUDA_GRAPHS=0 and 1), and prints
#       one table row for each, the second saying whether the generated ids
#       are the same as without graphs; then the runtime's statistics (calls
#       and host time per entry point, graph launches, node updates, builds,
#       eager replays and flushes) of one more bench run per library and
#       mode into OUT/<name>.graphs<0|1>.stats, and the GPU time of each
#       kernel (events around every launch, graphs off) of another into
#       OUT/<name>.kernels.
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
  echo "| library | CUDA graphs | decode tokens/s ($STEPS steps) | ms/step | generate tokens/s ($TOKENS tokens) | tokens as graphs off |"
  echo "|---|---|---|---|---|---|"
  for lib in "$out"/lib/*.so; do
    local name graphs
    name=$(basename "$lib" .so)
    for graphs in 0 1; do
      local tag=$name.graphs$graphs mode bench speed ms gen same
      mode=$([ "$graphs" = 1 ] && echo on || echo off)
      bench=$(LQ_CUDA_GRAPHS=$graphs "$aot" bench "$lib" --steps "$STEPS" --iters 1 --tokens 1 \
        2> "$out/$tag.bench.log") ||
        { echo "| $name | $mode | FAILED: $(tail -1 "$out/$tag.bench.log") | | | |"; continue; }
      speed=$(echo "$bench" | sed -n 's/^decode *compiled.* \([0-9.]*\) tokens\/s$/\1/p')
      ms=$(awk -v s="$speed" 'BEGIN { if (s > 0) printf "%.3f", 1000 / s }')
      LQ_CUDA_GRAPHS=$graphs "$aot" generate "$lib" --tokenizer "$out" --prompt "$PROMPT" \
        --max-tokens "$TOKENS" --print-ids > "$out/$tag.gen" 2> "$out/$tag.gen.log" || true
      gen=$(sed -n 's/.*generated .* (\([0-9.]*\) tokens\/s).*/\1/p' "$out/$tag.gen.log")
      same=
      if [ "$graphs" = 1 ]; then
        # Graphs replay the same kernels with the same parameters: the
        # greedy tokens must not change.
        local off on
        off=$(grep '^ids:' "$out/$name.graphs0.gen" || true)
        on=$(grep '^ids:' "$out/$tag.gen" || true)
        if [ -z "$off" ] || [ -z "$on" ]; then
          same="NO IDS (see $tag.gen.log)"
        elif [ "$off" = "$on" ]; then
          same="identical ($(echo "$on" | wc -w | awk '{print $1 - 1}') ids)"
        else
          same="DIFFERENT"
        fi
      fi
      echo "| $name | $mode | $speed | $ms | ${gen:-FAILED} | $same |"
    done
  done
  for lib in "$out"/lib/*.so; do
    local name graphs
    name=$(basename "$lib" .so)
    for graphs in 0 1; do
      LQ_CUDA_GRAPHS=$graphs LQ_CUDA_STATS=1 "$aot" bench "$lib" --steps "$STEPS" --iters 1 \
        --tokens 1 > /dev/null 2> "$out/$name.graphs$graphs.stats" || true
      echo
      echo "$name, LQ_CUDA_GRAPHS=$graphs: runtime calls over $STEPS decode steps (and start-up)"
      sed -n 's/^lq-runtime stats: //p; /^lq-runtime:/p' "$out/$name.graphs$graphs.stats"
    done
    # Per-kernel events time every launch: graphs are off for this run.
    LQ_CUDA_STATS=kernels "$aot" bench "$lib" --steps "$STEPS" --iters 1 --tokens 1 \
      > /dev/null 2> "$out/$name.kernels" || true
    echo "$name: GPU time per kernel (event-timed), the 10 longest"
    # sed, not grep | head: under pipefail, no match or a reader that stops
    # early would end the run.
    sed -n 's/^lq-runtime kernels: //p' "$out/$name.kernels" | sed -n 1,12p
  done
}

case "${1:-}" in
  build) shift; [ $# -ge 2 ] || die "usage: $0 build OUT MODEL_DIR..."; build "$@" ;;
  run) shift; [ $# -eq 1 ] || die "usage: $0 run OUT"; run "$@" ;;
  *) die "usage: $0 build|run ..." ;;
esac
