#!/usr/bin/env bash
# Decode and prefill speed of a large model shape on the GPU, beside
# PyTorch on the same GPU (docs/results/gpu-model.md, "Llama-2-7B layers").
#
# A 7B-shaped model's packed weights do not travel to the GPU machine, so the
# build machine compiles the library from a synthetic model of the shape and
# keeps only the header of its weights file; the GPU machine fills a weights
# file of that header with synthetic values (synthetic-weights.py) and times
# the library and PyTorch's anchors (torch-anchors.py) on the same shape.
#
#   scripts/gpu/scale-bench.sh build OUT CONFIG.json
#       (build machine) quant-import --synthetic, RTN W4 g128 (lm_head
#       float, as PyTorch's int4 models keep it), quant-run compile --target
#       cuda --shared; OUT/lib.so, OUT/lib.header, quant-run-aot and CONFIG.
#   scripts/gpu/scale-bench.sh run OUT
#       (GPU machine) the weights, then `quant-run-aot bench` with CUDA
#       graphs on, off and on again, then torch-anchors.py (bf16 and int4
#       tinygemm under torch.compile) on the same config.
#
# Environment: BUILD (build tree, default ./build), STEPS (decode steps,
# default 256), TOKENS (prefill tokens, default 512), GPU_OPTIONS (build:
# lq-lower-to-gpu options, e.g. "dependent-launch=false", for a baseline).
set -euo pipefail

BUILD=${BUILD:-build}
STEPS=${STEPS:-256}
TOKENS=${TOKENS:-512}
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "scale-bench: $*" >&2; exit 1; }

build() {
  local out=$1 config=$2 bin=$BUILD/bin work
  mkdir -p "$out"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  "$bin/quant-import" --synthetic "$config" -o "$work/model.mlirbc"
  "$bin/quant-opt" "$work/model.mlirbc" \
    --lq-quantize-weights="method=rtn bits=4 group=128 exclude=lm_head" \
    --emit-bytecode -o "$work/w4.mlirbc"
  "$bin/quant-run" compile "$work/w4.mlirbc" --target cuda --shared -o "$out/lib.so" \
    --weights "$work/lib.safetensors" ${GPU_OPTIONS:+--gpu-options "$GPU_OPTIONS"}
  python3 - "$work/lib.safetensors" "$out/lib.header" <<'EOF'
import struct, sys
with open(sys.argv[1], "rb") as f:
    size = f.read(8)
    header = f.read(struct.unpack("<Q", size)[0])
with open(sys.argv[2], "wb") as f:
    f.write(size + header)
EOF
  cp "$bin/quant-run-aot" "$out/"
  cp "$config" "$out/config.json"
}

run() {
  local out=$1
  [ -x "$out/quant-run-aot" ] || die "$out/quant-run-aot: not found (run 'build' first)"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  python3 "$here/synthetic-weights.py" "$out/lib.header" "$out/lib.safetensors"
  for graphs in 1 0 1; do
    echo "== quant-opt W4, CUDA graphs $graphs"
    LQ_CUDA_GRAPHS=$graphs "$out/quant-run-aot" bench "$out/lib.so" --steps "$STEPS" \
      --iters 2 --tokens "$TOKENS" 2>&1 | grep -E "decode|forward|error"
  done
  python3 "$here/torch-anchors.py" "$out/config.json" --steps 128 2>&1 | grep -v -i warn
}

case "${1:-}" in
  build) shift; [ $# -eq 2 ] || die "usage: $0 build OUT CONFIG.json"; build "$@" ;;
  run) shift; [ $# -eq 1 ] || die "usage: $0 run OUT"; run "$@" ;;
  *) die "usage: $0 build|run ..." ;;
esac
