using SlimLLM.Tool.Cli;
using Xunit;

namespace SlimLLM.Tests.Cli;

/// <summary>Every failure is one line on stderr with the documented exit code; a stack trace only with SLIMLLM_TRACE=1.</summary>
public class ErrorHandlingTests
{
    private static (int Exit, string Stderr) Capture(Func<int> action)
    {
        var previous = Console.Error;
        var writer = new StringWriter();
        Console.SetError(writer);
        try { return (ErrorHandling.Run(action), writer.ToString()); }
        finally { Console.SetError(previous); }
    }

    [Fact]
    public void A_bug_is_one_line_saying_internal_error_and_exit_1_without_a_stack_trace()
    {
        var (exit, stderr) = Capture(() => throw new InvalidOperationException("index was off by one\nsecond line"));
        Assert.Equal(ExitCodes.InternalError, exit);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("error: internal error (InvalidOperationException: index was off by one)", line);
        Assert.Contains("SLIMLLM_TRACE=1", line);
    }

    [Theory]
    [InlineData(28, "the disk is full")]
    [InlineData(0, "permission denied")]
    public void Environment_failures_are_one_line_with_the_fix_and_exit_2(int errno, string cause)
    {
        Exception e = errno == 28 ? new IOException("No space left on device : '/out/model.safetensors'", 28)
            : new UnauthorizedAccessException("Access to the path '/out' is denied.");
        var (exit, stderr) = Capture(() => throw new AggregateException(e));
        Assert.Equal(ExitCodes.UserError, exit);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith($"error: {cause}", line);
        Assert.Contains("--out", line);
    }

    [Fact]
    public void Describe_gives_a_user_error_its_location_apart_from_the_message_and_the_same_stderr_line_as_before()
    {
        var failure = ErrorHandling.Describe(new SlimLLM.Errors.SlimLLMException("/m/calib.txt", "the text is empty.", "Give it some text.", line: 3, column: 1));
        Assert.Equal(ExitCodes.UserError, failure.ExitCode);
        var error = Assert.Single(failure.Errors);
        Assert.Equal(("the text is empty. Give it some text.", "/m/calib.txt", 3, 1, (string?)null), (error.Message, error.File, error.Line, error.Column, error.Code));
        Assert.Equal("error: /m/calib.txt(3,1): the text is empty. Give it some text.", error.StderrLine);

        var bug = Assert.Single(ErrorHandling.Describe(new InvalidOperationException("off by one")).Errors);
        Assert.StartsWith("internal error (InvalidOperationException: off by one)", bug.Message);
        Assert.Null(bug.File);
    }
}
