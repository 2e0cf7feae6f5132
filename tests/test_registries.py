"""The registries are the one list of strategies: their metadata is consistent with config, and every
name is documented in the README strategy table and docs/strategies.md."""

import re
from dataclasses import fields

import pytest

from imbalance_lab.config import SECTION_TYPES, choices_of
from imbalance_lab.strategies import REGISTRIES
from imbalance_lab.task import TASKS
from tests.helpers import ROOT

ENTRIES = [(registry, name) for registry in REGISTRIES for name in registry]


def config_keys() -> set[str]:
    return {f"{section}.{f.name}" for section, cls in SECTION_TYPES.items() for f in fields(cls)}


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.param)
def test_each_registry_is_the_choice_list_of_its_param(registry):
    assert registry.param in config_keys()
    assert choices_of(registry.param) is registry


@pytest.mark.parametrize(("registry", "name"), ENTRIES, ids=lambda v: getattr(v, "param", v))
def test_metadata_is_complete_and_names_real_params(registry, name):
    entry = registry[name]
    assert entry.name == name and entry.kind and entry.summary and "\n" not in entry.summary
    assert set(entry.reads) <= config_keys(), f"{registry.param}={name} reads unknown params {entry.reads}"
    assert entry.tasks and set(entry.tasks) <= set(TASKS)


def test_every_balance_param_is_read_by_some_resampler():
    from imbalance_lab.strategies.resampling import RESAMPLERS

    read = {key for entry in RESAMPLERS.values() for key in entry.reads}
    assert read == {f"balance.{f.name}" for f in fields(SECTION_TYPES["balance"]) if f.name != "method"}


@pytest.mark.parametrize("doc", ["README.md", "docs/strategies.md"])
def test_every_strategy_name_is_in_the_strategy_tables(doc):
    table_rows = [line for line in (ROOT / doc).read_text().splitlines() if line.startswith("|")]
    documented = {name for line in table_rows for name in re.findall(r"`([a-z_]+)`", line)}
    strategy_registries = [r for r in REGISTRIES if r.param != "threshold.metric"]
    missing = sorted(f"{r.param}={name}" for r in strategy_registries for name in r if name not in documented)
    assert not missing, f"{doc}: strategy tables lack {missing}"


def test_the_readme_multilabel_table_is_the_registries():
    from imbalance_lab.strategies import task_table

    assert task_table("multilabel") in (ROOT / "README.md").read_text(), "regenerate: strategies.task_table"
