#!/usr/bin/env bash
# Runs every fuzz target of the repository (Go native fuzzing), one after
# the other, each for FUZZTIME (default 10m), each under the bench lock so
# that only one heavy job runs on the machine at a time. Prints one line per
# target (package, target, minutes, executions, new corpus entries, result)
# and keeps the full logs in $OUT (default /tmp/multilabel-fuzz).
#
#   bench/fuzz.sh                      # all targets, 10 minutes each
#   FUZZTIME=30s bench/fuzz.sh         # a quick pass
#   bench/fuzz.sh 'CSV|Spec'           # only targets matching the regexp
#
# A failing input is written by `go test` to the package's
# testdata/fuzz/<Target>/ folder: commit it with the fix, and every later
# `go test` replays it. The figures of the last full run are in
# docs/RELIABILITY.md.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10m}
filter=${1:-.}
out=${OUT:-/tmp/multilabel-fuzz}
lock=${LOCK:-/tmp/multilabel-bench.lock}
mkdir -p "$out"

# Every package with a fuzz target, and its targets.
targets=()
for pkg in $(grep -l '^func Fuzz' $(git ls-files '*_test.go') | xargs -n1 dirname | sort -u); do
	for t in $(grep -h '^func Fuzz' "$pkg"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/' | sort); do
		if [[ $t =~ $filter ]]; then
			targets+=("./$pkg $t")
		fi
	done
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "no fuzz target matches $filter" >&2
	exit 2
fi

printf '%-10s %-22s %8s %14s %6s  %s\n' package target fuzzed executions new result
fail=0
for pt in "${targets[@]}"; do
	set -- $pt
	pkg=$1 t=$2
	p=${pkg#./}; [ "$p" = . ] && p=root; log="$out/${p//\//_}.$t.log"
	flock "$lock" go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" > "$log" 2>&1
	rc=$?
	# The last progress line: "fuzz: elapsed: 10m0s, execs: 123 (205/sec), new interesting: 4 (total: 40)".
	last=$(grep '^fuzz: elapsed' "$log" | tail -1)
	execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' <<< "$last")
	new=$(sed -n 's/.*new interesting: \([0-9]*\).*/\1/p' <<< "$last")
	elapsed=$(sed -n 's/^fuzz: elapsed: \([^,]*\),.*/\1/p' <<< "$last")
	if [ $rc -eq 0 ]; then
		result=ok
	else
		result="FAIL (see $log)"
		fail=1
	fi
	printf '%-10s %-22s %8s %14s %6s  %s\n' "$p" "$t" "${elapsed:-?}" "${execs:-?}" "${new:-?}" "$result"
done
exit $fail
