#!/usr/bin/env bash
# Whole-model GPU check: a quantized model's @forward (perplexity) and
# @decode (generation) on the GPU against the CPU run of the same module
# (docs/results/gpu-model.md).
#
# The GPU machine has the NVIDIA driver but no LLVM, so the work is split:
#
#   scripts/gpu/model-check.sh modules OUT MODEL_DIR TEXT
#       (build machine) imports the checkpoint, calibrates it, and writes
#       one module per method into OUT/modules: fp32, RTN W4 g128, GPTQ W4
#       g128, qqq-w4a8, wkv-w4kv4, PVQ and GPTQT.
#   scripts/gpu/model-check.sh build OUT MODEL_DIR TEXT [module.mlirbc...]
#       (build machine) compiles each module's @forward and @decode for the
#       GPU (`quant-run compile --target cuda --shared`, activations
#       $ACTIVATIONS), records the CPU's perplexity, greedy tokens and logits
#       of the same arithmetic (the module after the lq-round-matmul-inputs
#       that lq-lower-to-gpu runs first), and copies quant-run-aot, the
#       tokenizer and the text beside them: OUT is all the GPU machine needs.
#   scripts/gpu/model-check.sh run OUT
#       (GPU machine) runs each library with quant-run-aot and prints one
#       table row per module: perplexity on both, their relative difference,
#       the logits' largest relative difference, and whether the greedy
#       tokens are identical.
#
# Environment: BUILD (build tree, default ./build), WINDOWS (perplexity
# windows, default 8), TOKENS (greedy tokens, default 64), CAL_WINDOWS
# (calibration windows, default 16), PROMPT, ACTIVATIONS (the quantized
# matmuls' activations on the GPU, lq-lower-to-gpu's `activations`: auto,
# the default, f16 or f32).
set -euo pipefail

BUILD=${BUILD:-build}
WINDOWS=${WINDOWS:-8}
TOKENS=${TOKENS:-64}
CAL_WINDOWS=${CAL_WINDOWS:-16}
PROMPT=${PROMPT:-The compiler}
ACTIVATIONS=${ACTIVATIONS:-auto}

die() { echo "model-check: $*" >&2; exit 1; }

modules() {
  local out=$1 model=$2 text=$3 bin=$BUILD/bin
  mkdir -p "$out/modules"
  local m=$out/modules
  "$bin/quant-import" "$model" -o "$m/fp32.mlirbc" --quiet
  "$bin/quant-run" calibrate "$m/fp32.mlirbc" --tokenizer "$model" --text "$text" \
    --windows "$CAL_WINDOWS" -o "$out/calibrated.mlirbc"
  local cal=$out/calibrated.mlirbc
  "$bin/quant-opt" "$cal" --lq-quantize-weights="method=rtn bits=4 group=128" --emit-bytecode -o "$m/rtn-w4.mlirbc"
  "$bin/quant-opt" "$cal" --lq-quantize-weights="method=gptq bits=4 group=128" --emit-bytecode -o "$m/gptq-w4.mlirbc"
  "$bin/quant-opt" "$cal" --qqq-w4a8 --emit-bytecode -o "$m/qqq-w4a8.mlirbc"
  "$bin/quant-opt" "$cal" --wkv-w4kv4 --emit-bytecode -o "$m/wkv-w4kv4.mlirbc"
  "$bin/quant-opt" "$cal" --lq-quantize-weights="method=pvq pvq-dim=8 pvq-pulses=12 pvq-amp-bits=3 pvq-amp-group=8" \
    --emit-bytecode -o "$m/pvq.mlirbc"
  "$bin/quant-opt" "$cal" --lq-quantize-weights="method=binary planes=3 group=128 grid-bits=5" \
    --emit-bytecode -o "$m/gptqt-b3.mlirbc"
}

build() {
  local out=$1 model=$2 text=$3
  shift 3
  local bin=$BUILD/bin
  [ $# -gt 0 ] || set -- "$out"/modules/*.mlirbc
  mkdir -p "$out/lib" "$out/cpu"
  cp "$bin/quant-run-aot" "$out/"
  cp "$model/tokenizer.json" "$out/tokenizer.json"
  cp "$text" "$out/text.txt"
  for module in "$@"; do
    local name
    name=$(basename "$module" .mlirbc)
    echo "== $name"
    "$bin/quant-run" compile "$module" --target cuda --shared --gpu-options "activations=$ACTIVATIONS" \
      -o "$out/lib/$name.so"
    # The CPU reference computes what the GPU does: on f16-rounded matmul
    # inputs where the GPU reads f16 (lq-lower-to-gpu's own activation
    # stage).
    local reference=$module
    if [ "$ACTIVATIONS" != f32 ]; then
      reference=$(mktemp --suffix=.mlirbc)
      "$bin/quant-opt" "$module" --lq-gpu-round-activations="activations=$ACTIVATIONS" \
        --emit-bytecode -o "$reference"
    fi
    "$bin/quant-run" perplexity "$reference" --tokenizer "$out" --text "$out/text.txt" \
      --max-windows "$WINDOWS" --threads 1 > "$out/cpu/$name.ppl"
    "$bin/quant-run" generate "$reference" --tokenizer "$out" --prompt "$PROMPT" \
      --max-tokens "$TOKENS" --print-ids --logits-out "$out/cpu/$name.logits" > "$out/cpu/$name.gen"
    [ "$reference" = "$module" ] || rm -f "$reference"
  done
}

# The value after `key` on the line starting with `prefix` of a file.
field() { awk -v p="$2" -v k="$3" '$1 == p { for (i = 1; i < NF; ++i) if ($i == k) print $(i + 1) }' "$1"; }

run() {
  local out=$1 aot=$1/quant-run-aot
  [ -x "$aot" ] || die "$aot: not found (run 'build' first)"
  echo "| module | perplexity CPU | perplexity GPU | relative | logits max rel. diff | $TOKENS greedy tokens | GPU decode tokens/s |"
  echo "|---|---|---|---|---|---|---|"
  for lib in "$out"/lib/*.so; do
    local name
    name=$(basename "$lib" .so)
    "$aot" perplexity "$lib" --tokenizer "$out" --text "$out/text.txt" --max-windows "$WINDOWS" \
      > "$out/$name.gpu.ppl" 2> "$out/$name.gpu.ppl.log" || { echo "| $name | FAILED: $(tail -1 "$out/$name.gpu.ppl.log") |"; continue; }
    "$aot" generate "$lib" --tokenizer "$out" --prompt "$PROMPT" --max-tokens "$TOKENS" --print-ids \
      --logits-ref "$out/cpu/$name.logits" > "$out/$name.gpu.gen" 2> "$out/$name.gpu.gen.log" || true
    local cpu gpu rel logits same speed
    cpu=$(field "$out/cpu/$name.ppl" perplexity perplexity)
    gpu=$(field "$out/$name.gpu.ppl" perplexity perplexity)
    rel=$(awk -v a="$cpu" -v b="$gpu" 'BEGIN { d = (b - a) / a; printf "%+.4f %%", 100 * d }')
    logits=$(sed -n 's/.*relative \([^:]*\): .*/\1/p' "$out/$name.gpu.gen.log")
    if [ "$(grep '^ids:' "$out/cpu/$name.gen")" = "$(grep '^ids:' "$out/$name.gpu.gen")" ]; then
      same=identical
    else
      same="differ after $(sed -n 's/.*: \([0-9]*\) of .*/\1/p' "$out/$name.gpu.gen.log") positions"
    fi
    speed=$(sed -n 's/.*generated .* (\([0-9.]*\) tokens\/s).*/\1/p' "$out/$name.gpu.gen.log")
    echo "| $name | $cpu | $gpu | $rel | $logits | $same | $speed |"
  done
}

case "${1:-}" in
  modules) shift; [ $# -eq 3 ] || die "usage: $0 modules OUT MODEL_DIR TEXT"; modules "$@" ;;
  build) shift; [ $# -ge 3 ] || die "usage: $0 build OUT MODEL_DIR TEXT [module.mlirbc...]"; build "$@" ;;
  run) shift; [ $# -eq 1 ] || die "usage: $0 run OUT"; run "$@" ;;
  *) die "usage: $0 modules|build|run ..." ;;
esac
