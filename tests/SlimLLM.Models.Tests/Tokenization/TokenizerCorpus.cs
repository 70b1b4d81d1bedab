using System.Security.Cryptography;
using System.Text;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.Tokenization;

/// <summary>Helpers that run a tokenizer over the non-empty lines of a shared text file.</summary>
internal static class TokenizerCorpus
{
    /// <summary>The shared text a theory names: "tinystories", "wikitext" or "corpus".</summary>
    public static string Named(string corpus) => corpus switch
    {
        "tinystories" => Tests.Support.TestData.TinyStoriesValid,
        "wikitext" => Tests.Support.TestData.WikiText2Test,
        _ => Tests.Support.TestData.CorpusEn,
    };

    public static string[] Lines(string path) => File.ReadLines(path).Where(l => l.Length > 0).ToArray();

    /// <summary>SHA-256 of "id,id,...\n" per line: the same text the independent reference scripts wrote.</summary>
    public static (string Sha256, int Lines, long Tokens) Fingerprint(ITokenizer tokenizer, string path, bool addBos)
    {
        var text = new StringBuilder();
        long tokens = 0;
        var lines = Lines(path);
        foreach (var line in lines)
        {
            var ids = tokenizer.Encode(line, addBos);
            tokens += ids.Length;
            text.Append(string.Join(',', ids)).Append('\n');
        }
        return (Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))), lines.Length, tokens);
    }

    /// <summary>Lines whose decode(encode(line)) differs from the line.</summary>
    public static List<string> RoundTripFailures(ITokenizer tokenizer, string path) =>
        Lines(path).Where(line => tokenizer.Decode(tokenizer.Encode(line, addBos: true)) != line).ToList();
}
