using System.Text;
using ChangeDetection.Classification;
using ChangeDetection.Export;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Tasks;
using Microsoft.Data.Sqlite;
using MiniExcelLibs;

namespace ChangeDetection.Tests.Classification;

[TestFixture]
public class VerificationResultsTests
{
    private static string Csv(TempDir dir, string text, Encoding encoding, string name = "results.csv")
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, [.. encoding.GetPreamble(), .. encoding.GetBytes(text)]);
        return path;
    }

    private static Dictionary<string, string> Classes(VerificationResultSet set) => set.Results.ToDictionary(r => r.Jcbh, r => r.Class.Code);

    private const string Mixed =
        "JCBH,TBMJ,HCJG\r\n" +
        "4101022026Q30001,1600.00,construction\r\n" +
        "4101022026Q30002,900.00,PSEUDO\r\n" +
        "4101022026Q30003,625.00,伪变化\r\n" +
        "4101022026Q30004,3600.00,建（构）筑物\r\n" +
        "4101022026Q30005,400.00,\r\n" +
        "4101022026Q30006,400.00, 坑塘/挖湖 \r\n";

    [Test]
    public void CsvWithCodesChineseNamesAndEmptyResults()
    {
        using var dir = new TempDir();
        var set = VerificationResults.Read(Csv(dir, Mixed, new UTF8Encoding(false)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.Column, Is.EqualTo("HCJG"));
            Assert.That(Classes(set), Is.EqualTo(new Dictionary<string, string>
            {
                ["4101022026Q30001"] = "construction",
                ["4101022026Q30002"] = "pseudo",
                ["4101022026Q30003"] = "pseudo",
                ["4101022026Q30004"] = "construction",
                ["4101022026Q30006"] = "pond",
            }));
            Assert.That(set.Unverified, Is.EqualTo(1), "the empty result is not verified yet");
            Assert.That(set.Results[0].AreaM2, Is.EqualTo(1600.0));
            Assert.That(set.Results[0].Where, Is.EqualTo("line 2"));
        }
    }

    /// <summary>Excel writes UTF-8 with a BOM ("CSV UTF-8") or, on a Chinese Windows, GBK ("CSV"); some tools write UTF-16.</summary>
    [TestCase("utf-8")]
    [TestCase("utf-8-bom")]
    [TestCase("gbk")]
    [TestCase("utf-16")]
    public void CsvEncodingsGiveTheSameResults(string encoding)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var e = encoding switch
        {
            "utf-8" => new UTF8Encoding(false),
            "utf-8-bom" => new UTF8Encoding(true),
            "gbk" => Encoding.GetEncoding(936),
            _ => Encoding.Unicode,
        };
        using var dir = new TempDir();
        string path = Csv(dir, Mixed, e);
        if (encoding == "gbk") Assert.That(() => new UTF8Encoding(false, true).GetString(File.ReadAllBytes(path)), Throws.Exception, "the GBK file is not valid UTF-8");
        var set = VerificationResults.Read(path);
        Assert.That(Classes(set), Has.Count.EqualTo(5));
        Assert.That(Classes(set)["4101022026Q30003"], Is.EqualTo("pseudo"));
        Assert.That(Classes(set)["4101022026Q30006"], Is.EqualTo("pond"));
    }

    [Test]
    public void ResultColumnDefaultsToHcjgThenResultThenLabelAndCanBeNamed()
    {
        using var dir = new TempDir();
        string both = Csv(dir, "jcbh,label,result,inspector\r\nA1,road,solar,earthwork\r\n", new UTF8Encoding(false), "both.csv");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(VerificationResults.Read(both).Results.Single().Class.Code, Is.EqualTo("solar"), "result before label; JCBH matched in any case");
            Assert.That(VerificationResults.Read(both, "INSPECTOR").Results.Single().Class.Code, Is.EqualTo("earthwork"));
            Assert.That(VerificationResults.Read(both).Results.Single().Jcbh, Is.EqualTo("A1"));
        }
        string labelOnly = Csv(dir, "JCBH,label\r\nA1,vegetation\r\n", new UTF8Encoding(false), "label.csv");
        Assert.That(VerificationResults.Read(labelOnly).Column, Is.EqualTo("label"));
    }

    [Test]
    public void UnknownValueIsAnErrorWithFileLineValueAndAcceptedValues()
    {
        using var dir = new TempDir();
        string path = Csv(dir, "JCBH,HCJG\r\nA1,pond\r\nA2,house\r\n", new UTF8Encoding(false));
        var e = Assert.Throws<ChangeDetectionException>(() => VerificationResults.Read(path));
        Assert.That(e!.Message, Does.Contain("results.csv").And.Contain("line 3").And.Contain("A2").And.Contain("'house'")
            .And.Contain("construction (建(构)筑物)").And.Contain("pseudo (伪变化)"));
        // Unclassified is what the export says without a model, not a finding.
        File.WriteAllText(path, "JCBH,HCJG\r\nA1,未分类\r\n");
        Assert.That(() => VerificationResults.Read(path), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("line 2").And.Message.Contains("未分类"));
    }

    [Test]
    public void MissingColumnsAreErrorsNamingWhatWasFound()
    {
        using var dir = new TempDir();
        string noJcbh = Csv(dir, "ID,HCJG\r\nA1,pond\r\n", new UTF8Encoding(false), "a.csv");
        Assert.That(() => VerificationResults.Read(noJcbh),
            Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("a.csv").And.Message.Contains("no 'JCBH' column").And.Message.Contains("found: ID, HCJG"));
        string noResult = Csv(dir, "JCBH,BHLX\r\nA1,pond\r\n", new UTF8Encoding(false), "b.csv");
        Assert.That(() => VerificationResults.Read(noResult),
            Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("HCJG, result, label").And.Message.Contains("--result-column"));
        Assert.That(() => VerificationResults.Read(noResult, "JG"),
            Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("no result column 'JG'"));
        Assert.That(() => VerificationResults.Read(dir.File("missing.csv")),
            Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("missing.csv"));
    }

    [Test]
    public void DuplicateJcbhWithConflictingResultsIsAnError()
    {
        using var dir = new TempDir();
        string same = Csv(dir, "JCBH,HCJG\r\nA1,pond\r\nA2,road\r\nA1,坑塘/挖湖\r\n", new UTF8Encoding(false), "same.csv");
        Assert.That(VerificationResults.Read(same).Results, Has.Count.EqualTo(2), "the same result twice counts once");
        string conflict = Csv(dir, "JCBH,HCJG\r\nA1,pond\r\nA2,road\r\nA1,pseudo\r\n", new UTF8Encoding(false), "conflict.csv");
        Assert.That(() => VerificationResults.Read(conflict), Throws.TypeOf<ChangeDetectionException>()
            .With.Message.Contains("JCBH A1 has two different results").And.Message.Contains("line 2").And.Message.Contains("line 4"));
        string orphan = Csv(dir, "JCBH,HCJG\r\n,pond\r\n", new UTF8Encoding(false), "orphan.csv");
        Assert.That(() => VerificationResults.Read(orphan), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("without a JCBH"));
    }

    /// <summary>The workbook of the export, an HCJG column added by the inspectors (sheet "tasks", the data dictionary sheet kept).</summary>
    [Test]
    public void XlsxOfTheExportWithAnHcjgColumn()
    {
        using var dir = new TempDir();
        var tasks = TaskSamples.TwoProvinces();
        string exported = dir.File("export.xlsx");
        XlsxTaskWriter.Write(exported, tasks);
        var rows = MiniExcel.Query(exported, useHeaderRow: true, sheetName: XlsxTaskWriter.TaskSheet)
            .Cast<IDictionary<string, object?>>().Select(r => new Dictionary<string, object?>(r)).ToList();
        var fields = MiniExcel.Query(exported, useHeaderRow: true, sheetName: XlsxTaskWriter.FieldSheet)
            .Cast<IDictionary<string, object?>>().Select(r => new Dictionary<string, object?>(r)).ToList();
        var expected = new Dictionary<string, string>();
        for (int i = 0; i < rows.Count; i++)
        {
            // Every other task verified, alternately as pseudo-change and as found.
            string? result = i % 2 == 1 ? null : i % 4 == 0 ? "伪变化" : (string)rows[i]["BHLX"]!;
            rows[i]["HCJG"] = result;
            if (result is not null) expected[(string)rows[i]["JCBH"]!] = i % 4 == 0 ? "pseudo" : result;
        }
        string filled = dir.File("filled.xlsx");
        MiniExcel.SaveAs(filled, new Dictionary<string, object> { [XlsxTaskWriter.FieldSheet] = fields, [XlsxTaskWriter.TaskSheet] = rows });

        var set = VerificationResults.Read(filled);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Classes(set), Is.EqualTo(expected), "the tasks sheet is read even when it is not the first");
            Assert.That(set.Unverified, Is.EqualTo(rows.Count - expected.Count));
            Assert.That(set.Results[0].Where, Is.EqualTo("sheet tasks row 2"));
            Assert.That(set.Results[0].AreaM2, Is.EqualTo(Math.Round(tasks.Single(t => t.JCBH == set.Results[0].Jcbh).TBMJ, 2)).Within(1e-9));
        }
    }

    /// <summary>The task Shapefile as exported (GBK DBF): its Chinese class names read back as results.</summary>
    [Test]
    public void TaskShapefileInGbkWithChineseNames()
    {
        using var dir = new TempDir();
        var tasks = TaskSamples.TwoProvinces().Where(t => t.BHLX != ChangeClasses.Unclassified.Code).ToList();
        string shp = dir.File("tasks.shp");
        ShapefileTaskWriter.Write(shp, tasks, TaskSamples.Gk39, DbfEncoding.Gbk);
        var set = VerificationResults.Read(shp, "BHLXMC");
        Assert.That(Classes(set), Is.EqualTo(tasks.ToDictionary(t => t.JCBH, t => t.BHLX)));
        Assert.That(set.Results.Select(r => r.AreaM2), Is.All.Not.Null);
    }

    /// <summary>Results come back as a Shapefile without its .prj: only the attributes count, so it is read.</summary>
    [Test]
    public void TaskShapefileWithoutItsPrjIsRead()
    {
        using var dir = new TempDir();
        var tasks = TaskSamples.TwoProvinces().Where(t => t.BHLX != ChangeClasses.Unclassified.Code).ToList();
        string shp = dir.File("tasks.shp");
        ShapefileTaskWriter.Write(shp, tasks, TaskSamples.Gk39, DbfEncoding.Utf8);
        File.Delete(dir.File("tasks.prj"));
        var set = VerificationResults.Read(shp, "BHLX");
        Assert.That(Classes(set), Is.EqualTo(tasks.ToDictionary(t => t.JCBH, t => t.BHLX)));
        File.Delete(dir.File("tasks.dbf"));
        Assert.That(() => VerificationResults.Read(shp, "BHLX"), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("no .dbf"));
    }

    /// <summary>The task GeoPackage with a result field added in a desktop GIS (here: SQL, as QGIS does).</summary>
    [Test]
    public void TaskGeoPackageWithAnAddedResultField()
    {
        using var dir = new TempDir();
        var tasks = TaskSamples.TwoProvinces();
        string gpkg = dir.File("tasks.gpkg");
        GeoPackageTaskWriter.Write(gpkg, tasks, TaskSamples.Gk39);
        using (var db = new SqliteConnection($"Data Source={gpkg};Pooling=False"))
        {
            db.Open();
            // What a desktop GIS gives its connections: the functions the GeoPackage R-tree triggers call on every update.
            var geometry = new NetTopologySuite.IO.GeoPackageGeoReader();
            db.CreateFunction("ST_IsEmpty", (byte[]? g) => g is null || geometry.Read(g).IsEmpty);
            db.CreateFunction("ST_MinX", (byte[] g) => geometry.Read(g).EnvelopeInternal.MinX);
            db.CreateFunction("ST_MaxX", (byte[] g) => geometry.Read(g).EnvelopeInternal.MaxX);
            db.CreateFunction("ST_MinY", (byte[] g) => geometry.Read(g).EnvelopeInternal.MinY);
            db.CreateFunction("ST_MaxY", (byte[] g) => geometry.Read(g).EnvelopeInternal.MaxY);
            using var cmd = db.CreateCommand();
            cmd.CommandText = "ALTER TABLE tasks ADD COLUMN hcjg TEXT; UPDATE tasks SET hcjg = 'Pseudo' WHERE JCBH = $a; UPDATE tasks SET hcjg = '光伏用地' WHERE JCBH = $b;";
            cmd.Parameters.AddWithValue("$a", tasks[0].JCBH);
            cmd.Parameters.AddWithValue("$b", tasks[1].JCBH);
            cmd.ExecuteNonQuery();
        }
        var set = VerificationResults.Read(gpkg);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.Column, Is.EqualTo("hcjg"));
            Assert.That(Classes(set), Is.EqualTo(new Dictionary<string, string> { [tasks[0].JCBH] = "pseudo", [tasks[1].JCBH] = "solar" }));
            Assert.That(set.Unverified, Is.EqualTo(tasks.Count - 2));
        }
    }

    [TestCase("construction", "construction")]
    [TestCase("  Road ", "road")]
    [TestCase("推填土", "earthwork")]
    [TestCase("坑塘／挖湖", "pond")]
    [TestCase("光伏用地", "solar")]
    [TestCase("植被变化", "vegetation")]
    [TestCase("建(构)筑物", "construction")]
    [TestCase("unclassified", null)]
    [TestCase("building", null)]
    public void ClassNames(string value, string? code) =>
        Assert.That(VerificationResults.ParseClass(value)?.Code, Is.EqualTo(code));
}
