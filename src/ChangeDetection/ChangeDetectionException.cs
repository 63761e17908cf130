namespace ChangeDetection;

/// <summary>
/// Bad input that the user can fix: a broken file, a wrong option, a CRS mismatch. Hosts map it
/// to exit code 2 and print <see cref="Exception.Message"/> alone, without a stack trace, so the
/// message must say which file, what is wrong, and what to do.
/// </summary>
public class ChangeDetectionException : Exception
{
    public ChangeDetectionException(string message) : base(message) { }
    public ChangeDetectionException(string message, Exception? inner) : base(message, inner) { }
    public ChangeDetectionException() { }
}

/// <summary>A raster file that cannot be read as a GeoTIFF (or cannot be written). Names the file.</summary>
internal sealed class RasterFormatException : ChangeDetectionException
{
    public RasterFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    public RasterFormatException() { FilePath = ""; Problem = ""; }
    public RasterFormatException(string message) : base(message) { FilePath = ""; Problem = message; }
    public RasterFormatException(string message, Exception? inner) : base(message, inner) { FilePath = ""; Problem = message; }

    /// <summary>The file that could not be read or written.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
