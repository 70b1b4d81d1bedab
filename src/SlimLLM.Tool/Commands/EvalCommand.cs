using System.CommandLine;
using SlimLLM.Compute;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var text = new Option<string>("--text", "-t") { Description = "UTF-8 text file to measure perplexity on.", Required = true };
        var seqLen = new Option<int>("--seq-len") { Description = "Window length in tokens (non-overlapping windows).", DefaultValueFactory = _ => 128 };
        var maxTokens = new Option<long?>("--max-tokens") { Description = "Use only the first N tokens of the text." };
        var batch = new Option<int>("--batch-size") { Description = "Windows per forward pass.", DefaultValueFactory = _ => 8 };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var cmd = new Command("eval", "Measure perplexity on a text file (the paper's protocol: BOS once, windows of seq_len, tokens 2..seq_len scored).")
            { model, text, seqLen, maxTokens, batch, device, json };
        cmd.SetAction(r =>
        {
            using var source = ModelLoader.Open(r.GetValue(model)!);
            var compute = ComputeDevice.Resolve(r.GetValue(device), source.Config.TorchDtype);
            var progress = new StderrProgress();
            var tokens = Perplexity.Tokenize(source.Tokenizer, TextCorpus.Read(r.GetValue(text)!), r.GetValue(maxTokens));
            using var llama = LlamaModel.Load(source, compute.Device, compute.DType, Math.Max(r.GetValue(seqLen), 128));
            var result = Perplexity.Evaluate(llama, tokens, r.GetValue(seqLen), r.GetValue(batch), progress);
            if (r.GetValue(json))
                Cli.Json.Print(new { model = source.Path, text = Path.GetFullPath(r.GetValue(text)!), perplexity = result.Perplexity, tokens = result.Tokens,
                    predicted_tokens = result.PredictedTokens, windows = result.Windows, seq_len = result.SeqLen, mean_nll = result.MeanNll, device = compute.Device.ToString() });
            else
                Console.Out.WriteLine($"perplexity {result.Perplexity:F4} over {result.Windows} windows of {result.SeqLen} tokens ({result.PredictedTokens} predicted tokens)");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
