"""A sweep plan: strategies x seeds as named DVC experiments, each validated before anything is queued.

Strategy syntax (``SWEEP_STRATEGIES`` / ``--strategies``): strategies separated by spaces; one strategy is one
or more ``key=value`` overrides joined by ``+``; a bare word is a ``balance.method``::

    none smote train.class_weight=inverse train.loss=focal balance.method=smote+train.loss=focal

Every strategy starts from the baseline (``compare.BASELINE``: no resampling, no class weights, plain cross
entropy, shuffled batches) and changes only what it names, so a strategy means the same whatever
params.yaml happens to hold, and compare can pair it with the baseline seed by seed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from imbalance_lab.config import PARAMS_FILE, parse_params, set_dotted
from imbalance_lab.errors import ConfigError, UserError
from imbalance_lab.experiments.compare import BASELINE
from imbalance_lab.pipeline.paths import data_source_stem

DEFAULT_STRATEGIES = (
    "none random_over smote adasyn train.class_weight=inverse train.loss=focal train.loss=logit_adjusted "
    "train.sampler=weighted"
)
DEFAULT_SEEDS = "0 1 2 3 4"


@dataclass(frozen=True)
class Strategy:
    text: str  # as written by the user
    overrides: tuple[tuple[str, str], ...]  # (dotted key, value as written), in the written order

    @property
    def slug(self) -> str:
        """Short experiment-name part: smote, class_weight-inverse, loss-focal, smote+loss-focal."""
        parts = []
        for key, value in self.overrides:
            leaf = key.rsplit(".", 1)[-1]
            parts.append(value if key == "balance.method" else f"{leaf}-{value}")
        return re.sub(r"[^A-Za-z0-9_.+-]+", "-", "+".join(parts)).strip("-.") or "strategy"


@dataclass(frozen=True)
class Experiment:
    name: str  # the DVC experiment name: <strategy slug>-s<seed>
    strategy: Strategy
    seed: int
    set_params: tuple[str, ...]  # the -S arguments: the baseline with the strategy's overrides, then seed


def read_params(path: str | Path = PARAMS_FILE) -> dict:
    """params.yaml as written (plan() applies each strategy to it before validating)."""
    raw = yaml.safe_load(Path(path).read_text()) if Path(path).is_file() else None
    if not isinstance(raw, dict):
        raise UserError("params.yaml not found or empty; run from the project root")
    return raw


def parse_strategies(text: str) -> list[Strategy]:
    out = []
    for token in text.split():
        overrides = []
        for part in token.split("+"):
            if not part:
                raise ConfigError(f"strategy {token!r}: empty override; join overrides with a single '+'")
            key, sep, value = part.partition("=")
            if not sep:
                key, value = "balance.method", part
            if not key or not value:
                raise ConfigError(f"strategy {token!r}: expected key=value (e.g. train.loss=focal), got {part!r}")
            overrides.append((key, value))
        out.append(Strategy(token, tuple(overrides)))
    if not out:
        raise ConfigError("no strategies given; e.g. SWEEP_STRATEGIES='none smote train.loss=focal'")
    return out


def parse_seeds(text: str) -> list[int]:
    """'0 1 2', '0,1,2' or 'range(0,5)' (the form `dvc exp run -S seed=range(0,5)` takes)."""
    text = text.strip()
    if m := re.fullmatch(r"range\(\s*(\d+)\s*,\s*(\d+)\s*\)", text):
        seeds = list(range(int(m[1]), int(m[2])))
    else:
        parts = [p for p in re.split(r"[\s,]+", text) if p]
        bad = [p for p in parts if not p.isdigit()]
        if bad:
            raise ConfigError(f"seeds: expected non-negative integers like '0 1 2 3 4', got {bad[0]!r}")
        seeds = [int(p) for p in parts]
    if not seeds:
        raise ConfigError("no seeds given; e.g. SWEEP_SEEDS='0 1 2 3 4'")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds: {text!r} repeats a seed")
    return seeds


def parse_base(text: str) -> tuple[tuple[str, str], ...]:
    """--set / SWEEP_SET: `key=value` overrides applied to every experiment (e.g. another dataset)."""
    pairs = []
    for part in text.split():
        key, sep, value = part.partition("=")
        if not sep or not key or not value or "." not in key:
            raise ConfigError(
                f"--set {part!r}: expected section.key=value, e.g. data.source=datasets/reuters21578.yaml"
            )
        pairs.append((key, value))
    return tuple(pairs)


def name_prefix(base: tuple[tuple[str, str], ...]) -> str:
    """Experiments on another dataset get its file stem as a prefix, and fine-tuned ones "finetune-", so their names
    never collide with the default sweep's experiments of the same commit (a sweep keeps an experiment that
    succeeded under its name)."""
    source = dict(base).get("data.source")
    finetuned = dict(base).get("train.encoder") == "finetune"  # never the frozen sweep's names of the same commit
    return (data_source_stem(source) + "-" if source else "") + ("finetune-" if finetuned else "")


def plan(
    strategies: list[Strategy], seeds: list[int], params: dict, base: tuple[tuple[str, str], ...] = ()
) -> list[Experiment]:
    """The grid, strategy-major. Each strategy (on top of the `base` overrides) is applied to params.yaml and
    validated like a stage would."""
    slugs: dict[str, str] = {}
    out = []
    prefix = name_prefix(base)
    for strategy in strategies:
        if strategy.slug in slugs:
            raise ConfigError(f"strategies {slugs[strategy.slug]!r} and {strategy.text!r} are the same strategy")
        slugs[strategy.slug] = strategy.text
        overrides = dict(base) | {k: str(v) for k, v in BASELINE.items()} | dict(strategy.overrides)
        raw = copy.deepcopy(params)
        for key, value in overrides.items():
            if key == "seed":
                raise ConfigError(f"strategy {strategy.text!r}: set seeds with SWEEP_SEEDS, not in a strategy")
            try:
                set_dotted(raw, key, yaml.safe_load(value))
            except ConfigError as exc:
                raise ConfigError(f"override {exc}") from None
        try:
            parse_params(raw)
        except ConfigError as exc:
            raise ConfigError(f"strategy {strategy.text!r}: {exc}") from None
        # ++: set the key whether params.yaml holds it or leaves it at its default (Hydra's force-add)
        sets = tuple(f"++{k}={v}" for k, v in overrides.items())
        for seed in seeds:
            out.append(Experiment(f"{prefix}{strategy.slug}-s{seed}", strategy, seed, (*sets, f"++seed={seed}")))
    return out


@dataclass(frozen=True)
class Share:
    """The i-th of N shares of a grid (1-based, as CI runner matrices and `make sweep SWEEP_SHARD=2/4` count)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


WHOLE_GRID = Share(1, 1)


def parse_share(text: str) -> Share:
    if not (m := re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)):
        raise ConfigError(f"shard {text!r}: expected i/N, e.g. 2/4 (the second of 4 shares)")
    index, count = int(m[1]), int(m[2])
    if count < 1 or not 1 <= index <= count:
        raise ConfigError(
            f"shard {text!r}: i must be between 1 and N (1/{max(count, 1)} ... {max(count, 1)}/{max(count, 1)})"
        )
    return Share(index, count)


def share_of(position: int, count: int) -> int:
    """Round robin over the strategy-major grid: every strategy's seeds (the baseline's too) spread over the
    shares, so a lost share thins every row instead of deleting some, and shares take about equal time."""
    return position % count + 1


def shares(grid: Sequence[Experiment], count: int) -> dict[int, list[Experiment]]:
    """Share index (1..count) -> its experiments, in grid order; together exactly the grid."""
    out: dict[int, list[Experiment]] = {i: [] for i in range(1, count + 1)}
    for position, exp in enumerate(grid):
        out[share_of(position, count)].append(exp)
    return out


def missing_by_share(grid: Sequence[Experiment], count: int, present: set[str]) -> dict[str, list[str]]:
    """ "i/N" -> names of that share's experiments not in ``present`` (shares with none missing left out)."""
    out = {}
    for index, exps in shares(grid, count).items():
        if gone := [e.name for e in exps if e.name not in present]:
            out[str(Share(index, count))] = gone
    return out
