#!/usr/bin/env bash
# HTTP load test of samples/EmbeddingService on loopback with wrk, beside in-process inference throughput.
#
#   bench/load/run.sh                 10 s per run, a seeded model (weights do not change the speed)
#   DURATION=30s MODEL=mnist.safetensors bench/load/run.sh
#
# Prints, per scenario and concurrency (1, 16, 64): requests/s, p50 and p99 latency, socket errors and non-2xx
# answers (there must be none), then the in-process predictions/s for single samples and batches.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${DURATION:-10s}"
CONCURRENCY="${CONCURRENCY:-1 16 64}"
PORT="${PORT:-5199}"
THROUGHPUT_SECONDS="${THROUGHPUT_SECONDS:-3}"
WORK="$(mktemp -d -t deepgen-load-XXXXXX)"
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  echo "wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk" >&2
  exit 1
fi

echo "Building (Release)..."
dotnet build "$ROOT/samples/EmbeddingService" -c Release -v quiet -nologo >/dev/null
dotnet build "$ROOT/bench/load/InferenceLoad" -c Release -v quiet -nologo >/dev/null
SERVICE_DLL="$ROOT/samples/EmbeddingService/bin/Release/net10.0/EmbeddingService.dll"
TOOL_DLL="$ROOT/bench/load/InferenceLoad/bin/Release/net10.0/InferenceLoad.dll"

MODEL="${MODEL:-}"
if [[ -z "$MODEL" ]]; then
  MODEL="$WORK/mnist-mlp.safetensors"
  dotnet "$TOOL_DLL" save-model "$MODEL"
fi
dotnet "$TOOL_DLL" write-body "$WORK/one.raw" 1 raw
dotnet "$TOOL_DLL" write-body "$WORK/one.json" 1 json
dotnet "$TOOL_DLL" write-body "$WORK/batch32.raw" 32 raw

echo "Starting the service on 127.0.0.1:$PORT with $MODEL..."
Model__Path="$MODEL" Logging__LogLevel__Default=Warning \
  dotnet "$SERVICE_DLL" --urls "http://127.0.0.1:$PORT" >"$WORK/service.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/service.log" >&2; echo "The service exited." >&2; exit 1; fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$WORK/service.log" >&2; echo "The service did not answer /healthz." >&2; exit 1; }

THREADS=$(nproc)
FAILED=0
printf '\n%-34s %5s %12s %10s %10s %8s\n' "scenario" "conc." "requests/s" "p50 ms" "p99 ms" "errors"
run() { # name path body content-type
  local name="$1" path="$2" body="$3" type="$4"
  for c in $CONCURRENCY; do
    local t=$(( c < THREADS ? c : THREADS ))
    local line
    line=$(BODY_FILE="$body" CONTENT_TYPE="$type" wrk -t"$t" -c"$c" -d"$DURATION" -s "$ROOT/bench/load/post.lua" \
      "http://127.0.0.1:$PORT$path" | grep '^RESULT')
    local rps p50 p99 socket non2xx
    rps=$(sed -E 's/.*requests_per_s=([^ ]+).*/\1/' <<<"$line")
    p50=$(sed -E 's/.*p50_ms=([^ ]+).*/\1/' <<<"$line")
    p99=$(sed -E 's/.*p99_ms=([^ ]+).*/\1/' <<<"$line")
    socket=$(sed -E 's/.*socket_errors=([^ ]+).*/\1/' <<<"$line")
    non2xx=$(sed -E 's/.*non_2xx=([^ ]+).*/\1/' <<<"$line")
    local errors=$(( socket + non2xx ))
    [[ $errors -eq 0 ]] || FAILED=1
    printf '%-34s %5d %12s %10s %10s %8d\n' "$name" "$c" "$rps" "$p50" "$p99" "$errors"
  done
}
run "predict, 1 sample, raw float32" /v1/predict "$WORK/one.raw" application/octet-stream
run "predict, 1 sample, JSON" /v1/predict "$WORK/one.json" application/json
run "embed Dense1, 1 sample, raw" /v1/embed "$WORK/one.raw" application/octet-stream
run "predict, batch of 32, raw float32" /v1/predict "$WORK/batch32.raw" application/octet-stream

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

echo
echo "In-process inference (one shared model, LoadForInference, Predict into a span):"
dotnet "$TOOL_DLL" throughput "$MODEL" "$THROUGHPUT_SECONDS"

if [[ $FAILED -ne 0 ]]; then echo "Some requests failed (see the errors column)." >&2; exit 1; fi
