"""Leaderboard reports: JSON for tools, Markdown for people (with a generated plain-language reading), PNG."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from imbalance_lab import stats
from imbalance_lab.compare.leaderboard import Leaderboard, Row


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


def _mean_std(s: dict) -> str:
    return _f(s["mean"]) if math.isnan(s["std"]) else f"{_f(s['mean'])} ± {_f(s['std'])}"


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
    if lb.threshold_fits:
        lines += ["", f"## Thresholds fitted on validation vs out-of-fold ({p} on test, mean ± std over seeds)", ""]
        lines += [
            "Both fits are computed in every experiment (metrics/threshold.json `after_val`, `after_oof`); the "
            "tuned rows above use the one `threshold.fit_on` chose. Δ = OOF minus val, paired by seed, "
            "Holm-adjusted over the strategies.",
            "",
            "| Strategy | untuned | fitted on val | fitted out-of-fold | Δ (OOF − val) | p raw / Holm | verdict |",
            "|---" * 7 + "|",
        ]
        for f in lb.threshold_fits:
            c = f["oof_vs_val"]
            cells = [f["strategy"]] + [_mean_std(f[k]) for k in ("untuned", "fit_val", "fit_oof")]
            cells += [_f(c["mean_diff"], sign=True), f"{_p(c['p'])} / {_p(c['p_holm'])}", c["verdict"]]
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
