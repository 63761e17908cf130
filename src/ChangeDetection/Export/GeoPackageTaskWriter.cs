using ChangeDetection.Geo;
using ChangeDetection.IO;
using ChangeDetection.Tasks;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace ChangeDetection.Export;

/// <summary>
/// Writes verification tasks (核查任务) as a GeoPackage 1.3 layer <c>tasks</c> in the image CRS, one
/// column per <see cref="TaskFields"/> entry (TEXT, REAL or DATE), sorted by JCBH, with an R-tree
/// spatial index. Written atomically.
/// </summary>
internal static class GeoPackageTaskWriter
{
    public const string Layer = "tasks";

    /// <summary>
    /// Creates (overwrites) <paramref name="path"/>. <paramref name="lastChange"/> fixes
    /// gpkg_contents.last_change (default: now), for byte-identical re-runs.
    /// </summary>
    public static void Write(string path, IReadOnlyList<VerificationTask> tasks, Crs crs, DateTime? lastChange = null) =>
        Write(path, tasks, crs, Layer, "Verification tasks (核查任务)", lastChange);

    /// <summary>
    /// The same table under another layer name: a run's patch layer (<c>patches</c>) carries every
    /// patch with the task fields, pseudo-changes included.
    /// </summary>
    public static void Write(string path, IReadOnlyList<VerificationTask> tasks, Crs crs, string layer, string description, DateTime? lastChange = null)
    {
        ArgumentNullException.ThrowIfNull(crs);
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        AtomicFile.Write(path, tmp => GeoPackageSchema.WriteFile(tmp, layer, db => WriteCore(db, layer, description, ordered, fields, crs, lastChange ?? DateTime.UtcNow)));
    }

    private static void WriteCore(SqliteConnection db, string layer, string description, IReadOnlyList<VerificationTask> tasks, IReadOnlyList<TaskField> fields, Crs crs, DateTime lastChange)
    {
        bool multi = tasks.Any(t => t.Geometry is not Polygon);
        var env = new Envelope();
        foreach (var t in tasks) env.ExpandToInclude(t.Geometry.EnvelopeInternal);
        string columns = string.Join(", ", fields.Select(f => $"\"{f.Name}\" {ColumnType(f.Kind)}"));
        int srsId = GeoPackageSchema.CreateFeatureTable(db, layer, description, crs, env, multi, lastChange, columns);

        using (var insert = db.CreateCommand())
        {
            insert.CommandText = $"INSERT INTO \"{layer}\" (geom, {string.Join(", ", fields.Select(f => $"\"{f.Name}\""))}) VALUES ($g, {string.Join(", ", fields.Select((_, i) => $"$p{i}"))})";
            var pg = insert.Parameters.Add("$g", SqliteType.Blob);
            var ps = fields.Select((f, i) => insert.Parameters.Add($"$p{i}", f.Kind == TaskFieldKind.Real ? SqliteType.Real : SqliteType.Text)).ToArray();
            insert.Prepare();
            var boxes = new List<(long, Envelope)>(tasks.Count);
            foreach (var t in tasks)
            {
                Geometry g = t.Geometry;
                if (multi && g is Polygon poly) g = g.Factory.CreateMultiPolygon([poly]);
                pg.Value = GeometryBlobs.GeoPackage(g, srsId);
                for (int i = 0; i < fields.Count; i++)
                    ps[i].Value = fields[i].Kind == TaskFieldKind.Date ? NullIfEmpty(fields[i].ExportText(t)) : fields[i].Export(t) ?? DBNull.Value;
                insert.ExecuteNonQuery();
                boxes.Add((boxes.Count + 1, t.Geometry.EnvelopeInternal)); // fids of a fresh AUTOINCREMENT table: 1, 2, …
            }
            GeoPackageSchema.CreateSpatialIndex(db, layer, boxes);
        }
        GeoPackageSchema.Exec(db, "COMMIT");
    }

    /// <summary>The GeoPackage column type: REAL, TEXT, or DATE (ISO 8601 text, which GDAL reads as a Date field).</summary>
    private static string ColumnType(TaskFieldKind kind) => kind switch
    {
        TaskFieldKind.Real => "REAL",
        TaskFieldKind.Date => "DATE",
        _ => "TEXT",
    };

    private static object NullIfEmpty(string text) => text.Length == 0 ? DBNull.Value : text;
}
