"""Stage split: stratified train / val / test row positions (seeded)."""

from imbalance_lab.config import load_params
from imbalance_lab.data.splitting import (
    assert_disjoint,
    cross_split_duplicates,
    duplicate_groups,
    split_summary,
)
from imbalance_lab.errors import DataError
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import read_json, read_npy, write_json, write_npz
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.task import task_named

STAGE = "split"


def main() -> None:
    params = load_params()
    hashes = read_npy(paths.TEXT_HASHES)
    meta = read_json(paths.EMBED_META)
    labels, classes = read_npy(paths.LABELS), meta["classes"]
    what = "feature row" if meta["embed_params"]["backend"] == "features" else "text"  # what a repeat repeats
    task = task_named(meta["task"], ordinal=params.data.ordinal)
    relabelled = task.relabel_rare(labels, classes, params.split)
    labels, classes = relabelled.labels, relabelled.classes
    eligible = task.eligible(labels)
    if relabelled.note:
        log(STAGE, relabelled.note)
    if params.split.dedupe:
        before = len(eligible)
        eligible = eligible[duplicate_groups(hashes[eligible])]
        log(STAGE, f"split.dedupe: dropped {before - len(eligible)} rows repeating an earlier {what}")
    try:
        sizes = {"test_size": params.split.test_size, "val_size": params.split.val_size}
        local = task.split(labels[eligible], classes, **sizes, seed=params.seed)
    except DataError as exc:
        if not params.split.dedupe:
            raise
        raise DataError(f"{exc} (counted after split.dedupe dropped {before - len(eligible)} repeats)") from None
    split = type(local)(train=eligible[local.train], val=eligible[local.val], test=eligible[local.test])
    assert_disjoint(split)
    leaked = cross_split_duplicates(hashes, split)
    if leaked:
        log(
            STAGE,
            f"warning: {leaked} val/test rows repeat a {what} from an earlier split; "
            "set split.dedupe: true to drop repeats before splitting",
        )
    summary = {
        "seed": params.seed,
        "task": task.name,
        "classes": classes,
        "rows": split_summary(labels, classes, split, task),
        "cross_split_duplicates": leaked,
        "rare_classes": {"action": params.split.rare_class_action, "classes": relabelled.rare}
        if relabelled.rare
        else {},
    }
    write_npz(paths.SPLIT_INDICES, train=split.train, val=split.val, test=split.test, labels=labels)
    write_json(paths.SPLIT_SUMMARY, summary)
    log(STAGE, f"train {len(split.train)}, val {len(split.val)}, test {len(split.test)} rows")


if __name__ == "__main__":
    run_stage(STAGE, main)
