#!/usr/bin/env bash
# Measures what the open-model pacer adds to latency (issue 13, item 1):
#
#   noop at 50,000/s with 4, 16, 64 and 256 clients: validate p50 (from the
#   intended start) must stay within 5 µs of the service p50 (from the
#   actual start);
#   sleep 1 ms at 10,000/s with 64 clients: service p50 ≤ 1.05 ms.
#
#   scripts/pacer-bench.sh [DURATION]      (default 3s per run)
#
# AUTHBENCH=path/to/authbench measures that binary instead of building one
# (to compare two versions of the engine under the same conditions).
#
# The machine's load average is printed before and after: on a shared
# machine the figures are only as good as the quiet around them.
set -euo pipefail

duration=${1:-3s}
cd "$(dirname "$0")/.."
command -v jq >/dev/null || { echo "jq not found: apt-get install jq" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bin=${AUTHBENCH:-}
if [ -z "$bin" ]; then
	bin=$dir/authbench
	go build -o "$bin" ./cmd/authbench
fi

for backend in noop sleep; do
	cat >"$dir/$backend.yaml" <<YAML
name: pacer-bench
description: Open-model pacing overhead.
backends: [$backend]
duration: $duration
warmup: 500ms
repeat: 1
users: 1000
load:
  model: open
  rate: 50000
  clients: 4
YAML
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
# run BACKEND RATE CLIENTS [extra --set ...]: prints validate and service p50 in µs.
run() {
	local backend=$1 rate=$2 clients=$3
	shift 3
	rm -rf "$dir/out"
	"$bin" run --quiet --out "$dir/out" \
		--set load.rate="$rate" --set load.clients="$clients" "$@" "$dir/$backend.yaml" >/dev/null
	jq -r '.runs[0] | [.ops.validate.latency_ns.p50, .service_ns.p50, .open.achieved_rate, .open.late, .open.missed] | @tsv' \
		"$dir"/out/*/summary.json
}

printf '%-34s %12s %12s %10s %10s %8s  %s\n' run "p50 µs" "service µs" achieved late missed goal
for c in 4 16 64 256; do
	read -r p50 sp50 ach late missed < <(run noop 50000 "$c")
	ok=$(awk -v a="$p50" -v b="$sp50" 'BEGIN { print (a <= b + 5000) ? "ok" : "FAIL" }')
	[ "$ok" = ok ] || status=1
	printf '%-34s %12.1f %12.1f %10.0f %10d %8d  %s\n' "noop 50000/s clients=$c" \
		"$(echo "$p50/1000" | bc -l)" "$(echo "$sp50/1000" | bc -l)" "$ach" "$late" "$missed" "p50 ≤ service+5µs: $ok"
done
read -r p50 sp50 ach late missed < <(run sleep 10000 64 --set options.sleep.delay=1ms)
ok=$(awk -v b="$sp50" 'BEGIN { print (b <= 1050000) ? "ok" : "FAIL" }')
[ "$ok" = ok ] || status=1
printf '%-34s %12.1f %12.1f %10.0f %10d %8d  %s\n' "sleep 1ms 10000/s clients=64" \
	"$(echo "$p50/1000" | bc -l)" "$(echo "$sp50/1000" | bc -l)" "$ach" "$late" "$missed" "service ≤ 1.05ms: $ok"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
