#!/usr/bin/env bash
# Times `cdx polygonize` against `gdal_polygonize.py` on the same generated change mask
# (default 16384 x 16384, ~3 % change) and prints the ratio and peak memory of each.
# Usage: benchmarks/scripts/polygonize_vs_gdal.sh [SIZE] [DENSITY]   (run from the checkout root)
set -euo pipefail
cd "$(dirname "$0")/../.."
size="${1:-16384}"
density="${2:-0.03}"
work="${TMPDIR:-/tmp}/cdx-polygonize-bench"
mkdir -p "$work"
mask="$work/mask_${size}_${density}.tif"

command -v gdal_polygonize.py >/dev/null || { echo "gdal_polygonize.py not found (apt-get install gdal-bin python3-gdal)"; exit 2; }
[ -f "$mask" ] || /usr/bin/python3 benchmarks/scripts/make_mask.py "$mask" "$size" "$density"

dotnet build src/ChangeDetection.Cli -c Release -warnaserror -v q -nologo >/dev/null
cdx="src/ChangeDetection.Cli/bin/Release/net10.0/cdx.dll"

run() { # name, command...
  local name="$1"; shift
  local log="$work/$name.time"
  /usr/bin/time -f "%e %M" -o "$log" "$@" >"$work/$name.out" 2>&1 || { cat "$work/$name.out"; exit 1; }
  read -r secs kb <"$log"
  echo "$name $secs $kb"
}

rm -f "$work/cdx.gpkg" "$work/gdal.gpkg"
# GDAL: value-1 polygons only (the band as its own mask, so 0 and nodata are skipped), 4-connectivity, GPKG.
gdal_line="$(run gdal gdal_polygonize.py "$mask" -q -mask "$mask" -f GPKG "$work/gdal.gpkg" out DN)"
# cdx: same polygons (no minimum area), plus areas, 亩, centroids, lon/lat and simplification.
cdx_line="$(run cdx dotnet "$cdx" polygonize "$mask" "$work/cdx.gpkg" --min-area 0)"

read -r _ gsecs gkb <<<"$gdal_line"
read -r _ csecs ckb <<<"$cdx_line"
gcount="$(ogrinfo -q -sql 'SELECT COUNT(*) AS n FROM out WHERE DN = 1' "$work/gdal.gpkg" | sed -n 's/.*n (Integer) = //p')"
ccount="$(ogrinfo -q -sql 'SELECT COUNT(*) AS n FROM patches' "$work/cdx.gpkg" | sed -n 's/.*n (Integer) = //p')"
echo "mask:   $size x $size, $(cat "$work/cdx.out")"
printf 'gdal_polygonize.py: %8.2f s  peak RSS %6d MiB  %s polygons\n' "$gsecs" $((gkb / 1024)) "$gcount"
printf 'cdx polygonize:     %8.2f s  peak RSS %6d MiB  %s polygons\n' "$csecs" $((ckb / 1024)) "$ccount"
awk -v g="$gsecs" -v c="$csecs" 'BEGIN { printf "ratio (gdal / cdx): %.2fx\n", g / c }'
