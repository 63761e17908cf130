#!/usr/bin/env python3
"""Writes a SIZE x SIZE uint8 change mask (0/1, nodata 255 border strip) with realistic change
density: random blobs (some with holes and islands), tiled DEFLATE, CGCS2000 GK zone 39, 0.8 m.
Written strip by strip, so memory stays small. Usage: make_mask.py OUT.tif [SIZE] [DENSITY] [SEED]"""
import sys
import numpy as np
from osgeo import gdal, osr

out = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 16384
density = float(sys.argv[3]) if len(sys.argv) > 3 else 0.03
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
rng = np.random.default_rng(seed)

strip = 1024
# Blob radii 2..40 px (3..64 m at 0.8 m): mean area ~ pi * E[r^2].
mean_area = np.pi * np.mean(np.arange(2, 41, dtype=float) ** 2)
n = int(density * size * size / mean_area)
r = rng.integers(2, 41, size=n)
cx = rng.integers(0, size, n)
cy = rng.integers(0, size, n)
holes = rng.random(n) < 0.3
order = np.argsort(cy - r)

drv = gdal.GetDriverByName("GTiff")
ds = drv.Create(out, size, size, 1, gdal.GDT_Byte, ["TILED=YES", "COMPRESS=DEFLATE", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER"])
ds.SetGeoTransform([39_500_000, 0.8, 0, 3_400_000, 0, -0.8])
srs = osr.SpatialReference()
srs.ImportFromEPSG(4527)
ds.SetProjection(srs.ExportToWkt())
band = ds.GetRasterBand(1)
band.SetNoDataValue(255)
changed = 0
for y0 in range(0, size, strip):
    h = min(strip, size - y0)
    m = np.zeros((h, size), np.uint8)
    sel = np.nonzero((cy + r >= y0) & (cy - r < y0 + h))[0]
    for i in sel:
        x, y, rr = int(cx[i]), int(cy[i]), int(r[i])
        ya, yb = max(y - rr, y0), min(y + rr + 1, y0 + h)
        xa, xb = max(x - rr, 0), min(x + rr + 1, size)
        yy, xx = np.ogrid[ya:yb, xa:xb]
        d2 = (xx - x) ** 2 + (yy - y) ** 2
        win = m[ya - y0:yb - y0, xa:xb]
        win[d2 <= rr * rr] = 1
        if holes[i] and rr >= 8:
            win[d2 <= (rr - 4) ** 2] = 0
            win[d2 <= (rr // 3) ** 2] = 1
    if y0 == 0:
        m[:16, :] = 255
    band.WriteArray(m, 0, y0)
    changed += int(np.count_nonzero(m == 1))
ds = None
print(f"{out}: {size}x{size}, {n} blobs, change density {changed / size / size:.3%}")
