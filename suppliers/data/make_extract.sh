#!/usr/bin/env bash
# Regenerate the supplier simulator's reference data from the project's shared data:
#   airports.csv  airports (airportsdata, MIT) serving a city of 1,000,000+ people (GeoNames)
#   cities.csv    the 300 most populous cities (GeoNames, CC BY 4.0)
#
# usage: suppliers/data/make_extract.sh [SHARED_DATA_DIR]
#   SHARED_DATA_DIR defaults to ../shared/data relative to the repository root; it must hold
#   airports_iata.csv and cities15000.csv (see that folder's README for their sources).
# Outputs are written next to this script. Rows are sorted so regenerating from the same
# input gives byte-identical files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
shared=${1:-"$repo_root/../shared/data"}
[[ -r "$shared/airports_iata.csv" ]] || { echo "error: cannot read $shared/airports_iata.csv" >&2; exit 1; }
[[ -r "$shared/cities15000.csv" ]] || { echo "error: cannot read $shared/cities15000.csv" >&2; exit 1; }

python3 - "$shared" "$here" <<'PY'
import csv, sys
shared, out_dir = sys.argv[1], sys.argv[2]
MIN_POPULATION = 1_000_000
CITY_COUNT = 300
# GeoNames and airportsdata spell a few cities differently; the GeoNames name maps to the
# airportsdata one here so those airports are kept.
ALIASES = {("New York City", "US"): "New York"}

with open(f"{shared}/cities15000.csv", newline="", encoding="utf-8") as f:
    cities = list(csv.DictReader(f))
cities.sort(key=lambda r: (-int(r["population"]), int(r["geonameid"])))

big = set()
for r in cities:
    if int(r["population"]) >= MIN_POPULATION:
        key = (r["name"], r["country"])
        big.add((ALIASES.get(key, r["name"]), r["country"]))

with open(f"{shared}/airports_iata.csv", newline="", encoding="utf-8") as f:
    reader = csv.DictReader(f)
    columns = reader.fieldnames
    airports = [r for r in reader if (r["city"], r["country"]) in big and r["timezone"]]
airports.sort(key=lambda r: r["iata"])
with open(f"{out_dir}/airports.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(airports)

with open(f"{out_dir}/cities.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["geonameid", "name", "country_code", "lat", "lon", "population", "timezone"])
    for r in cities[:CITY_COUNT]:
        w.writerow([r["geonameid"], r["name"], r["country"], r["latitude"], r["longitude"],
                    r["population"], r["timezone"]])
print(f"wrote {len(airports)} airports and {min(CITY_COUNT, len(cities))} cities to {out_dir}",
      file=sys.stderr)
PY
