namespace ChangeDetection;

/// <summary>
/// A configuration error found before any raster work: a region config key, a file it names (image,
/// layer, model) or a setting that cannot work. Retrying cannot help, so job hosts fail such a job
/// at once instead of retrying it; the message names the file and the key and says what to do.
/// </summary>
public sealed class ConfigException : ChangeDetectionException
{
    public ConfigException(string message) : base(message) { }
    public ConfigException(string message, Exception? inner) : base(message, inner) { }
    public ConfigException() { }
}
