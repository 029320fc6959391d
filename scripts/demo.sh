#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds,
# imports the real 2M-parameter Llama in test/data (or MODEL=<checkpoint>),
# prints its fp32 perplexity on a text (TEXT=<file>, default: the model's
# held-out documentation text in test/data), calibrates on the text's tail,
# then quantizes every linear layer but lm_head with each method and prints
# bits per weight and reconstruction error per layer, and the perplexity of
# each quantized module.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
./scripts/install-deps.sh
./scripts/build.sh quant-opt quant-import quant-run >/dev/null
model="${MODEL:-$root/test/data/llama-docs-2m}"
text="${TEXT:-$root/test/data/docs-valid.txt}"
windows="${WINDOWS:-16}"
out="$root/build/demo"
mkdir -p "$out"
# Calibration text: in-domain but disjoint from the evaluated windows (the
# last quarter of the text; perplexity reads only its first windows).
calib="${CALIB_TEXT:-$out/calibration.txt}"
if [ -z "${CALIB_TEXT:-}" ]; then
  lines=$(wc -l < "$text")
  tail -n $((lines / 4)) "$text" > "$calib"
fi
bin="$root/build/bin"
tok="$model"
[ -d "$model" ] || tok="$(dirname "$model")"

echo "== import $model"
"$bin/quant-import" "$model" -o "$out/model.mlirbc"
echo "== fp32 perplexity ($text, up to $windows windows)"
"$bin/quant-run" perplexity "$out/model.mlirbc" --tokenizer "$tok" --text "$text" \
  --max-windows "$windows" 2>&1 | grep -v "^  window"

echo "== calibrate: input Hessians of every linear layer (every window of the text's last quarter)"
"$bin/quant-run" calibrate "$out/model.mlirbc" --tokenizer "$tok" --text "$calib" \
  -o "$out/calibrated.mlirbc"

run_method() {
  local name="$1" options="$2" extra="${3:-}"
  echo "== $name: lq-quantize-weights{$options}"
  # The per-layer report comes out as remarks: keep just their message.
  "$bin/quant-opt" "$out/calibrated.mlirbc" \
    --pass-pipeline="builtin.module(lq-quantize-weights{$options report=true exclude=lm_head}$extra)" \
    --emit-bytecode -o "$out/$name.mlirbc" 2>&1 |
    sed -n 's/.*remark: \(.*bits\/weight.*\)/  \1/p'
  "$bin/quant-run" perplexity "$out/$name.mlirbc" --tokenizer "$tok" --text "$text" \
    --max-windows "$windows" 2>&1 | grep "^perplexity" | sed "s/^/  $name: /"
}
run_method rtn-w4g64 "method=rtn bits=4 group=64"
run_method rtn-w3g64 "method=rtn bits=3 group=64"
run_method gptq-w3g64 "method=gptq bits=3 group=64 act-order=true"
echo "== gptq-w3g64-seq: sequential calibration, each layer's Hessians through the layers quantized before it"
"$bin/quant-run" calibrate "$out/model.mlirbc" --tokenizer "$tok" --text "$calib" \
  --sequential="method=gptq bits=3 group=64 act-order=true exclude=lm_head" \
  -o "$out/gptq-w3g64-seq.mlirbc" 2>&1 | grep -v "^step"
"$bin/quant-run" perplexity "$out/gptq-w3g64-seq.mlirbc" --tokenizer "$tok" --text "$text" \
  --max-windows "$windows" 2>&1 | grep "^perplexity" | sed "s/^/  gptq-w3g64-seq: /"
run_method pvq-3.25 "method=pvq pvq-dim=8 pvq-pulses=12 pvq-amp-bits=3 pvq-amp-group=8"
run_method gptqt-b3 "method=binary planes=3 group=128 grid-bits=5 keep-reference=true" ",lq-rescale"
