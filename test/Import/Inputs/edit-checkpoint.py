#!/usr/bin/env python3
"""Edits a Hugging Face checkpoint directory the way a hostile or broken
export would, for the import error tests.

Usage: edit-checkpoint.py DIR EDIT
  metadata-list     the safetensors header's __metadata__ becomes a list
  theta-null        config.json's rope_theta becomes null
  added-tokens-obj  tokenizer.json's added_tokens becomes an object
  swap-shards       the index's weight_map puts one tensor in the other shard
"""
import json
import os
import struct
import sys


def main():
    d, edit = sys.argv[1], sys.argv[2]
    if edit == "metadata-list":
        path = os.path.join(d, "model.safetensors")
        data = open(path, "rb").read()
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        header["__metadata__"] = ["format", "pt"]
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        open(path, "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
    elif edit == "theta-null":
        path = os.path.join(d, "config.json")
        config = json.load(open(path))
        config["rope_theta"] = None
        json.dump(config, open(path, "w"))
    elif edit == "added-tokens-obj":
        path = os.path.join(d, "tokenizer.json")
        tok = json.load(open(path))
        tok["added_tokens"] = {"id": 0, "content": "<s>"}
        json.dump(tok, open(path, "w"))
    elif edit == "swap-shards":
        path = os.path.join(d, "model.safetensors.index.json")
        index = json.load(open(path))
        shards = sorted(set(index["weight_map"].values()))
        name = sorted(index["weight_map"])[0]
        index["weight_map"][name] = [s for s in shards if s != index["weight_map"][name]][0]
        json.dump(index, open(path, "w"))
    else:
        sys.exit("unknown edit " + edit)


if __name__ == "__main__":
    main()
