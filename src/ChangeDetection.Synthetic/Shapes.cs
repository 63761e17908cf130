namespace ChangeDetection.Synthetic;

/// <summary>An axis-aligned box in scene metres (u east, v south of the image's top-left corner).</summary>
internal readonly record struct Box(double MinU, double MinV, double MaxU, double MaxV)
{
    public bool Intersects(in Box o) => MinU <= o.MaxU && o.MinU <= MaxU && MinV <= o.MaxV && o.MinV <= MaxV;

    public bool Contains(double u, double v) => u >= MinU && u <= MaxU && v >= MinV && v <= MaxV;

    public bool Contains(in Box o) => o.MinU >= MinU && o.MaxU <= MaxU && o.MinV >= MinV && o.MaxV <= MaxV;

    public Box Expand(double d) => new(MinU - d, MinV - d, MaxU + d, MaxV + d);

    public Box Union(in Box o) => new(Math.Min(MinU, o.MinU), Math.Min(MinV, o.MinV), Math.Max(MaxU, o.MaxU), Math.Max(MaxV, o.MaxV));

    public double CenterU => (MinU + MaxU) / 2;
    public double CenterV => (MinV + MaxV) / 2;
}

/// <summary>A simple polygon (one ring, no holes) in scene metres, with a cached bounding box.</summary>
internal sealed class Poly
{
    public Poly(double[] us, double[] vs)
    {
        if (us.Length != vs.Length || us.Length < 3) throw new ArgumentException("A polygon needs at least three vertices.");
        U = us;
        V = vs;
        Bounds = new Box(us.Min(), vs.Min(), us.Max(), vs.Max());
    }

    public double[] U { get; }
    public double[] V { get; }
    public Box Bounds { get; }
    public int Count => U.Length;

    /// <summary>Even-odd point-in-polygon test.</summary>
    public bool Contains(double u, double v)
    {
        if (!Bounds.Contains(u, v)) return false;
        bool inside = false;
        var us = U;
        var vs = V;
        for (int i = 0, j = us.Length - 1; i < us.Length; j = i++)
        {
            if ((vs[i] > v) != (vs[j] > v) && u < (us[j] - us[i]) * (v - vs[i]) / (vs[j] - vs[i]) + us[i])
                inside = !inside;
        }
        return inside;
    }

    /// <summary>Distance from a point to the nearest edge.</summary>
    public double EdgeDistance(double u, double v)
    {
        double best = double.MaxValue;
        for (int i = 0, j = U.Length - 1; i < U.Length; j = i++)
            best = Math.Min(best, Segment.DistanceSquared(u, v, U[j], V[j], U[i], V[i]));
        return Math.Sqrt(best);
    }

    /// <summary>Area by the shoelace formula (m²).</summary>
    public double Area
    {
        get
        {
            double a = 0;
            for (int i = 0, j = U.Length - 1; i < U.Length; j = i++) a += U[j] * V[i] - U[i] * V[j];
            return Math.Abs(a) / 2;
        }
    }

    public Poly Translate(double du, double dv) => new(U.Select(x => x + du).ToArray(), V.Select(y => y + dv).ToArray());

    /// <summary>A rectangle of size <paramref name="length"/> (along the angle) × <paramref name="width"/>, rotated by <paramref name="angle"/> radians.</summary>
    public static Poly Rectangle(double cu, double cv, double length, double width, double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle), hl = length / 2, hw = width / 2;
        double[] a = [-hl, hl, hl, -hl], b = [-hw, -hw, hw, hw];
        var us = new double[4];
        var vs = new double[4];
        for (int i = 0; i < 4; i++)
        {
            us[i] = Round(cu + a[i] * c - b[i] * s);
            vs[i] = Round(cv + a[i] * s + b[i] * c);
        }
        return new Poly(us, vs);
    }

    /// <summary>An irregular star-shaped blob: radius perturbed by a few random harmonics.</summary>
    public static Poly Blob(SplitMix64 rng, double cu, double cv, double radius, double aspect, double angle, int vertices, double roughness)
    {
        int harmonics = 3;
        var amp = new double[harmonics];
        var phase = new double[harmonics];
        for (int k = 0; k < harmonics; k++)
        {
            amp[k] = roughness * rng.Range(0.3, 1.0) / (k + 1);
            phase[k] = rng.Range(0, 2 * Math.PI);
        }
        double c = Math.Cos(angle), s = Math.Sin(angle);
        var us = new double[vertices];
        var vs = new double[vertices];
        for (int i = 0; i < vertices; i++)
        {
            double t = 2 * Math.PI * i / vertices;
            double r = 1;
            for (int k = 0; k < harmonics; k++) r += amp[k] * Math.Cos((k + 2) * t + phase[k]);
            r *= radius * (1 + rng.Range(-0.04, 0.04));
            double a = r * Math.Cos(t) * aspect, b = r * Math.Sin(t);
            us[i] = Round(cu + a * c - b * s);
            vs[i] = Round(cv + a * s + b * c);
        }
        return new Poly(us, vs);
    }

    /// <summary>Vertices are kept on a millimetre grid so that the truth files print short, exact numbers.</summary>
    public static double Round(double x) => Math.Round(x * 1000) / 1000;
}

/// <summary>A line segment with a half width (a piece of a river or road centre line).</summary>
internal sealed class Segment
{
    public Segment(double au, double av, double bu, double bv, double halfWidth, double reach, double startT)
    {
        AU = au; AV = av; BU = bu; BV = bv;
        HalfWidth = halfWidth;
        StartT = startT;
        double du = bu - au, dv = bv - av;
        Length = Math.Sqrt(du * du + dv * dv);
        DirU = Length > 0 ? du / Length : 1;
        DirV = Length > 0 ? dv / Length : 0;
        Bounds = new Box(Math.Min(au, bu), Math.Min(av, bv), Math.Max(au, bu), Math.Max(av, bv)).Expand(reach);
    }

    public double AU { get; }
    public double AV { get; }
    public double BU { get; }
    public double BV { get; }
    public double HalfWidth { get; }
    public double Length { get; }
    public double DirU { get; }
    public double DirV { get; }
    /// <summary>Distance along the whole line at <see cref="AU"/>,<see cref="AV"/>.</summary>
    public double StartT { get; }
    /// <summary>Everything this segment can influence (centre line expanded by its reach).</summary>
    public Box Bounds { get; }

    /// <summary>Position along the line (clamped to the segment) and signed lateral offset of a point.</summary>
    public (double Along, double Lateral) Project(double u, double v)
    {
        double du = u - AU, dv = v - AV;
        double t = Math.Clamp(du * DirU + dv * DirV, 0, Length);
        double lat = -du * DirV + dv * DirU;
        double eu = u - (AU + t * DirU), ev = v - (AV + t * DirV);
        double dist = Math.Sqrt(eu * eu + ev * ev);
        return (StartT + t, lat < 0 ? -dist : dist);
    }

    public static double DistanceSquared(double u, double v, double au, double av, double bu, double bv)
    {
        double du = bu - au, dv = bv - av;
        double len2 = du * du + dv * dv;
        double t = len2 > 0 ? Math.Clamp(((u - au) * du + (v - av) * dv) / len2, 0, 1) : 0;
        double eu = u - (au + t * du), ev = v - (av + t * dv);
        return eu * eu + ev * ev;
    }
}
