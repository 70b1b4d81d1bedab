using System.Globalization;
using System.Text.RegularExpressions;
using SlimLLM.Tests.Support;
using SlimLLM.DevTools.Bench;

namespace SlimLLM.Tests.Bench;

public class BenchCommandTests
{
    [Fact]
    public void Shared_tinystories_case_prints_the_machine_line_and_one_row_with_positive_times()
    {
        using var work = TestData.NewTempDir("slimllm-bench");
        var r = ToolRunner.RunDev("bench", "--cases", "shared:tinystories-llama", "--samples", "4", "--seq-len", "32",
            "--data", TestData.Root, "--work", work.Path, "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n');
        Assert.Matches(@"^machine: .+, \d+ cores, [\d.]+ GB RAM, .+, device cpu$", lines[0]);
        Assert.Equal("", lines[1]);
        var header = Regex.Split(lines[2].Trim(), @"\s{2,}");
        Assert.Equal(BenchTable.Headers, header);
        Assert.Matches("^[- ]+$", lines[3]);
        var row = Regex.Split(lines[4].Trim(), @"\s{2,}");
        Assert.Equal(header.Length, row.Length);
        Assert.Equal(["shared tinystories-llama", "2x128/384, 8/4", "4x32"], row[..3]);
        string Cell(string column) => row[Array.IndexOf(header, column)];
        foreach (var phase in new[] { "calib fwd", "statistics", "total" })
            Assert.True(double.Parse(Cell(phase), CultureInfo.InvariantCulture) > 0, $"{phase} = {Cell(phase)}");
        Assert.True(double.Parse(Cell("total"), CultureInfo.InvariantCulture) >= double.Parse(Cell("statistics"), CultureInfo.InvariantCulture));
        Assert.True(int.Parse(Cell("passes"), CultureInfo.InvariantCulture) > 0);
        Assert.Equal("", lines[5]);
        Assert.Contains("[bench] shared tinystories-llama: ", r.Stderr);
        // Scratch output is removed; nothing but (absent) synthetic models stays in the work folder.
        Assert.Empty(Directory.EnumerateFileSystemEntries(work.Path));
    }
}
