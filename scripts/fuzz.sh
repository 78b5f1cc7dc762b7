#!/usr/bin/env bash
# Runs every fuzz target of authbench (func Fuzz... in a _test.go file) for
# FUZZTIME each (default 10s): what `make fuzz` and `make test` run.
#
# go test counts the time it spends replaying the corpus ("gathering
# baseline coverage") into -fuzztime; on a busy machine that can take the
# whole budget, and go test then passes without having fuzzed at all. So
# each target must print "now fuzzing"; if it did not, it runs again with
# twice the time, up to three tries, and then fails: a fuzz step that
# fuzzed nothing is not a pass.
#
# A failing target prints its output; go test saves the failing input
# under testdata/fuzz/ in the target's package.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}

# seconds of a duration such as 10s, 2m or 1m30s
seconds() {
	local d=$1 total=0 n
	while [[ $d =~ ^([0-9]+)([hms])(.*)$ ]]; do
		n=${BASH_REMATCH[1]}
		case ${BASH_REMATCH[2]} in
		h) total=$((total + n * 3600)) ;;
		m) total=$((total + n * 60)) ;;
		s) total=$((total + n)) ;;
		esac
		d=${BASH_REMATCH[3]}
	done
	if [[ -n $d || $total -eq 0 ]]; then
		echo "fuzz: FUZZTIME=$FUZZTIME: want a duration in whole seconds, minutes or hours, such as 10s or 1m" >&2
		exit 2
	fi
	echo "$total"
}
budget=$(seconds "$FUZZTIME")

dirs=$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)
if [[ -z $dirs ]]; then
	echo "fuzz: no fuzz target found" >&2
	exit 1
fi
for dir in $dirs; do
	for f in $(grep -h -o '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | cut -d' ' -f2); do
		t=$budget
		for try in 1 2 3; do
			echo "fuzz $dir $f (${t}s)"
			if ! out=$("$GO" test -run '^$' -fuzz "^$f\$" -fuzztime "${t}s" "$dir" 2>&1); then
				echo "$out"
				exit 1
			fi
			if grep -q 'now fuzzing' <<<"$out"; then
				{ grep -o 'execs: [0-9]*' <<<"$out" || true; } | tail -1 | sed 's/^/  /'
				continue 2
			fi
			echo "  the corpus replay took the whole ${t}s: nothing was fuzzed"
			t=$((2 * t))
		done
		echo "$out"
		echo "fuzz: $dir $f never got past replaying its corpus in three tries" >&2
		exit 1
	done
done
