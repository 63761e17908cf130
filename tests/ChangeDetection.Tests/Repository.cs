namespace ChangeDetection.Tests;

/// <summary>The clone the tests run from: the folder above the test assembly that holds ChangeDetection.sln.</summary>
internal static class Repository
{
    private static readonly Lazy<string?> RootOrNullValue = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "ChangeDetection.sln"))) return dir.FullName;
        return null;
    });

    /// <summary>The repository root, or null when the tests run outside a clone.</summary>
    public static string? RootOrNull => RootOrNullValue.Value;

    /// <summary>The repository root.</summary>
    /// <exception cref="DirectoryNotFoundException">No ChangeDetection.sln above the test assembly.</exception>
    public static string Root => RootOrNull ?? throw new DirectoryNotFoundException("ChangeDetection.sln not found above the test assembly");

    /// <summary>A path under the repository root.</summary>
    public static string File(string relative) => Path.Combine(Root, relative);
}
