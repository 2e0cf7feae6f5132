"""sweep: queue strategies x seeds as DVC experiments, run them, report failures by name, then compare.

    python -m commands.sweep [--strategies "none smote train.loss=focal"] [--seeds "0 1 2 3 4"] [--jobs 2]
                             [--set "data.source=datasets/reuters21578.yaml split.min_class_count=20"]

What it runs, in order (each step is a plain DVC command you can also type yourself):
1. ``dvc repro embed`` (not with ``--set`` data/embed overrides: then each experiment's embed stage reads the
   embedding cache): the embedding is computed (or restored) once in the workspace, so that it is in the
   run-cache before parallel experiments start; otherwise two workers starting at once would both embed.
2. ``dvc exp run --queue -n <strategy>-s<seed> -S <baseline + strategy> -S seed=<seed>`` per grid point;
   experiments of this commit that already succeeded under the same name are kept, not re-run.
3. ``dvc queue start -j <jobs>``, then ``dvc exp show --json --rev <commit>`` every few seconds until none
   of the sweep's experiments is queued or running.
4. Failed experiments are printed by name with the last lines of ``dvc queue logs <name>``; the logs of
   the successful ones are checked for "Running stage 'embed'" (embed recomputed instead of restored).
5. ``python -m commands.compare --rev <commit>`` writes reports/leaderboard.{md,json,png} (reports/<data file
   stem>/ for a data source other than the built-in TREC-6).
Exit status: 0 when every experiment succeeded, 1 when any failed (the leaderboard is still written from
the others), 2 for a bad strategy/seed list or a repo that cannot queue experiments.

Over several machines (docs/compare.md, "Several machines"): ``--shard i/N`` runs only the i-th of N shares of
the grid (round robin over it, so every experiment is in exactly one share), and ``--push origin`` first skips
the share's experiments that git remote already holds, then ``dvc exp push --run-cache origin <the new ones>``
(refs to git, outputs and run-cache to the default DVC remote). A share of N > 1 writes no leaderboard; the
last line prints the ``python -m commands.compare --pull origin ...`` that gathers all shares.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from imbalance_lab.errors import UserError
from imbalance_lab.experiments.queue import (
    EMBED_RAN,
    baseline_commit,
    check_push_target,
    dvc,
    experiment_names,
    log_text,
    push,
    queue,
    say,
    start_workers,
    states,
    wait,
)
from imbalance_lab.experiments.sweep_plan import (
    DEFAULT_SEEDS,
    DEFAULT_STRATEGIES,
    WHOLE_GRID,
    Experiment,
    parse_base,
    parse_seeds,
    parse_share,
    parse_strategies,
    plan,
    read_params,
    shares,
)
from imbalance_lab.pipeline.paths import reports_folder
from imbalance_lab.pipeline.stage import EXIT_USER_ERROR, user_error_line

EXIT_FAILED_EXPERIMENTS = 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m commands.sweep", description=__doc__.splitlines()[0])
    ap.add_argument("--strategies", default=DEFAULT_STRATEGIES, help=f"default: {DEFAULT_STRATEGIES}")
    ap.add_argument("--seeds", default=DEFAULT_SEEDS, help=f"default: {DEFAULT_SEEDS}")
    ap.add_argument("--jobs", type=int, default=2, help="experiments at a time (at most the CPU count)")
    ap.add_argument("--poll", type=float, default=30.0, help="seconds between queue checks (each costs ~1.5 s CPU)")
    ap.add_argument("--no-compare", action="store_true", help="skip `python -m commands.compare` at the end")
    ap.add_argument("--set", default="", help="key=value overrides for every experiment, e.g. another dataset")
    ap.add_argument("--out", help="leaderboard folder (default: reports for TREC-6, else reports/<data file stem>)")
    ap.add_argument("--shard", default="", metavar="I/N", help="run only the i-th of N shares of the grid, e.g. 2/4")
    ap.add_argument("--push", default="", metavar="REMOTE", help="push finished experiments to this git remote")
    return ap.parse_args(argv)


def compare_command(args: argparse.Namespace, count: int) -> str:
    """The command that gathers every share's experiments into one leaderboard."""
    parts = ["python -m commands.compare", f"--pull {args.push or 'origin'}", f"--shards {count}"]
    parts += [f'--strategies "{args.strategies}"', f'--seeds "{args.seeds}"'] + (
        [f'--set "{args.set}"'] if args.set else []
    )
    return " ".join(parts)


def run_grid(grid: list[Experiment], rev: str, jobs: int, poll: float, own_embedding: bool) -> tuple[dict, set]:
    """Queue what this commit has not run yet, start workers, wait: (final states, names queued now)."""
    if not grid:
        return {}, set()
    if own_embedding:  # the workspace's params.yaml embeds another dataset: nothing to share through it
        say("--set changes data or embed: each experiment's embed stage reads the embedding cache (.cache)")
    else:
        say("dvc repro embed (computed once here, restored from the run-cache by every experiment)")
        dvc("repro", "embed")
    before = states(rev)
    queued = queue(grid, before)
    if queued or any(before.get(e.name) == "queued" for e in grid):  # also left over from an interrupted sweep
        start_workers(jobs)
        say(f"queued {len(queued)}; follow one with `dvc queue logs -f <name>`, all with `dvc queue status`")
    return wait([e.name for e in grid], rev, poll, jobs), {e.name for e in queued}


def report_failures(final: dict, ran_here: set, own_embedding: bool) -> list[str]:
    failed = [n for n, s in final.items() if s != "success"]
    for name in failed:
        tail = [ln for ln in log_text(name).strip().splitlines() if ln.strip()][-3:]
        say(f"FAILED {name} ({final[name]}): " + (" | ".join(tail) or "no log; see `dvc queue status`"))
    if ran_here and not own_embedding:
        embedded = [n for n in sorted(ran_here - set(failed)) if EMBED_RAN in log_text(n)]
        say(
            f"embed recomputed in {len(embedded)} of {len(ran_here - set(failed))} experiments run now"
            + (f": {', '.join(embedded)}" if embedded else " (restored from the cache in every one)")
        )
    return failed


def push_new(remote: str, final: dict) -> None:
    done = sorted(n for n, s in final.items() if s == "success")
    if not done:
        say(f"nothing new to push to {remote}")
        return
    push(remote, done)
    say(f"pushed {len(done)} experiments to {remote} (refs), their outputs and the run-cache (DVC remote)")


def write_leaderboard(args: argparse.Namespace, params: dict, base: tuple, rev: str) -> int:
    source = dict(base).get("data.source", (params.get("data") or {}).get("source"))
    out = args.out or str(reports_folder(source))
    where = [arg for key, value in base for arg in ("--where", f"{key}={value}")]
    # --force: the sweep's own grid replaces what the folder held (a smaller grid than an earlier one included;
    # git has the old one): a sweep whose experiments all succeeded never ends in an error
    compare = [sys.executable, "-m", "commands.compare", "--rev", rev, "--out", out, "--force", *where]
    return subprocess.run(compare).returncode


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        params = read_params()
        base = parse_base(args.set)
        share = parse_share(args.shard) if args.shard else WHOLE_GRID
        grid = shares(plan(parse_strategies(args.strategies), parse_seeds(args.seeds), params, base), share.count)
        grid = grid[share.index]
        jobs = max(1, min(args.jobs, os.cpu_count() or 1))
        rev = baseline_commit()
        if args.push:
            check_push_target(args.push)
            pushed = experiment_names(rev, args.push)
            if skipped := [e.name for e in grid if e.name in pushed]:
                say(f"{len(skipped)} of this share's experiments are already on {args.push}: not run again")
            grid = [e for e in grid if e.name not in pushed]
        of = f" (share {share} of the grid)" if share.count > 1 else ""
        say(f"{len(grid)} experiments{of} on commit {rev[:7]}; {jobs} at a time")
        own_embedding = any(key.split(".")[0] in ("data", "embed") for key, _ in base)
        final, ran_here = run_grid(grid, rev, jobs, args.poll, own_embedding)
        failed = report_failures(final, ran_here, own_embedding)
        if args.push:
            push_new(args.push, final)
    except UserError as exc:
        print(user_error_line("sweep", exc), file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        say("stopped waiting; queued experiments keep running (`dvc queue status`, `dvc queue kill <name>`)")
        return 130
    say(f"{len(grid) - len(failed)} of {len(grid)} succeeded in {time.monotonic() - started:.0f} s")
    if share.count > 1:
        say(f"share {share} done; when every share has pushed, one leaderboard: {compare_command(args, share.count)}")
    elif not args.no_compare and (rc := write_leaderboard(args, params, base, rev)) != 0:
        return rc
    if failed:
        say(f"{len(failed)} failed: {', '.join(failed)}; `make sweep` again re-runs only these")
        return EXIT_FAILED_EXPERIMENTS
    return 0


if __name__ == "__main__":
    sys.exit(main())
