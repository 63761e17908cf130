using System.Globalization;
using ChangeDetection.Geo;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Export;

/// <summary>
/// The GeoPackage 1.3 bookkeeping shared by the feature writers. NetTopologySuite.IO.GeoPackage only
/// encodes geometry blobs, so the tables (application_id, user_version, gpkg_spatial_ref_sys with
/// the required −1/0/4326 rows plus the layer's CRS, gpkg_contents, gpkg_geometry_columns) are made here.
/// </summary>
internal static class GeoPackageSchema
{
    /// <summary>Checks the layer name and the folder, deletes an old file, runs <paramref name="write"/> on a fresh connection and maps SQLite errors to clear ones.</summary>
    public static void WriteFile(string path, string layer, Action<SqliteConnection> write)
    {
        if (string.IsNullOrWhiteSpace(layer) || layer.Contains('"', StringComparison.Ordinal))
            throw new ArgumentException("The layer name must be non-empty and contain no double quote.", nameof(layer));
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new ChangeDetectionException($"{path}: the folder {dir} does not exist.");
        try
        {
            if (File.Exists(full)) File.Delete(full);
            using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
            db.Open();
            write(db);
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

    /// <summary>
    /// Sets the GeoPackage header, begins a transaction (the caller commits) and creates the GeoPackage tables and one feature table
    /// <paramref name="layer"/> with <c>fid</c>, <c>geom</c> and <paramref name="columnsSql"/>
    /// (e.g. <c>"id INTEGER NOT NULL, name TEXT"</c>). Returns the srs_id the geometries must carry.
    /// </summary>
    public static int CreateFeatureTable(SqliteConnection db, string layer, string description, Crs crs, Envelope extent, bool multi, DateTime lastChange, string columnsSql)
    {
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
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES ($t, 'features', $t, $d, $lc, $x0, $y0, $x1, $y1, $srs)";
            cmd.Parameters.AddWithValue("$lc", lastChange.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$t", layer);
            cmd.Parameters.AddWithValue("$d", description);
            cmd.Parameters.AddWithValue("$x0", extent.IsNull ? DBNull.Value : extent.MinX);
            cmd.Parameters.AddWithValue("$y0", extent.IsNull ? DBNull.Value : extent.MinY);
            cmd.Parameters.AddWithValue("$x1", extent.IsNull ? DBNull.Value : extent.MaxX);
            cmd.Parameters.AddWithValue("$y1", extent.IsNull ? DBNull.Value : extent.MaxY);
            cmd.Parameters.AddWithValue("$srs", srsId);
            cmd.ExecuteNonQuery();
        }
        string type = multi ? "MULTIPOLYGON" : "POLYGON";
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO gpkg_geometry_columns VALUES ($t, 'geom', $type, $srs, 0, 0)";
            cmd.Parameters.AddWithValue("$t", layer);
            cmd.Parameters.AddWithValue("$type", type);
            cmd.Parameters.AddWithValue("$srs", srsId);
            cmd.ExecuteNonQuery();
        }
        Exec(db, $"CREATE TABLE \"{layer}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {type}, {columnsSql});");
        return srsId;
    }

    /// <summary>
    /// Adds the GeoPackage R-tree spatial index extension (gpkg_rtree_index) on <c>geom</c> of
    /// <paramref name="layer"/>, filled with each feature's bounding box by fid, so that GIS software can
    /// query a province's tasks by area without reading every geometry. The triggers that keep it up
    /// to date are the standard ones; they call the ST_* functions GDAL and QGIS provide, and are created
    /// after the rows are in (this writer has no such functions).
    /// </summary>
    public static void CreateSpatialIndex(SqliteConnection db, string layer, IEnumerable<(long Fid, Envelope Box)> boxes)
    {
        string t = layer, rtree = $"rtree_{layer}_geom";
        Exec(db, """
            CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
              definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
            """);
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO gpkg_extensions VALUES ($t, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')";
            cmd.Parameters.AddWithValue("$t", layer);
            cmd.ExecuteNonQuery();
        }
        Exec(db, $"CREATE VIRTUAL TABLE \"{rtree}\" USING rtree(id, minx, maxx, miny, maxy)");
        using (var insert = db.CreateCommand())
        {
            insert.CommandText = $"INSERT INTO \"{rtree}\" VALUES ($id, $x0, $x1, $y0, $y1)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var x0 = insert.Parameters.Add("$x0", SqliteType.Real);
            var x1 = insert.Parameters.Add("$x1", SqliteType.Real);
            var y0 = insert.Parameters.Add("$y0", SqliteType.Real);
            var y1 = insert.Parameters.Add("$y1", SqliteType.Real);
            insert.Prepare();
            foreach (var (fid, box) in boxes)
            {
                if (box.IsNull) continue;
                (id.Value, x0.Value, x1.Value, y0.Value, y1.Value) = (fid, box.MinX, box.MaxX, box.MinY, box.MaxY);
                insert.ExecuteNonQuery();
            }
        }
        string put = $"INSERT OR REPLACE INTO \"{rtree}\" VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));";
        Exec(db, $"""
            CREATE TRIGGER "{rtree}_insert" AFTER INSERT ON "{t}" WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN {put} END;
            CREATE TRIGGER "{rtree}_update1" AFTER UPDATE OF geom ON "{t}" WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN {put} END;
            CREATE TRIGGER "{rtree}_update2" AFTER UPDATE OF geom ON "{t}" WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN DELETE FROM "{rtree}" WHERE id = OLD.fid; END;
            CREATE TRIGGER "{rtree}_update3" AFTER UPDATE ON "{t}" WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN DELETE FROM "{rtree}" WHERE id = OLD.fid; {put} END;
            CREATE TRIGGER "{rtree}_update4" AFTER UPDATE ON "{t}" WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN DELETE FROM "{rtree}" WHERE id IN (OLD.fid, NEW.fid); END;
            CREATE TRIGGER "{rtree}_delete" AFTER DELETE ON "{t}" WHEN old.geom NOT NULL BEGIN DELETE FROM "{rtree}" WHERE id = OLD.fid; END;
            """);
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

    public static void Exec(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
