namespace SlimLLM.Build;

/// <summary>The exit codes of `slimllm prune` (the tool's ExitCodes; docs/msbuild.md).</summary>
public static class ToolExitCodes
{
    public const int Success = 0;
    public const int InternalError = 1;
    public const int BadInput = 2;
    public const int GateFailed = 3;
    public const int Interrupted = 130;
    public const int Terminated = 143;
}
