#!/usr/bin/env python3
"""transformers loads a VLM that evomerge merged with an LLM, and computes what evomerge's engine computes.

    /path/to/venv/bin/python scripts/golden/llava_merge_hf.py   # writes lib/src/test/resources/llava-tiny-llm/ and llava-tiny-merged-hf.json

Writes an LLM made from the tiny LLaVA's language model (scripts/golden/llava_hf.py) plus seeded
noise, as transformers saves a LlamaForCausalLM; runs evomerge's own `scripts/merge` on a TIES
recipe (base: that LLM, models: the LLaVA and the LLM again at another weight); loads the output
with LlavaForConditionalGeneration (the hub layout evomerge wrote) and records its logits for the
golden prompt and pixels of llava-tiny-hf.json. The Java test (VlmMergeTest) merges the same
recipe and compares its own LLaVA's logits. Needs torch, transformers and a built evomerge; CI does not.
"""
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch
from transformers import LlamaForCausalLM, LlavaForConditionalGeneration

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "lib/src/test/resources"
vlm = LlavaForConditionalGeneration.from_pretrained(RESOURCES / "llava-tiny-hub").eval()
llm = LlamaForCausalLM(vlm.config.text_config).eval()
torch.manual_seed(21)
with torch.no_grad():
    llm.model.load_state_dict(vlm.model.language_model.state_dict())
    llm.lm_head.weight.copy_(vlm.lm_head.weight)
    for p in llm.parameters():
        p.add_(0.05 * torch.randn_like(p))
out = RESOURCES / "llava-tiny-llm"
shutil.rmtree(out, ignore_errors=True)
llm.save_pretrained(out, safe_serialization=True)

recipe = f"""merge_method: ties
base_model: {out}
models:
  - model: {RESOURCES / 'llava-tiny-hub'}
    parameters: {{weight: 0.7, density: 0.6}}
  - model: {out}
    parameters: {{weight: 0.3, density: 0.6}}
"""
(RESOURCES / "llava-tiny-merge.yml").write_text(recipe.replace(str(RESOURCES) + "/", "RESOURCES/"))
with tempfile.TemporaryDirectory() as tmp:
    (Path(tmp) / "recipe.yml").write_text(recipe)
    subprocess.run([ROOT / "scripts/merge", Path(tmp) / "recipe.yml", Path(tmp) / "merged"], check=True)
    merged = LlavaForConditionalGeneration.from_pretrained(Path(tmp) / "merged").eval()
golden = json.loads((RESOURCES / "llava-tiny-hf.json").read_text())
pixels = torch.tensor(golden["pixel_values"]).reshape(1, 3, 16, 16)
with torch.no_grad():
    logits = merged(input_ids=torch.tensor([golden["input_ids"]]), pixel_values=pixels).logits[0]
(RESOURCES / "llava-tiny-merged-hf.json").write_text(json.dumps({"logits": logits.reshape(-1).tolist(),
                                                                  "logits_shape": list(logits.shape)}))
print("wrote", out, RESOURCES / "llava-tiny-merged-hf.json")
