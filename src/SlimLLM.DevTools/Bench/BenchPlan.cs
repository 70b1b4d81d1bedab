using SlimLLM.Errors;

namespace SlimLLM.DevTools.Bench;

/// <summary>Turns --cases names into the rows to run, and the scaling pairs to compare.</summary>
public sealed class BenchPlan
{
    public const string TargetReduction = "0.2";
    public static readonly string[] Groups = ["shared", "rebuild", "llama-7b", "scaling", "memory", "evaluate", "tune", "all"];

    /// <summary>The evaluation tokens of the evaluate case (its name says how many).</summary>
    public const int EvaluateTokens = 8192;
    /// <summary>The tune case's training: 2 steps of 8 x 128 tokens (tune:B for B windows per step).</summary>
    public static readonly TuneSpec Tuning = new(Steps: 2, BatchSize: 8, SeqLen: 128);
    /// <summary>The tune case prunes with this many calibration sequences whatever --samples says: the prune is not what it measures.</summary>
    public const int TuneCalibrationSamples = 8;
    public static readonly string[] SharedModels = ["tinystories-llama", "stories260k"];

    /// <summary>The scaling model: a custom shape small enough for a 2-core CPU, with LLaMA-3-style grouped KV heads.</summary>
    private static SynthSpec ScalingModel(int layers) => SynthSpec.Custom(1024, 16, 4, 2816, layers, "f32");

    public required IReadOnlyList<BenchCase> Cases { get; init; }
    public required IReadOnlyList<ScalingPair> Pairs { get; init; }

    public static string TokenizerModel(string dataDir) => Path.Combine(dataDir, "models", "tinystories-llama");
    public static string CalibrationText(string dataDir) => Path.Combine(dataDir, "text", "tinystories-valid.txt");
    public static string EvaluationText(string dataDir) => Path.Combine(dataDir, "text", "wikitext2-test.raw.txt");

    /// <param name="names">Comma-separated groups; shared:NAME picks one shared model.</param>
    public static BenchPlan Create(string names, string dataDir, int samples = 32, int seqLen = 128)
    {
        var cases = new List<BenchCase>();
        var pairs = new List<ScalingPair>();
        void Add(BenchCase c)
        {
            if (!cases.Any(x => x.Name == c.Name)) cases.Add(c);
        }
        string Shared(string model) => model == "tinystories-llama"
            ? Path.Combine(dataDir, "models", "tinystories-llama")
            : Path.Combine(dataDir, "models", "stories260k", "stories260K.gguf");

        var requested = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (requested.Count == 0) throw Unknown(names);
        foreach (var name in requested.SelectMany(n => n.Equals("all", StringComparison.OrdinalIgnoreCase) ? ["shared", "rebuild", "llama-7b", "scaling"] : new[] { n }))
        {
            var (group, sub) = name.IndexOf(':') is var i and >= 0 ? (name[..i].ToLowerInvariant(), name[(i + 1)..]) : (name.ToLowerInvariant(), null);
            switch (group)
            {
                case "shared":
                    var models = sub is null ? SharedModels : SharedModels.Contains(sub) ? [sub] : throw Unknown(name);
                    foreach (var m in models)
                        Add(new BenchCase { Group = group, Name = $"shared {m}", ModelPath = Shared(m), Samples = samples, SeqLen = seqLen });
                    break;
                case "rebuild" when sub is null:
                    Add(new BenchCase { Group = group, Name = "rebuild", ModelPath = Shared("tinystories-llama"), Samples = samples, SeqLen = seqLen, Rebuild = true });
                    break;
                case "llama-7b" when sub is null:
                    Add(new BenchCase { Group = group, Name = "llama-7b L2", Synth = SynthSpec.Named("llama-7b", 2, "bf16", 32000), Samples = samples, SeqLen = seqLen, PrunedLayers = 2 });
                    break;
                case "scaling" when sub is null:
                    int half = Math.Max(1, samples / 2);
                    Add(new BenchCase { Group = group, Name = "scaling L4", Synth = ScalingModel(4), Samples = samples, SeqLen = seqLen, PrunedLayers = 4 });
                    Add(new BenchCase { Group = group, Name = "scaling L8", Synth = ScalingModel(8), Samples = samples, SeqLen = seqLen, PrunedLayers = 8 });
                    Add(new BenchCase { Group = group, Name = "scaling L8 T/2", Synth = ScalingModel(8), Samples = half, SeqLen = seqLen, PrunedLayers = 8 });
                    pairs.Add(new ScalingPair("layers 4 -> 8", "scaling L4", "scaling L8", 2.0));
                    pairs.Add(new ScalingPair($"tokens {half}x{seqLen} -> {samples}x{seqLen}", "scaling L8 T/2", "scaling L8", (double)samples / half));
                    break;
                case "memory" when sub is null:
                    Add(new BenchCase { Group = group, Name = "llama-7b L16", Synth = SynthSpec.Named("llama-7b", 16, "bf16", 32000), Samples = samples, SeqLen = seqLen, PrunedLayers = 16 });
                    break;
                case "evaluate":
                    // The streamed evaluation at 7B shape: peak memory with evaluate: must stay that of the prune.
                    int evalTokens = sub is null ? EvaluateTokens : int.TryParse(sub, out var n) && n >= 128 ? n : throw Unknown(name);
                    Add(new BenchCase
                    {
                        Group = group, Name = $"llama-7b L4 eval {evalTokens}", Synth = SynthSpec.Named("llama-7b", 4, "bf16", 32000), Samples = samples,
                        SeqLen = seqLen, PrunedLayers = 4, EvaluateTokens = evalTokens,
                    });
                    break;
                case "tune":
                    // LoRA tuning at 7B shape, without and with activation checkpointing: the activations' share of the peak memory.
                    int batch = sub is null ? Tuning.BatchSize : int.TryParse(sub, out var b) && b >= 1 ? b : throw Unknown(name);
                    Add(new BenchCase
                    {
                        Group = group, Name = $"llama-7b L4 tune {batch}x{Tuning.SeqLen}", Synth = SynthSpec.Named("llama-7b", 4, "bf16", 32000),
                        Samples = TuneCalibrationSamples, SeqLen = 128, PrunedLayers = 4, Tune = Tuning with { BatchSize = batch },
                    });
                    break;
                default:
                    throw Unknown(name);
            }
        }
        return new BenchPlan { Cases = cases, Pairs = pairs };
    }

    private static SlimLLMException Unknown(string name) => new(null, $"unknown benchmark case '{name}'.",
        $"Use a comma list of: {string.Join(", ", Groups)}, or shared:{string.Join("|", SharedModels)}, or evaluate:TOKENS (at least 128), or tune:BATCH.");
}
