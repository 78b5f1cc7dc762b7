#!/usr/bin/env bash
# Compares authbench's HTTP driver with wrk against the same `authbench
# serve --backend noop`, at the same connection count, over keep-alive
# HTTP/1.1, back to back within the same minute (two rounds each, in
# turn): throughput, client CPU per request, latency percentiles.
#
#   scripts/http-vs-wrk.sh [CONNECTIONS] [SECONDS_PER_ROUND]   (defaults: 16 12)
#
# The server is pinned to CPU 0 and each client to CPU 1 when the machine
# has two or more (taskset), so the two clients get the same core. Goals
# (issue 12): driver CPU per request <= 31 us, throughput >= 0.9 x wrk.
set -euo pipefail

conns=${1:-16}
secs=${2:-12}
cd "$(dirname "$0")/.."
for bin in wrk curl jq /usr/bin/time; do
	command -v "$bin" >/dev/null || { echo "$bin not found" >&2; exit 1; }
done

dir=$(mktemp -d)
go build -o "$dir/authbench" ./cmd/authbench
pin_server="" pin_client=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin_server="taskset -c 0" pin_client="taskset -c 1"
fi

$pin_server "$dir/authbench" serve --backend noop --addr 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
spid=$!
trap 'kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$dir/serve.log" && break; sleep 0.05; done
url=$(sed -n 's/.*listening on //p' "$dir/serve.log")
[ -n "$url" ] || { cat "$dir/serve.log" >&2; exit 1; }
token=$(curl -sf -X POST -d '{"user":"wrk"}' "$url/login" | jq -r .access_token)

cat >"$dir/driver.yaml" <<YAML
name: http-vs-wrk
backends: [noop]
duration: ${secs}s
warmup: 1s
repeat: 1
users: 100
load: {clients: $conns}
transport: http
http: {target: "$url"}
YAML

# wrk: one thread, like the one core it is given. CPU time from /usr/bin/time.
run_wrk() {
	/usr/bin/time -f '%U %S' -o "$dir/wrk.time" $pin_client wrk -t1 -c"$conns" -d"${secs}s" --latency \
		-H "Authorization: Bearer $token" "$url/api/resource" >"$dir/wrk.out"
	awk -v t="$(cat "$dir/wrk.time")" '
		/Requests\/sec/ {rps=$2}
		/^ +[0-9]+ requests in/ {n=$1}
		/^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
		END {split(t, c, " "); printf "wrk       %10.0f req/s  cpu/req %6.2f us  p50 %8s  p90 %8s  p99 %8s\n", rps, (c[1]+c[2])*1e6/n, p50, p90, p99}' "$dir/wrk.out"
}

# The driver: authbench run with http.target, its own CPU per request
# from summary.json (the whole process: engine, recording and HTTP client).
run_driver() {
	rm -rf "$dir/results"
	$pin_client "$dir/authbench" run --quiet --out "$dir/results" "$dir/driver.yaml" >/dev/null
	jq -r '.runs[0] | [.ops.validate.throughput_per_s, .http.cpu_per_request_us,
		(.ops.validate.latency_ns | .p50, .p90, .p99 | ./1e6), .outcomes.errors] | @tsv' \
		"$dir/results/latest/summary.json" |
		awk -F'\t' '{printf "authbench %10.0f req/s  cpu/req %6.2f us  p50 %6.2fms  p90 %6.2fms  p99 %6.2fms  errors %d\n", $1, $2, $3, $4, $5, $6}'
}

echo "authbench serve --backend noop at $url; $conns connections, ${secs}s per round; $(nproc) CPUs${pin_client:+, server on CPU 0, clients on CPU 1}"
for round in 1 2; do
	run_wrk
	run_driver
done
