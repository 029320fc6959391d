#!/usr/bin/env python3
"""PyTorch's decode speed on a Llama shape, the anchors quant-opt's GPU
libraries are compared with (docs/results/gpu-model.md), run on the GPU
machine beside them.

Hugging Face `LlamaForCausalLM` built from a config.json (the files of
scripts/results/shapes), random weights, static KV cache, greedy
generation, compiled by `generate` itself (its static-cache compilation,
`CompileConfig(mode="reduce-overhead", fullgraph=True)`):

  * bf16: the model as is;
  * int4: every linear but lm_head replaced by torch's int4 tinygemm
    (`_weight_int4pack_mm`, asymmetric, group 128), the way PyTorch users run
    4-bit models today.

A decode step's time is (generate(1 + STEPS tokens) - generate(1 token)) /
STEPS, each the median of --repeats runs after two warm-up runs.

  torch-anchors.py CONFIG [--layers L] [--prompt 128] [--steps 128]
                   [--modes bf16,int4] [--no-compile]
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn
from transformers import CompileConfig, LlamaConfig, LlamaForCausalLM


class Int4Linear(nn.Module):
    """y = x W^T through torch's int4 tinygemm (bf16 activations)."""

    def __init__(self, linear, group=128, inner_k_tiles=8):
        super().__init__()
        w = linear.weight.detach().float()
        n, k = w.shape
        wg = w.reshape(n, k // group, group)
        lo, hi = wg.amin(-1, keepdim=True), wg.amax(-1, keepdim=True)
        scale = ((hi - lo) / 15).clamp(min=1e-6)
        q = ((wg - lo) / scale).round().clamp(0, 15).to(torch.int32).reshape(n, k)
        packed = (q[:, ::2] << 4 | q[:, 1::2]).to(torch.uint8)
        self.weight = torch.ops.aten._convert_weight_to_int4pack(packed.contiguous(), inner_k_tiles)
        # tinygemm dequantizes (q - 8) * scale + zero.
        zero = lo + 8 * scale
        self.scales_and_zeros = (
            torch.stack([scale.squeeze(-1), zero.squeeze(-1)], -1)
            .transpose(0, 1)
            .contiguous()
            .to(torch.bfloat16)
        )
        self.group, self.out_features = group, n

    def forward(self, x):
        y = torch.ops.aten._weight_int4pack_mm(
            x.reshape(-1, x.shape[-1]), self.weight, self.group, self.scales_and_zeros
        )
        return y.reshape(*x.shape[:-1], self.out_features)


def to_int4(model):
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Linear):
                    setattr(parent, name, Int4Linear(child))


def time_generate(model, ids, new_tokens, repeats, options):
    times = []
    for i in range(repeats + 2):
        torch.cuda.synchronize()
        start = time.perf_counter()
        model.generate(
            ids,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            cache_implementation="static",
            **options,
        )
        torch.cuda.synchronize()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--layers", type=int, default=0)
    parser.add_argument("--prompt", type=int, default=128)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="bf16,int4")
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args()

    with open(args.config) as f:
        config = LlamaConfig(**json.load(f))
    if args.layers:
        config.num_hidden_layers = args.layers
    config.max_position_embeddings = max(
        config.max_position_embeddings, args.prompt + args.steps + 1
    )
    print(
        f"torch {torch.__version__}, {torch.cuda.get_device_name()}; hidden "
        f"{config.hidden_size}, MLP {config.intermediate_size}, {config.num_hidden_layers} "
        f"layers, heads {config.num_attention_heads}/{config.num_key_value_heads}, vocab "
        f"{config.vocab_size}; prompt {args.prompt}, {args.steps} steps",
        flush=True,
    )
    for mode in args.modes.split(","):
        torch.manual_seed(0)
        torch.set_default_dtype(torch.bfloat16)
        with torch.device("cuda"):
            model = LlamaForCausalLM(config).eval()
        if mode == "int4":
            to_int4(model)
        elif mode != "bf16":
            raise SystemExit(f"unknown mode '{mode}' (bf16, int4)")
        # generate compiles the forward of a static cache itself, with the
        # cache allocated outside the graphs (a forward compiled by hand
        # under reduce-overhead has its cache overwritten by the next replay).
        if args.no_compile:
            options = {"disable_compile": True}
        else:
            options = {"compile_config": CompileConfig(mode="reduce-overhead", fullgraph=True)}
        ids = torch.randint(0, config.vocab_size, (1, args.prompt), device="cuda")
        with torch.inference_mode():
            start = time.perf_counter()
            one = time_generate(model, ids, 1, args.repeats, options)
            many = time_generate(model, ids, 1 + args.steps, args.repeats, options)
        step = (many - one) / args.steps
        print(
            f"{mode}{'' if args.no_compile else ' torch.compile'}: {1e3 * step:.3f} ms per "
            f"decode step ({1 / step:.1f} tokens/s); prompt + 1 token {1e3 * one:.1f} ms; "
            f"measured in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        del model
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
