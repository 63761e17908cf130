using ChangeDetection.Export;
using ChangeDetection.Geo;
using ChangeDetection.Tests.Vectorization;
using ChangeDetection.Vectorization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.IO;

namespace ChangeDetection.Tests.Export;

[TestFixture]
public class GeoPackagePatchWriterTests
{
    private static IReadOnlyList<Patch> SamplePatches(GeoGrid grid, Connectivity c = Connectivity.Four)
    {
        var m = TestMasks.Make("islands", grid.Width, grid.Height, seed: 9);
        var comps = MaskPolygonizer.Polygonize(new ArrayMaskSource(m, grid.Width, grid.Height), new PolygonizeOptions { TileSize = 50, Connectivity = c });
        return PatchBuilder.Build(comps, grid, new PatchOptions { MinAreaM2 = 0 });
    }

    private static readonly GeoGrid Grid = new(150, 120, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);

    [Test]
    public void WrittenFeaturesReadBackWithTheirGeometryAndFields()
    {
        using var dir = new TempDir();
        string path = dir.File("p.gpkg");
        var patches = SamplePatches(Grid);
        GeoPackagePatchWriter.Write(path, patches, Grid.Crs);
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT geom, id, area_m2, area_mu, lon, holes FROM patches ORDER BY fid";
        using var r = cmd.ExecuteReader();
        var reader = new GeoPackageGeoReader { HandleSRID = true };
        int i = 0;
        while (r.Read())
        {
            var g = reader.Read((byte[])r[0]);
            var p = patches[i++];
            Assert.That(g.EqualsExact(p.MapGeometry), Is.True, $"patch {p.Id} geometry");
            Assert.That(g.SRID, Is.EqualTo(4527));
            Assert.That(r.GetInt32(1), Is.EqualTo(p.Id));
            Assert.That(r.GetDouble(2), Is.EqualTo(p.AreaM2));
            Assert.That(r.GetDouble(3), Is.EqualTo(p.AreaMu));
            Assert.That(r.GetDouble(4), Is.EqualTo(p.Lon));
            Assert.That(r.GetInt32(5), Is.EqualTo(p.HoleCount));
        }
        Assert.That(i, Is.EqualTo(patches.Count));
        Assert.That(i, Is.GreaterThan(3));
    }

    [TestCase(Connectivity.Four, "Polygon")]
    [TestCase(Connectivity.Eight, "Multi Polygon")]
    [Category("Gdal")]
    public void OgrinfoReadsTheLayerWithItsCrsAndValidateGpkgAcceptsIt(Connectivity c, string type)
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        using var dir = new TempDir();
        string path = dir.File("p.gpkg");
        var patches = SamplePatches(Grid, c);
        GeoPackagePatchWriter.Write(path, patches, Grid.Crs);
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-so", "-al", path]);
        Assert.That(code, Is.Zero, stderr);
        Assert.Multiple(() =>
        {
            Assert.That(stdout, Does.Contain("Layer name: patches"));
            Assert.That(stdout, Does.Contain($"Feature Count: {patches.Count}"));
            Assert.That(stdout, Does.Contain($"Geometry: {type}"));
            Assert.That(stdout, Does.Contain("ID[\"EPSG\",4527]"));
            Assert.That(stdout, Does.Contain("area_mu: Real"));
            Assert.That(stderr, Does.Not.Contain("ERROR").And.Not.Contain("Warning"));
        });
        const string validator = "/usr/share/doc/python3-gdal/examples/validate_gpkg.py";
        if (!File.Exists(validator)) Assert.Ignore($"{validator} is absent: ogrinfo checked, validate_gpkg.py skipped.");
        var v = ExternalTools.Run(ExternalTools.RequireGdalPython(), [validator, path]);
        Assert.That(v.ExitCode, Is.Zero, v.Stdout + v.Stderr);
        Assert.That(v.Stdout + v.Stderr, Is.Empty, "validate_gpkg.py prints nothing for a valid file");
    }

    [Test]
    public void GeographicAndUnknownCrsAreWritten()
    {
        using var dir = new TempDir();
        var geo = new GeoGrid(150, 120, new GeoTransform(116, 1e-4, 0, 40, 0, -1e-4), Crs.Cgcs2000);
        GeoPackagePatchWriter.Write(dir.File("g.gpkg"), SamplePatches(geo), geo.Crs);
        var none = new GeoGrid(150, 120, GeoTransform.Identity, Crs.Unknown);
        GeoPackagePatchWriter.Write(dir.File("n.gpkg"), SamplePatches(none), none.Crs);
        using var db = new SqliteConnection($"Data Source={dir.File("g.gpkg")};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT c.srs_id, s.definition FROM gpkg_contents c JOIN gpkg_spatial_ref_sys s USING (srs_id)";
        using var r = cmd.ExecuteReader();
        Assert.That(r.Read(), Is.True);
        Assert.That(r.GetInt32(0), Is.EqualTo(4490));
        Assert.That(r.GetString(1), Does.StartWith("GEOGCS[\"China Geodetic Coordinate System 2000\""));
        using var db2 = new SqliteConnection($"Data Source={dir.File("n.gpkg")};Pooling=False");
        db2.Open();
        using var cmd2 = db2.CreateCommand();
        cmd2.CommandText = "SELECT srs_id FROM gpkg_contents";
        Assert.That(Convert.ToInt32(cmd2.ExecuteScalar()), Is.EqualTo(-1));
    }

    [Test]
    public void MissingFolderIsAClearError()
    {
        var ex = Assert.Throws<ChangeDetectionException>(() =>
            GeoPackagePatchWriter.Write("/nonexistent-folder-xyz/p.gpkg", [], MaskFiles.Gk39));
        Assert.That(ex!.Message, Does.Contain("/nonexistent-folder-xyz"));
    }
}
