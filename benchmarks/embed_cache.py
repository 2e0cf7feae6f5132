"""embed with the embedding cache: a file with 10% of rows removed or added vs a cold embed, on Reuters news.

    python -m benchmarks.embed_cache --out FILE [--texts 7800]

Texts: the first N articles of the built-in Reuters single-topic set (title + body, median 88 words). Each timing is
the embed stage's own call, embed_table (model load included when something is new), the cold one with an empty
cache folder. "Added" appends the next N/10 articles; "removed" drops a random 10%. The warm "added" vectors of
the new articles and as many cached ones are compared with a cold embed of the same texts in an empty cache.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--texts", type=int, default=7800)
    args = ap.parse_args()
    os.chdir(ROOT)

    import numpy as np

    from imbalance_lab.config import DataParams, EmbedParams
    from imbalance_lab.data.datasets import load_table
    from imbalance_lab.features.embed_cache import CACHE_ENV
    from imbalance_lab.features.embedding import embed_table

    articles = load_table(DataParams(source="datasets/reuters-single-topic.yaml"), needs_text=True).frame
    n, extra = args.texts, args.texts // 10
    base, added = articles.iloc[:n], articles.iloc[: n + extra]
    removed = base.drop(base.sample(frac=0.1, random_state=0).index)
    params, seconds = EmbedParams(), {}

    def timed(name, frame, cache):
        os.environ[CACHE_ENV] = cache
        start = time.perf_counter()
        embedded = embed_table(frame, params)
        seconds[name] = round(time.perf_counter() - start, 2)
        return embedded

    with tempfile.TemporaryDirectory() as shared, tempfile.TemporaryDirectory() as fresh:
        timed("warm_up_model", base.iloc[:64], "off")  # imports and first load are not the cache's cost
        timed("cold", base, shared)
        timed("removed_10pct", removed, shared)
        warm_added = timed("added_10pct", added, shared)
        check = np.r_[np.random.default_rng(0).choice(n, extra, replace=False), np.arange(n, n + extra)]
        cold_check = timed("cold_check", added.iloc[check], fresh)
    record = {
        "texts": n,
        "added": extra,
        "removed": len(base) - len(removed),
        "seconds": seconds,
        "ratio_removed": seconds["removed_10pct"] / seconds["cold"],
        "ratio_added": seconds["added_10pct"] / seconds["cold"],
        "warm_equals_cold": bool(np.array_equal(warm_added.features[check], cold_check.features)),
        "checked_rows": len(check),
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
