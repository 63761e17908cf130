using BenchmarkDotNet.Attributes;
using ChangeDetection.Export;
using ChangeDetection.Raster;
using ChangeDetection.Synthetic;
using ChangeDetection.Tasks;
using NetTopologySuite.Geometries;
using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Benchmarks.Pipeline;

/// <summary>
/// The chip writer per task (two PNGs: before and after) on a synthetic 2048² region (<c>cdx sample --seed 2024</c>),
/// for 16 square patches of 60 px (3 600 m², a typical task: the chip is the patch with a 32-px margin, enlarged 3× to
/// 372² PNG pixels), the scene's stretch limits computed once beforehand as an export does. Beside it, the two parts
/// a chip is made of: the windowed read of both dates, and the PNG encoding of one 372² chip (the chip writer's
/// <see cref="ChipPng"/>, and ImageSharp's encoder it replaced).
/// </summary>
[MemoryDiagnoser]
public class ChipWriterBenchmark
{
    private const int Tasks = 16;
    private const int Side = 60;
    private string _folder = "";
    private List<VerificationTask> _tasks = [];
    private ChipSource _source = null!;
    private ChipOptions _options = null!;
    private ScenePair _pair = null!;
    private PixelWindow _window;
    private ushort[] _before = [], _after = [];
    private byte[] _valid = [];
    private Image<Rgb24> _image = null!;
    private Rgb24[] _pixels = [];
    private int _width, _height;
    private byte[] _rows = [];
    private Geo.Crs _crs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"cdx-bench-chips-{Environment.ProcessId}");
        SyntheticRegion.Generate(_folder, new SyntheticRegionOptions { Size = 2048, Seed = 2024 });
        _source = new ChipSource(Path.Combine(_folder, "before.tif"), Path.Combine(_folder, "after.tif"));
        // No block cache: every read decodes its blocks, as a chip of its own does.
        _pair = ScenePair.Open(_source.BeforeImage, _source.AfterImage, new ScenePairOptions { BlockCacheBytes = 0 });
        _crs = _pair.Grid.Crs;
        _options = new ChipOptions { SceneLimits = ChipWriter.SceneLimits(_source) };
        var factory = new GeometryFactory();
        var t = _pair.Grid.Transform;
        for (int i = 0; i < Tasks; i++)
        {
            int x = 100 + i % 4 * 480, y = 100 + i / 4 * 480;
            var (x0, y0) = t.PixelToMap(x, y + Side);
            var (x1, y1) = t.PixelToMap(x + Side, y);
            var square = factory.ToGeometry(new Envelope(x0, x1, y0, y1));
            _tasks.Add(new VerificationTask
            {
                JCBH = $"3203052026Q3{i + 1:D4}", XZQDM = "320305", XZQMC = "贾汪区", TBMJ = square.Area,
                QSX = new DateOnly(2026, 4, 1), HSX = new DateOnly(2026, 9, 1), BHLX = ChangeClasses.Unclassified.Code,
                ZXD = 0.9, ZXDX = square.Centroid.X, ZXDY = square.Centroid.Y, YXJ = "高", Geometry = square,
            });
        }
        var frame = ChipWriter.FrameOf(_tasks[5].Geometry, _pair.Grid, _options)!.Value;
        _window = frame.Window;
        int bands = _pair.Bands.Count;
        (_before, _after, _valid) = (new ushort[_window.PixelCount * bands], new ushort[_window.PixelCount * bands], new byte[_window.PixelCount]);
        _pair.Read(_window, _before, _after, _valid);
        var pixels = new Rgb24[frame.Width * frame.Height];
        for (int i = 0; i < pixels.Length; i++)
        {
            int p = (i / frame.Width / frame.Scale) * _window.Width + i % frame.Width / frame.Scale;
            byte v = (byte)(_before[p] >> 4);
            pixels[i] = new Rgb24(v, (byte)(_after[p] >> 4), v);
        }
        _image = Image.LoadPixelData<Rgb24>(pixels, frame.Width, frame.Height);
        (_pixels, _width, _height) = (pixels, frame.Width, frame.Height);
        _rows = new byte[frame.Height * (1 + 3 * frame.Width)];
        for (int i = 0; i < pixels.Length; i++)
        {
            int at = i / frame.Width * (1 + 3 * frame.Width) + 1 + 3 * (i % frame.Width);
            (_rows[at], _rows[at + 1], _rows[at + 2]) = (pixels[i].R, pixels[i].G, pixels[i].B);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _image.Dispose();
        _pair.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Description = "chips of one task (2 PNGs)", OperationsPerInvoke = Tasks)]
    public int ChipsPerTask() => ChipWriter.Write(Path.Combine(_folder, "chips"), _tasks, _crs, _source, _options).Count;

    [Benchmark(Description = "read of one chip window, both dates")]
    public void ReadWindow() => _pair.Read(_window, _before, _after, _valid);

    [Benchmark(Description = "PNG encoding of one chip (ChipPng: libdeflate level 1, Up/Sub rows)")]
    public long EncodeChipPng()
    {
        using var stream = new MemoryStream();
        ChipPng.Write(stream, _pixels, _width, _height);
        return stream.Length;
    }

    [Benchmark(Description = "PNG encoding of one chip (ImageSharp, default level)")]
    public long EncodePng()
    {
        using var stream = new MemoryStream();
        _image.SaveAsPng(stream);
        return stream.Length;
    }

    /// <summary>The chips' encoder until ChipPng (3 December 2026): ImageSharp at zlib's fastest level.</summary>
    [Benchmark(Description = "PNG encoding, ImageSharp BestSpeed (the encoder before ChipPng)")]
    public long EncodePngBestSpeed()
    {
        using var stream = new MemoryStream();
        _image.SaveAsPng(stream, new PngEncoder { CompressionLevel = PngCompressionLevel.BestSpeed });
        return stream.Length;
    }

    /// <summary>The chip's rows (filter byte 0 + RGB) through .NET's zlib-ng at its default level: the floor of a PNG writer on it.</summary>
    [Benchmark(Description = "zlib-ng deflate of the chip's rows (other bytes)")]
    public long DeflateRowsZlibNg()
    {
        using var stream = new MemoryStream();
        using (var z = new ZLibStream(stream, CompressionLevel.Optimal, leaveOpen: true)) z.Write(_rows);
        return stream.Length;
    }
}
