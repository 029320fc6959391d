#!/usr/bin/env python3
"""Regenerates docs/results/activations.md: activation and KV-cache
quantization (QQQ W4A8, WKVQuant W4KV4, FPTQuant W4A4KV4) on the shared
models.

For each model: import, calibrate (input Hessians and activation/output
ranges of every linear layer on the last quarter of docs-valid, disjoint
from the evaluated windows), then run each configuration's quant-opt
pipeline and measure the perplexity of the compiled module with quant-run
(activation quantization, the quantized KV cache and online transforms run
in the compiled code; @forward applies the same past-only attention as the
packed @decode cache, checked in test/Run/kv-cache-packed.test).

  activations.py --build build --data <shared data dir> [--models 2m,19m]
                 [--windows N] [--calib-windows N] [--out docs/results]
                 [--only "LABEL-PREFIX;..."]

With --only, just the configurations whose label starts with one of the
prefixes run; their rows replace those in the cached results (the others
are kept) before the document is rendered.

A configuration with a "pre" pipeline (transforms that mix channels or
scale tokens) is transformed by it first and calibrated again, so its
static activation ranges describe what the transformed linears read.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import weights  # noqa: E402  (shared import/calibrate/perplexity steps)

W4 = "lq-quantize-weights{method=gptq bits=4 group=%d symmetric=true exclude=lm_head}"
# (section, label, weight group (0: per channel; None: float), activation
# bits, KV bits, pipeline[, pre-pipeline applied before a second calibration]).
# Static ranges must describe what the linears read: transforms that mix
# channels (rotations, the value transform) or scale tokens (residual
# scaling) are placed first and the model is calibrated again.
RSCALE = "lq-insert-fpt{qk=false value=false mlp=false residual-scaling=true%s}"
FPT_DOWN = "lq-insert-fpt{down-rotation=true%s},lq-merge-fpt"
STATIC_A4 = "fpt-w4a4kv4{transforms=false static=true}"
CONFIGS = [
    ("weights", "W4A16 GPTQ per-channel", 0, 16, 16, W4 % 0),
    ("weights", "W4A16 GPTQ g128", 128, 16, 16, W4 % 128),
    ("QQQ W4A8", "W4A8 per-channel, no smoothing", 0, 8, 16, "qqq-w4a8{smooth=false}"),
    ("QQQ W4A8", "W4A8 per-channel, smoothing (qqq-w4a8)", 0, 8, 16, "qqq-w4a8"),
    ("QQQ W4A8", "W4A8 g128, smoothing", 128, 8, 16, "qqq-w4a8{group=128}"),
    ("QQQ W4A8", "W4A8 per-channel, static A8, no smoothing", 0, "8s", 16,
     "qqq-w4a8{smooth=false static=true}"),
    ("QQQ W4A8", "W4A8 per-channel, static A8, smoothing", 0, "8s", 16,
     "qqq-w4a8{static=true}"),
    ("QQQ W4A8", "W4A8 per-channel, static A8 absmax, smoothing", 0, "8s", 16,
     "qqq-w4a8{static=true range=absmax}"),
    ("QQQ W4A8", "W4A8 per-channel, static A8, no smoothing, dynamic residual scaling", 0, "8s",
     16, "qqq-w4a8{smooth=false static=true}", RSCALE % ""),
    ("QQQ W4A8", "W4A8 per-channel, static A8, smoothing, dynamic residual scaling", 0, "8s",
     16, "qqq-w4a8{static=true}", RSCALE % ""),
    ("WKVQuant KV4", "KV4 naive (float weights)", None, 16, 4,
     "lq-quantize-kv{past-only=false smooth=false}"),
    ("WKVQuant KV4", "KV4 past-only", None, 16, 4, "lq-quantize-kv{smooth=false}"),
    ("WKVQuant KV4", "KV4 past-only + 2-D", None, 16, 4, "lq-quantize-kv"),
    ("WKVQuant W4KV4", "W4KV4 naive", 128, 16, 4,
     "lq-quantize-kv{past-only=false smooth=false}," + W4 % 128),
    ("WKVQuant W4KV4", "W4KV4 past-only", 128, 16, 4, "wkv-w4kv4{smooth=false}"),
    ("WKVQuant W4KV4", "W4KV4 past-only + 2-D (wkv-w4kv4)", 128, 16, 4, "wkv-w4kv4"),
    ("FPTQuant W4A4KV4", "W4A4KV4, no transforms", 128, 4, 4, "fpt-w4a4kv4{transforms=false}"),
    ("FPTQuant W4A4KV4", "W4A4KV4, FPTs merged (fpt-w4a4kv4)", 128, 4, 4, "fpt-w4a4kv4"),
    ("FPTQuant W4A4KV4", "W4A4KV4, FPTs + residual Hadamard", 128, 4, 4,
     "fpt-w4a4kv4{residual=true}"),
    ("FPTQuant W4A4KV4", "W4A4KV4, online down Hadamard only", 128, 4, 4,
     "fpt-w4a4kv4{transforms=false down-rotation=true}"),
    ("FPTQuant W4A4KV4", "W4A4KV4, FPTs + online down Hadamard", 128, 4, 4,
     "fpt-w4a4kv4{down-rotation=true}"),
    ("FPTQuant W4A4KV4", "W4A4KV4, FPTs + residual + online down Hadamard", 128, 4, 4,
     "fpt-w4a4kv4{residual=true down-rotation=true}"),
    ("FPTQuant W4A4KV4", "W4A4KV4 static, no transforms", 128, "4s", 4,
     "fpt-w4a4kv4{transforms=false static=true}"),
    ("FPTQuant W4A4KV4", "W4A4KV4 static, dynamic residual scaling", 128, "4s", 4,
     STATIC_A4, RSCALE % ""),
    ("FPTQuant W4A4KV4", "W4A4KV4 static, FPTs + online down Hadamard", 128, "4s", 4,
     STATIC_A4, FPT_DOWN % ""),
    ("FPTQuant W4A4KV4",
     "W4A4KV4 static, FPTs + online down Hadamard + dynamic residual scaling", 128, "4s", 4,
     STATIC_A4, FPT_DOWN % " residual-scaling=true"),
    ("FPTQuant W4A4KV4", "W4A4KV4 static, FPTs + residual + online down Hadamard", 128, "4s", 4,
     STATIC_A4, FPT_DOWN % " residual=true"),
    ("FPTQuant W4A4KV4", "W4A4KV4 but mlp.down's input in float (diagnostic)", 128, 4, 4,
     "lq-quantize-kv," + W4 % 128 + ",lq-quantize-activations{bits=4 exclude=mlp.down}"),
]


def model_config(ckpt):
    with open(os.path.join(ckpt, "config.json")) as f:
        c = json.load(f)
    heads = c["num_attention_heads"]
    return {"dim": c["hidden_size"], "hidden": c["intermediate_size"],
            "kv_heads": c.get("num_key_value_heads", heads),
            "head_dim": c["hidden_size"] // heads}


def bits(cfg, group, act, kv):
    """Bits per weight (codes + one fp16 scale per group, averaged over the
    decoder linears), per activation and per cached K/V value (codes + the
    per-position f32 scale and zero shared by the position's KV heads)."""
    if group is None:
        w = "32"
    else:
        d, h = cfg["dim"], cfg["hidden"]
        # (in, out) of q, k, v, o, gate, up, down: K = in.
        shapes = [(d, d), (d, cfg["kv_heads"] * cfg["head_dim"]),
                  (d, cfg["kv_heads"] * cfg["head_dim"]), (d, d), (d, h), (d, h), (h, d)]
        total = stored = 0
        for k, n in shapes:
            g = group or k
            total += n * k
            stored += n * k * 4 + n * (k // g) * 16
        w = "%.3f" % (stored / total)
    a = str(act).replace("s", " static")
    row = cfg["kv_heads"] * cfg["head_dim"]
    k = "16" if kv == 16 else "%.2f" % (kv + 64.0 / row)
    return w, a, k


def evaluate_model(args, key):
    bin_dir, ckpt, fp32, calibrated, import_seconds, calibrate_seconds = \
        weights.prepare_model(args, key)
    work = os.path.dirname(fp32)
    cfg = model_config(ckpt)
    texts = [(name, os.path.join(args.data, path)) for name, path in weights.TEXTS]
    rows = []
    start = time.time()
    ppl = {name: weights.perplexity(bin_dir, fp32, ckpt, path, args.windows)[0]
           for name, path in texts}
    rows.append({"section": "float", "label": "fp32", "bits": ("32", "32", "32"), "ppl": ppl,
                 "quantize": 0.0, "eval": time.time() - start})
    for i, (section, label, group, act, kv, pipeline, *pre) in enumerate(CONFIGS):
        if args.only and not any(label.startswith(p) for p in args.only.split(";")):
            continue
        out = os.path.join(work, "act-%02d.mlirbc" % i)
        start = time.time()
        source, shown = calibrated, pipeline
        if pre:
            # Transform, then calibrate what the transformed linears read.
            source = os.path.join(work, "act-%02d-pre.mlirbc" % i)
            weights.run([f"{bin_dir}/quant-opt", calibrated,
                         f"--pass-pipeline=builtin.module({pre[0]})",
                         "--emit-bytecode", "-o", source])
            weights.run([f"{bin_dir}/quant-run", "calibrate", source, "--tokenizer", ckpt,
                         "--text", os.path.join(work, "calibration.txt"),
                         "--windows", str(args.calib_windows), "-o", source])
            shown = f"{pre[0]}`, calibrate again, `{pipeline}"
        weights.run([f"{bin_dir}/quant-opt", source, f"--pass-pipeline=builtin.module({pipeline})",
                     "--emit-bytecode", "-o", out])
        quantize = time.time() - start
        start = time.time()
        ppl = {name: weights.perplexity(bin_dir, out, ckpt, path, args.windows)[0]
               for name, path in texts}
        rows.append({"section": section, "label": label, "pipeline": shown,
                     "bits": bits(cfg, group, act, kv), "ppl": ppl, "quantize": quantize,
                     "eval": time.time() - start})
        os.remove(out)
        if pre:
            os.remove(source)
        print(f"{key} {label}: {ppl} ({quantize:.1f} s)", file=sys.stderr, flush=True)
    return {"model": weights.MODELS[key], "rows": rows, "windows": args.windows,
            "calib_windows": args.calib_windows, "import_seconds": import_seconds,
            "calibrate_seconds": calibrate_seconds}


def find(rows, label):
    return next((r for r in rows if r["label"].startswith(label)), None)


def claims(rows, texts):
    def cmp(name, a, b, rel=None):
        if a is None or b is None:  # a partial run (--only)
            return None
        parts = []
        for t in texts:
            x, y = a["ppl"][t], b["ppl"][t]
            if rel is None:
                ok = x < y
                parts.append(f"{t}: {x:.3f} vs {y:.3f} ({'holds' if ok else 'does not hold'})")
            else:
                ok = x <= y * (1 + rel)
                parts.append(f"{t}: {x:.3f} vs {y:.3f}, {100 * (x / y - 1):+.1f} % "
                             f"({'holds' if ok else 'does not hold'})")
        return f"- {name} — " + "; ".join(parts)
    w4a8s = find(rows, "W4A8 per-channel, smoothing")
    a4 = [r for r in rows if r["label"].startswith("W4A4KV4,")]
    a4s = [r for r in rows if r["label"].startswith("W4A4KV4 static,")]
    checks = [
        cmp("W4A8 with smoothing within 5 % of W4A16 (per-channel GPTQ weights)", w4a8s,
            find(rows, "W4A16 GPTQ per-channel"), rel=0.05),
        cmp("smoothing helps W4A8", w4a8s, find(rows, "W4A8 per-channel, no smoothing")),
        cmp("KV4 past-only + 2-D better than naive (float weights)",
            find(rows, "KV4 past-only + 2-D"), find(rows, "KV4 naive")),
        cmp("W4KV4 past-only + 2-D better than naive", find(rows, "W4KV4 past-only + 2-D"),
            find(rows, "W4KV4 naive")),
        cmp("FPTs (merged) improve W4A4KV4", find(rows, "W4A4KV4, FPTs merged"),
            find(rows, "W4A4KV4, no transforms")),
        cmp("FPTs + online down Hadamard improve W4A4KV4",
            find(rows, "W4A4KV4, FPTs + online down Hadamard"),
            find(rows, "W4A4KV4, no transforms")),
        cmp("best W4A4KV4 within 10 % of W4A8 (smoothed)",
            min(a4, key=lambda r: r["ppl"][texts[0]]) if a4 else None, w4a8s, rel=0.10),
        cmp("static A8 within 2 % of per-token A8 (no smoothing)",
            find(rows, "W4A8 per-channel, static A8, no smoothing"),
            find(rows, "W4A8 per-channel, no smoothing"), rel=0.02),
        cmp("static A8 within 2 % of per-token A8 (qqq-w4a8)",
            find(rows, "W4A8 per-channel, static A8, smoothing"), w4a8s, rel=0.02),
        cmp("dynamic residual scaling helps static A8 (no smoothing)",
            find(rows, "W4A8 per-channel, static A8, no smoothing, dynamic residual"),
            find(rows, "W4A8 per-channel, static A8, no smoothing")),
        cmp("dynamic residual scaling helps static A8 (smoothing)",
            find(rows, "W4A8 per-channel, static A8, smoothing, dynamic residual"),
            find(rows, "W4A8 per-channel, static A8, smoothing")),
        cmp("dynamic residual scaling helps static W4A4KV4",
            find(rows, "W4A4KV4 static, dynamic residual scaling"),
            find(rows, "W4A4KV4 static, no transforms")),
        cmp("dynamic residual scaling helps static W4A4KV4 with FPTs + online down Hadamard",
            find(rows, "W4A4KV4 static, FPTs + online down Hadamard + dynamic residual"),
            find(rows, "W4A4KV4 static, FPTs + online down Hadamard")),
        cmp("best static W4A4KV4 within 5 % of W4A8 (smoothed)",
            min(a4s, key=lambda r: r["ppl"][texts[0]]) if a4s else None, w4a8s, rel=0.05),
        cmp("FPTs + residual + online down Hadamard at least 5 % better than no transforms "
            "(static W4A4KV4)", find(rows, "W4A4KV4 static, FPTs + residual + online down"),
            find(rows, "W4A4KV4 static, no transforms"), rel=-0.05),
    ]
    return ["Expectations of the seeds, checked here:", ""] + [c for c in checks if c]


def render(results):
    texts = [t for t, _ in weights.TEXTS]
    lines = ["# Activation and KV-cache quantization: QQQ, WKVQuant, FPTQuant", "",
             "Regenerate with `python3 scripts/results/activations.py --build build --data "
             "<shared data>`", "(imports each shared model, calibrates on the last quarter of "
             "docs-valid, runs each", "configuration's `quant-opt` pipeline, measures the "
             "perplexity of the compiled module", "with `quant-run`: activation quantization, the "
             "4-bit KV cache and online transforms", "all run in the compiled code).", "",
             "- Bits: W = stored bits per weight of the decoder linears (4-bit codes + an fp16 "
             "scale per group or per row; lm_head and the embedding stay float, as in the papers), "
             "A = bits of the linears' inputs (per-token dynamic, symmetric; \"static\": one "
             "calibrated scale per linear, lq-quantize-activations{static=true}), KV = bits per "
             "cached key/value including each position's f32 scale and zero.",
             "- Weights are GPTQ 4-bit symmetric throughout (per-channel for the QQQ rows, as in "
             "QQQ; group 128 for the others, as in WKVQuant/FPTQuant).",
             "- Time: wall time of the `quant-opt` run (read, transform, GPTQ every layer, "
             "write) and of the two perplexity evaluations (JIT compile + run), 2 shared cores.",
             ""]
    for r in results:
        rows = r["rows"]
        lines += [f"## {r['model']}", "",
                  f"First {r['windows']} windows of 512 tokens of each text; calibration: "
                  f"{r['calib_windows']} windows of the last quarter of docs-valid "
                  f"({r['calibrate_seconds']:.1f} s).", "",
                  "| configuration | W | A | KV | " + " | ".join(f"ppl {t}" for t in texts) +
                  " | quantize (s) | evaluate (s) |",
                  "|---|---|---|---|" + "---|" * len(texts) + "---|---|"]
        for row in rows:
            w, a, k = row["bits"]
            lines.append(f"| {row['label']} | {w} | {a} | {k} | " +
                         " | ".join(f"{row['ppl'][t]:.3f}" for t in texts) +
                         f" | {row['quantize']:.1f} | {row['eval']:.1f} |")
        lines += [""] + claims(rows, texts) + ["", "Pipelines:", ""]
        for row in rows[1:]:
            lines.append(f"- {row['label']}: `{row['pipeline']}`")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = weights.arguments(windows=64)
    parser.add_argument("--only", default="",
                        help="run only the configurations whose label starts with one of these "
                             "semicolon-separated prefixes")
    args = parser.parse_args()
    weights.EVALUATOR = "compiled"
    os.makedirs(args.out, exist_ok=True)
    # Results are cached per model, so models can be (re)run separately
    # (e.g. with different window counts) and rendered together.
    cache = os.path.join(args.build, "results", "activations.json")
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    results = {}
    if os.path.exists(cache):
        with open(cache) as f:
            results = json.load(f)
    for key in [] if args.render_only else args.models.split(","):
        fresh = evaluate_model(args, key)
        if args.only and key in results:
            # Replace (or add, in CONFIGS order) the rows that ran.
            old = {r["label"]: r for r in results[key]["rows"]}
            old.update({r["label"]: r for r in fresh["rows"]})
            order = ["fp32"] + [c[1] for c in CONFIGS]
            fresh["rows"] = [old[label] for label in order if label in old]
        results[key] = fresh
        with open(cache, "w") as f:
            json.dump(results, f, indent=1)
    results = [results[k] for k in weights.MODELS if k in results]
    weights.write_whole(os.path.join(args.out, "activations.md"), render(results))


if __name__ == "__main__":
    main()
