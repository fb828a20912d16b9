# README.md's command snippets, run as README shows them. Sourced by tests/c/run_c_tests.sh
# after the CMake build and its server helpers are defined; uses its check, start_server,
# stop_servers, ROOT, WORK and JOBS. tests/readme.rs checks that every code block of README.md
# is either a file of the repository (shown verbatim) or a block run here by `run_snippet NAME`.
# The blocks run in the repository root (outputs go to build/); the pkg-config block, which
# installs to $HOME/.local, with HOME=$WORK/home. The one changed block is marked below.

README=$ROOT/README.md
RS=$WORK/readme
mkdir -p "$RS" "$WORK/home"

# snippet NAME: the body of the fenced block after the line `<!-- snippet: NAME -->`.
snippet() {
  awk -v m="<!-- snippet: $1 -->" '
    found == 2 && /^```/ { exit }
    found == 2 { print }
    found == 1 && /^```/ { found = 2 }
    $0 == m { found = 1 }' "$README"
}

# run_snippet NAME FUNCTION: `check "README: NAME" FUNCTION BODY`, failing when NAME is absent.
run_snippet() {
  local body
  body=$(snippet "$1")
  if [ -z "$body" ]; then
    check "README: $1" false
  else
    check "README: $1" "$2" "$body"
  fi
}

# in_root BODY: runs BODY with bash -euo pipefail in the repository root, output to $RS/out.
in_root() {
  (cd "$ROOT" && timeout 300 bash -euo pipefail -c "$1") >"$RS/out" 2>&1
  local status=$?
  cat "$RS/out"
  return "$status"
}

# registered_and_gone ENDPOINT: the DM server of with-servers.sh saw ENDPOINT register and
# de-register, in $RS/out.
registered_and_gone() {
  grep -q "REGISTERED ep=$1 location=/rd/1" "$RS/out" &&
    grep -q 'DEREGISTERED location=/rd/1' "$RS/out"
}

links_shared() {   # BINARY yes|no
  local found=no
  readelf -d "$1" | grep -q 'NEEDED.*liblwm2m_bootstrap\.so' && found=yes
  [ "$found" = "$2" ] || { echo "$1: links liblwm2m_bootstrap.so: $found, expected $2"; return 1; }
}

# The first command of the two runs here (the demo against the test servers); the second is the
# command that runs this file (CI's .ci/run), so it is only compared.
snip_two_commands() {
  [ "$(sed -n 2p <<<"$1")" = "bash tests/run_all.sh" ] && [ "$(wc -l <<<"$1")" -eq 2 ] || {
    echo "unexpected two commands: $1"; return 1; }
  grep -qx 'bash tests/run_all.sh' "$ROOT/.ci/run" || { echo ".ci/run runs something else"; return 1; }
  in_root "$(sed -n 1p <<<"$1")" &&
    grep -q '^EVENT registered ssid=1 location=/rd/1' "$RS/out" &&
    grep -qx '== lwbs-demo exit status: 0' "$RS/out"
}
run_snippet two-commands snip_two_commands

snip_build_library() {
  in_root "$1" &&
    [ -f "$ROOT/build/lib/liblwm2m_bootstrap.a" ] && [ -f "$ROOT/build/lib/liblwm2m_bootstrap.so" ] &&
    [ -x "$ROOT/build/c-examples/lwbs-demo" ]
}
run_snippet build-library snip_build_library

# The exception: your own Bootstrap-Server is replaced by the test server (the only change), and
# the block runs in a scratch directory (its ./lwbs-state) that has the repository's build/.
snip_own_servers() {
  local body status=0 dir=$RS/own
  grep -q 'coap://bs.example.com:5683' <<<"$1" || { echo "no coap://bs.example.com:5683"; return 1; }
  mkdir -p "$dir" && ln -sfn "$ROOT/build" "$dir/build" || return 1
  start_server dm_server || return 1
  local dm=$PORT
  start_server bootstrap_server --server-uri "coap://127.0.0.1:$dm" || return 1
  body=${1//coap:\/\/bs.example.com:5683/coap:\/\/127.0.0.1:$PORT}
  echo "$body"
  (cd "$dir" && timeout 60 bash -euo pipefail -c "$body") >"$RS/out" 2>&1 || status=$?
  stop_servers
  cat "$RS/out"
  [ "$status" -eq 0 ] && grep -q '^EVENT registered ssid=1 location=/rd/1' "$RS/out" &&
    [ -s "$dir/lwbs-state/slot1.img" ]
}
run_snippet own-servers snip_own_servers

snip_c_build_tree() {
  rm -f "$ROOT/build/quickstart"
  in_root "$1" && registered_and_gone urn:dev:c-quickstart &&
    links_shared "$ROOT/build/quickstart" no
}
run_snippet c-build-tree snip_c_build_tree

# Also with the warnings a firmware build uses: the program README shows is clean C99.
check "README: c-examples/quickstart.c compiles with -Wall -Wextra -Werror -pedantic" \
  gcc -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -c c-examples/quickstart.c \
    -o "$RS/quickstart.o"

snip_pkg_config() {
  rm -f "$ROOT/build/quickstart" "$ROOT/build/quickstart-shared"
  HOME=$WORK/home in_root "$1" &&
    [ "$(grep -c 'REGISTERED ep=urn:dev:c-quickstart location=/rd/1' "$RS/out")" -eq 2 ] &&
    [ "$(grep -c 'DEREGISTERED location=/rd/1' "$RS/out")" -eq 2 ] &&
    links_shared "$ROOT/build/quickstart" no && links_shared "$ROOT/build/quickstart-shared" yes
}
run_snippet pkg-config snip_pkg_config

# The CMake block is a whole CMakeLists.txt: built against the install of the pkg-config block
# ($HOME/.local) with quickstart.c as app.c; both programs run. A Development-only install has
# no `shared` component: the same block must fail find_package there.
snip_cmake_consumer() {
  local app=$RS/app out
  mkdir -p "$app" && printf '%s\n' "$1" >"$app/CMakeLists.txt" &&
    cp "$ROOT/c-examples/quickstart.c" "$app/app.c" || return 1
  cmake -S "$app" -B "$app/build" -DCMAKE_PREFIX_PATH="$WORK/home/.local" &&
    cmake --build "$app/build" -j "$JOBS" || return 1
  in_root "bash c-examples/with-servers.sh '$app/build/app'" &&
    registered_and_gone urn:dev:c-quickstart && links_shared "$app/build/app" no || return 1
  in_root "bash c-examples/with-servers.sh '$app/build/app-shared'" &&
    registered_and_gone urn:dev:c-quickstart && links_shared "$app/build/app-shared" yes || return 1
  cmake --install "$BUILD" --prefix "$RS/dev-only" --component Development >/dev/null || return 1
  if out=$(cmake -S "$app" -B "$app/build-dev" -DCMAKE_PREFIX_PATH="$RS/dev-only" 2>&1); then
    echo "find_package accepted COMPONENTS shared without the Runtime component"; return 1
  fi
  echo "$out" | tail -8
  grep -q "component 'shared' is not installed" <<<"$out"
}
run_snippet cmake-consumer snip_cmake_consumer

# The wrapper finds the library by itself (no LWBS_LIBRARY): build/lib after the two commands.
snip_python_run() {
  (unset LWBS_LIBRARY; in_root "$1") &&
    grep -q '^registered with ssid 1 at /rd/1$' "$RS/out" && registered_and_gone urn:dev:py-quickstart
}
run_snippet python-run snip_python_run

snip_rust_run() {
  in_root "$1" && grep -q '^registered with ssid 1 at /rd/1$' "$RS/out" &&
    registered_and_gone urn:dev:rust-quickstart
}
run_snippet rust-run snip_rust_run

# The cross build, then the QEMU image (built by run.sh into build-fw/ if needed) against the
# test servers: the DM server saw the firmware register.
snip_firmware() {
  rm -rf "$ROOT/lwbs-fw-state"   # a fresh device: the state of an earlier run names other ports
  in_root "$1" && [ -f "$ROOT/build-m4/lib/liblwm2m_bootstrap.a" ] &&
    arm-none-eabi-readelf -h "$ROOT/build-m4/lib/liblwm2m_bootstrap.a" | grep -q 'Machine: *ARM' &&
    grep -q '^EVENT registered ssid=1 location=/rd/1' "$RS/out" &&
    grep -q 'REGISTERED ep=urn:dev:fw location=/rd/1' "$RS/out"
}
run_snippet firmware snip_firmware
