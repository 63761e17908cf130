using System.Text.RegularExpressions;

namespace ChangeDetection.Tests.Export;

/// <summary>A file's layer as GDAL's <c>ogrinfo</c> reports it: field types, and every feature's fields as text.</summary>
internal sealed partial record OgrLayer(int FeatureCount, IReadOnlyDictionary<string, string> FieldTypes, IReadOnlyList<IReadOnlyDictionary<string, string?>> Features)
{
    /// <summary>
    /// Runs <c>ogrinfo</c> on the task layer of <paramref name="path"/>: <c>tasks</c> in a GeoPackage or
    /// workbook, else the one layer GDAL names after the file (ignores the test when GDAL is absent).
    /// </summary>
    public static OgrLayer Read(string path)
    {
        string layer = Path.GetExtension(path) is ".gpkg" or ".xlsx" ? "tasks" : Path.GetFileNameWithoutExtension(path);
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-nomd", path, layer]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Not.Contain("ERROR").And.Not.Contain("Warning"), path);
        var count = FeatureCountLine().Match(stdout);
        Assert.That(count.Success, Is.True, stdout);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var features = new List<IReadOnlyDictionary<string, string?>>();
        Dictionary<string, string?>? current = null;
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith("OGRFeature(", StringComparison.Ordinal))
            {
                features.Add(current = new Dictionary<string, string?>(StringComparer.Ordinal));
                continue;
            }
            if (current is null)
            {
                var t = FieldTypeLine().Match(line);
                if (t.Success) types[t.Groups[1].Value] = t.Groups[2].Value;
                continue;
            }
            var v = FieldValueLine().Match(line);
            if (v.Success) current[v.Groups[1].Value] = v.Groups[3].Value.TrimEnd('\r') is "(null)" ? null : v.Groups[3].Value.TrimEnd('\r');
        }
        return new OgrLayer(int.Parse(count.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), types, features);
    }

    [GeneratedRegex(@"^Feature Count: (\d+)", RegexOptions.Multiline)]
    private static partial Regex FeatureCountLine();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*): (\w+) \(")]
    private static partial Regex FieldTypeLine();

    [GeneratedRegex(@"^  ([A-Za-z_][A-Za-z0-9_]*) \((\w+)\) = (.*)$")]
    private static partial Regex FieldValueLine();
}
