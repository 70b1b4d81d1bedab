using SlimLLM.Manifest;
using SlimLLM.Tuning;

namespace SlimLLM.Tests.Manifest;

/// <summary>The model entry's <c>tuning:</c> section: off when absent, LoRA with documented defaults when empty, every error at its line.</summary>
public sealed class ManifestTuningTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    /// <summary><see cref="ManifestWorkspace.Minimal"/> plus a tuning section at line 9 whose keys start at line 10.</summary>
    private static string WithTuning(params string[] lines) =>
        ManifestWorkspace.Minimal + "    tuning:\n" + string.Concat(lines.Select(l => "      " + l + "\n"));

    private ModelSpec Load(string yaml) => Assert.Single(_ws.Load(yaml).Models);

    [Fact]
    public void No_tuning_key_means_no_tuning()
    {
        var m = Load(ManifestWorkspace.Minimal);

        Assert.Null(m.Tuning);
        Assert.Null(m.ToPruneJob(_ws.Full("models/m"), null).Tuning);
        Assert.False(m.SettingPositions.ContainsKey("tuning"));
    }

    [Fact]
    public void Empty_tuning_is_lora_with_the_documented_defaults_on_the_calibration_files()
    {
        var m = Load(ManifestWorkspace.Minimal + "    tuning: {}\n");

        var t = Assert.IsType<TuningSettings>(m.Tuning);
        Assert.Equal([_ws.Full("data/cal/a.txt"), _ws.Full("data/cal/z.txt")], t.Files);
        Assert.Equal(m.Calibration.Files, t.Files);
        Assert.Equal((200, 128, 8, 8, 16.0, 1e-4), (t.Steps, t.SeqLen, t.BatchSize, t.Rank, t.Alpha, t.LearningRate));
        Assert.Equal((LearningRateSchedule.Cosine, (int?)null, 20, 0.0, 1.0, 0.1), (t.Schedule, t.WarmupSteps, t.EffectiveWarmupSteps, t.WeightDecay, t.MaxGradNorm, t.HeldOutFraction));
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], t.Targets);
        Assert.Equal((42, false), (t.Seed, t.ActivationCheckpointing));
        // Checks once the model is open (seq_len against the context) point at the section when a default is used.
        Assert.Equal(new SourcePosition(9, 5), m.PositionOf("tuning"));
        Assert.Equal(new SourcePosition(9, 5), m.PositionOf("tuning.seq_len"));
    }

    [Fact]
    public void Every_key_is_read_and_targets_take_the_canonical_order()
    {
        _ws.Write("data/tune/one.txt", "Tuning text.");
        _ws.Write("data/tune/deep/two.txt", "More tuning text.");
        var m = Load(WithTuning(
            "method: lora",
            "files: [\"data/tune/**/*.txt\", data/test.txt]",
            "steps: 40",
            "seq_len: 64",
            "batch_size: 4",
            "rank: 16",
            "alpha: 32",
            "learning_rate: 3e-4",
            "schedule: linear",
            "warmup_steps: 40",
            "weight_decay: 0.01",
            "max_grad_norm: 0.5",
            "held_out_fraction: 0.25",
            "targets: [v_proj, down_proj, q_proj]",
            "seed: -3",
            "activation_checkpointing: true"));

        var t = m.Tuning!;
        Assert.Equal([_ws.Full("data/test.txt"), _ws.Full("data/tune/deep/two.txt"), _ws.Full("data/tune/one.txt")], t.Files);
        Assert.Equal((40, 64, 4, 16, 32.0, 3e-4), (t.Steps, t.SeqLen, t.BatchSize, t.Rank, t.Alpha, t.LearningRate));
        Assert.Equal((LearningRateSchedule.Linear, (int?)40, 40, 0.01, 0.5, 0.25), (t.Schedule, t.WarmupSteps, t.EffectiveWarmupSteps, t.WeightDecay, t.MaxGradNorm, t.HeldOutFraction));
        Assert.Equal(["q_proj", "v_proj", "down_proj"], t.Targets);
        Assert.Equal((-3, true), (t.Seed, t.ActivationCheckpointing));
        Assert.Equal(new SourcePosition(9, 5), m.PositionOf("tuning"));
        Assert.Equal(new SourcePosition(13, 16), m.PositionOf("tuning.seq_len"));
        Assert.Equal(new SourcePosition(15, 13), m.PositionOf("tuning.rank"));
    }

    [Fact]
    public void The_prune_job_carries_the_tuning_and_reads_its_files()
    {
        _ws.Write("data/tune.txt", "Tuning text.");
        var m = Load(WithTuning("files: data/tune.txt", "steps: 10"));

        var job = m.ToPruneJob(_ws.Full("models/m"), null, deviceOverride: "cpu");

        Assert.Same(m.Tuning, job.Tuning);
        Assert.Equal(10, job.Tuning!.Steps);
        Assert.Contains(_ws.Full("data/tune.txt"), job.InputFiles());
        Assert.Equal(("cpu", m.OutputDir, m.Calibration.Files), (job.Device, job.OutputDir, job.CalibrationFiles));
        Assert.Equal("auto", m.ToPruneJob(_ws.Full("models/m"), null, deviceOverride: "auto").Device);
    }

    public static TheoryData<string, string, string, string> OutOfRange => new()
    {
        { "steps: 0", "SLIM004", "'tuning.steps' is 0, but must be at least 1.", "Set it to e.g. 'steps: 200'." },
        { "seq_len: 1", "SLIM004", "'tuning.seq_len' is 1, but must be at least 2.", "Set it to e.g. 'seq_len: 128'." },
        { "batch_size: 0", "SLIM004", "'tuning.batch_size' is 0, but must be at least 1.", "Set it to e.g. 'batch_size: 8'." },
        { "rank: 0", "SLIM004", "'tuning.rank' is 0, but must be at least 1.", "Set it to e.g. 'rank: 8'." },
        { "alpha: 0", "SLIM004", "'tuning.alpha' is 0, but must be greater than 0.", "Set it to e.g. 'alpha: 16'." },
        { "learning_rate: -1e-4", "SLIM004", "'tuning.learning_rate' is -1e-4, but must be greater than 0.", "Set it to e.g. 'learning_rate: 1e-4'." },
        { "learning_rate: .inf", "SLIM003", "'tuning.learning_rate': expected a number, got '.inf'.", "Write it as 'learning_rate: 1e-4'." },
        { "weight_decay: -0.1", "SLIM004", "'tuning.weight_decay' is -0.1, but must be at least 0.", "Set it to e.g. 'weight_decay: 0.01'." },
        { "max_grad_norm: 0", "SLIM004", "'tuning.max_grad_norm' is 0, but must be greater than 0.", "Set it to e.g. 'max_grad_norm: 1.0'." },
        { "held_out_fraction: 0", "SLIM004", "'tuning.held_out_fraction' is 0, but must be in (0, 0.5).", "Set it to e.g. 'held_out_fraction: 0.1'." },
        { "held_out_fraction: 0.5", "SLIM004", "'tuning.held_out_fraction' is 0.5, but must be in (0, 0.5).", "Set it to e.g. 'held_out_fraction: 0.1'." },
        { "warmup_steps: -1", "SLIM004", "'tuning.warmup_steps' is -1, but must be at least 0.", "Set it to e.g. 'warmup_steps: 20'." },
        { "warmup_steps: 201", "SLIM004", "'tuning.warmup_steps' is 201, more than the 200 training steps (the default 'steps').",
            "Set 'warmup_steps' to at most 200 (default: a tenth of 'steps'), or raise 'steps'." },
        { "seed: 1.5", "SLIM003", "'tuning.seed': expected a whole number, got '1.5'.", "Write it as 'seed: 42'." },
        { "activation_checkpointing: yes", "SLIM003", "'tuning.activation_checkpointing': expected true or false, got 'yes'.", "Write it as 'activation_checkpointing: true'." },
        { "method: qlora", "SLIM006", "'tuning.method' is 'qlora', which is not a tuning method.", "Did you mean 'lora'? Use one of: lora." },
        { "schedule: cosin", "SLIM006", "'tuning.schedule' is 'cosin', which is not a learning-rate schedule.", "Did you mean 'cosine'? Use one of: cosine, linear." },
        { "targets: q_proj", "SLIM003", "'tuning.targets': expected a list of strings, got 'q_proj'.", "Write it as 'targets: [q_proj, v_proj]'." },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void An_invalid_value_is_reported_at_its_line_and_column_naming_the_key(string line, string code, string message, string fix) =>
        _ws.SingleError(WithTuning(line), 10, 7 + line.IndexOf(": ", StringComparison.Ordinal) + 2, code, message, fix);

    [Fact]
    public void Warmup_longer_than_the_written_steps_names_warmup_steps() =>
        _ws.SingleError(WithTuning("steps: 40", "warmup_steps: 50"), 11, 21, "SLIM004", "'tuning.warmup_steps' is 50, more than the 40 training steps.",
            "Set 'warmup_steps' to at most 40 (default: a tenth of 'steps'), or raise 'steps'.");

    [Fact]
    public void An_unknown_target_gets_a_did_you_mean_at_the_item() =>
        _ws.SingleError(WithTuning("targets: [q_proj, gate_prj]"), 10, 25, "SLIM006", "'tuning.targets' is 'gate_prj', which is not a LoRA target.",
            "Did you mean 'gate_proj'? Use one of: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.");

    [Fact]
    public void A_target_listed_twice_is_reported_at_the_second() =>
        _ws.SingleError(WithTuning("targets: [q_proj, v_proj, q_proj]"), 10, 33, "SLIM006", "'tuning.targets' lists 'q_proj' twice.", "Remove the second 'q_proj'.");

    [Fact]
    public void An_empty_target_list_is_out_of_range() =>
        _ws.SingleError(WithTuning("targets: []"), 10, 7, "SLIM004", "'tuning.targets' lists no projection.",
            "List at least one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or remove 'targets' to adapt all of them.");

    [Fact]
    public void A_misspelt_key_inside_tuning_gets_a_did_you_mean() =>
        _ws.SingleError(WithTuning("lerning_rate: 1e-4"), 10, 7, "SLIM002", "unknown key 'lerning_rate' in 'tuning'.", "Did you mean 'learning_rate'?");

    [Fact]
    public void A_tuning_key_in_pruning_says_it_belongs_in_tuning() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      learning_rate: 1e-4\n", 9, 7, "SLIM002",
            "unknown key 'learning_rate' in 'pruning'.", "'learning_rate' belongs in 'tuning'; move it there.");

    [Fact]
    public void Tuning_without_a_value_is_an_error_not_silently_off() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    tuning:\n", 9, 5, "SLIM005", "'tuning' has no value.",
            "Write 'tuning: {}' to tune with the defaults (or its keys below it), or remove 'tuning:' to build without tuning.");

    [Fact]
    public void Tuning_as_a_scalar_is_a_wrong_type() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    tuning: lora\n", 9, 13, "SLIM003", "'tuning': expected a mapping of keys, got 'lora'.",
            "Write it as 'tuning: { steps: 200 }'.");

    [Fact]
    public void A_tuning_pattern_matching_nothing_is_reported_like_calibration() =>
        _ws.SingleError(WithTuning("files: [\"data/tune/*.txt\"]"), 10, 15, "SLIM009",
            $"tuning pattern 'data/tune/*.txt' matches no file (folder '{_ws.Full("data/tune")}' does not exist).",
            "Fix the pattern: it is relative to the manifest's folder, '*' matches within one folder and '**' any depth of folders.");

    [Fact]
    public void A_missing_tuning_file_is_reported_at_the_path() =>
        _ws.SingleError(WithTuning("files: data/missing.txt"), 10, 14, "SLIM008",
            $"tuning file 'data/missing.txt' does not exist (resolved to '{_ws.Full("data/missing.txt")}').",
            "Check the path: relative paths are resolved from the manifest's folder.");
}
