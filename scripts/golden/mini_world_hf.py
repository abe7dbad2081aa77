#!/usr/bin/env python3
"""Golden outputs of the mini world's models from Hugging Face transformers, independent of evomerge.

    /path/to/venv/bin/python scripts/golden/mini_world_hf.py   # writes lib/src/test/resources/mini-world-hf.json

Loads each model evomerge trained (models/mini-world/{base,ja-general,en-math}) with
AutoTokenizer and AutoModelForCausalLM, exactly as a user of the checkpoints would, and records for
a few prompts: the token ids the tokenizer gives (BOS first), the logits of the last position, and
the greedy continuation (transformers' generate, stopping at EOS). The Java test (MiniWorldGoldenTest)
runs the same prompts through evomerge's tokenizer, engine and generator and compares. Needs torch and
transformers (`pip install "torch==2.13.0+cpu" transformers`); CI does not: the output is committed.
"""
import json
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]
MODELS = ["base", "ja-general", "en-math"]
JA = ("以下に、あるタスクを説明する指示があります。リクエストを適切に完了するための回答を日本語で記述してください。"
      "一歩一歩考えましょう。\n\n### 指示:\n{input}\n\n### 応答:\n")
EN = ("Below is an instruction that describes a task. Write a response that appropriately completes the request. "
      "Let's think step by step.\n\n### Instruction:\n{input}\n\n### Response:\n")
PROMPTS = [
    JA.format(input="ゆいはりんごを7個持っています。5個もらいました。りんごは全部で何個ですか？"),
    EN.format(input="Tom has 12 apples. Tom gives away 4. How many apples does Tom have left?"),
    JA.format(input="さくらは公園にいます。さくらはどこにいますか？"),
    "Anna has 3 cats at the zoo.",
]


def main():
    out = {"prompts": PROMPTS, "models": {}}
    for name in MODELS:
        path = ROOT / "models/mini-world" / name
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32).eval()
        rows = []
        for prompt in PROMPTS:
            ids = tokenizer(prompt, return_tensors="pt").input_ids
            with torch.no_grad():
                logits = model(ids).logits[0, -1].tolist()
                generated = model.generate(ids, max_new_tokens=40, do_sample=False, eos_token_id=2, pad_token_id=2)
            new = generated[0, ids.shape[1]:].tolist()
            rows.append({"ids": ids[0].tolist(), "last_logits": logits, "greedy": new,
                         "text": tokenizer.decode(new, skip_special_tokens=True)})
        out["models"][name] = rows
    target = ROOT / "lib/src/test/resources/mini-world-hf.json"
    target.write_text(json.dumps(out, ensure_ascii=False) + "\n")
    print("wrote", target)


if __name__ == "__main__":
    main()
