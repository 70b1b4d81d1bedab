using System.CommandLine;
using SlimLLM.Tool.Cli;
using SlimLLM.Tool.Commands;

var root = new RootCommand("slimllm: structured pruning of LLaMA-family models with the SlimLLM method (arXiv 2505.22689).\nExit codes: 0 success, 1 internal error (a bug), 2 bad input (file, cause and fix on one line), 3 an evaluate gate failed.")
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
    DoctorCommand.Create(),
};
root.Options.Add(BackendStartup.LibTorchOption);
return ErrorHandling.Run(() =>
{
    BackendStartup.PreloadIfNamed(args);
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
});
