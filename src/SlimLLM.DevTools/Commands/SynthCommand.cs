using System.CommandLine;
using SlimLLM.DevTools.Synth;
using SlimLLM.Errors;
using SlimLLM.Models;
using SlimLLM.Tool.Cli;
using static TorchSharp.torch;

namespace SlimLLM.DevTools.Commands;

public static class SynthCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = "llama-7b | llama-3-8b | custom.", DefaultValueFactory = _ => "llama-7b" };
        var layers = new Option<int?>("--layers") { Description = "Number of decoder layers (default: the shape's)." };
        var hidden = new Option<int?>("--hidden") { Description = "custom: hidden size." };
        var heads = new Option<int?>("--heads") { Description = "custom: attention heads." };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "custom: KV heads (default: heads)." };
        var ffn = new Option<int?>("--ffn") { Description = "custom: FFN width." };
        var vocab = new Option<int?>("--vocab")
        {
            Description = "Embedding and output-head rows (default: llama-7b 32000, llama-3-8b 128256, custom the tokenizer's); at least the tokenizer's vocabulary.",
        };
        var maxShard = new Option<string>("--max-shard-size") { Description = "Largest safetensors shard, e.g. 500MB, 2GB (decimal) or 1GiB.", DefaultValueFactory = _ => "2GB" };
        var dtype = new Option<string>("--dtype") { Description = "f32 | bf16 | f16.", DefaultValueFactory = _ => "bf16" };
        var tokenizer = new Option<string>("--tokenizer-from") { Description = "A model folder whose tokenizer (and vocabulary size) the synthetic model uses.", Required = true };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "Random seed." };
        var output = new Option<string>("--out", "-o") { Description = "Output folder.", Required = true };
        var cmd = new Command("synth", "Write a random-weight checkpoint with real LLaMA shapes, for speed and scale work only (never for quality claims).")
            { shape, layers, hidden, heads, kvHeads, ffn, vocab, dtype, tokenizer, seed, maxShard, output };
        cmd.SetAction(r =>
        {
            var s = r.GetValue(shape)!.ToLowerInvariant() == "custom"
                ? new SyntheticModel.Shape(r.GetValue(hidden) ?? Missing("--hidden"), r.GetValue(heads) ?? Missing("--heads"),
                    r.GetValue(kvHeads) ?? r.GetValue(heads) ?? Missing("--heads"), r.GetValue(ffn) ?? Missing("--ffn"), r.GetValue(layers) ?? Missing("--layers"), r.GetValue(vocab))
                : SyntheticModel.Named(r.GetValue(shape)!, r.GetValue(layers), r.GetValue(vocab));
            var st = r.GetValue(dtype)!.ToLowerInvariant() switch
            {
                "f32" or "float32" => ScalarType.Float32,
                "bf16" or "bfloat16" => ScalarType.BFloat16,
                "f16" or "float16" => ScalarType.Float16,
                var other => throw new SlimLLMException(null, $"dtype '{other}' is not supported.", "Use f32, bf16 or f16."),
            };
            var maxShardBytes = ShardSize.Parse(r.GetValue(maxShard)!);
            SyntheticModel.Write(r.GetValue(output)!, s, r.GetValue(tokenizer)!, st, r.GetValue(seed), maxShardBytes);
            var written = HuggingFaceConfig.Load(Path.Combine(r.GetValue(output)!, "config.json"));
            Console.Out.WriteLine($"wrote {Path.GetFullPath(r.GetValue(output)!)}: hidden {s.Hidden}, {s.Heads}/{s.KvHeads} heads, FFN {s.Ffn}, {s.Layers} layers, vocab {written.VocabSize}, {r.GetValue(dtype)}");
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static int Missing(string option) => throw new SlimLLMException(null, $"--shape custom needs {option}.", $"Pass {option} N.");
}
