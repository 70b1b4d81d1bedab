using SlimLLM.Testing;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace SlimLLM.Build.Tests;

/// <summary>
/// The SlimLLM.Build package as a user gets it: packed to a local feed, referenced by a fresh project with a slimllm.yaml
/// that prunes stories260K by 20%, and driven with real dotnet build, clean, pack and publish processes.
/// </summary>
[Trait("Category", "Slow")]
[Collection(PackageFeedCollection.Name)]
public sealed class MSBuildIntegrationTests
{
    private const string ResultLine = "SlimLLM -> tiny-slim: parameters";
    private const string PruneTargetSkipped = "Skipping target \"SlimLLMPruneModels\" because all output files are up-to-date";
    private readonly PackageFeedFixture _feed;
    private readonly ITestOutputHelper _log;

    public MSBuildIntegrationTests(PackageFeedFixture feed, ITestOutputHelper log)
    {
        _feed = feed;
        _log = log;
        _log.WriteLine($"build/pack.sh on a copy of the working tree ({feed.Version}): {feed.PackTime.TotalSeconds:F1} s");
    }

    private static string Manifest(double target = 0.2, string evaluate = "", string extraPruning = "", string? calibration = null) => $"""
        models:
          - name: tiny-slim
            source:
              path: {Paths.Stories260KGguf}
            calibration:
              files: ["{calibration ?? Paths.TinyStoriesValid}"]
              samples: 8
              seq_len: 64
            pruning:
              method: slimllm
              target: {target.ToString(System.Globalization.CultureInfo.InvariantCulture)}{extraPruning}
        {evaluate}
        """;

    private string Project(string outputType = "Exe", string extra = "") => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>{outputType}</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <SlimLLMCacheDir>$(MSBuildProjectDirectory)/../cache</SlimLLMCacheDir>
            {extra}
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="SlimLLM.Build" Version="{_feed.Version}" PrivateAssets="all" />
          </ItemGroup>
        </Project>
        """;

    private const string ProgramCs = """Console.WriteLine(File.Exists(Path.Combine(AppContext.BaseDirectory, "models", "tiny-slim", "model.safetensors")));""";

    private string NewApp(string manifest) =>
        _feed.NewProject("app", new Dictionary<string, string> { ["App.csproj"] = Project(), ["Program.cs"] = ProgramCs, ["slimllm.yaml"] = manifest });

    private DotnetResult Build(string dir, params string[] extra)
    {
        var r = _feed.Dotnet(dir, ["build", "-nodeReuse:false", .. extra]);
        _log.WriteLine($"dotnet build {string.Join(' ', extra)}: exit {r.ExitCode}, {r.Elapsed.TotalSeconds:F2} s");
        return r;
    }

    private static string ModelsIn(string dir) => Path.Combine(dir, "bin", "Debug", "net10.0", "models", "tiny-slim");
    private static string Sha256(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    [Fact]
    public void The_packed_runtime_tells_a_story_with_the_built_model_whose_perplexity_matches_its_provenance()
    {
        var manifest = Manifest(evaluate: $"    evaluate:\n      - text: {Paths.TinyStoriesValid}\n        max_tokens: 2048\n");
        var project = Project().Replace("</ItemGroup>", $"  <PackageReference Include=\"SlimLLM.Runtime\" Version=\"{_feed.Version}\" />\n  </ItemGroup>");
        const string program = """
            using SlimLLM.Runtime;
            using var model = SlimModel.Load("models/tiny-slim", "cpu");
            Console.WriteLine(model.Generate("", new GenerationOptions { MaxNewTokens = 24 }));
            """;
        var dir = _feed.NewProject("story", new Dictionary<string, string> { ["App.csproj"] = project, ["Program.cs"] = program, ["slimllm.yaml"] = manifest });
        var build = Build(dir);
        Assert.True(build.ExitCode == 0, build.Output);

        var run = _feed.Dotnet(dir, "run", "--no-build");
        Assert.True(run.ExitCode == 0, run.Output);
        _log.WriteLine("story: " + run.Output.Trim());
        // The packed runtime (KV cache) decodes exactly what the tool's full-recompute greedy decoding gives for that folder.
        var tool = Path.Combine(Paths.RepoRoot, "src", "SlimLLM.Tool", "bin", _feed.Configuration, "net10.0", "slimllm.dll");
        var reference = DotnetProcess.Run(dir, new Dictionary<string, string>(), tool, "generate", "--model", ModelsIn(dir), "--max-new-tokens", "24", "--device", "cpu");
        Assert.True(reference.ExitCode == 0, reference.Output);
        Assert.StartsWith("Once upon a", run.Output.Trim());
        Assert.Equal(reference.Output.Trim(), run.Output.Trim());

        // The model in bin/ is the one the provenance describes: measuring it again gives the recorded perplexity.
        var provenance = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelsIn(dir), "slimllm.json")));
        double recorded = provenance.RootElement.GetProperty("evaluation")[0].GetProperty("pruned_perplexity").GetDouble();
        var eval = DotnetProcess.Run(dir, new Dictionary<string, string>(), tool, "eval", "--model", ModelsIn(dir), "--text", Paths.TinyStoriesValid,
            "--max-tokens", "2048", "--device", "cpu", "--json");
        Assert.True(eval.ExitCode == 0, eval.Output);
        var json = eval.Output[eval.Output.IndexOf('{')..(eval.Output.LastIndexOf('}') + 1)];
        double measured = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("perplexity").GetDouble();
        FloatTolerance.AssertRelative(recorded, measured);
    }

    [Fact]
    public void Build_prunes_into_the_output_skips_unchanged_rebuilds_reprunes_on_edit_and_clean_removes_it()
    {
        // The calibration text is the project's own file (beside the manifest), so the test can edit it.
        var dir = NewApp(Manifest(calibration: "calib.txt"));
        File.WriteAllText(Path.Combine(dir, "calib.txt"), File.ReadAllText(Paths.TinyStoriesValid));

        var first = Build(dir);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Matches(@"SlimLLM -> tiny-slim: parameters [\d,]+ → [\d,]+ \(-\d+\.\d%, decoder layers -\d+\.\d%\)", first.Output);
        var models = ModelsIn(dir);
        Assert.True(File.Exists(Path.Combine(models, "model.safetensors")), first.Output);
        Assert.True(File.Exists(Path.Combine(models, "slimllm.json")));
        Assert.True(File.Exists(Path.Combine(models, "config.json")));
        // The output holds exactly what the tool wrote.
        var toolOut = Path.Combine(dir, "out", "tiny-slim");
        Assert.Equal(Directory.GetFiles(toolOut).Select(Path.GetFileName).Order(), Directory.GetFiles(models).Select(Path.GetFileName).Order());
        Assert.Equal(Sha256(Path.Combine(toolOut, "model.safetensors")), Sha256(Path.Combine(models, "model.safetensors")));
        long size20 = new FileInfo(Path.Combine(models, "model.safetensors")).Length;

        var run = _feed.Dotnet(dir, "run", "--no-build");
        Assert.Equal("True", run.Output.Trim());

        var second = Build(dir, "-v:n");
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains(PruneTargetSkipped, second.Output);
        Assert.DoesNotContain(ResultLine, second.Output);
        Assert.True(File.Exists(Path.Combine(models, "model.safetensors")));

        // Extra time of an unchanged build over the same build without SlimLLM (best of two each, after a warm-up).
        var off = new[] { Build(dir, "--no-restore", "-p:SlimLLMEnabled=false"), Build(dir, "--no-restore", "-p:SlimLLMEnabled=false") };
        Assert.All(off, r => Assert.Equal(0, r.ExitCode));
        Assert.All(off, r => Assert.DoesNotContain("SlimLLM", r.Output));
        Build(dir, "--no-restore");
        var on = new[] { Build(dir, "--no-restore"), Build(dir, "--no-restore") };
        Assert.All(on, r => Assert.Equal(0, r.ExitCode));
        double extra = on.Min(r => r.Elapsed.TotalSeconds) - off.Min(r => r.Elapsed.TotalSeconds);
        _log.WriteLine($"unchanged build: {on.Min(r => r.Elapsed.TotalSeconds):F2} s with SlimLLM, {off.Min(r => r.Elapsed.TotalSeconds):F2} s with SlimLLMEnabled=false: {extra:+0.00;-0.00} s");
        // Printed, not asserted: timings belong to benchmarks (this machine's load varies); that the prune target is skipped
        // on an unchanged build is asserted above.

        // An edited calibration text is an input too (the manifest only names it): the model is pruned again, once.
        File.AppendAllText(Path.Combine(dir, "calib.txt"), "\nOnce upon a time, a small robot learned to count the stars.\n");
        var recalibrated = Build(dir, "--no-restore", "-v:d");
        Assert.True(recalibrated.ExitCode == 0, recalibrated.Output);
        Assert.Matches(@"Input file "".*calib\.txt"" is newer than output file "".*\.stamp""", recalibrated.Output);
        Assert.Contains(ResultLine, recalibrated.Output);
        var settled = Build(dir, "--no-restore", "-v:n");
        Assert.Contains(PruneTargetSkipped, settled.Output);
        Assert.DoesNotContain(ResultLine, settled.Output);

        // So is the engine: a newer assembly in the tool's folder (SlimLLM.Core.dll, not only slimllm.dll) prunes again.
        var engine = Path.Combine(_feed.Env["NUGET_PACKAGES"], "slimllm.build", _feed.Version, "tools", "slimllm", "SlimLLM.Core.dll");
        Assert.True(File.Exists(engine), engine);
        File.SetLastWriteTimeUtc(engine, DateTime.UtcNow);
        var reengined = Build(dir, "--no-restore");
        Assert.True(reengined.ExitCode == 0, reengined.Output);
        Assert.Contains(ResultLine, reengined.Output);

        File.WriteAllText(Path.Combine(dir, "slimllm.yaml"), Manifest(target: 0.4, calibration: "calib.txt"));
        var edited = Build(dir);
        Assert.True(edited.ExitCode == 0, edited.Output);
        Assert.Contains(ResultLine, edited.Output);
        long size40 = new FileInfo(Path.Combine(models, "model.safetensors")).Length;
        Assert.True(size40 < size20, $"pruning 40% left {size40} bytes, 20% left {size20}");
        Assert.Contains("\"target\": 0.4", File.ReadAllText(Path.Combine(models, "slimllm.json")).Replace("\"target_reduction\"", "\"target\""));

        var publish = _feed.Dotnet(dir, "publish", "-c", "Debug", "--no-restore", "-o", Path.Combine(dir, "pub"), "-nodeReuse:false");
        Assert.True(publish.ExitCode == 0, publish.Output);
        Assert.Equal(Sha256(Path.Combine(models, "model.safetensors")), Sha256(Path.Combine(dir, "pub", "models", "tiny-slim", "model.safetensors")));

        var clean = _feed.Dotnet(dir, "clean", "-nodeReuse:false");
        Assert.True(clean.ExitCode == 0, clean.Output);
        Assert.False(Directory.Exists(models) && Directory.EnumerateFiles(models).Any(), "dotnet clean left the model in the output");
        Assert.False(Directory.Exists(toolOut), "dotnet clean left the pruned model folder");
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "obj"), "*.stamp", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_default_terminal_logger_shows_one_line_per_model_with_the_parameters_and_perplexities_of_its_provenance()
    {
        var dir = NewApp(Manifest(evaluate: $"    evaluate:\n      - text: {Paths.TinyStoriesValid}\n        max_tokens: 2048\n"));
        // -tl:on is the terminal logger an interactive `dotnet build` picks by itself (here stdout is a pipe, so it is forced).
        var r = Build(dir, "-tl:on");
        Assert.True(r.ExitCode == 0, r.Output);
        var screen = Regex.Replace(r.Output, @"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x1b]*\x1b\\)", "");
        var lines = Regex.Matches(screen, @"^\s*SlimLLM succeeded \([\d.]+s\) → tiny-slim: parameters (?<b>[\d,]+) → (?<a>[\d,]+) \((?<t>-\d+\.\d)%, decoder layers (?<dl>-\d+\.\d)%\), " +
                                         @"perplexity (?<d>\d+\.\d{3}) → (?<p>\d+\.\d{3}) \((?<i>\+\d+\.\d)%\) on tinystories-valid\.txt\r?$", RegexOptions.Multiline);
        var m = Assert.Single(lines);
        // The numbers are those of the model in the output: its provenance's.
        var provenance = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelsIn(dir), "slimllm.json"))).RootElement;
        var parameters = provenance.GetProperty("parameters");
        long before = parameters.GetProperty("before").GetProperty("total").GetInt64(), after = parameters.GetProperty("after").GetProperty("total").GetInt64();
        Assert.Equal(before.ToString("N0", CultureInfo.InvariantCulture), m.Groups["b"].Value);
        Assert.Equal(after.ToString("N0", CultureInfo.InvariantCulture), m.Groups["a"].Value);
        Assert.Equal(((double)after / before - 1) * 100, double.Parse(m.Groups["t"].Value, CultureInfo.InvariantCulture), 0.051);
        var evaluation = provenance.GetProperty("evaluation")[0];
        double dense = evaluation.GetProperty("dense_perplexity").GetDouble(), pruned = evaluation.GetProperty("pruned_perplexity").GetDouble();
        Assert.Equal(dense, double.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture), 0.0005);
        Assert.Equal(pruned, double.Parse(m.Groups["p"].Value, CultureInfo.InvariantCulture), 0.0005);
        Assert.Equal((pruned / dense - 1) * 100, double.Parse(m.Groups["i"].Value, CultureInfo.InvariantCulture), 0.051);
        // The detail line is for -v:n; the terminal logger shows the result once.
        Assert.DoesNotContain("SlimLLM: tiny-slim ->", screen);
    }

    [Fact]
    public void Ctrl_C_in_dotnet_build_mid_prune_stops_the_tool_cleanly_and_leaves_the_previous_output_as_it_was()
    {
        var dir = NewApp(Manifest());
        var first = Build(dir);
        Assert.True(first.ExitCode == 0, first.Output);
        var toolOut = Path.Combine(dir, "out");
        string Snapshot() => string.Join("\n", Directory.GetFileSystemEntries(toolOut, "*", SearchOption.AllDirectories).Order()
            .Select(e => Path.GetRelativePath(toolOut, e) + (File.Exists(e) ? " " + Sha256(e) : "/")));
        var before = Snapshot();

        // A heavier prune (more and longer samples, no cache), interrupted once its layers are being pruned and written.
        File.WriteAllText(Path.Combine(dir, "slimllm.yaml"), Manifest(target: 0.4).Replace("samples: 8", "samples: 32").Replace("seq_len: 64", "seq_len: 128"));
        var signalled = Stopwatch.StartNew();
        signalled.Stop();
        int sent = 0;
        var r = _feed.Dotnet(dir, (p, line) =>
        {
            // Only the dotnet build process: MSBuild's cancel must reach the tool (a terminal's Ctrl-C would also signal the tool itself).
            if (line.Contains("slimllm: tiny-slim: pruning layers") && Interlocked.Exchange(ref sent, 1) == 0)
            {
                using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
                signalled.Start();
            }
        }, "build", "-nodeReuse:false", "-v:n", "-p:SlimLLMCacheDir=" + Path.Combine(dir, "no-cache"));
        _log.WriteLine($"cancelled build: exit {r.ExitCode}, {signalled.Elapsed.TotalSeconds:F2} s from SIGINT to exit");

        Assert.True(sent == 1, r.Output);
        Assert.True(r.ExitCode != 0, r.Output);
        // The tool stopped by itself at its next safe point, as on SIGINT, and said so; no stack trace, no kill.
        Assert.Contains("slimllm: the build was cancelled: stopping at the next safe point", r.Output);
        Assert.Contains("cancelled by SIGINT; temporary files were removed and any previous output left as it was.", r.Output);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(|Exception", r.Output);
        Assert.DoesNotContain("MSB5002", r.Output); // MSBuild's "the task did not stop, killing it"
        Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(50), $"{signalled.Elapsed} from SIGINT to exit");
        // The previous model is untouched and nothing half-written is left beside it.
        Assert.Equal(before, Snapshot());
        // No slimllm process of this project is left running.
        var running = Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Select(d => { try { return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' '); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
            .Where(c => c.Contains("slimllm.dll") && c.Contains(dir)).ToList();
        Assert.Empty(running);
    }

    [Fact]
    public void A_yaml_error_is_an_msbuild_error_with_file_line_column_and_code()
    {
        var dir = NewApp(Manifest(extraPruning: "\n      taget: 0.3"));
        var r = Build(dir);
        Assert.NotEqual(0, r.ExitCode);
        var manifest = Path.Combine(dir, "slimllm.yaml");
        // MSBuild's console logger prints the error it received with its file, line, column and code.
        Assert.Contains($"{manifest}(12,7): error SLIM002: unknown key 'taget' in 'pruning'. Did you mean 'target'?", r.Output);
        Assert.DoesNotContain("MSB6006", r.Output);
        Assert.False(Directory.Exists(ModelsIn(dir)));
    }

    [Fact]
    public void An_evaluate_gate_failure_fails_the_build_with_both_perplexities()
    {
        var dir = NewApp(Manifest(evaluate: $"    evaluate:\n      - text: {Paths.TinyStoriesValid}\n        max_tokens: 4096\n        max_perplexity_increase: 0.01\n"));
        var r = Build(dir);
        Assert.NotEqual(0, r.ExitCode);
        var m = Regex.Match(r.Output, @"slimllm\.yaml : error SLIM101: model 'tiny-slim' failed its evaluate gate: perplexity on .*tinystories-valid\.txt rose from (?<d>\d+\.\d{3}) \(dense\) to (?<p>\d+\.\d{3}) \(pruned\), \+\d+\.\d%, above the allowed \+1\.0%\.");
        Assert.True(m.Success, r.Output);
        // The error names the folder the rejected model was put in, which is there to inspect.
        var rejected = Path.Combine(dir, "out", "tiny-slim.rejected");
        Assert.Contains($"The rejected model is in {rejected}; the previous output was left as it was.", r.Output);
        Assert.True(File.Exists(Path.Combine(rejected, "model.safetensors")), r.Output);
        Assert.True(double.Parse(m.Groups["p"].Value, System.Globalization.CultureInfo.InvariantCulture) >
                    double.Parse(m.Groups["d"].Value, System.Globalization.CultureInfo.InvariantCulture) * 1.01);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "obj"), "*.stamp", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_same_model_project_packed_twice_from_two_folders_gives_byte_identical_nupkgs()
    {
        var packages = new List<byte[]>();
        foreach (var name in new[] { "first", "second" })
        {
            var lib = _feed.NewProject(name, new Dictionary<string, string>
            {
                // PathMap: the compiler writes the pdb's path into the (empty) library, which would differ between the folders.
                ["ModelPackage.csproj"] = Project("Library", "<PackageId>ReproduciblePackage</PackageId><Version>1.0.0</Version>" +
                                                             "<PathMap>$(MSBuildProjectDirectory)=/_/</PathMap>"),
                ["slimllm.yaml"] = Manifest(),
            });
            var output = Path.Combine(lib, "nupkg");
            var pack = _feed.Dotnet(lib, "pack", "-c", "Debug", "-o", output, "-nodeReuse:false");
            Assert.True(pack.ExitCode == 0, pack.Output);
            packages.Add(File.ReadAllBytes(Path.Combine(output, "ReproduciblePackage.1.0.0.nupkg")));
            Thread.Sleep(1100); // the second pack's files get other times: the zip must not carry them
        }
        Assert.True(packages[0].SequenceEqual(packages[1]), "the two .nupkg files differ: " + DifferingEntries(packages[0], packages[1]));
        using var zip = new ZipArchive(new MemoryStream(packages[0]));
        Assert.NotNull(zip.GetEntry("contentFiles/any/any/models/tiny-slim/slimllm.json"));
        Assert.All(zip.Entries, e => Assert.True(e.LastWriteTime.Year <= 2000, $"{e.FullName}: {e.LastWriteTime}")); // 2000-01-01 UTC, in local time
    }

    private static string DifferingEntries(byte[] a, byte[] b)
    {
        static Dictionary<string, string> Entries(byte[] zip)
        {
            using var archive = new ZipArchive(new MemoryStream(zip));
            return archive.Entries.ToDictionary(e => e.FullName, e =>
            {
                using var s = e.Open();
                return $"{Convert.ToHexString(SHA256.HashData(s))[..12]} {e.LastWriteTime:O}";
            });
        }
        var (ea, eb) = (Entries(a), Entries(b));
        return string.Join("; ", ea.Keys.Union(eb.Keys).Where(k => ea.GetValueOrDefault(k) != eb.GetValueOrDefault(k))
            .Select(k => $"{k}: {ea.GetValueOrDefault(k)} / {eb.GetValueOrDefault(k)}"));
    }

    [Fact]
    public void A_packed_library_ships_the_model_as_content_files_and_a_consuming_app_gets_it_in_its_output()
    {
        var lib = _feed.NewProject("modelpkg", new Dictionary<string, string>
        {
            ["ModelPackage.csproj"] = Project("Library", $"<PackageId>ModelPackage</PackageId><Version>{_feed.Version}</Version>"),
            ["slimllm.yaml"] = Manifest(),
        });
        var pack = _feed.Dotnet(lib, "pack", "-c", "Debug", "-o", _feed.Feed, "-p:SlimLLMPackageSizeLimit=1000", "-nodeReuse:false");
        Assert.True(pack.ExitCode == 0, pack.Output);
        Assert.Matches(@"slimllm\.yaml : warning SLIM200: the pruned models add [\d.]+ MB to the package ModelPackage, above 0 MB \(nuget\.org accepts at most 250 MB\)\. Push it to a private feed", pack.Output);

        var nupkg = Path.Combine(_feed.Feed, $"ModelPackage.{_feed.Version}.nupkg");
        string modelHash;
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var entry = zip.GetEntry("contentFiles/any/any/models/tiny-slim/model.safetensors");
            Assert.NotNull(entry);
            Assert.NotNull(zip.GetEntry("contentFiles/any/any/models/tiny-slim/slimllm.json"));
            using (var s = entry!.Open()) modelHash = Convert.ToHexString(SHA256.HashData(s));
            using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open());
            var text = nuspec.ReadToEnd();
            Assert.Contains("<files include=\"any/any/models/tiny-slim/model.safetensors\" buildAction=\"Content\" copyToOutput=\"true\" />", text);
            Assert.DoesNotContain("SlimLLM.Build", text); // PrivateAssets="all": consumers of the package do not prune again
        }
        Assert.Equal(Sha256(Path.Combine(lib, "out", "tiny-slim", "model.safetensors")), modelHash);

        var app = _feed.NewProject("consumer", new Dictionary<string, string>
        {
            ["ModelConsumer.csproj"] = $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
                  <ItemGroup><PackageReference Include="ModelPackage" Version="{_feed.Version}" /></ItemGroup>
                </Project>
                """,
            ["Program.cs"] = ProgramCs,
        });
        var build = Build(app);
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.Equal(modelHash, Sha256(Path.Combine(ModelsIn(app), "model.safetensors")));
        var publish = _feed.Dotnet(app, "publish", "-c", "Debug", "--no-restore", "-o", Path.Combine(app, "pub"), "-nodeReuse:false");
        Assert.True(publish.ExitCode == 0, publish.Output);
        Assert.Equal(modelHash, Sha256(Path.Combine(app, "pub", "models", "tiny-slim", "model.safetensors")));
    }
}
