using SlimLLM.Tests.Support;
using Xunit;
using static SlimLLM.Tests.Output.OutputSafetyTests;

namespace SlimLLM.Tests.Output;

/// <summary>A full or read-only disk is one line naming the folder, with nothing partial left.</summary>
public class DiskFailureTests
{
    [MountFact]
    public void An_output_larger_than_the_free_space_is_refused_before_any_work_naming_the_space_needed()
    {
        using var disk = new ScratchMount("1m"); // the pruned tiny model is 2 MB
        var r = ToolRunner.Run(Prune(Path.Combine(disk.Path, "slim")));
        AssertOneLineError(r, 2, "the pruned model needs about");
        Assert.Contains("free", r.Stderr);
        Assert.DoesNotContain("dense pass", r.Stderr);
        Assert.Equal([".slim.lock"], Directory.GetFileSystemEntries(disk.Path).Select(Path.GetFileName));
    }

    [MountFact]
    public void A_disk_that_fills_up_while_writing_is_one_line_naming_the_drive_and_leaves_no_partial_file()
    {
        using var disk = new ScratchMount("1m");
        using var big = TorchSharp.torch.zeros(512 * 1024); // 2 MB of float32
        var e = Assert.Throws<SlimLLM.Errors.SlimLLMException>(() =>
            SlimLLM.IO.Safetensors.SafetensorsWriter.Write(Path.Combine(disk.Path, "model.safetensors"), [("w", big)]));
        Assert.Contains($"the disk is full: the drive holding {disk.Path} has", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
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
