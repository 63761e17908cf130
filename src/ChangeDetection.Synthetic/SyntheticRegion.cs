using System.Text.Encodings.Web;
using System.Text.Json;
using ChangeDetection.Geo;
using ChangeDetection.Overlay;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace ChangeDetection.Synthetic;

/// <summary>
/// Generates a deterministic demo region: a before/after pair of 4-band uint16 GeoTIFFs in CGCS2000
/// 3° Gauss–Krüger zone 39 (EPSG:4527) around 117.59°E 34.54°N, on the Jiangsu/Shandong border
/// (贾汪区, 峄城区, 台儿庄区), with red-line layers, county boundaries, ground truth and a
/// <c>region.json</c> describing it.
/// </summary>
/// <remarks>
/// The scene is a short list of shapes (river, roads, villages, forests, fish ponds, injected
/// changes and look-alikes) plus a procedural field grid. Every pixel is a pure function of the
/// seed, its (x, y) and that list, so tiles are generated independently and in parallel and written
/// strip by strip in file order: memory is bounded by the image width × tile size, and the files
/// are byte-identical for any tile size or worker count.
/// </remarks>
public static class SyntheticRegion
{
    /// <summary>CGCS2000 / 3-degree Gauss-Kruger zone 39 (central meridian 117°E, eastings with the zone prefix).</summary>
    public const int Epsg = 4527;

    /// <summary>Centre of every region: 117.588°E 34.543°N (near the 贾汪区/台儿庄区 border), in EPSG:4527.</summary>
    public const double CenterX = 39_554_000, CenterY = 3_824_000;

    /// <summary>Longitude/latitude (CGCS2000) of <see cref="CenterX"/>, <see cref="CenterY"/>, for reference.</summary>
    public const double CenterLon = 117.5883, CenterLat = 34.5425;

    public const string BeforeDate = "2026-04-12", AfterDate = "2026-07-20", Quarter = "2026Q3", Sensor = "GF-2";

    private static readonly string[] BandNames = ["blue", "green", "red", "nir"];

    /// <summary>The counties of the admin layer: (XZQDM, XZQMC, province).</summary>
    internal static readonly (string Code, string Name, string Province)[] Counties =
    [
        ("320305", "贾汪区", "江苏省"),
        ("370404", "峄城区", "山东省"),
        ("370405", "台儿庄区", "山东省"),
    ];

    /// <summary>Writes the region into <paramref name="directory"/> (created if missing; existing files are overwritten).</summary>
    /// <exception cref="ChangeDetectionException">Bad options, or the directory cannot be used.</exception>
    public static SyntheticRegionSummary Generate(string directory, SyntheticRegionOptions options, IProgress<StageProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (string.IsNullOrWhiteSpace(directory)) throw new ChangeDetectionException("No output folder given.");
        string dir = Path.GetFullPath(directory);
        if (File.Exists(dir)) throw new ChangeDetectionException($"{directory}: is a file, not a folder.");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "layers"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChangeDetectionException($"{directory}: cannot create the output folder ({e.Message}).", e);
        }

        progress?.Report(new StageProgress("scene", 0, 1));
        var scene = SceneBuilder.Build(options);
        double extent = scene.Extent;
        double originX = CenterX - extent / 2, originY = CenterY + extent / 2;
        var transform = new GeoTransform(originX, options.PixelSize, 0, originY, 0, -options.PixelSize);
        var map = new MapFrame(originX, originY);
        progress?.Report(new StageProgress("scene", 1, 1));

        string before = Path.Combine(dir, "before.tif"), after = Path.Combine(dir, "after.tif");
        WriteRasters(scene, options, transform, before, after, progress);

        progress?.Report(new StageProgress("vectors", 0, 1));
        string truth = Path.Combine(dir, "truth.geojson");
        var counts = WriteTruth(scene, map, truth);
        string farmland = Path.Combine(dir, "layers", "permanent_farmland.geojson");
        string redline = Path.Combine(dir, "layers", "ecological_redline.geojson");
        string admin = Path.Combine(dir, "layers", "admin.geojson");
        var imageBox = map.Polygon(new Poly([0, extent, extent, 0], [0, 0, extent, extent]));
        WritePermanentFarmland(scene, map, imageBox, farmland);
        WriteEcologicalRedline(scene, map, imageBox, redline);
        var counties = AdminPolygons(scene, map);
        WriteAdmin(counties, admin);
        var centre = Geometry.DefaultFactory.CreatePoint(new Coordinate(originX + extent / 2, originY - extent / 2));
        var home = Counties[counties.FindIndex(c => c.Covers(centre)) is var k and >= 0 ? k : 0];
        string region = Path.Combine(dir, "region.json");
        WriteRegionJson(region, home.Code, home.Name);
        WriteSyntheticJson(Path.Combine(dir, "synthetic.json"), options, scene, transform, counts);
        progress?.Report(new StageProgress("vectors", 1, 1));

        return new SyntheticRegionSummary
        {
            Directory = dir, RegionFile = region, BeforeImage = before, AfterImage = after, TruthFile = truth,
            PermanentFarmlandFile = farmland, EcologicalRedlineFile = redline, AdminFile = admin,
            Size = options.Size, Transform = transform, Crs = new Crs(Epsg), CountsByKind = counts,
            Misregistration = (scene.ShiftX, scene.ShiftY), CountyCodes = Counties.Select(c => c.Code).ToArray(),
        };
    }

    // ---- rasters ----------------------------------------------------------------------------------

    private static void WriteRasters(Scene scene, SyntheticRegionOptions o, GeoTransform transform, string beforePath, string afterPath, IProgress<StageProgress>? progress)
    {
        int n = o.Size, ts = o.TileSize;
        var writerOptions = new GeoTiffWriterOptions
        {
            Width = n, Height = n, BandCount = 4, DataType = RasterDataType.UInt16, Transform = transform,
            Crs = new Crs(Epsg), NoData = null, BandNames = BandNames, TileSize = SyntheticRegionOptions.FileTileSize,
        };
        using var before = GeoTiffWriter.Create(beforePath, writerOptions);
        using var after = GeoTiffWriter.Create(afterPath, writerOptions);
        int strips = (n + ts - 1) / ts;
        long bufferLength = 4L * n * Math.Min(ts, n);
        var buffers = new (ushort[] Before, ushort[] After)[2];
        Task? writing = null;
        for (int s = 0; s < strips; s++)
        {
            int y0 = s * ts, h = Math.Min(ts, n - y0);
            ref var buf = ref buffers[s % 2];
            if (buf.Before is null) buf = (new ushort[bufferLength], new ushort[bufferLength]);
            var (b, a) = buf;
            RenderStrip(scene, o, y0, h, b, a);
            // Strip s-1 is written while strip s renders; files get their tiles in row-major order.
            writing?.GetAwaiter().GetResult();
            var window = new PixelWindow(0, y0, n, h);
            int length = (int)(4L * n * h);
            writing = Task.WhenAll(
                Task.Run(() => before.WriteWindow<ushort>(window, b.AsSpan(0, length))),
                Task.Run(() => after.WriteWindow<ushort>(window, a.AsSpan(0, length))));
            progress?.Report(new StageProgress("rasters", s + 1, strips));
        }
        writing?.GetAwaiter().GetResult();
    }

    private static void RenderStrip(Scene scene, SyntheticRegionOptions o, int y0, int h, ushort[] before, ushort[] after)
    {
        int n = o.Size, ts = o.TileSize;
        int columns = (n + ts - 1) / ts;
        Parallel.For(0, columns, new ParallelOptions { MaxDegreeOfParallelism = o.Workers },
            c => RenderTile(scene, o, new PixelWindow(c * ts, y0, Math.Min(ts, n - c * ts), h), before, after));
    }

    /// <summary>Renders one tile of both images into band-sequential strip buffers (strip width = image width).</summary>
    internal static void RenderTile(Scene scene, SyntheticRegionOptions o, PixelWindow tile, ushort[] before, ushort[] after)
    {
        int n = o.Size;
        double p = o.PixelSize, sx = scene.ShiftX * p, sy = scene.ShiftY * p;
        var box = new Box(tile.X * p, tile.Y * p, tile.Right * p, tile.Bottom * p).Expand(Math.Abs(sx) + Math.Abs(sy) + 2 * p + 1);
        var items = scene.Cull(box);
        long plane = (long)n * tile.Height;
        for (int y = tile.Y; y < tile.Bottom; y++)
        {
            long row = (long)(y - tile.Y) * n;
            double v = (y + 0.5) * p;
            for (int x = tile.X; x < tile.Right; x++)
            {
                double u = (x + 0.5) * p;
                long i = row + x;
                var r0 = scene.Surface(u, v, 0, items, out _);
                scene.ToDigitalNumbers(items, r0, 0, x, y, u, v, out before[i], out before[i + plane], out before[i + 2 * plane], out before[i + 3 * plane]);
                var r1 = scene.Surface(u + sx, v + sy, 1, items, out _);
                scene.ToDigitalNumbers(items, r1, 1, x, y, u + sx, v + sy, out after[i], out after[i + plane], out after[i + 2 * plane], out after[i + 3 * plane]);
            }
        }
    }

    // ---- vectors ----------------------------------------------------------------------------------

    /// <summary>Scene metres (u east, v south of the top-left corner) to EPSG:4527 coordinates, on a millimetre grid.</summary>
    private sealed class MapFrame(double originX, double originY)
    {
        public GeometryFactory Factory { get; } = new(new PrecisionModel(1000), Epsg);

        public Coordinate At(double u, double v) => new(Math.Round((originX + u) * 1000) / 1000, Math.Round((originY - v) * 1000) / 1000);

        public Polygon Polygon(Poly poly)
        {
            var coords = new Coordinate[poly.Count + 1];
            for (int i = 0; i < poly.Count; i++) coords[i] = At(poly.U[i], poly.V[i]);
            coords[^1] = coords[0].Copy();
            return Factory.CreatePolygon(coords);
        }

        public LineString Line(IEnumerable<(double U, double V)> points) => Factory.CreateLineString(points.Select(p => At(p.U, p.V)).ToArray());
    }

    private static Feature Feature(Geometry g, params (string Key, object? Value)[] attributes)
    {
        var table = new AttributesTable();
        foreach (var (k, v) in attributes) table.Add(k, v);
        return new Feature(g, table);
    }

    private static Dictionary<string, int> WriteTruth(Scene scene, MapFrame map, string path)
    {
        var counts = SceneBuilder.ChangeKinds.ToDictionary(k => k.Kind, _ => 0);
        counts["pseudo"] = 0;
        var features = new List<IFeature>();
        foreach (var c in scene.Changes.Concat(scene.Pseudo))
        {
            var g = map.Polygon(c.Shape);
            counts[c.Kind]++;
            features.Add(Feature(g, ("id", c.Id), ("kind", c.Kind), ("detail", c.Detail), ("image", c.Image == 1 ? "after" : "before"), ("area_m2", Math.Round(g.Area, 2))));
        }
        GeoJsonLayer.Write(path, "truth", Epsg, features);
        return counts;
    }

    private static IEnumerable<Polygon> Polygons(Geometry g)
    {
        for (int i = 0; i < g.NumGeometries; i++)
            if (g.GetGeometryN(i) is Polygon p && !p.IsEmpty) yield return p;
    }

    private static Geometry RiverArea(Scene scene, MapFrame map, double margin)
    {
        if (scene.River.Count == 0) return map.Factory.CreatePolygon();
        var parts = new List<Geometry>();
        // Buffer runs of ~25 segments with their mean half width; the union is the river corridor.
        for (int i = 0; i < scene.River.Count; i += 25)
        {
            var run = scene.River.Skip(i).Take(26).ToList();
            var pts = run.Select(s => (s.AU, s.AV)).Append((run[^1].BU, run[^1].BV));
            parts.Add(map.Line(pts).Buffer(run.Average(s => s.HalfWidth) + margin, 8));
        }
        return CascadedPolygonUnion.Union(parts);
    }

    private static void WritePermanentFarmland(Scene scene, MapFrame map, Polygon imageBox, string path)
    {
        double w = scene.Extent;
        // Exclusions: built-up land, forest, water and main roads are not basic farmland.
        var exclusions = new List<Geometry> { RiverArea(scene, map, 10) };
        exclusions.AddRange(scene.Villages.Select(v => map.Polygon(v.Outline).Buffer(10)));
        exclusions.AddRange(scene.Forests.Select(f => map.Polygon(f.Outline)));
        exclusions.AddRange(scene.Ponds.Select(p => map.Polygon(p.Outline).Buffer(5)));
        foreach (var r in scene.Roads)
            exclusions.Add(map.Line(r.Segments.Select(s => (s.AU, s.AV)).Append((r.Segments[^1].BU, r.Segments[^1].BV))).Buffer(r.HalfWidth + 1.5, 4));
        var index = new NetTopologySuite.Index.Strtree.STRtree<Geometry>();
        foreach (var e in exclusions) index.Insert(e.EnvelopeInternal, e);

        var corners = new[] { (0.0, 0.0), (w, 0.0), (0.0, w), (w, w) }
            .Select(c => (P: c.Item1 * scene.FieldCos + c.Item2 * scene.FieldSin, Q: -c.Item1 * scene.FieldSin + c.Item2 * scene.FieldCos)).ToArray();
        long i0 = (long)Math.Floor(corners.Min(c => c.P) / Scene.BlockP), i1 = (long)Math.Floor(corners.Max(c => c.P) / Scene.BlockP);
        long j0 = (long)Math.Floor(corners.Min(c => c.Q) / Scene.BlockQ), j1 = (long)Math.Floor(corners.Max(c => c.Q) / Scene.BlockQ);
        var features = new List<IFeature>();
        int id = 0;
        for (long j = j0; j <= j1; j++)
        {
            for (long i = i0; i <= i1; i++)
            {
                if (SynthHash.Unit(SynthHash.Of(scene.Seed, 301, i, j)) >= 0.8) continue;
                double p0 = i * Scene.BlockP + Scene.FieldRoad, p1 = (i + 1) * Scene.BlockP, q0 = j * Scene.BlockQ + Scene.FieldRoad, q1 = (j + 1) * Scene.BlockQ;
                (double P, double Q)[] pq = [(p0, q0), (p1, q0), (p1, q1), (p0, q1)];
                var uv = pq.Select(c => (U: c.P * scene.FieldCos - c.Q * scene.FieldSin, V: c.P * scene.FieldSin + c.Q * scene.FieldCos)).ToArray();
                Geometry block = map.Polygon(new Poly(uv.Select(c => c.U).ToArray(), uv.Select(c => c.V).ToArray()));
                if (!block.Intersects(imageBox)) continue;
                block = block.Intersection(imageBox);
                foreach (var e in index.Query(block.EnvelopeInternal))
                    if (e.Intersects(block)) block = block.Difference(e);
                foreach (var part in Polygons(block))
                {
                    if (part.Area < 1000) continue;
                    id++;
                    features.Add(Feature(part, ("id", $"JBNT{id:D5}"), ("name", "永久基本农田"), ("area_m2", Math.Round(part.Area, 2))));
                }
            }
        }
        GeoJsonLayer.Write(path, "permanent_farmland", Epsg, features);
    }

    private static void WriteEcologicalRedline(Scene scene, MapFrame map, Polygon imageBox, string path)
    {
        var parts = new List<Geometry> { RiverArea(scene, map, 25) };
        parts.AddRange(scene.Forests.Select(f => map.Polygon(f.Outline).Buffer(15, 4)));
        var union = CascadedPolygonUnion.Union(parts).Intersection(imageBox);
        var features = new List<IFeature>();
        int id = 0;
        foreach (var part in Polygons(union).OrderBy(p => p.EnvelopeInternal.MinX).ThenBy(p => p.EnvelopeInternal.MinY))
        {
            if (part.Area < 1000) continue;
            id++;
            features.Add(Feature(part, ("id", $"STHX{id:D4}"), ("name", "生态保护红线"), ("area_m2", Math.Round(part.Area, 2))));
        }
        GeoJsonLayer.Write(path, "ecological_redline", Epsg, features);
    }

    /// <summary>
    /// Three counties over the region (and a margin around it): the province border (Jiangsu south,
    /// Shandong north) wavers east–west across it; a county border splits the Shandong part.
    /// </summary>
    private static List<Geometry> AdminPolygons(Scene scene, MapFrame map)
    {
        double w = scene.Extent, lo = -0.1 * w, hi = 1.1 * w;
        var rng = new SplitMix64(SynthHash.Of(scene.Seed, 401, 0));
        double ph1 = rng.Range(0, 2 * Math.PI), ph2 = rng.Range(0, 2 * Math.PI), ph3 = rng.Range(0, 2 * Math.PI);
        const int steps = 96;
        var border = new List<(double U, double V)>();
        var split = new List<(double U, double V)>();
        for (int k = 0; k <= steps; k++)
        {
            double t = lo + (hi - lo) * k / steps;
            border.Add((t, 0.42 * w + 0.06 * w * Math.Sin(2 * Math.PI * 1.3 * t / w + ph1) + 0.02 * w * Math.Sin(2 * Math.PI * 4.1 * t / w + ph2)));
            split.Add((0.5 * w + 0.05 * w * Math.Sin(2 * Math.PI * 1.7 * t / w + ph3), t));
        }
        Polygon Ring(IEnumerable<(double U, double V)> pts)
        {
            var list = pts.ToList();
            return map.Polygon(new Poly(list.Select(p => p.U).ToArray(), list.Select(p => p.V).ToArray()));
        }
        var south = Ring(border.Concat([(hi, hi), (lo, hi)]));
        var north = Ring(border.Concat([(hi, lo), (lo, lo)]));
        var west = Ring(split.Concat([(lo, hi), (lo, lo)]));
        return [south, north.Intersection(west), north.Difference(west)];
    }

    private static void WriteAdmin(List<Geometry> counties, string path)
    {
        var features = counties.Select((g, k) => (IFeature)Feature(g, ("XZQDM", Counties[k].Code), ("XZQMC", Counties[k].Name), ("province", Counties[k].Province)));
        GeoJsonLayer.Write(path, "admin", Epsg, features);
    }

    private static JsonWriterOptions JsonOptions => new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void WriteJsonFile(string path, Action<Utf8JsonWriter> body)
    {
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new Utf8JsonWriter(stream, JsonOptions))
            body(w);
        File.AppendAllText(path, "\n");
    }

    private static void WriteRegionJson(string path, string code, string name) => WriteJsonFile(path, w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("region");
        w.WriteString("code", code);
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteString("quarter", Quarter);
        foreach (var (key, file, date) in new[] { ("before", "before.tif", BeforeDate), ("after", "after.tif", AfterDate) })
        {
            w.WriteStartObject(key);
            w.WriteString("path", file);
            w.WriteString("date", date);
            w.WriteString("sensor", Sensor);
            w.WriteEndObject();
        }
        w.WriteStartObject("bands");
        for (int b = 0; b < BandNames.Length; b++) w.WriteNumber(BandNames[b], b + 1);
        w.WriteEndObject();
        w.WriteStartArray("layers");
        foreach (var (n, kind, p) in new[] { ("永久基本农田", "permanent-basic-farmland", "layers/permanent_farmland.geojson"), ("生态保护红线", "ecological-redline", "layers/ecological_redline.geojson") })
        {
            w.WriteStartObject();
            w.WriteString("name", n);
            w.WriteString("kind", kind);
            w.WriteString("path", p);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("admin");
        w.WriteString("path", "layers/admin.geojson");
        w.WriteString("codeField", "XZQDM");
        w.WriteString("nameField", "XZQMC");
        w.WriteEndObject();
        w.WriteStartObject("detection");
        w.WriteNumber("tileSize", 1024);
        w.WriteString("threshold", "auto");
        w.WriteStartObject("minAreaM2");
        w.WriteNumber("default", 400);
        w.WriteNumber("construction", 200);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("output", "out");
        w.WriteEndObject();
    });

    /// <summary>How the region was made (for people and tests; the pipeline reads region.json only).</summary>
    private static void WriteSyntheticJson(string path, SyntheticRegionOptions o, Scene scene, GeoTransform gt, Dictionary<string, int> counts) => WriteJsonFile(path, w =>
    {
        w.WriteStartObject();
        w.WriteString("generator", "cdx sample");
        w.WriteNumber("seed", o.Seed);
        w.WriteNumber("size", o.Size);
        w.WriteNumber("pixelSize", o.PixelSize);
        w.WriteNumber("epsg", Epsg);
        w.WriteStartArray("geotransform");
        foreach (double c in gt.ToArray()) w.WriteNumberValue(c);
        w.WriteEndArray();
        w.WriteStartArray("centerLonLat");
        w.WriteNumberValue(CenterLon);
        w.WriteNumberValue(CenterLat);
        w.WriteEndArray();
        w.WriteString("truth", "truth.geojson");
        w.WriteStartObject("truthCounts");
        foreach (var (k, v) in counts) w.WriteNumber(k, v);
        w.WriteEndObject();
        w.WriteStartObject("after");
        w.WriteStartArray("misregistrationPixels");
        w.WriteNumberValue(scene.ShiftX);
        w.WriteNumberValue(scene.ShiftY);
        w.WriteEndArray();
        w.WriteStartArray("gain");
        foreach (double g in scene.Gain) w.WriteNumberValue(g);
        w.WriteEndArray();
        w.WriteStartArray("offset");
        foreach (double g in scene.Offset) w.WriteNumberValue(g);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNumber("noiseSigmaDn", scene.NoiseSigma);
        w.WriteEndObject();
    });
}
