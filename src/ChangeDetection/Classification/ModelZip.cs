using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ChangeDetection.Classification;

/// <summary>The JSON side entry that a model zip (patch classifier, pixel model) carries next to the ML.NET model.</summary>
internal static class ModelZip
{
    /// <summary>The time every entry of a saved model zip carries, so that one training gives one file (SHA-256) whenever it runs.</summary>
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Adds the JSON side entry <paramref name="entryName"/> to the ML.NET model zip at <paramref name="path"/> and stamps
    /// every entry with one fixed time: ML.NET stamps its entries with the time of writing, which made the same training
    /// give another file (and another model SHA-256 in <c>run.json</c>) on every run.
    /// </summary>
    public static void AddMetadata(string path, string entryName, Action<Stream> write)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        foreach (var existing in zip.Entries) existing.LastWriteTime = EntryTime;
        var entry = zip.CreateEntry(entryName, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var s = entry.Open();
        write(s);
    }

    /// <summary>Reads entry <paramref name="entryName"/> of the zip at <paramref name="path"/>.</summary>
    /// <param name="path">The model zip.</param>
    /// <param name="entryName">The side entry's name in the zip.</param>
    /// <param name="type">The JSON contract of the entry.</param>
    /// <param name="kind">What the file should be, for messages (e.g. "classifier", "pixel model").</param>
    /// <param name="trainHint">How to make one, for the message when the entry is missing.</param>
    /// <exception cref="ChangeDetectionException">Not a zip, no such entry, empty or unreadable JSON; the message names the file.</exception>
    public static T ReadMetadata<T>(string path, string entryName, JsonTypeInfo<T> type, string kind, string trainHint) where T : class
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry(entryName)
                ?? throw new ChangeDetectionException($"{path}: not a ChangeDetection {kind} (no {entryName} in the zip); {trainHint}.");
            using var s = entry.Open();
            return JsonSerializer.Deserialize(s, type) ?? throw new ChangeDetectionException($"{path}: {entryName} is empty.");
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException)
        {
            throw new ChangeDetectionException($"{path}: cannot read the {kind}{(kind.EndsWith("model", StringComparison.Ordinal) ? "" : " model")} ({e.Message}).", e);
        }
    }
}
