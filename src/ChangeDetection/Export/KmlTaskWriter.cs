using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using ChangeDetection.Geo;
using ChangeDetection.IO;
using ChangeDetection.Tasks;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Export;

/// <summary>
/// Writes verification tasks as KML 2.2 for field apps (2bulu, Ovital, Google Earth): one placemark
/// per task named by its JCBH, the outline in longitude/latitude, every <see cref="TaskFields"/>
/// column in ExtendedData (with the Chinese caption as displayName) and a style per priority.
/// Written atomically.
/// </summary>
internal static class KmlTaskWriter
{
    public static readonly XNamespace Ns = "http://www.opengis.net/kml/2.2";

    /// <summary>Outline colours (KML aabbggrr) by priority: red, orange, yellow.</summary>
    private static readonly (string Priority, string Colour)[] Styles =
        [(TaskPriority.High, "ff0000ff"), (TaskPriority.Medium, "ff0080ff"), (TaskPriority.Low, "ff00ffff")];

    public static void Write(string path, IReadOnlyList<VerificationTask> tasks, Crs crs, string documentName = "核查任务")
    {
        ArgumentNullException.ThrowIfNull(crs);
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        var lonLat = new LonLatGeometry(crs, path, "KML");
        var document = new XElement(Ns + "Document", new XElement(Ns + "name", documentName));
        foreach (var (priority, colour) in Styles)
            document.Add(new XElement(Ns + "Style", new XAttribute("id", priority),
                new XElement(Ns + "LineStyle", new XElement(Ns + "color", colour), new XElement(Ns + "width", 2)),
                new XElement(Ns + "PolyStyle", new XElement(Ns + "fill", 0))));
        foreach (var t in ordered)
        {
            var data = new XElement(Ns + "ExtendedData",
                fields.Select(f => new XElement(Ns + "Data", new XAttribute("name", f.Name),
                    new XElement(Ns + "displayName", f.Caption), new XElement(Ns + "value", f.ExportText(t)))));
            document.Add(new XElement(Ns + "Placemark",
                new XElement(Ns + "name", t.JCBH),
                new XElement(Ns + "description", string.Create(CultureInfo.InvariantCulture,
                    $"{t.XZQMC} {t.BHLXMC} {Math.Round(t.TBMJ, 2):F2} m² ({Math.Round(t.TBMJMU, 2):F2} 亩) 优先级 {TaskPriority.ChineseName(t.YXJ)}")),
                new XElement(Ns + "styleUrl", "#" + t.YXJ),
                data,
                Shape(lonLat.ToLonLat(t.Geometry))));
        }
        var kml = new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement(Ns + "kml", document));
        AtomicFile.Write(path, tmp =>
        {
            using var writer = XmlWriter.Create(tmp, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true });
            kml.Save(writer);
        });
    }

    private static XElement Shape(Geometry g) => g switch
    {
        Polygon p => Polygon(p),
        _ => new XElement(Ns + "MultiGeometry", Enumerable.Range(0, g.NumGeometries).Select(i => Shape(g.GetGeometryN(i)))),
    };

    private static XElement Polygon(Polygon p) => new(Ns + "Polygon",
        new XElement(Ns + "outerBoundaryIs", Ring(p.ExteriorRing)),
        p.InteriorRings.Select(h => new XElement(Ns + "innerBoundaryIs", Ring(h))));

    private static XElement Ring(LineString ring) => new(Ns + "LinearRing", new XElement(Ns + "coordinates",
        string.Join(" ", ring.Coordinates.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.X:0.#########},{c.Y:0.#########}")))));
}
