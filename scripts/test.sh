#!/usr/bin/env bash
# The full test suite, from a fresh clone: set up .venv, check generated/, lint, then run the
# tests on SQLite and again on PostgreSQL.
#
# PostgreSQL is a throwaway cluster on 127.0.0.1 (scripts/with-postgres.sh: installs Debian's
# postgresql when root with apt-get, removes the cluster at the end). Where it cannot be had,
# the PostgreSQL pass is skipped with a message and the scale tests that need it skip.
# SKIP_POSTGRES=1 runs SQLite only. Arguments go to pytest (both passes).
set -euo pipefail
cd "$(dirname "$0")/.."

# Re-run this script inside a PostgreSQL cluster's lifetime (PG_URL is set in there).
if [[ -z "${PG_URL:-}" && "${SKIP_POSTGRES:-0}" != 1 ]]; then
  status=0
  scripts/with-postgres.sh "$0" "$@" || status=$?
  [[ $status -ne 75 ]] && exit "$status"  # 75: no PostgreSQL here; carry on with SQLite alone
  echo "test.sh: PostgreSQL unavailable — running on SQLite only" >&2
fi

# --- set-up and static checks ---------------------------------------------------------------
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
# Debian's chromium and chromium-driver for the headless review-page test (it skips without
# them); installed only when root with apt-get, never downloaded by a test tool.
if [[ ! -x /usr/bin/chromium && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver) \
    >/dev/null || echo "test.sh: could not install chromium; the review-page browser test will skip" >&2
fi
.venv/bin/spec-server codegen --check  # type-checks the handlers too (README "Typed models")
.venv/bin/ruff check spec_server codegen handlers conformance tests bench
.venv/bin/mypy  # [tool.mypy] in pyproject.toml, run directly too (warm cache: under a second)

# --- behaviour tests --------------------------------------------------------------------------
# SQLite: the whole suite (tests/scale also starts 2-worker servers on PostgreSQL when PG_URL is set).
echo "== pytest on SQLite"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest "$@"

# --- conformance suite: every operation of both documents, in-process and over loopback HTTP,
# full profile with a fixed seed (README "Conformance suite"; CONFORMANCE_PROFILE=quick locally).
echo "== conformance suite on SQLite"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest conformance

# PostgreSQL: the whole suite again, each test on truncated tables (about 2.5x the SQLite time,
# well inside CI's 90 minutes on 2 cores; see README "PostgreSQL and several workers"). The
# worker, migration and reliability tests pick their own databases of both kinds and already ran above.
# scripts/postgres-known-failures.txt lists tests not yet able to run there (with the reason).
if [[ -n "${PG_URL:-}" ]]; then
  echo "== pytest on PostgreSQL ($PG_URL)"
  deselect=(--deselect tests/scale/test_workers.py --deselect tests/scale/test_migrations.py
            --deselect tests/scale/test_reliability.py)
  while read -r test_id; do
    if [[ -n $test_id && $test_id != \#* ]]; then deselect+=(--deselect "$test_id"); fi
  done < scripts/postgres-known-failures.txt
  TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest "${deselect[@]}" "$@"
  echo "== conformance suite on PostgreSQL"
  TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest conformance/test_inprocess.py
fi
