"""Command export: a fine-tuned model (train.encoder finetune) as files a team deploys without this project.

    python -m commands.export --out DIR

DIR gets the fine-tuned encoder as a standard sentence-transformers folder, head.safetensors (the linear head:
weight, bias), classes.json, thresholds.json (the tuned per-class biases, when threshold-tune ran for this model)
and a README.md with the two lines that reproduce score's logits:

    model, head = SentenceTransformer(DIR), safetensors.numpy.load_file(f"{DIR}/head.safetensors")
    logits = model.encode(texts) @ head["weight"].T + head["bias"]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.models.model_kinds import FINETUNED
from imbalance_lab.models.modelfile import read_tensors, save_tensors
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import file_sha256, read_json, write_json
from imbalance_lab.pipeline.stage import log, run_stage

STAGE = "export"
USAGE = """# {classes} classes, fine-tuned from {base}

```python
from safetensors.numpy import load_file
from sentence_transformers import SentenceTransformer

model, head = SentenceTransformer("{out}"), load_file("{out}/head.safetensors")
logits = model.encode(texts) @ head["weight"].T + head["bias"]
```

The predicted class is `logits.argmax(1)` (classes.json gives the names); with tuned thresholds,
`(logits + biases).argmax(1)` with thresholds.json's `biases`. Multi-label: a label is predicted when
`logits + biases > 0`.
"""


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m commands.export", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, metavar="DIR", help="the folder to write (must not exist, or be empty)")
    return ap.parse_args(argv)


def main(args: argparse.Namespace) -> None:
    from imbalance_lab.models.finetune import member_modules, pick_device

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"--out {out}: not empty; give a new folder")
    tensors, meta = read_tensors(paths.MODEL)
    if meta.get("kind") != FINETUNED:
        raise DataError(
            f"{paths.MODEL} is an MLP on frozen embeddings, not a fine-tuned encoder: there is no encoder to export "
            "(train with -S train.encoder=finetune)"
        )
    if len(meta["member_seeds"]) > 1:
        raise ConfigError("export: the model is an ensemble; export needs train.ensemble_size 1")
    encoder, head = member_modules(tensors, 0, meta, pick_device("cpu"))
    building = partial(out)
    shutil.rmtree(building, ignore_errors=True)
    encoder.save(str(building))
    weights = {name: value.numpy() for name, value in head.state_dict().items()}
    save_tensors(building / "head.safetensors", weights, {"kind": "head"})
    write_json(building / "classes.json", meta["classes"])
    if paths.THRESHOLDS.exists() and read_json(paths.THRESHOLDS).get("model_sha256") == file_sha256(paths.MODEL):
        shutil.copyfile(paths.THRESHOLDS, building / "thresholds.json")
    usage = USAGE.format(classes=len(meta["classes"]), base=meta["base_model"], out=out)
    (building / "README.md").write_text(usage)
    if out.exists():
        out.rmdir()  # empty (checked above)
    building.rename(out)
    log(STAGE, f"wrote {out}: SentenceTransformer({str(out)!r}) loads it; README.md has the two lines")


def partial(out: Path) -> Path:
    """Where the folder is built: renamed to --out only when complete, removed on any failure."""
    return out.parent / f".{out.name}.partial"


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    run_stage(STAGE, lambda: main(arguments), outputs=[partial(Path(arguments.out))])
