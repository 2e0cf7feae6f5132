"""check: params.yaml as the stages will read it, before DVC does (`make run` and `make sweep` call it first).

    python -m commands.check

DVC reads params.yaml before any stage starts (dvc.yaml interpolates ${data.source}), and its own error for a
broken file is a multi-line parser message. This prints one line naming the problem and the fix, exit 2.
"""

import sys

import yaml

from imbalance_lab.config import PARAMS_FILE, load_params
from imbalance_lab.errors import ConfigError, UserError
from imbalance_lab.pipeline.stage import EXIT_USER_ERROR, user_error_line


def main() -> int:
    try:
        load_params()
        raw = yaml.safe_load(open(PARAMS_FILE, encoding="utf-8"))
        if not (raw.get("data") or {}).get("source"):
            raise ConfigError(
                f"{PARAMS_FILE}: data.source is missing; dvc.yaml reads it to know the data file: set it (the built-in "
                "TREC-6 is datasets/trec6.yaml)"
            )
    except UserError as exc:
        print(user_error_line("check", exc), file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    print(f"{PARAMS_FILE}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
