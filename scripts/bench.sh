#!/usr/bin/env bash
# `make bench`: every figure of docs/performance.md next to its floor, measured in one run on this machine.
# Sizes can be lowered for a quick look: BENCH_SMALL=20000 BENCH_LARGE=100000 BENCH_CATALOG_ROWS=1000000 make bench
# BENCH_ONLY=latency (or loopback) runs one part: the latency scenarios, or the loopback figures.
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${BENCH_SMALL:-200000}  # the sizes the targets name (200 k and 1 M rows)
LARGE=${BENCH_LARGE:-1000000}
CATALOG_ROWS=${BENCH_CATALOG_ROWS:-10000000}
R=.build/release
WORK=$(mktemp -d /tmp/dataflow-bench.XXXXXX)
SANDBOX_PID=""
cleanup() { [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p bench/results
RESULTS=bench/results/bench-$(date -u +%Y%m%dT%H%M%SZ).md

ONLY=${BENCH_ONLY:-all}
part() { [ "$ONLY" = all ] || [ "$ONLY" = "$1" ]; }

start_sandbox() {  # rows [more sandbox flags…]
    rm -f "$WORK/port"
    local rows=$1; shift
    "$R/dataflow-sandbox" --port 0 --rows "$rows" --case-rows 10 --port-file "$WORK/port" "$@" >"$WORK/sandbox.log" 2>&1 &
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

timed() {  # out-file cmd... → "seconds peakKB"; the CPU seconds (user + sys) go to $WORK/cpu
    local out=$1; shift
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$@" >"$out" 2>"$WORK/stderr" || { cat "$WORK/stderr"; exit 1; }
    tail -1 "$WORK/time" | awk '{printf "%.2f", $3 + $4}' > "$WORK/cpu"
    tail -1 "$WORK/time" | awk '{print $1, $2}'
}
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
# A county of N copies of the licence dataset on one source with `concurrency: C` (pages of 1,000),
# walked by cursor (`sorted: true`, the default) or by page number with the gateway's total (`false`).
make_latency_project() {  # dir datasets concurrency [sorted]
    mkdir -p "$1/Mappings/datasets"; cp -r Mappings/dictionaries Mappings/codes "$1/Mappings/"
    for i in $(seq -w 1 "$2"); do
        sed -e "s/^dataset: market_licenses/dataset: licenses_$i/" -e 's/size: 500/size: 1000/' -e "s/^  sorted: true/  sorted: ${4:-true}/" \
            Mappings/datasets/market_licenses.yml > "$1/Mappings/datasets/licenses_$i.yml"
    done
    sed -e "s/^    rate_limit: .*\$/    concurrency: $3/" dataflow.yml > "$1/dataflow.yml"
}
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
insert_median() {  # out-file dataflow-bench insert flags… → the median "seconds" of three runs, as JSON
    local out=$1; shift; local runs=()
    for _ in 1 2 3; do "$R/dataflow-bench" insert "$@" --database "$WORK/floor.db" --base-url "$URL" > "$out"; runs+=("$(json "$out" "d['seconds']")"); done
    echo "{\"seconds\": $(median "${runs[@]}")}" > "$out"
}
requests_of_last_run() { "$R/dataflow" status --project "$1" --format json --limit 1 > "$WORK/status.json"; json "$WORK/status.json" "sum(x['requests'] for x in d['runs'][0]['datasets'])"; }

ROWS=()
declare -A RSS
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); echo "  $1: $2 (floor $3, $4)"; }

echo "== building release binaries"
# As `make release` builds them: the Swift runtime linked in (Makefile, "release").
swift build -c release --static-swift-stdlib >/dev/null

if part latency; then
    LATENCY=0.15
    # Two cores shared with whatever else runs: each latency figure is the median of three runs.
    echo "== 20 datasets × 10,000 rows at 150 ms, concurrency 4 (median of 3)"
    start_sandbox 10000 --latency 150ms
    P="$WORK/latency-20"; make_latency_project "$P" 20 4; export DATAFLOW_WAREHOUSE="$WORK/latency-20.db"
    TIMES=(); CPUS=(); KBS=()
    for _ in 1 2 3; do
        rm -f "$DATAFLOW_WAREHOUSE" "$DATAFLOW_WAREHOUSE"-*
        read -r T KB < <(timed "$WORK/latency.out" "$R/dataflow" sync --quiet --project "$P")
        TIMES+=("$T"); CPUS+=("$(cat "$WORK/cpu")"); KBS+=("$KB")
    done
    LAT_S=$(median "${TIMES[@]}"); LAT_CPU=$(median "${CPUS[@]}"); LAT_KB=$(printf '%s\n' "${KBS[@]}" | sort -n | tail -1)
    LAT_REQ=$(requests_of_last_run "$P")
    LAT_FLOOR=$(python3 -c "print(f'{$LAT_REQ*$LATENCY/4:.2f}')")
    row "20 datasets × 10 k rows, 150 ms latency, concurrency 4 (median of 3)" "$LAT_S s ($(IFS=/; echo "${TIMES[*]}")), $LAT_REQ requests, CPU $LAT_CPU s, $((LAT_KB / 1024)) MB" "$LAT_FLOOR s (requests × 0.15 s ÷ 4)" "$(python3 -c "print(f'{$LAT_S/$LAT_FLOOR:.2f}×')")" "≤ 1.5× floor, < 150 MB"
    # The same work with no latency: what the machine's CPU allows right now. When this is near
    # the figure above, the run was bound by CPU (ours or other processes'), not by the gateway.
    rm -f "$DATAFLOW_WAREHOUSE" "$DATAFLOW_WAREHOUSE"-*
    curl -fsS -X POST "$URL/_control/config?latency=0" >/dev/null
    read -r T0 _ < <(timed "$WORK/latency0.out" "$R/dataflow" sync --quiet --project "$P")
    row "the same at 0 ms latency (reference)" "$T0 s, CPU $(cat "$WORK/cpu") s, load average $(cut -d' ' -f1 /proc/loadavg)" "–" "–" "what the CPU allows on this run"
    curl -fsS -X POST "$URL/_control/config?latency=150ms" >/dev/null
    rm -f "$DATAFLOW_WAREHOUSE" "$DATAFLOW_WAREHOUSE"-*
    sed -i 's/concurrency: 4/concurrency: 8/' "$P/dataflow.yml"
    read -r T8 KB8 < <(timed "$WORK/latency8.out" "$R/dataflow" sync --quiet --project "$P")
    row "the same with concurrency 8 (8 in flight)" "$T8 s, CPU $(cat "$WORK/cpu") s, $((KB8 / 1024)) MB" "$(python3 -c "print(f'{$LAT_REQ*$LATENCY/8:.2f}')") s (requests × 0.15 s ÷ 8)" "$(python3 -c "print(f'{$T8/($LAT_REQ*$LATENCY/8):.2f}×')")" "peak RSS < 150 MB"
    stop_sandbox

    echo "== one dataset × 50,000 rows at 150 ms, concurrency 4: its pages at once (median of 3)"
    start_sandbox 50000 --latency 150ms
    P="$WORK/latency-one"; make_latency_project "$P" 1 4 false; export DATAFLOW_WAREHOUSE="$WORK/latency-one.db"
    TIMES=(); KBS=()
    for _ in 1 2 3; do
        rm -f "$DATAFLOW_WAREHOUSE" "$DATAFLOW_WAREHOUSE"-*
        read -r T KB < <(timed "$WORK/one.out" "$R/dataflow" sync --quiet --project "$P")
        TIMES+=("$T"); KBS+=("$KB")
    done
    ONE_S=$(median "${TIMES[@]}"); ONE_KB=$(printf '%s\n' "${KBS[@]}" | sort -n | tail -1); ONE_REQ=$(requests_of_last_run "$P")
    # The first page goes alone (it says the total); the rest four at a time.
    ONE_FLOOR=$(python3 -c "print(f'{$LATENCY + ($ONE_REQ-1)*$LATENCY/4:.2f}')")
    row "one dataset × 50 k rows, page walk with a total, 150 ms latency, concurrency 4 (median of 3)" "$ONE_S s ($(IFS=/; echo "${TIMES[*]}")), $ONE_REQ requests, $((ONE_KB / 1024)) MB" "$ONE_FLOOR s (0.15 s + (requests − 1) × 0.15 s ÷ 4)" "$(python3 -c "print(f'{$ONE_S/$ONE_FLOOR:.2f}×')")" "≤ 1.5× floor"
    # The same dataset walked by cursor (`sorted: true`): each request needs the page before it.
    sed -i 's/^  sorted: false/  sorted: true/' "$P/Mappings/datasets/licenses_1.yml"
    rm -f "$DATAFLOW_WAREHOUSE" "$DATAFLOW_WAREHOUSE"-*
    read -r T1 _ < <(timed "$WORK/one-cursor.out" "$R/dataflow" sync --quiet --project "$P")
    row "the same walked by cursor (one request at a time, reference)" "$T1 s, $(requests_of_last_run "$P") requests" "$(python3 -c "print(f'{$(requests_of_last_run "$P")*$LATENCY:.2f}')") s (requests × 0.15 s)" "–" "what the dataset took before its pages went at once"
    stop_sandbox

    echo "== no-change nightly run, 100 datasets at 150 ms, concurrency 4 (median of 3)"
    start_sandbox 1000
    P="$WORK/nightly-100"; make_latency_project "$P" 100 4; export DATAFLOW_WAREHOUSE="$WORK/nightly-100.db"
    "$R/dataflow" sync --quiet --project "$P"          # the first load, on loopback (not timed)
    curl -fsS -X POST "$URL/_control/config?latency=150ms" >/dev/null
    TIMES=()
    for _ in 1 2 3; do
        read -r T NIGHT_KB < <(timed "$WORK/nightly.out" "$R/dataflow" sync --quiet --project "$P")
        TIMES+=("$T")
    done
    NIGHT_S=$(median "${TIMES[@]}")
    NIGHT_FLOOR=$(python3 -c "print(f'{100*$LATENCY/4:.2f}')")
    row "no-change nightly run, 100 datasets, 150 ms latency, concurrency 4 (median of 3)" "$NIGHT_S s ($(IFS=/; echo "${TIMES[*]}")), $(requests_of_last_run "$P") requests, CPU $(cat "$WORK/cpu") s, $((NIGHT_KB / 1024)) MB" "$NIGHT_FLOOR s (100 × 0.15 s ÷ 4)" "$(python3 -c "print(f'{$NIGHT_S/$NIGHT_FLOOR:.2f}×')")" "≤ 1.5× floor"
    stop_sandbox
fi

if part loopback; then
for N in "$SMALL" "$LARGE"; do
    echo "== $N licence records"
    start_sandbox "$N"
    P="$WORK/project-$N"; make_project "$P"; export DATAFLOW_WAREHOUSE="$WORK/county-$N.db"

    read -r SERVE_S _ < <(timed "$WORK/serve.json" "$R/dataflow-bench" fetch --base-url "$URL" --no-parse)
    PAGES=$(json "$WORK/serve.json" "d['pages']")
    row "sandbox serving alone, $N rows" "$(python3 -c "print(f'{$PAGES/$SERVE_S:.0f} pages/s, {$N/$SERVE_S:.0f} records/s')")" "–" "–" "never the bottleneck"

    # The insert floor is the fastest known way to store the same rows with a unique key (the
    # faster of a keyed table and a WITHOUT ROWID table), not the warehouse's own layout. Each
    # reports the insert alone (reading the rows first is not timed).
    "$R/dataflow-bench" insert --layout without-rowid --database "$WORK/floor.db" --base-url "$URL" > "$WORK/insert-wr.json"
    "$R/dataflow-bench" insert --layout warehouse --database "$WORK/floor.db" --base-url "$URL" > "$WORK/insert-wh.json"
    WR_S=$(json "$WORK/insert-wr.json" "d['seconds']"); WH_S=$(json "$WORK/insert-wh.json" "d['seconds']")
    # Three rounds, each the fetch floor, the keyed insert floor and a full sync into a fresh
    # warehouse, back to back: on two shared cores the machine's speed drifts by a quarter within
    # minutes, so the sync is compared with the floor of its own round (the median of the three
    # rounds' ratios), and each figure is also the median of its three runs. The last sync's
    # warehouse goes on to the figures below.
    FETCHES=(); PKS=(); TIMES=(); RATIOS=(); SYNC_KB=0
    for _ in 1 2 3; do
        read -r F _ < <(timed "$WORK/fetch.json" "$R/dataflow-bench" fetch --base-url "$URL"); FETCHES+=("$F")
        "$R/dataflow-bench" insert --layout primary-key --database "$WORK/floor.db" --base-url "$URL" > "$WORK/insert-pk.json"
        I=$(json "$WORK/insert-pk.json" "d['seconds']"); PKS+=("$I")
        rm -f "$DATAFLOW_WAREHOUSE" "$DATAFLOW_WAREHOUSE"-*
        read -r T KB < <(timed "$WORK/sync.out" "$R/dataflow" sync market_licenses --quiet --project "$P")
        TIMES+=("$T"); [ "$KB" -gt "$SYNC_KB" ] && SYNC_KB=$KB
        RATIOS+=("$(python3 -c "print(f'{$T/($F+min($I, $WR_S)):.2f}')")")
    done
    FETCH_S=$(median "${FETCHES[@]}"); PK_S=$(median "${PKS[@]}"); SYNC_S=$(median "${TIMES[@]}"); RATIO=$(median "${RATIOS[@]}")
    # The same fastest layout with the rows in a cursor walk's order (by update time), as a sync
    # receives them: the key index then grows at random places, not only at its end.
    insert_median "$WORK/insert-pk-walk.json" --layout primary-key --order update-time
    PKW_S=$(json "$WORK/insert-pk-walk.json" "d['seconds']")
    curl -fsS "$URL/_control/truth?dataset=licenses" > "$WORK/truth.ndjson"
    PY_S=$(python3 - "$WORK/truth.ndjson" "$WORK/floor-py.db" <<'PY'
import json, os, sqlite3, sys, time
fields = ["TYSHXYDM", "QYMC", "FDDBR", "CLRQ", "ZCZB", "XZQHDM", "UPDATE_TIME", "SXBM"]
rows = [tuple([r["TYSHXYDM"]] + [r.get(f) for f in fields]) for r in map(json.loads, open(sys.argv[1], encoding="utf-8"))]
if os.path.exists(sys.argv[2]): os.remove(sys.argv[2])
db = sqlite3.connect(sys.argv[2])
db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (_key TEXT PRIMARY KEY, a, b, c, d, e, f, g, h);")
started = time.time()
with db:
    db.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?)", rows)
print(f"{time.time() - started:.3f}")
PY
)
    INSERT_S=$(python3 -c "print(min($PK_S, $WR_S))")
    FLOOR=$(python3 -c "print(f'{$FETCH_S+$INSERT_S:.2f}')")
    row "floor: fetch+parse, $N rows (median of 3)" "${FETCH_S} s ($(IFS=/; echo "${FETCHES[*]}"))" "–" "–" "every page fetched (same transport, signing) and parsed, nothing written"
    row "floor: insert with a unique key, $N rows" "${INSERT_S} s, $(python3 -c "print(f'{$N/$INSERT_S:.0f}')") rows/s" "–" "–" "fastest of: TEXT PRIMARY KEY ${PK_S} s ($(IFS=/; echo "${PKS[*]}")), WITHOUT ROWID ${WR_S} s"
    row "reference: Python sqlite3.executemany, $N rows" "${PY_S} s, $(python3 -c "print(f'{$N/$PY_S:.0f}')") rows/s" "–" "–" "keyed table, same rows"
    row "reference: the warehouse's layout, $N rows" "${WH_S} s" "$INSERT_S s (floor)" "$(python3 -c "print(f'{$WH_S/$INSERT_S:.2f}×')")" "rowid + UNIQUE index + bookkeeping columns"
    row "reference: the floor's insert in a cursor walk's order, $N rows" "${PKW_S} s" "$INSERT_S s (floor, key order)" "$(python3 -c "print(f'{$PKW_S/$INSERT_S:.2f}×')")" "TEXT PRIMARY KEY, rows by update time as a sync gets them"
    row "full sync, $N rows (median of 3)" "$SYNC_S s ($(IFS=/; echo "${TIMES[*]}")), $(python3 -c "print(f'{$N/$SYNC_S:.0f}')") rows/s" "$FLOOR s (medians)" "${RATIO}× (rounds: $(IFS=/; echo "${RATIOS[*]}"))" "≤ 1.5× floor (was ≤ 3×)"
    WALK_FLOOR=$(python3 -c "print(f'{$FETCH_S+$PKW_S:.2f}')")
    row "the same against the floor in a cursor walk's order" "$SYNC_S s" "$WALK_FLOOR s (fetch + insert by update time)" "$(python3 -c "print(f'{$SYNC_S/$WALK_FLOOR:.2f}×')")" "reference"
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

        # Medians of three, in turn: one run of either moves by a fifth on shared cores.
        EXPS=(); SQLS=()
        for _ in 1 2 3; do
            read -r T _ < <(timed "$WORK/export.csv" "$R/dataflow" export market_licenses --reveal-pii --project "$P"); EXPS+=("$T")
            read -r T _ < <(timed "$WORK/sqlite.csv" sqlite3 -csv "$DATAFLOW_WAREHOUSE" "SELECT uscc,name,legal_rep,established,capital,division,updated_at,_matter FROM market_licenses WHERE _deleted = 0 ORDER BY rowid"); SQLS+=("$T")
        done
        EXP_S=$(median "${EXPS[@]}"); SQL_S=$(median "${SQLS[@]}")
        row "export $(($(wc -l < "$WORK/export.csv") - 1)) rows to CSV" "$EXP_S s" "$SQL_S s (sqlite3 -csv)" "$(python3 -c "print(f'{$EXP_S/max($SQL_S,0.01):.2f}×')")" "≤ sqlite3 -csv"
        LARGE_DB="$DATAFLOW_WAREHOUSE"; LARGE_PROJECT="$P"
    fi
    stop_sandbox
done

fi

if part loopback; then
row "peak RSS, $LARGE vs $SMALL rows" "$(python3 -c "print(f'{${RSS[$LARGE]}/${RSS[$SMALL]}:.2f}×')")" "–" "–" "within 1.2×"

echo "== catalog on $CATALOG_ROWS rows"
"$R/dataflow-bench" grow --database "$LARGE_DB" --rows "$CATALOG_ROWS" >/dev/null
BEST=999
for _ in 1 2 3; do
    read -r CAT_S _ < <(DATAFLOW_WAREHOUSE="$LARGE_DB" timed "$WORK/catalog.json" "$R/dataflow" catalog --format json --project "$LARGE_PROJECT")
    BEST=$(python3 -c "print(min($BEST, $CAT_S))")
done
row "catalog on $CATALOG_ROWS rows (best of 3)" "$BEST s" "–" "–" "< 1 s"
fi

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
