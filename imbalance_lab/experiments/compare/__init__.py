"""Compare class-imbalance strategies across seeds: parse DVC experiments, group, test, report.

- records.py: ``dvc exp show --json`` -> Record (state, params, metrics); failed/queued/stale/duplicate
  runs are kept and labelled, never dropped silently.
- leaderboard.py: group by every param except ``seed``, compare each strategy with the baseline
  (seed-paired test, Nadeau-Bengio on CV folds, Holm) -> Leaderboard.
- report.py: reports/leaderboard.{md,json,png}.

``python -m commands.compare`` runs all three.
"""

from imbalance_lab.experiments.compare.leaderboard import (
    BASELINE,
    Leaderboard,
    Row,
    build_leaderboard,
    find_baseline,
    group_by_strategy,
    strategy_key,
    strategy_label,
)
from imbalance_lab.experiments.compare.records import WHOLE_REPORTS, Record, attach_report, load_records
from imbalance_lab.experiments.compare.report import (
    leaderboard_dict,
    plot_leaderboard,
    reading_paragraph,
    write_json,
    write_markdown,
)

__all__ = [
    "BASELINE",
    "Leaderboard",
    "Record",
    "Row",
    "attach_report",
    "WHOLE_REPORTS",
    "build_leaderboard",
    "find_baseline",
    "group_by_strategy",
    "leaderboard_dict",
    "load_records",
    "plot_leaderboard",
    "reading_paragraph",
    "strategy_key",
    "strategy_label",
    "write_json",
    "write_markdown",
]
