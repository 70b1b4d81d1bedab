using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using SlimLLM.Tests.Support;
using Xunit.Abstractions;

namespace SlimLLM.Tests.Fuzz;

/// <summary>
/// Mutated safetensors headers, GGUF headers, config.json, tokenizer.json and slimllm.yaml (see <see cref="FuzzInputs"/>),
/// each run through the real tool as a child process: every input must end in exit 0 or 2, with its error as one line and
/// no stack trace, within 30 s and 2 GB of resident memory. Bounded to about a minute here
/// (SLIMLLM_FUZZ_SECONDS, SLIMLLM_FUZZ_ITERATIONS, SLIMLLM_FUZZ_SEED, SLIMLLM_FUZZ_WORKERS set a longer run: build/fuzz.sh;
/// SLIMLLM_FUZZ_VERBOSE=1 lists every input and its last stderr line).
/// Failing inputs are kept under the temp folder (slimllm-fuzz-failures/) with the command that failed.
/// </summary>
public partial class ToolFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PerInputTimeout = TimeSpan.FromSeconds(30);
    private const long PerInputMaxRss = 2L << 30;

    private sealed record Outcome(FuzzCase Case, string[] Args, BoundedToolResult Run, string? Failure);

    [Fact]
    public void Mutated_inputs_end_in_exit_0_or_2_with_one_line_within_time_and_memory_bounds()
    {
        var seconds = Setting("SLIMLLM_FUZZ_SECONDS", 50);
        var iterations = Setting("SLIMLLM_FUZZ_ITERATIONS", int.MaxValue);
        var seed = Setting("SLIMLLM_FUZZ_SEED", 13);
        var workers = Setting("SLIMLLM_FUZZ_WORKERS", 2);
        var inputs = new FuzzInputs(seed);
        var outcomes = new ConcurrentBag<Outcome>();
        var clock = Stopwatch.StartNew();
        int next = -1;
        using var root = TestData.NewTempDir("slimllm-fuzz");
        var env = new Dictionary<string, string>
        {
            ["SLIMLLM_CACHE"] = Path.Combine(root.Path, "cache"),
            ["HF_HUB_OFFLINE"] = "1",
            ["HF_HOME"] = Path.Combine(root.Path, "hf"),
            ["OMP_NUM_THREADS"] = "1",
        };

        var threads = Enumerable.Range(0, workers).Select(_ => new Thread(() =>
        {
            int i;
            while (clock.Elapsed.TotalSeconds < seconds && (i = Interlocked.Increment(ref next)) < iterations)
                outcomes.Add(RunCase(inputs.Case(i), Path.Combine(root.Path, $"case-{i}"), env, seed));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var all = outcomes.OrderBy(o => o.Case.Index).ToList();
        var failures = all.Where(o => o.Failure is not null).ToList();
        output.WriteLine($"fuzz: seed {seed}, {all.Count} inputs in {clock.Elapsed.TotalSeconds:F1} s ({workers} at a time): " +
                         $"exit 0: {all.Count(o => o.Run.Result.ExitCode == 0 && o.Run.Killed is null)}, " +
                         $"exit 2: {all.Count(o => o.Run.Result.ExitCode == 2 && o.Run.Killed is null)}, failures: {failures.Count}; " +
                         $"slowest {all.Select(o => o.Run.Elapsed.TotalSeconds).DefaultIfEmpty().Max():F1} s, " +
                         $"peak RSS {all.Select(o => o.Run.PeakRssBytes).DefaultIfEmpty().Max() >> 20} MB");
        foreach (var g in all.GroupBy(o => o.Case.Target))
            output.WriteLine($"  {g.Key,-12} {g.Count(),4} inputs: exit 0 {g.Count(o => o.Run.Result.ExitCode == 0),4}, exit 2 {g.Count(o => o.Run.Result.ExitCode == 2),4}, " +
                             $"failures {g.Count(o => o.Failure is not null)}");
        if (Environment.GetEnvironmentVariable("SLIMLLM_FUZZ_VERBOSE") == "1")
            foreach (var o in all)
                output.WriteLine($"case {o.Case.Index} ({o.Case.Mutation}): exit {o.Run.Result.ExitCode} in {o.Run.Elapsed.TotalSeconds:F1} s{FirstLine(o.Run.Result.Stderr.Split('\n').LastOrDefault(l => l.Length > 0) ?? "")}");
        foreach (var f in failures)
            output.WriteLine($"FAIL case {f.Case.Index} ({f.Case.Mutation}): {f.Failure}\n  kept in {KeptFolder(seed, f.Case)}\n  " +
                             $"stderr: {Tail(f.Run.Result.Stderr, 6).Replace("\n", "\n          ")}");

        Assert.All(FuzzInputs.Targets, t => Assert.True(all.Count(o => o.Case.Target == t) >= Math.Min(2, iterations / FuzzInputs.Targets.Length),
            $"too few {t} inputs were tried"));
        Assert.True(failures.Count == 0, $"{failures.Count} of {all.Count} inputs broke the rule: " +
            string.Join("; ", failures.Take(10).Select(f => $"case {f.Case.Index} ({f.Case.Mutation}): {f.Failure}")));
    }

    private static Outcome RunCase(FuzzCase c, string dir, IDictionary<string, string> env, int seed)
    {
        Directory.CreateDirectory(dir);
        var args = c.Prepare(dir);
        var run = ToolRunner.RunBounded(dir, env, PerInputTimeout, PerInputMaxRss, args);
        var failure = Judge(run);
        if (failure is not null)
        {
            var kept = KeptFolder(seed, c);
            if (Directory.Exists(kept)) Directory.Delete(kept, recursive: true);
            Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
            CopyResolved(dir, kept);
            File.WriteAllText(Path.Combine(kept, "repro.txt"),
                $"{c.Mutation}\ncd {dir} && dotnet {ToolRunner.ToolDll} {string.Join(' ', args.Select(Quote))}\n(paths under {dir} are now under {kept})\n" +
                $"exit {run.Result.ExitCode}{(run.Killed is null ? "" : ", killed: " + run.Killed)}\n--- stderr\n{run.Result.Stderr}\n--- stdout\n{Tail(run.Result.Stdout, 20)}\n");
        }
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return new Outcome(c, args, run, failure);
    }

    /// <summary>Null when the run kept the rule; otherwise what it broke.</summary>
    internal static string? Judge(BoundedToolResult run)
    {
        if (run.Killed is not null) return "killed: " + run.Killed;
        var (exit, stderr) = (run.Result.ExitCode, run.Result.Stderr);
        if (exit is not (0 or 2)) return $"exit code {exit}" + FirstLine(stderr);
        if (StackFrame().IsMatch(stderr) || stderr.Contains("Unhandled exception", StringComparison.Ordinal))
            return "stack trace on stderr" + FirstLine(stderr);
        if (exit == 0) return null;
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => l.StartsWith("error: ", StringComparison.Ordinal) || ManifestError().IsMatch(l)).ToList();
        if (errors.Count == 0) return "exit 2 without an error line" + FirstLine(stderr);
        // A manifest may report several problems, one canonical line each; any other failure is exactly one line.
        if (errors.Count > 1 && !errors.All(l => ManifestError().IsMatch(l))) return $"{errors.Count} error lines";
        if (lines[^1] != errors[^1]) return "the error is not the last line on stderr";
        return null;
    }

    [GeneratedRegex(@"^\s+at \S", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"^.+\(\d+(,\d+)?\): error SLIM\d+: ")]
    private static partial Regex ManifestError();

    private static string FirstLine(string s) => s.Length == 0 ? "" : ": " + s.Split('\n')[0].Trim();
    private static string Tail(string s, int lines) => string.Join('\n', s.TrimEnd().Split('\n').TakeLast(lines));
    private static string Quote(string a) => a.Length > 0 && a.All(ch => char.IsLetterOrDigit(ch) || "-_./=".Contains(ch)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    private static string KeptFolder(int seed, FuzzCase c) =>
        Path.Combine(Path.GetTempPath(), "slimllm-fuzz-failures", $"seed{seed}-case{c.Index}-{c.Target}");

    /// <summary>Copies a case folder, following the links to the shared data so that the copy stands alone.</summary>
    private static void CopyResolved(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
        foreach (var d in Directory.GetDirectories(from)) CopyResolved(d, Path.Combine(to, Path.GetFileName(d)));
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;
}
