using SlimLLM.Tests.Support;
using Xunit;
using static SlimLLM.Tests.Output.OutputSafetyTests;

namespace SlimLLM.Tests.Output;

/// <summary>A full or read-only disk is one line naming the folder, with nothing partial left.</summary>
public class DiskFailureTests
{
    [MountFact]
    public void A_full_disk_is_one_line_naming_the_drive_and_its_free_space_and_leaves_nothing_partial()
    {
        using var disk = new ScratchMount("1m"); // the pruned tiny model is 2 MB
        var r = ToolRunner.Run(Prune(Path.Combine(disk.Path, "slim")));
        AssertOneLineError(r, 2, "the disk is full: the drive holding");
        Assert.Contains("free", r.Stderr);
        Assert.Equal([".slim.lock"], Directory.GetFileSystemEntries(disk.Path).Select(Path.GetFileName));
    }

    [MountFact]
    public void A_read_only_output_or_cache_folder_is_one_line()
    {
        using var disk = new ScratchMount("1m", readOnly: true);
        using var dir = TestData.NewTempDir();
        AssertOneLineError(ToolRunner.Run(Prune(Path.Combine(disk.Path, "slim"))), 2, "read-only");
        var args = Prune(dir.File("slim"));
        args[Array.IndexOf(args, "--no-cache")] = "--cache-dir=" + Path.Combine(disk.Path, "cache");
        AssertOneLineError(ToolRunner.Run(args), 2, "read-only");
        Assert.False(Directory.Exists(dir.File("slim")));
    }
}
