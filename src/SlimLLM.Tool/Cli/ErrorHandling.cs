using SlimLLM.Errors;

namespace SlimLLM.Tool.Cli;

/// <summary>Turns user mistakes into one-line errors with exit code 2, and bugs into a stack trace with exit code 1.</summary>
public static class ErrorHandling
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (Find<SlimLLM.Manifest.ManifestException>(e) is { } manifest)
        {
            // Already one canonical line per error (path(line,col): error SLIMxxx: ...), which MSBuild and IDEs parse.
            Console.Error.WriteLine(manifest.Message);
            return manifest.ExitCode;
        }
        catch (Exception e) when (Find<SlimLLMException>(e) is { } user)
        {
            Console.Error.WriteLine($"error: {user.Message}");
            return user.ExitCode;
        }
        catch (Exception e) when (IsMissingLibstdcxx(e))
        {
            Console.Error.WriteLine("error: TorchSharp's native library needs libstdc++ with GLIBCXX_3.4.32 (GCC 13 or newer), which this system lacks. " +
                                    "Run build/setup.sh from the SlimLLM.Build repository (on Debian 12 it installs trixie's libstdc++6), or install a newer libstdc++.");
            return ExitCodes.UserError;
        }
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T t) return t;
            if (e is AggregateException agg && agg.InnerExceptions.Count == 1) return Find<T>(agg.InnerExceptions[0]);
        }
        return null;
    }

    private static bool IsMissingLibstdcxx(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x.Message.Contains("GLIBCXX_3.4.32", StringComparison.Ordinal)) return true;
        return false;
    }
}
