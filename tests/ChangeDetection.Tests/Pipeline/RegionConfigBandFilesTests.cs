using ChangeDetection.Pipeline;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// The region config's <c>beforeBands</c> and <c>afterBands</c> (<see cref="RegionConfig.ExtraBands"/>): a folder of Sentinel-2
/// band files, or a list of files and folders, per date; strict as every other key. Parsing only: the files are empty here
/// (they are opened by the run's check, see <see cref="RegionRunBandFilesTests"/>).
/// </summary>
[TestFixture]
public class RegionConfigBandFilesTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        foreach (var f in new[] { "before.tif", "after.tif", "bands_1/T_B05.tif", "bands_1/T_B11.tif", "bands_1/T_B01.tif", "bands_1/notes.txt",
                     "bands_2/T_B05.tif", "bands_2/T_B11.tif", "bands_2/T_B01.tif", "extra/T_B12.tif", "extra/S_B12.tif", "extra/swir.tif" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_dir.File(f))!);
            File.WriteAllText(_dir.File(f), "");
        }
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private const string Base = """
        {
          "region": { "code": "410102", "name": "中原区" },
          "quarter": "2026Q3",
          "before": { "path": "before.tif", "date": "2026-04-12" },
          "after":  { "path": "after.tif",  "date": "2026-07-20" },
          "model": "none"BANDS
        }
        """;

    private RegionConfig Load(string bands)
    {
        File.WriteAllText(_dir.File("region.json"), Base.Replace("BANDS", bands, StringComparison.Ordinal));
        return RegionConfig.Load(_dir.File("region.json"));
    }

    private string Fails(string bands) => Assert.Throws<ConfigException>(() => Load(bands))!.Message;

    [Test]
    public void FoldersGiveTheBandsBothDatesHoldInCanonicalOrderRelativeToTheConfig()
    {
        var c = Load(""", "beforeBands": "bands_1", "afterBands": "bands_2" """);
        Assert.Multiple(() =>
        {
            // B01 (60 m, aerosols) and files not named as bands are passed over, as in a pairs CSV's band folders.
            Assert.That(c.ExtraBands.Select(b => b.Band), Is.EqualTo(new[] { SpectralBand.Swir1, SpectralBand.RedEdge1 }.OrderBy(b => b)));
            Assert.That(c.ExtraBands.Single(b => b.Band == SpectralBand.Swir1).Before, Is.EqualTo(_dir.File("bands_1/T_B11.tif")));
            Assert.That(c.ExtraBands.Single(b => b.Band == SpectralBand.Swir1).After, Is.EqualTo(_dir.File("bands_2/T_B11.tif")));
            Assert.That(Load("").ExtraBands, Is.Empty, "without the keys: none");
            Assert.That(Load(""", "beforeBands": "none", "afterBands": "none" """).ExtraBands, Is.Empty);
        });
    }

    [Test]
    public void AListTakesFilesAndFolders()
    {
        var c = Load(""", "beforeBands": ["bands_1", "extra/T_B12.tif"], "afterBands": ["bands_2", "extra/S_B12.tif"] """);
        Assert.Multiple(() =>
        {
            Assert.That(c.ExtraBands.Select(b => b.Band), Is.EqualTo(new[] { SpectralBand.Swir1, SpectralBand.Swir2, SpectralBand.RedEdge1 }));
            Assert.That(c.ExtraBands.Single(b => b.Band == SpectralBand.Swir2).After, Is.EqualTo(_dir.File("extra/S_B12.tif")));
        });
    }

    [Test]
    public void BadBandKeysNameTheKeyAndTheFile()
    {
        string config = _dir.File("region.json");
        Assert.Multiple(() =>
        {
            Assert.That(Fails(""", "beforeBands": "bands_1" """), Does.Contain(config).And.Contain("\"afterBands\" is missing"));
            Assert.That(Fails(""", "afterBands": "bands_2" """), Does.Contain("\"beforeBands\" is missing"));
            Assert.That(Fails(""", "beforeBands": "bands_9", "afterBands": "bands_2" """), Does.Contain("\"beforeBands\"").And.Contain(_dir.File("bands_9")).And.Contain("does not exist"));
            Assert.That(Fails(""", "beforeBands": "bands_1", "afterBands": ["bands_2", "nothing.tif"] """), Does.Contain("\"afterBands[1]\"").And.Contain(_dir.File("nothing.tif")));
            Assert.That(Fails(""", "beforeBands": 3, "afterBands": "bands_2" """), Does.Contain("\"beforeBands\" must be a folder or a band file"));
            Assert.That(Fails(""", "beforeBands": [], "afterBands": "bands_2" """), Does.Contain("\"beforeBands\" is an empty array"));
            Assert.That(Fails(""", "beforeBands": ["bands_1", 7], "afterBands": "bands_2" """), Does.Contain("\"beforeBands[1]\" must be"));
            Assert.That(Fails(""", "beforeBands": "none", "afterBands": "bands_2" """), Does.Contain("\"afterBands\" names band files").And.Contain("\"none\""));
            // A file whose name is no band, a band twice, a band for one date only, a folder with no band file.
            Assert.That(Fails(""", "beforeBands": ["bands_1", "extra/swir.tif"], "afterBands": "bands_2" """),
                Does.Contain("\"beforeBands\"").And.Contain(_dir.File("extra/swir.tif")).And.Contain("not named as ESA names"));
            Assert.That(Fails(""", "beforeBands": "extra", "afterBands": "bands_2" """),
                Does.Contain("\"beforeBands\"").And.Contain("two files of band swir2"));
            Assert.That(Fails(""", "beforeBands": ["bands_1", "extra/T_B12.tif"], "afterBands": "bands_2" """),
                Does.Contain(config).And.Contain("\"afterBands\" has no file of band swir2").And.Contain(_dir.File("extra/T_B12.tif")));
            Assert.That(Fails(""", "beforeBands": "bands_1", "afterBands": "." """), Does.Contain("\"afterBands\"").And.Contain("no Sentinel-2 band file"));
            Assert.That(Fails(""", "beforeBand": "bands_1" """), Does.Contain("\"beforeBand\" is not a known key").And.Contain("beforeBands"));
        });
    }
}
