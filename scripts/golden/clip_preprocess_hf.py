#!/usr/bin/env python3
"""Golden image preprocessing from Hugging Face's CLIPImageProcessor and Pillow, independent of evomerge.

    /path/to/venv/bin/python scripts/golden/clip_preprocess_hf.py   # writes lib/src/test/resources/vision/

Makes a few small PNG images (seeded noise over gradients: RGB, grayscale, RGBA, one smaller than
the target so it is upscaled), and records for each: Pillow's resize of the RGB image (uint8, the
exact pixels evomerge's PilResize must give), CLIPImageProcessor's pixel_values for a
preprocessor config, and LLaVA-1.6's any-resolution tiles (LlavaNextImageProcessor's Pillow
path) for the same config with image_grid_pinpoints. The Java test (ImagePreprocessorTest) decodes the same PNGs and compares.
Needs numpy, pillow, transformers; CI does not: the output is committed.
"""
import json
from pathlib import Path

import numpy as np
from PIL import Image
from transformers import CLIPImageProcessor
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

OUT = Path(__file__).resolve().parents[2] / "lib/src/test/resources/vision"
rng = np.random.default_rng(19)


def picture(h, w, channels):
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 127 // max(h + w - 2, 1))], -1)
    noise = rng.integers(-40, 41, size=(h, w, 3))
    rgb = np.clip(base + noise, 0, 255).astype(np.uint8)
    if channels == "L":
        return Image.fromarray(rgb[:, :, 0], "L")
    if channels == "RGBA":
        alpha = rng.integers(0, 256, size=(h, w, 1)).astype(np.uint8)
        return Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA")
    return Image.fromarray(rgb, "RGB")


CASES = [
    ("rgb-37x29", picture(29, 37, "RGB"), {"size": {"shortest_edge": 16}, "crop_size": {"height": 16, "width": 16}, "resample": 3}),
    ("gray-20x30", picture(30, 20, "L"), {"size": {"shortest_edge": 12}, "crop_size": {"height": 12, "width": 10}, "resample": 3}),
    ("rgba-40x25", picture(25, 40, "RGBA"), {"size": {"shortest_edge": 10}, "crop_size": {"height": 8, "width": 8}, "resample": 2}),
    ("small-9x7", picture(7, 9, "RGB"), {"size": {"shortest_edge": 16}, "crop_size": {"height": 16, "width": 16}, "resample": 3}),
    ("wide-64x20", picture(20, 64, "RGB"), {"size": {"shortest_edge": 8}, "crop_size": {"height": 8, "width": 8}, "resample": 1,
                                            "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}),
]

OUT.mkdir(parents=True, exist_ok=True)
golden = []
for name, image, config in CASES:
    image.save(OUT / f"{name}.png")
    config = {"do_resize": True, "do_center_crop": True, "do_rescale": True, "rescale_factor": 1 / 255,
              "do_normalize": True, "do_convert_rgb": True, **config}
    processor = CLIPImageProcessor(**config)
    pixels = processor(images=Image.open(OUT / f"{name}.png"), return_tensors="np")["pixel_values"][0]
    rgb = Image.open(OUT / f"{name}.png").convert("RGB")
    w, h = rgb.size
    short = config["size"]["shortest_edge"]
    size = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
    resized = np.asarray(rgb.resize(size, resample=config["resample"]))
    short_crop = config["crop_size"]["height"]
    pinpoints = [[short_crop, 2 * short_crop], [2 * short_crop, short_crop], [2 * short_crop, 2 * short_crop],
                 [3 * short_crop, short_crop], [short_crop, 3 * short_crop]]
    next_config = {**config, "image_grid_pinpoints": pinpoints}
    tiles = LlavaNextImageProcessorPil(**next_config)(images=Image.open(OUT / f"{name}.png"), return_tensors="np")
    golden.append({"name": name, "config": config, "resized_size": list(size),
                   "resized": resized.reshape(-1).tolist(), "shape": list(pixels.shape),
                   "pixel_values": [float(v) for v in pixels.reshape(-1)],
                   "next_config": next_config, "tiles_shape": list(tiles["pixel_values"][0].shape),
                   "tiles": [float(v) for v in tiles["pixel_values"][0].reshape(-1)]})
(OUT / "clip-preprocess-hf.json").write_text(json.dumps(golden))
print("wrote", OUT / "clip-preprocess-hf.json")
