using SlimLLM.Manifest;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Manifest;

public sealed class ManifestLoaderTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Every_key_maps_onto_the_model_spec_with_paths_resolved_and_globs_expanded_in_order()
    {
        _ws.Write("data/extra.txt", "More text.");
        var manifest = _ws.Load("""
            cache: .cache/slim
            models:
              - name: tiny-slim
                source:
                  path: models/m
                calibration:
                  files: ["data/cal/**/*.txt", "data/extra.txt", "data/cal/a.txt"]
                  samples: 16
                  seq_len: 64
                  seed: -7
                  mode: dense
                  batch_size: 4
                pruning:
                  method: wanda-sp
                  ratio: 0.30
                  pruned_layers: 2
                  alpha: 5
                  max_ratio: 0.8
                  recovery: ridge
                  keep_lowest_1pct: false
                  attention_criterion: slimllm
                  ffn_criterion: flap
                evaluate:
                  - text: data/test.txt
                    max_tokens: 4096
                    seq_len: 64
                    max_perplexity_increase: 0.5
                  - text: data/cal/a.txt
                output:
                  dir: build/out
                  formats: [gguf, safetensors, gguf]
                  gguf_type: bf16
                device: CUDA:1
            """);

        Assert.Equal(_ws.ManifestPath, manifest.Path);
        Assert.Equal(_ws.Root, manifest.Directory);
        Assert.Equal(_ws.Full(".cache/slim"), manifest.CacheDir);
        var m = Assert.Single(manifest.Models);
        Assert.Equal("tiny-slim", m.Name);
        Assert.Equal(new SourcePosition(3, 5), m.Position);
        Assert.Equal(new PathSourceSpec(_ws.Full("models/m")), m.Source);
        Assert.Equal(["data/cal/**/*.txt", "data/extra.txt", "data/cal/a.txt"], m.Calibration.Patterns);
        // Sorted ordinally, duplicates (a.txt twice) dropped, notes.md not matched.
        Assert.Equal([_ws.Full("data/cal/a.txt"), _ws.Full("data/cal/sub/b.txt"), _ws.Full("data/cal/z.txt"), _ws.Full("data/extra.txt")], m.Calibration.Files);
        Assert.Equal((16, 64, -7, CalibrationMode.Dense, 4), (m.Calibration.Samples, m.Calibration.SeqLen, m.Calibration.Seed, m.Calibration.Mode, m.Calibration.BatchSize));
        Assert.Equal(new PruningSpec(MethodRegistry.Method("wanda-sp"), null, 0.30, 2, 5, 0.8, "ridge", false)
            { AttentionCriterion = MethodRegistry.Method("slimllm"), FfnCriterion = MethodRegistry.Method("flap") }, m.Pruning);
        Assert.Equal([new EvaluateSpec(_ws.Full("data/test.txt"), 4096, 64, 0.5), new EvaluateSpec(_ws.Full("data/cal/a.txt"), null, 128, null)], m.Evaluate);
        Assert.Equal(_ws.Full("build/out"), m.OutputRoot);
        Assert.Equal(_ws.Full("build/out/tiny-slim"), m.OutputDir);
        Assert.Equal([OutputFormat.Gguf, OutputFormat.Safetensors], m.Formats);
        Assert.Equal(SlimLLM.Export.GgufOutputType.BF16, m.GgufType);
        Assert.Equal("cuda:1", m.Device);
        Assert.Equal(_ws.Full(".cache/slim"), m.CacheDir);

        var settings = m.ToPruneSettings();
        Assert.Equal(new PruneSettings
        {
            Method = MethodRegistry.Method("wanda-sp"),
            AttentionMethod = MethodRegistry.Method("slimllm"),
            FfnMethod = MethodRegistry.Method("flap"),
            Ratio = new RatioSpec(Target: null, MeanRatio: 0.30, PrunedLayers: 2, Alpha: 5, MaxRatio: 0.8),
            Mode = CalibrationMode.Dense,
            Recovery = new RidgeRecovery(),
            KeepLowestOnePercent = false,
            BatchSize = 4,
        }, settings);
    }

    [Fact]
    public void Omitted_keys_take_their_documented_defaults()
    {
        var m = Assert.Single(_ws.Load(ManifestWorkspace.Minimal).Models);

        Assert.Equal([_ws.Full("data/cal/a.txt"), _ws.Full("data/cal/z.txt")], m.Calibration.Files);
        Assert.Equal((32, 128, 42, CalibrationMode.Sequential, 8), (m.Calibration.Samples, m.Calibration.SeqLen, m.Calibration.Seed, m.Calibration.Mode, m.Calibration.BatchSize));
        Assert.Equal(new PruningSpec(MethodRegistry.Method("slimllm"), 0.2, null, null, null, 0.9, null, true), m.Pruning);
        Assert.Empty(m.Evaluate);
        Assert.Equal(_ws.Full("out/m"), m.OutputDir);
        Assert.Equal([OutputFormat.Safetensors], m.Formats);
        Assert.Equal(SlimLLM.Export.GgufOutputType.F16, m.GgufType);
        Assert.Equal("auto", m.Device);
        Assert.Null(m.CacheDir);
        var settings = m.ToPruneSettings();
        Assert.Equal(new PruneSettings { Ratio = new RatioSpec(Target: 0.2) }, settings);
        Assert.Equal(new RegressionRecovery(), settings.EffectiveRecovery);
    }

    [Fact]
    public void Recovery_none_is_a_flag_and_leaves_magnitude_without_recovery()
    {
        var m = Assert.Single(_ws.Load(ManifestWorkspace.Minimal + "      method: magnitude\n      recovery: none\n").Models);

        Assert.Equal("none", m.Pruning.Recovery);
        Assert.True(m.Pruning.NoRecovery);
        Assert.Null(m.Pruning.ExplicitRecovery);
        Assert.Null(m.ToPruneSettings().EffectiveRecovery);
    }

    [Fact]
    public void Recovery_none_overrides_slimllm_default_regression()
    {
        var m = Assert.Single(_ws.Load(ManifestWorkspace.Minimal + "      recovery: none\n").Models);
        Assert.Equal(MethodRegistry.Method("slimllm"), m.ToPruneSettings().Method);
        Assert.Null(m.ToPruneSettings().EffectiveRecovery);
    }

    [Fact]
    public void Paths_and_patterns_resolve_from_the_manifest_folder_also_through_dotdot_and_absolute_patterns()
    {
        var abs = _ws.Full("data/cal") + "/*.txt";
        _ws.Write("conf/slimllm.yaml", $$"""
            models:
              - name: m
                source: { path: ../models/m }
                calibration:
                  files: ["../data/**/b.txt", "{{abs}}"]
                pruning: { target: 0.2 }
                output: { dir: ../dist }
            """);

        var m = Assert.Single(ManifestLoader.Load(_ws.Full("conf/slimllm.yaml")).Models);

        Assert.Equal(new PathSourceSpec(_ws.Full("models/m")), m.Source);
        Assert.Equal([_ws.Full("data/cal/a.txt"), _ws.Full("data/cal/sub/b.txt"), _ws.Full("data/cal/z.txt")], m.Calibration.Files);
        Assert.Equal(_ws.Full("dist/m"), m.OutputDir);
    }

    [Fact]
    public void The_shared_model_and_texts_load_through_relative_paths()
    {
        string Rel(string path) => Path.GetRelativePath(_ws.Root, path).Replace('\\', '/');
        var manifest = _ws.Load($"""
            models:
              - name: tinystories-slim
                source:
                  path: {Rel(TestData.TinyStoriesLlama)}
                calibration:
                  files: ["{Rel(Path.Combine(TestData.Root, "text"))}/*.txt"]
                pruning:
                  target: 0.20
                evaluate:
                  - text: {Rel(TestData.WikiText2Test)}
                    max_tokens: 65536
                    max_perplexity_increase: 0.50
              - name: stories260k-slim
                source:
                  path: {Rel(TestData.Stories260KGguf)}
                calibration:
                  files: {Rel(TestData.TinyStoriesValid)}
                pruning:
                  ratio: 0.25
            """);

        Assert.Equal(["tinystories-slim", "stories260k-slim"], manifest.Models.Select(m => m.Name));
        var tiny = manifest.Models[0];
        Assert.Equal(new PathSourceSpec(Path.GetFullPath(TestData.TinyStoriesLlama)), tiny.Source);
        Assert.Equal([Path.GetFullPath(TestData.CorpusEn), Path.GetFullPath(TestData.TinyStoriesValid), Path.GetFullPath(TestData.WikiText2Test)], tiny.Calibration.Files);
        Assert.Equal([new EvaluateSpec(Path.GetFullPath(TestData.WikiText2Test), 65536, 128, 0.50)], tiny.Evaluate);
        var gguf = manifest.Models[1];
        Assert.Equal(new PathSourceSpec(Path.GetFullPath(TestData.Stories260KGguf)), gguf.Source);
        Assert.Equal(new RatioSpec(MeanRatio: 0.25), gguf.ToPruneSettings().Ratio);
    }

    [Fact]
    public void NuGet_and_Hugging_Face_sources_keep_their_references()
    {
        Directory.CreateDirectory(_ws.Full("feed"));
        var manifest = _ws.Load("""
            models:
              - name: a
                source:
                  nuget: Some.Model.Package@[1.0,2.0)
                  feed: feed
                calibration: { files: data/test.txt }
                pruning: { target: 0.2 }
              - name: b
                source:
                  nuget: Other.Model
                  feed: https://example.invalid/v3/index.json
                calibration: { files: data/test.txt }
                pruning: { target: 0.2 }
              - name: c
                source:
                  huggingface: org/name
                calibration: { files: data/test.txt }
                pruning: { target: 0.2 }
              - name: d
                source:
                  huggingface: org/other
                  revision: v1.2
                  files: "*.gguf"
                calibration: { files: data/test.txt }
                pruning: { target: 0.2 }
            """);

        Assert.Equal(new NuGetSourceSpec("Some.Model.Package", "[1.0,2.0)", _ws.Full("feed")), manifest.Models[0].Source);
        Assert.Equal(new NuGetSourceSpec("Other.Model", null, "https://example.invalid/v3/index.json"), manifest.Models[1].Source);
        var c = Assert.IsType<HuggingFaceSourceSpec>(manifest.Models[2].Source);
        Assert.Equal(("org/name", "main"), (c.Repository, c.Revision));
        Assert.Equal(["*.json", "*.safetensors", "tokenizer.model"], c.Files);
        var d = Assert.IsType<HuggingFaceSourceSpec>(manifest.Models[3].Source);
        Assert.Equal(("org/other", "v1.2"), (d.Repository, d.Revision));
        Assert.Equal(["*.gguf"], d.Files);
    }
}
