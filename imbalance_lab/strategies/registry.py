"""The contract every strategy axis shares: a registry of named entries, each a function plus its metadata.

Everything that lists strategies (config's valid values, the hand-kept sets they replace, test
parametrisation, the README table's check) reads these registries. Registry modules import nothing heavy
at module level: config imports all of them to validate params in every stage, split and balance included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from imbalance_lab.errors import ConfigError, unknown_choice
from imbalance_lab.task import MULTICLASS


@dataclass(frozen=True)
class Strategy:
    name: str
    run: Callable
    kind: str  # e.g. imbalanced-learn's sampling type: over-sampling, under-sampling, cleaning, ...
    summary: str  # what it does, one line (README strategy table)
    reads: tuple[str, ...] = ()  # the params it reads, as full keys ("balance.k_neighbors")
    tasks: tuple[str, ...] = (MULTICLASS,)
    reference: str = ""
    traits: frozenset[str] = frozenset()  # axis-specific properties, e.g. resampling.INTERPOLATES
    by_task: Mapping[str, Callable] = field(default_factory=dict)  # a task's own implementation, if not `run`
    task_summary: Mapping[str, str] = field(default_factory=dict)  # what that implementation does (README table)

    def __call__(self, *args, **kwargs):
        return self.run(*args, **kwargs)

    def for_task(self, task: str) -> Callable:
        """The implementation for this task (e.g. random_over is ML-ROS on multi-label data)."""
        if task not in self.tasks:
            raise ConfigError(f"{self.name} does not support {task} data")
        return self.by_task.get(task, self.run)


class Registry(Mapping[str, Strategy]):
    """name -> Strategy for one params key (`param`, e.g. "balance.method"); filled with @register."""

    def __init__(self, param: str):
        self.param = param
        self._entries: dict[str, Strategy] = {}
        self.aliases: dict[str, tuple[str, str]] = {}  # a name used elsewhere -> (our name, why), for errors

    def register(self, name: str, *, kind: str, summary: str, **meta) -> Callable[[Callable], Callable]:
        def add(run: Callable) -> Callable:
            if name in self._entries:
                raise ValueError(f"{self.param}: '{name}' is registered twice")
            traits = frozenset(meta.pop("traits", ()))
            self._entries[name] = Strategy(name, run, kind, summary, traits=traits, **meta)
            return run

        return add

    def implement(self, name: str, task: str, summary: str) -> Callable[[Callable], Callable]:
        """Add `task` to an existing entry's tasks, with its own implementation and a line saying what it does."""

        def add(run: Callable) -> Callable:
            entry = self._entries[name]
            self._entries[name] = replace(
                entry,
                tasks=(*entry.tasks, task),
                by_task={**entry.by_task, task: run},
                task_summary={**entry.task_summary, task: summary},
            )
            return run

        return add

    def check_task(self, name: str, task: str) -> None:
        """Refuse a name this task cannot use, listing those it can."""
        if task not in self[name].tasks:
            raise ConfigError(
                f"{self.param}: {name} does not support {task} data; for {task} data use one of: "
                + ", ".join(self.for_task(task))
            )

    def __getitem__(self, name: str) -> Strategy:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise unknown_choice(self.param, name, self._entries) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entries

    def having(self, trait: str) -> frozenset[str]:
        return frozenset(name for name, entry in self._entries.items() if trait in entry.traits)

    def for_task(self, task: str) -> tuple[str, ...]:
        return tuple(name for name, entry in self._entries.items() if task in entry.tasks)
