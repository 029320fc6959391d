#!/usr/bin/env python3
"""Hugging Face Llama generating through a bundle's GPU kernels.

Loads a model into `LlamaForCausalLM`, replaces every `nn.Linear` that the
bundle (`quant-run emit`) has a kernel for with a call of that kernel from
the bundle's cuda library (ctypes, no compile step) on PyTorch's current
CUDA stream, and generates greedily. Then, for comparison, the same model
unquantized in fp16. With --check, first runs every linear on random
activations against reference.safetensors (the numeric library's decoded
weights; emit --reference-weights).

  python3 generate.py --model <HF model dir> --bundle <bundle dir> \
      [--prompt TEXT] [--tokens 64] [--expect-ids "1 2 3"] [--check]

Prints the generated ids and text and the time per token of each model;
exits 1 if --expect-ids (e.g. the compiler's own GPU run of the same module:
quant-run-aot generate --print-ids) differ or a check fails.
"""
import argparse
import ctypes
import json
import os
import sys
import time

import torch
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast


class LinearInfo(ctypes.Structure):
    """lq_bundle.h's lq_linear_info."""
    _fields_ = [("name", ctypes.c_char_p), ("kernel", ctypes.c_char_p), ("fn", ctypes.c_void_p),
                ("rows", ctypes.c_int64), ("cols", ctypes.c_int64),
                ("max_batch", ctypes.c_int64), ("num_weights", ctypes.c_int),
                ("act_bits", ctypes.c_int)]


KERNEL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.POINTER(ctypes.c_void_p), ctypes.c_int64)


class Bundle:
    """The cuda library of a bundle, opened (its weights on the GPU)."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(os.path.join(path, "cuda", "liblq_kernels.so"))
        self.lib.lq_last_error.restype = ctypes.c_char_p
        self.lib.lq_bundle_target.restype = ctypes.c_char_p
        self.handle = ctypes.c_void_p()
        # The kernels run in PyTorch's context: make it current first.
        torch.cuda.init()
        torch.empty(1, device="cuda")
        self.check(self.lib.lq_bundle_open(path.encode(), ctypes.byref(self.handle)))
        self.linears = {}
        for i in range(self.lib.lq_bundle_linear_count()):
            info = LinearInfo()
            self.check(self.lib.lq_bundle_linear_info(i, ctypes.byref(info)))
            weights = (ctypes.c_void_p * info.num_weights)()
            self.check(self.lib.lq_bundle_linear_weights(self.handle, i, weights))
            self.linears[info.name.decode()] = (info, KERNEL(info.fn), weights)

    def check(self, status):
        if status != 0:
            raise RuntimeError(f"bundle error {status}: {self.lib.lq_last_error().decode()}")


class BundleLinear(torch.nn.Module):
    """y = x W^T by the bundle's kernel: x rounded to f16, y f32."""

    def __init__(self, bundle, name):
        super().__init__()
        self.bundle = bundle
        self.info, self.fn, self.weights = bundle.linears[name]

    def forward(self, x):
        shape = x.shape
        x16 = x.reshape(-1, self.info.cols).to(torch.float16).contiguous()
        batch = x16.shape[0]
        y = torch.empty(batch, self.info.rows, dtype=torch.float32, device=x.device)
        stream = torch.cuda.current_stream().cuda_stream
        self.bundle.check(self.fn(stream, x16.data_ptr(), y.data_ptr(), self.weights, batch))
        return y.reshape(*shape[:-1], self.info.rows).to(x.dtype)


def replace_linears(model, bundle):
    replaced = 0
    for name in bundle.linears:
        path = name[:-len(".weight")] if name.endswith(".weight") else name
        parent_path, _, attr = path.rpartition(".")
        parent = model.get_submodule(parent_path) if parent_path else model
        old = getattr(parent, attr)
        info = bundle.linears[name][0]
        if tuple(old.weight.shape) != (info.rows, info.cols):
            raise RuntimeError(f"{name}: the model's weight is {tuple(old.weight.shape)}, "
                               f"the bundle's [{info.rows}, {info.cols}]")
        setattr(parent, attr, BundleLinear(bundle, name))
        replaced += 1
    return replaced


def read_reference(path):
    """reference.safetensors as {name: f32 tensor} (stdlib + torch only)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(t["shape"])
    return out


def check_linears(bundle, reference_path, batches=(1, 3, 17, 100)):
    reference = read_reference(reference_path)
    failures = 0
    gen = torch.Generator().manual_seed(0)
    for name, (info, _, _) in bundle.linears.items():
        w = reference[name].cuda().double()
        layer = BundleLinear(bundle, name)
        for batch in batches:
            x = (torch.rand(batch, info.cols, generator=gen) * 2 - 1).half().cuda()
            y = layer(x.float()).double()
            xr = x.double()
            if info.act_bits:
                levels = 2 ** (info.act_bits - 1) - 1
                scale = xr.float().abs().amax(dim=1, keepdim=True) / levels
                scale = torch.where(scale > 0, scale, torch.ones_like(scale))
                xr = (torch.round(xr.float() / scale).clamp(-levels, levels) * scale).double()
            ref = xr @ w.T
            err = ((y - ref).abs().max() / ref.abs().max().clamp_min(1e-30)).item()
            # f16 x times exact codes, f32 sums (docs/GPULayout.md); W4A8: int8
            # rounding of x may flip against the f64 reference's rounding.
            ok = err <= (2e-3 if info.act_bits else 1e-4)
            failures += not ok
            print(f"check {name:44s} {info.kernel.decode():24s} batch {batch:4d} "
                  f"rel err {err:.2e} {'ok' if ok else 'FAIL'}")
    print(f"check: {len(bundle.linears)} linears, {failures} failed")
    return failures == 0


@torch.no_grad()
def generate(model, ids, tokens):
    """Greedy decoding with the KV cache; returns (ids, seconds per token)."""
    # A whole warm-up generation: the first decode steps initialize kernels
    # and caches (cuBLAS heuristics, the bundle's image) that later ones reuse.
    model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
    times = []
    for _ in range(2):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) / tokens)
    return out[0, ids.shape[1]:].tolist(), min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face model directory")
    p.add_argument("--bundle", required=True, help="bundle directory (quant-run emit)")
    p.add_argument("--prompt", default="The compiler")
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--expect-ids", default="", help="ids the generation must give")
    p.add_argument("--check", action="store_true", help="check every linear first")
    a = p.parse_args()

    bundle = Bundle(a.bundle)
    print(f"bundle: {len(bundle.linears)} linears on {bundle.lib.lq_bundle_target().decode()}, "
          f"{torch.cuda.get_device_name()}")
    ok = True
    if a.check:
        ok = check_linears(bundle, os.path.join(a.bundle, "reference.safetensors"))

    tokenizer = PreTrainedTokenizerFast(tokenizer_file=os.path.join(a.model, "tokenizer.json"))
    ids = torch.tensor([tokenizer.encode(a.prompt)], device="cuda")
    # The quantized model computes in f32 around the kernels, as the
    # compiler's own GPU code does; its matmul inputs are f16.
    model = LlamaForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32).cuda().eval()
    replaced = replace_linears(model, bundle)
    quantized, per_token = generate(model, ids, a.tokens)
    print(f"bundle kernels ({replaced} linears): {per_token * 1e3:.2f} ms/token")
    print("ids:", " ".join(map(str, quantized)))
    print("text:", repr(tokenizer.decode(quantized)))
    expected = [int(t) for t in a.expect_ids.split()]
    first = next((i for i, (x, y) in enumerate(zip(quantized, expected)) if x != y), None)
    if first is not None:
        # How close the step where the two runs part was: the two candidates'
        # logits in this model (a near tie flips on rounding differences).
        prefix = torch.cat([ids[0], torch.tensor(quantized[:first], device="cuda")])[None]
        with torch.no_grad():
            logits = model(prefix).logits[0, -1].float()
        top = torch.topk(logits, 2)
        print(f"token {first}: this model's logits {quantized[first]}: "
              f"{logits[quantized[first]].item():.4f}, {expected[first]}: "
              f"{logits[expected[first]].item():.4f} (top-2 gap {(top.values[0] - top.values[1]).item():.4f}, "
              f"logit range {logits.max().item() - logits.min().item():.2f})")
    del model
    fp16 = LlamaForCausalLM.from_pretrained(a.model, torch_dtype=torch.float16).cuda().eval()
    reference, per_token16 = generate(fp16, ids, a.tokens)
    print(f"fp16 model: {per_token16 * 1e3:.2f} ms/token")
    same = sum(x == y for x, y in zip(quantized, reference))
    print(f"fp16 model agrees on {same} of {a.tokens} greedy tokens")
    if a.expect_ids:
        if quantized[:len(expected)] == expected:
            print(f"identical to the expected {len(expected)} ids")
        else:
            first = next(i for i, (x, y) in enumerate(zip(quantized, expected)) if x != y)
            print(f"DIFFERENT from the expected ids from token {first}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
