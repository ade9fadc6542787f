#!/usr/bin/env bash
# Regenerate the hash-locked requirement files from pyproject.toml (run as `make lock`).
#
# The current lock files are used as constraints, so existing pins are kept and only new
# packages are resolved; delete a lock file first to upgrade everything in it.
#   requirements-uv.txt    uv itself, installed with the system Python's pip (hashes)
#   requirements.lock      .venv: the package, its `test`, `site` and `paper` extras
#   requirements-lab.lock  .venv-lab: the package and its `lab` extra (JupyterLab), same pins
# rfc3987-syntax is left out of requirements.lock: jsonschema imports it when present (it
# comes in through nbdime -> jupyter_server -> jupyter-events) and that costs every papermill
# and nbval start-up about a second; jsonschema works without it (one URI format unchecked).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
UV=${UV:-uv}
PYTHON_VERSION=3.11.5   # lowest 3.11 the pinned set supports (soupsieve 4.1 needs 3.11.5)
common=(--quiet --universal --python-version "$PYTHON_VERSION" --generate-hashes --no-annotate
        --custom-compile-command "make lock")
constraint() { if [ -s "$1" ]; then printf -- '-c\n%s\n' "$1"; fi; }
keep=$(mktemp -d); trap 'rm -rf "$keep"' EXIT
for f in requirements.lock requirements-lab.lock requirements-uv.txt; do
  if [ -s "$f" ]; then cp "$f" "$keep/$f"; fi
done

echo "uv==${UV_PIN:-0.13.9}" > "$keep/uv.in"
$UV pip compile "${common[@]}" $(constraint "$keep/requirements-uv.txt") \
  "$keep/uv.in" -o requirements-uv.txt
$UV pip compile "${common[@]}" $(constraint "$keep/requirements.lock") \
  $(constraint "$keep/requirements-lab.lock") \
  --extra test --extra site --extra paper --no-emit-package rfc3987-syntax --no-emit-package lark \
  pyproject.toml -o requirements.lock
$UV pip compile "${common[@]}" -c requirements.lock $(constraint "$keep/requirements-lab.lock") \
  --extra lab pyproject.toml -o requirements-lab.lock
echo "lock: requirements-uv.txt, requirements.lock, requirements-lab.lock regenerated"
