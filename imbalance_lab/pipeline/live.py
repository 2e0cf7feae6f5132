"""Training curves through DVCLive (https://dvc.org/doc/dvclive): one .tsv per curve under
dvclive/plots/metrics/ (what dvc.yaml's training plots read) and dvclive/metrics.json, rewritten after every
epoch, so `dvc exp show` shows how far a running (queued) experiment is (`step` = its epoch) and its latest
validation macro-F1. When training ends, metrics.json keeps train's headline: best epoch and its val macro-F1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from imbalance_lab.pipeline.artifacts import plot_value
from imbalance_lab.pipeline.stage import stop_if_interrupted

CURVES = ("train_loss", "val_loss", "val_macro_f1", "lr")  # keys of a training history row, one .tsv each


class EpochLog:
    """A progress callback for training.train_mlp: logs each epoch's row, then `finish` writes the headline."""

    def __init__(self, folder: Path):
        from dvclive import Live  # imports DVC: only the stage that trains pays for it

        class FilesOnly(Live):
            def _init_dvc(self):
                # DVCLive 3.49 would open the DVC repo here to save experiments: `dvc init` a folder that is not
                # one, and fail in a git repository without commits. The stage only writes files (DVC runs it;
                # the VS Code step signal does not need this).
                self._dvc_repo = None

        # no dvc.yaml of its own (ours declares the plots), no experiment of its own (dvc exp run makes it)
        self.live = FilesOnly(str(folder), save_dvc_exp=False, dvcyaml=False, report=None)
        self.epoch = 0

    def __call__(self, row: dict) -> None:
        self.epoch = self.live.step = int(row["epoch"])
        for name in CURVES:
            # rounded like every plot file (same bytes on any CPU), but not the learning rate: the scheduler's
            # halvings (1.0e-3 -> 5.0e-4 -> ...) are exact, and 3 decimals would flatten them to 0
            self.live.log_metric(name, float(row[name]) if name == "lr" else plot_value(row[name]))
        self.live.next_step()

    def finish(self, headline: dict) -> None:
        """metrics.json := headline (+ DVCLive's `step`, the last epoch run); the curves stay."""
        self.live.summary = dict(headline)
        self.live.step = self.epoch  # next_step() already counted one past it
        self.live.end()


def member_progress(member: int, curves: EpochLog, bar) -> Callable[[dict], None]:
    """An ensemble member's epoch callback: member 0's epochs are the curves; every member's show on its bar. A
    Ctrl-C that Python swallowed stops the stage here, between epochs."""

    def show(row):
        stop_if_interrupted()
        if member == 0:
            curves(row)
        bar.set_postfix(loss=f"{row['train_loss']:.4f}", val_macro_f1=f"{row['val_macro_f1']:.4f}")

    return show
