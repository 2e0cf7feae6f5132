"""A sweep over several machines, with processes on this one standing in for them: the grid in 1, 2 and 4 shares.

    python -m benchmarks.shards [--shares 4,2,1] [--seeds "0 1 ... 9"] [--strategies "..."] [--out FILE]

What each "machine" does is what a CI runner of .github/workflows/sweep.yaml does: a fresh `git clone` of the
remote (a bare git repository here), `dvc pull --run-cache embed` from the DVC remote (a local folder here),
`python -m commands.sweep --shard i/N --push origin`. The shares of one configuration run one after another,
each alone on this machine (2 cores: one runner), so the wall time of N machines is the slowest share plus the
gathering (`python -m commands.compare --pull origin` in another fresh clone); the machine time is their sum.
Every configuration starts from its own remotes holding only the baseline commit and its embeddings. The
leaderboards of all configurations must be byte-identical (checked).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from benchmarks import pipeline
from benchmarks.common import ROOT, load, machine
from imbalance_lab.experiments.sweep_plan import DEFAULT_STRATEGIES

sh = partial(pipeline.sh, timeout=7200)  # a stuck share fails the benchmark instead of hanging it
SEEDS = " ".join(map(str, range(10)))


def clone(origin: Path, dest: Path) -> Path:
    sh(["git", "clone", "-q", str(origin), str(dest)], dest.parent)
    sh(["git", "config", "user.name", "bench"], dest)
    sh(["git", "config", "user.email", "bench@example.com"], dest)
    return dest


def baseline(work: Path) -> tuple[Path, Path]:
    """HEAD of this checkout with a DVC remote, embeddings computed once and pushed: (bare origin, DVC store)."""
    origin, store = work / "origin.git", work / "store"
    sh(["git", "init", "-q", "--bare", "-b", "main", str(origin)], work)
    store.mkdir()
    source = work / "source"
    sh(["git", "clone", "-q", str(ROOT), str(source)], work)
    for cmd in (
        ["git", "checkout", "-qB", "main"],
        ["git", "config", "user.name", "bench"],
        ["git", "config", "user.email", "bench@example.com"],
        ["git", "remote", "set-url", "origin", str(origin)],
        ["dvc", "remote", "add", "-d", "store", str(store)],
        ["dvc", "repro", "embed"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "the baseline: a DVC remote, embeddings of this machine"],
        ["git", "push", "-q", "origin", "main"],
        ["dvc", "push", "--run-cache", "embed"],
    ):
        sh(cmd, source)
    return origin, store


def configuration(count: int, origin: Path, store: Path, work: Path, grid: list[str]) -> dict:
    """The grid in `count` shares, each on a fresh clone, then gathered: timings and the leaderboard's bytes."""
    root = work / f"shares-{count}"
    root.mkdir()
    own_origin, own_store = root / "origin.git", root / "store"
    sh(["git", "clone", "-q", "--bare", str(origin), str(own_origin)], root)
    shutil.copytree(store, own_store)
    shares = []
    for index in range(1, count + 1):
        started = time.perf_counter()
        runner = clone(own_origin, root / f"machine-{index}")
        sh(["dvc", "remote", "modify", "--local", "store", "url", str(own_store)], runner)
        sh(["dvc", "pull", "--run-cache", "embed"], runner)
        out = sh(
            [
                sys.executable,
                "-m",
                "commands.sweep",
                *grid,
                "--shard",
                f"{index}/{count}",
                "--push",
                "origin",
                "--no-compare",
            ],
            runner,
        ).stdout
        shares.append({"share": f"{index}/{count}", "wall_s": round(time.perf_counter() - started, 1),
                       "experiments": int(out.split(" experiments")[0].split()[-1])})  # fmt: skip
        print(f"[shards] {count} shares: {shares[-1]}", flush=True)
    started = time.perf_counter()
    gather = clone(own_origin, root / "gather")
    out = sh(
        [sys.executable, "-m", "commands.compare", "--pull", "origin", "--shards", str(count), *grid, "--out", "lb"],
        gather,
    ).stdout
    gather_s = round(time.perf_counter() - started, 1)
    walls = [s["wall_s"] for s in shares]
    return {
        "shares": count,
        "per_share": shares,
        "gather_s": gather_s,
        "elapsed_s": round(max(walls) + gather_s, 1),
        "machine_s": round(sum(walls) + gather_s, 1),
        "pulled_line": next((ln for ln in out.splitlines() if "pulled from" in ln), ""),
        "leaderboard": (gather / "lb" / "leaderboard.json").read_text(),
    }


def markdown(result: dict) -> str:
    lines = [
        f"# Sweep over several machines: {result['experiments']} experiments in "
        + " and ".join(str(c["shares"]) for c in result["configurations"])
        + " shares",
        "",
        f"`python -m benchmarks.shards` — {result['date']}, on {result['machine']['cpu']} "
        f"({result['machine']['cores']} cores: one runner), load before {result['load_before']}, after "
        f"{result['load_after']}. Strategies: {result['strategies']}; seeds: {result['seeds']}.",
        "",
        "Each share ran alone on this machine (a fresh clone, `dvc pull --run-cache embed`, `python -m "
        "commands.sweep --shard i/N --push origin`, jobs 2); the shares of N machines would run at once, so their "
        "elapsed time is the slowest share plus the gathering (`python -m commands.compare --pull origin` in "
        "a fresh clone); machine time is the sum.",
        "",
        "| shares | each share (s) | gathering (s) | elapsed on N machines (s) | machine time (s) | s / experiment |",
        "|---|---|---|---|---|---|",
    ]
    for c in result["configurations"]:
        each = ", ".join(f"{s['wall_s']:.0f}" for s in c["per_share"])
        per = c["machine_s"] / result["experiments"]
        times = f"{c['gather_s']:.0f} | {c['elapsed_s']:.0f} | {c['machine_s']:.0f}"
        lines.append(f"| {c['shares']} | {each} | {times} | {per:.1f} |")
    same = "byte-identical" if result["identical"] else "NOT identical"
    lines += ["", f"Leaderboard JSON of every configuration: {same}.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shares", default="4,2,1")
    ap.add_argument("--strategies", default=DEFAULT_STRATEGIES)
    ap.add_argument("--seeds", default=SEEDS)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "shards.md"))
    ap.add_argument("--boards", help="keep each configuration's leaderboard.json in this folder (to diff them)")
    args = ap.parse_args()
    grid = ["--strategies", args.strategies, "--seeds", args.seeds]
    started, load_before = datetime.now(UTC), load()
    with tempfile.TemporaryDirectory(prefix="shards-") as tmp:
        work = Path(tmp)
        origin, store = baseline(work)
        configurations = [configuration(int(n), origin, store, work, grid) for n in args.shares.split(",")]
    boards_in_order = [c["leaderboard"] for c in configurations]
    boards = {c.pop("leaderboard") for c in configurations}
    if args.boards:
        Path(args.boards).mkdir(parents=True, exist_ok=True)
        for n, board in zip(args.shares.split(","), boards_in_order, strict=True):
            (Path(args.boards) / f"leaderboard-{n}-shares.json").write_text(board)
    result = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_before": load_before,
        "load_after": load(),
        "strategies": args.strategies,
        "seeds": args.seeds,
        "experiments": len(args.strategies.split()) * len(args.seeds.split()),
        "configurations": sorted(configurations, key=lambda c: c["shares"]),
        "identical": len(boards) == 1,
    }
    Path(args.out).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    Path(args.out).write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
