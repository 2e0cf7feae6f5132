"""compare: leaderboard of class-imbalance strategies over DVC experiments (seeds paired).

    python -m commands.compare [--metric macro_f1] [--alpha 0.05] [--out reports] [--rev COMMIT] [--exp-show-json FILE]

Reads ``dvc exp show --json`` (run here, or a saved copy), groups experiments by every param except
``seed``, compares each strategy with the baseline, and writes reports/leaderboard.{md,json,png} (for a data source
other than the built-in TREC-6, reports/<data file stem>/: never over the committed example). When run
live it also reads each experiment's whole reports, metrics/full/*.json (``git show <rev>:<path>``, falling
back to ``dvc.api.read``): the metrics files ``dvc exp show`` reads hold only the headline numbers.
Errors: one line on stderr, exit 2, previous reports left untouched.

After a sweep over several machines (``make sweep SWEEP_SHARD=i/N SWEEP_PUSH=origin`` on each):

    python -m commands.compare --pull origin --shards N [--strategies "..."] [--seeds "..."] [--set "..."]

``dvc exp pull`` of the baseline commit's experiments from that git remote, a line saying how many came from it,
then the leaderboard, checked against the grid the same strategies/seeds/--set plan: experiments missing from it
are named by share at the top of the report and in its JSON (``missing``), and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from imbalance_lab.config import PARAMS_FILE, CompareParams, load_params, parse_section
from imbalance_lab.errors import ConfigError, UserError
from imbalance_lab.experiments.compare import (
    WHOLE_REPORTS,
    Leaderboard,
    Record,
    attach_report,
    build_leaderboard,
    load_records,
    plot_leaderboard,
    write_json,
    write_markdown,
)
from imbalance_lab.experiments.compare.recommend import recommendation
from imbalance_lab.experiments.compare.report import missing_phrase
from imbalance_lab.experiments.queue import experiment_names, git, pull
from imbalance_lab.experiments.sweep_plan import (
    DEFAULT_SEEDS,
    DEFAULT_STRATEGIES,
    missing_by_share,
    parse_base,
    parse_seeds,
    parse_strategies,
    plan,
    read_params,
)
from imbalance_lab.pipeline.paths import reports_folder
from imbalance_lab.pipeline.stage import EXIT_USER_ERROR, user_error_line


def run_exp_show(all_commits: bool = False, rev: str | None = None) -> list:
    cmd = [sys.executable, "-m", "dvc", "exp", "show", "--json"] + (["--all-commits"] if all_commits else [])
    cmd += ["--rev", rev] if rev and not all_commits else []
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise UserError(f"`dvc exp show --json` failed: {last}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise UserError("`dvc exp show --json` printed something that is not JSON") from None


def _read_at_rev(path: str, record: Record) -> str | None:
    if record.kind == "workspace":
        return Path(path).read_text() if Path(path).is_file() else None
    proc = subprocess.run(["git", "show", f"{record.rev}:{path}"], capture_output=True, text=True)
    if proc.returncode == 0:
        return proc.stdout
    try:  # metrics file tracked by DVC (cache: true) rather than git
        import dvc.api

        return dvc.api.read(path, repo=".", rev=record.rev)
    except Exception:  # noqa: BLE001 - any failure just means "no per-fold data for this rev"
        return None


def with_full_reports(records: list[Record]) -> list[Record]:
    """Records completed with each stage's whole report (per-class, before/after, per-fold lists) at their rev."""
    out = []
    for r in records:
        for role in list(r.metric_files) if r.state == "success" else []:
            if (path := WHOLE_REPORTS.get(role)) is None:
                continue
            text = _read_at_rev(path, r)
            try:
                data = json.loads(text) if text else None
            except json.JSONDecodeError:
                data = None
            if isinstance(data, dict):
                r = attach_report(r, role, data)
        out.append(r)
    return out


def workspace_is_reproduced() -> bool:
    """True when `dvc status` finds nothing to re-run: the metrics on disk are those of params.yaml as it is."""
    proc = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], capture_output=True, text=True)
    try:
        return proc.returncode == 0 and json.loads(proc.stdout or "{}") == {}
    except json.JSONDecodeError:
        return False


def mark_stale(record: Record) -> Record:
    why = "params or data changed since the last dvc repro (dvc status): its metrics are not for its params"
    return replace(record, state="stale", error=why) if record.state == "success" else record


def experiments_compared(rows) -> int:
    """How many experiments a leaderboard (its rows, as objects or as JSON dicts) compares."""
    get = lambda row, key: row[key] if isinstance(row, dict) else getattr(row, key)  # noqa: E731
    return sum(len(get(row, "experiments")) for row in rows if get(row, "view") == "untuned")


def refuse_to_shrink(lb: Leaderboard, out: Path) -> None:
    """Never replace a report with one that compares fewer experiments (say, a one-seed workspace table)."""
    path = out / "leaderboard.json"
    try:
        before = experiments_compared(json.loads(path.read_text())["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return  # no readable earlier report: nothing to lose
    now = experiments_compared(lb.rows)
    if now < before:
        raise UserError(
            f"{path} compares {before} experiments, this run only {now}: not overwritten; "
            "pass --force to replace it, or --out another folder"
        )


def write_reports(lb: Leaderboard, out: Path) -> dict[str, Path]:
    """All three reports written to temp files first, then moved into place (all or none)."""
    out.mkdir(parents=True, exist_ok=True)
    targets = {"md": out / "leaderboard.md", "json": out / "leaderboard.json", "png": out / "leaderboard.png"}
    tmps: dict[str, Path] = {}
    try:
        tmps = {key: out / f".{target.name}.{os.getpid()}.tmp" for key, target in targets.items()}
        write_markdown(lb, tmps["md"])
        write_json(lb, tmps["json"])
        plot_leaderboard(lb, tmps["png"])
        for key, target in targets.items():
            os.replace(tmps[key], target)
    finally:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
    return targets


def baseline_source(lb: Leaderboard) -> str | None:
    """The data source of the compared experiments (every row shares the baseline's)."""
    return next((r.params.get("data.source") for r in lb.rows if r.is_baseline), None)


def summary_line(lb: Leaderboard) -> str:
    """The recommendation's first sentence and the verdict counts (complete rows only)."""
    counted = [r.vs_baseline["verdict"] for r in lb.rows if r.vs_baseline and not r.partial]
    counts = ", ".join(f"{counted.count(v)} {v}" for v in ("better", "equivalent", "worse", "undecided"))
    first = recommendation(lb).split(". ")[0]
    return f"{first}. Verdicts vs the baseline (ROPE ±{lb.rope}): {counts}; failed experiments: {len(lb.failed)}"


def matches(record: Record, where: list[str]) -> bool:
    """--where key=value: the record's param has that value (compared as YAML reads it, so 20 == '20')."""
    import yaml

    for condition in where:
        key, sep, value = condition.partition("=")
        if not sep:
            raise ConfigError(f"--where {condition!r}: expected key=value, e.g. data.source=datasets/trec6.yaml")
        if str(record.params.get(key)) != str(yaml.safe_load(value)):
            return False
    return True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m commands.compare", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--metric",
        help="primary metric (default: what the thresholds were tuned for with a binary target, else macro_f1)",
    )
    ap.add_argument("--alpha", type=float, default=0.05, help="significance level after Holm (default 0.05)")
    ap.add_argument("--rope", type=float, help="region of practical equivalence (default: compare.rope in params.yaml)")
    ap.add_argument(
        "--decision-probability",
        type=float,
        help="posterior mass a verdict needs (default: compare.decision_probability)",
    )
    ap.add_argument(
        "--out", help="output folder (default: reports for TREC-6, else reports/<stem of the baseline's data file>)"
    )
    ap.add_argument("--force", action="store_true", help="replace a report that compares more experiments")
    ap.add_argument("--exp-show-json", metavar="FILE", help="saved `dvc exp show --json` output instead")
    ap.add_argument("--all-commits", action="store_true", help="include experiments of all commits (-A)")
    ap.add_argument("--rev", help="experiments of this baseline commit instead of HEAD (`dvc exp show --rev`)")
    ap.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only experiments with this param value, e.g. data.source=datasets/reuters21578.yaml (repeatable)",
    )
    grid = ap.add_argument_group("the grid of a sweep run over several machines (commands.sweep --shard)")
    grid.add_argument("--pull", metavar="REMOTE", help="first `dvc exp pull` the commit's experiments from REMOTE")
    grid.add_argument("--shards", type=int, help="N shares the grid was run in: missing experiments named by share")
    grid.add_argument("--strategies", default=DEFAULT_STRATEGIES, help="the sweep's strategies (its default)")
    grid.add_argument("--seeds", default=DEFAULT_SEEDS, help="the sweep's seeds (its default)")
    grid.add_argument("--set", default="", help="the sweep's --set overrides (also filter, like --where)")
    return ap.parse_args(argv)


EXIT_INCOMPLETE = 1  # the leaderboard is written, but experiments of the grid are missing


def pull_experiments(remote: str, rev: str) -> None:
    here = experiment_names(rev)
    pull(remote, rev)
    now = experiment_names(rev)
    print(
        f"[compare] {len(now)} experiments of commit {rev[:7]}: {len(now - here)} pulled from {remote}, "
        f"{len(now & here)} already here",
        flush=True,
    )


def grid_missing(args: argparse.Namespace, records: list[Record]) -> dict[str, list[str]]:
    """Share -> experiments of the sweep's grid without a successful record."""
    if args.shards is not None and args.shards < 1:
        raise ConfigError(f"--shards must be 1 or more, got {args.shards}")
    grid = plan(parse_strategies(args.strategies), parse_seeds(args.seeds), read_params(), parse_base(args.set))
    present = {r.name for r in records if r.kind == "experiment" and r.state == "success"}
    return missing_by_share(grid, args.shards or 1, present)


def load_live(args: argparse.Namespace) -> list[Record]:
    """Records of `dvc exp show` here (after pulling, with --pull), completed with their whole reports."""
    rev = args.rev
    if args.pull:
        rev = rev or git("rev-parse", "HEAD")
        pull_experiments(args.pull, rev)
    records = with_full_reports(load_records(run_exp_show(args.all_commits, rev)))
    if rev:  # that commit's experiments: the workspace (whatever params.yaml says now) is not one
        return [r for r in records if r.kind != "workspace"]
    if not workspace_is_reproduced():
        return [mark_stale(r) if r.kind == "workspace" else r for r in records]
    return records


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if not 0 < args.alpha < 1:
            raise ConfigError(f"--alpha must be between 0 and 1, got {args.alpha}")
        if args.exp_show_json:
            path = Path(args.exp_show_json)
            if not path.is_file():
                raise UserError(f"--exp-show-json {path}: no such file")
            records = load_records(path)
        else:
            records = load_live(args)
        records = [r for r in records if matches(r, args.where + args.set.split())]
        checks_grid = bool(args.pull or args.shards)
        missing = grid_missing(args, records) if checks_grid else {}
        if not any(r.kind == "experiment" for r in records) and missing:
            count = sum(len(names) for names in missing.values())
            where = f"here or on {args.pull}" if args.pull else "here"
            raise UserError(f"none of the grid's {count} experiments is {where}; did every share fail or not push?")
        if not any(r.kind == "experiment" for r in records):
            raise UserError(
                "no experiments to compare (only the workspace and its commit); run `make sweep` or "
                "`dvc exp run -S seed=N ...` first"
            )
        settings = load_params().compare if Path(PARAMS_FILE).exists() else CompareParams()
        overrides = {"rope": args.rope, "decision_probability": args.decision_probability}
        settings = parse_section("compare", {**vars(settings), **{k: v for k, v in overrides.items() if v is not None}})
        lb = build_leaderboard(
            records,
            primary=args.metric,
            alpha=args.alpha,
            rope=settings.rope,
            decision_probability=settings.decision_probability,
        )
        lb = replace(lb, missing=missing)
        out = Path(args.out) if args.out else reports_folder(baseline_source(lb))
        if not args.force:
            refuse_to_shrink(lb, out)
        targets = write_reports(lb, out)
    except UserError as exc:
        print(user_error_line("compare", exc), file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    print(targets["md"])
    print(summary_line(lb))
    if missing:
        print(
            f"[compare] INCOMPLETE: {missing_phrase(missing)}, by share: "
            + "; ".join(f"{share}: {', '.join(names)}" for share, names in missing.items()),
            flush=True,
        )
        return EXIT_INCOMPLETE
    return 0


if __name__ == "__main__":
    sys.exit(main())
