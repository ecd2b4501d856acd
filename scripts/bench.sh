#!/usr/bin/env bash
# `make bench`: every DESIGN §9 figure next to its floor, measured in one run on this machine.
# Sizes can be lowered for a quick look: BENCH_SMALL=20000 BENCH_LARGE=100000 BENCH_CATALOG_ROWS=1000000 make bench
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${BENCH_SMALL:-100000}
LARGE=${BENCH_LARGE:-1000000}
CATALOG_ROWS=${BENCH_CATALOG_ROWS:-10000000}
R=.build/release
WORK=$(mktemp -d /tmp/dataflow-bench.XXXXXX)
SANDBOX_PID=""
cleanup() { [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p bench/results
RESULTS=bench/results/bench-$(date -u +%Y%m%dT%H%M%SZ).md

start_sandbox() {  # rows
    rm -f "$WORK/port"
    "$R/dataflow-sandbox" --port 0 --rows "$1" --case-rows 10 --port-file "$WORK/port" >"$WORK/sandbox.log" 2>&1 &
    SANDBOX_PID=$!
    for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
    export SANDBOX_PORT; SANDBOX_PORT=$(cat "$WORK/port")
    URL="http://127.0.0.1:$SANDBOX_PORT"
}
stop_sandbox() { kill "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true; SANDBOX_PID=""; }

# A project like the example county, with the rate limit off and the warehouse in $WORK.
make_project() {  # dir
    mkdir -p "$1"; cp -r Mappings "$1/"
    sed -e 's/^    rate_limit: .*$//' dataflow.yml > "$1/dataflow.yml"
}

timed() {  # out-file cmd... → "seconds peakKB"
    local out=$1; shift
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$out" 2>"$WORK/stderr" || { cat "$WORK/stderr"; exit 1; }
    cat "$WORK/time" | tail -1
}
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
requests_of_last_run() { "$R/dataflow" status --project "$1" --format json --limit 1 > "$WORK/status.json"; json "$WORK/status.json" "sum(x['requests'] for x in d['runs'][0]['datasets'])"; }

ROWS=()
declare -A RSS
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); echo "  $1: $2 (floor $3, $4)"; }

echo "== building release binaries"
swift build -c release >/dev/null

for N in "$SMALL" "$LARGE"; do
    echo "== $N licence records"
    start_sandbox "$N"
    P="$WORK/project-$N"; make_project "$P"; export DATAFLOW_WAREHOUSE="$WORK/county-$N.db"

    read -r SERVE_S _ < <(timed "$WORK/serve.json" "$R/dataflow-bench" fetch --base-url "$URL" --no-parse)
    PAGES=$(json "$WORK/serve.json" "d['pages']")
    row "sandbox serving alone, $N rows" "$(python3 -c "print(f'{$PAGES/$SERVE_S:.0f} pages/s, {$N/$SERVE_S:.0f} records/s')")" "–" "–" "never the bottleneck"

    read -r FETCH_S FETCH_KB < <(timed "$WORK/fetch.json" "$R/dataflow-bench" fetch --base-url "$URL")
    read -r INSERT_S _ < <(timed "$WORK/insert.json" "$R/dataflow-bench" insert --database "$WORK/floor.db" --base-url "$URL")
    FLOOR=$(python3 -c "print(f'{$FETCH_S+$INSERT_S:.2f}')")
    row "floor: fetch+parse, $N rows" "${FETCH_S} s" "–" "–" "same transport and parser, nothing written"
    row "floor: raw SQLite insert, $N rows" "${INSERT_S} s" "–" "–" "the same rows and keys, prepared statement, one transaction"

    read -r SYNC_S SYNC_KB < <(timed "$WORK/sync.out" "$R/dataflow" sync market_licenses --quiet --project "$P")
    row "full sync, $N rows" "$SYNC_S s, $(python3 -c "print(f'{$N/$SYNC_S:.0f}')") rows/s" "$FLOOR s" "$(python3 -c "print(f'{$SYNC_S/$FLOOR:.2f}×')")" "≤ 3× floor"
    row "peak RSS, full sync $N rows" "$((SYNC_KB / 1024)) MB" "–" "–" "< 150 MB"
    RSS[$N]=$SYNC_KB

    if [ -n "${DATAFLOW_TEST_POSTGRES_URL:-}" ]; then
        # The same full sync into PostgreSQL (a throwaway server from scripts/with-postgres.sh,
        # fsync on), next to SQLite.
        PG="$WORK/project-pg-$N"; make_project "$PG"
        sed -i "s|^warehouse: .*|warehouse: $DATAFLOW_TEST_POSTGRES_URL\nschema: bench_$N|" "$PG/dataflow.yml"
        read -r PG_S PG_KB < <(timed "$WORK/pgsync.out" "$R/dataflow" sync market_licenses --quiet --project "$PG")
        row "full sync into PostgreSQL, $N rows" "$PG_S s, $(python3 -c "print(f'{$N/$PG_S:.0f}')") rows/s, client RSS $((PG_KB / 1024)) MB" "$SYNC_S s (SQLite)" "$(python3 -c "print(f'{$PG_S/$SYNC_S:.2f}×')")" "next to SQLite"
    fi

    if [ "$N" = "$LARGE" ]; then
        read -r NOOP_S _ < <(timed "$WORK/noop.out" "$R/dataflow" sync market_licenses --quiet --project "$P")
        row "incremental, nothing changed" "$NOOP_S s, $(requests_of_last_run "$P") requests" "–" "–" "< 1 s + 1 request/dataset"
        curl -fsS -X POST "$URL/_control/clock?advance=3600" >/dev/null
        CHANGES=$((N / 100))
        curl -fsS -X POST "$URL/_control/mutate?dataset=licenses&update=$CHANGES&insert=$CHANGES" >/dev/null
        read -r INC_S _ < <(timed "$WORK/inc.out" "$R/dataflow" sync market_licenses --quiet --project "$P")
        row "incremental, 1 % updated + 1 % inserted" "$INC_S s, $(requests_of_last_run "$P") requests" "$SYNC_S s (full)" "$(python3 -c "print(f'{$INC_S/$SYNC_S*100:.1f} % of full')")" "∝ changes"

        read -r EXP_S _ < <(timed "$WORK/export.csv" "$R/dataflow" export market_licenses --reveal-pii --project "$P")
        read -r SQL_S _ < <(timed "$WORK/sqlite.csv" sqlite3 -csv "$DATAFLOW_WAREHOUSE" "SELECT uscc,name,legal_rep,established,capital,division,updated_at,_matter FROM market_licenses WHERE _deleted = 0 ORDER BY rowid")
        row "export $(($(wc -l < "$WORK/export.csv") - 1)) rows to CSV" "$EXP_S s" "$SQL_S s (sqlite3 -csv)" "$(python3 -c "print(f'{$EXP_S/max($SQL_S,0.01):.2f}×')")" "≤ sqlite3 -csv"
        LARGE_DB="$DATAFLOW_WAREHOUSE"; LARGE_PROJECT="$P"
    fi
    stop_sandbox
done

row "peak RSS, $LARGE vs $SMALL rows" "$(python3 -c "print(f'{${RSS[$LARGE]}/${RSS[$SMALL]}:.2f}×')")" "–" "–" "within 1.2×"

echo "== catalog on $CATALOG_ROWS rows"
"$R/dataflow-bench" grow --database "$LARGE_DB" --rows "$CATALOG_ROWS" >/dev/null
BEST=999
for _ in 1 2 3; do
    read -r CAT_S _ < <(DATAFLOW_WAREHOUSE="$LARGE_DB" timed "$WORK/catalog.json" "$R/dataflow" catalog --format json --project "$LARGE_PROJECT")
    BEST=$(python3 -c "print(min($BEST, $CAT_S))")
done
row "catalog on $CATALOG_ROWS rows (best of 3)" "$BEST s" "–" "–" "< 1 s"

{
    echo "# dataflow bench — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr); Swift $(swift --version 2>/dev/null | head -1 | sed 's/.*version \([0-9.]*\).*/\1/')"
    echo
    echo "| figure | value | floor / reference | ratio | target |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS"
echo "written to $RESULTS"
