using System.Globalization;
using System.Text;

namespace SlimLLM.Build;

/// <summary>
/// The one line per pruned model that a person reads in the build output:
/// <c>NAME: parameters 260,000 → 210,000 (-19.2%, decoder layers -25.0%), perplexity 10.000 → 10.500 (+5.0%) on eval.txt</c>.
/// </summary>
/// <remarks>
/// .NET's terminal logger (the default of an interactive `dotnet build`) drops high-importance messages at normal
/// verbosity; the one it does show is a project's primary output, "PROJECT -> TEXT", printed after "PROJECT succeeded".
/// SlimLLM.Build.targets builds build/SlimLLM.proj once per model to log "SlimLLM -> SUMMARY" there. No ';' in the
/// line: it travels as an MSBuild property.
/// </remarks>
public static class ResultSummary
{
    public static string Of(ReportedModel m)
    {
        var sb = new StringBuilder(m.Name).Append(':');
        if (m.Parameters is { } p)
        {
            sb.Append(string.Format(CultureInfo.InvariantCulture, " parameters {0:N0} → {1:N0}", p.Before, p.After));
            if (p.Before > 0)
                sb.Append(" (").Append(Percent((double)p.After / p.Before - 1)).Append(", decoder layers ").Append(Percent(-p.AchievedDecoderReduction)).Append(')');
        }
        var evaluations = m.Evaluation ?? new List<ReportedEvaluation>();
        for (int i = 0; i < evaluations.Count; i++)
        {
            var e = evaluations[i];
            sb.Append(i == 0 && m.Parameters is null ? " " : ", ");
            sb.Append(string.Format(CultureInfo.InvariantCulture, "perplexity {0:F3} → {1:F3} ({2}) on {3}",
                e.DensePerplexity, e.PrunedPerplexity, Percent(e.PrunedPerplexity / e.DensePerplexity - 1), Path.GetFileName(e.Text)));
        }
        return sb.ToString();
    }

    /// <summary>A signed change with one decimal and no space: -19.2%, +5.0% (the tool prints the same).</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%";
}
