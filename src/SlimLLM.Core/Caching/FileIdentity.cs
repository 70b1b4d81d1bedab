using System.Runtime.InteropServices;

namespace SlimLLM.Caching;

/// <summary>
/// What identifies one version of a file without reading it: full path, size, modification time and, where the system
/// tells them, device, inode and status-change time (ctime). ctime cannot be set by a program (File.SetLastWriteTime,
/// touch -d and cp -p restore mtime, never ctime), and a file replaced by a rename has a new inode, so a key holding both
/// changes whenever the content can have changed. On Linux they come from statx(2) (glibc 2.28+, kernel 4.11+); where that
/// is unavailable the identity falls back to path, size and mtime, with mtime standing in for ctime.
/// </summary>
internal readonly record struct FileIdentity(string Path, long Length, long MtimeTicks, ulong Device, ulong Inode, long CtimeTicks)
{
    public static FileIdentity Of(string path)
    {
        var info = new FileInfo(path);
        var full = info.FullName;
        long length = info.Length, mtime = info.LastWriteTimeUtc.Ticks;
        if (Statx.TryGet(full, out var device, out var inode, out var ctime))
            return new FileIdentity(full, length, mtime, device, inode, ctime);
        return new FileIdentity(full, length, mtime, 0, 0, mtime);
    }

    /// <summary>The memo key text for this file (one line).</summary>
    public override string ToString() => $"{Path}|{Length}|{MtimeTicks}|{Device}|{Inode}|{CtimeTicks}";

    /// <summary>statx(2) through libc, resolved once at run time; absent (not Linux, old libc or kernel) means no answer.</summary>
    private static unsafe class Statx
    {
        private const int AtFdCwd = -100;
        private const uint StatxIno = 0x100, StatxCtime = 0x80, StatxBasicStats = 0x7ff;
        private static readonly delegate* unmanaged<int, byte*, int, uint, byte*, int> Function = Resolve();

        private static delegate* unmanaged<int, byte*, int, uint, byte*, int> Resolve()
        {
            if (!OperatingSystem.IsLinux()) return null;
            foreach (var name in new[] { "libc.so.6", "libc" })
                if (NativeLibrary.TryLoad(name, out var lib) && NativeLibrary.TryGetExport(lib, "statx", out var fn))
                    return (delegate* unmanaged<int, byte*, int, uint, byte*, int>)fn;
            return null;
        }

        public static bool TryGet(string path, out ulong device, out ulong inode, out long ctimeTicks)
        {
            device = inode = 0;
            ctimeTicks = 0;
            if (Function == null) return false;
            var utf8 = System.Text.Encoding.UTF8.GetBytes(path + "\0");
            // struct statx is 256 bytes with a fixed layout on every architecture (include/uapi/linux/stat.h).
            var buffer = stackalloc byte[256];
            int rc;
            fixed (byte* p = utf8) rc = Function(AtFdCwd, p, 0, StatxBasicStats, buffer);
            uint mask = *(uint*)buffer;
            if (rc != 0 || (mask & (StatxIno | StatxCtime)) != (StatxIno | StatxCtime)) return false;
            inode = *(ulong*)(buffer + 32);
            long seconds = *(long*)(buffer + 96);
            uint nanoseconds = *(uint*)(buffer + 104);
            ctimeTicks = DateTime.UnixEpoch.Ticks + seconds * TimeSpan.TicksPerSecond + nanoseconds / 100;
            device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
            return true;
        }
    }
}
