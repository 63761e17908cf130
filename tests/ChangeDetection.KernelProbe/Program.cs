using ChangeDetection.Kernels;
using ChangeDetection.Tests.Kernels;

// Prints the kernel path the dispatcher picked under this process's instruction-set switches
// (DOTNET_EnableAVX2=0 …), then checks the dispatched scores against the scalar reference bit for
// bit on rows of every remainder length. Exit 0 when they agree, 1 with the first width that differs.
Console.WriteLine(ChangeKernel.ActivePath);
var random = new Random(99);
foreach (int width in new[] { 1, 7, 15, 17, 33, 1001 })
{
    var options = KernelTestData.Options(random, 5, KernelTestData.Indices.Both, 0, 0);
    var before = KernelTestData.Row(random, 5, width, width, 0);
    var after = KernelTestData.Row(random, 5, width, width, 0);
    var scalar = new float[width];
    var dispatched = new float[width];
    ChangeKernel.ComputeScalar(before, after, width, width, options, scalar);
    ChangeKernel.Compute(before, after, width, width, options, dispatched);
    if (!KernelTestData.Bits(dispatched).AsSpan().SequenceEqual(KernelTestData.Bits(scalar)))
    {
        Console.WriteLine($"width {width}: the {ChangeKernel.ActivePath} path differs from the scalar reference");
        return 1;
    }
}
// The box mean's vector path (System.Numerics.Vector, as wide as the process allows) against its scalar twin.
foreach (int width in new[] { 1, 9, 17, 33, 130 })
    foreach (int radius in new[] { 1, 2, 5 })
    {
        int height = 6, n = width * height;
        var valid = new byte[n];
        var bands = new ushort[3 * n];
        for (int i = 0; i < n; i++) valid[i] = (byte)(random.Next(5) == 0 ? 0 : 1);
        for (int i = 0; i < bands.Length; i++) bands[i] = (ushort)random.Next(65536);
        var scalar = (ushort[])bands.Clone();
        var second = (ushort[])bands.Clone();
        var both = (ushort[])bands.Clone();
        BoxMean.Apply(scalar, 3, width, height, valid, radius, vectors: false);
        BoxMean.Apply(bands, 3, width, height, valid, radius);
        // The two-date sweep (the tile passes' call), both dates the same planes.
        BoxMean.Apply(both, second, 3, width, height, valid, radius);
        if (!bands.AsSpan().SequenceEqual(scalar) || !both.AsSpan().SequenceEqual(scalar) || !second.AsSpan().SequenceEqual(scalar))
        {
            Console.WriteLine($"width {width}, radius {radius}: the box mean's vector path differs from its scalar twin");
            return 1;
        }
    }
Console.WriteLine("equal to the scalar reference");
return 0;
