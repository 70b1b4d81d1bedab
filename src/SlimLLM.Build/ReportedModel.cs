using System.Runtime.Serialization;

namespace SlimLLM.Build;

/// <summary>One model of the tool's report: where it was written (the NAME.rejected folder when a gate failed), its size and evaluation, and what the prune read.</summary>
[DataContract]
public sealed class ReportedModel
{
    [DataMember(Name = "name")] public string Name { get; set; } = "";
    [DataMember(Name = "output")] public string Output { get; set; } = "";
    /// <summary>An evaluate gate failed: <see cref="Output"/> is the rejected model's folder, and the previous output is kept.</summary>
    [DataMember(Name = "rejected")] public bool Rejected { get; set; }
    [DataMember(Name = "parameters")] public ReportedParameters? Parameters { get; set; }
    [DataMember(Name = "evaluation")] public List<ReportedEvaluation>? Evaluation { get; set; }
    /// <summary>The local files the prune read (model, calibration and evaluation texts), absolute.</summary>
    [DataMember(Name = "inputs")] public List<string>? Inputs { get; set; }
}

[DataContract]
public sealed class ReportedParameters
{
    [DataMember(Name = "before")] public long Before { get; set; }
    [DataMember(Name = "after")] public long After { get; set; }
    [DataMember(Name = "achieved_decoder_reduction")] public double AchievedDecoderReduction { get; set; }
}

[DataContract]
public sealed class ReportedEvaluation
{
    [DataMember(Name = "text")] public string Text { get; set; } = "";
    [DataMember(Name = "dense_perplexity")] public double DensePerplexity { get; set; }
    [DataMember(Name = "pruned_perplexity")] public double PrunedPerplexity { get; set; }
    [DataMember(Name = "max_perplexity_increase")] public double? MaxPerplexityIncrease { get; set; }
    /// <summary>The gate of this text failed: the perplexity rose more than <see cref="MaxPerplexityIncrease"/> allows.</summary>
    [DataMember(Name = "failed")] public bool Failed { get; set; }
}
