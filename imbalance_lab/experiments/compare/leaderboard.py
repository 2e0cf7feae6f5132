"""Leaderboard: experiments grouped by strategy (every param but seed), compared seed-paired with the baseline.

Each strategy gets two rows, untuned (metrics/test.json) and tuned (metrics/threshold.json ``after``), so
"no rebalancing + tuned thresholds" is always on the board. Verdicts: stats.rope_probabilities on the per-seed
differences against a region of practical equivalence, with the correlation of seeds that re-split one data set
(rho = the test split's share, stats.split_correlation), and on seed x fold CV differences (rho = the held-out
share of a fold). Frequentist tests stay beside them: the same correlated t-test, Holm-adjusted.
Only experiments on the baseline's data and embedding are compared; rows with fewer seeds than the sweep
are kept but marked partial, outside the test families and the recommendation.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from imbalance_lab.config import COMMAND_SECTIONS, CompareParams, SplitParams
from imbalance_lab.errors import UserError
from imbalance_lab.evaluation.metric_registry import ONE_TEST_ROW, lower_is_better, metric
from imbalance_lab.experiments import stats
from imbalance_lab.experiments.compare.records import Record
from imbalance_lab.strategies.thresholds import TARGETED
from imbalance_lab.task import task_of_reported

#: Params that define the baseline (no rebalancing). A key a record's params lack counts as matching.
BASELINE = {
    "balance.method": "none",
    "train.class_weight": "none",
    "train.loss": "cross_entropy",
    "train.sampler": "shuffle",
}
DEFAULTS = CompareParams()  # rope and decision_probability when a caller gives none
SCOPE_SECTIONS = ("data", "embed")  # what must match the baseline for a comparison to mean anything


# -------------------------------------------------------------------------------------------- grouping
def strategy_key(params: dict) -> tuple:
    """Every stage param except ``seed``, as (name, value) pairs sorted by name."""
    stage_params = ((k, v) for k, v in params.items() if k != "seed" and k.split(".")[0] not in COMMAND_SECTIONS)
    return tuple(sorted(stage_params, key=lambda kv: kv[0]))


def group_by_strategy(records: list[Record]) -> dict[tuple, list[Record]]:
    """Successful records grouped by strategy_key (all params but seed); other states are skipped."""
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        if r.state == "success":
            groups[strategy_key(r.params)].append(r)
    return dict(groups)


def find_baseline(groups: dict, baseline: dict = BASELINE) -> tuple | None:
    """The group matching ``baseline``; among several, the one with the most records, then the one agreeing most
    with the most common values."""

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
    # the one with the most seeds (a one-off run must not become the reference), then the most typical params
    return max(cands, key=lambda c: (len(groups[c]), sum(mode.get(k) == v for k, v in c), str(c)))


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
    partial: bool = False  # fewer seeds than the sweep: shown, but outside tests, plot headline and "best"
    vs_baseline: dict | None = None  # paired by seed vs the untuned baseline (None on that row itself)
    vs_tuned_baseline: dict | None = None  # paired by seed vs the baseline's tuned row
    cv: dict | None = None  # Nadeau-Bengio vs the untuned baseline (untuned rows with per-fold data)
    trade_offs: dict = field(default_factory=dict)  # secondary metric -> vs the baseline at the same thresholds


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
    threshold_fits: list = field(default_factory=list)  # per strategy: thresholds fitted on val vs out-of-fold
    rope: float = DEFAULTS.rope
    decision_probability: float = DEFAULTS.decision_probability
    full_seeds: int = 0  # seeds of a complete row (the most any row has); rows with fewer are partial
    left_out: list = field(default_factory=list)  # "name (why)": experiments on other data or embedding
    rho: float = 0.0  # correlation of seed-paired differences (stats.split_correlation of the test share)
    resolution: dict | None = None  # what adding seeds can never resolve on this data set (data_set_resolution)
    rare_class: str | None = None  # the class (label) minority_recall is about, and its test rows (mean over seeds)
    rare_class_rows: float | None = None
    decision: dict | None = None  # a binary objective with a target: {"objective", "target", "maximised", "floor"}
    missing: dict = field(default_factory=dict)  # "i/N" share -> grid experiments absent (compare --pull)


def _seed_order(seed: Any) -> tuple:
    return (0, seed, "") if isinstance(seed, (int, float)) else (1, 0, str(seed))


#: Record-key prefix of each view: test.json, threshold.json "after" (the fit_on the params chose), and its
#: "after_val" / "after_oof" blocks, which threshold-tune writes side by side whatever fit_on is.
VIEW_PREFIX = {
    "untuned": "test.",
    "tuned": "tuned.",
    "fit_val": "tuned.after_val.",
    "fit_oof": "tuned.after_oof.",
    "fit_val_grid": "tuned.after_val_grid.",  # multi-label: the common fixed 0.3-0.8 grid on val
}


def _values(group: list[Record], view: str, metric: str) -> dict:
    prefix = VIEW_PREFIX[view]
    out = {}
    for r in group:
        v = r.metrics.get(prefix + metric)
        if v is None and view == "untuned":  # a binary decision's precision / recall at the untuned decision
            v = r.metrics.get("threshold.before." + metric)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[r.seed] = float(v)
    return out


@dataclass(frozen=True)
class Judge:
    """How one metric's paired differences are judged: its direction, the ROPE, the decision probability and
    the correlation of the differences."""

    lower: bool
    rope: float
    decide: float
    rho: float

    def paired(self, vals: dict, ref: dict) -> dict:
        """Differences paired by seed: the ROPE verdict, the posterior's 95% interval and the correlated t-test."""
        seeds = sorted((s for s in vals if s in ref), key=_seed_order)
        diffs = [vals[s] - ref[s] for s in seeds]
        d, t = stats.summarize(diffs), stats.corrected_ttest(diffs, self.rho)
        low, high = stats.posterior_interval(diffs, self.rho)
        return {
            **self.rope_fields(diffs, self.rho),
            "n_paired": len(seeds),
            "seeds": seeds,
            "mean_diff": d["mean"],
            "diff_std": d["std"],
            "diff_ci_low": low,
            "diff_ci_high": high,
            "test": "corrected_t",
            "statistic": t["t"],
            "p": t["p"],
            "lower_is_better": self.lower,
        }

    def rope_fields(self, diffs: list[float], rho: float, *, project: bool = True) -> dict:
        """The ROPE verdict of paired differences, oriented so that "better" means better; for an undecided one,
        whether more seeds could decide it (stats.seeds_needed)."""
        oriented = [-d for d in diffs] if self.lower else diffs
        probabilities = stats.rope_probabilities(oriented, self.rope, rho=rho)
        verdict = stats.rope_verdict(probabilities, self.decide)
        undecided = project and verdict == "undecided"
        projection = stats.seeds_needed(oriented, self.rope, self.decide, rho=rho) if undecided else None
        return {**probabilities, "verdict": verdict, "projection": projection}


def _cv_compare(group: list[Record], base: list[Record], metric: str, judge: Judge):
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
    mean_train, mean_test = sum(n_train) / len(n_train), sum(n_test) / len(n_test)
    nb = stats.nadeau_bengio_ttest(diffs, mean_train, mean_test)
    means = [sum(f) / len(f) for r in group if (f := r.metrics.get(f"cv.per_fold.{metric}"))]
    rho = mean_test / (mean_train + mean_test)  # overlapping training sets (Corani & Benavoli 2015)
    return {
        **judge.rope_fields(diffs, rho, project=False),  # J counts seeds x folds: no projection in seeds
        "metric": metric,
        "mean": stats.summarize(means)["mean"],
        "seeds": sorted(seeds, key=_seed_order),
        "J": len(diffs),
        "mean_diff": sum(diffs) / len(diffs),
        "t": nb["t"],
        "p": nb["p"],
        "df": nb["df"],
        "lower_is_better": judge.lower,
    }


def _threshold_fits(groups: dict, bkey: tuple, metric: str, judge: Judge) -> list[dict]:
    """Per strategy, the test metric over seeds with thresholds fitted on the validation split vs on the
    out-of-fold logits, paired by seed (OOF minus val): which fit is better, and which varies less."""
    fits = []
    for key, group in groups.items():
        val, oof = _values(group, "fit_val", metric), _values(group, "fit_oof", metric)
        if not val or not oof:
            continue
        fits.append(
            {
                "strategy": strategy_label(key, bkey),
                "untuned": stats.summarize(list(_values(group, "untuned", metric).values())),
                "fit_val": stats.summarize(list(val.values())),
                "fit_oof": stats.summarize(list(oof.values())),
                "oof_vs_val": judge.paired(oof, val),
            }
        )
        grid = _values(group, "fit_val_grid", metric)
        if grid:
            fits[-1]["fit_val_grid"] = stats.summarize(list(grid.values()))
            fits[-1]["oof_vs_grid"] = judge.paired(oof, grid)
    return fits


def _rare_class(records: list[Record]) -> str | None:
    names = Counter(str(r.metrics["test.minority_class"]) for r in records if "test.minority_class" in r.metrics)
    return names.most_common(1)[0][0] if names else None


def _rare_class_rows(records: list[Record]) -> float | None:
    """The mean number of test rows of the class minority_recall is about (None where the reports lack it)."""
    counts = []
    for r in records:
        name = r.metrics.get("test.minority_class")
        support = r.metrics.get(f"test.per_class.{name}.support") if name is not None else None
        if isinstance(support, (int, float)) and support > 0:
            counts.append(float(support))
    return sum(counts) / len(counts) if counts else None


def _trade_off_judges(metrics: list, primary: str, base: list[Record], judge: Judge, decision=None) -> dict:
    """A Judge per secondary metric compared as a trade-off, each with its own ROPE (metric_registry): a number,
    or one test row of the rare class (1 / its test rows) for its recall; with a binary decision, also the
    metric its target keeps up (judged with the primary's ROPE)."""
    judges = {}
    if decision and decision["floor"] != primary:
        judges[decision["floor"]] = Judge(lower_is_better(decision["floor"]), judge.rope, judge.decide, judge.rho)
    for name in metrics:
        rope = metric(name).trade_off_rope if name != primary else None
        if rope == ONE_TEST_ROW:
            rows = _rare_class_rows(base)
            rope = 1.0 / rows if rows else None
        if rope is not None:
            judges[name] = Judge(lower_is_better(name), float(rope), judge.decide, judge.rho)
    return judges


def data_set_resolution(rows: list, primary: str, judge: Judge) -> dict | None:
    """What adding seeds can never resolve on this data set: with the correlation rho, the posterior of a mean
    difference never narrows below spread * sqrt(rho / (1 - rho)), so a true difference closer than
    `value` to the ROPE's edge stays undecided however many seeds run (stats.resolution). The spread is the median
    of the complete rows' seed-paired differences from the baseline."""
    spreads = [
        r.vs_baseline["diff_std"]
        for r in rows
        if r.vs_baseline and not r.partial and not math.isnan(r.vs_baseline["diff_std"])
    ]
    if not spreads or judge.rho <= 0:
        return None
    spread = statistics.median(spreads)
    value = stats.resolution(spread, judge.rho, judge.decide)
    possible = value < judge.rope
    return {"metric": primary, "spread": spread, "rho": judge.rho, "value": value, "equivalence_possible": possible}


def _apply_holm(comps: list[dict], alpha: float) -> None:
    for c, p_adj in zip(comps, stats.holm([c["p"] for c in comps]), strict=True):
        c["p_holm"] = p_adj
        c["test_verdict"] = stats.verdict(c["mean_diff"], p_adj, alpha, lower_is_better=c["lower_is_better"])


def _in_scope(groups: dict, bkey: tuple) -> tuple[dict, list[str]]:
    """Groups on the baseline's data and embedding settings, and "name (why)" for the others."""
    base = {k: v for k, v in bkey if k.split(".")[0] in SCOPE_SECTIONS}
    kept, left_out = {}, []
    for key, group in groups.items():
        params = dict(key)
        differ = [f"{k}={params.get(k, '<unset>')}" for k in sorted(base) if str(params.get(k)) != str(base[k])]
        if differ:
            left_out += [f"{r.name} (other data or embedding: {', '.join(differ)})" for r in group]
        else:
            kept[key] = group
    return kept, left_out


def _describe(params: dict) -> str:
    src = params.get("data.source", "unknown")
    keys = (
        ("embed.backend", "embed.model")
        if params.get("embed.backend") == "sentence-transformers"
        else ("embed.backend",)
    )
    emb = " / ".join(str(params[k]) for k in keys if k in params)
    return f"{src} (embedding: {emb})" if emb else str(src)


DEGENERATE = "tuned.degenerate_labels."  # threshold-tune's labels kept untuned: no signal, or predicted on every row


def _degenerate_notes(groups: dict, bkey: tuple) -> list[str]:
    """Per strategy, the labels whose tuned threshold was no decision (label_thresholds.degenerate_labels) and so
    were kept at the untuned one: their 'gain' is in no tuned row."""
    notes = []
    for key, group in groups.items():
        flagged = Counter(k[len(DEGENERATE) :] for r in group for k in r.metrics if k.startswith(DEGENERATE))
        if flagged:
            labels = ", ".join(f"{name} ({n} of {len(group)} seeds)" for name, n in sorted(flagged.items()))
            notes.append(
                f"{strategy_label(key, bkey)}: labels kept at the untuned threshold (no signal, or tuned to "
                f"predict every row; their tuning is not counted as a gain): {labels}."
            )
    return notes


def decision_of(records: list[Record]) -> dict | None:
    """The binary decision the experiments tuned for (threshold.metric with a target), if they agree on one."""
    objectives = {(r.params.get("threshold.metric"), r.params.get("threshold.target")) for r in records}
    if len(objectives) != 1:
        return None
    ((objective, target),) = objectives
    if objective not in TARGETED:
        return None
    maximised, floor = TARGETED[objective]
    return {"objective": objective, "target": float(target), "maximised": maximised, "floor": floor}


def _split_rho(group: list[Record]) -> float:
    """rho of the baseline's seed-paired differences, from its test share (split.test_size, the default where a
    record's params do not say)."""
    shares = {float(r.params.get("split.test_size", SplitParams().test_size)) for r in group}
    return stats.split_correlation(max(shares))


def _check_inputs(records: list[Record], groups: dict, baseline: dict) -> tuple:
    """The baseline's group key; a UserError naming the problem when there is nothing to compare."""
    if not groups:
        found = ", ".join(f"{r.name} ({r.state})" for r in records)
        raise UserError(f"no successful experiment to compare; found: {found}")
    bkey = find_baseline(groups, baseline)
    if bkey is None:
        need = ", ".join(f"{k}={v}" for k, v in baseline.items())
        cmd = " ".join(f"-S {k}={v}" for k, v in baseline.items())
        raise UserError(f"no baseline experiment (params {need}); run one per seed, e.g. `dvc exp run {cmd} -S seed=0`")
    return bkey


def _check_primary(used: list[Record], primary: str) -> None:
    """The primary metric is in the reports (metrics/test.json, or a binary decision's) and has a direction."""
    if not any(f"test.{primary}" in r.metrics or f"threshold.before.{primary}" in r.metrics for r in used):
        numeric = {k for r in used for k, v in r.metrics.items() if isinstance(v, (int, float))}
        avail = sorted(k[5:] for k in numeric if k.startswith("test.") and k.count(".") == 1 and k != "test.seed")
        raise UserError(f"metric {primary!r} is not in metrics/test.json; available: {', '.join(avail)}")
    lower_is_better(primary)  # an unregistered metric has no direction: refuse rather than guess


def _rows(groups: dict, bkey: tuple, metrics: list, primary: str, judge: Judge, decision=None) -> list[Row]:
    """Two rows per strategy (untuned, tuned), each compared seed-paired with both baselines."""
    full = max(len(_values(g, "untuned", primary)) for g in groups.values())
    base = groups[bkey]
    trade_off_judges = _trade_off_judges(metrics, primary, base, judge, decision)
    metrics = list(dict.fromkeys([*metrics, *trade_off_judges]))
    ref = {view: {m: _values(base, view, m) for m in metrics} for view in ("untuned", "tuned")}
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
            summaries = {m: stats.summarize(list(v.values()), rho=judge.rho) for m, v in vals.items()}
            seeds, names = sorted(vals[primary], key=_seed_order), sorted(r.name for r in group)
            row = Row(title, label, view, is_base, dict(key), seeds, names, summaries, partial=len(seeds) < full)
            if not (is_base and view == "untuned"):
                row.vs_baseline = judge.paired(vals[primary], ref["untuned"][primary])
                same = ref["untuned" if is_base or not ref["tuned"][primary] else view]  # the same thresholds' baseline
                row.trade_offs = {m: j.paired(vals[m], same[m]) for m, j in trade_off_judges.items() if vals[m]}
            if ref["tuned"][primary] and not is_base:
                row.vs_tuned_baseline = judge.paired(vals[primary], ref["tuned"][primary])
            if view == "untuned" and not is_base:
                row.cv = _cv_compare(group, base, primary, judge)
            rows.append(row)
    return rows


def _order(r: Row, primary: str, lower: bool) -> tuple:
    """Best first on the primary metric's mean; rows short of seeds, and rows without the metric, last."""
    m = r.metrics[primary]["mean"]
    return (r.partial, math.isnan(m), (m if lower else -m) if not math.isnan(m) else 0.0, r.label)


def _notes(rows: list[Row], used: list[Record], groups: dict, bkey, primary: str) -> list[str]:
    notes = []
    if any(r.view == "untuned" and not r.is_baseline for r in rows) and not any(r.cv for r in rows):
        notes.append(f"No CV comparison: no seed-paired per-fold values (cv.json per_fold.{primary}).")
    notes += _degenerate_notes(groups, bkey)
    no_metric = sorted(r.name for r in used if not _values([r], "untuned", primary))
    if no_metric:
        notes.append(f"Without {primary} in metrics/test.json (not counted): {', '.join(no_metric)}.")
    return notes


def _by_state(records: list[Record]) -> dict[str, list[str]]:
    """The experiments that are not in the rows, by why: failed, not finished, or not counted."""
    return {
        "failed": [r.name for r in records if r.state == "failed"],
        "unfinished": [f"{r.name} ({r.state})" for r in records if r.state in ("queued", "running")],
        "not_counted": [
            f"{r.name} ({r.state}: {r.error})" if r.error else f"{r.name} ({r.state})"
            for r in records
            if r.state not in ("success", "failed", "queued", "running")
        ],
    }


def build_leaderboard(
    records: list[Record],
    *,
    metrics: tuple | None = None,
    primary: str | None = None,
    alpha: float = 0.05,
    baseline: dict = BASELINE,
    rope: float = DEFAULTS.rope,
    decision_probability: float = DEFAULTS.decision_probability,
) -> Leaderboard:
    """Rows per strategy x {untuned, tuned}; the primary metric compared seed-paired with the baselines.

    Holm families, each adjusted on its own: (1) every row vs the untuned baseline, (2) every row vs the
    baseline with tuned thresholds, (3) CV: each untuned strategy vs the untuned baseline with the
    Nadeau-Bengio corrected t-test, pooling all seed x fold differences as J = n_seeds * folds splits
    (the corrected repeated k-fold test of Bouckaert & Frank 2004). Rows are sorted best-first on the
    primary metric's mean (descending; ascending for lower-is-better metrics). The primary metric defaults to what
    the experiments' thresholds were tuned for: with a binary target (threshold.metric precision_at_recall /
    recall_at_precision) the metric it maximises, else macro_f1.
    """
    if not records:
        raise UserError("no experiments found; run some first, e.g. `dvc exp run -S seed=0`")
    # in a fixed order, not `dvc exp show`'s (it lists by time, which differs when experiments were pulled from
    # several machines): sums over seeds, and so near-tied rows, come out the same from any machine
    records = sorted(records, key=lambda r: (r.kind, r.name or "", r.rev or ""))
    if metrics is None:  # multi-label runs report micro-F1 and rare-label recall instead of balanced accuracy, mcc
        metrics = task_of_reported(key for r in records for key in r.metrics).metric_names("headline")
    groups = group_by_strategy(records)
    bkey = _check_inputs(records, groups, baseline)
    groups, left_out = _in_scope(groups, bkey)
    used = [r for g in groups.values() for r in g]
    decision = decision_of(groups[bkey])
    primary = primary or (decision["maximised"] if decision else "macro_f1")
    _check_primary(used, primary)
    metrics = list(dict.fromkeys([primary, *metrics]))
    lower = lower_is_better(primary)
    judge = Judge(lower, rope, decision_probability, _split_rho(groups[bkey]))
    rows = _rows(groups, bkey, metrics, primary, judge, decision)
    for attr in ("vs_baseline", "vs_tuned_baseline", "cv"):
        _apply_holm([getattr(r, attr) for r in rows if getattr(r, attr) and not r.partial], alpha)
    threshold_fits = _threshold_fits(groups, bkey, primary, judge)
    _apply_holm([f["oof_vs_val"] for f in threshold_fits], alpha)
    _apply_holm([f["oof_vs_grid"] for f in threshold_fits if "oof_vs_grid" in f], alpha)

    rows.sort(key=lambda r: _order(r, primary, lower))
    notes = _notes(rows, used, groups, bkey, primary)
    return Leaderboard(
        primary=primary,
        alpha=alpha,
        metrics=metrics,
        rows=rows,
        baseline=dict(baseline),
        dataset=_describe(dict(bkey)),
        seeds=sorted({r.seed for r in used}, key=_seed_order),
        **_by_state(records),
        notes=notes,
        threshold_fits=threshold_fits,
        rope=rope,
        decision_probability=decision_probability,
        full_seeds=max(len(r.seeds) for r in rows),
        left_out=left_out,
        rho=judge.rho,
        resolution=data_set_resolution(rows, primary, judge),
        rare_class=_rare_class(groups[bkey]),
        rare_class_rows=_rare_class_rows(groups[bkey]),
        decision=decision,
    )
