using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ChangeDetection.Detection;

/// <summary>
/// Scratch files written around the page cache (Linux <c>O_DIRECT</c>) where the file system allows it, else through it
/// as any file: the score store's files (<see cref="TileScoreStore"/>), which live for one run.
/// </summary>
/// <remarks>
/// <para>
/// Why: on the VMs the pipeline runs on, a page the guest has not used lately costs ~12 µs the first time it is written,
/// and a buffered write fills a fresh page-cache page per 4 KiB: at 8192² the score files (~120 MB) were up to ~7 % of
/// the run's CPU in the kernel's copy into those pages. A direct write goes from the process's own (reused) buffer to
/// the disk. Reading stays buffered (the store's, after <see cref="WillRead"/>): the disk's DMA fills those pages, not the CPU.
/// </para>
/// <para>
/// <c>O_DIRECT</c> needs the buffer's address, the file offset and the length aligned (<see cref="Alignment"/>): a file is
/// written from an aligned buffer (<see cref="Rent"/>), padded with zeros to a whole number of blocks and cut back to its
/// length, so its bytes are exactly those a buffered write gives. Where the system refuses (<c>EINVAL</c>: a file system
/// without direct I/O, or one that wants a larger alignment) the instance writes buffered from then on; elsewhere than
/// Linux on x64 or Arm64 it always does. Nothing else differs: the same bytes, permissions and exceptions either way.
/// </para>
/// <para>Thread-safe: one instance per store, shared by its workers.</para>
/// </remarks>
internal sealed partial class DirectFiles
{
    /// <summary>The alignment of buffers, offsets and lengths of direct I/O (bytes): the page size, which every block size divides.</summary>
    public const int Alignment = 4096;

    // The open flags of the two Linux ABIs served (asm-generic and x86, alike but for O_DIRECT), and errno values.
    private const int OWrOnly = 1, OCreat = 0x40, OTrunc = 0x200, OCloExec = 0x80000;
    private const int EIntr = 4, EInval = 22, ENoSpc = 28;
    // rw-rw-rw- less the umask, as .NET creates files: a direct file's permissions are a buffered one's.
    private const int CreateMode = 0x1B6;

    private static readonly int ODirect = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    private volatile bool _direct;

    // Aligned buffers (pinned, so their addresses hold): about one per worker.
    private readonly ConcurrentBag<byte[]> _buffers = [];

    /// <param name="direct">Write directly where possible (false: always buffered).</param>
    public DirectFiles(bool direct = true)
    {
        _direct = direct && Supported;
    }

    /// <summary>Whether this system has direct I/O at all (Linux on x64 or Arm64).</summary>
    public static bool Supported => OperatingSystem.IsLinux() && ODirect != 0;

    /// <summary>Whether files are still written directly (false once the file system refused).</summary>
    public bool WritesDirect => _direct;

    /// <summary>For tests: where a direct write fails as on a file system without direct I/O (or wanting another alignment).</summary>
    internal enum Refusal
    {
        /// <summary>Direct I/O works where the system allows it.</summary>
        None,

        /// <summary>A direct <c>open</c> fails with <c>EINVAL</c>.</summary>
        Open,

        /// <summary>A direct <c>open</c> succeeds and its first write fails with <c>EINVAL</c>.</summary>
        Write,
    }

    /// <summary>For tests: makes direct writes fail (<see cref="Refusal"/>), so the fallback runs where direct I/O works.</summary>
    internal Refusal Refuse { get; init; }

    /// <summary>An aligned buffer of at least <paramref name="length"/> bytes (a whole number of blocks); give it back with <see cref="Return"/>.</summary>
    public Buffer Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int blocks = RoundUp(length);
        while (_buffers.TryTake(out var array))
        {
            var buffer = new Buffer(array);
            if (buffer.Capacity >= blocks) return buffer;
            // Too small: let it go, one larger takes its place.
        }
        // Powers of two: tiles' files differ by a few kept pixels, and a buffer a little larger serves them all.
        long size = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(blocks, Alignment)) + Alignment;
        return new Buffer(GC.AllocateUninitializedArray<byte>(checked((int)Math.Min(size, Array.MaxLength)), pinned: true));
    }

    /// <summary>Gives back a buffer of <see cref="Rent"/>.</summary>
    public void Return(Buffer buffer) => _buffers.Add(buffer.Array);

    /// <summary>
    /// Creates (or truncates) <paramref name="path"/> and writes the first <paramref name="length"/> bytes of
    /// <paramref name="buffer"/> into it; the buffer's bytes after them, up to the next block, are overwritten with zeros.
    /// </summary>
    public void Write(string path, Buffer buffer, int length)
    {
        if (length > buffer.Capacity) throw new ArgumentOutOfRangeException(nameof(length), length, $"The buffer holds {buffer.Capacity} bytes.");
        if (_direct && TryWriteDirect(path, buffer, length)) return;
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: length);
        RandomAccess.Write(handle, buffer.Span[..length], 0);
    }

    /// <summary>The direct write; false when it cannot be (the caller writes buffered, over whatever was written).</summary>
    private bool TryWriteDirect(string path, Buffer buffer, int length)
    {
        using var handle = OpenDirect(path);
        if (handle is null) return false;
        int padded = RoundUp(length);
        var bytes = buffer.Span[..padded];
        bytes[length..].Clear();
        int at = 0;
        while (at < padded)
        {
            long written = Refuse == Refusal.Write ? -1 : PWrite(handle, bytes[at..], at);
            int errno = Refuse == Refusal.Write ? EInval : Marshal.GetLastPInvokeError();
            if (written > 0)
            {
                at += (int)written;
                continue;
            }
            if (written < 0 && errno == EIntr) continue;
            if (written < 0 && errno == EInval)
            {
                // Opened but refused (a file system that wants another alignment, or a short write left one unaligned).
                _direct = false;
                return false;
            }
            throw Error(path, written < 0 ? errno : ENoSpc);
        }
        // The padding goes: the file holds exactly the bytes a buffered write gives.
        if (FTruncate(handle, length) != 0) throw Error(path, Marshal.GetLastPInvokeError());
        return true;
    }

    /// <summary>
    /// A direct descriptor of <paramref name="path"/> to write, created or truncated; null when direct I/O is refused (off from
    /// then on) or the open fails otherwise (the buffered open then throws .NET's own exception for it).
    /// </summary>
    private SafeFileHandle? OpenDirect(string path)
    {
        int fd, errno;
        do
        {
            fd = Refuse == Refusal.Open ? -1 : Open(path, OWrOnly | OCreat | OTrunc | ODirect | OCloExec, CreateMode);
            errno = Refuse == Refusal.Open ? EInval : Marshal.GetLastPInvokeError();
        }
        while (fd < 0 && errno == EIntr);
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        if (errno == EInval) _direct = false;
        return null;
    }

    /// <summary>
    /// Asks the system to read the whole file into the page cache now (<c>POSIX_FADV_WILLNEED</c>): a file written directly is
    /// on the disk only. Nothing elsewhere than Linux; a refusal changes nothing but speed, so it is ignored.
    /// </summary>
    public static void WillRead(SafeFileHandle file)
    {
        if (Supported) _ = FAdvise(file, 0, 0, FAdvWillNeed);
    }

    // Worded as .NET words its own I/O errors, the errno in HResult, where Failures looks for a full disk.
    private static IOException Error(string path, int errno) => new($"{Marshal.GetPInvokeErrorMessage(errno)} : '{path}'", errno);

    private static int RoundUp(int length) => checked((length + Alignment - 1) & ~(Alignment - 1));

    private static unsafe long PWrite(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long offset)
    {
        fixed (byte* p = bytes) return PWrite(handle, p, bytes.Length, offset);
    }

    // open is variadic; its mode is an int, which the fixed-argument convention passes alike on x64 and Arm64 Linux.
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint PWrite(SafeFileHandle fd, byte* buffer, nint count, long offset);

    private const int FAdvWillNeed = 3;

    // posix_fadvise returns its error rather than setting errno.
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int FAdvise(SafeFileHandle fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FTruncate(SafeFileHandle fd, long length);

    /// <summary>A pinned array and its aligned span.</summary>
    public readonly struct Buffer
    {
        internal Buffer(byte[] array)
        {
            Array = array;
            unsafe
            {
                // The array is pinned (the pinned object heap): its address, and so this offset, never changes.
                fixed (byte* p = array) Start = (int)((Alignment - ((nint)p & (Alignment - 1))) & (Alignment - 1));
            }
            Capacity = (array.Length - Start) & ~(Alignment - 1);
        }

        internal byte[] Array { get; }

        private int Start { get; }

        /// <summary>The aligned bytes (a whole number of blocks).</summary>
        public int Capacity { get; }

        /// <summary>The aligned bytes, <see cref="Capacity"/> of them.</summary>
        public Span<byte> Span => Array.AsSpan(Start, Capacity);
    }
}
