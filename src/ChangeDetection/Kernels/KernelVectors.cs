using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ChangeDetection.Kernels;

/// <summary>
/// The float operations the change kernel needs at one vector width (the operator half of the
/// TensorPrimitives operator/driver split): implemented by <see cref="KernelVector128"/>,
/// <see cref="KernelVector256"/> and <see cref="KernelVector512"/>. Static abstract members on a
/// struct type argument let the JIT specialise and inline the kernel body per width. Every member is
/// the plain portable operator (no FMA, no estimates) so the vector paths stay bitwise equal to the
/// scalar reference.
/// </summary>
/// <typeparam name="TVector">The vector of single-precision floats at this width.</typeparam>
internal interface IKernelVector<TVector> where TVector : struct
{
    /// <summary>Floats per vector (lanes).</summary>
    static abstract int Count { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVector Create(float value);

    /// <summary><see cref="Count"/> uint16 samples at <paramref name="source"/> + <paramref name="index"/>, widened to float.</summary>
    static abstract TVector LoadWidened(ref ushort source, nuint index);

    /// <summary>Writes the lanes to <paramref name="destination"/> + <paramref name="index"/>.</summary>
    static abstract void Store(TVector value, ref float destination, nuint index);

    /// <summary>a + b.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>a − b.</summary>
    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>a · b.</summary>
    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>a / b.</summary>
    static abstract TVector Divide(TVector a, TVector b);

    /// <summary>Bitwise a | b (used on comparison masks).</summary>
    static abstract TVector Or(TVector a, TVector b);

    /// <summary>All-ones lanes where a == b, else zero.</summary>
    static abstract TVector Equals(TVector a, TVector b);

    /// <summary>Lanes of <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else of <paramref name="ifFalse"/>.</summary>
    static abstract TVector ConditionalSelect(TVector mask, TVector ifTrue, TVector ifFalse);

    /// <summary>√a per lane.</summary>
    static abstract TVector Sqrt(TVector a);

    /// <summary>|a| per lane.</summary>
    static abstract TVector Abs(TVector a);

    /// <summary>max(a, b) per lane, platform NaN handling (as the scalar <c>MathF.Max</c> inputs are never NaN).</summary>
    static abstract TVector MaxNative(TVector a, TVector b);
}

/// <summary>The change kernel's operations on <see cref="Vector128{T}"/> of float (4 lanes).</summary>
internal readonly struct KernelVector128 : IKernelVector<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Create(float value) => Vector128.Create(value);

    /// <summary>4 uint16 samples (one 64-bit load) widened to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadWidened(ref ushort source, nuint index) =>
        Vector128.ConvertToSingle(Vector128.WidenLower(
            Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref source, index)))).AsUInt16()).AsInt32());

    public static void Store(Vector128<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;
    public static Vector128<float> Equals(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    public static Vector128<float> ConditionalSelect(Vector128<float> mask, Vector128<float> ifTrue, Vector128<float> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);
    public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    public static Vector128<float> MaxNative(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);
}

/// <summary>The change kernel's operations on <see cref="Vector256{T}"/> of float (8 lanes).</summary>
internal readonly struct KernelVector256 : IKernelVector<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Create(float value) => Vector256.Create(value);

    /// <summary>8 uint16 samples (one 128-bit load) widened to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadWidened(ref ushort source, nuint index) =>
        Vector256.ConvertToSingle(Vector256.WidenLower(Vector128.LoadUnsafe(ref source, index).ToVector256Unsafe()).AsInt32());

    public static void Store(Vector256<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    public static Vector256<float> Equals(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    public static Vector256<float> ConditionalSelect(Vector256<float> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);
    public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);
}

/// <summary>The change kernel's operations on <see cref="Vector512{T}"/> of float (16 lanes).</summary>
internal readonly struct KernelVector512 : IKernelVector<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Create(float value) => Vector512.Create(value);

    /// <summary>16 uint16 samples (one 256-bit load) widened to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadWidened(ref ushort source, nuint index) =>
        Vector512.ConvertToSingle(Vector512.WidenLower(Vector256.LoadUnsafe(ref source, index).ToVector512Unsafe()).AsInt32());

    public static void Store(Vector512<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    public static Vector512<float> Equals(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    public static Vector512<float> ConditionalSelect(Vector512<float> mask, Vector512<float> ifTrue, Vector512<float> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);
    public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    public static Vector512<float> MaxNative(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);
}
