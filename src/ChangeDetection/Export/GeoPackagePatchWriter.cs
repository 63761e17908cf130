using ChangeDetection.Geo;
using ChangeDetection.Vectorization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace ChangeDetection.Export;

/// <summary>
/// Writes patches as a GeoPackage 1.3 feature layer. NetTopologySuite.IO.GeoPackage only encodes
/// geometry blobs, so the GeoPackage tables (application_id, user_version, gpkg_spatial_ref_sys with
/// the required −1/0/4326 rows plus the layer's CRS, gpkg_contents, gpkg_geometry_columns) are made
/// here. Geometries are written XY only (the blob writer's default XYZM shows up in GDAL as Z/M NaNs).
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
        if (string.IsNullOrWhiteSpace(layer) || layer.Contains('"', StringComparison.Ordinal))
            throw new ArgumentException("The layer name must be non-empty and contain no double quote.", nameof(layer));
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new ChangeDetectionException($"{path}: the folder {dir} does not exist.");
        try
        {
            if (File.Exists(full)) File.Delete(full);
            WriteCore(full, patches, crs, layer, lastChange ?? DateTime.UtcNow);
        }
        catch (SqliteException e)
        {
            throw new ChangeDetectionException($"{path}: cannot write the GeoPackage: {e.Message}", e);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    private static void WriteCore(string path, IReadOnlyList<Patch> patches, Crs crs, string layer, DateTime lastChange)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        db.Open();
        Exec(db, "PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;");
        Exec(db, "BEGIN");
        Exec(db, """
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
              organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
              description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
              min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
              CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
              srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
              CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),
              CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
              CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
            """);
        InsertSrs(db, 4326, "WGS 84 geodetic", CrsRegistry.Wkt(4326)!);
        int srsId = -1;
        if (crs.Epsg is int epsg)
        {
            srsId = epsg;
            if (epsg != 4326)
                InsertSrs(db, epsg, crs.Citation ?? $"EPSG:{epsg}", CrsRegistry.Wkt(epsg) ?? "undefined");
        }

        bool multi = patches.Any(p => p.MapGeometry is not Polygon);
        var env = new Envelope();
        foreach (var p in patches) env.ExpandToInclude(p.MapGeometry.EnvelopeInternal);
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES ($t, 'features', $t, 'Monitoring patches (图斑)', $lc, $x0, $y0, $x1, $y1, $srs)";
            cmd.Parameters.AddWithValue("$lc", lastChange.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$t", layer);
            cmd.Parameters.AddWithValue("$x0", env.IsNull ? DBNull.Value : env.MinX);
            cmd.Parameters.AddWithValue("$y0", env.IsNull ? DBNull.Value : env.MinY);
            cmd.Parameters.AddWithValue("$x1", env.IsNull ? DBNull.Value : env.MaxX);
            cmd.Parameters.AddWithValue("$y1", env.IsNull ? DBNull.Value : env.MaxY);
            cmd.Parameters.AddWithValue("$srs", srsId);
            cmd.ExecuteNonQuery();
        }
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO gpkg_geometry_columns VALUES ($t, 'geom', $type, $srs, 0, 0)";
            cmd.Parameters.AddWithValue("$t", layer);
            cmd.Parameters.AddWithValue("$type", multi ? "MULTIPOLYGON" : "POLYGON");
            cmd.Parameters.AddWithValue("$srs", srsId);
            cmd.ExecuteNonQuery();
        }
        Exec(db, $"""
            CREATE TABLE "{layer}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {(multi ? "MULTIPOLYGON" : "POLYGON")},
              id INTEGER NOT NULL, class INTEGER NOT NULL, area_m2 REAL NOT NULL, area_mu REAL NOT NULL,
              centroid_x REAL NOT NULL, centroid_y REAL NOT NULL, lon REAL, lat REAL, holes INTEGER NOT NULL, pixels INTEGER NOT NULL,
              simplified INTEGER NOT NULL);
            """);

        var writer = new GeoPackageGeoWriter { HandleOrdinates = Ordinates.XY };
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
                Geometry g = p.MapGeometry.Copy();
                if (multi && g is Polygon poly) g = g.Factory.CreateMultiPolygon([poly]);
                g.SRID = srsId;
                pg.Value = writer.Write(g);
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

    private static void InsertSrs(SqliteConnection db, int id, string name, string definition)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "INSERT INTO gpkg_spatial_ref_sys VALUES ($n, $id, 'EPSG', $id, $d, NULL)";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$d", definition);
        cmd.ExecuteNonQuery();
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
