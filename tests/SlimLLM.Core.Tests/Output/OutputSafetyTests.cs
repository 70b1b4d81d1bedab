using System.Diagnostics;
using System.Security.Cryptography;
using SlimLLM.IO;
using SlimLLM.Tests.Support;
using Xunit;

namespace SlimLLM.Tests.Output;

/// <summary>
/// The tool owns only folders it created: it never replaces a folder with user files, the current folder, the source model,
/// the manifest's project, or a file; killed runs' leftovers are removed by the next run, never a live run's.
/// </summary>
public class OutputSafetyTests
{
    internal static string[] Prune(string output, params string[] more) =>
    [
        "prune", "--model", TestData.TinyStoriesLlama, "-c", TestData.TinyStoriesValid, "--target", "0.2", "--samples", "4", "--seq-len", "64",
        "--no-cache", "--device", "cpu", "-o", output, .. more,
    ];

    internal static void AssertOneLineError(ToolResult r, int exitCode, string contains)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}\n{r.Stderr}");
        var errors = r.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains(contains, errors[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    internal static Dictionary<string, string> Hashes(string folder) => Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void A_folder_with_user_files_is_refused_and_left_as_it_was()
    {
        using var dir = TestData.NewTempDir();
        var output = dir.File("mine");
        Directory.CreateDirectory(Path.Combine(output, "src"));
        File.WriteAllText(Path.Combine(output, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(output, "src", "Program.cs"), "class P {}");
        var before = Hashes(output);
        AssertOneLineError(ToolRunner.Run(Prune(output)), 2, "is not a slimllm output");
        Assert.Equal(before, Hashes(output));
        Assert.Equal(["mine"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Where(n => !n!.EndsWith(".lock")));
    }

    [Fact]
    public void A_previous_output_with_a_user_file_added_is_refused()
    {
        using var dir = TestData.NewTempDir();
        var output = dir.File("slim");
        Assert.Equal(0, ToolRunner.Run(Prune(output)).ExitCode);
        File.WriteAllText(Path.Combine(output, "README.md"), "my notes");
        AssertOneLineError(ToolRunner.Run(Prune(output)), 2, "'README.md', which slimllm did not write");
        Assert.Equal("my notes", File.ReadAllText(Path.Combine(output, "README.md")));
    }

    [Fact]
    public void The_current_folder_and_its_parents_are_never_replaced()
    {
        using var dir = TestData.NewTempDir();
        var work = Directory.CreateDirectory(dir.File("work")).FullName;
        File.WriteAllText(Path.Combine(work, "slimllm.json"), "{}"); // even with the marker
        AssertOneLineError(ToolRunner.RunIn(work, null, Prune(".")), 2, "is the current folder");
        AssertOneLineError(ToolRunner.RunIn(work, null, Prune("..")), 2, "contains the current folder");
        Assert.True(File.Exists(Path.Combine(work, "slimllm.json")));
    }

    [Fact]
    public void The_source_model_and_the_input_texts_are_never_replaced()
    {
        using var dir = TestData.NewTempDir();
        var model = dir.File("base");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(TestData.TinyStoriesLlama)) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(model, "slimllm.json"), "{}"); // looks like an output: still the source
        var before = Hashes(model);
        var args = Prune(model);
        args[Array.IndexOf(args, "--model") + 1] = model;
        AssertOneLineError(ToolRunner.Run(args), 2, "is the model being pruned");
        var text = dir.File("texts/calib.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(text)!);
        File.Copy(TestData.TinyStoriesValid, text);
        args = Prune(dir.File("texts"));
        args[Array.IndexOf(args, "-c") + 1] = text;
        AssertOneLineError(ToolRunner.Run(args), 2, "contains an input of this run");
        Assert.Equal(before, Hashes(model));
        Assert.True(File.Exists(text));
    }

    [Fact]
    public void A_manifest_whose_output_is_its_own_project_is_refused()
    {
        using var dir = TestData.NewTempDir();
        var project = Directory.CreateDirectory(dir.File("proj")).FullName;
        File.WriteAllText(Path.Combine(project, "Program.cs"), "class P {}");
        File.WriteAllText(Path.Combine(project, "slimllm.yaml"), $"""
            models:
              - name: proj
                source: {"{"} path: {TestData.TinyStoriesLlama} {"}"}
                calibration: {"{"} files: ["{TestData.TinyStoriesValid}"], samples: 4, seq_len: 64 {"}"}
                pruning: {"{"} target: 0.2 {"}"}
                output: {"{"} dir: .. {"}"}
                device: cpu
            """);
        var before = Hashes(project);
        AssertOneLineError(ToolRunner.RunIn(project, null, "prune", "--no-cache"), 2, "is the manifest's folder");
        Assert.Equal(before, Hashes(project));
    }

    [Fact]
    public void An_output_path_that_is_a_file_is_a_one_line_error()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("taken"), "x");
        AssertOneLineError(ToolRunner.Run(Prune(dir.File("taken"))), 2, "is a file");
        Assert.Equal("x", File.ReadAllText(dir.File("taken")));
    }

    [Fact]
    public void Leftovers_of_killed_runs_are_removed_and_a_live_runs_are_kept()
    {
        using var dir = TestData.NewTempDir();
        var output = dir.File("slim");
        string legacy = dir.File($".slim.tmp-{Guid.NewGuid():N}"), dead = dir.File($".slim.tmp-p{DeadPid()}s1-{Guid.NewGuid():N}");
        string old = dir.File($".slim.old-p{DeadPid()}sx-{Guid.NewGuid():N}"), live = dir.File($".slim.tmp-{TempOwner.NewSuffix()}");
        string other = dir.File($".other.tmp-{Guid.NewGuid():N}");
        foreach (var d in new[] { legacy, dead, old, live, other })
        {
            Directory.CreateDirectory(d);
            File.WriteAllBytes(Path.Combine(d, "model.safetensors"), new byte[1000]);
        }
        var r = ToolRunner.Run(Prune(output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("removed 3 temporary file(s) or folder(s) left by runs that were killed", r.Stderr);
        Assert.False(Directory.Exists(legacy) || Directory.Exists(dead) || Directory.Exists(old));
        Assert.True(Directory.Exists(live)); // this test process is alive: its folder is not a leftover
        Assert.True(Directory.Exists(other)); // another output's
        Assert.True(File.Exists(Path.Combine(output, "slimllm.json")));
    }

    [Fact]
    public void Owner_tags_tell_live_processes_from_ended_ones()
    {
        Assert.True(TempOwner.IsOwnerAlive(TempOwner.NewSuffix()));
        Assert.False(TempOwner.IsOwnerAlive($"p{DeadPid()}s1-{Guid.NewGuid():N}"));
        Assert.Null(TempOwner.IsOwnerAlive(Guid.NewGuid().ToString("N")));
        if (OperatingSystem.IsLinux()) // pid 1 is alive, but it did not start at tick 1 after boot... unless it did: use an impossible start
            Assert.False(TempOwner.IsOwnerAlive($"p1s{long.MaxValue:x}-{Guid.NewGuid():N}"));
    }

    /// <summary>The pid of a process that has ended.</summary>
    internal static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }
}

public class ExportOutputSafetyTests
{
    [Fact]
    public void Export_never_replaces_a_file_that_is_not_gguf()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("notes.txt"), "mine");
        OutputSafetyTests.AssertOneLineError(ToolRunner.Run("export", "--model", TestData.TinyStoriesLlama, "-o", dir.File("notes.txt")), 2, "is not a GGUF file");
        Assert.Equal("mine", File.ReadAllText(dir.File("notes.txt")));
        // An earlier export is replaced.
        Assert.Equal(0, ToolRunner.Run("export", "--model", TestData.TinyStoriesLlama, "-o", dir.File("m.gguf")).ExitCode);
        Assert.Equal(0, ToolRunner.Run("export", "--model", TestData.TinyStoriesLlama, "-o", dir.File("m.gguf")).ExitCode);
    }
}

public class OutputNameTests
{
    [Fact]
    public void An_output_name_too_long_for_the_file_system_is_a_one_line_error()
    {
        using var dir = TestData.NewTempDir();
        OutputSafetyTests.AssertOneLineError(ToolRunner.Run(OutputSafetyTests.Prune(dir.File(new string('n', 300)))), 2, "300 bytes long; at most 160");
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}

public class CacheLeftoverTests
{
    [Fact]
    public void A_cache_sweep_removes_half_written_entries_and_half_extracted_packages_of_ended_processes_only()
    {
        using var dir = TestData.NewTempDir();
        int dead = OutputSafetyTests.DeadPid();
        string deadFile = dir.File($"stats/ab/abc.safetensors.p{dead}s1-{Guid.NewGuid():N}.staging");
        string deadFolder = dir.File($"nuget/.model.1.0.0.tmp-p{dead}s1-{Guid.NewGuid():N}");
        string liveFile = dir.File($"stats/ab/.abd.safetensors.{TempOwner.NewSuffix()}.tmp");
        string liveFolder = dir.File($"nuget/.other.1.0.0.tmp-{TempOwner.NewSuffix()}");
        string entry = dir.File("stats/ab/abc.safetensors");
        foreach (var f in new[] { deadFile, liveFile, entry })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllText(f, "x");
        }
        foreach (var d in new[] { deadFolder, liveFolder }) Directory.CreateDirectory(Path.Combine(d, "content"));
        Assert.Equal(2, SlimLLM.Output.StaleTemps.SweepTree(dir.Path));
        Assert.False(File.Exists(deadFile) || Directory.Exists(deadFolder));
        Assert.True(File.Exists(liveFile) && Directory.Exists(liveFolder) && File.Exists(entry));
    }
}
