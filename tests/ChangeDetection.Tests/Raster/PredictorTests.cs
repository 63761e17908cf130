using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

/// <summary>The vector horizontal predictor must equal the scalar reference on every supported layout.</summary>
[TestFixture]
public class PredictorTests
{
    /// <summary>Every (sample size, samples per pixel) whose pixel divides 16 bytes, at odd and even widths.</summary>
    public static IEnumerable<TestCaseData> VectorLayouts() =>
        from sampleSize in new[] { 1, 2, 4, 8 }
        from stride in new[] { 1, 2, 4, 8, 16 }
        where 16 % (sampleSize * stride) == 0
        from pixels in new[] { 2, 7, 16, 33, 257, 1001 }
        select new TestCaseData(sampleSize, stride, pixels);

    [TestCaseSource(nameof(VectorLayouts))]
    public void VectorPathMatchesScalarReference(int sampleSize, int stride, int pixels)
    {
        if (!Predictors.VectorSupported) Assert.Ignore("No 128-bit SIMD on this CPU: only the scalar path exists.");
        int group = sampleSize * stride;
        var rng = new Random(sampleSize * 1000 + stride * 100 + pixels);
        var row = new byte[pixels * group];
        rng.NextBytes(row);
        var scalar = (byte[])row.Clone();
        var vector = (byte[])row.Clone();
        Predictors.UndoHorizontalScalar(scalar, sampleSize, stride);
        Predictors.UndoHorizontalVector128(vector, sampleSize, stride);
        Assert.That(vector, Is.EqualTo(scalar));
    }

    [Test]
    public void DispatchFallsBackToScalarForOddPixelGroups()
    {
        var row = new byte[3 * 2 * 50];
        new Random(5).NextBytes(row);
        var expected = (byte[])row.Clone();
        Predictors.UndoHorizontalScalar(expected, 2, 3);
        Predictors.UndoHorizontal(row, 2, 3);
        Assert.That(row, Is.EqualTo(expected));
    }

    [Test]
    public void ScalarUndoesKnownDifferences()
    {
        // 16-bit, two samples per pixel: stored deltas (10,20),(1,2),(65535,1) → (10,20),(11,22),(10,23) with wrap-around.
        ushort[] deltas = [10, 20, 1, 2, 65535, 1];
        var bytes = new byte[12];
        Buffer.BlockCopy(deltas, 0, bytes, 0, 12);
        Predictors.UndoHorizontalScalar(bytes, 2, 2);
        var result = new ushort[6];
        Buffer.BlockCopy(bytes, 0, result, 0, 12);
        Assert.That(result, Is.EqualTo(new ushort[] { 10, 20, 11, 22, 10, 23 }));
    }
}
