using ChangeDetection.Geo;
using NetTopologySuite.Geometries;
using ProjNet.CoordinateSystems.Transformations;

namespace ChangeDetection.Overlay;

/// <summary>
/// Moves geometries between two CRSs that <see cref="CrsRegistry"/> knows, with ProjNET. CGCS2000
/// and WGS 84 longitude/latitude are treated as the same (they agree to well under a metre, far
/// below the accuracy of any red-line layer), so e.g. a WGS 84 GeoJSON lands on a CGCS2000 Gauss–Krüger image.
/// </summary>
internal sealed class GeometryReprojector
{
    private readonly MathTransform[] _steps;

    private GeometryReprojector(MathTransform[] steps) => _steps = steps;

    public static GeometryReprojector Create(Crs from, Crs to, string sourcePath)
    {
        int source = from.Epsg is int s && CrsRegistry.IsKnown(s)
            ? s : throw new ChangeDetectionException($"{sourcePath}: its CRS {from} is not one the pipeline can transform (known: EPSG:4490, 4326, 4491–4554, UTM 326xx/327xx).");
        int target = to.Epsg is int t && CrsRegistry.IsKnown(t)
            ? t : throw new ChangeDetectionException($"{sourcePath}: cannot transform to the image CRS {to}, which the pipeline does not know.");
        var factory = new CoordinateTransformationFactory();
        var steps = new List<MathTransform>();
        int sourceBase = CrsRegistry.GeographicBase(source)!.Value, targetBase = CrsRegistry.GeographicBase(target)!.Value;
        if (sourceBase == targetBase)
        {
            steps.Add(Step(factory, source, target));
        }
        else
        {
            // Through longitude/latitude: source → its datum's lon/lat ≡ target datum's lon/lat → target.
            if (source != sourceBase) steps.Add(Step(factory, source, sourceBase));
            if (target != targetBase) steps.Add(Step(factory, targetBase, target));
        }
        return new GeometryReprojector(steps.ToArray());
    }

    private static MathTransform Step(CoordinateTransformationFactory factory, int from, int to) =>
        factory.CreateFromCoordinateSystems(CrsRegistry.CoordinateSystem(from)!, CrsRegistry.CoordinateSystem(to)!).MathTransform;

    /// <summary>A transformed copy of <paramref name="geometry"/> (the input is not changed).</summary>
    public Geometry Transform(Geometry geometry)
    {
        var copy = geometry.Copy();
        if (_steps.Length == 0) return copy;
        copy.Apply(new TransformFilter(_steps));
        copy.GeometryChanged();
        return copy;
    }

    private sealed class TransformFilter(MathTransform[] steps) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            double x = seq.GetX(i), y = seq.GetY(i);
            foreach (var step in steps) (x, y) = step.Transform(x, y);
            seq.SetX(i, x);
            seq.SetY(i, y);
        }
    }
}
