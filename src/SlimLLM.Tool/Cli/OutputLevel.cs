using System.CommandLine;

namespace SlimLLM.Tool.Cli;

/// <summary>How much a command writes on stderr besides errors: --quiet (errors and warnings only) or --verbose (a line per step too).</summary>
public static class OutputLevel
{
    public static readonly Option<bool> QuietOption = new("--quiet", "-q")
    {
        Description = "Write only errors and warnings on stderr: no progress, no messages.",
        Recursive = true,
    };

    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "Write a line per step of every phase too (SLIMLLM_TRACE=1 adds stack traces to errors).",
        Recursive = true,
    };

    public static bool Quiet { get; private set; }
    public static bool Verbose { get; private set; }

    public static void Add(RootCommand root)
    {
        root.Options.Add(QuietOption);
        root.Options.Add(VerboseOption);
    }

    public static void Read(ParseResult parsed)
    {
        Quiet = parsed.GetValue(QuietOption);
        Verbose = parsed.GetValue(VerboseOption) && !Quiet;
    }
}
