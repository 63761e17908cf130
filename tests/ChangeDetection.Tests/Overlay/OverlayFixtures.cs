using System.Text;
using ChangeDetection.Overlay;
using ChangeDetection.Synthetic;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Esri;

namespace ChangeDetection.Tests.Overlay;

/// <summary>Layer files for overlay tests, written with NTS writers (no GDAL needed).</summary>
internal static class OverlayFixtures
{
    /// <summary>Origin of test geometry in EPSG:4527 (near the synthetic region centre).</summary>
    public const double X0 = 39_554_000, Y0 = 3_824_000;

    /// <summary>What ArcGIS writes for EPSG:4527: no authority, Gauss_Kruger, the zone in the false easting.</summary>
    public const string EsriPrj4527 =
        "PROJCS[\"CGCS2000_3_Degree_GK_Zone_39\",GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\",DATUM[\"D_China_2000\",SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Gauss_Kruger\"],PARAMETER[\"False_Easting\",39500000.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",117.0],PARAMETER[\"Scale_Factor\",1.0],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]";

    public static readonly GeometryFactory Factory = new();

    /// <summary>Axis-aligned rectangle, offsets in metres from (<see cref="X0"/>, <see cref="Y0"/>).</summary>
    public static Polygon Box(double x0, double y0, double x1, double y1) =>
        Factory.CreatePolygon([new(X0 + x0, Y0 + y0), new(X0 + x1, Y0 + y0), new(X0 + x1, Y0 + y1), new(X0 + x0, Y0 + y1), new(X0 + x0, Y0 + y0)]);

    public static Feature Feature(Geometry g, params (string Name, object Value)[] attributes)
    {
        var table = new AttributesTable();
        foreach (var (name, value) in attributes) table.Add(name, value);
        return new Feature(g, table);
    }

    public static void WriteShapefile(string shpPath, IEnumerable<IFeature> features, Encoding encoding, string prj = EsriPrj4527) =>
        Shapefile.WriteAllFeatures(features, shpPath, prj, encoding);

    public static void WriteGeoJson(string path, int epsg, IEnumerable<IFeature> features) => GeoJsonLayer.Write(path, "layer", epsg, features);

    /// <summary>A minimal GeoPackage with one polygon table <c>zones</c> (fields code, name) in <paramref name="epsg"/>.</summary>
    public static void WriteGeoPackage(string path, int epsg, IEnumerable<(Geometry Geometry, string Code, string Name)> rows, string organization = "EPSG")
    {
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"""
                PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;
                CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
                CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, srs_id INTEGER);
                CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
                INSERT INTO gpkg_spatial_ref_sys VALUES ('test', 99, '{organization}', {epsg}, $def, NULL);
                INSERT INTO gpkg_contents VALUES ('zones', 'features', 'zones', 99);
                INSERT INTO gpkg_geometry_columns VALUES ('zones', 'geom', 'POLYGON', 99, 0, 0);
                CREATE TABLE zones (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, code TEXT, name TEXT);
                """;
            cmd.Parameters.AddWithValue("$def", ChangeDetection.Geo.CrsRegistry.Wkt(epsg) ?? "undefined");
            cmd.ExecuteNonQuery();
            var writer = new GeoPackageGeoWriter { HandleOrdinates = Ordinates.XY };
            foreach (var (g, code, name) in rows)
            {
                using var insert = db.CreateCommand();
                insert.CommandText = "INSERT INTO zones (geom, code, name) VALUES ($g, $c, $n)";
                var copy = g.Copy();
                copy.SRID = 99;
                insert.Parameters.AddWithValue("$g", writer.Write(copy));
                insert.Parameters.AddWithValue("$c", code);
                insert.Parameters.AddWithValue("$n", name);
                insert.ExecuteNonQuery();
            }
        }
        SqliteConnection.ClearAllPools();
    }
}
