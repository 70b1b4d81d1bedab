namespace SlimLLM.Tests.Manifest;

/// <summary>Wrong types, values out of range, values not allowed and conflicting keys: reported at the value.</summary>
public sealed class ManifestValueErrorTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private string Pruning(string line) => ManifestWorkspace.Minimal.Replace("      target: 0.2\n", line);

    [Fact]
    public void Text_where_a_number_belongs() =>
        _ws.SingleError(Pruning("      target: abc\n"), 8, 15, "SLIM003", "'pruning.target': expected a number, got 'abc'.", "Write it as 'target: 0.2'.");

    [Fact]
    public void Quoted_number_is_a_string() =>
        _ws.SingleError(Pruning("      target: \"0.2\"\n"), 8, 15, "SLIM003", "'pruning.target': expected a number, got the quoted string '0.2'.", "Write it as 'target: 0.2'.");

    [Fact]
    public void Fraction_where_a_whole_number_belongs() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      pruned_layers: 2.5\n", 9, 22, "SLIM003",
            "'pruning.pruned_layers': expected a whole number, got '2.5'.", "Write it as 'pruned_layers: 26'.");

    [Fact]
    public void Yes_is_not_a_boolean() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      keep_lowest_1pct: yes\n", 9, 25, "SLIM003",
            "'pruning.keep_lowest_1pct': expected true or false, got 'yes'.", "Write it as 'keep_lowest_1pct: true'.");

    [Fact]
    public void Channel_multiple_of_zero() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      channel_multiple: 0\n", 9, 25, "SLIM004",
            "'pruning.channel_multiple' is 0, but must be in [1, 4096].", "Set it to e.g. 'channel_multiple: 32'.");

    [Fact]
    public void A_quantised_gguf_type_without_a_channel_multiple_of_32_names_channel_multiple() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      channel_multiple: 16\n    output:\n      formats: [gguf]\n      gguf_type: q4_0\n", 12, 18, "SLIM007",
            "'output.gguf_type: q4_0' stores matrix rows in blocks of 32, but 'pruning.channel_multiple' is 16, so pruned FFN widths need not be multiples of 32.",
            "Add 'channel_multiple: 32' to 'pruning' (or a multiple of it), or use gguf_type f16.");

    [Fact]
    public void A_quantised_gguf_type_with_channel_multiple_32_is_read()
    {
        var m = _ws.Load(ManifestWorkspace.Minimal + "      channel_multiple: 32\n    output:\n      formats: [gguf]\n      gguf_type: q8_0\n").Models[0];
        Assert.Equal(SlimLLM.Export.GgufOutputType.Q8_0, m.GgufType);
        Assert.Equal(32, m.ToPruneSettings().ChannelMultiple);
    }

    [Fact]
    public void Scalar_where_a_section_belongs() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("    source:\n      path: models/m\n", "    source: models/m\n"), 3, 13, "SLIM003",
            "'source': expected a mapping of keys, got 'models/m'.", "Write it as 'source: { path: models/my-model }'.");

    [Fact]
    public void Target_outside_zero_one() =>
        _ws.SingleError(Pruning("      target: 1.5\n"), 8, 15, "SLIM004", "'pruning.target' is 1.5, but must be in (0, 1).", "Set it to e.g. 'target: 0.2'.");

    [Fact]
    public void Zero_samples() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("      files: data/cal/*.txt\n", "      files: data/cal/*.txt\n      samples: 0\n"), 7, 16, "SLIM004",
            "'calibration.samples' is 0, but must be at least 1.", "Set it to e.g. 'samples: 32'.");

    [Fact]
    public void Max_ratio_above_one() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      max_ratio: 1.01\n", 9, 18, "SLIM004",
            "'pruning.max_ratio' is 1.01, but must be in (0, 1].", "Set it to e.g. 'max_ratio: 0.9'.");

    [Fact]
    public void Ratio_above_max_ratio() =>
        _ws.SingleError(Pruning("      ratio: 0.95\n"), 8, 14, "SLIM004",
            "'pruning.ratio' is 0.95, above the maximum per-layer ratio 0.9, so no per-layer ratios can average to it.", "Lower 'ratio', or raise 'max_ratio'.");

    [Fact]
    public void Max_tokens_below_one_window() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    evaluate:\n      - text: data/test.txt\n        max_tokens: 100\n", 11, 21, "SLIM004",
            "'evaluate[0].max_tokens' is 100, fewer than one window of seq_len 128 tokens.", "Set max_tokens to at least 128, or lower seq_len.");

    [Fact]
    public void Clipped_method_name_gets_a_did_you_mean() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      method: slim\n", 9, 15, "SLIM006",
            "'pruning.method' is 'slim', which is not a pruning method.", "Did you mean 'slimllm'? Use one of: slimllm, magnitude, wanda-sp, flap.");

    [Fact]
    public void Unknown_ffn_criterion() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      ffn_criterion: fluctuation\n", 9, 22, "SLIM006",
            "'pruning.ffn_criterion' is 'fluctuation', which is not a pruning criterion.", "Use one of: slimllm, magnitude, wanda-sp, flap.");

    [Fact]
    public void Unknown_calibration_mode() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("      files: data/cal/*.txt\n", "      files: data/cal/*.txt\n      mode: sequental\n"), 7, 13, "SLIM006",
            "'calibration.mode' is 'sequental', which is not a calibration mode.", "Did you mean 'sequential'? Use one of: sequential, dense.");

    [Fact]
    public void Unknown_device() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    device: gpu\n", 9, 13, "SLIM006",
            "'device' is 'gpu', which is not a device.", "Use auto, cpu, cuda or cuda:N (N the GPU index, e.g. cuda:1).");

    [Fact]
    public void Unknown_output_format() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    output:\n      formats: [safetensors, onnx]\n", 10, 30, "SLIM006",
            "'output.formats' is 'onnx', which is not an output format.", "Use one of: safetensors, gguf.");

    [Fact]
    public void Unknown_gguf_type() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    output:\n      gguf_type: q4_k\n", 10, 18, "SLIM006",
            "'output.gguf_type' is 'q4_k', which is not a GGUF output type.", "Did you mean 'q4_0'? Use one of: f16, f32, bf16, q8_0, q4_0.");

    [Fact]
    public void Malformed_nuget_reference() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("path: models/m", "nuget: Some.Package@[1.0"), 4, 14, "SLIM006",
            "'source.nuget' is 'Some.Package@[1.0', which is not a NuGet package id with an optional @version.",
            "Write 'Package.Id', 'Package.Id@1.2.0' or 'Package.Id@[1.0,2.0)'.");

    [Fact]
    public void Target_and_ratio_together_are_reported_at_the_later() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      ratio: 0.2\n", 9, 7, "SLIM007",
            "'pruning' has both 'target' and 'ratio'; they are mutually exclusive.",
            "Keep one: 'target' (the fraction of decoder-layer parameters to remove) or 'ratio' (the paper's mean per-layer ratio R).");

    [Fact]
    public void Two_source_kinds() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("      path: models/m\n", "      path: models/m\n      huggingface: org/name\n"), 5, 7, "SLIM007",
            "'source' has both 'path' and 'huggingface'.", "Keep exactly one of path, nuget and huggingface.");

    [Fact]
    public void Feed_without_nuget() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("      path: models/m\n", "      path: models/m\n      feed: https://example.invalid/index.json\n"), 5, 7, "SLIM007",
            "'source.feed' applies only to a 'nuget' source, but this one is 'path'.", "Remove 'feed', or use 'nuget:'.");

    [Fact]
    public void Ridge_needs_two_calibration_samples() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("      files: data/cal/*.txt\n", "      files: data/cal/*.txt\n      samples: 1\n") + "      recovery: ridge\n", 10, 17, "SLIM007",
            "'recovery: ridge' holds out a quarter of the calibration samples and needs at least 2, but 'calibration.samples' is 1.",
            "Raise 'calibration.samples' (the paper uses 32).");
}
