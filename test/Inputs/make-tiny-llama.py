#!/usr/bin/env python3
"""Writes a tiny Llama checkpoint with deterministic pseudo-random weights.

Usage: make-tiny-llama.py OUT --format {hf,hf-sharded,llama2c,gguf} [options]

hf / hf-sharded: OUT is a directory (config.json + model.safetensors, or two
shards and model.safetensors.index.json). llama2c / gguf: OUT is a file.
Faults for the importer's diagnostics tests: --truncate N drops the last N
bytes of the (first) weight file; --bad-shape NAME adds a column to that
tensor (Hugging Face name) so it disagrees with the config.
Uses only the standard library (no numpy).
"""
import argparse
import json
import os
import struct


class Rng:
    """64-bit LCG (Knuth's MMIX constants): reproducible without numpy."""

    def __init__(self, seed):
        self.state = (seed * 2654435761 + 1) & (2**64 - 1)

    def uniform(self, n, scale):
        out = []
        for _ in range(n):
            self.state = (self.state * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
            out.append(((self.state >> 11) / float(1 << 53) * 2.0 - 1.0) * scale)
        return out


def make_tensors(a):
    hd = a.dim // a.heads
    kv = a.kv_heads * hd
    rng = Rng(a.seed)
    tensors = {}  # insertion order is the file order

    def lin(name, out_f, in_f):
        tensors[name] = ([out_f, in_f], rng.uniform(out_f * in_f, in_f ** -0.5))

    def norm(name):
        tensors[name] = ([a.dim], [1.0 + v for v in rng.uniform(a.dim, 0.2)])

    tensors["model.embed_tokens.weight"] = ([a.vocab, a.dim], rng.uniform(a.vocab * a.dim, 1.0))
    for l in range(a.layers):
        p = f"model.layers.{l}."
        norm(p + "input_layernorm.weight")
        lin(p + "self_attn.q_proj.weight", a.dim, a.dim)
        lin(p + "self_attn.k_proj.weight", kv, a.dim)
        lin(p + "self_attn.v_proj.weight", kv, a.dim)
        lin(p + "self_attn.o_proj.weight", a.dim, a.dim)
        norm(p + "post_attention_layernorm.weight")
        lin(p + "mlp.gate_proj.weight", a.hidden, a.dim)
        lin(p + "mlp.up_proj.weight", a.hidden, a.dim)
        lin(p + "mlp.down_proj.weight", a.dim, a.hidden)
    norm("model.norm.weight")
    if not a.tied:
        lin("lm_head.weight", a.vocab, a.dim)
    if a.bad_shape:
        shape, values = tensors[a.bad_shape]
        rows = shape[0] if len(shape) == 2 else 1
        tensors[a.bad_shape] = (shape[:-1] + [shape[-1] + 1],
                                values + rng.uniform(rows, 0.1))
    return tensors


def encode(values, dtype):
    if dtype == "F32":
        return struct.pack(f"<{len(values)}f", *values)
    if dtype == "F16":
        return struct.pack(f"<{len(values)}e", *values)
    # BF16: the high half of each f32, rounded to nearest even.
    words = struct.unpack(f"<{len(values)}I", struct.pack(f"<{len(values)}f", *values))
    return struct.pack(f"<{len(values)}H",
                       *(((w + 0x7FFF + ((w >> 16) & 1)) >> 16) & 0xFFFF for w in words))


def safetensors(tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name, (shape, values) in tensors.items():
        blob = encode(values, dtype)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def hf_config(a):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": a.dim, "intermediate_size": a.hidden,
        "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads, "vocab_size": a.vocab,
        "max_position_embeddings": a.context, "rms_norm_eps": a.eps,
        "rope_theta": a.theta, "tie_word_embeddings": a.tied, "hidden_act": "silu",
    }


def llama2c(a, tensors):
    vocab = a.vocab if a.tied else -a.vocab
    out = [struct.pack("<7i", a.dim, a.hidden, a.layers, a.heads, a.kv_heads, vocab, a.context)]
    f32 = lambda name: encode(tensors[name][1], "F32")
    out.append(f32("model.embed_tokens.weight"))
    for suffix in ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                   "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj",
                   "mlp.down_proj", "mlp.up_proj"]:
        for l in range(a.layers):
            out.append(f32(f"model.layers.{l}.{suffix}.weight"))
    out.append(f32("model.norm.weight"))
    table = a.context * (a.dim // a.heads // 2)
    out.append(encode([0.0] * table, "F32"))  # freq_cis_real (unused)
    out.append(encode([0.0] * table, "F32"))  # freq_cis_imag (unused)
    if not a.tied:
        out.append(f32("lm_head.weight"))
    return b"".join(out)


GGUF_NAMES = {
    "input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
}


def gguf_name(hf):
    fixed = {"model.embed_tokens.weight": "token_embd.weight",
             "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}
    if hf in fixed:
        return fixed[hf]
    _, _, layer, rest = hf.split(".", 3)
    return f"blk.{layer}.{GGUF_NAMES[rest[:-len('.weight')]]}.weight"


def gguf(a, tensors):
    def string(s):
        s = s.encode()
        return struct.pack("<Q", len(s)) + s

    meta = [("general.architecture", 8, string("llama")),
            ("general.alignment", 4, struct.pack("<I", 32)),
            ("llama.context_length", 4, struct.pack("<I", a.context)),
            ("llama.embedding_length", 4, struct.pack("<I", a.dim)),
            ("llama.feed_forward_length", 4, struct.pack("<I", a.hidden)),
            ("llama.block_count", 4, struct.pack("<I", a.layers)),
            ("llama.attention.head_count", 4, struct.pack("<I", a.heads)),
            ("llama.attention.head_count_kv", 4, struct.pack("<I", a.kv_heads)),
            ("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", a.eps)),
            ("llama.rope.freq_base", 6, struct.pack("<f", a.theta))]
    infos, blobs, offset = [], [], 0
    for name, (shape, values) in tensors.items():
        blob = encode(values, "F32")
        info = string(gguf_name(name)) + struct.pack("<I", len(shape))
        info += b"".join(struct.pack("<Q", d) for d in reversed(shape))
        infos.append(info + struct.pack("<IQ", 0, offset))
        blob += b"\0" * (-len(blob) % 32)
        blobs.append(blob)
        offset += len(blob)
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta))
    out += b"".join(string(k) + struct.pack("<I", t) + v for k, t, v in meta)
    out += b"".join(infos)
    out += b"\0" * (-len(out) % 32)
    return out + b"".join(blobs)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--format", choices=["hf", "hf-sharded", "llama2c", "gguf"], default="hf")
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--hidden", type=int, default=48)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--vocab", type=int, default=64)
    p.add_argument("--context", type=int, default=16)
    p.add_argument("--theta", type=float, default=10000.0)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--tied", action="store_true")
    p.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--truncate", type=int, default=0)
    p.add_argument("--bad-shape", default="")
    a = p.parse_args()
    tensors = make_tensors(a)

    def write(path, data):
        with open(path, "wb") as f:
            f.write(data[:len(data) - a.truncate] if a.truncate else data)

    if a.format in ("hf", "hf-sharded"):
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "config.json"), "w") as f:
            json.dump(hf_config(a), f, indent=1)
        if a.format == "hf":
            write(os.path.join(a.out, "model.safetensors"), safetensors(tensors, a.dtype))
            return
        names = list(tensors)
        half = len(names) // 2
        shards = [names[:half], names[half:]]
        weight_map = {}
        for i, part in enumerate(shards):
            file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
            data = safetensors({n: tensors[n] for n in part}, a.dtype)
            if i == 0:
                write(os.path.join(a.out, file), data)
            else:
                with open(os.path.join(a.out, file), "wb") as f:
                    f.write(data)
            weight_map.update({n: file for n in part})
        with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=1)
    elif a.format == "llama2c":
        write(a.out, llama2c(a, tensors))
    else:
        write(a.out, gguf(a, tensors))


if __name__ == "__main__":
    main()
