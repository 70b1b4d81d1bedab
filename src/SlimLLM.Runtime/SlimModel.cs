using SlimLLM.Compute;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Models;
using SlimLLM.Tokenization;
using static TorchSharp.torch;

namespace SlimLLM.Runtime;

/// <summary>
/// A pruned (or dense) LLaMA-family model loaded for text generation, typically from the folder SlimLLM.Build copied
/// into the app's output (models/&lt;name&gt;/). Not thread-safe: generate from one thread at a time.
/// </summary>
public sealed class SlimModel : IDisposable
{
    private readonly IModelSource _source;
    private readonly LlamaModel _model;
    private readonly CachedDecoder _decoder;
    private bool _disposed;

    private SlimModel(IModelSource source, LlamaModel model, ComputeDevice compute)
    {
        _source = source;
        _model = model;
        _decoder = new CachedDecoder(model);
        Device = compute.Device.ToString();
    }

    /// <summary>
    /// Loads the model in <paramref name="folder"/> (config.json, safetensors, tokenizer; or a .gguf file) onto
    /// <paramref name="device"/>: "auto", "cpu", "cuda" or "cuda:N". A relative folder is taken relative to the app's
    /// output folder, so <c>SlimModel.Load("models/tinystories-slim")</c> finds what the build copied there.
    /// Throws <see cref="Errors.SlimLLMException"/> naming the file and the cause when the folder is not a usable model.
    /// </summary>
    public static SlimModel Load(string folder, string device = "auto")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var path = Path.IsPathRooted(folder) ? folder : Path.Combine(AppContext.BaseDirectory, folder);
        var source = ModelLoader.Open(path);
        try
        {
            TorchBackend.EnsureCpu(); // the package carries no libtorch: next to the app, in the NuGet packages folder, or on the search path
            var compute = ComputeDevice.Resolve(device, source.Config.TorchDtype);
            var model = LlamaModel.Load(source, compute.Device, compute.DType);
            return new SlimModel(source, model, compute);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public ModelConfig Config => _model.Config;
    public ITokenizer Tokenizer => _source.Tokenizer;
    /// <summary>Where the weights live, e.g. "cpu" or "cuda:0".</summary>
    public string Device { get; }
    /// <summary>Longest sequence (prompt plus generated tokens) the model can hold.</summary>
    public int MaxPositions => _model.MaxPositions;

    internal LlamaModel Model => _model;

    /// <summary>The text generated after <paramref name="prompt"/> (BOS is prepended; the prompt is not repeated).</summary>
    public string Generate(string prompt, GenerationOptions? options = null)
    {
        var promptIds = Encode(prompt);
        return Continuation(promptIds, GenerateTokens(promptIds, options));
    }

    /// <summary>Like <see cref="Generate"/>, yielding each new piece of text as soon as its token is chosen.</summary>
    public IEnumerable<string> GenerateStreaming(string prompt, GenerationOptions? options = null)
    {
        var promptIds = Encode(prompt);
        var generated = new List<int>();
        string shown = "";
        foreach (int id in GenerateTokenStream(promptIds, options ?? GenerationOptions.Greedy))
        {
            generated.Add(id);
            var text = Continuation(promptIds, generated);
            if (text.Length > shown.Length && text.StartsWith(shown, StringComparison.Ordinal))
            {
                yield return text[shown.Length..];
                shown = text;
            }
        }
    }

    /// <summary>Token ids generated after <paramref name="promptIds"/> (which should start with BOS when the model has one).</summary>
    public int[] GenerateTokens(IReadOnlyList<int> promptIds, GenerationOptions? options = null) =>
        GenerateTokenStream(promptIds, options ?? GenerationOptions.Greedy).ToArray();

    private IEnumerable<int> GenerateTokenStream(IReadOnlyList<int> promptIds, GenerationOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(promptIds);
        options.Validate();
        if (promptIds.Count == 0)
            throw new ArgumentException("The prompt has no tokens; pass at least BOS.", nameof(promptIds));
        if (promptIds.Count > MaxPositions)
            throw new ArgumentException($"The prompt has {promptIds.Count} tokens; the model holds {MaxPositions} positions.", nameof(promptIds));
        return Iterate(promptIds, options);
    }

    private IEnumerable<int> Iterate(IReadOnlyList<int> promptIds, GenerationOptions options)
    {
        var sampler = new TokenSampler(options);
        _decoder.Reset();
        IReadOnlyList<int> feed = promptIds;
        for (int step = 0; step < options.MaxNewTokens && _decoder.Position + feed.Count <= MaxPositions; step++)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int next;
            using (no_grad())
            using (var scope = NewDisposeScope())
                next = sampler.Next(_decoder.NextLogits(feed));
            if (options.StopAtEos && next == Tokenizer.EosId) yield break;
            yield return next;
            feed = [next];
        }
    }

    /// <summary>
    /// The text <paramref name="generated"/> adds after the prompt. Decoded together with the prompt, because SentencePiece
    /// pieces only get their leading spaces right in context (" upon" alone decodes to "upon").
    /// </summary>
    private string Continuation(int[] promptIds, IReadOnlyList<int> generated)
    {
        var promptText = Tokenizer.Decode(promptIds);
        var all = Tokenizer.Decode([.. promptIds, .. generated]);
        return all.StartsWith(promptText, StringComparison.Ordinal) ? all[promptText.Length..] : Tokenizer.Decode(generated);
    }

    private int[] Encode(string prompt)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(prompt);
        return Tokenizer.Encode(prompt, addBos: true);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _decoder.Dispose();
        _model.Dispose();
        _source.Dispose();
    }
}
