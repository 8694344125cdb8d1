#!/usr/bin/env bash
# The full test suite, from a fresh clone: set up .venv, check generated/, lint, run pytest.
# With TEST_DATABASE_URL=postgresql://... the same tests run against PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
.venv/bin/spec-server codegen --check
.venv/bin/ruff check spec_server codegen handlers conformance tests
.venv/bin/python -m pytest "$@"
