#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on 127.0.0.1, then remove the cluster.
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# The command sees PG_URL (and TEST_DATABASE_URL) = postgresql://postgres@127.0.0.1:<port>/spec_server_test,
# and PG_RESTART, the pg_ctl command that restarts the cluster (add -m fast or -m immediate).
# Installs Debian's postgresql when it is missing and we are root with apt-get; otherwise it
# says why and exits 75 (EX_TEMPFAIL: callers read it as "PostgreSQL unavailable, skipped").
set -euo pipefail

find_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

if ! BINDIR=$(find_bindir); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "with-postgres: installing Debian's postgresql" >&2
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 \
        || ! BINDIR=$(find_bindir); then
      echo "with-postgres: SKIPPED — installing postgresql failed" >&2
      exit 75
    fi
  else
    echo "with-postgres: SKIPPED — no PostgreSQL server binaries and not root with apt-get" >&2
    exit 75
  fi
fi

# initdb refuses to run as root: the cluster belongs to the postgres user when we are root
RUN_AS=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
  RUN_AS=(runuser -u postgres --)
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CLUSTER=$(mktemp -d /tmp/spec-server-pg.XXXXXX)
chmod 755 "$CLUSTER"
[[ ${#RUN_AS[@]} -gt 0 ]] && chown postgres "$CLUSTER"

cleanup() {
  "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$CLUSTER/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER"
}
trap cleanup EXIT INT TERM

"${RUN_AS[@]}" "$BINDIR/initdb" -D "$CLUSTER/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
# a throwaway cluster: durability off, enough connections for several workers and pools
"${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/log" -w -o \
  "-c listen_addresses=127.0.0.1 -p $PORT -k $CLUSTER -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null
"${RUN_AS[@]}" "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U postgres spec_server_test

export PG_URL="postgresql://postgres@127.0.0.1:$PORT/spec_server_test"
export TEST_DATABASE_URL="$PG_URL"
# how a test restarts this cluster (tests/scale/test_reliability.py appends "-m fast" or "-m immediate")
export PG_RESTART="${RUN_AS[*]} $BINDIR/pg_ctl -D $CLUSTER/data -l $CLUSTER/log -w restart"
echo "with-postgres: throwaway cluster at $PG_URL" >&2
"$@"
