using SlimLLM.IO;
using SlimLLM.Output;
using SlimLLM.Progress;

namespace SlimLLM.Pipeline;

/// <summary>
/// Claims the folders a run writes (the output first, then e.g. its NAME.rejected): each checked by
/// <see cref="OutputFolderGuard"/> (never replace what slimllm did not write), the output's lock taken, checked again under
/// it, and the temporaries that killed runs left beside them (and in the cache) swept.
/// </summary>
public static class OutputClaim
{
    public static OutputLock Acquire(IReadOnlyList<string> folders, IReadOnlyList<(string Path, string What)> protectedPaths, string? settingsSource,
        string? cacheRoot, IProgressReporter progress, string name, CancellationToken cancel)
    {
        var output = folders[0];
        OutputFolderGuard.Check(output, PrunePipeline.IsPrunedOutput, protectedPaths, settingsSource); // before the lock file is made beside it
        var outputLock = OutputLock.Acquire(output, progress, cancel);
        try
        {
            // Checked again under the lock: another run may have just replaced the folder.
            foreach (var folder in folders) OutputFolderGuard.Check(folder, PrunePipeline.IsPrunedOutput, protectedPaths, settingsSource);
            int swept = StaleTemps.SweepFolder(Path.GetDirectoryName(output)!,
                folders.SelectMany(f => new[] { AtomicFolder.TempPrefix(f), AtomicFolder.OldPrefix(f) }).ToList(), untaggedAreStale: true);
            if (cacheRoot is not null) swept += StaleTemps.SweepTree(cacheRoot);
            if (swept > 0) progress.Info($"{name}: removed {swept} temporary file(s) or folder(s) left by runs that were killed");
            return outputLock;
        }
        catch
        {
            outputLock.Dispose();
            throw;
        }
    }
}
