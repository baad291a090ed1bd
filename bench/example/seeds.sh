#!/usr/bin/env bash
# The README's "What the default run gives": `go run ./examples/voc -seed N`
# for each seed (default 1 2 3), each from a cold start, each as its own run
# under the bench lock, then per seed the test-split table and the times,
# and the mean ± spread over the seeds.
#
#	bench/example/seeds.sh            # seeds 1 2 3
#	bench/example/seeds.sh 4 5        # other seeds
#	EXTRA="-epochs 10" bench/example/seeds.sh 1    # a recipe variant
#
# "Cold" means, for every seed separately:
#   - an empty Go build cache (GOCACHE is a new empty folder): the standard
#     library, the dependencies and the module are all compiled, as on a
#     machine where Go has never built anything;
#   - an empty user cache (XDG_CACHE_HOME is a new empty folder): the
#     synthetic data set (3,300 JPEGs) is generated again;
#   - the module cache (GOMODCACHE) is the machine's: dependencies are
#     not downloaded (no network time is counted).
# The build is `go build` of ./examples/voc, then the binary runs: the same
# work as `go run ./examples/voc -seed N`, with the two phases timed apart.
# "total" is build + run. Spread is the sample standard deviation (n-1)
# and the range (min-max) is printed beside it.
#
# WARM=1 skips the cold start (the machine's build cache, and one data
# cache shared by the seeds, /tmp/multilabel-seeds-cache): for comparing
# recipe variants, where only the training counts.
#
# The bench lock (/tmp/multilabel-bench.lock) is taken per seed, so other
# heavy jobs may run between seeds but never during one; the load average
# when each seed starts is printed (the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
lock=${LOCK:-/tmp/multilabel-bench.lock}
work=$(mktemp -d)
trap 'find "$work" -type l -delete; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
results="$work/results.tsv"
: > "$results"
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo ' (+ uncommitted changes)'), $(go version | cut -d' ' -f3), GOMAXPROCS=${GOMAXPROCS:-$(nproc)}, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "command: go run ./examples/voc -seed N ${EXTRA:-}"
for s in "${seeds[@]}"; do
	d="$work/seed$s"
	mkdir -p "$d/gocache" "$d/xdg"
	if [ "${WARM:-}" = 1 ]; then
		rmdir "$d/gocache" "$d/xdg"
		ln -s "$(go env GOCACHE)" "$d/gocache"
		mkdir -p /tmp/multilabel-seeds-cache && ln -s /tmp/multilabel-seeds-cache "$d/xdg"
	fi
	flock "$lock" bash -c '
		set -euo pipefail
		d=$1 s=$2
		echo "seed $s: start $(date -u +%H:%M:%S), load average $(cut -d" " -f1-3 /proc/loadavg)" >&2
		t0=$(date +%s.%N)
		GOCACHE="$d/gocache" go build -o "$d/voc" ./examples/voc
		t1=$(date +%s.%N)
		XDG_CACHE_HOME="$d/xdg" "$d/voc" -seed "$s" -out "$d/runs" ${EXTRA:-} > "$d/out.txt" 2> "$d/err.txt" || { cat "$d/err.txt" >&2; exit 1; }
		t2=$(date +%s.%N)
		echo "$t0 $t1 $t2" > "$d/times"
		echo "seed $s: end $(date -u +%H:%M:%S), load average $(cut -d" " -f1-3 /proc/loadavg)" >&2
	' _ "$d" "$s"
	read -r t0 t1 t2 < "$d/times"
	row05=$(grep '^threshold 0.5 ' "$d/out.txt" | awk '{print $3,$4,$5,$6,$7,$8,$9}')
	rowpc=$(grep '^per-class thresholds ' "$d/out.txt" | awk '{print $3,$4,$5,$6,$7,$8,$9}')
	epoch=$(cat "$d/out.txt" "$d/err.txt" | grep -o "best epoch [0-9]* of [0-9]*" | head -1 || true)
	deployed=$(grep '^deployed model' "$d/out.txt" || true)
	echo "$s $t0 $t1 $t2 $row05 $rowpc" >> "$results"
	awk -v s="$s" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v e="$epoch" '{printf "seed %s: test mAP %.2f (per-class thresholds: CF1 %.2f, OF1 %.2f), %s; build %.0f s + run %.0f s = %.0f s (%d:%02d)\n", s, $1, $11, $14, e, t1-t0, t2-t1, t2-t0, int((t2-t0)/60), int(t2-t0)%60}' <<< "$row05 $rowpc"
	echo "seed $s: $deployed"
	grep -E '^epoch [0-9]+/' "$d/err.txt" | sed "s/^/seed $s: /" || true
done
echo
awk '
function stat(name, col,   i, m, v, lo, hi) {
	m = 0; lo = 1e18; hi = -1e18
	for (i = 1; i <= n; i++) { m += x[i, col]; if (x[i, col] < lo) lo = x[i, col]; if (x[i, col] > hi) hi = x[i, col] }
	m /= n; v = 0
	for (i = 1; i <= n; i++) v += (x[i, col] - m)^2
	sd = n > 1 ? sqrt(v / (n - 1)) : 0
	return sprintf("%.1f ± %.1f", m, sd)
}
function rng(col,   i, lo, hi) {
	lo = 1e18; hi = -1e18
	for (i = 1; i <= n; i++) { if (x[i, col] < lo) lo = x[i, col]; if (x[i, col] > hi) hi = x[i, col] }
	return sprintf("%.1f-%.1f", lo, hi)
}
{ n++; for (c = 1; c <= NF; c++) x[n, c] = $c; x[n, 20] = $3 - $2; x[n, 21] = $4 - $3; x[n, 22] = $4 - $2 }
END {
	printf "over %d seeds: mean ± sample std (min-max)\n", n
	printf "| %-20s | %-15s | %-11s | %-11s | %-11s | %-11s | %-11s | %-11s |\n", "", "mAP", "CP", "CR", "CF1", "OP", "OR", "OF1"
	printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------", "----------------:", "------------:", "------------:", "------------:", "------------:", "------------:", "------------:"
	printf "| %-20s | %-15s |", "threshold 0.5", stat("", 5) " (" rng(5) ")"
	for (c = 6; c <= 11; c++) printf " %-11s |", stat("", c); printf "\n"
	printf "| %-20s | %-15s |", "per-class thresholds", stat("", 12) " (" rng(12) ")"
	for (c = 13; c <= 18; c++) printf " %-11s |", stat("", c); printf "\n"
	printf "time, seconds: build %s (%s), run %s (%s), total %s (%s)\n", stat("", 20), rng(20), stat("", 21), rng(21), stat("", 22), rng(22)
}' "$results"
