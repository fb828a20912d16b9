#!/usr/bin/env bash
# Runs fuzz targets for a given time each and prints, per target: executions, coverage
# (libFuzzer's edge "cov" and feature "ft" counts), corpus size and crashes.
#
#   bash fuzz/run.sh SECONDS [TARGET...]     (default: every target)
#   JOBS=2 bash fuzz/run.sh 600              targets side by side (default: the core count)
#
# Needs the nightly toolchain and cargo-fuzz (tests/setup.sh --fuzz installs both). The
# committed seeds (fuzz/seeds/<target>) are read; what the fuzzer finds goes to the working
# corpus fuzz/corpus/<target> (not committed) and crashes to fuzz/artifacts/<target>/ (each
# one becomes a regression test in the normal suite). Logs: fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
mapfile -t all < <(cargo +nightly fuzz list)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
jobs=${JOBS:-$(nproc)}

dict_for() {
  case "$1" in
    coap_*|whole_client|link_format) echo "-dict=dict/coap.dict" ;;
    senml_json) echo "-dict=dict/senml_json.dict" ;;
    senml_cbor|lwm2m_cbor) echo "-dict=dict/senml_cbor.dict" ;;
    tlv|bootstrap_operations|smartcard_ef|persist_image) echo "-dict=dict/tlv.dict" ;;
    *) echo "" ;;
  esac
}

cargo +nightly fuzz build -O 2>&1 | grep -E "^(error|warning)" -A5 || true
mkdir -p logs
run_one() {
  local t=$1
  mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
  # -rss_limit_mb: a leak or an unbounded buffer fails as a crash.
  cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=1024 -timeout=10 \
    $(dict_for "$t") >"logs/$t.log" 2>&1 || true
}
export -f run_one dict_for
export seconds
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

printf '%-22s %8s %12s %7s %7s %7s %8s\n' target seconds execs cov ft corpus crashes
status=0
for t in "${targets[@]}"; do
  log="logs/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  corpus=$(find "corpus/$t" -type f | wc -l)
  crashes=$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)
  printf '%-22s %8s %12s %7s %7s %7s %8s\n' "$t" "$seconds" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "$corpus" "$crashes"
  [ "$crashes" -eq 0 ] && [ -n "${execs:-}" ] || status=1
done
exit $status
