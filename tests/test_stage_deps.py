"""Every project file a stage imports (at module level or inside a function, with the packages that hold it)
is in that stage's deps in dvc.yaml, itself or through a folder there: otherwise editing it leaves the
stage's outputs stale while `dvc status` says "up to date"."""

import ast
import json
import subprocess
import sys

import pytest
import yaml

from tests.helpers import ROOT

PACKAGES = ("imbalance_lab", "stages")


def module_file(name: str):
    """The project file that `import name` executes, or None when it is not ours."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imported_modules(path) -> set[str]:
    """Dotted names a file imports, anywhere in it; `from a import b` counts a.b when b is a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    with_parents = set()
    for name in names:
        parts = name.split(".")
        with_parents.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))  # parents' __init__ run first
    return with_parents


def import_closure(module: str) -> set[str]:
    """Project files (relative paths) executed by `python -m module`."""
    parts = module.split(".")
    seen, todo = set(), [".".join(parts[:i]) for i in range(1, len(parts) + 1)]  # `python -m a.b` runs a first
    while todo:
        path = module_file(todo.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        todo.extend(imported_modules(path))
    return {str(p.relative_to(ROOT)) for p in seen}


def stages() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def missing_deps(spec: dict) -> list[str]:
    module = spec["cmd"].split("python -m ", 1)[1].split()[0]
    deps = [str(d).rstrip("/") for d in spec.get("deps", [])]
    covered = lambda path: any(path == d or path.startswith(d + "/") for d in deps)  # noqa: E731
    return sorted(path for path in import_closure(module) if not covered(path))


@pytest.mark.parametrize("name", sorted(stages()))
def test_every_file_a_stage_imports_is_a_dep(name):
    missing = missing_deps(stages()[name])
    assert not missing, f"dvc.yaml stage {name} imports files missing from its deps: {missing}"


def test_the_check_fails_when_a_dep_is_removed():
    spec = stages()["train"]
    without = {**spec, "deps": [d for d in spec["deps"] if d != "imbalance_lab"]}
    assert "imbalance_lab/evaluation/metrics.py" in missing_deps(without)
    only_some = {**spec, "deps": [*without["deps"], "imbalance_lab/models/training.py"]}
    missing = missing_deps(only_some)
    assert "imbalance_lab/evaluation/metrics.py" in missing and "imbalance_lab/models/training.py" not in missing


def test_closure_follows_function_level_imports_and_parent_packages():
    closure = import_closure("stages.balance")
    assert "imbalance_lab/strategies/__init__.py" in closure  # config imports the registries inside a function
    assert "imbalance_lab/strategies/loss_modules.py" in closure  # losses.py imports it inside its builders
    assert "imbalance_lab/__init__.py" in closure and "stages/__init__.py" in closure


def test_editing_metrics_marks_train_and_cross_validate_changed(tmp_path):
    """The issue's demonstration, on a clone of the committed pipeline: edit one line, ask dvc status."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    if not (clone / "dvc.lock").exists():
        pytest.skip("no committed dvc.lock")

    def changed_code(stage: str) -> dict:
        status = subprocess.run(
            [sys.executable, "-m", "dvc", "status", "--json", stage],
            cwd=clone,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        entries = json.loads(status.stdout).get(stage, [])
        deps = next((entry["changed deps"] for entry in entries if "changed deps" in entry), {})
        return {path: change for path, change in deps.items() if path in ("imbalance_lab", "stages")}

    # the bytecode Python writes when a stage runs is not a change (.dvcignore)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "imbalance_lab", "stages"], cwd=clone, check=True)
    assert changed_code("train") == {}
    metrics = clone / "imbalance_lab" / "evaluation" / "metrics.py"
    metrics.write_text(metrics.read_text() + "\n# edited\n")
    for stage in ("train", "cross-validate", "evaluate", "threshold-tune"):
        assert changed_code(stage) == {"imbalance_lab": "modified"}, stage  # the package is one dep (a folder)
