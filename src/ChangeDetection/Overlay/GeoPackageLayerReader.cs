using Microsoft.Data.Sqlite;
using NetTopologySuite.IO;

namespace ChangeDetection.Overlay;

/// <summary>
/// GeoPackage: the feature table and its geometry column come from <c>gpkg_geometry_columns</c>, the
/// CRS from <c>gpkg_spatial_ref_sys</c> (an EPSG organisation code, else the WKT definition is identified).
/// Opened read-only, so a layer file shared with other tools is never modified.
/// </summary>
internal static class GeoPackageLayerReader
{
    public static PolygonLayer Read(string path, string? table, int? declaredEpsg)
    {
        try
        {
            using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            db.Open();
            var columns = GeometryColumns(db);
            if (columns.Count == 0) throw new ChangeDetectionException($"{path}: the GeoPackage has no feature table (gpkg_geometry_columns is empty).");
            (string Table, string Column, int SrsId) chosen;
            if (table is not null)
            {
                chosen = columns.FirstOrDefault(c => string.Equals(c.Table, table, StringComparison.OrdinalIgnoreCase));
                if (chosen.Table is null)
                    throw new ChangeDetectionException($"{path}: no feature table '{table}' (it has: {string.Join(", ", columns.Select(c => c.Table))}).");
            }
            else if (columns.Count == 1)
            {
                chosen = columns[0];
            }
            else
            {
                throw new ChangeDetectionException($"{path}: the GeoPackage has several feature tables ({string.Join(", ", columns.Select(c => c.Table))}); name one (table).");
            }
            var crs = PolygonLayerReader.ResolveCrs(Epsg(db, chosen.SrsId, out string what), declaredEpsg, path, what);
            return ReadFeatures(db, path, chosen.Table, chosen.Column).Build(crs);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    private static List<(string Table, string Column, int SrsId)> GeometryColumns(SqliteConnection db)
    {
        var list = new List<(string, string, int)>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns ORDER BY table_name";
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add((r.GetString(0), r.GetString(1), r.GetInt32(2)));
        return list;
    }

    private static int? Epsg(SqliteConnection db, int srsId, out string what)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = $id";
        cmd.Parameters.AddWithValue("$id", srsId);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            what = $"srs_id {srsId} is missing from gpkg_spatial_ref_sys";
            return null;
        }
        string org = r.GetString(0);
        int code = r.GetInt32(1);
        string definition = r.IsDBNull(2) ? "" : r.GetString(2);
        what = $"srs_id {srsId}, {org}:{code}";
        if (string.Equals(org, "EPSG", StringComparison.OrdinalIgnoreCase)) return code;
        return EsriPrj.Identify(definition);
    }

    private static LayerFeatureBuilder ReadFeatures(SqliteConnection db, string path, string table, string geometryColumn)
    {
        var builder = new LayerFeatureBuilder(path);
        var reader = new GeoPackageGeoReader { HandleSRID = true };
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        using var r = cmd.ExecuteReader();
        int geomIndex = r.GetOrdinal(geometryColumn);
        int n = 0;
        while (r.Read())
        {
            n++;
            var attributes = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < r.FieldCount; i++)
                if (i != geomIndex) attributes[r.GetName(i)] = r.IsDBNull(i) ? null : r.GetValue(i);
            var geometry = r.IsDBNull(geomIndex) ? null : reader.Read((byte[])r.GetValue(geomIndex));
            builder.Add(geometry, attributes, $"row {n} of {table}");
        }
        return builder;
    }
}
