using System.CommandLine;
using SlimLLM.DevTools.Commands;
using SlimLLM.Tool.Cli;

// The developers' tool: the same start-up, error handling, exit codes, signals and --libtorch as slimllm, other commands.
var root = new RootCommand("slimllm-dev: SlimLLM developer tools (benchmark, synthetic checkpoints, quality table); not shipped in any package.\nExit codes as slimllm's: 0 success, 1 internal error (a bug), 2 bad input, 130/143 stopped by SIGINT/SIGTERM. SLIMLLM_TRACE=1 adds stack traces.")
{
    BenchCommand.Create(),
    SynthCommand.Create(),
    CompareCommand.Create(),
};
return CommandLineHost.Run(root, args);
