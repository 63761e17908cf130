using System.Globalization;
using System.Text.RegularExpressions;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tasks;

/// <summary>
/// Assigns monitoring IDs (监测编号, JCBH): <c>XZQDM + quarter + 4-digit sequence</c>, e.g.
/// <c>4101022026Q30001</c>. Numbers follow position, not input order, so that re-running a region
/// (other tiles, other worker count, patches found in another order) gives every patch the same ID:
/// within each XZQDM, patches are numbered from north to south, then west to east, by their
/// envelope's top edge, then left edge, then further geometric keys that only break exact ties.
/// </summary>
internal static partial class TaskNumbering
{
    /// <summary>The largest sequence number that fits the 4-digit field.</summary>
    public const int MaxSequence = 9999;

    /// <summary>Checks a quarter label of the form <c>2026Q3</c>.</summary>
    public static bool IsQuarter(string quarter) => quarter is not null && QuarterPattern().IsMatch(quarter);

    /// <summary>
    /// The tasks with <see cref="VerificationTask.JCBH"/> assigned for <paramref name="quarter"/>
    /// (e.g. <c>2026Q3</c>), sorted by JCBH. Pure: the input is not changed and its order does not matter.
    /// </summary>
    /// <exception cref="ArgumentException">Bad quarter label or XZQDM (not 6 digits).</exception>
    /// <exception cref="ChangeDetectionException">More than <see cref="MaxSequence"/> tasks in one XZQDM.</exception>
    public static IReadOnlyList<VerificationTask> Assign(IEnumerable<VerificationTask> tasks, string quarter)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var list = tasks.ToList();
        var ids = Assign(list, t => t.XZQDM, t => t.Geometry, quarter);
        return list.Select((t, i) => t with { JCBH = ids[i] })
            .OrderBy(t => t.JCBH, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The JCBH of each item, in input order, from its XZQDM and its geometry (any CRS whose y
    /// grows northwards, or pixel space with y flipped by the caller; what matters is that re-runs
    /// use the same one).
    /// </summary>
    public static IReadOnlyList<string> Assign<T>(IReadOnlyList<T> items, Func<T, string> xzqdm, Func<T, Geometry> geometry, string quarter)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(xzqdm);
        ArgumentNullException.ThrowIfNull(geometry);
        if (!IsQuarter(quarter))
            throw new ArgumentException($"Quarter '{quarter}' is not of the form YYYYQn (e.g. 2026Q3).", nameof(quarter));
        var ids = new string[items.Count];
        var keyed = items.Select((item, index) => (Index: index, Code: xzqdm(item), Key: PositionKey.Of(geometry(item)))).ToList();
        foreach (var group in keyed.GroupBy(k => k.Code, StringComparer.Ordinal))
        {
            if (!AdminCodePattern().IsMatch(group.Key))
                throw new ArgumentException($"XZQDM '{group.Key}' is not a 6-digit administrative division code.", nameof(xzqdm));
            var ordered = group.OrderBy(k => k.Key).ToList();
            if (ordered.Count > MaxSequence)
                throw new ChangeDetectionException($"{group.Key} has {ordered.Count} tasks in {quarter}; the monitoring ID holds at most {MaxSequence} per division. Raise the minimum mapping unit or split the division.");
            for (int i = 0; i < ordered.Count; i++)
                ids[ordered[i].Index] = string.Create(CultureInfo.InvariantCulture, $"{group.Key}{quarter}{i + 1:D4}");
        }
        return ids;
    }

    [GeneratedRegex(@"^\d{4}Q[1-4]$")]
    private static partial Regex QuarterPattern();

    [GeneratedRegex(@"^\d{6}$")]
    private static partial Regex AdminCodePattern();

    /// <summary>
    /// Sort key of a geometry's position: top edge descending (north first), left edge ascending,
    /// then bottom, right, area and finally the WKT text, so that two distinct patches never tie.
    /// </summary>
    /// <remarks>The WKT is written only for two keys equal in everything else (rare): not for every patch.</remarks>
    private readonly record struct PositionKey(double Top, double Left, double Bottom, double Right, double Area, Geometry Geometry) : IComparable<PositionKey>
    {
        public static PositionKey Of(Geometry g)
        {
            ArgumentNullException.ThrowIfNull(g);
            var e = g.EnvelopeInternal;
            return new PositionKey(e.MaxY, e.MinX, e.MinY, e.MaxX, g.Area, g);
        }

        public int CompareTo(PositionKey other)
        {
            int c = other.Top.CompareTo(Top);
            if (c == 0) c = Left.CompareTo(other.Left);
            if (c == 0) c = other.Bottom.CompareTo(Bottom);
            if (c == 0) c = Right.CompareTo(other.Right);
            if (c == 0) c = Area.CompareTo(other.Area);
            if (c == 0 && !ReferenceEquals(Geometry, other.Geometry)) c = string.CompareOrdinal(Geometry.ToText(), other.Geometry.ToText());
            return c;
        }
    }
}
