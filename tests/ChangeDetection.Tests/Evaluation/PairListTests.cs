using ChangeDetection.Evaluation;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Evaluation;

/// <summary>The pairs CSV and its band folders (<see cref="LabelledPair.ExtraBands"/>).</summary>
[TestFixture]
public class PairListTests
{
    /// <summary>A pair folder with the three images (empty files: the list only checks they exist) and optional band folders.</summary>
    private static string PairFolder(TempDir dir, string name, params (string Folder, string[] Codes)[] bandFolders)
    {
        string pair = Directory.CreateDirectory(dir.File(name)).FullName;
        foreach (var f in new[] { "before.tif", "after.tif", "truth.tif" }) File.WriteAllText(Path.Combine(pair, f), "");
        foreach (var (folder, codes) in bandFolders)
        {
            string d = Directory.CreateDirectory(Path.Combine(pair, folder)).FullName;
            foreach (var code in codes) File.WriteAllText(Path.Combine(d, $"T31UDQ_20170509T105651_{code}.tif"), "");
        }
        return pair;
    }

    private static readonly string[] Sentinel2 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"];

    [Test]
    public void OscdBandFoldersAreReadWhenTheColumnsNameThem()
    {
        using var dir = new TempDir();
        PairFolder(dir, "paris", ("bands_1", Sentinel2), ("bands_2", Sentinel2));
        PairFolder(dir, "levir");
        File.WriteAllText(dir.File("pairs.csv"), "source,pair,dir,group,before_bands,after_bands\noscd,paris,paris,oscd/paris,bands_1,bands_2\nlevir-cd,t1,levir,,,\n");
        File.WriteAllText(dir.File("plain.csv"), "source,pair,dir,group\noscd,paris,paris,oscd/paris\n");
        var pairs = PairList.Read(dir.File("pairs.csv"));
        Assert.Multiple(() =>
        {
            // Opt-in: the OSCD layout's folders are not read unless named.
            Assert.That(PairList.Read(dir.File("plain.csv"))[0].ExtraBands, Is.Empty);
            // Every band but the 60 m ones, B02–B08 included (the images' copies win when the pair is opened).
            Assert.That(pairs[0].ExtraBands.Select(b => b.Band), Is.EqualTo(Enum.GetValues<SpectralBand>()));
            Assert.That(pairs[0].ExtraBands.First(b => b.Band == SpectralBand.Swir1).Before,
                Is.EqualTo(Path.Combine(dir.File("paris"), "bands_1", "T31UDQ_20170509T105651_B11.tif")));
            Assert.That(pairs[0].ExtraBands.First(b => b.Band == SpectralBand.NirNarrow).After,
                Is.EqualTo(Path.Combine(dir.File("paris"), "bands_2", "T31UDQ_20170509T105651_B8A.tif")));
            Assert.That(pairs[1].ExtraBands, Is.Empty);
            Assert.That(pairs[1].Group, Is.EqualTo("levir-cd/t1"));
        });
    }

    [Test]
    public void BandFolderColumnsNameOtherFoldersOrNone()
    {
        using var dir = new TempDir();
        PairFolder(dir, "a", ("bands_1", Sentinel2), ("bands_2", Sentinel2), ("s2/2016", ["B11", "B12"]), ("s2/2018", ["B11", "B05"]));
        File.WriteAllText(dir.File("pairs.csv"), "source,dir,before_bands,after_bands\noscd,a,s2/2016,s2/2018\noscd,a,none,none\noscd,a,,\n");
        var pairs = PairList.Read(dir.File("pairs.csv"));
        Assert.Multiple(() =>
        {
            Assert.That(pairs[0].ExtraBands.Select(b => b.Band), Is.EqualTo(new[] { SpectralBand.Swir1 }));
            Assert.That(pairs[1].ExtraBands, Is.Empty);
            Assert.That(pairs[2].ExtraBands, Is.Empty, "empty: none, even where bands_1 and bands_2 exist");
        });
    }

    [TestCase("source,dir,before_bands\noscd,a,bands_1\n", "both 'before_bands' and 'after_bands'")]
    [TestCase("source,dir,before_bands,after_bands\noscd,a,bands_1,\n", "leave both empty")]
    [TestCase("source,dir,before_bands,after_bands\noscd,a,none,bands_2\n", "'none'")]
    [TestCase("source,dir,before_bands,after_bands\noscd,a,bands_1,missing\n", "band folder not found")]
    public void BadBandFolderColumnsAreOneClearError(string csv, string message)
    {
        using var dir = new TempDir();
        PairFolder(dir, "a", ("bands_1", Sentinel2), ("bands_2", Sentinel2));
        File.WriteAllText(dir.File("pairs.csv"), csv);
        var e = Assert.Throws<ChangeDetectionException>(() => PairList.Read(dir.File("pairs.csv")));
        Assert.That(e!.Message, Does.Contain(message).And.Contain("pairs.csv"));
    }
}
