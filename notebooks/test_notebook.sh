#!/usr/bin/env bash
# notebooks/test_notebook.sh [RUN_DIR...]   (default: runs/stories-ps)
# Runs every code cell of notebooks/evomerge_run.ipynb against each run. It installs what the notebook needs into a
# virtual environment of its own ($EVOMERGE_NOTEBOOK_VENV, default ${TMPDIR:-/tmp}/evomerge-notebook-venv): pandas,
# pyarrow, matplotlib, pyyaml (from the machine's package index); nothing of it is a dependency of evomerge.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${EVOMERGE_NOTEBOOK_VENV:-${TMPDIR:-/tmp}/evomerge-notebook-venv}"
if ! "$venv/bin/python" -c "import pandas, pyarrow, matplotlib, yaml" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandas pyarrow matplotlib pyyaml
fi
[[ $# -gt 0 ]] || set -- runs/stories-ps
for run in "$@"; do
  EVOMERGE_RUN="$run" "$venv/bin/python" notebooks/run_notebook.py notebooks/evomerge_run.ipynb
done
