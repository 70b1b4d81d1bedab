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
        FreeBytes(folder) is long free ? $"the drive holding {folder} has {free:N0} bytes free" : $"the drive holding {folder} is full";

    /// <summary>.NET on Unix puts the errno in HResult: ENOSPC (28) or EDQUOT (122); on Windows ERROR_DISK_FULL (0x70) or ERROR_HANDLE_DISK_FULL (0x27).</summary>
    public static bool IsDiskFull(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 0x70 or 0x27 : e.HResult is 28 or 122;
}
