"""`dvc repro` killed in the middle of train (Ctrl-C = SIGINT to the process group, or SIGKILL), then run
again: it finishes with the results of an uninterrupted run and leaves no partial or temp files behind."""

import json
import os
import shutil
import signal
import subprocess

import pytest
import yaml

from tests.dvc_helpers import (
    METRIC_FILES,
    copy_ran_project,
    dvc,
    leftover_temp_files,
    ran_stages,
    read_bytes,
    stage_outputs,
)
from tests.helpers import env, set_params

pytestmark = pytest.mark.slow

RESULTS = (*METRIC_FILES, "models/model.safetensors", "dvclive/plots/metrics/val_macro_f1.tsv", "dvc.lock")
SLOW_EPOCHS = 50


def repro_killed_mid_train(project, sig: signal.Signals) -> tuple[int, str]:
    """Start `dvc repro`; once the first of the 3 ensemble members has finished (its log line), signal every
    process of the run, as a terminal's Ctrl-C or a job killer does. Returns (exit code, all output)."""
    proc = subprocess.Popen(
        ["dvc", "repro"],
        cwd=project,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # a terminal's Ctrl-C: SIGINT at its default even when this run inherited it ignored (a shell's
        # background job does), else the stages ignore it too and the test cannot interrupt anything
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("[train] member 0:"):
                os.killpg(proc.pid, sig)
                break
        lines.append(proc.stdout.read())
        return proc.wait(timeout=120), "".join(lines)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_during_train_then_rerun_gives_the_uninterrupted_results(ran_project, tmp_path, sig):
    project = copy_ran_project(ran_project, tmp_path / "project")
    # members slow enough (no early stop, small batches: ~1.5 s each instead of the fixture's 0.1 s) that the
    # signal lands while train runs even on a busy machine
    set_params(project, train={"max_epochs": SLOW_EPOCHS, "patience": SLOW_EPOCHS, "batch_size": 4})
    dvc(project, "repro")
    uninterrupted = read_bytes(project, RESULTS)
    # train must really run: no outputs, and nothing DVC could restore them from instead (its run-cache, or the
    # cached outputs dvc.lock names)
    shutil.rmtree(project / ".dvc/cache/runs", ignore_errors=True)
    for out in yaml.safe_load((project / "dvc.lock").read_text())["stages"]["train"]["outs"]:
        (project / ".dvc/cache/files/md5" / out["md5"][:2] / out["md5"][2:]).unlink(missing_ok=True)
    for output in stage_outputs(project, "train"):
        if output.is_dir():
            shutil.rmtree(output)
        else:
            output.unlink()

    code, output = repro_killed_mid_train(project, sig)

    assert "[train] member 0:" in output, output
    assert "[train] member 2:" not in output, "the signal came after train had finished; nothing was tested"
    assert code != 0, output
    if sig == signal.SIGINT:
        assert "error: train: interrupted; outputs removed, run `dvc repro` again" in output, output
    left = [p for p in stage_outputs(project, "train") if p.exists()]
    if sig == signal.SIGKILL:  # nothing can clean up; only DVCLive's files, written every epoch by design
        assert all(p.is_relative_to(project / "dvclive") for p in left), output
        assert "best_epoch" not in json.loads((project / "dvclive/metrics.json").read_text())  # not a finished run
    else:
        assert left == [], output
    assert leftover_temp_files(project) == [], output
    assert (project / "dvc.lock").read_bytes() == uninterrupted["dvc.lock"], output

    rerun = dvc(project, "repro")

    assert ran_stages(rerun.stdout) == ["train"], "the model is byte-identical, so later stages stay valid"
    rerun_bytes = read_bytes(project, RESULTS)
    assert [name for name in RESULTS if rerun_bytes[name] != uninterrupted[name]] == [], rerun.stdout + rerun.stderr
    assert leftover_temp_files(project) == []
