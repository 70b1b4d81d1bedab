namespace SlimLLM.IO;

/// <summary>Free space on the drive of a folder, and recognising "disk full" among I/O errors.</summary>
public static class DiskSpace
{
    /// <summary>Bytes free to this user on the drive holding <paramref name="folder"/> (its nearest existing ancestor), or null.</summary>
    public static long? FreeBytes(string folder)
    {
        try
        {
            var dir = new DirectoryInfo(Path.GetFullPath(folder));
            while (dir is not null && !dir.Exists) dir = dir.Parent;
            return dir is null ? null : new DriveInfo(dir.FullName).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }

    /// <summary>"the drive holding FOLDER has N MB free".</summary>
    public static string Describe(string folder) =>
        FreeBytes(folder) is long free ? $"the drive holding {folder} has {Format(free)} free" : $"the drive holding {folder} is full";

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        _ => $"{bytes / 1024.0:F0} KiB",
    };

    /// <summary>ENOSPC (28) on Unix; ERROR_HANDLE_DISK_FULL (0x27) and ERROR_DISK_FULL (0x70) on Windows.</summary>
    public static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 or 0x27 or 0x70 || e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase);
}
