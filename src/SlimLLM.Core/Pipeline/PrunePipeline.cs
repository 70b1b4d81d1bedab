using System.Diagnostics;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Output;
using SlimLLM.Progress;
using SlimLLM.Pruning.Engine;

namespace SlimLLM.Pipeline;

/// <summary>
/// One pruning job end to end: open the model, sample calibration text, prune, write the folder under a temporary name,
/// evaluate dense and pruned perplexity, write slimllm.json, then swap the folder into place.
/// </summary>
public sealed class PrunePipeline(IProgressReporter? progress = null)
{
    private readonly IProgressReporter _progress = progress ?? NullProgress.Instance;

    public PruneReport Run(PruneJob job)
    {
        var total = Stopwatch.StartNew();
        using var source = ModelLoader.Open(job.ModelPath);
        var compute = ComputeDevice.Resolve(job.Device, source.Config.TorchDtype);
        _progress.Info($"{job.Name}: {source.Config.Architecture} from {source.Path}; device {compute.Device} ({compute.Reason})");

        var calibration = BuildCalibration(job, source);
        var result = new PruningEngine(_progress).Run(source, calibration, job.Settings, compute, job.SettingsSource);
        using (result)
        {
            using var folder = new AtomicFolder(job.OutputDir);
            result.Timings.Time("write", () => PrunedModelWriter.Write(folder.TempPath, source, result));

            var evaluations = new List<Provenance.EvaluationInfo>();
            var summaries = new List<EvaluationSummary>();
            foreach (var spec in job.Evaluate)
            {
                var (info, summary) = result.Timings.Time("evaluate", () => Evaluate(spec, source, folder.TempPath, compute));
                evaluations.Add(info);
                summaries.Add(summary);
                _progress.Info($"{job.Name}: {Path.GetFileName(spec.Text)} perplexity {info.DensePerplexity:F3} dense -> {info.PrunedPerplexity:F3} pruned ({summary.PerplexityIncrease:+0.0%;-0.0%})");
            }

            var provenance = Provenance.Create(result, source, calibration, job.CalibrationFiles) with { Evaluation = evaluations };
            File.WriteAllText(Path.Combine(folder.TempPath, "slimllm.json"), provenance.ToJson());
            folder.Commit();

            var timings = new Dictionary<string, double>(result.Timings.Seconds) { ["total_seconds"] = total.Elapsed.TotalSeconds };
            return new PruneReport(job.Name, job.OutputDir, result.ForwardPasses, new CacheCounters(0, 0), timings,
                new ParameterSummary(result.DenseConfig.ParameterCount, result.Config.ParameterCount, result.DecoderParametersBefore,
                    result.DecoderParametersAfter, result.TargetReduction, result.AchievedDecoderReduction),
                summaries, provenance);
        }
    }

    public static CalibrationSet BuildCalibration(PruneJob job, IModelSource source)
    {
        if (job.CalibrationFiles.Count == 0)
            throw new SlimLLMException(job.SettingsSource, "no calibration text files were given.", "Name at least one UTF-8 text file for calibration.");
        // Files are concatenated in the given (sorted) order, separated by a blank line.
        var text = string.Join("\n\n", job.CalibrationFiles.Select(TextCorpus.Read));
        return CalibrationSet.FromText(source.Tokenizer, text, job.Samples, job.SeqLen, job.Seed, string.Join(", ", job.CalibrationFiles));
    }

    private (Provenance.EvaluationInfo, EvaluationSummary) Evaluate(EvaluationSpec spec, IModelSource dense, string prunedFolder, ComputeDevice compute)
    {
        var tokens = Perplexity.Tokenize(dense.Tokenizer, TextCorpus.Read(spec.Text), spec.MaxTokens);
        int maxPos = Math.Max(spec.SeqLen, 128);
        PerplexityResult denseResult, prunedResult;
        using (var model = LlamaModel.Load(dense, compute.Device, compute.DType, maxPos))
            denseResult = Perplexity.Evaluate(model, tokens, spec.SeqLen, progress: _progress, phase: "perplexity (dense)");
        using (var prunedSource = ModelLoader.Open(prunedFolder))
        using (var model = LlamaModel.Load(prunedSource, compute.Device, compute.DType, maxPos))
            prunedResult = Perplexity.Evaluate(model, tokens, spec.SeqLen, progress: _progress, phase: "perplexity (pruned)");
        var info = new Provenance.EvaluationInfo(Path.GetFullPath(spec.Text), spec.SeqLen, spec.MaxTokens, denseResult.Tokens, denseResult.Perplexity, prunedResult.Perplexity);
        return (info, new EvaluationSummary(info.Text, info.DensePerplexity, info.PrunedPerplexity, spec.MaxPerplexityIncrease));
    }
}
