"""Experiment records from ``dvc exp show --json``: one Record per workspace / commit / experiment.

Input: the nested output of ``dvc exp show --json`` (DVC 3.x), not the flat records of
``dvc.api.exp_show``. The flat API names each column by its shortest unambiguous suffix, so a column's
name depends on which *other* columns exist (``seed`` turns into ``params.yaml:seed`` and
``metrics/test.json:seed`` once both exist; test.json's ``macro_f1`` would be renamed the day another
metrics file gets a top-level ``macro_f1``), ints become floats and lists become strings. The nested JSON
keys every value by file path and nesting, so it stays unambiguous. Shape (tests/fixtures/exp_show.json
was captured from DVC 3.67)::

    [{"rev": "workspace" | <sha>, "name": <branch> | null, "error": null,
      "data": {"rev", "timestamp", "params": {"params.yaml": {"data": {...}}},
               "metrics": {"metrics/test.json": {"data": {...}}, ...}},
      "experiments": null | [{"name": <exp>, "executor": null | {"state": "queued|running|success|failed"},
                              "revs": [{"rev", "name", "error": null | {"msg"}, "data": {...}}]}]}, ...]

`exp show` gives only headline numbers: the metrics files hold no per-class tables, CIs or ``before``/``after``
(those are in metrics/full/test.json and threshold.json), and DVC leaves out lists (cv.json's ``per_fold`` and
``fold_rows``). ``attach_report`` replaces a record's metrics of one role with a whole file's content
(WHOLE_REPORTS); commands/compare.py reads the files per rev. A per-fold dict ``{"fold_1": x, ...}`` is read like
a list.

A Record's flat metric keys: ``test.<key>`` (evaluate's report, nested keys dotted), ``tuned.<key>``
(threshold-tune's ``after``, plus ``tuned.method`` / ``tuned.fit_on`` ...; the headline file's ``tuned_<key>``),
``threshold.before.<key>``, ``cv.<key>`` with ``cv.per_fold.<metric>`` a list of floats, ``train.<key>``;
any other metrics file ``<stem>.<key>``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from imbalance_lab.config import resolve_flat
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.evaluation.split_report import TUNED
from imbalance_lab.pipeline import paths

_KIND_RANK = {"experiment": 0, "commit": 1, "workspace": 2}


@dataclass(frozen=True)
class Record:
    """One workspace / commit / experiment. state: success, failed, queued, running, stale, duplicate."""

    name: str
    rev: str
    state: str
    params: dict
    metrics: dict
    kind: str = "experiment"  # experiment | commit | workspace
    created: str | None = None
    error: str | None = None
    metric_files: dict = field(default_factory=dict)  # role ("cv") -> headline file ("metrics/cv.json")

    @property
    def seed(self):
        return self.params.get("seed")


def _flatten(d: dict, prefix: str = "") -> dict:
    out: dict = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _fold_number(key: Any) -> int:
    digits = "".join(c for c in str(key) if c.isdigit())
    return int(digits) if digits else 0


def _folds(v: Any) -> list | None:
    """per_fold values as a list: a list, or a dict {"fold_1": x, ...} ordered by the number in the key."""
    if isinstance(v, (list, tuple)):
        return [float(x) for x in v]
    if isinstance(v, dict) and v:
        return [float(v[k]) for k in sorted(v, key=lambda k: (_fold_number(k), str(k)))]
    return None


# the role of each metrics file `dvc exp show` reads
ROLES = {
    str(paths.TEST_METRICS): "test",
    str(paths.THRESHOLD_METRICS): "threshold",
    str(paths.CV_METRICS): "cv",
    str(paths.TRAIN_METRICS): "train",
}
ROLE_PREFIXES = {"threshold": ("tuned.", "threshold.before.")}  # the keys a role's metrics have; else "<role>."
# where each role's whole content is, in git at the record's rev: exp show leaves out the per-class tables (not in
# the headline files) and every list (cv.json's per-fold values)
WHOLE_REPORTS = {"test": str(paths.TEST_REPORT), "threshold": str(paths.THRESHOLD_REPORT), "cv": str(paths.CV_METRICS)}


def _role(path: str) -> str:
    return ROLES.get(Path(path).as_posix(), Path(path).stem)


def _metric_keys(role: str, data: dict) -> dict:
    if role == "threshold":
        out: dict = {}
        for k, v in data.items():
            if k == "after" and isinstance(v, dict):
                out.update(_flatten(v, "tuned."))
            elif k == "before" and isinstance(v, dict):
                out.update(_flatten(v, "threshold.before."))
            else:
                out.update(_flatten({k.removeprefix(TUNED): v}, "tuned."))
        return out
    if role != "cv":
        return _flatten(data, f"{role}.")
    out = _flatten({k: v for k, v in data.items() if k not in ("per_fold", "fold_rows")}, "cv.")
    for metric, vals in (data.get("per_fold") or {}).items():
        if (folds := _folds(vals)) is not None:
            out[f"cv.per_fold.{metric}"] = folds
    rows = data.get("fold_rows") or {}
    for key, name in (("fitted", "cv.n_train"), ("held_out", "cv.n_test")):
        if sizes := _folds(rows.get(key)):
            out[name] = max(sizes)  # the Nadeau-Bengio correction's training and test sizes
    return out


def attach_report(record: Record, role: str, report: dict) -> Record:
    """A copy of ``record`` whose metrics of ``role`` come from its stage's whole report (lists included)."""
    prefixes = ROLE_PREFIXES.get(role, (f"{role}.",))
    metrics = {k: v for k, v in record.metrics.items() if not k.startswith(prefixes)}
    metrics.update(_metric_keys(role, report))
    return replace(record, metrics=metrics)


def _with_defaults(flat: dict) -> dict:
    """params.yaml holds the strategy axes; every other param is at its default unless an experiment set it
    (`-S ++train.lr=...`): fill the defaults in, so records of the same settings compare as the same strategy.
    Params this code cannot read (an old commit's) stay as they are."""
    try:
        return resolve_flat(flat)
    except ConfigError:
        return flat


def _record(entry: dict, *, kind: str, name: str, executor: dict | None = None) -> Record:
    data = entry.get("data") or {}
    params: dict = {}
    for path, pf in (data.get("params") or {}).items():
        prefix = "" if Path(path).name == "params.yaml" else f"{path}:"
        flat = _flatten((pf or {}).get("data") or {})
        if not prefix:
            flat = _with_defaults(flat)
        params.update({prefix + k: _hashable(v) for k, v in flat.items()})
    metrics: dict = {}
    files: dict = {}
    for path, mf in (data.get("metrics") or {}).items():
        files[_role(path)] = path
        metrics.update(_metric_keys(_role(path), (mf or {}).get("data") or {}))
    err = entry.get("error")
    error = (err.get("msg") or json.dumps(err)) if isinstance(err, dict) else (str(err) if err else None)
    state = str((executor or {}).get("state") or ("failed" if error else "success")).lower()
    rev = str(entry.get("rev") or data.get("rev"))
    return Record(name, rev, state, params, metrics, kind, data.get("timestamp"), error, files)


def _parse(obj: Any) -> list:
    if isinstance(obj, os.PathLike):
        obj = Path(obj).read_text()
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise DataError(f"`dvc exp show --json` output is not valid JSON: {exc}") from None
    if not isinstance(obj, list) or not all(isinstance(e, dict) and "rev" in e for e in obj):
        raise DataError("input is not `dvc exp show --json` output (expected a list of revs with 'rev' keys)")
    return obj


def _newest_first(ts: str | None) -> tuple:
    return (1, "") if not ts else (0, "".join(chr(0x10FFFF - ord(c)) for c in ts))


def load_records(exp_show_json: Any) -> list[Record]:
    """Records from ``dvc exp show --json`` output (parsed list, JSON text, or a Path).

    Every entry is returned, none is dropped silently; only ``state == "success"`` records are compared:
    - the executor state (queued/running/failed/success) or a rev ``error`` sets ``state``;
    - a success whose metrics/test.json ``seed`` differs from its params ``seed`` becomes ``stale``
      (e.g. a workspace whose params were edited but not reproduced);
    - dedup: successful records with identical params (seed included) are the same run. Kept: an
      experiment before a commit before the workspace, then the newest. The others become
      ``state="duplicate"`` with ``error="same params as <kept>"``.
    """
    records: list[Record] = []
    for node in _parse(exp_show_json):
        rev = str(node.get("rev"))
        if rev == "workspace":
            records.append(_record(node, kind="workspace", name="workspace"))
        else:
            records.append(_record(node, kind="commit", name=node.get("name") or rev[:7]))
        for exp in node.get("experiments") or []:
            revs = exp.get("revs") or []
            if revs:  # revs[0] is the experiment's tip
                name = exp.get("name") or revs[0].get("name") or str(revs[0].get("rev"))[:7]
                records.append(_record(revs[0], kind="experiment", name=name, executor=exp.get("executor")))
    for i, r in enumerate(records):
        ms = r.metrics.get("test.seed")
        if r.state == "success" and ms is not None and r.seed is not None and _hashable(ms) != r.seed:
            records[i] = replace(r, state="stale", error=f"metrics/test.json seed {ms} != params seed {r.seed}")
    same: dict = defaultdict(list)
    for i, r in enumerate(records):
        if r.state == "success":
            same[tuple(sorted(r.params.items(), key=lambda kv: kv[0]))].append(i)
    for idxs in same.values():
        idxs.sort(key=lambda i: (_KIND_RANK.get(records[i].kind, 3), _newest_first(records[i].created)))
        for i in idxs[1:]:
            records[i] = replace(records[i], state="duplicate", error=f"same params as {records[idxs[0]].name}")
    return records
