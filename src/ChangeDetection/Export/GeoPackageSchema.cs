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
