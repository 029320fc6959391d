#!/usr/bin/env python3
"""Regenerates docs/results/weights.md: weight-only quantization of the shared
models with every method at several bit budgets.

For each model: import, calibrate (input Hessians of every linear layer on
the last quarter of docs-valid, disjoint from the evaluated windows), then for each configuration quantize with quant-opt (its
per-layer report gives the exact bits per weight and the layer loss
tr(dW H dW^T)), and measure the perplexity of the compiled quantized module
with quant-run on the evaluation texts. lm_head and the embedding stay in
float (as in the GPTQ/PVQ/GPTQT papers); bits per weight count every stored
bit (codes, scales, zero points, amplitudes, offsets) of the quantized layers.

  weights.py --build build --data <shared data dir> [--models 2m,19m]
             [--windows N] [--calib-windows N] [--out docs/results]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (method label, quant-opt pipeline). Group sizes divide every reduction
# dimension of both models (128/384/1024).
CONFIGS = [
    ("RTN", "2-bit g64", "lq-quantize-weights{method=rtn bits=2 group=64 %s}"),
    ("RTN", "3-bit g64", "lq-quantize-weights{method=rtn bits=3 group=64 %s}"),
    ("RTN", "3-bit g128", "lq-quantize-weights{method=rtn bits=3 group=128 %s}"),
    ("RTN", "4-bit g64", "lq-quantize-weights{method=rtn bits=4 group=64 %s}"),
    ("GPTQ", "2-bit g64", "lq-quantize-weights{method=gptq bits=2 group=64 act-order=true %s}"),
    ("GPTQ", "3-bit g64", "lq-quantize-weights{method=gptq bits=3 group=64 act-order=true %s}"),
    ("GPTQ", "3-bit g128", "lq-quantize-weights{method=gptq bits=3 group=128 act-order=true %s}"),
    ("GPTQ", "3-bit g32", "lq-quantize-weights{method=gptq bits=3 group=32 act-order=true %s}"),
    ("GPTQ", "4-bit g64", "lq-quantize-weights{method=gptq bits=4 group=64 act-order=true %s}"),
    ("PVQ", "D8 K5 amp3", "lq-quantize-weights{method=pvq pvq-dim=8 pvq-pulses=5 pvq-amp-bits=3 pvq-amp-group=8 act-order=true %s}"),
    ("PVQ", "D8 K12 amp3", "lq-quantize-weights{method=pvq pvq-dim=8 pvq-pulses=12 pvq-amp-bits=3 pvq-amp-group=8 act-order=true %s}"),
    ("PVQ", "D8 K27 amp3", "lq-quantize-weights{method=pvq pvq-dim=8 pvq-pulses=27 pvq-amp-bits=3 pvq-amp-group=8 act-order=true %s}"),
    ("GPTQT", "2 planes g128 (grid 4)", "lq-quantize-weights{method=binary planes=2 group=128 grid-bits=4 keep-reference=true act-order=true %s},lq-rescale"),
    ("GPTQT", "3 planes g128 (grid 5)", "lq-quantize-weights{method=binary planes=3 group=128 grid-bits=5 keep-reference=true act-order=true %s},lq-rescale"),
]
# GPTQ with sequential calibration (quant-run calibrate --sequential): each
# layer's Hessians recorded through the layers already quantized. Its time
# is the whole calibrate-and-quantize run.
SEQUENTIAL = [
    ("GPTQ sequential", "3-bit g64", "method=gptq bits=3 group=64 act-order=true %s"),
]
MODELS = {"2m": "llama-docs-2m", "19m": "llama-docs-19m"}
TEXTS = [("docs-valid", "text/docs-valid.txt"), ("WikiText-2 test", "text/wikitext-2/test.txt")]
REMARK = re.compile(r"remark: (\S+) (\d+)x(\d+): ([0-9.]+) bits/weight, relative error ([0-9.eE+-]+), "
                    r"layer loss ([0-9.eE+-]+)")


def run(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


EVALUATOR = "compiled"


def perplexity(bin_dir, module, tok, text, windows):
    """Perplexity of a module: run compiled by quant-run, or (evaluator
    "reference") its weights exported by quant-export, decoded with the
    reference decoder, in the fp32 reference transformer. test/Tools/
    quant-export.test checks that both give the same NLL."""
    if EVALUATOR == "compiled":
        res = run([f"{bin_dir}/quant-run", "perplexity", module, "--tokenizer", tok, "--text",
                   text, "--max-windows", str(windows)])
    else:
        gguf = module + ".gguf"
        run([f"{bin_dir}/quant-export", module, "-o", gguf])
        res = run([f"{bin_dir}/quant-ref", "perplexity", "--model", gguf, "--tokenizer", tok,
                   "--text", text, "--max-windows", str(windows)])
        os.remove(gguf)
    out = res.stdout + res.stderr
    m = re.search(r"^perplexity ([0-9.]+)", out, re.M)
    t = re.search(r"targets (\d+)", out)
    return float(m.group(1)), int(t.group(1))


def prepare_model(args, key):
    """Imports model `key` and calibrates it: (bin dir, checkpoint, fp32 module,
    calibrated module, import seconds, calibration seconds)."""
    bin_dir = os.path.join(args.build, "bin")
    ckpt = os.path.join(args.data, "models", MODELS[key])
    work = os.path.join(args.build, "results", key)
    os.makedirs(work, exist_ok=True)
    fp32 = os.path.join(work, "fp32.mlirbc")
    calibrated = os.path.join(work, "calibrated-%d.mlirbc" % args.calib_windows)
    t0 = time.time()
    run([f"{bin_dir}/quant-import", ckpt, "-o", fp32, "--quiet"])
    t1 = time.time()
    # In-domain calibration text disjoint from the evaluated windows: the
    # last quarter of docs-valid (evaluation reads only its first windows).
    calib_text = os.path.join(work, "calibration.txt")
    with open(os.path.join(args.data, "text/docs-valid.txt"), encoding="utf-8") as f:
        lines = f.readlines()
    with open(calib_text, "w", encoding="utf-8") as f:
        f.writelines(lines[len(lines) * 3 // 4:])
    run([f"{bin_dir}/quant-run", "calibrate", fp32, "--tokenizer", ckpt, "--text", calib_text,
         "--windows", str(args.calib_windows), "-o", calibrated])
    t2 = time.time()
    return bin_dir, ckpt, fp32, calibrated, t1 - t0, t2 - t1


def layer_report(stderr):
    """(bits, weights, summed layer loss) from lq-quantize-weights' report
    remarks, each role counted once (@forward and @decode share weights)."""
    bits = weights = loss = 0.0
    seen = set()
    for m in REMARK.finditer(stderr):
        role, n, k = m.group(1), int(m.group(2)), int(m.group(3))
        if role in seen:
            continue
        seen.add(role)
        bits += float(m.group(4)) * n * k
        weights += n * k
        loss += float(m.group(6))
    return bits, weights, loss


def evaluate_model(args, key):
    bin_dir, ckpt, fp32, calibrated, import_seconds, calibrate_seconds = prepare_model(args, key)
    work = os.path.dirname(fp32)
    texts = [(name, os.path.join(args.data, path)) for name, path in TEXTS]
    rows = []
    ppl = {}
    for name, path in texts:
        ppl[name], targets = perplexity(bin_dir, fp32, ckpt, path, args.windows)
        ppl[name + " targets"] = targets
    rows.append({"method": "fp32", "config": "-", "bpw": 32.0, "ppl": ppl, "loss": 0.0,
                 "seconds": 0.0})
    def add_row(method, label, out, res, seconds):
        """One table row: the quantizer's bits and layer loss, then perplexity."""
        bits, weights, loss = layer_report(res.stderr)
        ppl = {}
        for name, path in texts:
            ppl[name], _ = perplexity(bin_dir, out, ckpt, path, args.windows)
        rows.append({"method": method, "config": label, "bpw": bits / weights, "ppl": ppl,
                     "loss": loss, "seconds": seconds})
        print(f"{key} {method} {label}: {bits / weights:.4f} bpw {ppl}", file=sys.stderr)

    for method, label, pipeline in CONFIGS:
        out = os.path.join(work, re.sub(r"[^a-z0-9]+", "-", f"{method} {label}".lower()) + ".mlirbc")
        spec = "builtin.module(" + (pipeline % "report=true exclude=lm_head") + ")"
        start = time.time()
        res = run([f"{bin_dir}/quant-opt", calibrated, f"--pass-pipeline={spec}", "--emit-bytecode",
                   "-o", out])
        add_row(method, label, out, res, time.time() - start)
    calib_text = os.path.join(work, "calibration.txt")
    for method, label, options in SEQUENTIAL:
        out = os.path.join(work, re.sub(r"[^a-z0-9]+", "-", f"{method} {label}".lower()) + ".mlirbc")
        start = time.time()
        res = run([f"{bin_dir}/quant-run", "calibrate", fp32, "--tokenizer", ckpt, "--text",
                   calib_text, "--windows", str(args.calib_windows), "--sequential",
                   options % "report=true exclude=lm_head", "-o", out])
        add_row(method, label, out, res, time.time() - start)
    return {"model": MODELS[key], "rows": rows, "evaluator": args.evaluator,
            "import_seconds": import_seconds, "calibrate_seconds": calibrate_seconds,
            "windows": args.windows,
            "calib_windows": args.calib_windows}


def claims(rows, texts):
    """The seeds' orderings at (about) equal bits, checked on these rows."""
    def find(method, config):
        return next((r for r in rows if r["method"] == method and r["config"] == config), None)
    checks = [
        ("GPTQ < RTN at 3 bits (g64)", find("GPTQ", "3-bit g64"), find("RTN", "3-bit g64")),
        ("GPTQ < RTN at 3 bits (g128)", find("GPTQ", "3-bit g128"), find("RTN", "3-bit g128")),
        ("GPTQ < RTN at 4 bits (g64)", find("GPTQ", "4-bit g64"), find("RTN", "4-bit g64")),
        ("GPTQ sequential < RTN at 3 bits (g64)", find("GPTQ sequential", "3-bit g64"),
         find("RTN", "3-bit g64")),
        ("PVQ at ~3.25 BPW <= GPTQ 3-bit g64 (3.25 BPW)", find("PVQ", "D8 K12 amp3"),
         find("GPTQ", "3-bit g64")),
        ("GPTQT 3 planes (3.5 BPW) < GPTQ 3-bit g32 (3.5 BPW)", find("GPTQT", "3 planes g128 (grid 5)"),
         find("GPTQ", "3-bit g32")),
        ("GPTQT 3 planes < GPTQ 3-bit g128 (same group)", find("GPTQT", "3 planes g128 (grid 5)"),
         find("GPTQ", "3-bit g128")),
    ]
    out = ["Claims of the seeds, checked here:", ""]
    for name, a, b in checks:
        if not a or not b:
            continue
        verdicts = []
        for t in texts:
            holds = a["ppl"][t] <= b["ppl"][t]
            verdicts.append(f"{t}: {a['ppl'][t]:.3f} vs {b['ppl'][t]:.3f} "
                            f"({'holds' if holds else 'does not hold'})")
        out.append(f"- {name} — " + "; ".join(verdicts))
    return out


def render(results, out_dir):
    lines = ["# Weight quantization: perplexity vs bits per weight", "",
             "Regenerate with `python3 scripts/results/weights.py --build build --data <shared data>"
             " --windows 32 --evaluator reference`",
             "(imports each shared model, calibrates on the last quarter of docs-valid, quantizes with",
             "`quant-opt`, measures perplexity; each section says by which evaluator). One row by hand",
             "(`calibration.txt`: the last quarter of the lines of docs-valid):", "",
             "```sh",
             "quant-import <shared data>/models/llama-docs-19m -o fp32.mlirbc",
             "quant-run calibrate fp32.mlirbc --tokenizer <shared data>/models/llama-docs-19m \\",
             "    --text calibration.txt --windows 128 -o calibrated.mlirbc",
             "quant-opt calibrated.mlirbc --emit-bytecode -o gptq3.mlirbc --pass-pipeline=\\",
             "    'builtin.module(lq-quantize-weights{method=gptq bits=3 group=64 act-order=true exclude=lm_head})'",
             "# or, sequential calibration (calibrates and quantizes):",
             "quant-run calibrate fp32.mlirbc --tokenizer <shared data>/models/llama-docs-19m \\",
             "    --text calibration.txt --windows 128 -o gptq3-seq.mlirbc \\",
             "    --sequential='method=gptq bits=3 group=64 act-order=true exclude=lm_head'",
             "quant-export gptq3.mlirbc -o gptq3.gguf",
             "quant-ref perplexity --model gptq3.gguf --tokenizer <shared data>/models/llama-docs-19m \\",
             "    --text <shared data>/text/docs-valid.txt --max-windows 32",
             "```", "",
             "- BPW: every stored bit of the quantized linear layers (codes, fp16 scales, zero",
             "  points, amplitudes, offsets) over their weight count; lm_head and the embedding",
             "  stay in float, as in the papers.",
             "- Layer loss: tr(ΔW H ΔWᵀ) with H = XᵀX of the calibration inputs, summed over layers.",
             "- Time: wall time of the `quant-opt` run (read, quantize every layer, write), 2 cores;",
             "  for GPTQ sequential, of the whole `quant-run calibrate --sequential` run (each layer",
             "  calibrated through the layers quantized before it, then quantized), whose layer loss",
             "  is measured on those sequential Hessians.",
             "- GPTQ, PVQ and GPTQT (all with GPTQ's error feedback) run with act-order (static",
             "  groups) and dampening 0.01; calibration: every window of the last quarter of",
             "  docs-valid (GPTQ's Hessians overfit a few windows: docs/Methods.md).", ""]
    for r in results:
        texts = [t for t, _ in TEXTS]
        fp = r["rows"][0]["ppl"]
        counts = ", ".join("%s: %d targets" % (t, fp[t + " targets"]) for t in texts)
        lines += [f"## {r['model']}", "",
                  f"Perplexity over the first {r['windows']} windows of 512 tokens of each text "
                  f"({counts}), evaluated by "
                  + ("the compiled module (`quant-run`)" if r["evaluator"] == "compiled" else
                     "the reference transformer on the module's exported decoded weights "
                     "(`quant-export` + `quant-ref`; `test/Tools/quant-export.test` checks it "
                     "matches the compiled module)") + "; "
                  f"calibration: up to {r['calib_windows']} windows of 512 tokens (all the text "
                  f"holds) of the last quarter of docs-valid "
                  f"({r['calibrate_seconds']:.1f} s); import {r['import_seconds']:.1f} s.", "",
                  "| method | configuration | BPW | " + " | ".join(f"ppl {t}" for t in texts) +
                  " | Σ layer loss | time (s) |",
                  "|---|---|---|" + "---|" * len(texts) + "---|---|"]
        for row in r["rows"]:
            lines.append(f"| {row['method']} | {row['config']} | {row['bpw']:.4f} | " +
                         " | ".join(f"{row['ppl'][t]:.3f}" for t in texts) +
                         f" | {row['loss']:.4g} | {row['seconds']:.2f} |")
        lines.append("")
        lines += claims(r["rows"], texts)
        lines.append("")
        lines.append(f"![perplexity vs BPW]({r['model']}.png)")
        lines.append("")
        points = [{"method": row["method"], "bpw": row["bpw"], "ppl": row["ppl"][texts[0]]}
                  for row in r["rows"]]
        with open(os.path.join(out_dir, f"{r['model']}.json"), "w") as f:
            json.dump(points, f)
        subprocess.run([sys.executable, os.path.join(HERE, "plot.py"),
                        os.path.join(out_dir, f"{r['model']}.json"),
                        os.path.join(out_dir, f"{r['model']}.png"),
                        f"{r['model']} {texts[0]}"], check=True)
        os.remove(os.path.join(out_dir, f"{r['model']}.json"))
    return "\n".join(lines)


def arguments(windows):
    """The options every results script takes."""
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--data", required=True)
    p.add_argument("--models", default="2m,19m")
    p.add_argument("--windows", type=int, default=windows)
    p.add_argument("--calib-windows", type=int, default=32)
    p.add_argument("--render-only", action="store_true",
                   help="re-render docs from the results cached in the build directory")
    p.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "results"))
    return p


def write_whole(path, text):
    """Writes `path` whole or not at all."""
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.replace(path + ".tmp", path)


def main():
    p = arguments(windows=32)
    # GPTQ's Hessians overfit a few windows (docs/Methods.md): calibrate on
    # every window of the last quarter of docs-valid (115 of 512 tokens).
    p.set_defaults(calib_windows=128)
    p.add_argument("--evaluator", choices=["compiled", "reference"], default="compiled",
                   help="perplexity from the compiled module (quant-run) or from its exported "
                        "decoded weights in the reference transformer (quant-export + quant-ref)")
    args = p.parse_args()
    global EVALUATOR
    EVALUATOR = args.evaluator
    os.makedirs(args.out, exist_ok=True)
    cache = os.path.join(args.build, "results", "weights.json")
    results = []
    if args.render_only:
        with open(cache) as f:
            results = json.load(f)
    for key in [] if args.render_only else args.models.split(","):
        results.append(evaluate_model(args, key))
        with open(cache, "w") as f:
            json.dump(results, f, indent=1)
    write_whole(os.path.join(args.out, "weights.md"), render(results, args.out))


if __name__ == "__main__":
    main()
