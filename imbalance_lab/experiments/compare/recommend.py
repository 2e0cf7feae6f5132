"""The recommendation at the top of the leaderboard, derived from the ROPE verdicts by the rule written in
docs/compare.md ("How the recommendation is made"). Only complete rows (every seed of the sweep) count."""

from __future__ import annotations

import math

from scipy import stats as sps

from imbalance_lab.evaluation.metric_registry import ONE_TEST_ROW, metric
from imbalance_lab.experiments import stats
from imbalance_lab.experiments.compare.leaderboard import Leaderboard, Row

MAX_UNDECIDED_NAMED = 3


def sweep_token(row: Row) -> str:
    """The row's strategy as `make sweep SWEEP_STRATEGIES` spells it: a bare balance.method, else key=value+..."""
    if row.strategy == "baseline":
        return "none"
    parts = row.strategy.split(", ")
    if len(parts) == 1 and parts[0].startswith("balance.method="):
        return parts[0].split("=", 1)[1]
    return "+".join(parts)


def _name(row: Row) -> str:
    return f"**{row.label}**"


def _pct(p: float) -> str:
    return f"{p:.2f}" if p < 0.995 or p == 1.0 else f"{p:.4f}"


def required_probability(lb: Leaderboard) -> tuple[float, int]:
    """The posterior probability a fix needs to be recommended, and the number of rows m it is chosen among:
    1 - (1 - decision_probability) / m (Bonferroni over the rows compared), so the best of m rows is not
    recommended for a probability that one of them would reach by luck (the winner's curse)."""
    m = sum(1 for r in lb.rows if r.vs_baseline and not r.partial)
    return 1.0 - (1.0 - lb.decision_probability) / max(m, 1), m


def _p_better_both(row: Row) -> float:
    """P(better) against the untuned baseline and, for a fix, against the baseline with tuned thresholds too."""
    p = row.vs_baseline["p_better"]
    if row.vs_tuned_baseline is not None:
        p = min(p, row.vs_tuned_baseline["p_better"])
    return p


def _decision(lb: Leaderboard, complete: list[Row], tuned_baseline: Row | None) -> list[str]:
    """The first sentences: what to deploy, and with what probability it beats both baselines."""
    p, need = lb.primary, required_probability(lb)
    shown = [r for r in complete if not math.isnan(_p_better_both(r)) and _p_better_both(r) >= need[0]]
    rows = "1 row" if need[1] == 1 else f"{need[1]} rows"
    rule = f"P ≥ {need[0]:.3f}: {lb.decision_probability} adjusted for {rows} compared"
    fixes = [r for r in shown if not r.is_baseline]
    if fixes:
        best = fixes[0]  # rows are sorted best-first on the primary metric
        tuned = f" and than the baseline with tuned thresholds (P = {_pct(best.vs_tuned_baseline['p_better'])})"
        return [
            f"Use {_name(best)}: better than the baseline by more than {lb.rope} {p} "
            f"(P = {_pct(best.vs_baseline['p_better'])}){tuned if best.vs_tuned_baseline else ''}; {rule}."
        ]
    if tuned_baseline is not None and tuned_baseline in shown:
        c = tuned_baseline.vs_baseline
        return [
            f"Keep the baseline and tune thresholds: {_name(tuned_baseline)} is better than the baseline by more "
            f"than {lb.rope} {p} (P = {_pct(c['p_better'])}; {rule}), and no fix is shown better than both."
        ]
    candidates = [r for r in complete if not math.isnan(_p_better_both(r))]
    best = max(candidates, key=_p_better_both, default=None)
    largest = f" (largest P(better) = {_pct(_p_better_both(best))}, {best.label}; {rule})" if best else ""
    tuned = f" (tuning its thresholds: {tuned_baseline.vs_baseline['verdict']})" if tuned_baseline else ""
    return [f"Keep the baseline{tuned}: no fix is shown better than both baselines{largest}."]


def _undecided(lb: Leaderboard, rows: list[Row]) -> list[str]:
    """Undecided rows: those that cannot be better, those no number of seeds would decide on this data set, and
    those more seeds might decide (with the make sweep line; the projection is rough, docs/compare.md)."""
    out = []
    rows = sorted(rows, key=lambda r: -r.vs_baseline["p_better"])
    hopeless = [r for r in rows if r.vs_baseline["p_better"] < 1.0 - lb.decision_probability]
    projection = {id(r): r.vs_baseline["projection"] or {} for r in rows}
    stuck = [r for r in rows if projection[id(r)].get("decidable") is False]
    if stuck:
        out.append(
            f"Not decidable on this data set, however many seeds run: {', '.join(r.label for r in stuck)} "
            "(more data or a wider ROPE would decide them)."
        )
    hopeless = [r for r in hopeless if r not in stuck]
    if hopeless:
        out.append(
            f"Not better, undecided between equivalent and worse: {', '.join(r.label for r in hopeless)} "
            f"(P better < {1.0 - lb.decision_probability:.2f})."
        )
    possible = [r for r in rows if r not in stuck and r not in hopeless][:MAX_UNDECIDED_NAMED]
    if possible:
        listed = ", ".join(f"{r.label} (P better {_pct(r.vs_baseline['p_better'])})" for r in possible)
        out.append(f"Undecided, possibly better: {listed}.")
    decidable = [r for r in possible if projection[id(r)].get("seeds")]
    if decidable:
        total = max(projection[id(r)]["seeds"] for r in decidable)
        start = max((s for s in lb.seeds if isinstance(s, int)), default=-1) + 1
        stop = start + max(total - lb.full_seeds, 1) - 1
        new = " ".join(map(str, range(start, stop + 1))) if stop - start < 10 else f"$(seq -s ' ' {start} {stop})"
        tokens = " ".join(dict.fromkeys(["none", *(sweep_token(r) for r in decidable)]))
        command = "make sweep SWEEP_STRATEGIES='" + tokens + "' SWEEP_SEEDS=\"" + new + '"'
        out.append(
            f"About {total} seeds in all might decide {', '.join(r.label for r in decidable)} (a rough projection, "
            f"about a coin flip: docs/compare.md): `{command}`."
        )
    return out


def trade_off_phrase(lb: Leaderboard, row: Row, name: str, *, decided_only: bool = True) -> str | None:
    """ "minority_recall (ABBR) +0.060 [-0.050, +0.170], about 1 of the 17 test rows (undecided)"; None when
    decided_only and the trade-off's verdict is not better or worse."""
    c = row.trade_offs.get(name)
    verdict = c["verdict"] if c else None
    if c and lb.decision and name == lb.decision["floor"] and verdict == "worse":
        target, base = lb.decision["target"], baseline_mean(lb, row, name)
        if row.metrics[name]["mean"] >= target and base is not None and base >= target:  # the user's own bar
            verdict = f"lower, both above the {target} target"
    if not c or (decided_only and verdict not in ("better", "worse")):
        return None
    what, units, rows = name, "", lb.rare_class_rows
    if metric(name).trade_off_rope == ONE_TEST_ROW and rows and not math.isnan(c["mean_diff"]):
        what = f"{name} ({lb.rare_class})" if lb.rare_class else name
        units = f", about {abs(c['mean_diff']) * rows:.0f} of the {rows:.0f} test rows"
    low, high = c["diff_ci_low"], c["diff_ci_high"]
    interval = f" [{low:+.3f}, {high:+.3f}]" if not math.isnan(low) else ""
    return f"{what} {c['mean_diff']:+.3f}{interval}{units} ({verdict})"


def baseline_mean(lb: Leaderboard, row: Row, name: str) -> float | None:
    """The mean of the baseline row a row's trade-offs are paired with (the same thresholds)."""
    view = "untuned" if row.is_baseline else row.view
    base = next((r for r in lb.rows if r.is_baseline and r.view == view), None)
    return base.metrics[name]["mean"] if base is not None and name in base.metrics else None


def _trade_offs(lb: Leaderboard, rows: list[Row]) -> list[str]:
    out = []
    for row in rows:
        changes = [phrase for name in row.trade_offs if (phrase := trade_off_phrase(lb, row, name))]
        if changes:
            out.append(f"{row.label}: {', '.join(changes)}")
    return out


def resolution_line(lb: Leaderboard) -> str | None:
    """What seeds can and cannot resolve on this data set (leaderboard.data_set_resolution)."""
    res = lb.resolution
    if not res:
        return None
    x, p = res["value"], lb.primary
    line = (
        f"On this data set, differences smaller than about {x:.3f} {p} cannot be resolved by adding seeds (more "
        f"data or a wider ROPE would): seeds re-split one data set (rho = {res['rho']:.2f}, the test share), so a "
        f"fix is called better, however many seeds run, only when it is truly more than about {lb.rope + x:.3f} "
        "better than the baseline"
    )
    if res["equivalence_possible"]:
        return line + f", and equivalent only when truly within about ±{lb.rope - x:.3f}."
    return line + f"; no fix can be shown equivalent within ±{lb.rope} (the floor {x:.3f} is as wide as the ROPE)."


def detectable_difference(lb: Leaderboard) -> float | None:
    """About how much better than the baseline a fix must truly be for this sweep to call it better: ROPE plus
    the one-sided t margin of the correlated posterior at the median spread and this many seeds."""
    res, n = lb.resolution, lb.full_seeds
    if not res or n < 2:
        return None
    return lb.rope + sps.t.ppf(lb.decision_probability, n - 1) * stats.mean_scale(res["spread"], n, res["rho"])


def recommendation(lb: Leaderboard) -> str:
    complete = [r for r in lb.rows if not r.partial and r.vs_baseline]
    tuned_baseline = next((r for r in complete if r.is_baseline and r.view == "tuned"), None)
    by_verdict = {v: [r for r in complete if r.vs_baseline["verdict"] == v] for v in stats.VERDICTS}
    out = _decision(lb, complete, tuned_baseline)
    for verdict, phrase in (
        ("better", "Better than the baseline (each at P ≥ {}, not adjusted)"),
        ("equivalent", "Equivalent to the baseline"),
        ("worse", "Worse than the baseline"),
    ):
        rows = [r for r in by_verdict[verdict] if r is not tuned_baseline or verdict == "better"]
        if rows:
            out.append(f"{phrase.format(lb.decision_probability)}: {', '.join(r.label for r in rows)}.")
    out += _undecided(lb, by_verdict["undecided"])
    trades = _trade_offs(lb, [r for r in complete if r.vs_baseline["verdict"] != "worse"])
    if trades:
        out.append("Trade-offs vs the baseline (decided ones only): " + "; ".join(trades) + ".")
    delta = detectable_difference(lb)
    if delta is not None:
        out.append(
            f"With {lb.full_seeds} seeds and the spread seen here, a fix would have to be about {delta:.3f} "
            f"{lb.primary} better than the baseline to be called better."
        )
    return " ".join(out)
