#!/usr/bin/env bash
# Install Karakoram into .venv (first run only), then run the demo: two nodes (China and
# Pakistan sides) on loopback, a season of trucks between them, and the expo beside them with
# its expo day (attested traders, matches, a meeting grid); all serve until Ctrl-C.
# Extra arguments go to `karakoram demo` (try --help); `karakoram quickstart` starts one node.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e .
exec .venv/bin/karakoram demo "$@"
