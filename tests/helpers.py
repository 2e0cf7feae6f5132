"""Test data and project copies the tests build themselves (no network, no downloads)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

TOPICS = {
    "weather": ["rain", "sunny", "cloud", "storm", "forecast", "wind", "snow", "humid", "temperature", "fog"],
    "sports": ["match", "goal", "team", "score", "coach", "league", "player", "season", "referee", "stadium"],
    "finance": ["stock", "market", "bank", "interest", "loan", "profit", "budget", "invest", "dividend", "tax"],
    "health": ["doctor", "fever", "clinic", "vaccine", "nurse", "therapy", "symptom", "dose", "surgery", "virus"],
}
FILLER = ["the", "a", "today", "about", "really", "new", "report", "people", "said", "week", "city", "big"]


def make_texts(counts: dict[str, int], seed: int = 0) -> pd.DataFrame:
    """Unique short texts per class: topic words mixed with shared filler, so classes overlap a little."""
    rng = np.random.default_rng(seed)
    rows = []
    for label, n in counts.items():
        seen: set[str] = set()
        while len(seen) < n:
            words = list(rng.choice(TOPICS[label], size=3)) + list(rng.choice(FILLER, size=3))
            if rng.random() < 0.25:  # some cross-topic noise
                other = rng.choice([t for t in TOPICS if t != label])
                words.append(str(rng.choice(TOPICS[other])))
            rng.shuffle(words)
            text = " ".join(words) + f" {len(seen)}"
            seen.add(text)
        rows += [{"text": t, "label": label} for t in sorted(seen)]
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def copy_project(dest: Path) -> Path:
    """The project's code and config (not data, models, venv or git history) in a new git+DVC repo."""
    skip = {
        ".venv",
        ".git",
        "data",
        "models",
        "metrics",
        "plots",
        "reports",
        ".pytest_cache",
        ".ruff_cache",
        "__pycache__",
        "dvc.lock",
        "benchmarks",
        ".dvc",
        ".cache",
    }
    dest.mkdir(parents=True, exist_ok=True)
    for item in ROOT.iterdir():
        if item.name in skip:
            continue
        target = dest / item.name
        if item.is_dir():
            shutil.copytree(item, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(item, target)
    run(["git", "init", "-q", "-b", "main"], dest)
    run(["git", "config", "user.email", "test@example.com"], dest)
    run(["git", "config", "user.name", "test"], dest)
    run(["dvc", "init", "-q"], dest)
    run(["dvc", "config", "core.analytics", "false"], dest)
    if (ROOT / ".dvc" / "plots").is_dir():  # custom plot templates named in dvc.yaml
        shutil.copytree(ROOT / ".dvc" / "plots", dest / ".dvc" / "plots")
    return dest


def make_text_project(dest: Path) -> Path:
    """A committed project copy reading a small imbalanced 3-class CSV with the fast tfidf backend."""
    project = copy_project(dest)
    make_texts({"weather": 240, "sports": 90, "finance": 24}).to_csv(project / "texts.csv", index=False)
    set_params(project, data={"source": "texts.csv"}, **FAST_PARAMS)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "fixture project"], project)
    return project


def set_params(project: Path, **sections) -> None:
    """Update params.yaml: set_params(p, train={"max_epochs": 5}, seed=1)."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for key, value in sections.items():
        if isinstance(value, dict):
            params[key] = {**(params.get(key) or {}), **value}  # params.yaml may leave a section out
        else:
            params[key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def env() -> dict[str, str]:
    """A command's environment: the project's tools first; its embedding cache is the project's own .cache."""
    return {
        **{k: v for k, v in os.environ.items() if k != "IMBALANCE_LAB_EMBED_CACHE"},
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": "",
    }


COMMAND_TIMEOUT_S = 600  # a hung command fails its test instead of stalling the whole suite


def run(
    cmd: list[str], cwd: Path, check: bool = True, timeout: float = COMMAND_TIMEOUT_S
) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{' '.join(cmd)} did not finish in {timeout:.0f} s:\n{exc.stdout}\n{exc.stderr}"
        ) from None
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


FAST_PARAMS = {
    "embed": {"backend": "tfidf", "dim": 32},
    "train": {"max_epochs": 30, "patience": 6, "hidden_dims": [32], "lr": 0.01, "batch_size": 16},
    "cv": {"folds": 3},
}


def fit_biases(method, logits, y, *, priors, seed=0, regularization=0.0, **settings):
    """strategies.thresholds.fit_biases with its threshold section read the way the stages read it."""
    from imbalance_lab.config import parse_section
    from imbalance_lab.strategies import thresholds

    section = parse_section("threshold", {"method": method, **settings})
    return thresholds.fit_biases(logits, y, section, priors=priors, regularization=regularization, seed=seed)
