namespace ChangeDetection.Kernels;

/// <summary>The implementation a SIMD dispatcher picked on this machine: the widest accelerated vector width.</summary>
public enum KernelPath
{
    Scalar = 0,
    Vector128 = 128,
    Vector256 = 256,
    Vector512 = 512,
}
