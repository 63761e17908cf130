using System.Runtime.Intrinsics;
using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

/// <summary>
/// The vector paths against the scalar reference, plus hand-computed scores.
/// Tolerance: none. The vector paths do the same IEEE float operations in the same order as the
/// scalar one, so results are compared bit for bit (NaN sentinel included).
/// </summary>
[TestFixture]
public class ChangeKernelTests
{
    public delegate void KernelPathMethod(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores);

    private static readonly int[] Widths = [1, 7, 15, 16, 17, 31, 33, 64, 1001];

    public static IEnumerable<TestCaseData> VectorPaths()
    {
        yield return new TestCaseData((KernelPathMethod)ChangeKernel.ComputeVector128, Vector128.IsHardwareAccelerated).SetArgDisplayNames("Vector128");
        yield return new TestCaseData((KernelPathMethod)ChangeKernel.ComputeVector256, Vector256.IsHardwareAccelerated).SetArgDisplayNames("Vector256");
        yield return new TestCaseData((KernelPathMethod)ChangeKernel.ComputeVector512, Vector512.IsHardwareAccelerated).SetArgDisplayNames("Vector512");
        yield return new TestCaseData((KernelPathMethod)ChangeKernel.Compute, true).SetArgDisplayNames("Dispatched");
    }

    // A path that is not accelerated here still runs (the runtime emulates it), so the comparison
    // is meaningful everywhere; `accelerated` only goes into the failure message.
    [TestCaseSource(nameof(VectorPaths))]
    public void VectorPathEqualsScalarOnRandomRows(KernelPathMethod path, bool accelerated)
    {
        var random = new Random(20260301);
        for (int bands = ChangeKernelOptions.MinBands; bands <= ChangeKernelOptions.MaxBands; bands++)
        foreach (int width in Widths)
        foreach (var indices in Enum.GetValues<KernelTestData.Indices>())
        foreach (ushort? noData in new ushort?[] { null, KernelTestData.NoData })
        foreach (bool projected in new[] { false, true })
        {
            int stride = width + random.Next(3);
            // Before and after nodata differ half the time (e.g. 0 in one date, 65535 in the other).
            ushort? afterNoData = noData is null || random.Next(2) == 0 ? noData : ushort.MaxValue;
            var options = KernelTestData.Options(random, bands, indices, noData, afterNoData);
            // With a projection (IR-MAD's variates) the change vector is the variates' length.
            if (projected) options = KernelTestData.WithProjection(random, options);
            var before = KernelTestData.Row(random, bands, width, stride, noData);
            var after = KernelTestData.Row(random, bands, width, stride, noData);
            var expected = new float[width];
            var actual = new float[width];
            ChangeKernel.ComputeScalar(before, after, width, stride, options, expected);
            path(before, after, width, stride, options, actual);
            Assert.That(KernelTestData.Bits(actual), Is.EqualTo(KernelTestData.Bits(expected)),
                $"bands={bands} width={width} stride={stride} indices={indices} roles={options.Roles} nodata={noData}/{afterNoData} variates={options.Projection?.Count} accelerated={accelerated}");
        }
    }

    /// <summary>A Sentinel-2 stack (13 bands): the change vector of two bands differing by 3 and 4 DN is 5, on every path.</summary>
    [Test]
    public void ThirteenBandsScoreTheirChangeVector()
    {
        const int bands = 13, width = 37;
        var before = new ushort[bands * width];
        var after = new ushort[bands * width];
        Array.Fill(before, (ushort)1000);
        Array.Fill(after, (ushort)1000);
        for (int x = 0; x < width; x++)
        {
            after[7 * width + x] = 1003;
            after[12 * width + x] = (ushort)(x % 2 == 0 ? 1004 : 996);
        }
        var options = ChangeKernelOptions.Identity(bands);
        var scalar = new float[width];
        var fast = new float[width];
        ChangeKernel.ComputeScalar(before, after, width, width, options, scalar);
        ChangeKernel.Compute(before, after, width, width, options, fast);
        Assert.That(scalar, Is.All.EqualTo(5f));
        Assert.That(KernelTestData.Bits(fast), Is.EqualTo(KernelTestData.Bits(scalar)));
    }

    /// <summary>With a projection the change vector is that of the variates: v = 1 + 0.5·(b₀ + b₁) − a₂ by hand.</summary>
    [Test]
    public void ProjectionScoresTheLengthOfItsVariates()
    {
        const int width = 19;
        var projection = new ChangeProjection(3, [0.5f, 0.5f, 0, 0, 0, 0], [0, 0, 1, 0, 0.25f, 0], [1f, -2f]);
        var options = new ChangeKernelOptions(Enumerable.Repeat(BandNormalization.Identity, 3).ToArray(), projection: projection);
        var before = new ushort[3 * width];
        var after = new ushort[3 * width];
        var expected = new float[width];
        for (int x = 0; x < width; x++)
        {
            before[x] = (ushort)(10 + x);
            before[width + x] = 4;
            after[2 * width + x] = (ushort)(3 * x);
            after[width + x] = 8;
            float v0 = 1 + 0.5f * (10 + x) + 0.5f * 4 - 3 * x, v1 = -2 - 0.25f * 8;
            expected[x] = MathF.Sqrt(v0 * v0 + v1 * v1);
        }
        var scalar = new float[width];
        var fast = new float[width];
        ChangeKernel.ComputeScalar(before, after, width, width, options, scalar);
        ChangeKernel.Compute(before, after, width, width, options, fast);
        Assert.That(scalar, Is.EqualTo(expected).Within(1e-4f));
        Assert.That(KernelTestData.Bits(fast), Is.EqualTo(KernelTestData.Bits(scalar)));
    }

    [Test]
    public void AProjectionOfAnotherBandCountIsRefused()
    {
        var projection = new ChangeProjection(4, new float[4], new float[4], [0f]);
        Assert.That(() => new ChangeKernelOptions(Enumerable.Repeat(BandNormalization.Identity, 5).ToArray(), projection: projection),
            Throws.ArgumentException.With.Message.Contains("4 bands"));
        Assert.That(() => new ChangeProjection(4, new float[3], new float[4], [0f]), Throws.ArgumentException);
        Assert.That(() => new ChangeProjection(4, [float.NaN, 0, 0, 0], new float[4], [0f]), Throws.ArgumentException);
        Assert.That(() => ChangeKernelOptions.Identity(ChangeKernelOptions.MaxBands + 1), Throws.ArgumentException);
    }

    [TestCaseSource(nameof(VectorPaths))]
    public void VectorPathWritesOnlyWidthScores(KernelPathMethod path, bool accelerated)
    {
        var random = new Random(7);
        foreach (int width in Widths)
        {
            var options = KernelTestData.Options(random, 4, true, 0, 0);
            var before = KernelTestData.Row(random, 4, width, width, 0);
            var after = KernelTestData.Row(random, 4, width, width, 0);
            var scores = new float[width + 40];
            Array.Fill(scores, -123f);
            path(before, after, width, width, options, scores);
            Assert.That(scores[width..], Is.All.EqualTo(-123f), $"width={width} accelerated={accelerated}");
        }
    }

    // Rows and scores end right before an inaccessible page: a load or store past `width` in the
    // last band would crash the test run rather than pass.
    [TestCaseSource(nameof(VectorPaths))]
    public void VectorPathTouchesNothingPastTheRow(KernelPathMethod path, bool accelerated)
    {
        if (!GuardedBuffer<byte>.IsSupported) Assert.Ignore("Guard pages need Linux with glibc.");
        var random = new Random(13);
        foreach (int width in Widths)
        {
            const int bands = 4;
            var options = KernelTestData.Options(random, bands, KernelTestData.Indices.Both, 0, 0);
            using var before = new GuardedBuffer<ushort>(bands * width);
            using var after = new GuardedBuffer<ushort>(bands * width);
            using var scores = new GuardedBuffer<float>(width);
            KernelTestData.Row(random, bands, width, width, 0).CopyTo(before.Span);
            KernelTestData.Row(random, bands, width, width, 0).CopyTo(after.Span);
            var expected = new float[width];
            ChangeKernel.ComputeScalar(before.Span, after.Span, width, width, options, expected);
            path(before.Span, after.Span, width, width, options, scores.Span);
            Assert.That(KernelTestData.Bits(scores.Span), Is.EqualTo(KernelTestData.Bits(expected)), $"width={width} accelerated={accelerated}");
        }
    }

    [TestCaseSource(nameof(VectorPaths))]
    public void VectorPathIgnoresSamplesBetweenWidthAndStride(KernelPathMethod path, bool accelerated)
    {
        var random = new Random(11);
        const int width = 33, stride = 64, bands = 5;
        var options = KernelTestData.Options(random, bands, true, 0, 0);
        var before = KernelTestData.Row(random, bands, width, stride, 0);
        var after = KernelTestData.Row(random, bands, width, stride, 0);
        var clean = new float[width];
        path(before, after, width, stride, options, clean);
        for (int b = 0; b < bands - 1; b++)
        {
            before.AsSpan(b * stride + width, stride - width).Clear();      // 0 is nodata here
            after.AsSpan(b * stride + width, stride - width).Fill(65535);
        }
        var padded = new float[width];
        path(before, after, width, stride, options, padded);
        Assert.That(KernelTestData.Bits(padded), Is.EqualTo(KernelTestData.Bits(clean)), $"accelerated={accelerated}");
    }

    [Test]
    public void ChangeVectorMagnitudeByHand()
    {
        // 3-4-0-0 DN change with identity normalisation: sqrt(9 + 16) = 5.
        var options = ChangeKernelOptions.Identity(4);
        ushort[] before = [100, 100, 100, 100];
        ushort[] after = [103, 104, 100, 100];
        var score = new float[1];
        ChangeKernel.Compute(before, after, 1, options, score);
        Assert.That(score[0], Is.EqualTo(5f));
    }

    [Test]
    public void GainOffsetAndScaleApplyToTheAfterImage()
    {
        // after' = 2·60 − 10 = 110 vs 100 → 10 DN, scaled by 0.5 → 5 in band 0; other bands equal.
        BandNormalization[] norm = [new(2f, -10f, 0.5f), BandNormalization.Identity, BandNormalization.Identity];
        var options = new ChangeKernelOptions(norm);
        ushort[] before = [100, 7, 9];
        ushort[] after = [60, 7, 9];
        var score = new float[1];
        ChangeKernel.Compute(before, after, 1, options, score);
        Assert.That(score[0], Is.EqualTo(5f));
    }

    [Test]
    public void NdviTermByHand()
    {
        // Bands blue, green, red, NIR. Before: red 100, NIR 300 → NDVI 0.5. After: red 300,
        // NIR 100 → NDVI −0.5. Green, red and NIR each move by 200 DN, so the change vector is
        // sqrt(3 · 200²); the NDVI term adds 2 · |−0.5 − 0.5| = 2 (water weight 0).
        var options = new ChangeKernelOptions(
            Enumerable.Repeat(BandNormalization.Identity, 4).ToArray(),
            roles: BandRoles.BlueGreenRedNir, ndviWeight: 2f, waterWeight: 0f);
        ushort[] before = [50, 300, 100, 300];
        ushort[] after = [50, 100, 300, 100];
        var score = new float[1];
        ChangeKernel.Compute(before, after, 1, options, score);
        float cva = MathF.Sqrt(3 * 200f * 200f);
        Assert.That(score[0], Is.EqualTo(cva + 2f));
    }

    [Test]
    public void ZeroRedAndNirGiveNdviZeroNotNaN()
    {
        // Red = NIR = 0 in both dates: NDVI's denominator is 0, defined as NDVI 0, so no index change.
        var options = new ChangeKernelOptions(
            Enumerable.Repeat(BandNormalization.Identity, 4).ToArray(),
            roles: BandRoles.BlueGreenRedNir, ndviWeight: 1f, waterWeight: 1f);
        ushort[] before = [0, 0, 0, 0, 10, 0, 0, 0];
        ushort[] after = [0, 0, 0, 0, 10, 0, 0, 0];
        var scalar = new float[2];
        var fast = new float[2];
        ChangeKernel.ComputeScalar(before, after, 2, 2, options, scalar);
        ChangeKernel.Compute(before, after, 2, 2, options, fast);
        Assert.That(scalar, Is.EqualTo(new[] { 0f, 0f }));
        Assert.That(fast, Is.EqualTo(new[] { 0f, 0f }));
    }

    [Test]
    public void NegativeNormalisedSamplesAreClampedInTheIndices()
    {
        // Offset −1000 sends every after sample below 0; clamped to 0, both NDVI and NDWI are 0
        // in the after date. Before: NIR 300, red 100 → NDVI 0.5; green 100, NIR 300 → NDWI −0.5.
        var norm = Enumerable.Repeat(new BandNormalization(1f, -1000f, 0f), 4).ToArray();
        var options = new ChangeKernelOptions(norm, roles: BandRoles.BlueGreenRedNir, ndviWeight: 1f, waterWeight: 1f);
        ushort[] before = [10, 100, 100, 300];
        ushort[] after = [10, 100, 100, 300];
        var score = new float[1];
        ChangeKernel.Compute(before, after, 1, options, score);
        Assert.That(score[0], Is.EqualTo(0.5f + 0.5f));
    }

    [Test]
    public void NoDataInEitherDateGivesTheSentinel()
    {
        // Four pixels, 3 bands. Pixel 0 has before nodata (7) in band 2, pixel 1 after nodata (9)
        // in band 0, pixel 2 has 7 in the after date and 9 in the before (not nodata there),
        // pixel 3 is clean.
        var options = new ChangeKernelOptions(Enumerable.Repeat(BandNormalization.Identity, 3).ToArray(), beforeNoData: 7, afterNoData: 9);
        ushort[] before = [1, 1, 9, 1, /**/ 1, 1, 1, 1, /**/ 7, 1, 1, 1];
        ushort[] after = [1, 9, 7, 1, /**/ 1, 1, 1, 1, /**/ 1, 1, 1, 1];
        foreach (KernelPathMethod path in new KernelPathMethod[] { ChangeKernel.ComputeScalar, ChangeKernel.Compute })
        {
            var scores = new float[4];
            path(before, after, 4, 4, options, scores);
            Assert.That(float.IsNaN(scores[0]), Is.True, "before nodata");
            Assert.That(float.IsNaN(scores[1]), Is.True, "after nodata");
            Assert.That(scores[2], Is.EqualTo(2f), "7 and 9 in the wrong date are data: |7 − 9| = 2");
            Assert.That(scores[3], Is.EqualTo(0f));
        }
    }

    [Test]
    public void WithoutNoDataZeroIsData()
    {
        var options = ChangeKernelOptions.Identity(3);
        ushort[] before = [0, 0, 0];
        ushort[] after = [3, 4, 0];
        var score = new float[1];
        ChangeKernel.Compute(before, after, 1, options, score);
        Assert.That(score[0], Is.EqualTo(5f));
    }

    [Test]
    public void SaturatedSamplesGiveFiniteScores()
    {
        // 0 → 65535 in all 6 bands: 65535 · √6, on every path and a width that uses all of them.
        const int width = 37;
        var options = ChangeKernelOptions.Identity(6);
        var before = new ushort[6 * width];
        var after = new ushort[6 * width];
        Array.Fill(after, ushort.MaxValue);
        var scalar = new float[width];
        var fast = new float[width];
        ChangeKernel.ComputeScalar(before, after, width, width, options, scalar);
        ChangeKernel.Compute(before, after, width, width, options, fast);
        Assert.That(scalar, Is.All.EqualTo(MathF.Sqrt(6 * 65535f * 65535f)));
        Assert.That(KernelTestData.Bits(fast), Is.EqualTo(KernelTestData.Bits(scalar)));
    }

    [Test]
    public void ExtremeValidOptionsGiveFiniteScores()
    {
        // The option limits promise finite intermediates: try every corner of them on 0/65535 samples.
        const int width = 41;
        float g = ChangeKernelOptions.MaxGain, o = ChangeKernelOptions.MaxOffset, s = ChangeKernelOptions.MaxScale, w = ChangeKernelOptions.MaxIndexWeight;
        var random = new Random(3);
        foreach (var norm in new BandNormalization[] { new(g, o, s), new(-g, -o, s), new(g, -o, -s), new(1e-3f, o, s) })
        {
            var options = new ChangeKernelOptions(Enumerable.Repeat(norm, 5).ToArray(),
                roles: new BandRoles(Red: 0, Nir: 1, Green: 2, Swir1: 3), ndviWeight: w, waterWeight: w);
            var before = new ushort[5 * width];
            var after = new ushort[5 * width];
            for (int i = 0; i < before.Length; i++)
            {
                before[i] = random.Next(2) == 0 ? (ushort)0 : ushort.MaxValue;
                after[i] = random.Next(2) == 0 ? (ushort)0 : ushort.MaxValue;
            }
            var scalar = new float[width];
            var fast = new float[width];
            ChangeKernel.ComputeScalar(before, after, width, width, options, scalar);
            ChangeKernel.Compute(before, after, width, width, options, fast);
            Assert.That(scalar.All(float.IsFinite), Is.True, $"{norm}: {string.Join(", ", scalar)}");
            Assert.That(KernelTestData.Bits(fast), Is.EqualTo(KernelTestData.Bits(scalar)), norm.ToString());
        }
    }

    [Test]
    public void ActivePathIsTheWidestAcceleratedWidth()
    {
        var expected = Vector512.IsHardwareAccelerated ? KernelPath.Vector512
            : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
            : Vector128.IsHardwareAccelerated ? KernelPath.Vector128
            : KernelPath.Scalar;
        Assert.That(ChangeKernel.ActivePath, Is.EqualTo(expected));
    }

    [Test]
    public void ShortRowsAreRejected()
    {
        var options = ChangeKernelOptions.Identity(4);
        var scores = new float[10];
        Assert.That(() => ChangeKernel.Compute(new ushort[39], new ushort[40], 10, options, scores), Throws.ArgumentException);
        Assert.That(() => ChangeKernel.Compute(new ushort[40], new ushort[39], 10, options, scores), Throws.ArgumentException);
        Assert.That(() => ChangeKernel.Compute(new ushort[40], new ushort[40], 10, options, new float[9]), Throws.ArgumentException);
        Assert.That(() => ChangeKernel.Compute(new ushort[40], new ushort[40], 10, 9, options, scores), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void InvalidOptionsAreRejected()
    {
        var two = Enumerable.Repeat(BandNormalization.Identity, 2).ToArray();
        var four = Enumerable.Repeat(BandNormalization.Identity, 4).ToArray();
        Assert.That(() => new ChangeKernelOptions(two), Throws.ArgumentException);
        Assert.That(() => new ChangeKernelOptions([new(float.NaN, 0, 1), .. four[1..]]), Throws.ArgumentException);
        Assert.That(() => new ChangeKernelOptions(four, roles: new BandRoles(Red: 4, Nir: 3)), Throws.ArgumentException);
        Assert.That(() => new ChangeKernelOptions(four, roles: new BandRoles(Red: 2, Nir: 2)), Throws.ArgumentException, "one band, two roles");
        Assert.That(() => new ChangeKernelOptions([new(1001f, 0, 1), .. four[1..]]), Throws.ArgumentException, "gain beyond MaxGain");
        Assert.That(() => new ChangeKernelOptions([new(1f, 0, 2e6f), .. four[1..]]), Throws.ArgumentException, "scale beyond MaxScale");
        Assert.That(() => new ChangeKernelOptions(four, ndviWeight: 1f), Throws.ArgumentException, "NDVI weight without roles");
        Assert.That(() => new ChangeKernelOptions(four, roles: BandRoles.BlueGreenRedNir, waterWeight: -1f), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
