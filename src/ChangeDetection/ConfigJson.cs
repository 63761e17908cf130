using System.Text.Json;

namespace ChangeDetection;

/// <summary>Opens the project's JSON config files (region configs, schedules) with one set of rules and errors.</summary>
public static class ConfigJson
{
    /// <summary>Parses <paramref name="path"/> (comments and trailing commas allowed).</summary>
    /// <param name="path">The JSON file.</param>
    /// <param name="what">What the file is, for the "not found" message (e.g. "region config").</param>
    /// <exception cref="ChangeDetectionException">The file is missing or not valid JSON.</exception>
    public static JsonDocument Load(string path, string what)
    {
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: {what} not found.");
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ChangeDetectionException($"{path}: not valid JSON ({e.Message}).");
        }
    }
}
