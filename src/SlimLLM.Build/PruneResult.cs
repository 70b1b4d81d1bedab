using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;

namespace SlimLLM.Build;

/// <summary>The part of `slimllm prune --json` the build needs (DataContractJsonSerializer: no dependency to ship with the task).</summary>
[DataContract]
public sealed class PruneResult
{
    [DataMember(Name = "models")] public List<PrunedModel> Models { get; set; } = new();

    public static PruneResult Parse(string json)
    {
        var serializer = new DataContractJsonSerializer(typeof(PruneResult));
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var result = (PruneResult)serializer.ReadObject(stream);
        result.Models ??= new List<PrunedModel>();
        return result;
    }
}

[DataContract]
public sealed class PrunedModel
{
    [DataMember(Name = "name")] public string Name { get; set; } = "";
    [DataMember(Name = "output")] public string Output { get; set; } = "";
    [DataMember(Name = "forward_passes")] public long ForwardPasses { get; set; }
    [DataMember(Name = "parameters")] public PrunedParameters? Parameters { get; set; }
    [DataMember(Name = "evaluation")] public List<PrunedEvaluation>? Evaluation { get; set; }
    /// <summary>The local files the prune read (model, calibration and evaluation texts), absolute.</summary>
    [DataMember(Name = "inputs")] public List<string>? Inputs { get; set; }
}

[DataContract]
public sealed class PrunedParameters
{
    [DataMember(Name = "before")] public long Before { get; set; }
    [DataMember(Name = "after")] public long After { get; set; }
    [DataMember(Name = "achieved_decoder_reduction")] public double AchievedDecoderReduction { get; set; }
}

[DataContract]
public sealed class PrunedEvaluation
{
    [DataMember(Name = "text")] public string Text { get; set; } = "";
    [DataMember(Name = "dense_perplexity")] public double DensePerplexity { get; set; }
    [DataMember(Name = "pruned_perplexity")] public double PrunedPerplexity { get; set; }
}
