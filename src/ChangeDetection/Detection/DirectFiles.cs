using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ChangeDetection.Detection;

/// <summary>
/// Scratch files written, and read back, around the page cache (Linux <c>O_DIRECT</c>) where the file system allows it,
/// else through it as any file: the score store's files (<see cref="TileScoreStore"/>), which live for one run.
/// </summary>
/// <remarks>
/// <para>
/// Why: on the VMs the pipeline runs on, a page the guest has not used lately costs ~12 µs the first time it is written,
/// and a buffered write fills a fresh page-cache page per 4 KiB: at 8192² the score files (~120 MB) were ~7 % of the run's
/// CPU in the kernel's copy into those pages, for files read once and deleted. A direct write goes from the process's own
/// (reused) buffer to the disk, and a direct read back from it.
/// </para>
/// <para>
/// <c>O_DIRECT</c> needs the buffer's address, the file offset and the length aligned (<see cref="Alignment"/>): a file is
/// written from an aligned buffer, padded with zeros to a whole number of blocks and cut back to its length, so its bytes
/// are exactly those a buffered write gives; a read takes the aligned blocks that cover the range asked for and copies
/// it out. Where the system refuses (<c>EINVAL</c>: a file system without direct I/O, or one that wants a larger
/// alignment), the instance falls back to buffered I/O for good; elsewhere than Linux on x64 or Arm64 it is always buffered.
/// Nothing else differs: a caller sees the same bytes, lengths and exceptions either way.
/// </para>
/// <para>Thread-safe: one instance per store, shared by its workers; a <see cref="Reader"/> belongs to one thread.</para>
/// </remarks>
internal sealed partial class DirectFiles
{
    /// <summary>The alignment of buffers, offsets and lengths of direct I/O (bytes): the page size, which every block size divides.</summary>
    public const int Alignment = 4096;

    // The flags and errno values of the two Linux ABIs served (asm-generic and x86): O_DIRECT differs.
    private const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OTrunc = 0x200, OCloExec = 0x80000;
    private const int EIntr = 4, EInval = 22, FGetFl = 3, FSetFl = 4;
    // rw-rw-rw- less the umask, as .NET creates files: a direct file's permissions are a buffered one's.
    private const int CreateMode = 0x1B6;

    private static readonly int ODirect = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    private volatile bool _writeDirect, _readDirect;

    // Aligned buffers (pinned, so their addresses hold) for writes and for the blocks of reads: about two per worker.
    private readonly ConcurrentBag<byte[]> _buffers = [];

    /// <param name="write">Write files directly where possible.</param>
    /// <param name="read">Read files directly where possible (else through the page cache, whatever wrote them).</param>
    public DirectFiles(bool write = true, bool read = true)
    {
        _writeDirect = write && Supported;
        _readDirect = read && Supported;
    }

    /// <summary>Whether this system has direct I/O at all (Linux on x64 or Arm64).</summary>
    public static bool Supported => OperatingSystem.IsLinux() && ODirect != 0;

    /// <summary>Whether files are still written directly (false once the file system refused).</summary>
    public bool WritesDirect => _writeDirect;

    /// <summary>Whether files are still read directly (false once the file system refused).</summary>
    public bool ReadsDirect => _readDirect;

    /// <summary>For tests: where direct I/O fails as a file system without it (or wanting another alignment) makes it fail.</summary>
    internal enum Refusal
    {
        /// <summary>Direct I/O works where the system allows it.</summary>
        None,

        /// <summary>A direct <c>open</c> fails with <c>EINVAL</c>.</summary>
        Open,

        /// <summary>A direct <c>open</c> succeeds, and its first write or read fails with <c>EINVAL</c>.</summary>
        Transfer,
    }

    /// <summary>For tests: makes direct I/O fail (<see cref="Refusal"/>), so the fallback runs where direct I/O works.</summary>
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
        int size = checked((int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)Math.Max(blocks, Alignment)), int.MaxValue - Alignment) + Alignment);
        return new Buffer(GC.AllocateUninitializedArray<byte>(size, pinned: true));
    }

    /// <summary>Gives back a buffer of <see cref="Rent"/>.</summary>
    public void Return(Buffer buffer) => _buffers.Add(buffer.Array);

    /// <summary>
    /// Creates (or truncates) <paramref name="path"/> and writes the first <paramref name="length"/> bytes of
    /// <paramref name="buffer"/> into it; the bytes after them, up to the next block, are overwritten with zeros.
    /// </summary>
    public void Write(string path, Buffer buffer, int length)
    {
        if (length > buffer.Capacity) throw new ArgumentOutOfRangeException(nameof(length), length, $"The buffer holds {buffer.Capacity} bytes.");
        if (_writeDirect && TryWriteDirect(path, buffer, length)) return;
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: length);
        RandomAccess.Write(handle, buffer.Span[..length], 0);
    }

    /// <summary>Opens <paramref name="path"/> to read; throws as <see cref="File.OpenHandle"/> does when it is missing.</summary>
    public Reader OpenRead(string path)
    {
        // The handle's ownership passes to the reader, which disposes it.
#pragma warning disable CA2000
        if (_readDirect)
        {
            var handle = OpenDirect(path, ORdOnly);
            if (handle is not null) return new Reader(this, handle, path, direct: true);
            // Refused, or failed for another reason: the buffered open below succeeds or throws .NET's exception for it.
        }
        return new Reader(this, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), path, direct: false);
#pragma warning restore CA2000
    }

    private bool TryWriteDirect(string path, Buffer buffer, int length)
    {
        using var handle = OpenDirect(path, OWrOnly | OCreat | OTrunc);
        if (handle is null) return false;
        int padded = RoundUp(length);
        var bytes = buffer.Span[..padded];
        bytes[length..].Clear();
        long at = 0;
        while (at < padded)
        {
            long written = Refuse == Refusal.Transfer ? -1 : PWrite(handle, bytes[(int)at..], at);
            if (written > 0)
            {
                at += written;
                continue;
            }
            int errno = Refuse == Refusal.Transfer ? EInval : Marshal.GetLastPInvokeError();
            if (written < 0 && errno == EIntr) continue;
            if (written < 0 && errno == EInval)
            {
                // Opened but refused (a file system that wants another alignment): buffered from now on, this file too.
                _writeDirect = false;
                return false;
            }
            throw Error(path, written < 0 ? errno : 28 /* ENOSPC: nothing written */);
        }
        // The padding goes: the file holds exactly the bytes a buffered write gives.
        if (FTruncate(handle, length) != 0) throw Error(path, Marshal.GetLastPInvokeError());
        return true;
    }

    /// <summary>A direct descriptor of <paramref name="path"/>, or null (direct I/O refused: off from now on; or another failure).</summary>
    private SafeFileHandle? OpenDirect(string path, int flags)
    {
        int fd;
        int errno;
        do
        {
            fd = Refuse == Refusal.Open ? -1 : Open(path, flags | ODirect | OCloExec, CreateMode);
            errno = Refuse == Refusal.Open ? EInval : Marshal.GetLastPInvokeError();
        }
        while (fd < 0 && errno == EIntr);
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        if (errno == EInval)
        {
            if ((flags & OWrOnly) != 0) _writeDirect = false;
            else _readDirect = false;
        }
        return null;
    }

    // As .NET words its own I/O errors; the errno in HResult, where Failures looks for a full disk.
    private static IOException Error(string path, int errno) => new($"{Marshal.GetPInvokeErrorMessage(errno)} : '{path}'", errno);

    private static int RoundUp(int length) => checked((length + Alignment - 1) & ~(Alignment - 1));

    private static unsafe long PWrite(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long offset)
    {
        fixed (byte* p = bytes) return PWrite(handle, p, bytes.Length, offset);
    }

    private static unsafe long PRead(SafeFileHandle handle, Span<byte> bytes, long offset)
    {
        fixed (byte* p = bytes) return PRead(handle, p, bytes.Length, offset);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint PWrite(SafeFileHandle fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint PRead(SafeFileHandle fd, byte* buffer, nint count, long offset);

    // fcntl is variadic; its third argument is an int for F_GETFL and F_SETFL, which the fixed-argument convention passes alike.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FCntl(SafeFileHandle fd, int command, int argument);

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

    /// <summary>
    /// A file open to read, directly or not. A direct reader keeps the last blocks it read, so that reads of nearby bytes
    /// (a header, then the table after it) take one read of the disk.
    /// </summary>
    public sealed class Reader : IDisposable
    {
        private readonly DirectFiles _owner;
        private readonly SafeFileHandle _handle;
        private readonly string _path;
        private Buffer _blocks;
        private bool _hasBlocks;
        private long _blocksAt;
        private int _blocksRead;

        internal Reader(DirectFiles owner, SafeFileHandle handle, string path, bool direct)
        {
            (_owner, _handle, _path, IsDirect) = (owner, handle, path, direct);
        }

        /// <summary>Whether the file is read around the page cache.</summary>
        public bool IsDirect { get; private set; }

        /// <summary>The file's length (bytes).</summary>
        public long Length => RandomAccess.GetLength(_handle);

        /// <summary>
        /// Reads up to <paramref name="into"/>'s length from <paramref name="offset"/>: fewer only at the end of the file
        /// (0 there), as <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/>.
        /// </summary>
        public int Read(Span<byte> into, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            if (!IsDirect) return RandomAccess.Read(_handle, into, offset);
            if (into.IsEmpty) return 0;
            if (!Holds(offset, into.Length))
            {
                long first = offset & ~(long)(Alignment - 1);
                int length = RoundUp(checked((int)(offset + into.Length - first)));
                if (!_hasBlocks || _blocks.Capacity < length)
                {
                    if (_hasBlocks) _owner.Return(_blocks);
                    _blocks = _owner.Rent(length);
                    _hasBlocks = true;
                }
                _blocksAt = first;
                int read = ReadBlocks(_blocks.Span[..length], first);
                if (read < 0)
                {
                    // Opened but refused (a file system that wants another alignment): this file through the page cache,
                    // and every file after it.
                    _hasBlocks = false;
                    _owner.Return(_blocks);
                    _owner._readDirect = false;
                    if (FCntl(_handle, FSetFl, FCntl(_handle, FGetFl, 0) & ~ODirect) != 0) throw Error(_path, Marshal.GetLastPInvokeError());
                    IsDirect = false;
                    return RandomAccess.Read(_handle, into, offset);
                }
                _blocksRead = read;
            }
            int available = (int)Math.Max(0, _blocksAt + _blocksRead - offset);
            int count = Math.Min(available, into.Length);
            _blocks.Span.Slice((int)(offset - _blocksAt), count).CopyTo(into);
            return count;
        }

        private bool Holds(long offset, int length) => _hasBlocks && offset >= _blocksAt && offset + length <= _blocksAt + _blocksRead;

        /// <summary>
        /// Whole blocks from <paramref name="offset"/> until <paramref name="blocks"/> is full or the file ends; the bytes
        /// read, or −1 when direct reads are refused (<c>EINVAL</c>).
        /// </summary>
        private int ReadBlocks(Span<byte> blocks, long offset)
        {
            int done = 0;
            while (done < blocks.Length)
            {
                long read = _owner.Refuse == Refusal.Transfer ? -1 : PRead(_handle, blocks[done..], offset + done);
                if (read == 0) break;
                if (read > 0)
                {
                    done += (int)read;
                    // A short read ends at the end of the file, not at a block: nothing more to read.
                    if ((read & (Alignment - 1)) != 0) break;
                    continue;
                }
                int errno = _owner.Refuse == Refusal.Transfer ? EInval : Marshal.GetLastPInvokeError();
                if (errno == EIntr) continue;
                if (errno == EInval) return -1;
                throw Error(_path, errno);
            }
            return done;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            _handle.Dispose();
            if (_hasBlocks) _owner.Return(_blocks);
            _hasBlocks = false;
        }
    }
}
