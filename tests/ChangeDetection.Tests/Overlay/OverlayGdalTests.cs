using ChangeDetection.Overlay;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Tests.Overlay;

/// <summary>Layers as GDAL writes them (GBK Shapefile in lon/lat, GeoPackage) read back like our own GeoJSON.</summary>
[TestFixture]
[Category("Gdal")]
public sealed class OverlayGdalTests
{
    [Test]
    public void GdalWrittenShapefileAndGeoPackage_MatchTheGeoJsonSource()
    {
        string ogr2ogr = ExternalTools.RequireTool("ogr2ogr");
        using var dir = new TempDir();
        var region = SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 256, Seed = 3, Workers = 1 });
        string shp = dir.File("admin_gbk.shp"), gpkg = dir.File("admin.gpkg");
        var r1 = ExternalTools.Run(ogr2ogr, ["-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", "-t_srs", "EPSG:4490", shp, region.AdminFile]);
        var r2 = ExternalTools.Run(ogr2ogr, ["-f", "GPKG", gpkg, region.AdminFile]);
        Assert.That((r1.ExitCode, r2.ExitCode), Is.EqualTo((0, 0)), r1.Stderr + r2.Stderr);

        var source = PolygonLayerReader.Read(region.AdminFile);
        var fromShp = PolygonLayerReader.Read(shp);
        var fromGpkg = PolygonLayerReader.Read(gpkg);
        var shpOnGrid = fromShp.TransformTo(region.Crs);
        Assert.Multiple(() =>
        {
            Assert.That(fromShp.Crs.Epsg, Is.EqualTo(4490), "GDAL's .prj for EPSG:4490 identified");
            Assert.That(fromGpkg.Crs.Epsg, Is.EqualTo(4527));
            Assert.That(fromShp.Features.Select(f => f.Text("XZQMC")), Is.EqualTo(source.Features.Select(f => f.Text("XZQMC"))), "GBK names");
            Assert.That(fromGpkg.Features.Select(f => f.Text("XZQDM")), Is.EqualTo(source.Features.Select(f => f.Text("XZQDM"))));
            for (int i = 0; i < source.Features.Count; i++)
            {
                double area = source.Features[i].Geometry.Area;
                Assert.That(shpOnGrid.Features[i].Geometry.Area, Is.EqualTo(area).Within(0.1).Percent, $"county {i} via lon/lat Shapefile");
                Assert.That(fromGpkg.Features[i].Geometry.Area, Is.EqualTo(area).Within(1e-9).Percent, $"county {i} via GeoPackage");
            }
        });
    }

    [Test]
    public void GdalWrittenGaussKrugerShapefile_PrjIdentified()
    {
        string ogr2ogr = ExternalTools.RequireTool("ogr2ogr");
        using var dir = new TempDir();
        var region = SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 256, Seed = 3, Workers = 1 });
        string shp = dir.File("redline.shp");
        var r = ExternalTools.Run(ogr2ogr, ["-f", "ESRI Shapefile", shp, region.EcologicalRedlineFile]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(PolygonLayerReader.Read(shp).Crs.Epsg, Is.EqualTo(4527), File.ReadAllText(dir.File("redline.prj")));
    }
}
