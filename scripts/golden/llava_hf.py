#!/usr/bin/env python3
"""Golden outputs of a tiny random LLaVA from Hugging Face transformers, independent of evomerge.

    /path/to/venv/bin/python scripts/golden/llava_hf.py   # writes lib/src/test/resources/llava-tiny*/ and llava-tiny-hf.json

Builds a LlavaForConditionalGeneration with seeded random weights (CLIP vision tower of 3 layers,
16x16 images in 4x4 patches, a GELU projector, a 2-layer Llama with grouped KV heads) and saves it
twice: as transformers saves it (`vision_tower.embeddings...`) and in the llava-hf hub layout
(`vision_tower.vision_model.embeddings...`). Records for a seeded pixel tensor: the vision tower's
hidden states at `vision_feature_layer` with the CLS token dropped (the "default" strategy), and
the projector's output (the image features that replace the <image> tokens), the logits of a
prompt whose <image> tokens those features replace, and its greedy continuation (transformers' generate). The Java test
(VisionTowerTest) reads the same checkpoints and compares. Needs torch and transformers; CI does not.
"""
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration
from tiny_weights import perturb_norms_and_biases

RESOURCES = Path(__file__).resolve().parents[2] / "lib/src/test/resources"
torch.manual_seed(16)
vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                          image_size=16, patch_size=4, projection_dim=32)
text = LlamaConfig(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, vocab_size=64, max_position_embeddings=64)
config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=63, projector_hidden_act="gelu",
                     vision_feature_layer=-2, vision_feature_select_strategy="default")
model = LlavaForConditionalGeneration(config).eval()
perturb_norms_and_biases(model)

out = RESOURCES / "llava-tiny"
shutil.rmtree(out, ignore_errors=True)
model.save_pretrained(out, safe_serialization=True)
hub = RESOURCES / "llava-tiny-hub"
shutil.rmtree(hub, ignore_errors=True)
shutil.copytree(out, hub)
tensors = load_file(hub / "model.safetensors")
save_file({k.replace("vision_tower.", "vision_tower.vision_model.", 1): v for k, v in tensors.items()},
          hub / "model.safetensors", metadata={"format": "pt"})

pixels = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(3))
with torch.no_grad():
    states = model.model.vision_tower(pixels, output_hidden_states=True).hidden_states
    selected = states[config.vision_feature_layer][:, 1:]
    features = model.model.multi_modal_projector(selected)
    ids = [1, 5] + [config.image_token_index] * features.shape[1] + [7, 9, 11]
    logits = model(input_ids=torch.tensor([ids]), pixel_values=pixels).logits[0]
    generated = model.generate(input_ids=torch.tensor([ids]), pixel_values=pixels, max_new_tokens=8, do_sample=False,
                               eos_token_id=config.text_config.eos_token_id, pad_token_id=0)[0, len(ids):].tolist()
golden = {"pixel_values": pixels.reshape(-1).tolist(), "selected": selected[0].reshape(-1).tolist(),
          "features": features[0].reshape(-1).tolist(), "features_shape": list(features[0].shape),
          "input_ids": ids, "logits": logits.reshape(-1).tolist(), "logits_shape": list(logits.shape),
          "generated": generated}
(RESOURCES / "llava-tiny-hf.json").write_text(json.dumps(golden))
print("wrote", out, hub, RESOURCES / "llava-tiny-hf.json")
