#!/usr/bin/env bash
# A bundle's GPU kernels inside Hugging Face transformers (docs/results/bundle.md):
# examples/pytorch/generate.py replaces a Llama's linears with the kernels of
# `quant-run emit`'s cuda library and generates; the greedy ids must be those
# of the compiler's own GPU run of the same module (quant-run-aot).
#
#   scripts/gpu/bundle-check.sh build OUT MODEL_DIR MODULE...
#       (build machine) for each module: the bundle (emit --targets cuda;
#       with --reference-weights when REFERENCE=1), the compiler's own GPU
#       library of the module (quant-run compile --target cuda --shared),
#       and beside them quant-run-aot and the Hugging Face model directory.
#   scripts/gpu/bundle-check.sh run OUT
#       (GPU machine) for each module: quant-run-aot's greedy ids, then
#       generate.py with --expect-ids (and --check where the bundle has
#       reference weights).
#
# Environment: BUILD (build tree, default ./build), TOKENS (greedy tokens,
# default 64), PROMPT, REFERENCE (0 or 1, default 1), PYTHON (default python3).
set -euo pipefail

BUILD=${BUILD:-build}
TOKENS=${TOKENS:-64}
PROMPT=${PROMPT:-The compiler}
REFERENCE=${REFERENCE:-1}
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")/../.." && pwd)

die() { echo "bundle-check: $*" >&2; exit 1; }

build() {
  local out=$1 model=$2 bin=$BUILD/bin
  shift 2
  mkdir -p "$out/bundles" "$out/lib" "$out/model"
  cp "$model"/config.json "$model"/tokenizer.json "$model"/*.safetensors "$out/model/"
  [ -f "$model/model.safetensors.index.json" ] && cp "$model/model.safetensors.index.json" "$out/model/"
  cp "$bin/quant-run-aot" "$out/"
  local ref=()
  [ "$REFERENCE" = 1 ] && ref=(--reference-weights)
  for module in "$@"; do
    local name
    name=$(basename "$module" .mlirbc)
    rm -rf "$out/bundles/$name"
    "$bin/quant-run" emit "$module" --targets cuda "${ref[@]}" -o "$out/bundles/$name"
    "$bin/quant-run" compile "$module" --target cuda --shared -o "$out/lib/$name.so"
  done
}

run() {
  local out=$1 failed=0
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  for bundle in "$out"/bundles/*/; do
    local name ids check=()
    name=$(basename "$bundle")
    echo "=== $name"
    ids=$("$out/quant-run-aot" generate "$out/lib/$name.so" --tokenizer "$out/model" \
            --prompt "$PROMPT" --max-tokens "$TOKENS" --print-ids 2>/dev/null | sed -n 's/^ids: //p')
    [ -n "$ids" ] || die "quant-run-aot generate gave no ids for $name"
    echo "quant-run-aot ids: $ids"
    [ -f "$bundle/reference.safetensors" ] && check=(--check)
    "$PYTHON" "$HERE/examples/pytorch/generate.py" --model "$out/model" --bundle "$bundle" \
      --prompt "$PROMPT" --tokens "$TOKENS" --expect-ids "$ids" "${check[@]}" || failed=1
  done
  return $failed
}

case "${1:-}" in
build) [ $# -ge 4 ] || die "usage: build OUT MODEL_DIR MODULE..."; shift; build "$@" ;;
run) [ $# -eq 2 ] || die "usage: run OUT"; run "$2" ;;
*) die "usage: bundle-check.sh build OUT MODEL_DIR MODULE... | run OUT" ;;
esac
