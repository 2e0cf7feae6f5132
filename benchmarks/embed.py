"""embed: texts/s of the project's embed path on TREC-6 vs a bare SentenceTransformer.encode (same run).

    python -m benchmarks.embed --out FILE [--repeats 3] [--texts N]

Project path: imbalance_lab.embedding.embed_table (what stages/embed.py calls), which loads the model and
encodes. Bare: SentenceTransformer(path).encode(texts, batch_size) with the model already loaded, i.e. the
model's limit on this CPU. Runs alternate (project, bare, project, bare, ...). Model load time is measured
separately, both warm (in this process) and in a fresh process (imports included, as a stage pays it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT, bench_env, interleaved, load, median, rate, run_measured


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

    from imbalance_lab.config import DataParams, EmbedParams
    from imbalance_lab.datasets import load_table
    from imbalance_lab.embedding import embed_table, load_sentence_model, resolve_model

    frame = load_table(DataParams(), needs_text=True).frame
    if args.texts:
        frame = frame.iloc[: args.texts]
    texts = frame["text"].astype(str).tolist()
    params = EmbedParams()
    load_start = load()

    import_s = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    import_s = time.perf_counter() - import_s
    bare_model = SentenceTransformer(resolve_model(params.model)[0], device="cpu")
    outputs: dict[str, np.ndarray] = {}

    def project():
        outputs["project"] = embed_table(frame, params).features

    def bare():
        outputs["bare"] = bare_model.encode(texts, batch_size=params.batch_size, convert_to_numpy=True)

    times = interleaved({"project": project, "bare_encode": bare}, args.repeats)
    load_times = interleaved(
        {
            "project_load": lambda: load_sentence_model(params.model),
            "bare_load": lambda: SentenceTransformer(resolve_model(params.model)[0], device="cpu"),
        },
        args.repeats,
    )
    fresh = [_fresh_process_load(params.model) for _ in range(args.repeats)]
    tfidf = interleaved({"tfidf": lambda: embed_table(frame, EmbedParams(backend="tfidf"))}, args.repeats)

    n = len(texts)
    project_s, bare_s = median(times["project"]), median(times["bare_encode"])
    warm_load_s = median(load_times["project_load"])
    record = {
        "texts": n,
        "batch_size": params.batch_size,
        "torch_threads": torch.get_num_threads(),
        "repeats": args.repeats,
        "times_s": {**times, **load_times, "fresh_process_load": fresh, **tfidf},
        "project_texts_per_s": rate(n, project_s),
        "project_encode_texts_per_s": rate(n, project_s - warm_load_s),
        "bare_texts_per_s": rate(n, bare_s),
        "ratio_project_vs_bare": rate(n, project_s) / rate(n, bare_s),
        "ratio_project_encode_vs_bare": rate(n, project_s - warm_load_s) / rate(n, bare_s),
        "warm_load_s": warm_load_s,
        "bare_warm_load_s": median(load_times["bare_load"]),
        "fresh_process_load_s": median(fresh),
        "sentence_transformers_import_s": import_s,
        "identical_vectors": bool(np.array_equal(outputs["project"], outputs["bare"].astype(np.float32))),
        "max_abs_diff": float(np.abs(outputs["project"] - outputs["bare"]).max()),
        "tfidf_texts_per_s": rate(n, median(tfidf["tfidf"])),
        "load_start": load_start,
        "load_end": load(),
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


def _fresh_process_load(model: str) -> float:
    """Wall time of a new Python process that imports the embedding module and loads the model."""
    code = f"from imbalance_lab.embedding import load_sentence_model; load_sentence_model({model!r})"
    result = run_measured([sys.executable, "-c", code], cwd=ROOT, env=bench_env(PYTHONPATH=str(ROOT)))
    if result.rc != 0:
        raise RuntimeError(result.stderr[-1000:])
    return result.wall_s


if __name__ == "__main__":
    main()
