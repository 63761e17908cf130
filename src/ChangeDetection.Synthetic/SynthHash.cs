namespace ChangeDetection.Synthetic;

/// <summary>
/// Explicit, version-stable hashing for the synthetic scenes: SplitMix64's finaliser applied to
/// (seed, tag, coordinates), so that every pixel and every texture value is a pure function of
/// its inputs and can be computed in any tile, on any thread, in any order.
/// </summary>
internal static class SynthHash
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's output function (a bijection on 64-bit values).</summary>
    public static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Of(ulong seed, ulong tag, long a) => Mix(Mix(seed ^ (tag * Golden)) ^ (ulong)a);

    public static ulong Of(ulong seed, ulong tag, long a, long b) => Mix(Of(seed, tag, a) ^ (ulong)b);

    public static ulong Of(ulong seed, ulong tag, long a, long b, long c) => Mix(Of(seed, tag, a, b) ^ (ulong)c);

    /// <summary>Uniform in [0, 1) from the top 53 bits.</summary>
    public static double Unit(ulong h) => (h >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) from 16 bits of <paramref name="h"/> (<paramref name="slot"/> 0..3).</summary>
    public static double Unit16(ulong h, int slot) => ((h >> (16 * slot)) & 0xFFFF) * (1.0 / 65536.0);

    /// <summary>
    /// Smooth value noise in [0, 1): lattice values at integer points, smoothstep-interpolated.
    /// <paramref name="x"/>, <paramref name="y"/> are in lattice units.
    /// </summary>
    public static double ValueNoise(ulong seed, double x, double y)
    {
        double fx = Math.Floor(x), fy = Math.Floor(y);
        Span<double> corners = stackalloc double[4];
        LatticeCorners(seed, (long)fx, (long)fy, corners);
        return Interpolate(corners, x - fx, y - fy);
    }

    /// <summary>The lattice values at (ix, iy), (ix+1, iy), (ix, iy+1), (ix+1, iy+1).</summary>
    public static void LatticeCorners(ulong seed, long ix, long iy, Span<double> corners)
    {
        ulong row0 = Mix(seed ^ (ulong)iy * 0xD1B54A32D192ED03UL);
        ulong row1 = Mix(seed ^ (ulong)(iy + 1) * 0xD1B54A32D192ED03UL);
        corners[0] = Unit(Mix(row0 ^ (ulong)ix));
        corners[1] = Unit(Mix(row0 ^ (ulong)(ix + 1)));
        corners[2] = Unit(Mix(row1 ^ (ulong)ix));
        corners[3] = Unit(Mix(row1 ^ (ulong)(ix + 1)));
    }

    /// <summary>Smoothstep-bilinear interpolation of lattice corners at fractional position (tx, ty).</summary>
    public static double Interpolate(ReadOnlySpan<double> c, double tx, double ty)
    {
        tx = tx * tx * (3 - 2 * tx);
        ty = ty * ty * (3 - 2 * ty);
        double top = c[0] + (c[1] - c[0]) * tx, bottom = c[2] + (c[3] - c[2]) * tx;
        return top + (bottom - top) * ty;
    }
}

/// <summary>A sequential SplitMix64 generator for building the scene description (one thread, fixed order).</summary>
internal sealed class SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        ulong z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double NextDouble() => SynthHash.Unit(Next());

    public double Range(double min, double max) => min + (max - min) * NextDouble();

    public int Int(int minInclusive, int maxExclusive) => minInclusive + (int)(NextDouble() * (maxExclusive - minInclusive));

    public bool Chance(double p) => NextDouble() < p;
}
