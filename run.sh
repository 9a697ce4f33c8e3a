#!/usr/bin/env bash
# Install Karakoram into .venv (first run only) and start a node on SQLite with example users.
# Extra arguments go to `karakoram quickstart` (try --help).
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e .
exec .venv/bin/karakoram quickstart "$@"
