#!/usr/bin/env bash
# The README's demo: sandbox platform → sync → upstream change → incremental sync → reports;
# then a new county: catalogue import → gaps with sources → draft a dataset → sync → coverage up.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/debug
DEMO=demo
# demo/ holds the warehouse, so it is private (0700) from the start, as dataflow makes it anyway.
rm -rf "$DEMO" && mkdir -m 700 "$DEMO"

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

# A new county's first day: one dataset, the province's catalogue, and a second dataset drafted
# from a request-only file (docs/onboarding.md walks the same path).
NEW="$DEMO/new-county"
mkdir -p "$NEW/Mappings/datasets"
cp dataflow.yml "$NEW/"
cp -r Mappings/dictionaries Mappings/codes Mappings/glossary.yml Mappings/catalogue.yml "$NEW/Mappings/"
cp Mappings/datasets/market_licenses.yml "$NEW/Mappings/datasets/"
export DATAFLOW_WAREHOUSE="$PWD/$DEMO/new-county.db"
df() { "$PWD/$BIN/dataflow" "$@" --project "$NEW"; }
step "new county: sync its one dataset";           df sync --quiet
df catalog | grep "Matters covered"
step "new county: import the province's resource catalogue (the sandbox's .xlsx export)"
curl -fsS "$URL/catalogue/export.xlsx" -o "$NEW/省资源目录.xlsx"
df catalog import "$NEW/省资源目录.xlsx" | head -n 5
step "new county: gaps and the catalogue resources that could fill them (first rows)"
df catalog | sed -n '/Where the gaps could come from/,$p' | head -n 10
step "new county: the 需求清单 to send to the province (CSV, first 3 rows)"
df catalog --format csv --csv-table demand | head -n 3 | cut -c1-160
step "new county: draft service_cases from a request-only file"
cat >"$NEW/Mappings/datasets/service_cases.yml" <<'YAML'
dataset: service_cases
title: 政务服务办件信息
source: province
resource_code: 330000-DSJ-0001
request:
  path: /gateway/api/001008002/dataSharing/serviceCases.htm
  params: { areaCode: "${county.code}" }
  records: datas.list
  pagination: { type: page, page_param: pageNum, size_param: pageSize, size: 500, total: datas.total }
YAML
df draft service_cases
grep -vE '^ *#' "$NEW/Mappings/datasets/service_cases.yml" | sed -n '/^incremental:/,$p'
step "new county: validate, sync, and coverage goes up"
df validate --quiet && df sync --quiet
df catalog | grep "Matters covered"
step "demo finished: warehouse $DEMO/county.db, CSV $DEMO/market_licenses.csv, new county in $NEW"
