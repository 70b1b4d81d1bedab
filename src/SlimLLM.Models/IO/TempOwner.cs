using System.Text.RegularExpressions;

namespace SlimLLM.IO;

/// <summary>
/// Temporary files and folders carry the identity of the process that made them (its pid and, on Linux, its start time in
/// clock ticks), so that a later run can tell the leftovers of a killed process from the work of a live one and remove only
/// the leftovers. A pid alone is not enough: pids are reused, soon in a container.
/// </summary>
public static partial class TempOwner
{
    private static readonly Lazy<string> TagLazy = new(() => TagOf(Environment.ProcessId, StartTicks(Environment.ProcessId)));

    /// <summary>This process: <c>p&lt;pid&gt;s&lt;start&gt;</c>.</summary>
    public static string Tag => TagLazy.Value;

    /// <summary>A unique suffix for a temporary name made by this process.</summary>
    public static string NewSuffix() => $"{Tag}-{Guid.NewGuid():N}";

    /// <summary>
    /// True when <paramref name="name"/> carries an owner tag and that process is still running; false for the tag of a process
    /// that has ended, and null for a name without a tag (made by an older version: whether it is in use is unknown).
    /// </summary>
    public static bool? IsOwnerAlive(string name)
    {
        var m = TagPattern().Match(name);
        if (!m.Success) return null;
        int pid = int.Parse(m.Groups[1].Value);
        long? recordedStart = m.Groups[2].Value == "x" ? null : Convert.ToInt64(m.Groups[2].Value, 16);
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux())
        {
            var start = StartTicks(pid);
            if (start is null) return false; // no such process
            return recordedStart is null || start == recordedStart;
        }
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static string TagOf(int pid, long? start) => start is long s ? $"p{pid}s{s:x}" : $"p{pid}sx";

    /// <summary>Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot (fixed for its life).</summary>
    private static long? StartTicks(int pid)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces or ')': the fields after the last ')' start at 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[22 - 3]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"p(\d+)s([0-9a-f]+|x)-[0-9a-f]{32}")]
    private static partial Regex TagPattern();
}
