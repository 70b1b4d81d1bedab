using System.Text.RegularExpressions;
using SlimLLM.Export;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using static System.FormattableString;

namespace SlimLLM.Manifest;

/// <summary>Reads and validates one entry of <c>models:</c>; returns null when it reported an error.</summary>
internal sealed partial class ModelEntryReader(MappingReader entry, string manifestFile, string? cacheDir)
{
    private readonly string _dir = Path.GetDirectoryName(manifestFile)!;
    private ManifestDiagnostics Diagnostics => entry.Diagnostics;
    private readonly Dictionary<string, SourcePosition> _positions = new(StringComparer.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex ModelName();

    [GeneratedRegex("^(auto|cpu|cuda|cuda:[0-9]+)$")]
    private static partial Regex DeviceSpec();

    public ModelSpec? Read(Dictionary<string, SourcePosition> names)
    {
        var name = ReadName(names);
        var source = new SourceReader(entry, _dir).Read();
        var calibrationSection = entry.Mapping("calibration", ManifestKeys.Calibration, true, "{ files: [\"data/*.txt\"] }");
        var calibration = calibrationSection is null ? null : ReadCalibration(calibrationSection);
        var pruningSection = entry.Mapping("pruning", ManifestKeys.Pruning, true, "{ method: slimllm, target: 0.2 }");
        var pruning = pruningSection is null ? null : ReadPruning(pruningSection, calibration);
        var (tuningOk, tuning) = ReadTuning(calibration);
        var evaluate = ReadEvaluate();
        var (outputRoot, formats, ggufType) = ReadOutput(pruning);
        var device = ReadDevice();
        if (name is null || source is null || calibration is null || pruning is null || evaluate is null || outputRoot is null || formats is null || device is null
            || ggufType is null || !tuningOk)
            return null;
        return new ModelSpec
        {
            Name = name,
            ManifestPath = manifestFile,
            Position = entry.KeyPosition("name")!.Value,
            Source = source,
            Calibration = calibration,
            Pruning = pruning,
            Tuning = tuning,
            Evaluate = evaluate,
            OutputRoot = outputRoot,
            Formats = formats,
            GgufType = ggufType.Value,
            Device = device,
            CacheDir = cacheDir,
            SettingPositions = _positions,
        };
    }

    /// <summary>
    /// The longest model name: it names a folder (and the temporary folder beside it, 45 characters longer), and file systems
    /// allow 255 bytes per name.
    /// </summary>
    public const int MaxNameLength = 100;

    private string? ReadName(Dictionary<string, SourcePosition> names)
    {
        if (entry.String("name", true, "my-model-slim") is not { } name) return null;
        if (name.Value.Length > MaxNameLength)
        {
            Diagnostics.Add(ManifestErrorCode.InvalidModelName, name.Position,
                $"model name '{name.Value[..20]}…' is {name.Value.Length} characters long, more than {MaxNameLength} (it names the output folder).",
                "Use a shorter name, e.g. 'name: tinystories-slim'.");
            return null;
        }
        if (!ModelName().IsMatch(name.Value) || name.Value is "." or "..")
        {
            Diagnostics.Add(ManifestErrorCode.InvalidModelName, name.Position,
                $"model name '{name.Value}' must be letters, digits, '.', '_' and '-' only (it names the output folder).",
                "Rename it, e.g. 'name: tinystories-slim'.");
            return null;
        }
        if (names.TryGetValue(name.Value, out var first))
        {
            Diagnostics.Add(ManifestErrorCode.DuplicateModelName, name.Position,
                $"model name '{name.Value}' is already used by the model at line {first.Line} (names are compared ignoring case).",
                "Give each model a unique name: it names the model's output folder.");
            return null;
        }
        names.Add(name.Value, name.Position);
        return name.Value;
    }

    private CalibrationSpec? ReadCalibration(MappingReader section)
    {
        var files = ExpandFiles(section, "calibration");
        var samples = section.Integer("samples", false, "32", 1);
        var seqLen = section.Integer("seq_len", false, "128", 2);
        var seed = section.Integer("seed", false, "42", int.MinValue);
        var mode = section.Choice("mode", ManifestKeys.Modes, "a calibration mode");
        var batch = section.Integer("batch_size", false, "8", 1);
        var sectionAt = entry.KeyPosition("calibration")!.Value;
        _positions["calibration.samples"] = samples?.Position ?? sectionAt;
        _positions["calibration.seq_len"] = seqLen?.Position ?? sectionAt;
        if (files is null || Failed(section, "samples", samples) || Failed(section, "seq_len", seqLen) || Failed(section, "seed", seed)
            || Failed(section, "mode", mode) || Failed(section, "batch_size", batch))
            return null;
        return new CalibrationSpec(files.Value.Patterns, files.Value.Files,
            samples?.Value ?? CalibrationSpec.DefaultSamples, seqLen?.Value ?? CalibrationSpec.DefaultSeqLen, seed?.Value ?? CalibrationSpec.DefaultSeed,
            mode?.Value ?? CalibrationMode.Sequential, batch?.Value ?? CalibrationSpec.DefaultBatchSize);
    }

    /// <summary>A <c>files:</c> list of files and patterns; <paramref name="what"/> ("calibration", "tuning") names them in messages.</summary>
    private (List<string> Patterns, List<string> Files)? ExpandFiles(MappingReader section, string what)
    {
        var patterns = section.StringList("files", true, allowSingle: true, $"[\"data/{what}/**/*.txt\"]");
        if (patterns is null) return null;
        if (patterns.Count == 0)
        {
            section.Report(ManifestErrorCode.OutOfRange, section.KeyPosition("files")!.Value, $"{section.Name("files")} lists no file.",
                $"List at least one file or pattern, e.g. 'files: [\"data/{what}/**/*.txt\"]'.");
            return null;
        }
        var files = new SortedSet<string>(StringComparer.Ordinal);
        bool ok = true;
        foreach (var p in patterns)
        {
            if (!CalibrationGlob.IsPattern(p.Value))
            {
                var file = Path.GetFullPath(Path.Combine(_dir, p.Value));
                if (File.Exists(file)) files.Add(file);
                else
                {
                    ok = false;
                    ReportMissingPath(p, $"{what} file", file, Directory.Exists(file)
                        ? $"it is a folder; use a pattern such as '{p.Value.TrimEnd('/', '\\')}/**/*.txt'."
                        : null);
                }
                continue;
            }
            var (root, relative) = CalibrationGlob.Split(_dir, p.Value);
            var matches = CalibrationGlob.Expand(root, relative);
            if (matches.Count == 0)
            {
                ok = false;
                var why = Directory.Exists(root) ? $"searched under '{root}'" : $"folder '{root}' does not exist";
                Diagnostics.Add(ManifestErrorCode.GlobMatchesNothing, p.Position, $"{what} pattern '{p.Value}' matches no file ({why}).",
                    "Fix the pattern: it is relative to the manifest's folder, '*' matches within one folder and '**' any depth of folders.");
            }
            files.UnionWith(matches);
        }
        return ok ? (patterns.Select(p => p.Value).ToList(), files.ToList()) : null;
    }

    private PruningSpec? ReadPruning(MappingReader section, CalibrationSpec? calibration)
    {
        var method = section.Choice("method", ManifestKeys.Methods, "a pruning method");
        var target = section.Number("target", false, "0.2");
        var ratio = section.Number("ratio", false, "0.2");
        var layers = section.Integer("pruned_layers", false, "26", 1);
        var alpha = section.Number("alpha", false, "10");
        var maxRatio = section.Number("max_ratio", false, "0.9");
        var recovery = section.Choice("recovery", ManifestKeys.Recoveries, "a recovery method");
        var keepLowest = section.Bool("keep_lowest_1pct", "true");
        var attentionCriterion = section.Choice("attention_criterion", ManifestKeys.Methods, "a pruning criterion");
        var ffnCriterion = section.Choice("ffn_criterion", ManifestKeys.Methods, "a pruning criterion");
        var multiple = section.Integer("channel_multiple", false, "32", 1, PruningSpec.MaxChannelMultiple);
        _positions["pruning.channel_multiple"] = multiple?.Position ?? entry.KeyPosition("pruning")!.Value;
        bool ok = !(Failed(section, "method", method) || Failed(section, "target", target) || Failed(section, "ratio", ratio)
            || Failed(section, "pruned_layers", layers) || Failed(section, "alpha", alpha) || Failed(section, "max_ratio", maxRatio)
            || Failed(section, "recovery", recovery) || Failed(section, "keep_lowest_1pct", keepLowest)
            || Failed(section, "attention_criterion", attentionCriterion) || Failed(section, "ffn_criterion", ffnCriterion)
            || Failed(section, "channel_multiple", multiple));

        if (target is { } t) ok &= section.InRange("target", t, 0, false, 1, false, "0.2");
        if (ratio is { } r) ok &= section.InRange("ratio", r, 0, false, 1, false, "0.2");
        if (alpha is { } a) ok &= section.InRange("alpha", a, 0, true, null, false, "10");
        if (maxRatio is { } m) ok &= section.InRange("max_ratio", m, 0, false, 1, true, "0.9");
        if (target is { } t2 && ratio is { } r2)
        {
            var later = t2.Position.Line > r2.Position.Line || (t2.Position.Line == r2.Position.Line && t2.Position.Column > r2.Position.Column) ? "target" : "ratio";
            section.Report(ManifestErrorCode.ConflictingKeys, section.KeyPosition(later)!.Value, "'pruning' has both 'target' and 'ratio'; they are mutually exclusive.",
                "Keep one: 'target' (the fraction of decoder-layer parameters to remove) or 'ratio' (the paper's mean per-layer ratio R).");
            ok = false;
        }
        else if (!section.Has("target") && !section.Has("ratio"))
        {
            section.ReportMissing("target", "0.2", "'pruning' has neither 'target' nor 'ratio'.",
                "Add 'target: 0.2' (the fraction of decoder-layer parameters to remove) or 'ratio: 0.2' (the paper's mean per-layer ratio R).");
            ok = false;
        }
        double max = maxRatio?.Value ?? PruningSpec.DefaultMaxRatio;
        if (ratio is { } r3 && r3.Value < 1 && r3.Value > max && ok)
        {
            section.Report(ManifestErrorCode.OutOfRange, r3.Position,
                Invariant($"'pruning.ratio' is {r3.Raw}, above the maximum per-layer ratio {max}, so no per-layer ratios can average to it."),
                "Lower 'ratio', or raise 'max_ratio'.");
            ok = false;
        }
        if (recovery is { } held && MethodRegistry.Recovery(held.Value) is { HoldsOut: true } && calibration is { Samples: < 2 })
        {
            section.Report(ManifestErrorCode.ConflictingKeys, held.Position,
                Invariant($"'recovery: {held.Value}' holds out a quarter of the calibration samples and needs at least 2, but 'calibration.samples' is {calibration.Samples}."),
                "Raise 'calibration.samples' (the paper uses 32).");
            ok = false;
        }
        if (!ok) return null;
        var m2 = method?.Value ?? MethodRegistry.DefaultMethod;
        return new PruningSpec(m2, target?.Value, ratio?.Value, layers?.Value, alpha?.Value, max,
            recovery?.Value, keepLowest?.Value ?? true, multiple?.Value ?? 1) { AttentionCriterion = attentionCriterion?.Value, FfnCriterion = ffnCriterion?.Value };
    }

    private List<EvaluateSpec>? ReadEvaluate()
    {
        var list = entry.Sequence("evaluate", false, "text: data/test.txt");
        if (list is null) return entry.Has("evaluate") ? null : [];
        _positions["evaluate"] = entry.KeyPosition("evaluate")!.Value;
        var specs = new List<EvaluateSpec>();
        bool ok = true;
        for (int i = 0; i < list.Items.Count; i++)
        {
            if (list.Items[i] is not YamlMapping map)
            {
                Diagnostics.Add(ManifestErrorCode.WrongType, list.Items[i].Position, $"'evaluate[{i}]': expected a mapping of keys, got {list.Items[i].Describe()}.",
                    "Write each entry as '- text: data/test.txt' with optional max_tokens, seq_len and max_perplexity_increase.");
                ok = false;
                continue;
            }
            var e = new MappingReader(map, ManifestKeys.Evaluate, $"evaluate[{i}]", map.Position, Diagnostics);
            var text = e.String("text", true, "data/test.txt");
            var maxTokens = e.Integer("max_tokens", false, "65536", 2);
            var seqLen = e.Integer("seq_len", false, "128", 2);
            _positions[$"evaluate[{i}].seq_len"] = seqLen?.Position ?? map.Position;
            var gate = e.Number("max_perplexity_increase", false, "0.5");
            bool entryOk = !(Failed(e, "max_tokens", maxTokens) || Failed(e, "seq_len", seqLen) || Failed(e, "max_perplexity_increase", gate));
            if (gate is { } g) entryOk &= e.InRange("max_perplexity_increase", g, 0, true, null, false, "0.5");
            int window = seqLen?.Value ?? EvaluateSpec.DefaultSeqLen;
            if (maxTokens is { } mt && mt.Value < window && entryOk)
            {
                e.Report(ManifestErrorCode.OutOfRange, mt.Position,
                    Invariant($"'evaluate[{i}].max_tokens' is {mt.Raw}, fewer than one window of seq_len {window} tokens."),
                    Invariant($"Set max_tokens to at least {window}, or lower seq_len."));
                entryOk = false;
            }
            string? textPath = null;
            if (text is { } t)
            {
                textPath = Path.GetFullPath(Path.Combine(_dir, t.Value));
                if (!File.Exists(textPath))
                {
                    ReportMissingPath(t, "evaluation text", textPath, Directory.Exists(textPath) ? "it is a folder; name a text file." : null);
                    textPath = null;
                }
            }
            if (textPath is null || !entryOk) { ok = false; continue; }
            specs.Add(new EvaluateSpec(textPath, maxTokens?.Value, window, gate?.Value));
        }
        return ok ? specs : null;
    }

    private (string? Root, List<OutputFormat>? Formats, GgufOutputType? GgufType) ReadOutput(PruningSpec? pruning)
    {
        var defaultRoot = Path.GetFullPath(Path.Combine(_dir, "out"));
        List<OutputFormat> defaultFormats = [OutputFormat.Safetensors];
        if (!entry.Has("output")) return (defaultRoot, defaultFormats, GgufOutputType.F16);
        var section = entry.Mapping("output", ManifestKeys.Output, false, "{ dir: out/ }");
        if (section is null) return (null, null, null);
        var ggufType = ReadGgufType(section, pruning);
        var dir = section.String("dir", false, "out/");
        var names = section.StringList("formats", false, allowSingle: true, "[safetensors]");
        var root = dir is { } d ? Path.GetFullPath(Path.Combine(_dir, d.Value)) : defaultRoot;
        if (names is null) return section.Has("formats") ? (null, null, ggufType) : (root, defaultFormats, ggufType);
        if (names.Count == 0)
        {
            section.Report(ManifestErrorCode.OutOfRange, section.KeyPosition("formats")!.Value, "'output.formats' lists no format.",
                "List at least one: safetensors, gguf.");
            return (null, null, ggufType);
        }
        var formats = new List<OutputFormat>();
        bool ok = true;
        foreach (var n in names)
        {
            var choice = section.ChoiceOf("'output.formats'", new YamlScalar(n.Value, YamlDotNet.Core.ScalarStyle.Plain, null, n.Position),
                ManifestKeys.Formats, "an output format");
            if (choice is null) ok = false;
            else if (!formats.Contains(choice.Value.Value)) formats.Add(choice.Value.Value);
        }
        return ok ? (root, formats, ggufType) : (null, null, ggufType);
    }

    /// <summary>
    /// <c>output.gguf_type</c>. A quantised type stores every matrix row in blocks of 32, so the FFN widths pruning leaves must
    /// be multiples of 32: without a <c>channel_multiple</c> that ensures it the run would fail at the export, so it is refused here.
    /// </summary>
    private GgufOutputType? ReadGgufType(MappingReader section, PruningSpec? pruning)
    {
        if (!section.Has("gguf_type")) return GgufOutputType.F16;
        var type = section.Choice("gguf_type", ManifestKeys.GgufTypes, "a GGUF output type");
        if (type is null) return null;
        _positions["output.gguf_type"] = type.Value.Position;
        int multiple = pruning?.ChannelMultiple ?? 1;
        if (type.Value.Value.IsQuantized() && pruning is not null && multiple % IO.Gguf.GgufQuantizer.BlockSize != 0)
        {
            section.Report(ManifestErrorCode.ConflictingKeys, type.Value.Position,
                Invariant($"'output.gguf_type: {type.Value.Value.Name()}' stores matrix rows in blocks of {IO.Gguf.GgufQuantizer.BlockSize}, but 'pruning.channel_multiple' is {multiple}, so pruned FFN widths need not be multiples of {IO.Gguf.GgufQuantizer.BlockSize}."),
                Invariant($"Add 'channel_multiple: {IO.Gguf.GgufQuantizer.BlockSize}' to 'pruning' (or a multiple of it), or use gguf_type f16."));
            return null;
        }
        return type.Value.Value;
    }

    private string? ReadDevice()
    {
        var device = entry.String("device", false, "auto");
        if (device is null) return entry.Has("device") ? null : "auto";
        var value = device.Value.Value.Trim().ToLowerInvariant();
        if (DeviceSpec().IsMatch(value)) return value;
        Diagnostics.Add(ManifestErrorCode.InvalidValue, device.Value.Position, $"'device' is '{device.Value.Value}', which is not a device.",
            "Use auto, cpu, cuda or cuda:N (N the GPU index, e.g. cuda:1).");
        return null;
    }

    private void ReportMissingPath(Located<string> value, string what, string resolved, string? why) =>
        Diagnostics.Add(ManifestErrorCode.FileNotFound, value.Position,
            why is null ? $"{what} '{value.Value}' does not exist (resolved to '{resolved}')." : $"{what} '{value.Value}' is not a file: {why}",
            why is null ? "Check the path: relative paths are resolved from the manifest's folder." : "Point it at a file.");

    /// <summary>True when the key is written with a value but the typed read reported an error (it returned null).</summary>
    private static bool Failed<T>(MappingReader section, string key, T? value) where T : struct => value is null && section.Has(key);
}
