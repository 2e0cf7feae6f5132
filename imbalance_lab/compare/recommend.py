"""The recommendation at the top of the leaderboard, derived from the ROPE verdicts by the rule written in
docs/compare.md ("How the recommendation is made"). Only complete rows (every seed of the sweep) count."""

from __future__ import annotations

import math
import statistics

from scipy import stats as sps

from imbalance_lab import stats
from imbalance_lab.compare.leaderboard import Leaderboard, Row

SECONDARY = ("minority_recall", "ece")  # trade-offs a practitioner acts on
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
    return f"{p:.2f}"


def _trade_offs(lb: Leaderboard, rows: list[Row], baseline: Row) -> list[str]:
    out = []
    for row in rows:
        changes = []
        for metric in SECONDARY:
            if metric not in row.metrics or metric not in baseline.metrics:
                continue
            mine, theirs = row.metrics[metric]["mean"], baseline.metrics[metric]["mean"]
            if math.isnan(mine) or math.isnan(theirs) or abs(mine - theirs) <= lb.rope:
                continue
            lower = metric in stats.LOWER_IS_BETTER
            word = "better" if (mine < theirs) == lower else "worse"
            changes.append(f"{metric} {mine:.3f} vs {theirs:.3f} ({word})")
        if changes:
            out.append(f"{row.label}: {', '.join(changes)}")
    return out


def detectable_difference(lb: Leaderboard) -> float | None:
    """About how much better than the baseline a fix must truly be for this sweep to call it better: ROPE plus
    the one-sided 95% t margin of a mean of n paired differences at the median spread observed."""
    spreads = [
        row.vs_baseline["diff_std"]
        for row in lb.rows
        if row.vs_baseline and not row.partial and not math.isnan(row.vs_baseline["diff_std"])
    ]
    n = lb.full_seeds
    if not spreads or n < 2:
        return None
    return lb.rope + sps.t.ppf(lb.decision_probability, n - 1) * statistics.median(spreads) / math.sqrt(n)


def recommendation(lb: Leaderboard) -> str:
    p, rope = lb.primary, lb.rope
    complete = [r for r in lb.rows if not r.partial and r.vs_baseline]
    baseline = next((r for r in lb.rows if r.is_baseline and r.view == "untuned"), None)
    tuned_baseline = next((r for r in complete if r.is_baseline and r.view == "tuned"), None)
    by_verdict = {v: [r for r in complete if r.vs_baseline["verdict"] == v] for v in stats.VERDICTS}
    better = by_verdict["better"]
    out = []
    if better:
        best = better[0]  # rows are sorted best-first on the primary metric
        c = best.vs_baseline
        if best is tuned_baseline:
            out.append(
                f"Keep the baseline and tune thresholds: {_name(best)} is better than the baseline by more than "
                f"{rope} {p} (P = {_pct(c['p_better'])}), and no fix beats it."
            )
        else:
            out.append(
                f"Use {_name(best)}: better than the baseline by more than {rope} {p} (P = {_pct(c['p_better'])})."
            )
            vt = best.vs_tuned_baseline
            if vt and vt["verdict"] != "better":
                out.append(f"Against the baseline with tuned thresholds alone it is {vt['verdict']}.")
    else:
        tuned = f" (tuning its thresholds: {tuned_baseline.vs_baseline['verdict']})" if tuned_baseline else ""
        out.append(f"Keep the baseline{tuned}: no fix is better by more than {rope} {p}.")
    for verdict, phrase in (("equivalent", "Equivalent to the baseline"), ("worse", "Worse than the baseline")):
        rows = [r for r in by_verdict[verdict] if r is not tuned_baseline]
        if rows:
            out.append(f"{phrase}: {', '.join(r.label for r in rows)}.")
    undecided = sorted(by_verdict["undecided"], key=lambda r: -r.vs_baseline["p_better"])
    hopeless = [r for r in undecided if r.vs_baseline["p_better"] < 1.0 - lb.decision_probability]
    undecided = [r for r in undecided if r not in hopeless]
    if hopeless:
        out.append(
            f"Not better, undecided between equivalent and worse: {', '.join(r.label for r in hopeless)} "
            f"(P better < {1.0 - lb.decision_probability:.2f}; more seeds would only settle which)."
        )
    if undecided:
        named = undecided[:MAX_UNDECIDED_NAMED]
        more = f" and {len(undecided) - len(named)} more" if len(undecided) > len(named) else ""
        listed = ", ".join(f"{r.label} (P better {_pct(r.vs_baseline['p_better'])})" for r in named)
        out.append(f"Undecided, possibly better: {listed}{more}.")
        decidable = [r for r in named if r.vs_baseline["seeds_needed"] is not None]
        at_edge = [r for r in named if r.vs_baseline["seeds_needed"] is None]
        if decidable:
            total = max(r.vs_baseline["seeds_needed"] for r in decidable)
            start = max((s for s in lb.seeds if isinstance(s, int)), default=-1) + 1
            stop = start + max(total - lb.full_seeds, 1) - 1
            new = " ".join(map(str, range(start, stop + 1))) if stop - start < 10 else f"$(seq -s ' ' {start} {stop})"
            tokens = " ".join(dict.fromkeys(["none", *(sweep_token(r) for r in decidable)]))
            command = "make sweep SWEEP_STRATEGIES='" + tokens + "' SWEEP_SEEDS=\"" + new + '"'
            out.append(f"About {total} seeds would likely decide {', '.join(r.label for r in decidable)}: `{command}`.")
        if at_edge:
            out.append(
                f"{', '.join(r.label for r in at_edge)}: even {stats.MAX_SEEDS_PROJECTED} seeds would likely not "
                f"decide (the mean difference sits at the ROPE's edge): in practice no better than {rope}."
            )
    if baseline is not None:
        trades = _trade_offs(lb, [*better, *by_verdict["equivalent"]], baseline)
        if trades:
            out.append("Trade-offs vs the baseline: " + "; ".join(trades) + ".")
    delta = detectable_difference(lb)
    if delta is not None:
        out.append(
            f"With {lb.full_seeds} seeds and the spread seen here, a fix would have to be about {delta:.3f} {p} "
            "better than the baseline to be called better."
        )
    return " ".join(out)
