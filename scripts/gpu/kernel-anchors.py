#!/usr/bin/env python3
"""PyTorch's 4-bit and fp16 matmul kernels on quant-bench's shapes, the
kernel-level anchors of docs/results/gpu.md, run on the GPU machine in the
same call as quant-bench.

  * int4 tinygemm: `_weight_int4pack_mm` (bf16 activations, asymmetric
    4-bit, group 128), the weight converted as torch-anchors.py's Int4Linear
    does it, the kernel PyTorch users run 4-bit models with;
  * fp16: `torch.matmul` of fp16 activations and weight (cuBLAS).

Each (shape, batch) is timed as quant-bench times its kernels: the weights
rotated through at least 240 MB so every call streams from device memory,
here inside one CUDA graph of --iters calls (a Python loop would leave the
GPU idle between launches), replayed --repeats times; the time per call is
the median replay over --iters.

  kernel-anchors.py --shapes 4096x4096,... --batches 1,16,64 [--iters 100]
                    [--repeats 5] [--markdown FILE]
"""
import argparse
import importlib.util
import math
import os
import statistics
import types

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROTATE_BYTES = 240 << 20


def int4_linear_class():
    spec = importlib.util.spec_from_file_location("torch_anchors",
                                                  os.path.join(HERE, "torch-anchors.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Int4Linear


def time_graph(calls, iters, repeats):
    """Median time per call (µs) of a CUDA graph running calls[i % len] for iters calls."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for call in calls:  # warm up (and pick algorithms) outside the capture
            call()
    torch.cuda.current_stream().wait_stream(stream)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(iters):
            calls[i % len(calls)]()
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1000.0 / iters)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", required=True, help="NxK,... (weight rows x columns)")
    parser.add_argument("--batches", required=True, help="rows of x, e.g. 1,16,64")
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    Int4Linear = int4_linear_class()
    torch.manual_seed(0)
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    lines = ["| N×K | batch | tinygemm µs | weight GB/s | cuBLAS fp16 µs | tinygemm vs cuBLAS |",
             "|---|---|---|---|---|---|"]
    for shape in args.shapes.split(","):
        n, k = (int(v) for v in shape.split("x"))
        weight = torch.randn(n, k, device="cuda", dtype=torch.bfloat16) * 0.02
        linear = types.SimpleNamespace(weight=weight)
        first = Int4Linear(linear)
        packed_bytes = (first.weight.numel() * first.weight.element_size() +
                        first.scales_and_zeros.numel() * 2)
        int4 = [first] + [Int4Linear(linear)
                          for _ in range(math.ceil(ROTATE_BYTES / packed_bytes) - 1)]
        fp16 = [weight.half().clone()
                for _ in range(math.ceil(ROTATE_BYTES / (n * k * 2)))]
        for m in (int(b) for b in args.batches.split(",")):
            x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            xh = x.half()
            # The check: tinygemm against the fp16 product of its own decoded weight.
            y = first(x).float()
            reference = xh.float() @ weight.float().t()
            err = ((y - reference).norm() / reference.norm()).item()
            t4 = time_graph([lambda lin=lin: lin(x) for lin in int4], args.iters, args.repeats)
            t16 = time_graph([lambda w=w: torch.matmul(xh, w.t()) for w in fp16], args.iters,
                             args.repeats)
            gbs = packed_bytes / t4 / 1e3
            print(f"{shape} batch {m}: tinygemm {t4:.2f} us ({gbs:.0f} GB/s, rel. error vs the "
                  f"bf16 weight {err:.1e}), cuBLAS fp16 {t16:.2f} us", flush=True)
            lines.append(f"| {shape} | {m} | {t4:.2f} | {gbs:.0f} | {t16:.2f} | {t16 / t4:.2f}× |")
        del int4, fp16
        torch.cuda.empty_cache()
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(args.markdown + ".tmp", args.markdown)


if __name__ == "__main__":
    main()
