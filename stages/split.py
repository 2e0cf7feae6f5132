"""Stage split: stratified train / val / test row positions (seeded)."""

import numpy as np

from imbalance_lab import paths
from imbalance_lab.artifacts import read_json, read_npy, write_json, write_npz
from imbalance_lab.config import load_params
from imbalance_lab.errors import DataError
from imbalance_lab.splitting import (
    assert_disjoint,
    cross_split_duplicates,
    duplicate_groups,
    split_summary,
    stratified_split,
)
from imbalance_lab.stage import log, run_stage

STAGE = "split"


def main() -> None:
    params = load_params()
    labels = read_npy(paths.LABELS)
    hashes = read_npy(paths.TEXT_HASHES)
    classes = read_json(paths.EMBED_META)["classes"]
    eligible = np.arange(len(labels))
    if params.split.dedupe:
        eligible = np.flatnonzero(duplicate_groups(hashes))
        log(STAGE, f"split.dedupe: dropped {len(labels) - len(eligible)} rows repeating an earlier text")
    try:
        sizes = {"test_size": params.split.test_size, "val_size": params.split.val_size}
        local = stratified_split(labels[eligible], classes, **sizes, seed=params.seed)
    except DataError as exc:
        if not params.split.dedupe:
            raise
        raise DataError(f"{exc} (counted after split.dedupe dropped {len(labels) - len(eligible)} repeats)") from None
    split = type(local)(train=eligible[local.train], val=eligible[local.val], test=eligible[local.test])
    assert_disjoint(split)
    leaked = cross_split_duplicates(hashes, split)
    if leaked:
        log(
            STAGE,
            f"warning: {leaked} val/test rows repeat a text from an earlier split; "
            "set split.dedupe: true to drop repeats before splitting",
        )
    summary = {"seed": params.seed, "rows": split_summary(labels, classes, split), "cross_split_duplicates": leaked}
    write_npz(paths.SPLIT_INDICES, train=split.train, val=split.val, test=split.test)
    write_json(paths.SPLIT_SUMMARY, summary)
    log(STAGE, f"train {len(split.train)}, val {len(split.val)}, test {len(split.test)} rows")


if __name__ == "__main__":
    run_stage(STAGE, main, outputs=[paths.SPLIT])
