using System.Text.RegularExpressions;

namespace ChangeDetection.Tests;

/// <summary>
/// Guards the direction of the arrows inside the library (ARCHITECTURE.md): a stage may not reach up
/// into the pipeline or sideways into a stage that depends on it. Folders are namespaces, so a type from
/// another namespace needs a <c>using</c> or a qualified name, and a source scan finds both.
/// </summary>
[TestFixture]
public sealed class LayeringTests
{
    private static string Library => Repository.File(Path.Combine("src", "ChangeDetection"));

    /// <summary>The library's stage folders (source only).</summary>
    private static IEnumerable<string> LibraryFolders() =>
        Directory.GetDirectories(Library)
            .Select(Path.GetFileName).OfType<string>()
            .Where(d => d is not ("bin" or "obj"))
            .Order(StringComparer.Ordinal);

    /// <summary>The library folders other than Pipeline: nothing below the pipeline depends on it.</summary>
    private static IEnumerable<string> BelowPipeline() => LibraryFolders().Where(d => d != "Pipeline");

    [TestCaseSource(nameof(BelowPipeline))]
    public void Folder_does_not_depend_on_Pipeline(string folder) =>
        Assert.That(References(folder, "Pipeline"), Is.Empty, $"{folder} must not use ChangeDetection.Pipeline");

    /// <summary>The scene generator is its own project (ChangeDetection.Synthetic) on top of the library, never inside it.</summary>
    [TestCaseSource(nameof(LibraryFolders))]
    public void Folder_does_not_depend_on_Synthetic(string folder) =>
        Assert.That(References(folder, "Synthetic"), Is.Empty, $"{folder} must not use ChangeDetection.Synthetic");

    [Test]
    public void Library_project_does_not_reference_Synthetic() =>
        Assert.That(File.ReadAllText(Path.Combine(Library, "ChangeDetection.csproj")), Does.Not.Contain("ChangeDetection.Synthetic.csproj"));

    /// <summary>Stage pairs where the first may not depend on the second (it would close a cycle or point up).</summary>
    [TestCase("Overlay", "Synthetic")]
    [TestCase("Geo", "Raster")]
    [TestCase("Detection", "Classification")]
    [TestCase("Vectorization", "Classification")]
    [TestCase("Raster", "Kernels")]
    public void Stage_does_not_depend_on(string folder, string forbidden) =>
        Assert.That(References(folder, forbidden), Is.Empty, $"{folder} must not use ChangeDetection.{forbidden}");

    private static List<string> References(string folder, string forbidden)
    {
        var pattern = new Regex($@"\bChangeDetection\.{forbidden}\b");
        var hits = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(Library, folder), "*.cs", SearchOption.AllDirectories))
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                if (pattern.IsMatch(lines[i])) hits.Add($"{Path.GetRelativePath(Library, file)}:{i + 1}: {lines[i].Trim()}");
        }
        return hits;
    }
}
