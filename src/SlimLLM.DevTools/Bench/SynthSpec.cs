using System.Globalization;

namespace SlimLLM.DevTools.Bench;

/// <summary>A synthetic checkpoint the benchmark generates with <c>slimllm-dev synth</c>: a named LLaMA shape or a custom one.</summary>
public sealed record SynthSpec(string Shape, int Layers, string DType, int? Vocab = null, int? Hidden = null, int? Heads = null, int? KvHeads = null, int? Ffn = null)
{
    public static SynthSpec Named(string shape, int layers, string dtype, int? vocab = null) => new(shape, layers, dtype, vocab);

    public static SynthSpec Custom(int hidden, int heads, int kvHeads, int ffn, int layers, string dtype) =>
        new("custom", layers, dtype, null, hidden, heads, kvHeads, ffn);

    /// <summary>A folder name that differs whenever the checkpoint would.</summary>
    public string FolderName => Shape == "custom"
        ? $"custom-h{Hidden}-a{Heads}-kv{KvHeads}-f{Ffn}-L{Layers}-{DType}"
        : $"{Shape}-L{Layers}-{DType}" + (Vocab is int v ? $"-v{v}" : "");

    /// <summary>The <c>synth</c> arguments apart from --out (which also identify the checkpoint for reuse).</summary>
    public IReadOnlyList<string> Arguments(string tokenizerFrom)
    {
        var args = new List<string> { "synth", "--shape", Shape, "--layers", I(Layers), "--dtype", DType, "--tokenizer-from", tokenizerFrom, "--seed", "0" };
        if (Vocab is int v) args.AddRange(["--vocab", I(v)]);
        if (Shape == "custom")
            args.AddRange(["--hidden", I(Hidden!.Value), "--heads", I(Heads!.Value), "--kv-heads", I(KvHeads!.Value), "--ffn", I(Ffn!.Value)]);
        return args;
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
