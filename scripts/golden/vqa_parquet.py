#!/usr/bin/env python3
"""A three-image VQA set in JA-VG-VQA-500's published Parquet schema, for the Java reader's test.

    /path/to/venv/bin/python scripts/golden/vqa_parquet.py   # writes lib/src/test/resources/vqa/ja-vg-vqa-sample.parquet

The schema is the dataset card's (SakanaAI/JA-VG-VQA-500, data/test-00000-of-00001.parquet):
image_id int64, url string, width int64, height int64, coco_id float64, flickr_id float64,
qas list<struct<a_objects list<null>, answer string, q_objects list<null>, qa_id int64, question string>>,
image struct<bytes binary, path string> (Hugging Face's Image feature), written by pyarrow with
snappy compression as `datasets` writes it. The images are the repository's test PNGs; the
questions and answers are made up here (the real set's rows are not redistributable from this
repository). The paper's evaluation takes each image's first question; the second is a decoy.
Needs pyarrow; CI does not.
"""
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RESOURCES = Path(__file__).resolve().parents[2] / "lib/src/test/resources"
qa = pa.struct([("a_objects", pa.list_(pa.null())), ("answer", pa.string()), ("q_objects", pa.list_(pa.null())),
                ("qa_id", pa.int64()), ("question", pa.string())])
schema = pa.schema([("image_id", pa.int64()), ("url", pa.string()), ("width", pa.int64()), ("height", pa.int64()),
                    ("coco_id", pa.float64()), ("flickr_id", pa.float64()), ("qas", pa.list_(qa)),
                    ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())]))])
rows = [("wide-64x20", 64, 20, [("何色の帯がありますか？", "青い帯です。"), ("decoy", "decoy")]),
        ("rgb-37x29", 37, 29, [("この画像には何が写っていますか？", "色の模様。"), ("decoy", "decoy")]),
        ("gray-20x30", 20, 30, [("白黒ですか？", "はい"), ("decoy", "decoy")])]
table = pa.Table.from_pylist([
    {"image_id": 1000 + i, "url": f"https://example.invalid/{name}.png", "width": w, "height": h, "coco_id": None,
     "flickr_id": float(i), "qas": [{"a_objects": [], "answer": a, "q_objects": [], "qa_id": 10 * i + k, "question": q}
                                    for k, (q, a) in enumerate(qas)],
     "image": {"bytes": (RESOURCES / "vision" / f"{name}.png").read_bytes(), "path": f"{name}.png"}}
    for i, (name, w, h, qas) in enumerate(rows)], schema=schema)
out = RESOURCES / "vqa" / "ja-vg-vqa-sample.parquet"
out.parent.mkdir(exist_ok=True)
pq.write_table(table, out, compression="snappy")
print("wrote", out, pq.read_schema(out))
