#!/usr/bin/env bash
# Learned FPTQuant transforms (quant-run calibrate --fpt-learn) against the
# closed forms, as in docs/results/activations.md ("Learned FPT transforms"):
# import, calibrate on 32 windows of the last quarter of docs-valid (plain,
# and with --fpt-learn, with and without the online down Hadamard in the
# MLP loss), quantize with each pipeline, docs-valid perplexity of the
# compiled module over the first WINDOWS windows of 512 tokens.
#
#   fpt-learn.sh BUILD DATA MODEL WINDOWS ["FPT-LEARN OPTIONS"]
#   e.g. fpt-learn.sh build DATA 2m 64   (DATA holds models/ and text/)
set -euo pipefail
build=$1 data=$2 model=$3 windows=$4 opts=${5:-}
bin=$build/bin
ckpt=$data/models/llama-docs-$model
work=$build/results/fpt-learn-$model
mkdir -p "$work"
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

"$bin/quant-import" "$ckpt" -o "$work/fp32.mlirbc" --quiet
lines=$(wc -l < "$data/text/docs-valid.txt")
tail -n $((lines - lines * 3 / 4)) "$data/text/docs-valid.txt" > "$work/calibration.txt"
calibrate() { # OUT [ARGS...]
  local out=$1; shift
  local t0; t0=$(now)
  "$bin/quant-run" calibrate "$work/fp32.mlirbc" --tokenizer "$ckpt" --text "$work/calibration.txt" \
    --windows 32 -o "$work/$out" "$@" 2> "$work/$out.log"
  echo "calibrate $out: $(since "$t0") s"
  grep "fpt-learn" "$work/$out.log" || true
}
calibrate cal.mlirbc
calibrate learned.mlirbc --fpt-learn="$opts"
calibrate learned-rot.mlirbc --fpt-learn="$opts down-rotation=1"

row() { # LABEL SOURCE PIPELINE
  local t0 t1 q e ppl
  t0=$(now)
  "$bin/quant-opt" "$work/$2" "--pass-pipeline=builtin.module($3)" -o "$work/q.mlirbc"
  q=$(since "$t0"); t1=$(now)
  ppl=$("$bin/quant-run" perplexity "$work/q.mlirbc" --tokenizer "$ckpt" \
        --text "$data/text/docs-valid.txt" --window 512 --max-windows "$windows" 2>/dev/null |
        awk '/^perplexity/ {print $2}')
  e=$(since "$t1")
  echo "| $model | $1 | \`$3\` | $ppl | $q | $e |"
}
echo "| model | configuration | pipeline | ppl docs-valid | quantize (s) | evaluate (s) |"
row "W4A8 per-channel, smoothing" cal.mlirbc "qqq-w4a8"
row "W4A4KV4, closed-form FPTs" cal.mlirbc "fpt-w4a4kv4"
row "W4A4KV4, learned FPTs" learned.mlirbc "fpt-w4a4kv4"
row "W4A4KV4, closed-form FPTs + residual + online down Hadamard" cal.mlirbc \
  "fpt-w4a4kv4{residual=true down-rotation=true}"
row "W4A4KV4, learned FPTs (down-rotation=1) + residual + online down Hadamard" learned-rot.mlirbc \
  "fpt-w4a4kv4{residual=true down-rotation=true}"
