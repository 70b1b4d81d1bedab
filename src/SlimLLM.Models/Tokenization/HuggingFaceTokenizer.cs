using SlimLLM.Errors;
using NativeTokenizer = Tokenizers.DotNet.Tokenizer;
using NativeTokenizerException = Tokenizers.DotNet.TokenizerException;

namespace SlimLLM.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json (SentencePiece-style BPE with byte fallback, byte-level BPE as in LLaMA-3 and Qwen2, ...)
/// run by the Rust tokenizers library through Tokenizers.DotNet. That binding always applies the post-processor (which may
/// add BOS) and always skips special tokens when decoding; this class measures once which tokens the post-processor adds
/// and strips them, so that <see cref="Encode"/> adds BOS only when asked.
/// </summary>
public sealed class HuggingFaceTokenizer : ITokenizer
{
    private const string NativePackage = "Tokenizers.DotNet.runtime.linux-x64";
    private readonly NativeTokenizer _native;
    private readonly uint[] _templatePrefix;
    private readonly uint[] _templateSuffix;

    private HuggingFaceTokenizer(NativeTokenizer native, HuggingFaceTokenizerFiles files)
    {
        _native = native;
        Path = files.TokenizerJson;
        VocabSize = files.VocabSize;
        (_templatePrefix, _templateSuffix) = MeasureTemplate(native);
        // Without any file naming a BOS, a token the post-processor puts in front of every text is the BOS.
        BosId = files.Bos.Known ? files.Bos.Id : _templatePrefix.Length == 1 ? (int)_templatePrefix[0] : null;
        EosId = files.Eos.Id;
        AddBosByDefault = BosId is int bos && _templatePrefix.Contains((uint)bos);
    }

    /// <summary>The tokenizer.json file.</summary>
    public string Path { get; }
    public int VocabSize { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    /// <summary>Whether the tokenizer's post-processor puts BOS in front of every text (as Hugging Face does by default).</summary>
    public bool AddBosByDefault { get; }

    /// <summary>Loads tokenizer.json from <paramref name="folder"/> with the special tokens named by the files beside it.</summary>
    public static HuggingFaceTokenizer FromFolder(string folder)
    {
        var files = HuggingFaceTokenizerFiles.Read(folder);
        NativeTokenizer native;
        try
        {
            native = new NativeTokenizer(files.TokenizerJson);
        }
        catch (NativeTokenizerException e)
        {
            throw new SlimLLMException(files.TokenizerJson, $"Hugging Face tokenizers cannot load it: {e.Message}",
                "Use the tokenizer.json from the model's repository.", inner: e);
        }
        catch (Exception e) when (IsNativeLoadFailure(e))
        {
            throw NativeLibraryMissing(files.TokenizerJson, e);
        }
        return new HuggingFaceTokenizer(native, files);
    }

    public int[] Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _native.Encode(text);
        var start = StartsWith(ids, _templatePrefix) ? _templatePrefix.Length : 0;
        var end = ids.Length - (EndsWith(ids, _templateSuffix, start) ? _templateSuffix.Length : 0);
        var bos = addBos && BosId is int b ? 1 : 0;
        var result = new int[bos + end - start];
        if (bos == 1) result[0] = BosId!.Value;
        for (int i = start; i < end; i++) result[bos + i - start] = (int)ids[i];
        return result;
    }

    public string Decode(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var kept = new List<uint>(ids.Count);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id outside the vocabulary of {VocabSize}.");
            if (id != BosId && id != EosId) kept.Add((uint)id);
        }
        return kept.Count == 0 ? "" : _native.Decode([.. kept]);
    }

    public void Dispose() => _native.Dispose();

    internal static bool IsNativeLoadFailure(Exception e) =>
        e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException
        || (e is TypeInitializationException t && t.InnerException is not null && IsNativeLoadFailure(t.InnerException));

    internal static SlimLLMException NativeLibraryMissing(string file, Exception e) => new(file,
        $"the native Hugging Face tokenizers library (libhf_tokenizers from the package {NativePackage}) could not be loaded: {e.Message}",
        $"Reinstall the tool; it needs {NativePackage} for this platform (only linux-x64 is bundled).", inner: e);

    /// <summary>
    /// The tokens the post-processor adds around every text: all tokens of an empty text, split into those before and
    /// after the text by encoding a one-letter text.
    /// </summary>
    private static (uint[] Prefix, uint[] Suffix) MeasureTemplate(NativeTokenizer native)
    {
        var added = native.Encode("");
        if (added.Length == 0) return ([], []);
        var probe = native.Encode("a");
        for (int k = added.Length; k >= 0; k--)
        {
            var prefix = added[..k];
            var suffix = added[k..];
            if (probe.Length > added.Length && StartsWith(probe, prefix) && EndsWith(probe, suffix, prefix.Length))
                return (prefix, suffix);
        }
        return (added, []);
    }

    private static bool StartsWith(uint[] ids, uint[] prefix) => ids.AsSpan().StartsWith(prefix);

    private static bool EndsWith(uint[] ids, uint[] suffix, int notBefore) =>
        ids.Length - suffix.Length >= notBefore && ids.AsSpan().EndsWith(suffix);
}
