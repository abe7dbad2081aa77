#!/usr/bin/env python3
"""Golden logits of layer paths from Hugging Face transformers, independent of evomerge.

    python3 scripts/golden/layer_path_hf.py                  # writes lib/src/test/resources/layer-path-hf.json
    python3 scripts/golden/layer_path_hf.py --check DIR ...  # loads evomerge exports of those paths with transformers

For each path (pool: models/stories260K-ja = 0, models/stories260K-math = 1; the embeddings, final norm
and head of model 0) this builds a LlamaForCausalLM of the path's depth in PyTorch by copying each
step's decoder layer out of the transformers model it belongs to, multiplies the hidden state entering
step k by its scale with a forward pre-hook, and records the logits of a fixed token sequence. The Java
test (LayerPathGoldenTest) runs the same paths through evomerge's engine and compares.

--check DIR: DIR holds evomerge's export of a path (`scripts/merge layer_path.yml DIR`). A plain export
(every scale 1) must load with AutoModelForCausalLM and give the golden logits; a scaled one must be
refused (unknown model type), never run without its scales.
Needs torch and transformers (`pip install "torch==2.13.0+cpu" transformers`); CI does not: the
output is committed.
"""
import copy
import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, LlamaForCausalLM

ROOT = Path(__file__).resolve().parents[2]
POOL = [ROOT / "models/stories260K-ja", ROOT / "models/stories260K-math"]
TOKENS = [1, 403, 407, 261, 32, 290, 77, 301, 11, 260]
PATHS = {
    # a passthrough-like stack: ja 0, math 1, math 1 (twice), ja 3, math 4
    "plain": [(0, 0, 1.0), (1, 1, 1.0), (1, 1, 1.0), (0, 3, 1.0), (1, 4, 1.0)],
    # scales on the hidden state entering each step
    "scaled": [(0, 0, 1.0), (0, 1, 1.25), (1, 2, 0.75), (0, 2, 1.5), (1, 3, 0.875), (0, 4, 1.125)],
}


def path_model(pool, steps):
    anchor = pool[0]
    config = copy.deepcopy(anchor.config)
    config.num_hidden_layers = len(steps)
    model = LlamaForCausalLM(config).eval()
    model.model.embed_tokens.load_state_dict(anchor.model.embed_tokens.state_dict())
    model.model.norm.load_state_dict(anchor.model.norm.state_dict())
    model.lm_head.load_state_dict(anchor.lm_head.state_dict())
    for k, (m, layer, scale) in enumerate(steps):
        model.model.layers[k].load_state_dict(pool[m].model.layers[layer].state_dict())
        if scale != 1.0:
            model.model.layers[k].register_forward_pre_hook(
                lambda module, args, kwargs, s=scale: ((args[0] * s,) + tuple(args[1:]), kwargs) if args
                else (args, {**kwargs, "hidden_states": kwargs["hidden_states"] * s}), with_kwargs=True)
    return model


def logits(model):
    with torch.no_grad():
        return model(torch.tensor([TOKENS])).logits[0].float()


def main():
    pool = [AutoModelForCausalLM.from_pretrained(p, torch_dtype=torch.float32).eval() for p in POOL]
    golden = {name: {"path": [list(s) for s in steps], "logits": logits(path_model(pool, steps)).flatten().tolist()}
              for name, steps in PATHS.items()}
    if len(sys.argv) > 2 and sys.argv[1] == "--check":
        for d in sys.argv[2:]:
            recipe = Path(d, "layer_path.yml").read_text()
            config = json.loads(Path(d, "config.json").read_text())
            if config["model_type"] == "evomerge_layer_path":
                try:
                    AutoModelForCausalLM.from_pretrained(d)
                    raise SystemExit(f"{d}: transformers loaded a scaled path (it would run without the scales)")
                except (ValueError, KeyError) as e:
                    print(f"{d}: scaled path refused by transformers as it should be: {str(e).splitlines()[0][:100]}")
                continue
            name = "plain"
            model = AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.float32).eval()
            diff = (logits(model) - torch.tensor(golden[name]["logits"]).view(len(TOKENS), -1)).abs().max().item()
            print(f"{d}: loaded by transformers as {type(model).__name__}, {config['num_hidden_layers']} layers; "
                  f"max |logit - golden '{name}'| = {diff:.2e}")
            assert diff < 1e-4, diff
        return
    out = ROOT / "lib/src/test/resources/layer-path-hf.json"
    out.write_text(json.dumps({"tokens": TOKENS, "paths": golden,
                               "made_by": "scripts/golden/layer_path_hf.py, transformers " + __import__("transformers").__version__
                                          + ", torch " + torch.__version__}))
    print("wrote", out)


if __name__ == "__main__":
    main()
