"""Leaderboard reports: JSON for tools, Markdown for people (with a generated plain-language reading), PNG."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from imbalance_lab.evaluation.metric_registry import lower_is_better
from imbalance_lab.experiments.compare.leaderboard import Leaderboard, Row
from imbalance_lab.experiments.compare.recommend import recommendation, resolution_line, trade_off_phrase


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
    out = _clean(asdict(lb))
    if not out["missing"]:  # only a grid-checked leaderboard with holes says so: complete ones stay as they were
        del out["missing"]
    return out


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


def _probabilities(c: dict) -> str:
    if math.isnan(c["p_better"]):
        return "—"
    return f"{c['p_better']:.2f} / {c['p_equivalent']:.2f} / {c['p_worse']:.2f}"


def _seeds_cell(c: dict) -> str:
    projection = c.get("projection") or {}
    if c["verdict"] != "undecided" or projection.get("decidable") is None:
        return ""
    if projection["decidable"] is False:
        return "not decidable on this data set"
    return f"~{projection['seeds']}"


def _diff(c: dict) -> str:
    """The mean difference with its 95% posterior interval, at the values' precision."""
    if math.isnan(c["diff_ci_low"]):
        return _f(c["mean_diff"], sign=True)
    return f"{_f(c['mean_diff'], sign=True)} [{_f(c['diff_ci_low'], sign=True)}, {_f(c['diff_ci_high'], sign=True)}]"


def _verdict_cells(c: dict | None) -> list[str]:
    if c is None:
        return ["reference", "", "", ""]
    return [_diff(c), _probabilities(c), f"**{c['verdict']}**", _seeds_cell(c)]


def _test_cells(c: dict | None) -> list[str]:
    if c is None:
        return ["", "", ""]
    return [str(c["n_paired"]), f"{_p(c['p'])} / {_p(c.get('p_holm', math.nan))}", c.get("test_verdict", "not tested")]


def _names(rows: list[Row]) -> str:
    return "; ".join(f"**{r.label}**" for r in rows)


def decision_line(decision: dict) -> str:
    objective, target = decision["objective"], decision["target"]
    return (
        f"- Decision tuned for: the positive class's {decision['maximised']} with {decision['floor']} ≥ {target} "
        f"(`threshold.metric: {objective}`, `threshold.target: {target}`); the primary metric is that "
        f"{decision['maximised']}, and a {decision['floor']} that stays above the target is not called worse"
    )


def reading_paragraph(lb: Leaderboard) -> str:
    """Plain-language summary generated from the leaderboard's numbers."""
    p, a = lb.primary, lb.alpha
    best = next((r for r in lb.rows if not r.partial), lb.rows[0])
    s = best.metrics[p]
    ci = f"95% CI {_f(s['ci_low'])} to {_f(s['ci_high'])}"
    out = [f"Highest mean {p}: **{best.label}** ({_f(s['mean'])}, {ci})."]
    others = [r for r in lb.rows if not r.is_baseline]
    better = [r for r in lb.rows if r.vs_baseline and r.vs_baseline.get("test_verdict") == "better"]
    worse = [r for r in lb.rows if r.vs_baseline and r.vs_baseline.get("test_verdict") == "worse"]
    if better:
        out.append(f"Better than the untuned baseline at alpha {a} (Holm-adjusted): {_names(better)}.")
    else:
        out.append(f"No row beat the untuned baseline at alpha {a} (Holm-adjusted).")
    if worse:
        out.append(f"Worse than the untuned baseline: {_names(worse)}.")
    bt = next((r for r in lb.rows if r.is_baseline and r.view == "tuned" and not r.partial), None)
    if bt is not None and bt.vs_baseline:
        c = bt.vs_baseline
        out.append(
            f"Tuning the thresholds of the baseline alone changed {p} by {_f(c['mean_diff'], sign=True)} "
            f"({c['test_verdict']}, p Holm {_p(c['p_holm'])})."
        )
        beat = [r for r in others if r.vs_tuned_baseline and r.vs_tuned_baseline.get("test_verdict") == "better"]
        if beat:
            out.append(f"Better than the baseline with tuned thresholds: {_names(beat)}.")
        elif others:
            out.append(f"No strategy beat the baseline with tuned thresholds at alpha {a}.")
    cvb = [r for r in lb.rows if r.cv and r.cv.get("test_verdict") == "better"]
    if any(r.cv for r in lb.rows):
        what = f"better than the baseline: {_names(cvb)}" if cvb else "no strategy better than the baseline"
        out.append(f"Cross-validation (Nadeau-Bengio, alpha {a}): {what}.")
    if any(r.vs_baseline and r.vs_baseline["n_paired"] < 2 for r in lb.rows):
        out.append("Rows with fewer than 2 seeds shared with the baseline could not be tested.")
    return " ".join(out)


def missing_phrase(missing: dict) -> str:
    """ "3 experiments of the grid missing": how many of a grid-checked leaderboard's experiments are absent."""
    count = sum(len(names) for names in missing.values())
    return f"{count} experiment{'s' * (count != 1)} of the grid missing"


def missing_line(missing: dict) -> str:
    """The grid's absent experiments by share: a lost share is named, never ranked as if complete."""
    parts = [f"share {share}: {', '.join(names)}" for share, names in missing.items()]
    return (
        f"**Incomplete: {missing_phrase(missing)}** (failed, still running or never pushed; every number below is "
        f"without them). {'; '.join(parts)}."
    )


def write_markdown(lb: Leaderboard, path: str | Path, *, dataset: str | None = None, notes=()) -> None:
    sections = (
        _head(lb, dataset),
        _verdict_table(lb),
        _test_table(lb),
        _metric_table(lb),
        _trade_off_table(lb),
        _cv_table(lb),
        _threshold_fit_tables(lb),
        _not_counted(lb, notes),
    )
    Path(path).write_text("\n".join(line for section in sections for line in section) + "\n")


def _head(lb: Leaderboard, dataset: str | None) -> list[str]:
    """Title, what is missing or unresolvable, the recommendation and the set-up."""
    p = lb.primary
    direction = "lower is better" if lower_is_better(p) else "higher is better"
    n_tests = sum(1 for r in lb.rows if r.vs_baseline)
    return [
        "# Class-imbalance strategies: leaderboard",
        "",
        *([missing_line(lb.missing), ""] if lb.missing else []),
        *([resolution_line(lb), ""] if lb.resolution else []),
        "## Recommendation",
        "",
        recommendation(lb),
        "",
        "## Set-up",
        "",
        f"- Data set: {dataset or lb.dataset}",
        f"- Seeds: {len(lb.seeds)} ({', '.join(map(str, lb.seeds))}); rows: {len(lb.rows)}",
        f"- Primary metric: `{p}` ({direction}); alpha = {lb.alpha}",
        *([decision_line(lb.decision)] if lb.decision else []),
        "- Baseline: " + ", ".join(f"`{k}={v}`" for k, v in lb.baseline.items()) + ", default thresholds",
        f"- Verdicts: region of practical equivalence ±{lb.rope} {p} (`compare.rope`), decided at posterior "
        f"probability ≥ {lb.decision_probability} (`compare.decision_probability`); rows with fewer than "
        f"{lb.full_seeds} seeds are partial (shown, not tested, never recommended)",
        f"- Seeds re-split one data set, so their paired differences are correlated: every comparison uses rho = "
        f"{lb.rho:.2f} (the test split's share; docs/compare.md), in the verdicts, their intervals and the tests",
        f"- Tests: differences paired by seed, the correlated (Nadeau-Bengio) t-test; p-values Holm-adjusted "
        f"over the {n_tests} comparisons with the untuned baseline (and, separately, those with the tuned "
        "baseline and the CV comparisons). CV: the same test over seed × fold differences (rho = 1/folds).",
        "- Untuned = metrics/test.json; tuned = metrics/threshold.json `after` (thresholds fitted off test).",
    ]


def _verdict_table(lb: Leaderboard) -> list[str]:
    p = lb.primary
    has_tuned_ref = any(r.is_baseline and r.view == "tuned" for r in lb.rows)
    lines = [
        "",
        f"## Verdicts ({p}, mean [95% CI, rho {lb.rho:.2f}] over seeds; ROPE ±{lb.rope}, decided at P ≥ "
        f"{lb.decision_probability})",
        "",
        "Δ = mean difference paired by seed [95% interval of the correlated posterior]. P = posterior probability "
        "that the strategy is better by more than the ROPE / within it / worse by more than it (correlated "
        "Bayesian t-test; docs/compare.md). Seeds to decide: the seeds in all that might decide an undecided row, "
        "a rough projection (in the population simulation about half of such rows were decided there); "
        '"not decidable on this data set": even unlimited seeds would decide it with a chance below 0.1.',
        "",
        f"| # | Strategy | n | {p} | Δ vs baseline | P better / equiv / worse | verdict | seeds to decide "
        "| Δ vs tuned baseline | P better / equiv / worse | verdict | seeds to decide |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(lb.rows, 1):
        label = f"{r.label} (partial: {len(r.seeds)} of {lb.full_seeds} seeds)" if r.partial else r.label
        cells = [str(i), label, str(len(r.seeds)), _ci(r.metrics[p])]
        cells += _verdict_cells(r.vs_baseline)
        if not has_tuned_ref or (r.is_baseline and r.view == "untuned"):
            cells += ["—", "", "", ""]
        else:
            cells += _verdict_cells(r.vs_tuned_baseline)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _test_table(lb: Leaderboard) -> list[str]:
    lines = [
        "",
        "## Reading the frequentist tests",
        "",
        "They answer another question (is there any difference at all?), so they stay beside the verdicts. "
        + reading_paragraph(lb),
        "",
        "| Strategy | pairs | p raw / Holm | test verdict | pairs (vs tuned) | p raw / Holm | test verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in lb.rows:
        tuned = [] if (r.is_baseline and r.view == "untuned") else _test_cells(r.vs_tuned_baseline)
        lines.append("| " + " | ".join([r.label, *_test_cells(r.vs_baseline), *(tuned or ["", "", ""])]) + " |")
    return lines


def _metric_table(lb: Leaderboard) -> list[str]:
    arrows = [f"{m} {'↓' if lower_is_better(m) else '↑'}" for m in lb.metrics]
    lines = [
        "",
        f"## All metrics (mean ± 95% CI half-width, rho {lb.rho:.2f})",
        "",
        "| Strategy | " + " | ".join(arrows) + " |",
        "|---" * (len(lb.metrics) + 1) + "|",
    ]
    for r in lb.rows:
        cells = []
        for m in lb.metrics:
            s = r.metrics[m]
            half = "" if math.isnan(s["ci_high"]) else f" ± {_f(s['ci_high'] - s['mean'])}"
            cells.append(f"{_f(s['mean'])}{half}")
        lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    return lines


def _cv_table(lb: Leaderboard) -> list[str]:
    cv_rows = [r for r in lb.rows if r.cv]
    if not cv_rows:
        return []
    lines = [
        "",
        f"## Cross-validation ({lb.primary}, Nadeau-Bengio vs baseline)",
        "",
        "Verdict: the correlated Bayesian t-test (rho = held-out share of a fold) over all seed × fold "
        "differences; p: Nadeau-Bengio corrected t-test, Holm-adjusted.",
        "",
        "| Strategy | seeds × folds (J) | CV mean | Δ | P better / equiv / worse | verdict | t | p raw / Holm "
        "| test verdict |",
        "|---" * 9 + "|",
    ]
    for r in cv_rows:
        c = r.cv
        cells = [r.label, str(c["J"]), _f(c["mean"]), _f(c["mean_diff"], sign=True), _probabilities(c)]
        cells += [f"**{c['verdict']}**", _f(c["t"], 2), f"{_p(c['p'])} / {_p(c.get('p_holm', math.nan))}"]
        cells += [c.get("test_verdict", "not tested")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _threshold_fit_tables(lb: Leaderboard) -> list[str]:
    """Thresholds fitted on validation vs out-of-fold, and (multi-label) out-of-fold vs the fixed grid."""
    p, lines = lb.primary, []
    if lb.threshold_fits:
        lines += ["", f"## Thresholds fitted on validation vs out-of-fold ({p} on test, mean ± std over seeds)", ""]
        lines += [
            "Both fits are computed in every experiment (metrics/threshold.json `after_val`, `after_oof`); the "
            "tuned rows above use the one `threshold.fit_on` chose. Δ = OOF minus val, paired by seed, "
            "Holm-adjusted over the strategies.",
            "",
            "| Strategy | untuned | fitted on val | fitted out-of-fold | Δ (OOF − val) | verdict (ROPE) "
            "| p raw / Holm | test verdict |",
            "|---" * 8 + "|",
        ]
        for f in lb.threshold_fits:
            c = f["oof_vs_val"]
            cells = [f["strategy"]] + [_mean_std(f[k]) for k in ("untuned", "fit_val", "fit_oof")]
            cells += [_f(c["mean_diff"], sign=True), c["verdict"], f"{_p(c['p'])} / {_p(c['p_holm'])}"]
            cells += [c["test_verdict"]]
            lines.append("| " + " | ".join(cells) + " |")
    grids = [f for f in lb.threshold_fits if "oof_vs_grid" in f]
    if grids:
        lines += ["", f"## Out-of-fold thresholds vs the common fixed grid ({p} on test, mean ± std over seeds)"]
        lines += [
            "",
            "The grid: each label's probability threshold picked from 0.30, 0.35, ..., 0.80 by its F1 on the "
            "validation split (metrics/threshold.json `after_val_grid`). Δ = OOF minus grid, paired by seed, "
            "Holm-adjusted over the strategies.",
            "",
            "| Strategy | fixed grid on val | fitted out-of-fold | Δ (OOF − grid) | verdict (ROPE) | p raw / Holm "
            "| test verdict |",
            "|---" * 7 + "|",
        ]
        for f in grids:
            c = f["oof_vs_grid"]
            cells = [f["strategy"], _mean_std(f["fit_val_grid"]), _mean_std(f["fit_oof"])]
            cells += [_f(c["mean_diff"], sign=True), c["verdict"], f"{_p(c['p'])} / {_p(c['p_holm'])}"]
            lines.append("| " + " | ".join(cells + [c["test_verdict"]]) + " |")
    return lines


def _not_counted(lb: Leaderboard, notes) -> list[str]:
    lines = ["", "## Experiments not counted", ""]
    lines.append(f"- Failed experiments: {', '.join(lb.failed) if lb.failed else 'none'}")
    lines.append(f"- Unfinished (queued/running): {', '.join(lb.unfinished) if lb.unfinished else 'none'}")
    if lb.not_counted:
        lines.append(f"- Skipped: {'; '.join(lb.not_counted)}")
    if lb.left_out:
        lines.append(f"- Left out (not comparable with the baseline): {'; '.join(lb.left_out)}")
    return lines + [f"- {n}" for n in [*lb.notes, *notes]]


def _trade_off_table(lb: Leaderboard) -> list[str]:
    """Secondary metrics paired with the untuned baseline, each with its own ROPE (docs/compare.md)."""
    names = list(dict.fromkeys(m for r in lb.rows for m in r.trade_offs))
    if not names:
        return []
    lines = [
        "",
        "## Trade-offs vs the baseline (paired by seed, each metric with its own ROPE)",
        "",
        "Δ [95% interval of the correlated posterior] (verdict); better/worse only when decided at P ≥ "
        f"{lb.decision_probability}.",
        "",
        "| Strategy | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for r in lb.rows:
        if r.trade_offs:
            cells = [trade_off_phrase(lb, r, m, decided_only=False) or "" for m in names]
            lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    return lines


VERDICT_COLOURS = {
    "better": "tab:green",
    "equivalent": "tab:blue",
    "worse": "tab:red",
    "undecided": "tab:orange",
    "insufficient data": "tab:gray",
}


def plot_leaderboard(lb: Leaderboard, path: str | Path) -> None:
    """Paired differences vs the untuned baseline, one line per complete row: mean and 95% interval over seeds,
    the ROPE shaded, colour by verdict. Partial rows are left out (counted in the title). Legend below the axes,
    clear of the data."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    p = lb.primary
    drawable = [r for r in lb.rows if r.vs_baseline and not math.isnan(r.vs_baseline["mean_diff"])]
    rows = [r for r in drawable if not r.partial]
    partial = len(drawable) - len(rows)
    n = max(len(rows), 1)
    fig = Figure(figsize=(11, 1.9 + 0.38 * n), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.axvspan(-lb.rope, lb.rope, color="0.85", zorder=0)
    floor = lb.resolution["value"] if lb.resolution else 0.0
    for edge in (-lb.rope - floor, lb.rope + floor) if floor else ():  # beyond these, enough seeds can decide
        ax.axvline(edge, color="0.45", lw=0.9, ls="--", zorder=1)
    ax.axvline(0.0, color="black", lw=0.8, zorder=1)
    for i, r in enumerate(rows):
        c = r.vs_baseline
        y = n - 1 - i
        low = c["diff_ci_low"] if not math.isnan(c["diff_ci_low"]) else c["mean_diff"]
        high = c["diff_ci_high"] if not math.isnan(c["diff_ci_high"]) else c["mean_diff"]
        colour = VERDICT_COLOURS[c["verdict"]]
        marker = "s" if r.view == "tuned" else "o"
        ax.plot([low, high], [y, y], color=colour, lw=2, zorder=2)
        ax.plot([c["mean_diff"]], [y], marker=marker, color=colour, ms=7, zorder=3)
    labels = []
    for r in rows:
        name = (r.label[:64] + "…") if len(r.label) > 65 else r.label
        labels.append(f"{name} (n={r.vs_baseline['n_paired']})")
    ax.set_yticks(range(n - 1, n - 1 - len(rows), -1))
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(f"Δ {p} vs baseline, paired by seed (mean, 95% interval with rho = {lb.rho:.2f})")
    left_out = f"; {partial} partial row(s) with fewer seeds not drawn" if partial else ""
    fig.suptitle(f"Verdicts at ROPE ±{lb.rope}, P ≥ {lb.decision_probability}{left_out}", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color="0.85", label=f"ROPE ±{lb.rope}")]
    if floor:
        handles.append(Line2D([], [], color="0.45", lw=0.9, ls="--", label=f"ROPE ± resolution ({floor:.3f})"))
    shown = {r.vs_baseline["verdict"] for r in rows}
    handles += [Line2D([], [], color=col, lw=2, label=v) for v, col in VERDICT_COLOURS.items() if v in shown]
    handles += [
        Line2D([], [], marker="o", color="black", ls="", label="default thresholds"),
        Line2D([], [], marker="s", color="black", ls="", label="tuned thresholds"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize="small", frameon=False)
    fig.savefig(path, format="png", dpi=110)
