#!/usr/bin/env bash
# Install what the tests need into .venv, check lint and types, and run every test.
# PostgreSQL tests run when KARAKORAM_TEST_DATABASE_URL is set, and say they were skipped if not.
# The tests run in two pytest runs: first all but the `serial` ones, in one process per core and
# one more (pytest-xdist: the tests wait on subprocesses, sockets and fsyncs a third of the time,
# so one per core left the cores idle; PYTEST_XDIST_AUTO_NUM_WORKERS=N sets how many; a file's
# tests, and all the browser tests, on one worker, but most e2e tests one by one, the slow browser
# and e2e files first: see tests/conftest.py), then the `serial` ones alone (they restart
# PostgreSQL, or measure time or memory). Extra arguments go to both runs; a run that selects
# nothing counts as passed as long as the other ran something.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check --quiet src tests benchmarks
.venv/bin/mypy
NO_TESTS=5  # pytest's exit status when nothing was selected
parallel=0
workers="${PYTEST_XDIST_AUTO_NUM_WORKERS:-$(($(nproc) + 1))}"
.venv/bin/python -m pytest -n "$workers" --dist loadfile --no-loadscope-reorder --serial=exclude "$@" || parallel=$?
serial=0
.venv/bin/python -m pytest --serial=only "$@" -n 0 || serial=$?  # -n 0 last: one process
if [ "$parallel" = "$NO_TESTS" ] && [ "$serial" = "$NO_TESTS" ]; then exit "$NO_TESTS"; fi
[ "$parallel" = "$NO_TESTS" ] && parallel=0
[ "$serial" = "$NO_TESTS" ] && serial=0
echo "test.sh: parallel run exit status $parallel, serial run exit status $serial"
[ "$parallel" = 0 ] && [ "$serial" = 0 ]
