"""Scratch copies of the project (fresh git + DVC repo) whose stage commands are wrapped by stagetime."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from benchmarks.common import ROOT, bench_env

SKIP = {
    ".venv",
    ".git",
    ".dvc",
    "data",
    "models",
    "metrics",
    "plots",
    "reports",
    "benchmarks",
    "tests",
    "docs",
    "dvc.lock",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
}
WRAPPER = ROOT / "benchmarks" / "stagetime.py"


def sh(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=bench_env(**env), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_project(dest: Path, **params) -> Path:
    """Copy code and config to dest, wrap every stage command, apply params overrides, git commit."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in ROOT.iterdir():
        if item.name in SKIP:
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(item, dest / item.name)
    wrap_stages(dest / "dvc.yaml")
    set_params(dest / "params.yaml", **params)
    sh(["git", "init", "-q", "-b", "main"], dest)
    sh(["git", "config", "user.email", "bench@example.com"], dest)
    sh(["git", "config", "user.name", "bench"], dest)
    sh(["dvc", "init", "-q"], dest)
    sh(["dvc", "config", "core.analytics", "false"], dest)
    commit(dest, "scratch project")
    return dest


def wrap_stages(dvc_yaml: Path) -> None:
    """Prefix each stage command with the stagetime wrapper (absolute path: experiments run in temp dirs)."""
    spec = yaml.safe_load(dvc_yaml.read_text())
    for name, stage in spec["stages"].items():
        stage["cmd"] = f"python {WRAPPER} {name} {stage['cmd']}"
    dvc_yaml.write_text(yaml.safe_dump(spec, sort_keys=False))


def set_params(path: Path, **sections) -> None:
    params = yaml.safe_load(path.read_text())
    for key, value in sections.items():
        if isinstance(value, dict):
            params[key] = {**(params.get(key) or {}), **value}  # params.yaml may leave a section out
        else:
            params[key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def commit(project: Path, message: str) -> None:
    sh(["git", "add", "-A"], project)
    sh(["git", "commit", "-qm", message, "--allow-empty"], project)


def read_stage_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
