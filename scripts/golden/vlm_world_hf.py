#!/usr/bin/env python3
"""Golden outputs of the VLM world's LLaVA from Hugging Face transformers, independent of evomerge.

    /path/to/venv/bin/python scripts/golden/vlm_world_hf.py   # writes lib/src/test/resources/vlm-world-hf.json

Loads the LLaVA evomerge trained (models/vlm-world/vlm) with LlavaForConditionalGeneration,
AutoTokenizer and AutoImageProcessor, exactly as a user of the checkpoint would, and records for a few
items of the English and Japanese VQA sets: the prompt's token ids (the template's text around the
image, the image as image_seq_length <image> tokens, as LlavaProcessor expands it), the image's
pixel values, the logits of the last position and the greedy continuation (generate, stopping at
EOS). The Java test (VlmWorldGoldenTest) runs the same items through evomerge and compares. Needs
torch, transformers and pillow; CI does not: the output is committed.
"""
import base64
import io
import json
from pathlib import Path

import torch
from PIL import Image
from transformers import AutoImageProcessor, AutoTokenizer, LlavaForConditionalGeneration

ROOT = Path(__file__).resolve().parents[2]
EN = ("Below is an instruction that describes a task. Write a response that appropriately completes the request. "
      "Let's think step by step.\n\n### Instruction:\n{input}\n\n### Response:\n")
JA = ("以下に、あるタスクを説明する指示があります。リクエストを適切に完了するための回答を日本語で記述してください。"
      "一歩一歩考えましょう。\n\n### 指示:\n{input}\n\n### 応答:\n")
SETS = [("vqa_en_test.jsonl", EN, "en-alpaca-cot"), ("vqa_ja_test.jsonl", JA, "ja-alpaca-cot")]


def main():
    path = ROOT / "models/vlm-world/vlm"
    tokenizer = AutoTokenizer.from_pretrained(path)
    processor = AutoImageProcessor.from_pretrained(path)
    model = LlavaForConditionalGeneration.from_pretrained(path, dtype=torch.float32).eval()
    config = model.config
    rows = []
    for name, template, template_name in SETS:
        lines = (ROOT / "data/vlm-world" / name).read_text().splitlines()[:3]
        for index, line in enumerate(lines):
            item = json.loads(line)
            before, after = template.format(input="<image>\n" + item["question"]).split("<image>")
            ids = (tokenizer(before).input_ids + [config.image_token_index] * config.image_seq_length
                   + tokenizer(after, add_special_tokens=False).input_ids)
            image = Image.open(io.BytesIO(base64.b64decode(item["image_bytes"]))).convert("RGB")
            pixels = processor(images=image, return_tensors="pt").pixel_values
            input_ids = torch.tensor([ids])
            with torch.no_grad():
                logits = model(input_ids=input_ids, pixel_values=pixels).logits[0, -1].tolist()
                generated = model.generate(input_ids=input_ids, pixel_values=pixels, max_new_tokens=16, do_sample=False,
                                           eos_token_id=2, pad_token_id=2)
            new = generated[0, len(ids):].tolist()
            rows.append({"set": name, "template": template_name, "index": index, "ids": ids,
                         "pixels": pixels[0].flatten().tolist(), "last_logits": logits, "greedy": new,
                         "text": tokenizer.decode(new, skip_special_tokens=True)})
    target = ROOT / "lib/src/test/resources/vlm-world-hf.json"
    target.write_text(json.dumps({"items": rows}, ensure_ascii=False) + "\n")
    print("wrote", target)


if __name__ == "__main__":
    main()
