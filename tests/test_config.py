import re

import pytest
import yaml

from imbalance_lab.config import PARAMS_FILE, load_params, parse_params
from imbalance_lab.errors import ConfigError
from tests.helpers import ROOT


def raw_params() -> dict:
    return yaml.safe_load((ROOT / PARAMS_FILE).read_text())


def with_value(section: str, key: str, value) -> dict:
    raw = raw_params()
    raw[section][key] = value
    return raw


def test_committed_params_are_valid():
    params = load_params(ROOT / PARAMS_FILE)
    assert params.train.lr == pytest.approx(1.0e-3)
    assert params.train.hidden_dims == (256,)
    assert params.balance.method == "none"


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("train", "lr", "abc", "train.lr: expected a number, got 'abc'"),
        ("train", "lr", "1e-5", "write 1.0e-5"),
        ("train", "lr", True, "train.lr: expected a number"),
        ("split", "test_size", -0.1, "split.test_size: -0.1 is out of range; allowed (0.0, 1.0)"),
        ("train", "hidden_dims", [64, 0], "list of positive integers, e.g. [256, 128], or [] for a linear head"),
        ("train", "hidden_dims", 64, "train.hidden_dims: expected a list of positive integers"),
        ("train", "max_epochs", 2.5, "train.max_epochs: expected an integer"),
        ("cv", "folds", 1, "cv.folds: 1 fold leaves no rows out; use 0 (no cross-validation) or 2 or more"),
        ("data", "drop_invalid", "yes", "data.drop_invalid: expected true or false"),
    ],
)
def test_wrong_types_and_ranges_name_the_key(section, key, value, expected):
    with pytest.raises(ConfigError, match=None) as error:
        parse_params(with_value(section, key, value))
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("balance", "method", "smoote"),
        ("train", "loss", "hinge"),
        ("train", "sampler", "random"),
        ("train", "class_weight", "balanced"),
        ("threshold", "method", "magic"),
        ("embed", "backend", "word2vec"),
    ],
)
def test_unknown_strategy_lists_the_valid_ones(section, key, value):
    with pytest.raises(ConfigError) as error:
        parse_params(with_value(section, key, value))
    message = str(error.value)
    assert f"{section}.{key}: unknown value '{value}'; " in message and "alid values are:" in message
    if value == "smoote":  # a near miss gets the same hint as an unknown key
        assert "did you mean 'smote'? Valid values are:" in message


def test_unknown_choice_lists_every_resampler():
    with pytest.raises(ConfigError) as error:
        parse_params(with_value("balance", "method", "nope"))
    for name in ("none", "random_over", "random_under", "smote"):
        assert name in str(error.value)


def test_unknown_key_suggests_the_closest():
    raw = raw_params()
    raw["train"]["lrr"] = 0.1
    with pytest.raises(ConfigError, match=r"unknown key 'train.lrr'; did you mean 'train.lr'\?"):
        parse_params(raw)
    raw = raw_params()
    raw["treshold"] = {}
    with pytest.raises(ConfigError, match=r"unknown key 'treshold'; did you mean 'threshold'\?"):
        parse_params(raw)


def test_split_sizes_must_leave_a_training_split():
    raw = raw_params()
    raw["split"].update(test_size=0.5, val_size=0.5)
    with pytest.raises(ConfigError, match="must be below 1"):
        parse_params(raw)


def test_missing_keys_take_defaults_and_ints_are_accepted_as_floats():
    raw = raw_params()
    assert "dropout" not in raw["train"]  # params.yaml holds the strategy axes; the rest is at its default
    raw["train"]["lr"] = 1
    params = parse_params(raw)
    assert params.train.dropout == 0.2 and params.train.lr == 1.0 and isinstance(params.train.lr, float)


def test_missing_params_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found; run from the project root"):
        load_params(tmp_path / "params.yaml")


def test_a_class_listed_twice_in_label_order_is_refused():
    with pytest.raises(ConfigError, match=r"data.label_order: 'b' listed more than once; list each class once"):
        parse_params(with_value("data", "label_order", ["a", "b", "b"]))


def test_check_command_is_one_line_before_dvc_reads_params(tmp_path, monkeypatch, capsys):
    from commands import check

    monkeypatch.chdir(tmp_path)
    for content, message in [
        ("seed: 0\ndata: [unclosed\n", "params.yaml: not valid YAML"),
        ("", "params.yaml: expected a mapping with 'seed'"),
        ("seed: 0\ntrain:\n  lr: 0.01\n", "data.source is missing; dvc.yaml reads it"),
        ("seed: 0\ndata:\n  source: x.csv\ntrain:\n  lr: abc\n", "train.lr: expected a number, got 'abc'"),
    ]:
        (tmp_path / "params.yaml").write_text(content)
        assert check.main() == 2
        err = capsys.readouterr().err
        assert err.startswith("error: check: ") and message in err and err.count("\n") == 1
    (tmp_path / "params.yaml").write_text("seed: 0\ndata:\n  source: x.csv\n")
    assert check.main() == 0 and capsys.readouterr().out == "params.yaml: OK\n"


def test_sampling_strategy_takes_what_the_readme_documents():
    for value, parsed in [("auto", "auto"), (0.5, 0.5), (1, 1.0), ({"fraud": 300, 7: 20}, {"fraud": 300, "7": 20})]:
        assert parse_params(with_value("balance", "sampling_strategy", value)).balance.sampling_strategy == parsed
    for value, message in [
        (1.5, r"ratio 1.5 is out of range; allowed \(0.0, 1.0\]"),
        ({"fraud": 0}, "target for class 'fraud' must be an integer >= 1"),
        ("minority", "use auto, a ratio like 0.5"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_params(with_value("balance", "sampling_strategy", value))


def test_every_param_is_in_the_readme_reference():
    """params.yaml holds only the strategy axes, so the README's table is where a user finds every other key:
    each field of every section is named there."""
    from dataclasses import fields

    from imbalance_lab.config import SECTION_TYPES

    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Params reference", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", table))
    keys = {f"{name}.{f.name}" for name, cls in SECTION_TYPES.items() for f in fields(cls)} | {"seed"}
    assert sorted(keys - documented) == []


def test_params_yaml_keeps_to_the_axes_and_their_defaults_mean_the_full_defaults():
    """The committed params.yaml sets nothing but the data, the seed and the strategy axes (each at its default),
    so `dvc exp show` lists those few params and the pipeline runs exactly the defaults."""
    raw = raw_params()
    written = {f"{section}.{key}" for section, values in raw.items() if isinstance(values, dict) for key in values}
    assert written == {
        "data.source",
        "embed.backend",
        "balance.method",
        "train.class_weight",
        "train.loss",
        "train.sampler",
        "threshold.method",
    }
    assert parse_params(raw) == parse_params({})
