using System.CommandLine;
using SlimLLM.Tool.Cli;
using SlimLLM.Tool.Commands;

var root = new RootCommand("slimllm: structured pruning of LLaMA-family models with the SlimLLM method (arXiv 2505.22689).")
{
    InspectCommand.Create(),
    EvalCommand.Create(),
    GenerateCommand.Create(),
    PruneCommand.Create(),
    CompareCommand.Create(),
    InitCommand.Create(),
    ExportCommand.Create(),
    SynthCommand.Create(),
    CacheCommand.Create(),
};
return ErrorHandling.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
