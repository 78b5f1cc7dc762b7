#!/usr/bin/env bash
# Shows that `make test` passes on a busy machine: runs it N times (default
# 3) while `stress-ng --cpu 2` burns two CPUs beside it, and prints each
# run's wall time, exit status and load average. Exits 0 only if every run
# passed. stress-ng is installed with apt-get when it is missing.
#
#   scripts/test-under-load.sh [N]
#
# This is the proof for a shared CI box, not part of CI: .ci/run does not
# call it (it would slow down everything else on the machine). Each run's
# output is kept in $LOGDIR (default: a new folder under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: scripts/test-under-load.sh [N]   (N: how many runs of make test, default 3)" >&2
	exit 2
fi
export PATH="/usr/local/go/bin:$PATH"
MAKE=${MAKE:-make}

# As in CI (.ci/run): Redis tests are required, a skip is a failure.
scripts/install-redis.sh
export AUTHBENCH_REQUIRE_REDIS=1

if ! command -v stress-ng >/dev/null; then
	echo "stress-ng not found: installing it with apt-get"
	sudo=""
	if [[ $(id -u) -ne 0 ]]; then
		sudo="sudo"
	fi
	if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq stress-ng; } >/dev/null; then
		echo "could not install stress-ng: install it (Debian/Ubuntu: apt-get install stress-ng) and run again" >&2
		exit 1
	fi
fi

LOGDIR=${LOGDIR:-$(mktemp -d /tmp/authbench-test-under-load.XXXXXX)}
mkdir -p "$LOGDIR"

stress-ng --cpu 2 --timeout 0 --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null; wait "$stress" 2>/dev/null || true' EXIT
sleep 2 # let the load build up
if ! kill -0 "$stress" 2>/dev/null; then
	echo "stress-ng did not start" >&2
	exit 1
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

failed=0
summary=()
for i in $(seq 1 "$runs"); do
	log="$LOGDIR/run-$i.log"
	echo "run $i of $runs: make test beside stress-ng --cpu 2 (load average $(loadavg)); log: $log"
	start=$(date +%s)
	status=0
	$MAKE test >"$log" 2>&1 || status=$?
	took=$(($(date +%s) - start))
	line=$(printf 'run %d: exit %d, wall %dm%02ds, load average at the end %s' "$i" "$status" $((took / 60)) $((took % 60)) "$(loadavg)")
	echo "$line"
	summary+=("$line")
	if [[ $status -ne 0 ]]; then
		failed=$((failed + 1))
		grep -E '^(--- FAIL|FAIL|panic:)|_test\.go:[0-9]+:' "$log" | head -40 | sed 's/^/    /' || true
	fi
done

echo
echo "make test under stress-ng --cpu 2 on $(nproc) CPUs:"
printf '  %s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
	echo "$failed of $runs runs failed (logs in $LOGDIR)"
	exit 1
fi
echo "all $runs runs passed (logs in $LOGDIR)"
