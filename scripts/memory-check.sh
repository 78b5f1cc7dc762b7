#!/usr/bin/env bash
# Checks that a run's memory does not grow with its duration: HDR
# histograms and counters, never per-request samples. Runs the same
# scenario for 10 s and for 60 s and compares their peak resident memory;
# the 60 s run may use at most 1.2× the 10 s run's.
#
#   scripts/memory-check.sh [SCENARIO] [extra authbench run flags]
#
# Not part of make test: it takes over a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-quick}
shift || true
make -s build
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

peak_kb() {
  local d=$1
  shift
  /usr/bin/time -f '%M' -o "$out/rss" ./bin/authbench run --quiet --out "$out/results" \
    --set repeat=1 --set warmup=1s --set revocation.rate=0 --set revocation.replay=0 \
    --backends jwt-hs256,session-memory --duration "$d" "$@" "$scenario" >/dev/null
  cat "$out/rss"
}

short=$(peak_kb 10s "$@")
long=$(peak_kb 60s "$@")
ratio=$(awk -v a="$long" -v b="$short" 'BEGIN { printf "%.2f", a / b }')
echo "peak RSS: 10 s run ${short} KiB, 60 s run ${long} KiB, ratio ${ratio} (limit 1.20)"
awk -v r="$ratio" 'BEGIN { exit (r <= 1.20) ? 0 : 1 }'
