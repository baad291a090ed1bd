#!/usr/bin/env bash
# Runs every fuzz target of the repository (Go native fuzzing), each for
# FUZZTIME (default 10m), JOBS targets at a time (default 2), each with
# -parallel PARALLEL fuzzing workers (default 1) under `nice -n 19`, so the
# fuzzers only soak up CPU nobody else wants. (Fuzzing does not take the
# bench lock; set LOCK=/tmp/multilabel-bench.lock to run under it.) Prints
# one line per target (package, target, time fuzzed, executions, new corpus
# entries, result) and keeps the full logs in $OUT (default
# /tmp/multilabel-fuzz).
#
#   bench/fuzz.sh                      # all targets, 10 minutes each, two at a time
#   FUZZTIME=30s bench/fuzz.sh         # a quick pass
#   bench/fuzz.sh 'CSV|Spec'           # only targets matching the regexp
#   LIST=1 bench/fuzz.sh               # list the targets it would run, and stop
#
# The targets are found, not listed here: every `func Fuzz...` in a tracked
# _test.go file.
#
# Minimization: when a target finds a new input, Go shrinks it for up to 60 s
# (-fuzzminimizetime), and a worker that overruns is killed and restarted,
# setup and all. A target whose every input is slow to run gets a count
# instead (minimize[Target] below, e.g. 200x: at most 200 runs), or set
# MINIMIZE for all of them.
#
# A failing input is written by `go test` to the package's
# testdata/fuzz/<Target>/ folder: commit it with the fix, and every later
# `go test` replays it. The corpus a run builds stays in the Go build
# cache ($(go env GOCACHE)/fuzz/<package>/<Target>). The figures of the last
# full run are in docs/RELIABILITY.md.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10m}
jobs=${JOBS:-2}
parallel=${PARALLEL:-1}
filter=${1:-.}
out=${OUT:-/tmp/multilabel-fuzz}
lock=${LOCK:-}
declare -A minimize=(
	[FuzzCheckpointState]=200x # each input is a Trainer.Resume; the setup trains a tiny net
)
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
if [ -n "${LIST:-}" ]; then
	printf '%s\n' "${targets[@]}"
	exit 0
fi

# Build every test binary first, so the fuzzing time is not spent compiling.
for pkg in $(printf '%s\n' "${targets[@]}" | cut -d' ' -f1 | sort -u); do
	go test -count=1 -run '^$' "$pkg" > /dev/null || exit 1
done

# fuzz PKG TARGET: one target; prints its line.
fuzz() {
	local pkg=$1 t=$2 p log rc last execs new elapsed result
	p=${pkg#./}; [ "$p" = . ] && p=root; log="$out/${p//\//_}.$t.log"
	local cmd=(nice -n 19 go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -parallel "$parallel")
	local mt=${MINIMIZE:-${minimize[$t]:-}}
	if [ -n "$mt" ]; then
		cmd+=(-fuzzminimizetime "$mt")
	fi
	if [ -n "$lock" ]; then
		cmd=(flock "$lock" "${cmd[@]}")
	fi
	"${cmd[@]}" > "$log" 2>&1
	rc=$?
	# The last progress line: "fuzz: elapsed: 10m0s, execs: 123 (205/sec), new interesting: 4 (total: 40)".
	last=$(grep '^fuzz: elapsed.*execs' "$log" | tail -1)
	execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' <<< "$last")
	new=$(sed -n 's/.*new interesting: \([0-9]*\).*/\1/p' <<< "$last")
	elapsed=$(sed -n 's/^fuzz: elapsed: \([^,]*\),.*/\1/p' <<< "$last")
	if [ $rc -eq 0 ]; then
		result=ok
	else
		result="FAIL (see $log)"
	fi
	printf '%-14s %-22s %8s %14s %6s  %s\n' "$p" "$t" "${elapsed:-?}" "${execs:-?}" "${new:-?}" "$result"
	[ $rc -eq 0 ]
}

printf '%-14s %-22s %8s %14s %6s  %s\n' package target fuzzed executions new result
fail=0
running=0
for pt in "${targets[@]}"; do
	if [ $running -ge "$jobs" ]; then
		wait -n || fail=1
		running=$((running - 1))
	fi
	fuzz $pt &
	running=$((running + 1))
done
while [ $running -gt 0 ]; do
	wait -n || fail=1
	running=$((running - 1))
done
exit $fail
