#!/usr/bin/env bash
# Sync throughput into each warehouse backend: one full sync of ROWS sandbox licence records
# (pages of 1,000) into SQLite and into a throwaway PostgreSQL server, timed end to end
# (HTTP fetch + JSON parse + mapping + page transactions). Prints rows/s per backend.
#
#   bash scripts/bench-warehouse.sh [ROWS]        # default 100000; uses .build/release
#
# The PostgreSQL server runs with its durable defaults (fsync on, synchronous_commit on) so the
# figure compares with SQLite's WAL + synchronous=NORMAL honestly (BENCH_PG_FAST=1 turns fsync off).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-100000}"
DF_BIN="${DF_BIN:-.build/release}"
[ -x "$DF_BIN/dataflow" ] && [ -x "$DF_BIN/dataflow-sandbox" ] || { echo "build first: make release" >&2; exit 1; }
WORK="$(mktemp -d /tmp/dataflow-bench.XXXXXX)"
"$DF_BIN/dataflow-sandbox" --port 0 --rows "$ROWS" --case-rows 1 --port-file "$WORK/port" >"$WORK/sandbox.log" 2>&1 &
SANDBOX=$!
trap 'kill $SANDBOX 2>/dev/null || true; wait $SANDBOX 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.1; done
SANDBOX_PORT="$(cat "$WORK/port")"

project() {   # project DIR WAREHOUSE-LINES
    mkdir -p "$1/Mappings/datasets"
    cp -r Mappings/dictionaries "$1/Mappings/"
    sed 's/size: 500/size: 1000/' Mappings/datasets/market_licenses.yml >"$1/Mappings/datasets/market_licenses.yml"
    cat >"$1/dataflow.yml" <<YML
version: 1
county: { code: "330782", name: 义乌市 }
$2
sources:
  province:
    base_url: http://127.0.0.1:$SANDBOX_PORT
    auth: { type: zj-irs, app_key: sandbox-app, app_secret: sandbox-secret }
    envelope:
      success: { path: code, equals: ["00"] }
      message: msg
      errors: { "14": resign, "11": refresh-token, "18": quota }
YML
}

measure() {   # measure NAME DIR
    local start end
    start=$(date +%s.%N)
    "$DF_BIN/dataflow" sync market_licenses --quiet --project "$2" || { echo "$1: sync failed" >&2; return 1; }
    end=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'{sys.argv[3]:<12} {int(sys.argv[4]):>9} rows  {s:7.2f} s  {int(sys.argv[4])/s:>9.0f} rows/s')" "$start" "$end" "$1" "$ROWS"
}

project "$WORK/sqlite" "warehouse: sqlite:warehouse/county.db"
measure sqlite "$WORK/sqlite"
export WORK ROWS DF_BIN SANDBOX_PORT
export -f project measure
DURABLE=1; [ "${BENCH_PG_FAST:-0}" = 1 ] && DURABLE=0
WITH_PG_DURABLE=$DURABLE bash scripts/with-postgres.sh bash -c '
    project "$WORK/postgres" "warehouse: $DATAFLOW_TEST_POSTGRES_URL
schema: bench"
    measure postgres "$WORK/postgres"
'
