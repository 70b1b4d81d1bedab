using System.CommandLine;
using SlimLLM.Runtime;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Text to continue (BOS is always prepended).", DefaultValueFactory = _ => "" };
        var maxNew = new Option<int>("--max-new-tokens", "-n") { Description = "How many tokens to generate at most.", DefaultValueFactory = _ => 64 };
        var device = CommonOptions.Device();
        var cmd = new Command("generate", "Generate text greedily from a prompt.") { model, prompt, maxNew, device };
        cmd.SetAction(r =>
        {
            // SlimModel.Load takes a relative path from the app's folder; here it is relative to the working directory.
            using var slim = SlimModel.Load(Path.GetFullPath(r.GetValue(model)!), r.GetValue(device)!);
            var promptIds = slim.Tokenizer.Encode(r.GetValue(prompt)!, addBos: true);
            var generated = slim.GenerateTokens(promptIds, GenerationOptions.Greedy with { MaxNewTokens = r.GetValue(maxNew) });
            Console.Out.WriteLine(slim.Tokenizer.Decode([.. promptIds, .. generated]));
            return ExitCodes.Success;
        });
        return cmd;
    }
}
