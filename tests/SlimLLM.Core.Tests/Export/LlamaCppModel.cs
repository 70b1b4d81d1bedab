using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace SlimLLM.Tests.Export;

/// <summary>
/// A GGUF file run by llama.cpp through LLamaSharp (CPU backend; the AVX variant is chosen at run time): its tokenizer and
/// the logits of every position of a token sequence, each sequence run from an empty KV cache.
/// With <c>exact</c> (the default) K/V are cached in float32 and flash attention is off, so that a comparison with our forward
/// measures the weights and the graph: llama.cpp's defaults (f16 KV cache; CPU flash attention, which rounds through f16)
/// move F32 logits by up to ~7e-3. Without it llama.cpp runs with its defaults, as a user would.
/// </summary>
public sealed class LlamaCppModel : IDisposable
{
    private static readonly StringBuilder Log = new();
    private static readonly Lock LogLock = new();
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;

    static LlamaCppModel()
    {
        try
        {
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                lock (LogLock) Log.Append(message);
            });
        }
        catch (InvalidOperationException)
        {
            // Some other code loaded llama.cpp first: it keeps logging to stderr, which only costs the log tail in messages.
        }
    }

    /// <summary>Loads weights the plain LLamaSharp way, after the log capture is set up (every test goes through here or the constructor).</summary>
    public static LLamaWeights LoadWeights(ModelParams parameters)
    {
        try
        {
            return LLamaWeights.LoadFromFile(parameters);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"llama.cpp could not load {parameters.ModelPath}: {e.Message}\nllama.cpp log (tail):\n{LogTail()}", e);
        }
    }

    public LlamaCppModel(string path, bool exact = true, int contextSize = 256)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            UBatchSize = (uint)contextSize,
            Threads = 2,
            BatchThreads = 2,
            GpuLayerCount = 0,
        };
        if (exact)
        {
            parameters.TypeK = GGMLType.GGML_TYPE_F32;
            parameters.TypeV = GGMLType.GGML_TYPE_F32;
            parameters.FlashAttention = false;
        }
        _weights = LoadWeights(parameters);
        _context = _weights.CreateContext(parameters);
        ContextSize = contextSize;
    }

    public int ContextSize { get; }
    public int VocabSize => _context.Vocab.Count;

    /// <summary>The last lines llama.cpp logged (shared by all models of the process).</summary>
    public static string LogTail(int chars = 4000)
    {
        lock (LogLock) return Log.Length <= chars ? Log.ToString() : Log.ToString(Log.Length - chars, chars);
    }

    public int[] Tokenize(string text, bool addBos) =>
        _weights.Tokenize(text, addBos, special: false, Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary>Logits [tokens.Length, vocab] for every position, the sequence run alone from position 0.</summary>
    public float[][] Logits(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length > ContextSize) throw new ArgumentException($"{tokens.Length} tokens exceed the context of {ContextSize}.");
        _context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Length; i++)
            batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        var result = _context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}.\n{LogTail()}");
        var rows = new float[tokens.Length][];
        for (int i = 0; i < tokens.Length; i++)
            rows[i] = _context.NativeHandle.GetLogitsIth(i).ToArray();
        return rows;
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
