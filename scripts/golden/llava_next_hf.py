#!/usr/bin/env python3
"""Golden outputs of a tiny random LLaVA-1.6 (LlavaNext) from Hugging Face transformers, independent of evomerge.

    /path/to/venv/bin/python scripts/golden/llava_next_hf.py   # writes lib/src/test/resources/llava-next-tiny/ and llava-next-tiny-hf.json

Builds a LlavaNextForConditionalGeneration with seeded random weights (CLIP tower of 2 layers on
16x16 tiles in 4x4 patches, a GELU projector, a 2-layer Mistral, the learned image_newline) and
saves it in the llava-hf hub layout (`language_model.model.*`, `vision_tower.vision_model.*`,
`image_newline`) with LlavaNextImageProcessor's preprocessor_config.json. For two real PNGs (one
wide, one tall, so that unpadding cuts rows in one and columns in the other) it records the
processor's tiles and image size, the packed image features (global view, then the tiles' grid
unpadded to the image's aspect, an image_newline after each row), the logits of a prompt whose
<image> tokens those features replace, and the greedy continuation. The Java test
(LlavaNextTest) decodes the same PNGs with its own preprocessor and compares. Needs torch and
transformers; CI does not.
"""
import json
import shutil
from pathlib import Path

import torch
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import CLIPVisionConfig, LlavaNextConfig, LlavaNextForConditionalGeneration, MistralConfig
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
from tiny_weights import perturb_norms_and_biases

RESOURCES = Path(__file__).resolve().parents[2] / "lib/src/test/resources"
torch.manual_seed(19)
PINPOINTS = [[16, 32], [32, 16], [32, 32], [16, 48], [48, 16]]
vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                          image_size=16, patch_size=4, projection_dim=32)
text = MistralConfig(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, vocab_size=64, max_position_embeddings=256, sliding_window=None)
config = LlavaNextConfig(vision_config=vision, text_config=text, image_token_index=63, projector_hidden_act="gelu",
                         vision_feature_layer=-1, vision_feature_select_strategy="default",
                         image_grid_pinpoints=PINPOINTS)
model = LlavaNextForConditionalGeneration(config).eval()
perturb_norms_and_biases(model)

out = RESOURCES / "llava-next-tiny"
shutil.rmtree(out, ignore_errors=True)
model.save_pretrained(out, safe_serialization=True)
tensors = load_file(out / "model.safetensors")  # transformers saves the hub's names, the tower's one level up
renamed = {k.replace("vision_tower.", "vision_tower.vision_model.", 1): v for k, v in tensors.items()}
save_file(renamed, out / "model.safetensors", metadata={"format": "pt"})
processor_config = {"do_resize": True, "size": {"shortest_edge": 16}, "resample": 3, "do_center_crop": True,
                    "crop_size": {"height": 16, "width": 16}, "do_rescale": True, "rescale_factor": 1 / 255,
                    "do_normalize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
                    "image_std": [0.26862954, 0.26130258, 0.27577711], "do_pad": True, "image_grid_pinpoints": PINPOINTS,
                    "image_processor_type": "LlavaNextImageProcessor"}
(out / "preprocessor_config.json").write_text(json.dumps(processor_config, indent=2))
processor = LlavaNextImageProcessorPil(**processor_config)

golden = {}
for image in ["wide-64x20", "rgb-37x29"]:
    prepared = processor(images=Image.open(RESOURCES / "vision" / f"{image}.png"), return_tensors="pt")
    pixels, sizes = prepared["pixel_values"], prepared["image_sizes"]
    with torch.no_grad():
        features = model.model.get_image_features(pixels, sizes).pooler_output[0]
        ids = [1, 5] + [config.image_token_index] * features.shape[0] + [7, 9, 11]
        logits = model(input_ids=torch.tensor([ids]), pixel_values=pixels, image_sizes=sizes).logits[0]
        generated = model.generate(input_ids=torch.tensor([ids]), pixel_values=pixels, image_sizes=sizes,
                                   max_new_tokens=8, do_sample=False, eos_token_id=config.text_config.eos_token_id,
                                   pad_token_id=0)[0, len(ids):].tolist()
    golden[image] = {"tiles_shape": list(pixels[0].shape), "image_size": sizes[0].tolist(),
                     "features": features.reshape(-1).tolist(), "features_shape": list(features.shape),
                     "input_ids": ids, "logits": logits.reshape(-1).tolist(), "logits_shape": list(logits.shape),
                     "generated": generated}
(RESOURCES / "llava-next-tiny-hf.json").write_text(json.dumps(golden))
print("wrote", out, RESOURCES / "llava-next-tiny-hf.json")
