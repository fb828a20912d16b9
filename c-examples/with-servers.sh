#!/usr/bin/env bash
# with-servers.sh CMD [ARGS...]: runs `CMD ARGS... coap://127.0.0.1:PORT` against the bundled
# aiocoap test servers (tests/python/lwbs_testservers): a DM server, and a NoSec
# Bootstrap-Server at PORT that provisions it. Both listen on free loopback ports, start before
# CMD and stop after it. Prints what the servers saw; exits with CMD's status.
# Needs the .venv that tests/setup.sh creates (c-examples/run-demo.sh runs it).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
SERVERS=$ROOT/tests/python/lwbs_testservers
[ -x "$PY" ] || { echo "with-servers: no $PY: run bash tests/setup.sh" >&2; exit 2; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server NAME ARGS...: port 0 lets the server pick a free port; sets PORT from READY.
start_server() {
  local name=$1; shift
  : >"$WORK/$name.log"
  "$PY" "$SERVERS/$name.py" --bind 127.0.0.1:0 "$@" >>"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p' "$WORK/$name.log" | head -1)
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "with-servers: $name did not start:" >&2; cat "$WORK/$name.log" >&2
  return 1
}

start_server dm_server;        DM_PORT=$PORT
start_server bootstrap_server --server-uri "coap://127.0.0.1:$DM_PORT"; BS_PORT=$PORT
echo "== Bootstrap-Server coap://127.0.0.1:$BS_PORT, DM server coap://127.0.0.1:$DM_PORT"
status=0
"$@" "coap://127.0.0.1:$BS_PORT" || status=$?
sleep 0.3   # let the servers print their last lines
echo "== Bootstrap-Server saw:"; sed 's/^/   /' "$WORK/bootstrap_server.log"
echo "== DM server saw:";        sed 's/^/   /' "$WORK/dm_server.log"
exit "$status"
