#!/usr/bin/env bash
# The README's demo: sandbox platform → sync → upstream change → incremental sync → reports.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/debug
DEMO=demo
rm -rf "$DEMO" && mkdir -p "$DEMO"

"$BIN/dataflow-sandbox" --port 0 --rows 5000 --port-file "$DEMO/sandbox.port" >"$DEMO/sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$DEMO/sandbox.port" ] && break; sleep 0.1; done
[ -s "$DEMO/sandbox.port" ] || { echo "sandbox did not start:"; cat "$DEMO/sandbox.log"; exit 1; }
export SANDBOX_PORT; SANDBOX_PORT=$(cat "$DEMO/sandbox.port")
export DATAFLOW_WAREHOUSE="$DEMO/county.db"
URL="http://127.0.0.1:$SANDBOX_PORT"
echo "== sandbox platform on $URL"

step() { echo; echo "== $*"; }
step "dataflow validate";                          "$BIN/dataflow" validate
step "dataflow sync   (first run: full sync)";      "$BIN/dataflow" sync
step "upstream changes: 50 updates, 25 inserts, 10 deletes"
curl -fsS -X POST "$URL/_control/clock?advance=3600" >/dev/null
curl -fsS -X POST "$URL/_control/mutate?dataset=licenses&update=50&insert=25&delete=10" >/dev/null
curl -fsS -X POST "$URL/_control/mutate?dataset=cases&update=40&insert=30" >/dev/null
step "dataflow sync   (incremental: only the changes)"; "$BIN/dataflow" sync
step "dataflow sync   (nothing changed upstream: no rows or change-log entries written)"; "$BIN/dataflow" sync
step "dataflow status --limit 2";                  "$BIN/dataflow" status --limit 2
step "dataflow rejects service_cases   (quarantined records and why; first 6)"
"$BIN/dataflow" rejects service_cases >"$DEMO/rejects.txt"
head -n 8 "$DEMO/rejects.txt"
step "dataflow catalog";                           "$BIN/dataflow" catalog
step "dataflow export market_licenses -o $DEMO/market_licenses.csv"
"$BIN/dataflow" export market_licenses -o "$DEMO/market_licenses.csv"
head -n 4 "$DEMO/market_licenses.csv"
step "demo finished: warehouse $DEMO/county.db, CSV $DEMO/market_licenses.csv"
