using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Evaluation;

/// <summary>
/// Scores a change mask (uint8: 1 change, 0 no change, 255 no data) against a reference raster
/// (uint8: 1 changed, 0 unchanged, 255 unlabelled). The mask may cover only part of the truth
/// grid (a pair's grid is cut to the overlap of both dates): labelled pixels it does not cover
/// count as predicted unchanged, so a smaller overlap cannot flatter the score.
/// </summary>
public static class MaskEvaluation
{
    public const byte Unlabelled = 255;

    public static ChangeScore Score(string maskPath, string truthPath)
    {
        using var mask = GeoTiffReader.Open(maskPath);
        using var truth = GeoTiffReader.Open(truthPath);
        foreach (var r in new[] { mask, truth })
            if (r.Info.DataType != RasterDataType.UInt8 || r.Info.BandCount != 1)
                throw new ChangeDetectionException($"{r.Path}: expected one uint8 band of 0/1/255 labels, found {r.Info.BandCount} band(s) of {r.Info.DataType.Name()}.");
        var (mi, ti) = (mask.Info, truth.Info);
        if (!mi.Crs.IsSameAs(ti.Crs))
            throw new ChangeDetectionException($"{maskPath} ({mi.Crs}) and {truthPath} ({ti.Crs}) are in different CRSs.");
        if (Math.Abs(mi.Transform.PixelWidth - ti.Transform.PixelWidth) > 1e-9 * Math.Abs(ti.Transform.PixelWidth)
            || Math.Abs(mi.Transform.PixelHeight - ti.Transform.PixelHeight) > 1e-9 * Math.Abs(ti.Transform.PixelHeight))
            throw new ChangeDetectionException($"{maskPath} and {truthPath} have different pixel sizes; the mask must be on the truth's grid.");
        var (u, v) = ti.Transform.MapToPixel(mi.Transform.OriginX, mi.Transform.OriginY);
        int dx = (int)Math.Round(u), dy = (int)Math.Round(v);
        if (Math.Abs(u - dx) > 1e-6 || Math.Abs(v - dy) > 1e-6)
            throw new ChangeDetectionException($"{maskPath} is not aligned to whole pixels of {truthPath}.");

        var covered = new PixelWindow(dx, dy, mi.Width, mi.Height).Intersect(ti.Bounds);
        long tp = 0, fp = 0, fn = 0, tn = 0;
        int rowsPerStep = Math.Max(1, ti.BlockHeight);
        var t = new byte[(long)ti.Width * rowsPerStep];
        var m = new byte[(long)ti.Width * rowsPerStep];
        for (int y = 0; y < ti.Height; y += rowsPerStep)
        {
            int rows = Math.Min(rowsPerStep, ti.Height - y);
            var strip = new PixelWindow(0, y, ti.Width, rows);
            truth.Read(strip, [0], t.AsSpan(0, ti.Width * rows));
            m.AsSpan(0, ti.Width * rows).Clear();
            var part = strip.Intersect(covered);
            if (!part.IsEmpty)
            {
                var buf = new byte[part.PixelCount];
                mask.Read(part.Offset(-dx, -dy), [0], buf.AsSpan());
                for (int r = 0; r < part.Height; r++)
                    buf.AsSpan(r * part.Width, part.Width).CopyTo(m.AsSpan((part.Y - y + r) * ti.Width + part.X));
            }
            for (int i = 0; i < ti.Width * rows; i++)
            {
                byte label = t[i];
                if (label == Unlabelled) continue;
                bool predicted = Kernels.Morphology.IsChange(m[i]);
                if (label != 0) { if (predicted) tp++; else fn++; }
                else if (predicted) fp++;
                else tn++;
            }
        }
        return new ChangeScore(tp, fp, fn, tn);
    }
}
