#!/usr/bin/env bash
# Markdown report of this checkout's pipeline results against a base revision, for a pull-request comment.
# Usage: .ci/pr_report.sh BASE_REV [PLOTS_DIR]   (run after `dvc repro`; prints Markdown on stdout)
# The same commands work by hand: dvc metrics diff main --md; dvc params diff main --md; dvc plots diff main
set -euo pipefail
base=${1:?usage: .ci/pr_report.sh BASE_REV [PLOTS_DIR]}
plots_dir=${2:-dvc_plots}

metrics=$(dvc metrics diff "$base" --md)
params=$(dvc params diff "$base" --md)
dvc plots diff "$base" --out "$plots_dir" > /dev/null

echo "<!-- imbalance-lab pipeline report -->"
echo "## Pipeline results: this branch vs \`$base\`"
echo
echo "### Metrics (changed only)"
echo
echo "${metrics:-No metric changed.}"
echo
echo "### Params"
echo
echo "${params:-No param changed.}"
echo
echo "### Plots"
echo
if [ -n "${PLOTS_URL:-}" ]; then
  echo "Confusion matrices, per-class PR curves, reliability diagram, training curves and per-class recall of"
  echo "\`$base\` and this branch, overlaid: download the **dvc-plots** artifact from [this run]($PLOTS_URL) and"
  echo "open \`index.html\`."
else
  echo "Written to \`$plots_dir/index.html\` (\`dvc plots diff $base\`)."
fi
