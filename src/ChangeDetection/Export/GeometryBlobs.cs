using System.Buffers.Binary;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace ChangeDetection.Export;

/// <summary>
/// Little-endian XY WKB and GeoPackage geometry blobs (GeoPackage 1.3 §2.1.3: <c>GP</c>, version 0, flags, srs_id,
/// the [minx, maxx, miny, maxy] envelope, then WKB) of polygons and multipolygons, the same bytes as NTS's
/// <see cref="WKBWriter"/> and <see cref="GeoPackageGeoWriter"/> with <c>HandleOrdinates = XY</c>. Why not those:
/// NTS's writer asks a polygon for its <c>InteriorRings</c> array once per hole, and that property copies the array,
/// so a patch with thousands of holes (a scene of seasonal change has them) costs holes² copies: seconds for one large patch.
/// Other geometry types, and empty ones, go to NTS's writers.
/// </summary>
public static class GeometryBlobs
{
    private const byte LittleEndian = 1;
    private const uint WkbPolygon = 3, WkbMultiPolygon = 6;

    /// <summary>The GeoPackage blob of <paramref name="geometry"/> with <paramref name="srsId"/> (the geometry's own SRID is not used).</summary>
    public static byte[] GeoPackage(Geometry geometry, int srsId)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (!Handled(geometry))
        {
            var copy = geometry.Copy();
            copy.SRID = srsId;
            return new GeoPackageGeoWriter { HandleOrdinates = Ordinates.XY }.Write(copy);
        }
        const int header = 8 + 4 * 8;
        var bytes = new byte[header + WkbSize(geometry)];
        var span = bytes.AsSpan();
        span[0] = (byte)'G';
        span[1] = (byte)'P';
        span[2] = 0; // version 1
        span[3] = LittleEndian | 1 << 1; // byte order, envelope [minx, maxx, miny, maxy], not empty
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], srsId);
        var e = geometry.EnvelopeInternal;
        BinaryPrimitives.WriteDoubleLittleEndian(span[8..], e.MinX);
        BinaryPrimitives.WriteDoubleLittleEndian(span[16..], e.MaxX);
        BinaryPrimitives.WriteDoubleLittleEndian(span[24..], e.MinY);
        BinaryPrimitives.WriteDoubleLittleEndian(span[32..], e.MaxY);
        WriteWkb(geometry, span[header..]);
        return bytes;
    }

    /// <summary>Little-endian XY WKB of <paramref name="geometry"/>, without SRID.</summary>
    public static byte[] Wkb(Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (!Handled(geometry)) return new WKBWriter(ByteOrder.LittleEndian, handleSRID: false, emitZ: false, emitM: false).Write(geometry);
        var bytes = new byte[WkbSize(geometry)];
        WriteWkb(geometry, bytes);
        return bytes;
    }

    private static bool Handled(Geometry g) => !g.IsEmpty && g switch
    {
        Polygon => true,
        MultiPolygon mp => mp.Geometries.All(p => !p.IsEmpty),
        _ => false,
    };

    private static long WkbSize(Geometry g)
    {
        if (g is MultiPolygon mp)
        {
            long size = 1 + 4 + 4;
            foreach (var p in mp.Geometries) size += WkbSize(p);
            return size;
        }
        var polygon = (Polygon)g;
        long bytes = 1 + 4 + 4 + 4 + 16L * polygon.ExteriorRing.NumPoints;
        for (int i = 0; i < polygon.NumInteriorRings; i++) bytes += 4 + 16L * polygon.GetInteriorRingN(i).NumPoints;
        return bytes;
    }

    /// <summary>Writes the WKB of <paramref name="g"/> at the start of <paramref name="span"/> and returns the bytes written.</summary>
    private static int WriteWkb(Geometry g, Span<byte> span)
    {
        span[0] = LittleEndian;
        if (g is MultiPolygon mp)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[1..], WkbMultiPolygon);
            BinaryPrimitives.WriteInt32LittleEndian(span[5..], mp.NumGeometries);
            int at = 9;
            for (int i = 0; i < mp.NumGeometries; i++) at += WriteWkb(mp.GetGeometryN(i), span[at..]);
            return at;
        }
        var polygon = (Polygon)g;
        BinaryPrimitives.WriteUInt32LittleEndian(span[1..], WkbPolygon);
        BinaryPrimitives.WriteInt32LittleEndian(span[5..], 1 + polygon.NumInteriorRings);
        int offset = 9 + WriteRing(polygon.ExteriorRing.CoordinateSequence, span[9..]);
        for (int i = 0; i < polygon.NumInteriorRings; i++)
            offset += WriteRing(polygon.GetInteriorRingN(i).CoordinateSequence, span[offset..]);
        return offset;
    }

    private static int WriteRing(CoordinateSequence ring, Span<byte> span)
    {
        int n = ring.Count;
        BinaryPrimitives.WriteInt32LittleEndian(span, n);
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(span[(4 + 16 * i)..], ring.GetX(i));
            BinaryPrimitives.WriteDoubleLittleEndian(span[(12 + 16 * i)..], ring.GetY(i));
        }
        return 4 + 16 * n;
    }
}
