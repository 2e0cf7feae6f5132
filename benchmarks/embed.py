"""embed: texts/s of the project's embed path on TREC-6 vs a bare SentenceTransformer.encode (same run).

    python -m benchmarks.embed --out FILE [--repeats 3] [--texts N]

Project path: imbalance_lab.features.embedding.embed_table (what stages/embed.py calls), which loads the model and
encodes. Bare: SentenceTransformer(path).encode(texts, batch_size) with the model already loaded, i.e. the
model's limit on this CPU. Runs alternate (project, bare, project, bare, ...).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from benchmarks.common import ROOT, interleaved, median


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--texts", type=int, default=0, help="first N TREC-6 texts (0 = all)")
    args = ap.parse_args()
    os.chdir(ROOT)  # datasets/trec6.yaml is a path relative to the project root
    os.environ["IMBALANCE_LAB_EMBED_CACHE"] = "off"  # every repeat embeds (the cache has its own section)

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from imbalance_lab.config import DataParams, EmbedParams
    from imbalance_lab.data.datasets import load_table
    from imbalance_lab.features.embedding import embed_table, resolve_model

    frame = load_table(DataParams(), needs_text=True).frame
    if args.texts:
        frame = frame.iloc[: args.texts]
    texts = frame["text"].astype(str).tolist()
    params = EmbedParams()
    bare_model = SentenceTransformer(resolve_model(params.model)[0], device="cpu")
    outputs: dict[str, np.ndarray] = {}

    def project():
        outputs["project"] = embed_table(frame, params).features

    def bare():
        outputs["bare"] = bare_model.encode(texts, batch_size=params.batch_size, convert_to_numpy=True)

    times = interleaved({"project": project, "bare_encode": bare}, args.repeats)
    tfidf = interleaved({"tfidf": lambda: embed_table(frame, EmbedParams(backend="tfidf"))}, args.repeats)

    n = len(texts)
    record = {
        "texts": n,
        "batch_size": params.batch_size,
        "torch_threads": torch.get_num_threads(),
        "times_s": {**times, **tfidf},
        "project_texts_per_s": n / median(times["project"]),
        "bare_texts_per_s": n / median(times["bare_encode"]),
        "ratio_project_vs_bare": median(times["bare_encode"]) / median(times["project"]),
        "identical_vectors": bool(np.array_equal(outputs["project"], outputs["bare"].astype(np.float32))),
        "max_abs_diff": float(np.abs(outputs["project"] - outputs["bare"]).max()),
        "tfidf_texts_per_s": n / median(tfidf["tfidf"]),
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
