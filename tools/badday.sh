#!/usr/bin/env bash
# A new user's bad day, end to end through the CLI on the repository's
# small VOC fixture (data/testdata/shapes-voc): a corrupt JPEG and a
# truncated annotation XML, with and without -skip-bad; a run killed with
# SIGKILL in its fourth epoch and resumed, compared with the same run
# uninterrupted; -resume of a run killed before its first checkpoint.
# About two minutes on 2 cores: run it under the bench lock,
#
#   flock /tmp/multilabel-bench.lock tools/badday.sh
#
# Exits 1 on the first broken promise. docs/RELIABILITY.md shows its output.
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
ML=$T/multilabel
go build -o "$ML" ./cmd/multilabel || exit 1
cp -r data/testdata/shapes-voc "$T/voc"
jpg=$(ls "$T"/voc/JPEGImages/*.jpg | sed -n 3p); xml=$(ls "$T"/voc/Annotations/*.xml | sed -n 5p)
head -c 200 "$jpg" > "$T/x" && mv "$T/x" "$jpg"     # a corrupt JPEG
head -c 120 "$xml" > "$T/x" && mv "$T/x" "$xml"     # a truncated XML
fail() { echo "FAIL: $*"; exit 1; }
args=(-data "$T/voc" -quick -out "$T/runs")

echo "== 1. bad files without -skip-bad: exit 2, one line naming the XML"
"$ML" train "${args[@]}" > /dev/null 2> "$T/1.err"; code=$?
cat "$T/1.err"
[ $code = 2 ] && [ "$(wc -l < "$T/1.err")" = 1 ] && grep -q "$(basename "$xml")" "$T/1.err" || fail "exit $code"

echo "== 2. -skip-bad: trains; each bad file warned once, a count at the end"
"$ML" train "${args[@]}" -skip-bad -epochs 3 -name skip > /dev/null 2> "$T/2.err" || fail "exit $?"
grep '^warning:' "$T/2.err"; tail -1 "$T/2.err"
[ "$(grep -c "$(basename "$jpg")" "$T/2.err")" = 1 ] || fail "the corrupt JPEG is not warned exactly once"

echo "== 3. SIGKILL in epoch 4, then -resume: the same result as uninterrupted"
run=(-skip-bad -epochs 8)
"$ML" train "${args[@]}" "${run[@]}" -name ref > "$T/ref.out" 2> /dev/null || fail "reference run: exit $?"
"$ML" train "${args[@]}" "${run[@]}" -name kill > /dev/null 2>&1 & pid=$!
dir=""
for _ in $(seq 1200); do
	dir=$(ls -d "$T"/runs/kill-* 2>/dev/null | head -1)
	[ -n "$dir" ] && [ "$(grep -c '"type":"epoch"' "$dir/log.jsonl" 2>/dev/null)" -ge 3 ] && break
	sleep 0.1
done
sleep 0.3; kill -9 $pid; wait $pid 2>/dev/null
echo "killed after $(grep -c '"type":"epoch"' "$dir/log.jsonl") epochs"
"$ML" train "${args[@]}" "${run[@]}" -name kill -resume "$dir" > "$T/res.out" 2> /dev/null || fail "resume: exit $?"
grep -A3 'OF1' "$T/res.out"
cmp -s <(grep -A3 'OF1' "$T/ref.out") <(grep -A3 'OF1' "$T/res.out") || fail "the resumed run's table differs from the uninterrupted one's"
echo "identical to the uninterrupted run's table"

echo "== 4. -resume of a run killed before its first checkpoint: exit 2, says why"
"$ML" train "${args[@]}" "${run[@]}" -name early > /dev/null 2>&1 & pid=$!
dir=""
for _ in $(seq 400); do dir=$(ls -d "$T"/runs/early-* 2>/dev/null | head -1); [ -n "$dir" ] && break; sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null
"$ML" train "${args[@]}" "${run[@]}" -name early -resume "$dir" > /dev/null 2> "$T/4.err"; code=$?
tail -1 "$T/4.err"
[ $code = 2 ] && grep -q 'no checkpoint yet' "$T/4.err" || fail "exit $code"
echo "PASS"
