"""Sweep plan: strategy syntax, seeds, names and the -S overrides each experiment is queued with (no DVC runs)."""

import re

import pytest
import yaml

from imbalance_lab.errors import ConfigError
from imbalance_lab.experiments.sweep_plan import (
    DEFAULT_SEEDS,
    DEFAULT_STRATEGIES,
    missing_by_share,
    parse_base,
    parse_seeds,
    parse_share,
    parse_strategies,
    plan,
    shares,
)
from tests.helpers import ROOT

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
# ++ (Hydra's force-add): params.yaml may leave a key at its default, -S still sets it
BASE_SETS = (
    "++balance.method=none",
    "++train.class_weight=none",
    "++train.loss=cross_entropy",
    "++train.sampler=shuffle",
)


def test_strategy_syntax_and_names():
    none, smote, cw, combo = parse_strategies(
        "none smote train.class_weight=inverse balance.method=smote+train.loss=focal"
    )
    assert none.overrides == (("balance.method", "none"),) and smote.slug == "smote"
    assert cw.overrides == (("train.class_weight", "inverse"),) and cw.slug == "class_weight-inverse"
    assert combo.overrides == (("balance.method", "smote"), ("train.loss", "focal"))
    assert combo.slug == "smote+loss-focal"


def test_every_strategy_starts_from_the_baseline():
    grid = plan(parse_strategies("none train.loss=focal smote+train.sampler=weighted"), [0, 3], PARAMS)
    by_name = {e.name: e for e in grid}
    assert list(by_name) == ["none-s0", "none-s3", "loss-focal-s0", "loss-focal-s3", "smote+sampler-weighted-s0",
                             "smote+sampler-weighted-s3"]  # fmt: skip
    assert by_name["none-s3"].set_params == (*BASE_SETS, "++seed=3")
    assert by_name["loss-focal-s0"].set_params == (
        "++balance.method=none",
        "++train.class_weight=none",
        "++train.loss=focal",
        "++train.sampler=shuffle",
        "++seed=0",
    )
    combo = by_name["smote+sampler-weighted-s0"].set_params
    assert "++balance.method=smote" in combo and "++train.sampler=weighted" in combo and len(combo) == 5


def test_a_base_set_applies_to_every_experiment_and_prefixes_its_names():
    base = parse_base("data.source=datasets/reuters21578.yaml split.min_class_count=20")
    grid = plan(parse_strategies("none mlsmote train.loss=asymmetric"), [0], PARAMS, base)
    assert [e.name for e in grid] == [
        "reuters21578-none-s0",
        "reuters21578-mlsmote-s0",
        "reuters21578-loss-asymmetric-s0",
    ]
    for experiment in grid:
        assert experiment.set_params[:2] == (
            "++data.source=datasets/reuters21578.yaml",
            "++split.min_class_count=20",  # not in params.yaml: ++ adds it
        )
    finetuned = plan(parse_strategies("none random_over"), [0], PARAMS, parse_base("train.encoder=finetune cv.folds=0"))
    assert [e.name for e in finetuned] == ["finetune-none-s0", "finetune-random_over-s0"]  # not the frozen ones'
    makefile = (ROOT / "Makefile").read_text()
    strategies = "none random_over mlsmote text_augment train.class_weight=inverse train.loss=focal"
    assert f"MULTILABEL_STRATEGIES := {strategies}" in makefile
    with pytest.raises(ConfigError, match="expected section.key=value"):
        parse_base("reuters")


def test_default_grid_is_the_issue_grid():
    grid = plan(parse_strategies(DEFAULT_STRATEGIES), parse_seeds(DEFAULT_SEEDS), PARAMS)
    assert len(grid) == 40 and len({e.name for e in grid}) == 40
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    make_default = re.search(r"^SWEEP_STRATEGIES \?= (.*)$", makefile, re.M)[1]
    assert make_default.split() == DEFAULT_STRATEGIES.split()  # `make sweep` and the command agree


def test_seeds():
    assert parse_seeds("0 1 2") == parse_seeds("0,1,2") == parse_seeds("range(0,3)") == [0, 1, 2]
    for bad, msg in (("0 x", "'x'"), ("", "no seeds"), ("1 1", "repeats")):
        with pytest.raises(ConfigError, match=msg):
            parse_seeds(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("smoet", r"balance.method: unknown value 'smoet'; did you mean 'smote'\? Valid values are: .*smote"),
        ("train.los=focal", r"unknown key 'train.los'; did you mean 'train.loss'"),
        ("trian.loss=focal", r"unknown key 'trian'; did you mean 'train'"),
        ("train.lr=-1", r"train.lr: -1.0 is out of range"),
        ("seed=3", "set seeds with SWEEP_SEEDS"),
        ("smote++train.loss=focal", "empty override"),
        ("smote balance.method=smote", "are the same strategy"),
        ("", "no strategies"),
    ],
)
def test_bad_strategies_fail_before_anything_is_queued(text, message):
    with pytest.raises(ConfigError, match=message):
        plan(parse_strategies(text), [0], PARAMS)


STRATEGY_POOL = "none random_over smote adasyn train.class_weight=inverse train.loss=focal train.sampler=weighted"


@pytest.mark.parametrize("n_strategies", [1, 2, 3, 7])
@pytest.mark.parametrize("n_seeds", [1, 2, 5, 10])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 6, 13])
def test_shares_partition_the_grid_and_spread_every_strategy(n_strategies, n_seeds, count):
    grid = plan(parse_strategies(" ".join(STRATEGY_POOL.split()[:n_strategies])), list(range(n_seeds)), PARAMS)
    parts = shares(grid, count)
    assert list(parts) == list(range(1, count + 1))
    together = [e for part in parts.values() for e in part]
    assert sorted(e.name for e in together) == sorted(e.name for e in grid)  # every experiment exactly once
    sizes = [len(part) for part in parts.values()]
    assert max(sizes) - min(sizes) <= 1  # shares take about equal time
    for strategy in {e.strategy for e in grid}:  # the baseline's seeds too: a lost share thins every row
        holding = [i for i, part in parts.items() if any(e.strategy == strategy for e in part)]
        assert len(holding) == min(count, n_seeds)
    assert shares(grid, count) == parts  # deterministic: every machine computes the same shares
    present = {e.name for e in parts[1]}
    assert set(missing_by_share(grid, count, present)) == {f"{i}/{count}" for i in range(2, count + 1) if parts[i]}


@pytest.mark.parametrize(
    "text, message",
    [("2", "expected i/N"), ("0/4", "between 1 and N"), ("5/4", "between 1 and N"), ("1/0", "between 1 and N")],
)
def test_bad_shards_are_refused(text, message):
    assert str(parse_share("3/4")) == "3/4"
    with pytest.raises(ConfigError, match=message):
        parse_share(text)


def test_command_reports_failures_by_name(tmp_path, monkeypatch, capsys):
    """The orchestration with DVC replaced by fakes: one failure, one recomputed embed, exit status 1."""
    from commands import sweep as command
    from imbalance_lab.experiments import queue as client

    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS))
    monkeypatch.chdir(tmp_path)
    calls = []
    polls = iter([{}, {"none-s0": "running", "smote-s0": "queued"}, {"none-s0": "success", "smote-s0": "failed"}])
    logs = {
        "none-s0": "Running stage 'embed':\n> python -m stages.embed\n",
        "smote-s0": "Stage 'embed' didn't change, skipping\nerror: balance: class 'x' too small\n",
    }
    fakes = {
        "baseline_commit": lambda: "abc1234",
        "dvc": lambda *args, check=True: calls.append(args),
        "states": lambda rev: next(polls),
        "start_workers": lambda jobs: calls.append(("queue", "start", jobs)),
        "log_text": lambda name: logs[name],
    }
    for module in (command, client):  # the command calls some directly, the queue client the others
        for name, fake in fakes.items():
            monkeypatch.setattr(module, name, fake)
    monkeypatch.setattr(client.time, "sleep", lambda s: None)
    assert command.main(["--strategies", "none smote", "--seeds", "0", "--jobs", "1", "--no-compare"]) == 1
    out = capsys.readouterr().out
    assert (
        "FAILED smote-s0 (failed): Stage 'embed' didn't change, skipping | error: balance: class 'x' too small" in out
    )
    assert "embed recomputed in 1 of 1 experiments run now: none-s0" in out
    assert "1 failed: smote-s0; `make sweep` again re-runs only these" in out
    assert calls[0] == ("repro", "embed") and ("queue", "start", 1) in calls
    queued = [c for c in calls if c[:3] == ("exp", "run", "--queue")]
    assert [c[4] for c in queued] == ["none-s0", "smote-s0"] and "-S" in queued[1] and "++seed=0" in queued[1]


def test_a_poll_that_gets_no_answer_is_retried(monkeypatch, capsys):
    from imbalance_lab.experiments import queue as client

    gone = client.UserError("`dvc exp show` failed: directory '.dvc/tmp/exps/tmpx/.dvc' does not exist; if ...")
    answers = iter([client.NoAnswer("`dvc exp show` did not answer in 300 s"), gone, {"a": "success"}])

    def states(rev):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(client, "states", states)
    monkeypatch.setattr(client.time, "sleep", lambda s: None)
    assert client.wait(["a"], "abc", poll=0, jobs=1) == {"a": "success"}
    out = capsys.readouterr().out
    assert "did not answer in 300 s; polling again" in out and "does not exist; polling again" in out
    answers = iter([gone] * client.FAILED_POLLS_ALLOWED)
    with pytest.raises(client.UserError, match="does not exist"):
        client.wait(["a"], "abc", poll=0, jobs=1)
