#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian machine:
#   1. installs what is needed (tests/setup.sh: apt packages, Python venv with aiocoap);
#   2. builds the library and the examples with CMake into build/;
#   3. starts the bundled aiocoap Bootstrap-Server and DM server on free loopback ports;
#   4. runs lwbs-demo: bootstrap, register, deregister (--exit-after registered).
# Prints the demo's EVENT lines and what the servers saw; exits with the demo's status.
#
# Environment: BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
PY=$ROOT/.venv/bin/python
SERVERS=$ROOT/tests/python/lwbs_testservers

bash tests/setup.sh
echo "== cmake build ($BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server NAME ARGS...: runs a test server with port 0 (it picks a free one), waits for
# its "READY port=P" line and sets PORT.
start_server() {
  local name=$1; shift
  "$PY" "$SERVERS/$name.py" --bind 127.0.0.1:0 "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p' "$WORK/$name.log" | head -1)
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "run-demo: $name did not start:" >&2; cat "$WORK/$name.log" >&2
  return 1
}

start_server dm_server;        DM_PORT=$PORT
start_server bootstrap_server --server-uri "coap://127.0.0.1:$DM_PORT"; BS_PORT=$PORT
echo "== Bootstrap-Server on 127.0.0.1:$BS_PORT, DM server on 127.0.0.1:$DM_PORT"

echo "== lwbs-demo"
status=0
"$BUILD_DIR/c-examples/lwbs-demo" --endpoint demo-1 \
  --bootstrap-uri "coap://127.0.0.1:$BS_PORT" \
  --state-dir "$WORK/state" --exit-after registered || status=$?
sleep 0.3   # let the servers print their last lines
echo "== Bootstrap-Server saw:"; sed 's/^/   /' "$WORK/bootstrap_server.log"
echo "== DM server saw:";        sed 's/^/   /' "$WORK/dm_server.log"
echo "== lwbs-demo exit status: $status"
exit "$status"
