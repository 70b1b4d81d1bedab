using System.CommandLine;
using SlimLLM.Compute;
using SlimLLM.Evaluation;
using SlimLLM.Models;
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
            using var source = ModelLoader.Open(r.GetValue(model)!);
            var compute = ComputeDevice.Resolve(r.GetValue(device), source.Config.TorchDtype);
            using var llama = LlamaModel.Load(source, compute.Device, compute.DType);
            var promptIds = source.Tokenizer.Encode(r.GetValue(prompt)!, addBos: true);
            var generated = TextGenerator.Greedy(llama, promptIds, r.GetValue(maxNew), source.Tokenizer.EosId);
            Console.Out.WriteLine(source.Tokenizer.Decode(promptIds.Concat(generated).ToList()));
            return ExitCodes.Success;
        });
        return cmd;
    }
}
