using System.Runtime.InteropServices;

namespace ChangeDetection.Tests.Kernels;

/// <summary>
/// Memory whose last element sits just before an inaccessible page (Linux mmap + mprotect), so
/// reading or writing one element past the end kills the process instead of passing silently.
/// </summary>
internal sealed unsafe partial class GuardedBuffer<T> : IDisposable where T : unmanaged
{
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20;

    private readonly nint _base;
    private readonly nuint _length;
    private readonly T* _start;

    public GuardedBuffer(int count)
    {
        int page = Environment.SystemPageSize;
        nuint dataBytes = (nuint)(((long)count * sizeof(T) + page - 1) / page * page);
        _length = dataBytes + (nuint)page;
        _base = Native.Mmap(0, _length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (_base == -1) throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}");
        if (Native.Mprotect(_base + (nint)dataBytes, (nuint)page, ProtNone) != 0)
            throw new InvalidOperationException($"mprotect failed: errno {Marshal.GetLastPInvokeError()}");
        _start = (T*)(_base + (nint)dataBytes) - count;
        Length = count;
    }

    public int Length { get; }

    public Span<T> Span => new(_start, Length);

    /// <summary>True where the guard can be built (Linux with glibc).</summary>
    public static bool IsSupported
    {
        get
        {
            if (!OperatingSystem.IsLinux()) return false;
            try { using var probe = new GuardedBuffer<byte>(1); return true; }
            catch (DllNotFoundException) { return false; }
            catch (EntryPointNotFoundException) { return false; }
        }
    }

    public void Dispose() => _ = Native.Munmap(_base, _length);
}

internal static partial class Native
{
    [LibraryImport("libc.so.6", EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc.so.6", EntryPoint = "mprotect", SetLastError = true)]
    internal static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc.so.6", EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(nint address, nuint length);

    /// <summary>Linux signal numbers (x86-64 and arm64) for <see cref="Kill"/>.</summary>
    internal const int SigInt = 2, SigTerm = 15, SigCont = 18, SigStop = 19;

    /// <summary>kill(2): a signal sent at once, without starting a <c>kill</c> process.</summary>
    [LibraryImport("libc.so.6", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
