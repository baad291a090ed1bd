#!/usr/bin/env bash
# The browser test of examples/wasm (docs/deploy.md): serves the page with a
# run's model, loads it in headless Chromium (Debian's chromium, driven by
# playwright-core from npm), feeds it images and a file that is not an
# image, and checks that the labels shown equal `multilabel predict -json`
# on the same images. Also times our native inference on the same images.
#
#   tools/wasm/browser_test.sh [RUN] [WORKDIR]
#
# Without RUN it trains one with `go run ./examples/voc -quick` (about half a
# minute). Needs Node.js + npm and `apt-get install chromium`.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
run=${1:-}
work=${2:-/tmp/multilabel-browsertest}
mkdir -p "$work"
(cd tools/wasm && { [ -d node_modules/playwright-core ] || npm ci --ignore-scripts --no-audit --no-fund; })
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "no Chromium: apt-get install chromium (or set CHROMIUM)"; exit 1; }
if [ -z "$run" ]; then
	rm -rf "$work/runs"
	go run ./examples/voc -quick -out "$work/runs" > "$work/voc.txt"
	run=$(ls -d "$work"/runs/voc-* | tail -1)
fi
run=$(cd "$run" && pwd)
imgs=$(ls "$run"/examples/*.jpg)
go build -o "$work/multilabel" ./cmd/multilabel
"$work/multilabel" predict -json -run "$run" $imgs > "$work/expect.jsonl"
go run ./tools/onnx/makeruns -time "$run" -images "$run/examples" -reps 3 > "$work/native.json"
printf 'this is not an image\n' > "$work/not-an-image.jpg"

go build -o "$work/serve" ./examples/wasm/serve
"$work/serve" -run "$run" -addr 127.0.0.1:0 > "$work/serve.txt" 2> "$work/serve.err" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
	grep -q "^serving" "$work/serve.txt" 2>/dev/null && break
	kill -0 $serve_pid 2>/dev/null || { cat "$work/serve.err"; exit 1; }
	sleep 0.5
done
url=$(sed -n 's/^serving .* at \(http:[^ ]*\) .*/\1/p' "$work/serve.txt")
echo "page: $url (run $run)"
result=$(node tools/wasm/browser_test.mjs "$url" "$work/expect.jsonl" "$work" "$work/not-an-image.jpg" $imgs) || { echo "$result"; echo "browser test FAILED"; exit 1; }
echo "$result"
echo "native (same machine, 2 threads): $(cat "$work/native.json")"
echo "screenshot: $work/page.png"
