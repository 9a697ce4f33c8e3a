#!/usr/bin/env bash
# Install what the tests need into .venv, check lint and types, and run every test.
# PostgreSQL tests run when KARAKORAM_TEST_DATABASE_URL is set, and say they were skipped if not.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check --quiet src tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
