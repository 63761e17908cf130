namespace ChangeDetection.Synthetic;

/// <summary>Surface reflectance in four bands (blue, green, red, near infrared), 0..1.</summary>
internal struct Refl(double b, double g, double r, double n)
{
    public double B = b, G = g, R = r, N = n;

    public static Refl Mix(in Refl a, in Refl b, double t) =>
        new(a.B + (b.B - a.B) * t, a.G + (b.G - a.G) * t, a.R + (b.R - a.R) * t, a.N + (b.N - a.N) * t);

    public readonly Refl Scale(double k) => new(B * k, G * k, R * k, N * k);
}

/// <summary>What a point of the scene is, as the placement of changes needs to know.</summary>
internal enum Cover { FieldGreen, FieldBare, Greenhouse, FieldRoad, Road, Village, Pond, Water, Forest }

/// <summary>Materials of injected changes and look-alikes (drawn only in one of the two images).</summary>
internal enum Material { RoofBlue, RoofWhite, RoofGrey, Earthwork, Pond, RoadConcrete, RoadAsphalt, Solar, Clearing, Ploughed, Flooded, Cloud, CloudShadow }

/// <summary>One injected polygon: a land-use change (truth) or a look-alike (kind <c>pseudo</c>).</summary>
internal sealed class Injected
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string Detail { get; init; }
    public required Poly Shape { get; init; }
    public required Material Material { get; init; }
    /// <summary>0 = drawn in the before image, 1 = in the after image.</summary>
    public int Image { get; init; } = 1;
    /// <summary>Orientation of stripes (panel rows, furrows), radians.</summary>
    public double Angle { get => _angle; init { _angle = value; Cos = Math.Cos(value); Sin = Math.Sin(value); } }
    private readonly double _angle;
    public double Cos { get; private init; } = 1;
    public double Sin { get; private init; }
    public ulong Key { get; init; }
}

internal sealed class Road
{
    public required List<Segment> Segments { get; init; }
    public required double HalfWidth { get; init; }
    public bool Trees { get; init; }
    public bool Asphalt { get; init; }
}

internal sealed class Village
{
    public required Poly Outline { get; init; }
    public double CU { get; init; }
    public double CV { get; init; }
    public double Angle { get => _angle; init { _angle = value; Cos = Math.Cos(value); Sin = Math.Sin(value); } }
    private readonly double _angle;
    public double Cos { get; private init; } = 1;
    public double Sin { get; private init; }
    public ulong Key { get; init; }
}

internal sealed class Forest
{
    public required Poly Outline { get; init; }
    public ulong Key { get; init; }
}

/// <summary>A block of fish ponds: NA × NB rectangular cells separated by earth dikes.</summary>
internal sealed class PondCluster
{
    public required Poly Outline { get; init; }
    public double CU { get; init; }
    public double CV { get; init; }
    public double Angle { get => _angle; init { _angle = value; Cos = Math.Cos(value); Sin = Math.Sin(value); } }
    private readonly double _angle;
    public double Cos { get; private init; } = 1;
    public double Sin { get; private init; }
    public int NA { get; init; }
    public int NB { get; init; }
    public double CellA { get; init; }
    public double CellB { get; init; }
    public ulong Key { get; init; }
}

/// <summary>The items of a scene that can influence one tile (culled by bounding box).</summary>
internal sealed class SceneItems
{
    public List<Injected> Injected { get; } = [];
    public List<Injected> Clouds { get; } = [];
    public List<(Segment Seg, Road Road)> RoadSegments { get; } = [];
    public List<Village> Villages { get; } = [];
    public List<PondCluster> Ponds { get; } = [];
    public List<Segment> River { get; } = [];
    public List<Forest> Forests { get; } = [];

    // Per-tile caches (a SceneItems is used by one thread): the lattice cell of each noise and the
    // last field block and strip, which neighbouring pixels share. Pure memoisation: no effect on values.
    internal readonly long[] NoiseX = Enumerable.Repeat(long.MinValue, 256).ToArray();
    internal readonly long[] NoiseY = new long[256];
    internal readonly double[] NoiseCorners = new double[256 * 4];
    internal long BlockI = long.MinValue, BlockJ;
    internal ulong BlockHash;
    internal long FieldI = long.MinValue, FieldJ, FieldK;
    internal ulong FieldHash;
}

/// <summary>
/// The vector description of a synthetic region (a few hundred shapes) plus the procedural field
/// grid; <see cref="Surface"/> turns it into reflectance at any ground point, for either date.
/// Scene coordinates are metres: u east and v south of the image's top-left corner.
/// </summary>
internal sealed class Scene
{
    public const double BlockP = 300, BlockQ = 480, FieldRoad = 4;

    public required ulong Seed { get; init; }
    public required double Extent { get; init; }
    public required double FieldAngle { get => _fieldAngle; init { _fieldAngle = value; FieldCos = Math.Cos(value); FieldSin = Math.Sin(value); } }
    private readonly double _fieldAngle;
    public double FieldCos { get; private init; } = 1;
    public double FieldSin { get; private init; }
    public List<Segment> River { get; } = [];
    public List<Road> Roads { get; } = [];
    public List<Village> Villages { get; } = [];
    public List<Forest> Forests { get; } = [];
    public List<PondCluster> Ponds { get; } = [];
    public List<Injected> Changes { get; } = [];
    public List<Injected> Pseudo { get; } = [];
    /// <summary>After-image misregistration in pixels (the after image shows the ground at pixel + shift).</summary>
    public double ShiftX { get; set; }
    public double ShiftY { get; set; }
    public double[] Gain { get; } = [1, 1, 1, 1];
    public double[] Offset { get; } = [0, 0, 0, 0];
    public double NoiseSigma { get; set; } = 25;


    /// <summary>The items whose influence reaches into <paramref name="box"/>.</summary>
    public SceneItems Cull(in Box box)
    {
        var items = new SceneItems();
        foreach (var c in Changes.Concat(Pseudo))
        {
            if (!c.Shape.Bounds.Intersects(box)) continue;
            if (c.Material is Material.Cloud or Material.CloudShadow) items.Clouds.Add(c);
            else items.Injected.Add(c);
        }
        foreach (var r in Roads)
            foreach (var s in r.Segments)
                if (s.Bounds.Intersects(box)) items.RoadSegments.Add((s, r));
        foreach (var v in Villages) if (v.Outline.Bounds.Intersects(box)) items.Villages.Add(v);
        foreach (var p in Ponds) if (p.Outline.Bounds.Intersects(box)) items.Ponds.Add(p);
        foreach (var s in River) if (s.Bounds.Intersects(box)) items.River.Add(s);
        foreach (var f in Forests) if (f.Outline.Bounds.Intersects(box)) items.Forests.Add(f);
        return items;
    }

    // ---- spectra ------------------------------------------------------------------------------
    private static readonly Refl Soil = new(0.085, 0.12, 0.16, 0.22);
    private static readonly Refl Wheat = new(0.04, 0.085, 0.05, 0.40);
    private static readonly Refl Maize = new(0.032, 0.08, 0.04, 0.43);
    private static readonly Refl Dirt = new(0.13, 0.16, 0.19, 0.22);
    private static readonly Refl Concrete = new(0.19, 0.20, 0.21, 0.23);
    private static readonly Refl Asphalt = new(0.07, 0.08, 0.09, 0.11);
    private static readonly Refl RiverWater = new(0.06, 0.08, 0.065, 0.03);
    private static readonly Refl PondWater = new(0.05, 0.085, 0.07, 0.035);
    private static readonly Refl TreeApril = new(0.033, 0.06, 0.04, 0.30);
    private static readonly Refl TreeJuly = new(0.03, 0.06, 0.034, 0.35);
    private static readonly Refl RoofRed = new(0.08, 0.08, 0.15, 0.20);
    private static readonly Refl RoofGrey = new(0.17, 0.18, 0.19, 0.21);
    private static readonly Refl RoofBlue = new(0.20, 0.17, 0.09, 0.12);
    private static readonly Refl RoofWhite = new(0.42, 0.44, 0.45, 0.46);
    private static readonly Refl Yard = new(0.14, 0.15, 0.17, 0.20);
    private static readonly Refl FreshSoil = new(0.15, 0.20, 0.26, 0.30);
    private static readonly Refl NewPond = new(0.065, 0.095, 0.075, 0.045);
    private static readonly Refl Panel = new(0.07, 0.065, 0.055, 0.075);
    private static readonly Refl Gravel = new(0.12, 0.14, 0.16, 0.21);
    private static readonly Refl WetSoil = new(0.065, 0.085, 0.105, 0.135);
    private static readonly Refl FloodWater = new(0.055, 0.08, 0.06, 0.07);
    private static readonly Refl Plastic = new(0.30, 0.33, 0.34, 0.36);
    private static readonly Refl CloudWhite = new(0.55, 0.56, 0.57, 0.58);

    /// <summary>
    /// Digital numbers of pixel (<paramref name="x"/>, <paramref name="y"/>) of an image: reflectance × 10 000,
    /// the after image's gain, offset and a smooth haze, plus sensor noise keyed on the pixel.
    /// </summary>
    public void ToDigitalNumbers(SceneItems items, in Refl r, int image, long x, long y, double u, double v, out ushort b, out ushort g, out ushort red, out ushort n)
    {
        ulong h1 = SynthHash.Of(Seed, 201 + (ulong)image, x, y), h2 = SynthHash.Mix(h1);
        double s = NoiseSigma * 2.449489742783178; // triangular noise (u1 + u2 - 1) has variance 1/6
        double nb = s * (SynthHash.Unit16(h1, 0) + SynthHash.Unit16(h2, 0) - 1);
        double ng = s * (SynthHash.Unit16(h1, 1) + SynthHash.Unit16(h2, 1) - 1);
        double nr = s * (SynthHash.Unit16(h1, 2) + SynthHash.Unit16(h2, 2) - 1);
        double nn = s * (SynthHash.Unit16(h1, 3) + SynthHash.Unit16(h2, 3) - 1);
        if (image == 0)
        {
            b = Dn(r.B * 10000 + nb);
            g = Dn(r.G * 10000 + ng);
            red = Dn(r.R * 10000 + nr);
            n = Dn(r.N * 10000 + nn);
            return;
        }
        double haze = Noise(items, 211, u, v, 3000);
        b = Dn(r.B * 10000 * Gain[0] + Offset[0] + 220 * haze + nb);
        g = Dn(r.G * 10000 * Gain[1] + Offset[1] + 160 * haze + ng);
        red = Dn(r.R * 10000 * Gain[2] + Offset[2] + 90 * haze + nr);
        n = Dn(r.N * 10000 * Gain[3] + Offset[3] + 40 * haze + nn);
    }

    private static ushort Dn(double value) => (ushort)Math.Clamp(Math.Round(value), 1, 65535);

    /// <summary>Value noise of the given tag (0..255) at ground scale <paramref name="scale"/> metres; equals <see cref="SynthHash.ValueNoise"/>.</summary>
    private double Noise(SceneItems cache, ulong tag, double u, double v, double scale)
    {
        double x = u / scale, y = v / scale;
        double fx = Math.Floor(x), fy = Math.Floor(y);
        long ix = (long)fx, iy = (long)fy;
        int slot = (int)tag;
        var corners = cache.NoiseCorners.AsSpan(slot * 4, 4);
        if (cache.NoiseX[slot] != ix || cache.NoiseY[slot] != iy)
        {
            SynthHash.LatticeCorners(Seed ^ (tag * 0x9E3779B97F4A7C15UL), ix, iy, corners);
            cache.NoiseX[slot] = ix;
            cache.NoiseY[slot] = iy;
        }
        return SynthHash.Interpolate(corners, x - fx, y - fy);
    }

    private Refl Vegetation(int image) => image == 0 ? Wheat : Maize;
    private static Refl Trees(int image) => image == 0 ? TreeApril : TreeJuly;

    /// <summary>Reflectance of the ground at (u, v) metres in image 0 (before) or 1 (after), with what it is.</summary>
    public Refl Surface(double u, double v, int image, SceneItems items, out Cover cover)
    {
        Refl r = Ground(u, v, image, items, out cover);
        if (items.Clouds.Count == 0) return r;
        // Shadows darken the ground first, then clouds blend over everything (both in scene order).
        foreach (var c in items.Clouds)
        {
            if (c.Material != Material.CloudShadow || c.Image != image || !c.Shape.Contains(u, v)) continue;
            r = r.Scale(1 - 0.62 * Math.Min(1, c.Shape.EdgeDistance(u, v) / 15));
        }
        foreach (var c in items.Clouds)
        {
            if (c.Material != Material.Cloud || c.Image != image || !c.Shape.Contains(u, v)) continue;
            double alpha = Math.Min(1, c.Shape.EdgeDistance(u, v) / 20) * (0.72 + 0.28 * Noise(items, 71, u, v, 45));
            r = Refl.Mix(r, CloudWhite.Scale(0.9 + 0.15 * Noise(items, 72, u, v, 12)), alpha);
        }
        return r;
    }

    private Refl Ground(double u, double v, int image, SceneItems items, out Cover cover)
    {
        // Top-most layer first: injected changes, roads, villages, ponds, river, forest, fields.
        foreach (var c in items.Injected)
        {
            if (c.Image != image || !c.Shape.Contains(u, v)) continue;
            cover = Cover.FieldBare;
            return InjectedSurface(c, u, v, image, items);
        }

        if (items.RoadSegments.Count > 0 && RoadSurface(u, v, image, items, out cover) is Refl road) return road;
        foreach (var vi in items.Villages)
            if (vi.Outline.Contains(u, v)) { cover = Cover.Village; return VillageSurface(vi, u, v, image, items); }
        foreach (var p in items.Ponds)
            if (p.Outline.Contains(u, v)) { cover = Cover.Pond; return PondSurface(p, u, v, items); }
        if (items.River.Count > 0)
        {
            double best = double.MaxValue, hw = 0;
            foreach (var s in items.River)
            {
                double reach = s.HalfWidth + 9;
                double d2 = Segment.DistanceSquared(u, v, s.AU, s.AV, s.BU, s.BV);
                if (d2 >= reach * reach) continue;
                double d = Math.Sqrt(d2) - s.HalfWidth;
                if (d < best) { best = d; hw = s.HalfWidth; }
            }
            if (best < 0)
            {
                cover = Cover.Water;
                double n = Noise(items, 31, u, v, 60);
                return RiverWater.Scale(0.9 + 0.25 * n) with { N = RiverWater.N + 0.02 * Math.Max(0, best + 3) };
            }
            if (best < 9)
            {
                cover = Cover.Water;
                return Refl.Mix(Dirt, Vegetation(image), 0.3 + 0.3 * Noise(items, 32, u, v, 5));
            }
        }
        foreach (var f in items.Forests)
        {
            if (!f.Outline.Contains(u, v)) continue;
            cover = Cover.Forest;
            double n = Noise(items, 41, u, v, 3.2);
            if (n < 0.18) return Refl.Mix(Soil, Vegetation(image), 0.4);
            return Trees(image).Scale(0.55 + 0.65 * n);
        }
        return FieldSurface(u, v, image, items, out cover);
    }

    /// <summary>The procedural field grid: blocks between dirt roads, split into strips of one crop each.</summary>
    public (long I, long J, long K, bool AlongQ, double Width, int Crop, double P, double Q) FieldAt(double u, double v) => FieldAt(u, v, new SceneItems(), out _);

    private (long I, long J, long K, bool AlongQ, double Width, int Crop, double P, double Q) FieldAt(double u, double v, SceneItems cache, out ulong fieldHash)
    {
        double p = u * FieldCos + v * FieldSin, q = -u * FieldSin + v * FieldCos;
        long i = (long)Math.Floor(p / BlockP), j = (long)Math.Floor(q / BlockQ);
        double pp = p - i * BlockP, qq = q - j * BlockQ;
        if (cache.BlockI != i || cache.BlockJ != j)
        {
            cache.BlockHash = SynthHash.Of(Seed, 11, i, j);
            cache.BlockI = i;
            cache.BlockJ = j;
        }
        ulong hb = cache.BlockHash;
        bool alongQ = (hb & 1) == 0;
        double w = 22 + 38 * SynthHash.Unit16(hb, 1);
        double across = alongQ ? pp - FieldRoad : qq - FieldRoad;
        long k = (long)Math.Floor(across / w);
        if (cache.FieldI != i || cache.FieldJ != j || cache.FieldK != k)
        {
            cache.FieldHash = SynthHash.Of(Seed, 12, i, j, k);
            cache.FieldI = i;
            cache.FieldJ = j;
            cache.FieldK = k;
        }
        fieldHash = cache.FieldHash;
        double t = SynthHash.Unit16(fieldHash, 0);
        int crop = t < 0.72 ? 0 : t < 0.86 ? 1 : t < 0.965 ? 2 : 3;
        return (i, j, k, alongQ, w, crop, p, q);
    }

    private Refl FieldSurface(double u, double v, int image, SceneItems items, out Cover cover)
    {
        var (i, j, k, alongQ, w, crop, p, q) = FieldAt(u, v, items, out ulong hf);
        double pp = p - i * BlockP, qq = q - j * BlockQ;
        if (pp < FieldRoad || qq < FieldRoad)
        {
            cover = Cover.FieldRoad;
            return Dirt.Scale(0.9 + 0.2 * Noise(items, 21, u, v, 3));
        }
        double across = (alongQ ? pp : qq) - FieldRoad;
        double inStrip = across - k * w;
        double along = alongQ ? qq : pp;
        Refl soil = Soil.Scale(0.85 + 0.3 * SynthHash.Unit16(hf, 1) + 0.1 * (Noise(items, 22, u, v, 7) - 0.5));
        if (crop == 3)
        {
            cover = Cover.Greenhouse;
            double period = along % 9;
            return period < 1.5 ? soil : Plastic.Scale(0.92 + 0.1 * Noise(items, 23, u, v, 4));
        }
        double u1 = SynthHash.Unit16(hf, 2), u2 = SynthHash.Unit16(hf, 3);
        double f = crop switch
        {
            // Wheat in April, maize in July (the same field keeps a similar vigour); spring-sown
            // fields are bare in April and green by July; vegetables vary a little.
            0 => image == 0 ? 0.55 + 0.25 * u1 : 0.60 + 0.22 * u1 + 0.06 * (u2 - 0.5),
            1 => image == 0 ? 0.06 + 0.10 * u1 : 0.28 + 0.22 * u2,
            _ => 0.35 + 0.25 * u1 + (image == 0 ? 0 : 0.08 * (u2 - 0.5)),
        };
        f += 0.12 * (Noise(items, 24, u, v, 6) - 0.5) + 0.08 * (Noise(items, 25, u, v, 25) - 0.5);
        if (crop == 2) f += 0.12 * (((long)Math.Floor(along / 3) & 1) - 0.5);
        if (inStrip < 0.8 || inStrip > w - 0.8) f *= 0.6;
        f = Math.Clamp(f, 0, 1);
        cover = crop == 1 && image == 0 ? Cover.FieldBare : Cover.FieldGreen;
        return Refl.Mix(soil, Vegetation(image), f);
    }

    private Refl? RoadSurface(double u, double v, int image, SceneItems items, out Cover cover)
    {
        cover = Cover.Road;
        double bestPave = double.MaxValue;
        Road? paved = null;
        bool shoulder = false, tree = false;
        foreach (var (s, road) in items.RoadSegments)
        {
            double reach = road.HalfWidth + 8;
            if (Segment.DistanceSquared(u, v, s.AU, s.AV, s.BU, s.BV) >= reach * reach) continue;
            var (along, lat) = s.Project(u, v);
            double d = Math.Abs(lat);
            if (d < road.HalfWidth) { if (d < bestPave) { bestPave = d; paved = road; } }
            else if (d < road.HalfWidth + 1.5) shoulder = true;
            else if (road.Trees)
            {
                double off = d - (road.HalfWidth + 5);
                double t = along - 5 * Math.Round(along / 5);
                if (off * off + t * t < 2.6 * 2.6) tree = true;
            }
        }
        if (paved is not null)
        {
            var m = paved.Asphalt ? Asphalt : Concrete;
            return m.Scale(0.95 + 0.1 * Noise(items, 51, u, v, 2));
        }
        if (shoulder) return Dirt;
        if (tree) { cover = Cover.Forest; return Trees(image).Scale(0.7 + 0.4 * Noise(items, 52, u, v, 1.5)); }
        return null;
    }

    private Refl VillageSurface(Village vi, double u, double v, int image, SceneItems items)
    {
        double c = vi.Cos, s = vi.Sin;
        double du = u - vi.CU, dv = v - vi.CV;
        double a = du * c + dv * s, b = -du * s + dv * c;
        long ia = (long)Math.Floor(a / 16), ib = (long)Math.Floor(b / 20);
        double fa = a - ia * 16, fb = b - ib * 20;
        if ((ia % 6 == 0 && fa < 5) || (ib % 4 == 0 && fb < 5)) return Concrete.Scale(0.92 + 0.12 * Noise(items, 61, u, v, 3));
        ulong h = SynthHash.Of(vi.Key, 62, ia, ib);
        double t = SynthHash.Unit16(h, 0);
        if (t < 0.1) return Refl.Mix(Soil, Vegetation(image), 0.55 + 0.2 * Noise(items, 63, u, v, 3));
        if (fa >= 1 && fa <= 15 && fb >= 5.5 && fb <= 13)
        {
            double m = SynthHash.Unit16(h, 1);
            var roof = m < 0.5 ? RoofRed : m < 0.85 ? RoofGrey : m < 0.93 ? RoofWhite : RoofBlue;
            return roof.Scale(0.93 + 0.1 * SynthHash.Unit16(h, 2));
        }
        double tu = 3 + 10 * SynthHash.Unit16(h, 3), tb = 16.5;
        if ((h & 3) != 0 && (fa - tu) * (fa - tu) + (fb - tb) * (fb - tb) < 9)
            return Trees(image).Scale(0.7 + 0.4 * Noise(items, 64, u, v, 1.5));
        return Yard.Scale(0.9 + 0.15 * Noise(items, 65, u, v, 2));
    }

    private Refl PondSurface(PondCluster p, double u, double v, SceneItems items)
    {
        double c = p.Cos, s = p.Sin;
        double du = u - p.CU, dv = v - p.CV;
        double a = du * c + dv * s + p.NA * p.CellA / 2, b = -du * s + dv * c + p.NB * p.CellB / 2;
        long ia = (long)Math.Floor(a / p.CellA), ib = (long)Math.Floor(b / p.CellB);
        double fa = a - ia * p.CellA, fb = b - ib * p.CellB;
        const double dike = 4;
        if (fa < dike || fb < dike || a > p.NA * p.CellA - dike || b > p.NB * p.CellB - dike)
            return Refl.Mix(Dirt, Maize, 0.3 + 0.2 * Noise(items, 81, u, v, 3));
        ulong h = SynthHash.Of(p.Key, 82, ia, ib);
        double algae = SynthHash.Unit16(h, 0);
        return PondWater with { G = PondWater.G + 0.02 * algae, N = PondWater.N + 0.03 * algae + 0.01 * Noise(items, 83, u, v, 10) };
    }

    private Refl InjectedSurface(Injected c, double u, double v, int image, SceneItems items)
    {
        double ca = c.Cos, sa = c.Sin;
        double along = u * ca + v * sa;
        double across = -u * sa + v * ca;
        switch (c.Material)
        {
            case Material.RoofBlue: return RoofBlue.Scale(0.96 + 0.06 * Noise(items, 91, u, v, 4));
            case Material.RoofWhite: return RoofWhite.Scale(0.96 + 0.06 * Noise(items, 91, u, v, 4));
            case Material.RoofGrey: return RoofGrey.Scale(1.05 + 0.08 * Noise(items, 91, u, v, 4));
            case Material.Earthwork:
                return FreshSoil.Scale(0.82 + 0.32 * Noise(items, 92, u, v, 4) + 0.06 * (((long)Math.Floor(across / 3.5) & 1) - 0.5));
            case Material.Pond:
                if (c.Shape.EdgeDistance(u, v) < 3) return FreshSoil.Scale(0.85);
                return NewPond.Scale(0.95 + 0.1 * Noise(items, 93, u, v, 8));
            case Material.RoadConcrete: return Concrete.Scale(1.1 + 0.08 * Noise(items, 94, u, v, 2));
            case Material.RoadAsphalt: return Asphalt.Scale(0.95 + 0.08 * Noise(items, 94, u, v, 2));
            case Material.Solar:
                double phase = across / 6.0 - Math.Floor(across / 6.0);
                return phase < 0.62 ? Panel.Scale(0.96 + 0.06 * Noise(items, 95, u, v, 3)) : Gravel.Scale(0.9 + 0.2 * Noise(items, 96, u, v, 2));
            case Material.Clearing:
                return Refl.Mix(FreshSoil.Scale(0.8), Trees(image), 0.12 + 0.2 * Noise(items, 97, u, v, 2.5));
            case Material.Ploughed:
                return WetSoil.Scale(0.88 + 0.2 * (((long)Math.Floor(across / 2.2) & 1)) + 0.08 * Noise(items, 98, u, v, 5));
            case Material.Flooded:
                return Refl.Mix(FloodWater, Maize, 0.1 + 0.15 * Noise(items, 99, u, v, 6));
            default:
                return FreshSoil;
        }
    }
}
