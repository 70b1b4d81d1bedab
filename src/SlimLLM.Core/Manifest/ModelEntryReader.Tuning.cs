using SlimLLM.Tuning;
using static System.FormattableString;

namespace SlimLLM.Manifest;

internal sealed partial class ModelEntryReader
{
    /// <summary>
    /// The <c>tuning:</c> section: absent is no tuning (Ok, null); <c>tuning: {}</c> is LoRA with every default. Ok is false
    /// when it reported an error.
    /// </summary>
    private (bool Ok, TuningSettings? Settings) ReadTuning(CalibrationSpec? calibration)
    {
        if (entry.KeyPosition("tuning") is not { } at) return (true, null);
        if (!entry.Has("tuning"))
        {
            // An empty value counts as absent elsewhere, but a written 'tuning:' that silently tuned nothing would surprise.
            entry.ReportMissing("tuning", "{}", "'tuning' has no value.",
                "Write 'tuning: {}' to tune with the defaults (or its keys below it), or remove 'tuning:' to build without tuning.");
            return (false, null);
        }
        var section = entry.Mapping("tuning", ManifestKeys.Tuning, false, "{ steps: 200 }");
        if (section is null) return (false, null);
        _positions["tuning"] = at;
        foreach (var key in ManifestKeys.Sections[ManifestKeys.Tuning]) _positions[$"tuning.{key}"] = section.Value(key)?.Position ?? at;

        var method = section.Choice("method", ManifestKeys.TuningMethods, "a tuning method");
        // Without 'files' the model is tuned on its calibration text.
        var files = section.Has("files") ? ExpandFiles(section, "tuning")?.Files : calibration?.Files.ToList();
        var steps = section.Integer("steps", false, "200", 1);
        var seqLen = section.Integer("seq_len", false, "128", 2);
        var batch = section.Integer("batch_size", false, "8", 1);
        var rank = section.Integer("rank", false, "8", 1);
        var alpha = section.Number("alpha", false, "16");
        var rate = section.Number("learning_rate", false, "1e-4");
        var schedule = section.Choice("schedule", ManifestKeys.Schedules, "a learning-rate schedule");
        var warmup = section.Integer("warmup_steps", false, "20", 0);
        var decay = section.Number("weight_decay", false, "0.01");
        var clip = section.Number("max_grad_norm", false, "1.0");
        var heldOut = section.Number("held_out_fraction", false, "0.1");
        var (targetsOk, targets) = ReadTargets(section);
        var seed = section.Integer("seed", false, "42", int.MinValue);
        var checkpointing = section.Bool("activation_checkpointing", "true");

        bool ok = !(Failed(section, "method", method) || Failed(section, "steps", steps) || Failed(section, "seq_len", seqLen)
            || Failed(section, "batch_size", batch) || Failed(section, "rank", rank) || Failed(section, "alpha", alpha)
            || Failed(section, "learning_rate", rate) || Failed(section, "schedule", schedule) || Failed(section, "warmup_steps", warmup)
            || Failed(section, "weight_decay", decay) || Failed(section, "max_grad_norm", clip) || Failed(section, "held_out_fraction", heldOut)
            || Failed(section, "seed", seed) || Failed(section, "activation_checkpointing", checkpointing)) && targetsOk;
        if (alpha is { } a) ok &= section.InRange("alpha", a, 0, false, null, false, "16");
        if (rate is { } r) ok &= section.InRange("learning_rate", r, 0, false, null, false, "1e-4");
        if (decay is { } d) ok &= section.InRange("weight_decay", d, 0, true, null, false, "0.01");
        if (clip is { } c) ok &= section.InRange("max_grad_norm", c, 0, false, null, false, "1.0");
        if (heldOut is { } h) ok &= section.InRange("held_out_fraction", h, 0, false, 0.5, false, "0.1");
        var defaults = new TuningSettings { Files = [] };
        int stepCount = steps?.Value ?? defaults.Steps;
        if (warmup is { } w && w.Value > stepCount && !Failed(section, "steps", steps))
        {
            section.Report(ManifestErrorCode.OutOfRange, w.Position,
                Invariant($"'tuning.warmup_steps' is {w.Raw}, more than the {stepCount} training steps{(steps is null ? " (the default 'steps')" : "")}."),
                Invariant($"Set 'warmup_steps' to at most {stepCount} (default: a tenth of 'steps'), or raise 'steps'."));
            ok = false;
        }
        if (!ok || files is null) return (false, null);
        return (true, new TuningSettings
        {
            Files = files,
            Steps = stepCount,
            SeqLen = seqLen?.Value ?? defaults.SeqLen,
            BatchSize = batch?.Value ?? defaults.BatchSize,
            Rank = rank?.Value ?? defaults.Rank,
            Alpha = alpha?.Value ?? defaults.Alpha,
            LearningRate = rate?.Value ?? defaults.LearningRate,
            Schedule = schedule?.Value ?? defaults.Schedule,
            WarmupSteps = warmup?.Value,
            WeightDecay = decay?.Value ?? defaults.WeightDecay,
            MaxGradNorm = clip?.Value ?? defaults.MaxGradNorm,
            HeldOutFraction = heldOut?.Value ?? defaults.HeldOutFraction,
            Targets = targets ?? defaults.Targets,
            Seed = seed?.Value ?? defaults.Seed,
            ActivationCheckpointing = checkpointing?.Value ?? defaults.ActivationCheckpointing,
        });
    }

    /// <summary>
    /// <c>tuning.targets</c>: at least one LoRA target, each once; returned in <see cref="LoraTargets.Names"/>' order, so the
    /// order written does not change the tuned result or its cache key. Null targets (with Ok) when absent.
    /// </summary>
    private static (bool Ok, List<string>? Targets) ReadTargets(MappingReader section)
    {
        if (!section.Has("targets")) return (true, null);
        var items = section.StringList("targets", false, allowSingle: false, "[q_proj, v_proj]");
        if (items is null) return (false, null);
        var name = section.Name("targets");
        if (items.Count == 0)
        {
            section.Report(ManifestErrorCode.OutOfRange, section.KeyPosition("targets")!.Value, $"{name} lists no projection.",
                $"List at least one of {string.Join(", ", LoraTargets.Names)}, or remove 'targets' to adapt all of them.");
            return (false, null);
        }
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        bool ok = true;
        foreach (var item in items)
        {
            var scalar = new YamlScalar(item.Value, YamlDotNet.Core.ScalarStyle.Plain, null, item.Position);
            if (section.ChoiceOf(name, scalar, ManifestKeys.LoraTargetNames, "a LoRA target") is not { } target) ok = false;
            else if (!chosen.Add(target.Value))
            {
                section.Report(ManifestErrorCode.InvalidValue, item.Position, $"{name} lists '{target.Value}' twice.", $"Remove the second '{target.Value}'.");
                ok = false;
            }
        }
        return ok ? (true, LoraTargets.Names.Where(chosen.Contains).ToList()) : (false, null);
    }
}
