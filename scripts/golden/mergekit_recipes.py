"""Golden outputs of mergekit itself for the recipes MergekitGoldenTest checks evomerge against.

Runs mergekit (a checkout on PYTHONPATH or installed: pip install -e <mergekit>; it needs torch,
transformers, pydantic, safetensors, accelerate, peft) on the bundled stories260K models and on two
tokenizer fixtures this script makes (a fine-tune's copy with added tokens), and writes what each
merge produced as digests: per tensor its shape, sum, sum of squares and values at fixed indices,
in float64; the output's vocab size and dtype; the union tokenizer's tokens. Also the merge
methods' declared parameters. evomerge's tests compare against the committed JSON, so CI needs no
Python.

    python scripts/golden/mergekit_recipes.py     # from the repository root; rewrites the files below
"""
import json
import os
import shutil
import sys
import tempfile

import torch
from safetensors.torch import load_file, save_file

import mergekit.merge
from mergekit.config import MergeConfiguration
from mergekit.merge_methods.registry import REGISTERED_MERGE_METHODS
from mergekit.options import MergeOptions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")
RESOURCES = os.path.join(ROOT, "lib", "src", "test", "resources")
FIXTURES = os.path.join(RESOURCES, "tokenizer-fixtures")
BASE, MATH, JA = (os.path.join(MODELS, n) for n in ("stories260K", "stories260K-math", "stories260K-ja"))


def with_added_tokens(src, dst, tokens, seed):
    """A copy of checkpoint src with tokens added to its tokenizer and embedding rows for them (seeded)."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("LICENSE", "SOURCE.md"))
    tok = json.load(open(os.path.join(dst, "tokenizer.json")))
    cfg = json.load(open(os.path.join(dst, "config.json")))
    n = cfg["vocab_size"]
    for i, t in enumerate(tokens):
        tok["added_tokens"].append({"id": n + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                                    "normalized": False, "special": True})
    json.dump(tok, open(os.path.join(dst, "tokenizer.json"), "w"), ensure_ascii=False, indent=2)
    cfg["vocab_size"] = n + len(tokens)
    json.dump(cfg, open(os.path.join(dst, "config.json"), "w"), indent=2)
    weights = load_file(os.path.join(dst, "model.safetensors"))
    g = torch.Generator().manual_seed(seed)
    e = weights["model.embed_tokens.weight"]
    weights["model.embed_tokens.weight"] = torch.cat([e, torch.randn(len(tokens), e.shape[1], generator=g) * 0.02])
    save_file(weights, os.path.join(dst, "model.safetensors"), metadata={"format": "pt"})


RECIPES = {
    # float32 arithmetic written as bfloat16
    "linear-out-bf16": """
merge_method: linear
models:
  - {model: MATH, parameters: {weight: 0.3}}
  - {model: JA, parameters: {weight: 0.7}}
dtype: float32
out_dtype: bfloat16
""",
    # a gradient over the layers, and where the embeddings, final norm and head sit on it
    "task-arithmetic-gradient": """
merge_method: task_arithmetic
base_model: BASE
models:
  - {model: MATH, parameters: {weight: [0.1, 0.9]}}
  - {model: JA, parameters: {weight: [0.8, 0.2]}}
dtype: float32
""",
    # mergekit's classic slerp: two sources per slice, t by filter and gradient
    "slerp-slices": """
merge_method: slerp
base_model: MATH
slices:
  - sources:
      - {model: MATH, layer_range: [0, 5]}
      - {model: JA, layer_range: [0, 5]}
parameters:
  t:
    - {filter: self_attn, value: [0, 0.5, 0.3, 0.7, 1]}
    - {filter: mlp, value: [1, 0.5, 0.7, 0.3, 0]}
    - value: 0.5
dtype: float32
""",
    # two slices: a gradient runs over each slice; per-source and per-slice parameters
    "linear-two-slices": """
merge_method: linear
slices:
  - sources:
      - {model: MATH, layer_range: [0, 2], parameters: {weight: [1.0, 0.0]}}
      - {model: JA, layer_range: [0, 2], parameters: {weight: [0.0, 1.0]}}
  - sources:
      - {model: MATH, layer_range: [2, 5]}
      - {model: JA, layer_range: [2, 5]}
    parameters: {weight: 0.5}
dtype: float32
""",
    # passthrough from two models: the embeddings from the first slice's, norm and head from the last slice's; scale per slice
    "passthrough-scaled": """
merge_method: passthrough
slices:
  - sources: [{model: JA, layer_range: [0, 3]}]
  - sources: [{model: MATH, layer_range: [2, 5]}]
parameters: {scale: [0.5, 1.0]}
dtype: float32
""",
    # the union of two vocabularies that differ by added tokens
    "union-tokenizer": """
merge_method: linear
base_model: BASE
models:
  - {model: BASE, parameters: {weight: 0.2}}
  - {model: MATHTOK, parameters: {weight: 0.5}}
  - {model: JATOK, parameters: {weight: 0.3}}
tokenizer: {source: union}
dtype: float32
""",
}


def digest(path):
    weights = load_file(os.path.join(path, "model.safetensors"))
    out = {}
    for name, t in sorted(weights.items()):
        f = t.to(torch.float64).flatten()
        n = f.numel()
        idx = sorted({0, n // 7, 2 * n // 7, 3 * n // 7, n // 2, 4 * n // 7, 5 * n // 7, n - 1})
        out[name] = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "sum": f.sum().item(),
                     "sumsq": (f * f).sum().item(), "at": {str(i): f[i].item() for i in idx}}
    return out


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    mathtok = os.path.join(FIXTURES, "stories260K-math-tok")
    jatok = os.path.join(FIXTURES, "stories260K-ja-tok")
    with_added_tokens(MATH, mathtok, ["<|calc|>", "<|math|>"], 1)
    with_added_tokens(JA, jatok, ["<|ja|>", "<|calc|>"], 2)
    golden = {"mergekit": "arcee-ai/mergekit, merged with " + torch.__version__, "recipes": {}, "methods": {}}
    names = {"BASE": BASE, "MATH": MATH, "JA": JA, "MATHTOK": mathtok, "JATOK": jatok}
    for key, yaml_text in RECIPES.items():
        text = yaml_text
        for k in sorted(names, key=len, reverse=True):
            text = text.replace(k, names[k])
        config = MergeConfiguration.model_validate(__import__("yaml").safe_load(text))
        with tempfile.TemporaryDirectory() as out:
            mergekit.merge.run_merge(config, out, MergeOptions(copy_tokenizer=True, write_model_card=False, quiet=True))
            entry = {"recipe": yaml_text.strip(), "config": json.load(open(os.path.join(out, "config.json"))),
                     "tensors": digest(out)}
            if os.path.exists(os.path.join(out, "tokenizer.json")):
                tok = json.load(open(os.path.join(out, "tokenizer.json")))
                entry["added_tokens"] = [t["content"] for t in tok["added_tokens"]]
            golden["recipes"][key] = entry
        print("merged", key)
    for name, method in sorted(REGISTERED_MERGE_METHODS.items()):
        golden["methods"][name] = {"parameters": sorted(p.name for p in method.parameters()),
                                   "tensor_parameters": sorted(p.name for p in method.tensor_parameters())}
    with open(os.path.join(RESOURCES, "mergekit-golden.json"), "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
    print("wrote", os.path.join(RESOURCES, "mergekit-golden.json"))


if __name__ == "__main__":
    sys.exit(main())
