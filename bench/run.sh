#!/usr/bin/env bash
# The benchmark, one command: bench/run.sh [--duration S] [--repeat N] [--only OP ...]
#
# Installs what it needs when missing: wrk (Debian, when root with apt-get) and the Prism
# mock server (npm, into bench/.cache/prism), then runs bench/benchmark.py inside a throwaway
# PostgreSQL cluster (scripts/with-postgres.sh) so both stores are measured. Needs the
# README's set-up (.venv with the project installed) and node/npm for Prism.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >&2
  else
    echo "bench: wrk is missing (apt-get install wrk)" >&2
    exit 2
  fi
fi

PRISM_DIR=bench/.cache/prism
if [[ ! -x $PRISM_DIR/node_modules/.bin/prism ]]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$PRISM_DIR"
    (cd "$PRISM_DIR" && npm install --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5 >&2)
  else
    echo "bench: npm is missing; Prism will not be measured (apt-get install npm)" >&2
  fi
fi

status=0
scripts/with-postgres.sh .venv/bin/python -m bench.benchmark "$@" || status=$?
if [[ $status -eq 75 ]]; then  # no PostgreSQL to be had: SQLite only
  .venv/bin/python -m bench.benchmark "$@"
else
  exit "$status"
fi
