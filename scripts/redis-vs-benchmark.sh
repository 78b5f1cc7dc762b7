#!/usr/bin/env bash
# Compares session-redis Validate throughput (go-redis, BenchmarkValidate)
# with redis-benchmark GET on the same private redis-server, back to back,
# at the same number of concurrent clients and no pipelining.
#
#   scripts/redis-vs-benchmark.sh [CLIENTS] [BENCHTIME]    (defaults: 16 3s)
set -euo pipefail

clients=${1:-16}
benchtime=${2:-3s}
cd "$(dirname "$0")/.."

for bin in redis-server redis-cli redis-benchmark; do
	command -v "$bin" >/dev/null || { echo "$bin not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done

# A free loopback port: try random ones until nothing answers there.
for _ in $(seq 20); do
	port=$((20000 + RANDOM % 40000))
	redis-cli -p "$port" ping >/dev/null 2>&1 || break
done
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --loglevel warning >"$dir/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir" "$dir.test"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

# redis-benchmark reads the literal key "key:__rand_int__" (no -r): give it
# a value the size of a session record so both sides move the same bytes.
redis-cli -p "$port" set key:__rand_int__ "1796000000000|user123" >/dev/null

go test -c -o "$dir.test" ./backends
bench=$(REDIS_URL="redis://127.0.0.1:$port" AUTHBENCH_BENCH_CLIENTS="$clients" \
	"$dir.test" -test.run '^$' -test.bench 'ValidateConcurrent/session-redis$' -test.benchtime "$benchtime" 2>/dev/null |
	awk '/^BenchmarkValidateConcurrent\/session-redis-/ {print $3}')
rb=$(redis-benchmark -p "$port" -t get -c "$clients" -P 1 -q -n 300000 | tr '\r' '\n' |
	awk '/^GET:/ && $3 == "requests" {print $2}')

[ -n "$bench" ] && [ -n "$rb" ] || { echo "a measurement failed (bench=$bench redis-benchmark=$rb)" >&2; exit 1; }
awk -v ns="$bench" -v rb="$rb" -v c="$clients" 'BEGIN {
	ours = 1e9 / ns
	printf "clients %d, same server, same minute\n", c
	printf "session-redis Validate: %.0f validations/s (%.0f ns/op)\n", ours, ns
	printf "redis-benchmark GET:    %.0f requests/s\n", rb
	printf "ratio:                  %.2fx\n", ours / rb
}'
