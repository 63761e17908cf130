#!/usr/bin/env bash
# End to end: `cdx run` against a plain GDAL chain on the same sample region (issue 18).
# The chain: gdal_calc.py change-vector magnitude of the raw bands > THRESHOLD (a uint8 mask) →
# gdal_polygonize.py → ogr2ogr -dialect SQLite: R-tree join with the permanent-basic-farmland layer and
# ST_Intersection area per polygon (SpatiaLite, on the GeoPackage's own R-tree). Both run alternately RUNS times on the same files (warm page cache,
# GDAL_CACHEMAX=64); prints each run, both medians, the ratio and the peak RSS, and cdx's per-stage
# timings (run.json) of its median run.
# Usage: benchmarks/scripts/e2e_vs_gdal.sh [SIZE]   (run from anywhere; default 8192)
#   THRESHOLD (default 2500 DN: ~1 % of the seed-2024 sample, cdx marks ~1.4 %), RUNS (default 3),
#   SEED (default 2024), CDX_BIN (a built cdx folder to time instead of building this checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."
size="${1:-8192}"
threshold="${THRESHOLD:-2500}"
runs="${RUNS:-3}"
seed="${SEED:-2024}"
work="${TMPDIR:-/tmp}/cdx-e2e-bench"
sample="$work/sample_${size}_${seed}"
mkdir -p "$work"

for tool in gdal_calc.py gdal_polygonize.py ogr2ogr; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install gdal-bin python3-gdal)" >&2; exit 2; }
done

if [ -z "${CDX_BIN:-}" ]; then
  dotnet build src/ChangeDetection.Cli -c Release -warnaserror -v q -nologo >/dev/null
  # A copy, so that a build in this checkout while the benchmark runs does not swap the binary.
  rm -rf "$work/cdx-bin" && cp -r src/ChangeDetection.Cli/bin/Release/net10.0 "$work/cdx-bin"
  CDX_BIN="$work/cdx-bin"
fi
cdx="$CDX_BIN/cdx.dll"
[ -f "$sample/region.json" ] || dotnet "$cdx" sample "$sample" --size "$size" --seed "$seed" >/dev/null

before="$sample/before.tif"
after="$sample/after.tif"
farmland="$sample/layers/permanent_farmland.geojson"

gdal_chain() {
  rm -f "$work/g_mask.tif" "$work/g_poly.gpkg" "$work/g_overlap.csv"
  GDAL_CACHEMAX=64 gdal_calc.py --quiet \
    -A "$before" --A_band 1 -B "$before" --B_band 2 -C "$before" --C_band 3 -D "$before" --D_band 4 \
    -E "$after" --E_band 1 -F "$after" --F_band 2 -G "$after" --G_band 3 -H "$after" --H_band 4 \
    --calc "numpy.sqrt((E.astype(numpy.float32)-A)**2+(F.astype(numpy.float32)-B)**2+(G.astype(numpy.float32)-C)**2+(H.astype(numpy.float32)-D)**2)>$threshold" \
    --type Byte --hideNoData --co TILED=YES --co COMPRESS=DEFLATE --outfile "$work/g_mask.tif"
  GDAL_CACHEMAX=64 gdal_polygonize.py -q "$work/g_mask.tif" -mask "$work/g_mask.tif" -f GPKG "$work/g_poly.gpkg" out DN
  ogr2ogr -update -f GPKG "$work/g_poly.gpkg" "$farmland" -nln farmland
  ogr2ogr -f CSV "$work/g_overlap.csv" "$work/g_poly.gpkg" -dialect SQLite -sql \
    "SELECT o.fid * 1 AS patch, SUM(ST_Area(ST_Intersection(GeomFromGPB(o.geom), GeomFromGPB(f.geom)))) AS overlap_m2 FROM out o JOIN farmland f ON f.fid IN
       (SELECT id FROM rtree_farmland_geom r WHERE r.minx <= ST_MaxX(o.geom) AND r.maxx >= ST_MinX(o.geom)
          AND r.miny <= ST_MaxY(o.geom) AND r.maxy >= ST_MinY(o.geom)) GROUP BY o.fid"
}

cdx_run() {
  dotnet "$cdx" run "$sample/region.json" --out "$work/cdx_out" --force
}

timed() { # name, function: appends "secs kb" to $work/name.times
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.last" bash -c "$(declare -f "$1"); $(declare -p work before after farmland threshold cdx sample); $1" \
    >"$work/$name.out" 2>&1 || { cat "$work/$name.out" >&2; exit 1; }
  cat "$work/$name.last" >>"$work/$name.times"
  read -r secs kb <"$work/$name.last"
  printf '%-5s run %d: %8.2f s  peak RSS %6d MiB  (load %s)\n' "$name" "$2" "$secs" $((kb / 1024)) "$(cut -d' ' -f1 /proc/loadavg)"
}

rm -f "$work/gdal.times" "$work/cdx.times" "$work/cdx_runs.json"
for i in $(seq 1 "$runs"); do
  timed gdal gdal_chain "$i"
  timed cdx cdx_run "$i"
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d["timings_s"]))' "$work/cdx_out/run.json" >>"$work/cdx_runs.json"
done

/usr/bin/python3 - "$work" "$size" "$threshold" <<'EOF'
import json, statistics, sys
from osgeo import gdal
work, size, threshold = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(name):
    return [tuple(float(v) for v in line.split()) for line in open(f"{work}/{name}.times")]
g, c = load("gdal"), load("cdx")
gm, cm = statistics.median(s for s, _ in g), statistics.median(s for s, _ in c)
runs = [json.loads(line) for line in open(f"{work}/cdx_runs.json")]
median_run = sorted(runs, key=lambda r: r["total"])[len(runs) // 2]
run = json.load(open(f"{work}/cdx_out/run.json"))
mask = gdal.Open(f"{work}/g_mask.tif")  # kept in a variable: a band outliving its dataset crashes GDAL's Python bindings
mean = mask.GetRasterBand(1).ComputeStatistics(False)[2]
polys = gdal.OpenEx(f"{work}/g_poly.gpkg")
polygons = polys.GetLayerByName("out").GetFeatureCount()
print(f"sample: {size}x{size}; GDAL chain marks {100 * mean:.2f} % (> {threshold} DN, {polygons} polygons); "
      f"cdx marks {100 * run['counts']['changed_pixels'] / run['counts']['valid_pixels']:.2f} % ({run['counts']['tasks']} tasks)")
print(f"GDAL chain median: {gm:8.2f} s  peak RSS {max(k for _, k in g) / 1024:6.0f} MiB")
print(f"cdx run median:    {cm:8.2f} s  peak RSS {max(k for _, k in c) / 1024:6.0f} MiB")
print(f"ratio (gdal / cdx): {gm / cm:.2f}x")
print("cdx stages (s, median run): " + ", ".join(f"{k} {v:.1f}" for k, v in median_run.items()))
EOF
