using BenchmarkDotNet.Attributes;
using BitMiracle.LibTiff.Classic;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Benchmarks.Raster;

/// <summary>
/// Decoding every tile of the same DEFLATE-tiled GeoTIFF two ways: LibTiff.NET's own
/// ReadEncodedTile (managed zlib) against our reader (raw tile + System.IO.Compression's zlib-ng +
/// vectorised predictor, then de-interleaving into band-sequential output, which LibTiff does not do).
/// Uses shared/data's GDAL-written files when present.
/// </summary>
[MemoryDiagnoser]
public class DeflateDecodeBenchmark
{
    private string _path = "";
    private Tiff? _tiff;
    private GeoTiffReader? _reader;
    private byte[] _tile = [];
    private ushort[] _pixels = [];

    [Params("tiled256_deflate_pixel_u16.tif", "float32_pred3_nodata.tif")]
    public string File { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = FindShared(File);
        _tiff = Tiff.Open(_path, "r") ?? throw new InvalidOperationException(_path);
        _tile = new byte[_tiff.TileSize()];
        _reader = GeoTiffReader.Open(_path);
        var info = _reader.Info;
        _pixels = new ushort[info.Bounds.PixelCount * info.BandCount * info.DataType.SizeOf() / 2];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tiff?.Dispose();
        _reader?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "LibTiff.NET ReadEncodedTile")]
    public long LibTiff()
    {
        long total = 0;
        int tiles = _tiff!.NumberOfTiles();
        for (int t = 0; t < tiles; t++) total += _tiff.ReadEncodedTile(t, _tile, 0, _tile.Length);
        return total;
    }

    [Benchmark(Description = "GeoTiffReader (zlib-ng + SIMD predictor)")]
    public long Ours()
    {
        var info = _reader!.Info;
        if (info.DataType == RasterDataType.Float32)
        {
            var f = System.Runtime.InteropServices.MemoryMarshal.Cast<ushort, float>(_pixels.AsSpan());
            _reader.Read(info.Bounds, f);
        }
        else
        {
            _reader.Read(info.Bounds, _pixels.AsSpan());
        }
        return _pixels[^1];
    }

    private static string FindShared(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", "geotiff", file);
            if (System.IO.File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{file} not found in ../shared/data/geotiff above {AppContext.BaseDirectory}; run from the project checkout next to shared/.");
    }
}
