namespace ChangeDetection.Synthetic;

/// <summary>
/// Builds the vector description of a synthetic region from a seed, on one thread with one
/// <see cref="SplitMix64"/> stream, so the scene (and with it every pixel) is a pure function of
/// the options. Sizes are in metres and do not depend on the pixel size.
/// </summary>
internal static class SceneBuilder
{
    /// <summary>Share of each change kind in the injected changes (classifier class names).</summary>
    internal static readonly (string Kind, double Share)[] ChangeKinds =
    [
        ("construction", 0.33), ("earthwork", 0.20), ("pond", 0.12), ("road", 0.10), ("solar", 0.08), ("vegetation", 0.17),
    ];

    public static Scene Build(SyntheticRegionOptions o)
    {
        ulong seed = SynthHash.Mix((ulong)o.Seed ^ 0x5EED_C0DE_2026UL);
        var rng = new SplitMix64(seed);
        double w = o.Size * o.PixelSize;
        double km2 = w * w / 1e6;
        var scene = new Scene { Seed = seed, Extent = w, FieldAngle = rng.Range(-0.2, 0.2) };

        AddRiver(scene, rng, w);
        AddRoads(scene, rng, w);
        AddVillages(scene, rng, w, km2);
        AddForests(scene, rng, w, km2);
        AddPonds(scene, rng, w, km2);

        // Radiometry of the after image relative to the before image, and its misregistration.
        double shift = rng.Range(0.3, 1.0), dir = rng.Range(0, 2 * Math.PI);
        scene.ShiftX = Math.Round(shift * Math.Cos(dir), 3);
        scene.ShiftY = Math.Round(shift * Math.Sin(dir), 3);
        double[] gain = [1.05, 1.04, 0.96, 1.07], offset = [90, 60, -40, -60];
        for (int b = 0; b < 4; b++)
        {
            scene.Gain[b] = Math.Round(gain[b] * (1 + rng.Range(-0.02, 0.02)), 4);
            scene.Offset[b] = Math.Round(offset[b] + rng.Range(-30, 30), 1);
        }

        var placed = new List<Box>();
        AddChanges(scene, rng, w, km2, placed);
        AddPseudo(scene, rng, w, km2, placed);
        return scene;
    }

    private static (double U, double V) FromPQ(Scene s, double p, double q) => (p * s.FieldCos - q * s.FieldSin, p * s.FieldSin + q * s.FieldCos);

    private static (double P, double Q) ToPQ(Scene s, double u, double v) => (u * s.FieldCos + v * s.FieldSin, -u * s.FieldSin + v * s.FieldCos);

    private static void AddRiver(Scene scene, SplitMix64 rng, double w)
    {
        bool eastward = rng.Chance(0.5);
        double baseDir = (eastward ? 0 : Math.PI / 2) + rng.Range(-0.35, 0.35);
        double u = eastward ? -300 : rng.Range(0.25 * w, 0.75 * w);
        double v = eastward ? rng.Range(0.25 * w, 0.75 * w) : -300;
        double hw0 = rng.Range(12, 24), hw = hw0, dir = baseDir, t = 0;
        const double step = 40;
        for (int i = 0; i < 100_000 && u >= -320 && v >= -320 && u <= w + 320 && v <= w + 320; i++)
        {
            dir += rng.Range(-0.12, 0.12) + 0.15 * (baseDir - dir);
            double nu = u + step * Math.Cos(dir), nv = v + step * Math.Sin(dir);
            hw = Math.Clamp(hw + rng.Range(-0.6, 0.6), 0.7 * hw0, 1.3 * hw0);
            scene.River.Add(new Segment(u, v, nu, nv, hw, hw + 10, t));
            t += step;
            (u, v) = (nu, nv);
        }
    }

    private static List<Segment> Polyline(IReadOnlyList<(double U, double V)> points, double hw, double reach)
    {
        var segs = new List<Segment>();
        double t = 0;
        for (int i = 1; i < points.Count; i++)
        {
            var (au, av) = points[i - 1];
            var (bu, bv) = points[i];
            double len = Math.Sqrt((bu - au) * (bu - au) + (bv - av) * (bv - av));
            int n = Math.Max(1, (int)Math.Ceiling(len / 100));
            for (int k = 0; k < n; k++)
            {
                double t0 = (double)k / n, t1 = (double)(k + 1) / n;
                segs.Add(new Segment(au + (bu - au) * t0, av + (bv - av) * t0, au + (bu - au) * t1, av + (bv - av) * t1, hw, reach, t + len * t0));
            }
            t += len;
        }
        return segs;
    }

    private static void AddRoads(Scene scene, SplitMix64 rng, double w)
    {
        // p, q ranges of the image (plus a margin) in the field grid's frame.
        var corners = new[] { (-300.0, -300.0), (w + 300, -300.0), (-300.0, w + 300), (w + 300, w + 300) }.Select(c => ToPQ(scene, c.Item1, c.Item2)).ToArray();
        double pMin = corners.Min(c => c.P), pMax = corners.Max(c => c.P), qMin = corners.Min(c => c.Q), qMax = corners.Max(c => c.Q);
        var (ip, iq) = (ToPQ(scene, 0, 0), ToPQ(scene, w, w));
        int nAlongQ = Math.Max(1, (int)Math.Round(w / 2600)), nAlongP = (int)Math.Round(w / 3200);
        var usedI = new HashSet<long>();
        var usedJ = new HashSet<long>();
        for (int n = 0; n < nAlongQ + nAlongP; n++)
        {
            bool alongQ = n < nAlongQ;
            double hw = rng.Range(3.5, 6);
            bool trees = rng.Chance(0.6), asphalt = rng.Chance(0.7);
            List<(double, double)> pts;
            if (alongQ)
            {
                long i = (long)Math.Floor(rng.Range(Math.Min(ip.P, iq.P) + 0.1 * w, Math.Max(ip.P, iq.P) - 0.1 * w) / Scene.BlockP);
                if (!usedI.Add(i)) continue;
                double p = i * Scene.BlockP + Scene.FieldRoad / 2;
                pts = [FromPQ(scene, p, qMin), FromPQ(scene, p, qMax)];
            }
            else
            {
                long j = (long)Math.Floor(rng.Range(Math.Min(ip.Q, iq.Q) + 0.1 * w, Math.Max(ip.Q, iq.Q) - 0.1 * w) / Scene.BlockQ);
                if (!usedJ.Add(j)) continue;
                double q = j * Scene.BlockQ + Scene.FieldRoad / 2;
                pts = [FromPQ(scene, pMin, q), FromPQ(scene, pMax, q)];
            }
            scene.Roads.Add(new Road { Segments = Polyline(pts, hw, hw + 8), HalfWidth = hw, Trees = trees, Asphalt = asphalt });
        }
        int oblique = w >= 2000 ? 1 + (int)Math.Round(w / 8000) : 0;
        for (int n = 0; n < oblique; n++)
        {
            double hw = rng.Range(4, 6);
            bool trees = rng.Chance(0.5);
            (double, double) a = (-300, rng.Range(0.1, 0.9) * w), b = (w + 300, rng.Range(0.1, 0.9) * w);
            (double, double) mid = (rng.Range(0.3, 0.7) * w, (a.Item2 + b.Item2) / 2 + rng.Range(-0.15, 0.15) * w);
            if (rng.Chance(0.5)) { a = (a.Item2, a.Item1); b = (b.Item2, b.Item1); mid = (mid.Item2, mid.Item1); }
            scene.Roads.Add(new Road { Segments = Polyline([a, mid, b], hw, hw + 8), HalfWidth = hw, Trees = trees, Asphalt = true });
        }
    }

    private static double RiverDistance(Scene scene, double u, double v)
    {
        double best = double.MaxValue;
        foreach (var s in scene.River) best = Math.Min(best, Math.Abs(s.Project(u, v).Lateral) - s.HalfWidth);
        return best;
    }

    private static double Dist(double au, double av, double bu, double bv) => Math.Sqrt((au - bu) * (au - bu) + (av - bv) * (av - bv));

    private static void AddVillages(Scene scene, SplitMix64 rng, double w, double km2)
    {
        int count = Math.Max(1, (int)Math.Round(km2 * 0.5));
        var centers = new List<(double U, double V, double R)>();
        for (int n = 0; n < count; n++)
        {
            for (int attempt = 0; attempt < 40; attempt++)
            {
                double r = Math.Min(rng.Range(80, 200), 0.2 * w);
                double cu = rng.Range(-0.05, 1.05) * w, cv = rng.Range(-0.05, 1.05) * w;
                if (n == 0) { cu = rng.Range(0.2, 0.8) * w; cv = rng.Range(0.2, 0.8) * w; }
                if (RiverDistance(scene, cu, cv) < r * 1.3 + 30) continue;
                if (centers.Any(c => Dist(c.U, c.V, cu, cv) < c.R + r + 120)) continue;
                double angle = scene.FieldAngle + rng.Range(-0.08, 0.08);
                var outline = Poly.Blob(rng, cu, cv, r, rng.Range(0.75, 1.3), angle, 28, 0.15);
                scene.Villages.Add(new Village { Outline = outline, CU = cu, CV = cv, Angle = angle, Key = rng.Next() });
                centers.Add((cu, cv, r * 1.3));
                break;
            }
        }
    }

    private static void AddForests(Scene scene, SplitMix64 rng, double w, double km2)
    {
        int count = Math.Max(2, (int)Math.Round(km2 * 0.3));
        var placed = new List<(double U, double V, double R)>();
        for (int n = 0; n < count; n++)
        {
            for (int attempt = 0; attempt < 40; attempt++)
            {
                double r = Math.Min(rng.Range(70, 200), 0.16 * w);
                bool inner = n < 2;
                double cu = rng.Range(inner ? 0.15 : -0.05, inner ? 0.85 : 1.05) * w, cv = rng.Range(inner ? 0.15 : -0.05, inner ? 0.85 : 1.05) * w;
                if (scene.Villages.Any(v => Dist(v.CU, v.CV, cu, cv) < r * 1.3 + Math.Max(v.Outline.Bounds.MaxU - v.Outline.Bounds.MinU, v.Outline.Bounds.MaxV - v.Outline.Bounds.MinV) / 2 + 40)) continue;
                if (RiverDistance(scene, cu, cv) < 0.6 * r) continue;
                if (placed.Any(f => Dist(f.U, f.V, cu, cv) < f.R + r * 1.3)) continue;
                var outline = Poly.Blob(rng, cu, cv, r, rng.Range(0.6, 1.4), rng.Range(0, Math.PI), 32, 0.3);
                scene.Forests.Add(new Forest { Outline = outline, Key = rng.Next() });
                placed.Add((cu, cv, r * 1.3));
                break;
            }
        }
    }

    private static void AddPonds(Scene scene, SplitMix64 rng, double w, double km2)
    {
        int count = km2 < 0.5 ? 0 : Math.Max(1, (int)Math.Round(km2 * 0.12));
        var inside = scene.River.Where(s => s.AU > 0 && s.AU < w && s.AV > 0 && s.AV < w).ToList();
        if (inside.Count == 0) return;
        for (int n = 0; n < count; n++)
        {
            for (int attempt = 0; attempt < 30; attempt++)
            {
                var s = inside[rng.Int(0, inside.Count)];
                int na = rng.Int(2, 5), nb = rng.Int(2, 4);
                double ca = rng.Range(40, 60), cb = rng.Range(45, 70);
                double half = Math.Sqrt(na * ca * na * ca + nb * cb * nb * cb) / 2;
                double side = rng.Chance(0.5) ? 1 : -1, off = s.HalfWidth + 25 + half;
                double cu = s.AU - side * s.DirV * off, cv = s.AV + side * s.DirU * off;
                var outline = Poly.Rectangle(cu, cv, na * ca, nb * cb, scene.FieldAngle);
                if (!new Box(0, 0, w, w).Contains(outline.Bounds)) continue;
                if (Enumerable.Range(0, 4).Any(k => RiverDistance(scene, outline.U[k], outline.V[k]) < 10)) continue;
                var box = outline.Bounds.Expand(20);
                if (scene.Villages.Any(v => v.Outline.Bounds.Intersects(box)) || scene.Forests.Any(f => f.Outline.Bounds.Intersects(box))
                    || scene.Ponds.Any(p => p.Outline.Bounds.Intersects(box))) continue;
                scene.Ponds.Add(new PondCluster { Outline = outline, CU = cu, CV = cv, Angle = scene.FieldAngle, NA = na, NB = nb, CellA = ca, CellB = cb, Key = rng.Next() });
                break;
            }
        }
    }

    /// <summary>Counts of each cover at sample points of the shape (its vertices and a grid inside it) in the before image.</summary>
    private static Dictionary<Cover, int> CoverStats(Scene scene, Poly shape)
    {
        var items = scene.Cull(shape.Bounds.Expand(1));
        var stats = new Dictionary<Cover, int>();
        void Add(double u, double v)
        {
            scene.Surface(u, v, 0, items, out var cover);
            stats[cover] = stats.GetValueOrDefault(cover) + 1;
        }
        for (int i = 0; i < shape.Count; i++) Add(shape.U[i], shape.V[i]);
        var b = shape.Bounds;
        double step = Math.Max(3, Math.Sqrt((b.MaxU - b.MinU) * (b.MaxV - b.MinV) / 4000));
        for (double v = b.MinV + step / 2; v < b.MaxV; v += step)
            for (double u = b.MinU + step / 2; u < b.MaxU; u += step)
                if (shape.Contains(u, v)) Add(u, v);
        return stats;
    }

    private static bool OnFarmland(Dictionary<Cover, int> stats, double minGreen)
    {
        int total = stats.Values.Sum();
        int farm = stats.GetValueOrDefault(Cover.FieldGreen) + stats.GetValueOrDefault(Cover.FieldBare) + stats.GetValueOrDefault(Cover.FieldRoad);
        return total > 0 && farm == total && stats.GetValueOrDefault(Cover.FieldGreen) >= minGreen * total;
    }

    private static bool Free(Box box, List<Box> placed, double w) =>
        new Box(8, 8, w - 8, w - 8).Contains(box) && placed.All(p => !p.Intersects(box));

    private static void AddChanges(Scene scene, SplitMix64 rng, double w, double km2, List<Box> placed)
    {
        int total = Math.Max(ChangeKinds.Length, (int)Math.Round(km2 * 1.8));
        int id = 0;
        foreach (var (kind, share) in ChangeKinds)
        {
            int count = Math.Max(1, (int)Math.Round(total * share));
            for (int n = 0; n < count; n++)
            {
                for (int attempt = 0; attempt < 80; attempt++)
                {
                    var c = Candidate(scene, rng, kind, w, id + 1);
                    if (c is null || !Free(c.Shape.Bounds.Expand(15), placed, w)) continue;
                    var stats = CoverStats(scene, c.Shape);
                    bool ok = kind == "vegetation"
                        ? stats.Count == 1 && stats.ContainsKey(Cover.Forest) && scene.Forests.Any(f => f.Outline.Contains(c.Shape.Bounds.CenterU, c.Shape.Bounds.CenterV))
                        : OnFarmland(stats, kind == "road" ? 0.6 : 0.75);
                    if (!ok) continue;
                    scene.Changes.Add(c);
                    placed.Add(c.Shape.Bounds.Expand(15));
                    id++;
                    break;
                }
            }
        }
    }

    private static Injected? Candidate(Scene scene, SplitMix64 rng, string kind, double w, int number)
    {
        double a = scene.FieldAngle;
        double cu = rng.Range(0, w), cv = rng.Range(0, w);
        string id = $"C{number:D3}";
        switch (kind)
        {
            case "construction":
            {
                double l = rng.Range(18, 60), b = rng.Range(18, Math.Min(60, l * 1.2));
                double m = rng.NextDouble();
                var mat = m < 0.45 ? Material.RoofBlue : m < 0.75 ? Material.RoofWhite : Material.RoofGrey;
                string detail = mat switch { Material.RoofBlue => "new building, blue steel roof", Material.RoofWhite => "new building, white roof", _ => "new building, concrete roof" };
                return new Injected { Id = id, Kind = kind, Detail = detail, Shape = Poly.Rectangle(cu, cv, l, b, a + rng.Range(-0.05, 0.05)), Material = mat, Angle = a };
            }
            case "earthwork":
            {
                double r = rng.Range(16, 50);
                return new Injected { Id = id, Kind = kind, Detail = "bare soil, earthworks", Shape = Poly.Blob(rng, cu, cv, r, rng.Range(0.6, 1.4), rng.Range(0, Math.PI), 12, 0.25), Material = Material.Earthwork, Angle = rng.Range(0, Math.PI) };
            }
            case "pond":
            {
                double l = rng.Range(40, 120), b = rng.Range(30, Math.Min(90, l));
                return new Injected { Id = id, Kind = kind, Detail = "dug pond", Shape = Poly.Rectangle(cu, cv, l, b, a), Material = Material.Pond, Angle = a };
            }
            case "road":
            {
                double l = rng.Range(200, Math.Max(220, Math.Min(800, 0.7 * w))), b = rng.Range(8, 12);
                double ra = rng.Chance(0.5) ? a : a + Math.PI / 2;
                bool concrete = rng.Chance(0.6);
                return new Injected { Id = id, Kind = kind, Detail = concrete ? "new road, concrete" : "new road, asphalt", Shape = Poly.Rectangle(cu, cv, l, b, ra), Material = concrete ? Material.RoadConcrete : Material.RoadAsphalt, Angle = ra };
            }
            case "solar":
            {
                double l = rng.Range(100, Math.Max(110, Math.Min(300, 0.6 * w))), b = rng.Range(80, Math.Max(90, Math.Min(200, 0.5 * w)));
                return new Injected { Id = id, Kind = kind, Detail = "solar farm", Shape = Poly.Rectangle(cu, cv, l, b, a), Material = Material.Solar, Angle = a };
            }
            case "vegetation":
            {
                if (scene.Forests.Count == 0) return null;
                var f = scene.Forests[rng.Int(0, scene.Forests.Count)].Outline;
                cu = rng.Range(f.Bounds.MinU, f.Bounds.MaxU);
                cv = rng.Range(f.Bounds.MinV, f.Bounds.MaxV);
                double r = rng.Range(18, 55);
                return new Injected { Id = id, Kind = kind, Detail = "forest cleared", Shape = Poly.Blob(rng, cu, cv, r, rng.Range(0.6, 1.4), rng.Range(0, Math.PI), 12, 0.2), Material = Material.Clearing, Angle = a };
            }
            default:
                throw new ArgumentException($"Unknown change kind {kind}.", nameof(kind));
        }
    }

    private static void AddPseudo(Scene scene, SplitMix64 rng, double w, double km2, List<Box> placed)
    {
        int id = 0;
        int clouds = Math.Max(1, (int)Math.Round(km2 * 0.06));
        for (int n = 0; n < clouds; n++)
        {
            for (int attempt = 0; attempt < 80; attempt++)
            {
                double r = Math.Min(rng.Range(60, 140), 0.09 * w);
                var cloud = Poly.Blob(rng, rng.Range(0, w), rng.Range(0, w), r, rng.Range(0.7, 1.4), rng.Range(0, Math.PI), 36, 0.22);
                // The shadow falls to the north-west (morning sun in the south-east), clear of its cloud:
                // a cloud 1–2 km up casts its shadow hundreds of metres away.
                double size = Math.Max(cloud.Bounds.MaxU - cloud.Bounds.MinU, cloud.Bounds.MaxV - cloud.Bounds.MinV);
                double len = size * 1.45 + rng.Range(10, 80), dir = Math.Atan2(-0.85, -0.5) + rng.Range(-0.25, 0.25);
                var shadow = cloud.Translate(Poly.Round(len * Math.Cos(dir)), Poly.Round(len * Math.Sin(dir)));
                if (cloud.Bounds.Expand(5).Intersects(shadow.Bounds)) continue;
                var box = cloud.Bounds.Union(shadow.Bounds).Expand(15);
                if (!Free(box, placed, w)) continue;
                int image = n % 2 == 0 ? 1 : 0;
                string when = image == 1 ? "after" : "before";
                scene.Pseudo.Add(new Injected { Id = $"P{++id:D3}", Kind = "pseudo", Detail = $"cloud ({when} image)", Shape = cloud, Material = Material.Cloud, Image = image });
                scene.Pseudo.Add(new Injected { Id = $"P{++id:D3}", Kind = "pseudo", Detail = $"cloud shadow ({when} image)", Shape = shadow, Material = Material.CloudShadow, Image = image });
                placed.Add(box);
                break;
            }
        }
        int ploughed = Math.Max(1, (int)Math.Round(km2 * 0.2)), flooded = Math.Max(1, (int)Math.Round(km2 * 0.12));
        for (int n = 0; n < ploughed + flooded; n++)
        {
            bool plough = n < ploughed;
            for (int attempt = 0; attempt < 80; attempt++)
            {
                var strip = FieldStrip(scene, rng, w);
                if (strip is not var (shape, angle) || shape.Area < 400) continue;
                if (!Free(shape.Bounds.Expand(15), placed, w)) continue;
                var stats = CoverStats(scene, shape);
                if (!OnFarmland(stats, 1.0)) continue;
                scene.Pseudo.Add(new Injected
                {
                    Id = $"P{++id:D3}", Kind = "pseudo", Detail = plough ? "field ploughed (no land-use change)" : "field flooded (irrigation, no land-use change)",
                    Shape = shape, Material = plough ? Material.Ploughed : Material.Flooded, Angle = angle,
                });
                placed.Add(shape.Bounds.Expand(15));
                break;
            }
        }
    }

    /// <summary>A part of one field strip (one crop) around a random point, and the direction of its furrows.</summary>
    private static (Poly Shape, double Angle)? FieldStrip(Scene scene, SplitMix64 rng, double w)
    {
        var f = scene.FieldAt(rng.Range(0, w), rng.Range(0, w));
        if (f.Crop != 0) return null;
        const double inset = 0.6;
        double blockP0 = f.I * Scene.BlockP, blockQ0 = f.J * Scene.BlockQ;
        double acrossBlock = f.AlongQ ? Scene.BlockP : Scene.BlockQ, alongBlock = f.AlongQ ? Scene.BlockQ : Scene.BlockP;
        double a0 = Scene.FieldRoad + f.K * f.Width + inset, a1 = Math.Min(Scene.FieldRoad + (f.K + 1) * f.Width, acrossBlock) - inset;
        double fullAlong = alongBlock - Scene.FieldRoad - 2 * inset;
        double len = fullAlong * rng.Range(0.35, 1.0);
        double b0 = Scene.FieldRoad + inset + rng.Range(0, fullAlong - len), b1 = b0 + len;
        if (a1 - a0 < 10) return null;
        (double P, double Q)[] pq = f.AlongQ
            ? [(blockP0 + a0, blockQ0 + b0), (blockP0 + a1, blockQ0 + b0), (blockP0 + a1, blockQ0 + b1), (blockP0 + a0, blockQ0 + b1)]
            : [(blockP0 + b0, blockQ0 + a0), (blockP0 + b1, blockQ0 + a0), (blockP0 + b1, blockQ0 + a1), (blockP0 + b0, blockQ0 + a1)];
        var uv = pq.Select(c => FromPQ(scene, c.P, c.Q)).ToArray();
        var shape = new Poly(uv.Select(c => Poly.Round(c.U)).ToArray(), uv.Select(c => Poly.Round(c.V)).ToArray());
        return (shape, f.AlongQ ? scene.FieldAngle - Math.PI / 2 : scene.FieldAngle);
    }
}
