using ChangeDetection.Geo;
using ChangeDetection.Vectorization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace ChangeDetection.Export;

/// <summary>
/// Writes patches as a GeoPackage 1.3 feature layer; the GeoPackage tables are made by
/// <c>GeoPackageSchema</c>, shared with <see cref="GeoPackageTaskWriter"/>. Geometries are written XY only (the blob writer's default XYZM shows up in GDAL as Z/M NaNs).
/// </summary>
public static class GeoPackagePatchWriter
{
    public const string DefaultLayer = "patches";

    /// <summary>The columns after <c>fid</c> and <c>geom</c>, in order.</summary>
    public static readonly IReadOnlyList<string> Fields =
        ["id", "class", "area_m2", "area_mu", "centroid_x", "centroid_y", "lon", "lat", "holes", "pixels", "simplified"];

    /// <summary>
    /// Creates (overwrites) <paramref name="path"/> with one layer of <paramref name="patches"/> in
    /// <paramref name="crs"/>. <paramref name="lastChange"/> fixes gpkg_contents.last_change (default:
    /// now), so that a run that must give byte-identical outputs can pass a time of its own.
    /// </summary>
    public static void Write(string path, IReadOnlyList<Patch> patches, Crs crs, string layer = DefaultLayer, DateTime? lastChange = null)
    {
        ArgumentNullException.ThrowIfNull(patches);
        ArgumentNullException.ThrowIfNull(crs);
        GeoPackageSchema.WriteFile(path, layer, db => WriteCore(db, patches, crs, layer, lastChange ?? DateTime.UtcNow));
    }

    private static void WriteCore(SqliteConnection db, IReadOnlyList<Patch> patches, Crs crs, string layer, DateTime lastChange)
    {
        bool multi = patches.Any(p => p.MapGeometry is not Polygon);
        var env = new Envelope();
        foreach (var p in patches) env.ExpandToInclude(p.MapGeometry.EnvelopeInternal);
        int srsId = GeoPackageSchema.CreateFeatureTable(db, layer, "Monitoring patches (图斑)", crs, env, multi, lastChange, """
            id INTEGER NOT NULL, class INTEGER NOT NULL, area_m2 REAL NOT NULL, area_mu REAL NOT NULL,
              centroid_x REAL NOT NULL, centroid_y REAL NOT NULL, lon REAL, lat REAL, holes INTEGER NOT NULL, pixels INTEGER NOT NULL,
              simplified INTEGER NOT NULL
            """);

        using (var insert = db.CreateCommand())
        {
            insert.CommandText = $"INSERT INTO \"{layer}\" (geom, id, class, area_m2, area_mu, centroid_x, centroid_y, lon, lat, holes, pixels, simplified) VALUES ($g, $id, $c, $a, $mu, $cx, $cy, $lon, $lat, $h, $px, $s)";
            var pg = insert.Parameters.Add("$g", SqliteType.Blob);
            var pid = insert.Parameters.Add("$id", SqliteType.Integer);
            var pc = insert.Parameters.Add("$c", SqliteType.Integer);
            var pa = insert.Parameters.Add("$a", SqliteType.Real);
            var pmu = insert.Parameters.Add("$mu", SqliteType.Real);
            var pcx = insert.Parameters.Add("$cx", SqliteType.Real);
            var pcy = insert.Parameters.Add("$cy", SqliteType.Real);
            var plon = insert.Parameters.Add("$lon", SqliteType.Real);
            var plat = insert.Parameters.Add("$lat", SqliteType.Real);
            var ph = insert.Parameters.Add("$h", SqliteType.Integer);
            var ppx = insert.Parameters.Add("$px", SqliteType.Integer);
            var ps = insert.Parameters.Add("$s", SqliteType.Integer);
            insert.Prepare();
            foreach (var p in patches)
            {
                Geometry g = p.MapGeometry;
                if (multi && g is Polygon poly) g = g.Factory.CreateMultiPolygon([poly]);
                pg.Value = GeometryBlobs.GeoPackage(g, srsId);
                pid.Value = p.Id;
                pc.Value = (int)p.ClassValue;
                pa.Value = p.AreaM2;
                pmu.Value = p.AreaMu;
                pcx.Value = p.CentroidX;
                pcy.Value = p.CentroidY;
                plon.Value = p.Lon is double lon ? lon : DBNull.Value;
                plat.Value = p.Lat is double lat ? lat : DBNull.Value;
                ph.Value = p.HoleCount;
                ppx.Value = p.PixelCount;
                ps.Value = p.Simplified ? 1 : 0;
                insert.ExecuteNonQuery();
            }
        }
        Exec(db, "COMMIT");
    }

    private static void Exec(SqliteConnection db, string sql) => GeoPackageSchema.Exec(db, sql);
}
