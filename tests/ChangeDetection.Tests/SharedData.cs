namespace ChangeDetection.Tests;

/// <summary>
/// Locates <c>../shared/data</c> (test data made outside the project; CI always has it, a fresh
/// clone does not). Tests that need it call <see cref="RequireDir"/>, which skips with the reason.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string?> Root = new(Find);

    public static string? RootOrNull => Root.Value;

    private static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("CDX_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        if (Repository.RootOrNull is not string root) return null;
        string candidate = Path.GetFullPath(Path.Combine(root, "..", "shared", "data"));
        return Directory.Exists(candidate) ? candidate : null;
    }

    /// <summary>The full path of <paramref name="relative"/> under shared/data, or an ignored test.</summary>
    public static string RequireDir(string relative)
    {
        string? root = RootOrNull;
        if (root is null)
            Assert.Ignore("Needs ../shared/data (test data made outside the project), which this checkout does not have; CI has it.");
        string path = Path.Combine(root!, relative);
        if (!Directory.Exists(path) && !File.Exists(path))
            Assert.Ignore($"Needs {path}, which is missing from ../shared/data.");
        return path;
    }
}
