using System.CommandLine;
using SlimLLM.Tool.Cli;
using SlimLLM.Tool.Commands;

var root = new RootCommand("slimllm: structured pruning of LLaMA-family models with the SlimLLM method (arXiv 2505.22689).\nExit codes: 0 success, 1 internal error (a bug), 2 bad input (file, cause and fix on one line), 3 an evaluate gate failed (the previous output is kept), 130/143 stopped by SIGINT/SIGTERM. SLIMLLM_TRACE=1 adds stack traces.")
{
    InspectCommand.Create(),
    EvalCommand.Create(),
    GenerateCommand.Create(),
    PruneCommand.Create(),
    InitCommand.Create(),
    ExportCommand.Create(),
    TuneCommand.Create(),
    CacheCommand.Create(),
    DoctorCommand.Create(),
    BackendCommand.Create(),
};
return CommandLineHost.Run(root, args);
