using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ChangeDetection.Classification;

/// <summary>The JSON side entry that a model zip (patch classifier, pixel model) carries next to the ML.NET model.</summary>
internal static class ModelZip
{
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
