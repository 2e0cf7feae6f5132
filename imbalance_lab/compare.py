"""Compare class-imbalance strategies across seeds: parse DVC experiments, group, test, report.

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

DVC drops JSON *lists* from metrics, so cv.json's ``per_fold`` lists never reach ``exp show`` (a dict
``{"fold_1": x, ...}`` would survive; both shapes are accepted). ``attach_cv_file`` replaces a record's
cv.* metrics with the full cv.json content; stages/compare.py reads that file per rev.

A Record's flat metric keys: ``test.<key>`` (metrics/test.json, nested keys dotted), ``tuned.<key>``
(threshold.json ``after``, plus ``tuned.method`` / ``tuned.fit_on`` ...), ``threshold.before.<key>``,
``cv.<key>`` with ``cv.per_fold.<metric>`` a list of floats; any other metrics file ``<stem>.<key>``.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from imbalance_lab import stats
from imbalance_lab.errors import DataError, UserError

#: Params that define the baseline (no rebalancing). A key a record's params lack counts as matching.
BASELINE = {
    "balance.method": "none",
    "train.class_weight": "none",
    "train.loss": "cross_entropy",
    "train.sampler": "shuffle",
}
DEFAULT_METRICS = ("macro_f1", "balanced_accuracy", "mcc", "minority_recall", "pr_auc_macro", "ece")
_KIND_RANK = {"experiment": 0, "commit": 1, "workspace": 2}


# ----------------------------------------------------------------------------------------------- parse
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
    metric_files: dict = field(default_factory=dict)  # file stem ("cv") -> path ("metrics/cv.json")

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


def _metric_keys(role: str, data: dict) -> dict:
    if role == "threshold":
        out: dict = {}
        for k, v in data.items():
            if k == "after" and isinstance(v, dict):
                out.update(_flatten(v, "tuned."))
            elif k == "before" and isinstance(v, dict):
                out.update(_flatten(v, "threshold.before."))
            else:
                out.update(_flatten({k: v}, "tuned."))
        return out
    if role != "cv":
        return _flatten(data, f"{role}.")
    out = _flatten({k: v for k, v in data.items() if k != "per_fold"}, "cv.")
    for metric, vals in (data.get("per_fold") or {}).items():
        if (folds := _folds(vals)) is not None:
            out[f"cv.per_fold.{metric}"] = folds
    return out


def attach_cv_file(record: Record, cv_data: dict) -> Record:
    """A copy of ``record`` whose cv.* metrics come from the full cv.json content (lists included)."""
    metrics = {k: v for k, v in record.metrics.items() if not k.startswith("cv.")}
    metrics.update(_metric_keys("cv", cv_data))
    return replace(record, metrics=metrics)


def _record(entry: dict, *, kind: str, name: str, executor: dict | None = None) -> Record:
    data = entry.get("data") or {}
    params: dict = {}
    for path, pf in (data.get("params") or {}).items():
        prefix = "" if Path(path).name == "params.yaml" else f"{path}:"
        flat = _flatten((pf or {}).get("data") or {})
        params.update({prefix + k: _hashable(v) for k, v in flat.items()})
    metrics: dict = {}
    files: dict = {}
    for path, mf in (data.get("metrics") or {}).items():
        files[Path(path).stem] = path
        metrics.update(_metric_keys(Path(path).stem, (mf or {}).get("data") or {}))
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


# -------------------------------------------------------------------------------------------- grouping
def strategy_key(params: dict) -> tuple:
    """Every param except ``seed``, as (name, value) pairs sorted by name."""
    return tuple(sorted(((k, v) for k, v in params.items() if k != "seed"), key=lambda kv: kv[0]))


def group_by_strategy(records: list[Record]) -> dict[tuple, list[Record]]:
    """Successful records grouped by strategy_key (all params but seed); other states are skipped."""
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        if r.state == "success":
            groups[strategy_key(r.params)].append(r)
    return dict(groups)


def find_baseline(groups: dict, baseline: dict = BASELINE) -> tuple | None:
    """The group matching ``baseline``; among several, the one agreeing most with the most common values."""

    def matches(key: tuple) -> bool:
        p = dict(key)
        return any(k in p for k in baseline) and all(str(p.get(k, v)) == str(v) for k, v in baseline.items())

    cands = [k for k in groups if matches(k)]
    if len(cands) <= 1:
        return cands[0] if cands else None
    counts: dict = defaultdict(Counter)
    for key, group in groups.items():
        for k, v in key:
            counts[k][v] += len(group)
    mode = {k: c.most_common(1)[0][0] for k, c in counts.items()}
    return max(cands, key=lambda c: (sum(mode.get(k) == v for k, v in c), len(groups[c]), str(c)))


def _fmt_value(v: Any) -> str:
    return json.dumps(list(v)) if isinstance(v, tuple) else str(v)


def strategy_label(key: tuple, baseline_key: tuple | None) -> str:
    """Only the params that differ from the baseline, e.g. "balance.method=smote"; "baseline" if none."""
    if baseline_key is None or key == baseline_key:
        return "baseline"
    a, b = dict(key), dict(baseline_key)
    diff = [
        f"{k}={_fmt_value(a[k]) if k in a else '<unset>'}"
        for k in sorted(set(a) | set(b))
        if a.get(k, "<unset>") != b.get(k, "<unset>")
    ]
    return ", ".join(diff) or "baseline"


# ----------------------------------------------------------------------------------------- leaderboard
@dataclass
class Row:
    label: str
    strategy: str
    view: str  # "untuned" (metrics/test.json) | "tuned" (metrics/threshold.json "after")
    is_baseline: bool
    params: dict  # every param but seed
    seeds: list
    experiments: list
    metrics: dict  # metric -> stats.summarize(...) over seeds
    vs_baseline: dict | None = None  # paired by seed vs the untuned baseline (None on that row itself)
    vs_tuned_baseline: dict | None = None  # paired by seed vs the baseline's tuned row
    cv: dict | None = None  # Nadeau-Bengio vs the untuned baseline (untuned rows with per-fold data)


@dataclass
class Leaderboard:
    primary: str
    alpha: float
    metrics: list
    rows: list
    baseline: dict  # the params defining the baseline
    dataset: str
    seeds: list  # distinct seeds among compared records
    failed: list  # experiment names
    unfinished: list  # "name (queued)"
    not_counted: list  # "name (duplicate: same params as x)", stale ...
    notes: list = field(default_factory=list)


def _seed_order(seed: Any) -> tuple:
    return (0, seed, "") if isinstance(seed, (int, float)) else (1, 0, str(seed))


def _values(group: list[Record], view: str, metric: str) -> dict:
    prefix = "test." if view == "untuned" else "tuned."
    out = {}
    for r in group:
        v = r.metrics.get(prefix + metric)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[r.seed] = float(v)
    return out


def _paired(vals: dict, ref: dict, lower: bool) -> dict:
    seeds = sorted((s for s in vals if s in ref), key=_seed_order)
    diffs = [vals[s] - ref[s] for s in seeds]
    d, t = stats.summarize(diffs), stats.paired_test(diffs)
    return {
        "n_paired": len(seeds),
        "seeds": seeds,
        "mean_diff": d["mean"],
        "diff_ci_low": d["ci_low"],
        "diff_ci_high": d["ci_high"],
        "test": t["test"],
        "statistic": t["statistic"],
        "p": t["p"],
        "lower_is_better": lower,
    }


def _cv_compare(group: list[Record], base: list[Record], metric: str, lower: bool) -> dict | None:
    """Seed-paired fold differences, all seed x fold pairs pooled into one corrected t-test."""
    ref = {r.seed: r for r in base}
    diffs, n_train, n_test, seeds = [], [], [], []
    for r in group:
        b = ref.get(r.seed)
        a_f = r.metrics.get(f"cv.per_fold.{metric}")
        b_f = b.metrics.get(f"cv.per_fold.{metric}") if b else None
        if a_f and b_f and len(a_f) == len(b_f):
            diffs += [x - y for x, y in zip(a_f, b_f, strict=True)]
            seeds.append(r.seed)
            n_train.append(r.metrics.get("cv.n_train") or b.metrics.get("cv.n_train"))
            n_test.append(r.metrics.get("cv.n_test") or b.metrics.get("cv.n_test"))
    if not diffs or None in n_train or None in n_test:
        return None
    nb = stats.nadeau_bengio_ttest(diffs, sum(n_train) / len(n_train), sum(n_test) / len(n_test))
    means = [sum(f) / len(f) for r in group if (f := r.metrics.get(f"cv.per_fold.{metric}"))]
    return {
        "metric": metric,
        "mean": stats.summarize(means)["mean"],
        "seeds": sorted(seeds, key=_seed_order),
        "J": len(diffs),
        "mean_diff": sum(diffs) / len(diffs),
        "t": nb["t"],
        "p": nb["p"],
        "df": nb["df"],
        "lower_is_better": lower,
    }


def _apply_holm(comps: list[dict], alpha: float) -> None:
    for c, p_adj in zip(comps, stats.holm([c["p"] for c in comps]), strict=True):
        c["p_holm"] = p_adj
        c["verdict"] = stats.verdict(c["mean_diff"], p_adj, alpha, lower_is_better=c["lower_is_better"])


def _describe(params: dict) -> str:
    src = params.get("data.source", "unknown")
    keys = (
        ("embed.backend", "embed.model")
        if params.get("embed.backend") == "sentence-transformers"
        else ("embed.backend",)
    )
    emb = " / ".join(str(params[k]) for k in keys if k in params)
    return f"{src} (embedding: {emb})" if emb else str(src)


def build_leaderboard(
    records: list[Record],
    *,
    metrics: tuple = DEFAULT_METRICS,
    primary: str = "macro_f1",
    alpha: float = 0.05,
    baseline: dict = BASELINE,
) -> Leaderboard:
    """Rows per strategy x {untuned, tuned}; the primary metric compared seed-paired with the baselines.

    Holm families, each adjusted on its own: (1) every row vs the untuned baseline, (2) every row vs the
    baseline with tuned thresholds, (3) CV: each untuned strategy vs the untuned baseline with the
    Nadeau-Bengio corrected t-test, pooling all seed x fold differences as J = n_seeds * folds splits
    (the corrected repeated k-fold test of Bouckaert & Frank 2004). Rows are sorted best-first on the
    primary metric's mean (descending; ascending for lower-is-better metrics).
    """
    if not records:
        raise UserError("no experiments found; run some first, e.g. `dvc exp run -S seed=0`")
    metrics = list(dict.fromkeys([primary, *metrics]))
    groups = group_by_strategy(records)
    if not groups:
        found = ", ".join(f"{r.name} ({r.state})" for r in records)
        raise UserError(f"no successful experiment to compare; found: {found}")
    used = [r for g in groups.values() for r in g]
    if not any(f"test.{primary}" in r.metrics for r in used):
        numeric = {k for r in used for k, v in r.metrics.items() if isinstance(v, (int, float))}
        avail = sorted(k[5:] for k in numeric if k.startswith("test.") and k.count(".") == 1 and k != "test.seed")
        raise UserError(f"metric {primary!r} is not in metrics/test.json; available: {', '.join(avail)}")
    bkey = find_baseline(groups, baseline)
    if bkey is None:
        need = ", ".join(f"{k}={v}" for k, v in baseline.items())
        cmd = " ".join(f"-S {k}={v}" for k, v in baseline.items())
        raise UserError(f"no baseline experiment (params {need}); run one per seed, e.g. `dvc exp run {cmd} -S seed=0`")
    lower = primary in stats.LOWER_IS_BETTER
    base = groups[bkey]
    ref = {"untuned": _values(base, "untuned", primary), "tuned": _values(base, "tuned", primary)}
    rows: list[Row] = []
    for key, group in groups.items():
        label = strategy_label(key, bkey)
        for view in ("untuned", "tuned"):
            vals = {m: _values(group, view, m) for m in metrics}
            if not vals[primary]:
                continue
            is_base = key == bkey
            title = label
            if view == "tuned":
                meths = {str(r.metrics.get("tuned.method", r.params.get("threshold.method"))) for r in group}
                title = f"{label} + tuned thresholds ({', '.join(sorted(meths))})"
            summaries = {m: stats.summarize(list(v.values())) for m, v in vals.items()}
            seeds, names = sorted(vals[primary], key=_seed_order), sorted(r.name for r in group)
            row = Row(title, label, view, is_base, dict(key), seeds, names, summaries)
            if not (is_base and view == "untuned"):
                row.vs_baseline = _paired(vals[primary], ref["untuned"], lower)
            if ref["tuned"] and not is_base:
                row.vs_tuned_baseline = _paired(vals[primary], ref["tuned"], lower)
            if view == "untuned" and not is_base:
                row.cv = _cv_compare(group, base, primary, lower)
            rows.append(row)
    for attr in ("vs_baseline", "vs_tuned_baseline", "cv"):
        _apply_holm([getattr(r, attr) for r in rows if getattr(r, attr)], alpha)

    def order(r: Row) -> tuple:
        m = r.metrics[primary]["mean"]
        return (math.isnan(m), (m if lower else -m) if not math.isnan(m) else 0.0, r.label)

    rows.sort(key=order)
    notes = []
    if any(r.view == "untuned" and not r.is_baseline for r in rows) and not any(r.cv for r in rows):
        notes.append(f"No CV comparison: no seed-paired per-fold values (cv.json per_fold.{primary}).")
    no_metric = sorted(r.name for r in used if f"test.{primary}" not in r.metrics)
    if no_metric:
        notes.append(f"Without {primary} in metrics/test.json (not counted): {', '.join(no_metric)}.")
    return Leaderboard(
        primary=primary,
        alpha=alpha,
        metrics=metrics,
        rows=rows,
        baseline=dict(baseline),
        dataset=_describe(dict(bkey)),
        seeds=sorted({r.seed for r in used}, key=_seed_order),
        failed=[r.name for r in records if r.state == "failed"],
        unfinished=[f"{r.name} ({r.state})" for r in records if r.state in ("queued", "running")],
        not_counted=[
            f"{r.name} ({r.state}: {r.error})" if r.error else f"{r.name} ({r.state})"
            for r in records
            if r.state not in ("success", "failed", "queued", "running")
        ],
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------- output
def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def leaderboard_dict(lb: Leaderboard) -> dict:
    """The leaderboard as JSON-safe data (nan/inf -> null, tuples -> lists)."""
    return _clean(asdict(lb))


def write_json(lb: Leaderboard, path: str | Path) -> None:
    Path(path).write_text(json.dumps(leaderboard_dict(lb), indent=2, sort_keys=True) + "\n")


def _f(x: Any, nd: int = 3, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—" if x is None or math.isnan(x) else ("+∞" if x > 0 else "−∞")
    return f"{x:+.{nd}f}" if sign else f"{x:.{nd}f}"


def _p(x: Any) -> str:
    if x is None or math.isnan(x):
        return "—"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def _ci(s: dict) -> str:
    if math.isnan(s["ci_low"]):
        return f"{_f(s['mean'])} [—]"
    return f"{_f(s['mean'])} [{_f(s['ci_low'])}, {_f(s['ci_high'])}]"


def _cmp_cells(c: dict | None) -> list[str]:
    if c is None:
        return ["reference", "", "", ""]
    return [
        _f(c["mean_diff"], sign=True),
        str(c["n_paired"]),
        f"{_p(c['p'])} / {_p(c['p_holm'])}",
        c["verdict"],
    ]


def _names(rows: list[Row]) -> str:
    return "; ".join(f"**{r.label}**" for r in rows)


def reading_paragraph(lb: Leaderboard) -> str:
    """Plain-language summary generated from the leaderboard's numbers."""
    p, a = lb.primary, lb.alpha
    best = lb.rows[0]
    s = best.metrics[p]
    ci = f"95% CI {_f(s['ci_low'])} to {_f(s['ci_high'])}"
    out = [f"Highest mean {p}: **{best.label}** ({_f(s['mean'])}, {ci})."]
    others = [r for r in lb.rows if not r.is_baseline]
    better = [r for r in lb.rows if r.vs_baseline and r.vs_baseline.get("verdict") == "better"]
    worse = [r for r in lb.rows if r.vs_baseline and r.vs_baseline.get("verdict") == "worse"]
    if better:
        out.append(f"Better than the untuned baseline at alpha {a} (Holm-adjusted): {_names(better)}.")
    else:
        out.append(f"No row beat the untuned baseline at alpha {a} (Holm-adjusted).")
    if worse:
        out.append(f"Worse than the untuned baseline: {_names(worse)}.")
    bt = next((r for r in lb.rows if r.is_baseline and r.view == "tuned"), None)
    if bt is not None and bt.vs_baseline:
        c = bt.vs_baseline
        out.append(
            f"Tuning the thresholds of the baseline alone changed {p} by {_f(c['mean_diff'], sign=True)} "
            f"({c['verdict']}, p Holm {_p(c['p_holm'])})."
        )
        beat = [r for r in others if r.vs_tuned_baseline and r.vs_tuned_baseline.get("verdict") == "better"]
        if beat:
            out.append(f"Better than the baseline with tuned thresholds: {_names(beat)}.")
        elif others:
            out.append(f"No strategy beat the baseline with tuned thresholds at alpha {a}.")
    cvb = [r for r in lb.rows if r.cv and r.cv.get("verdict") == "better"]
    if any(r.cv for r in lb.rows):
        what = f"better than the baseline: {_names(cvb)}" if cvb else "no strategy better than the baseline"
        out.append(f"Cross-validation (Nadeau-Bengio, alpha {a}): {what}.")
    n_max = max((r.vs_baseline["n_paired"] for r in lb.rows if r.vs_baseline), default=0)
    if n_max < stats.WILCOXON_MIN_N:
        out.append(
            f"Only up to {n_max} seeds were paired, so small or inconsistent differences cannot be detected; "
            '"no detectable difference" is not evidence that two strategies are equal. More seeds '
            "(`dvc exp run -S seed=N ...`) give more power."
        )
    tested = [r.vs_baseline for r in lb.rows if r.vs_baseline and not math.isnan(r.vs_baseline["p"])]
    wil = [c["n_paired"] for c in tested if c["test"] == "wilcoxon"]
    if wil and len(wil) == len(tested) and len(tested) * 2.0 / 2 ** max(wil) >= a:
        out.append(
            f"With {max(wil)} paired seeds the smallest possible Wilcoxon p is {2.0 / 2 ** max(wil):.3f}; "
            f"after Holm over {len(tested)} comparisons none can reach alpha {a}. More seeds are needed."
        )
    if any(r.vs_baseline and r.vs_baseline["n_paired"] < 2 for r in lb.rows):
        out.append("Rows with fewer than 2 seeds shared with the baseline could not be tested.")
    return " ".join(out)


def write_markdown(lb: Leaderboard, path: str | Path, *, dataset: str | None = None, notes=()) -> None:
    p, a = lb.primary, lb.alpha
    direction = "lower is better" if p in stats.LOWER_IS_BETTER else "higher is better"
    n_tests = sum(1 for r in lb.rows if r.vs_baseline)
    has_tuned_ref = any(r.is_baseline and r.view == "tuned" for r in lb.rows)
    lines = [
        "# Class-imbalance strategies: leaderboard",
        "",
        f"- Data set: {dataset or lb.dataset}",
        f"- Seeds: {len(lb.seeds)} ({', '.join(map(str, lb.seeds))}); rows: {len(lb.rows)}",
        f"- Primary metric: `{p}` ({direction}); alpha = {a}",
        "- Baseline: " + ", ".join(f"`{k}={v}`" for k, v in lb.baseline.items()) + ", default thresholds",
        f"- Tests: differences paired by seed; Wilcoxon signed-rank for n ≥ {stats.WILCOXON_MIN_N} pairs, "
        f"paired t-test for fewer (Wilcoxon cannot reach p < 0.05 below 6 pairs); p-values Holm-adjusted "
        f"over the {n_tests} comparisons with the untuned baseline (and, separately, those with the tuned "
        "baseline and the CV comparisons). CV: Nadeau-Bengio corrected t-test over seed × fold differences.",
        "- Untuned = metrics/test.json; tuned = metrics/threshold.json `after` (thresholds fitted off test).",
        "",
        "## Reading this table",
        "",
        reading_paragraph(lb),
        "",
        f"## Leaderboard ({p}, mean [95% CI] over seeds)",
        "",
        f"| # | Strategy | n | {p} | Δ vs baseline | pairs | p raw / Holm | verdict "
        "| Δ vs tuned baseline | pairs | p raw / Holm | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(lb.rows, 1):
        cells = [str(i), r.label, str(len(r.seeds)), _ci(r.metrics[p])]
        cells += _cmp_cells(r.vs_baseline)
        if not has_tuned_ref or (r.is_baseline and r.view == "untuned"):
            cells += ["—", "", "", ""]
        else:
            cells += _cmp_cells(r.vs_tuned_baseline)
        lines.append("| " + " | ".join(cells) + " |")
    arrows = [f"{m} {'↓' if m in stats.LOWER_IS_BETTER else '↑'}" for m in lb.metrics]
    lines += [
        "",
        "## All metrics (mean ± 95% CI half-width)",
        "",
        "| Strategy | " + " | ".join(arrows) + " |",
    ]
    lines.append("|---" * (len(lb.metrics) + 1) + "|")
    for r in lb.rows:
        cells = []
        for m in lb.metrics:
            s = r.metrics[m]
            half = "" if math.isnan(s["ci_high"]) else f" ± {_f(s['ci_high'] - s['mean'])}"
            cells.append(f"{_f(s['mean'])}{half}")
        lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    cv_rows = [r for r in lb.rows if r.cv]
    if cv_rows:
        lines += ["", f"## Cross-validation ({p}, Nadeau-Bengio vs baseline)", ""]
        lines += [
            "| Strategy | seeds × folds (J) | CV mean | Δ | t | p raw / Holm | verdict |",
            "|---" * 7 + "|",
        ]
        for r in cv_rows:
            c = r.cv
            cells = [r.label, str(c["J"]), _f(c["mean"]), _f(c["mean_diff"], sign=True), _f(c["t"], 2)]
            cells += [f"{_p(c['p'])} / {_p(c['p_holm'])}", c["verdict"]]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Experiments not counted", ""]
    lines.append(f"- Failed experiments: {', '.join(lb.failed) if lb.failed else 'none'}")
    lines.append(f"- Unfinished (queued/running): {', '.join(lb.unfinished) if lb.unfinished else 'none'}")
    if lb.not_counted:
        lines.append(f"- Skipped: {'; '.join(lb.not_counted)}")
    lines += [f"- {n}" for n in [*lb.notes, *notes]]
    Path(path).write_text("\n".join(lines) + "\n")


def plot_leaderboard(lb: Leaderboard, path: str | Path) -> None:
    """Primary-metric means with 95% CI bars, one line per row; dashed line = untuned baseline mean."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    p = lb.primary
    n = len(lb.rows)
    fig = Figure(figsize=(9, 1.2 + 0.38 * n), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for view, color, marker in (("untuned", "tab:blue", "o"), ("tuned", "tab:orange", "s")):
        idx = [i for i, r in enumerate(lb.rows) if r.view == view]
        if not idx:
            continue
        summ = [lb.rows[i].metrics[p] for i in idx]
        means = [s["mean"] for s in summ]
        err = [[0.0 if math.isnan(s["ci_low"]) else s["mean"] - s["ci_low"] for s in summ]]
        err.append([0.0 if math.isnan(s["ci_high"]) else s["ci_high"] - s["mean"] for s in summ])
        label = "default thresholds" if view == "untuned" else "tuned thresholds"
        ax.errorbar(means, [n - 1 - i for i in idx], xerr=err, fmt=marker, color=color, capsize=3, label=label)
    for r in lb.rows:
        if r.is_baseline:
            style = "--" if r.view == "untuned" else ":"
            name = "baseline" if r.view == "untuned" else "baseline, tuned"
            color = "black" if r.view == "untuned" else "grey"
            ax.axvline(r.metrics[p]["mean"], color=color, ls=style, lw=1, label=name)
    ax.set_yticks(range(n))
    ax.set_yticklabels([(r.label[:70] + "…") if len(r.label) > 71 else r.label for r in reversed(lb.rows)])
    ax.set_xlabel(f"{p} (mean over {len(lb.seeds)} seeds, 95% CI)")
    ax.legend(loc="best", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, format="png", dpi=110)
