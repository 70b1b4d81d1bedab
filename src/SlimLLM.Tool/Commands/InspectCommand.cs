using System.CommandLine;
using SlimLLM.Models;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A Hugging Face model folder or a .gguf file." };
        var json = CommonOptions.Json();
        var cmd = new Command("inspect", "Show a model's architecture, sizes, parameter counts and per-layer shapes.") { model, json };
        cmd.SetAction(r =>
        {
            using var source = ModelLoader.Open(r.GetValue(model)!);
            var report = ModelReport.From(source);
            if (r.GetValue(json)) Cli.Json.Print(report);
            else Console.Out.Write(report.ToText());
            return ExitCodes.Success;
        });
        return cmd;
    }
}

public sealed record LayerReport(int Index, int Heads, int KvHeads, int IntermediateSize, long Parameters, string[] Biases);

public sealed record ModelReport(
    string Path, string Format, string Architecture, int HiddenSize, int Layers, int VocabSize, int HeadDim,
    double RopeTheta, double RmsNormEps, bool TieWordEmbeddings, string Dtype, bool Uniform,
    long Parameters, long DecoderParameters, long EmbeddingParameters, IReadOnlyList<LayerReport> LayerSizes)
{
    public static ModelReport From(IModelSource s)
    {
        var c = s.Config;
        var layers = c.Layers.Select((l, i) => new LayerReport(i, l.NumHeads, l.NumKeyValueHeads, l.IntermediateSize,
            l.ParameterCount(c.HiddenSize, c.HeadDim), BiasNames(l.Biases))).ToList();
        return new ModelReport(s.Path, s.Format, c.Architecture, c.HiddenSize, c.NumLayers, c.VocabSize, c.HeadDim,
            c.RopeTheta, c.RmsNormEps, c.TieWordEmbeddings, c.TorchDtype, c.IsUniform,
            c.ParameterCount, c.DecoderParameterCount, c.EmbeddingParameterCount, layers);
    }

    private static string[] BiasNames(ProjectionBiases b) =>
        new[] { ("q", b.Q), ("k", b.K), ("v", b.V), ("o", b.O), ("gate", b.Gate), ("up", b.Up), ("down", b.Down) }
            .Where(x => x.Item2).Select(x => x.Item1).ToArray();

    public string ToText()
    {
        var w = new StringWriter();
        w.WriteLine($"model         {Path} ({Format})");
        w.WriteLine($"architecture  {Architecture}, {Dtype}");
        w.WriteLine($"hidden        {HiddenSize}, head dim {HeadDim}, vocab {VocabSize}, {Layers} layers{(Uniform ? "" : " (per-layer sizes)")}");
        w.WriteLine($"rope theta    {RopeTheta}, rms eps {RmsNormEps}, tied embeddings: {(TieWordEmbeddings ? "yes" : "no")}");
        w.WriteLine($"parameters    {Parameters:N0} (decoder layers {DecoderParameters:N0}, embeddings {EmbeddingParameters:N0})");
        w.WriteLine();
        w.WriteLine("layer  heads  kv  ffn      params       biases");
        foreach (var l in LayerSizes)
            w.WriteLine($"{l.Index,5}  {l.Heads,5}  {l.KvHeads,2}  {l.IntermediateSize,-7}  {l.Parameters,11:N0}  {(l.Biases.Length == 0 ? "-" : string.Join(",", l.Biases))}");
        return w.ToString();
    }
}
