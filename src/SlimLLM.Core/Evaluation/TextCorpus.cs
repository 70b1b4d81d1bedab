using System.Text;
using SlimLLM.Errors;

namespace SlimLLM.Evaluation;

public static class TextCorpus
{
    /// <summary>Reads a text file as UTF-8 (BOM stripped) with CRLF turned into LF, as the perplexity protocol requires.</summary>
    public static string Read(string path)
    {
        if (!File.Exists(path))
            throw new SlimLLMException(path, "text file not found.", "Check the path of the calibration, evaluation or tuning text.");
        string text;
        try
        {
            text = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException)
        {
            throw new SlimLLMException(path, "is not valid UTF-8 text.", "Convert the file to UTF-8.");
        }
        return text.Replace("\r\n", "\n");
    }
}
