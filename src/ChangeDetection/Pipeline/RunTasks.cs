using System.Text.Json;
using System.Text.Json.Serialization;
using ChangeDetection.IO;
using ChangeDetection.Tasks;
using NetTopologySuite.IO;

namespace ChangeDetection.Pipeline;

/// <summary>
/// <c>run_tasks.json</c>: a run's verification tasks exactly as it delivered them (outlines as WKB,
/// numbers as round-trip reals), in the deliverable set beside <c>run.json</c>. <c>cdx export</c> writes
/// the packages again from it, so a re-export needs neither detection nor the region config.
/// </summary>
public static class RunTasks
{
    /// <summary>The file's name in the output folder.</summary>
    public const string FileName = "run_tasks.json";

    /// <summary>Writes <paramref name="tasks"/> (in their order) to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<VerificationTask> tasks)
    {
        var rows = tasks.Select(t => new RunTaskRow(t.JCBH, t.XZQDM, t.XZQMC, t.TBMJ, t.QSX, t.HSX, t.BHLX, t.ZXD, t.ZXDX, t.ZXDY, t.JD, t.WD,
            t.YJJBNTMJ, t.GDMJ, t.STHXMJ, t.CZKFMJ, t.Extra.ToDictionary(), t.YXJ, Export.GeometryBlobs.Wkb(t.Geometry))).ToList();
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(rows, RunTasksJson.Default.ListRunTaskRow));
    }

    /// <summary>Reads the tasks of <paramref name="path"/>, in the order the run delivered them.</summary>
    /// <exception cref="ChangeDetectionException">Missing or unreadable: one line naming the file.</exception>
    public static IReadOnlyList<VerificationTask> Read(string path)
    {
        if (!File.Exists(path))
            throw new ChangeDetectionException($"{path}: missing; this run was made by an older cdx or its folder is incomplete; run the region again with 'cdx run' (it resumes from its ledger), then export.");
        List<RunTaskRow> rows;
        try
        {
            rows = JsonSerializer.Deserialize(File.ReadAllText(path), RunTasksJson.Default.ListRunTaskRow) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ChangeDetectionException($"{path}: not the task list of a cdx run ({e.Message.TrimEnd('.')}); run the region again with 'cdx run'.", e);
        }
        var reader = new WKBReader();
        return rows.Select(r => new VerificationTask
        {
            JCBH = r.JCBH, XZQDM = r.XZQDM, XZQMC = r.XZQMC, TBMJ = r.TBMJ, QSX = r.QSX, HSX = r.HSX, BHLX = r.BHLX, ZXD = r.ZXD,
            ZXDX = r.ZXDX, ZXDY = r.ZXDY, JD = r.JD, WD = r.WD, YJJBNTMJ = r.YJJBNTMJ, GDMJ = r.GDMJ, STHXMJ = r.STHXMJ, CZKFMJ = r.CZKFMJ,
            Extra = r.Extra, YXJ = r.YXJ, Geometry = reader.Read(r.Geometry),
        }).ToList();
    }
}

/// <summary>One task of <see cref="RunTasks"/>: the stored fields of <see cref="VerificationTask"/>, the outline as WKB.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1708", Justification = "Field names are the exported column names.")]
internal sealed record RunTaskRow(string JCBH, string XZQDM, string XZQMC, double TBMJ, DateOnly QSX, DateOnly HSX, string BHLX, double ZXD,
    double ZXDX, double ZXDY, double? JD, double? WD, double? YJJBNTMJ, double? GDMJ, double? STHXMJ, double? CZKFMJ,
    Dictionary<string, double> Extra, string YXJ, byte[] Geometry);

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(List<RunTaskRow>))]
internal sealed partial class RunTasksJson : JsonSerializerContext;
