using SlimLLM.Progress;

namespace SlimLLM.Output;

/// <summary>
/// Serializes the runs that write one output folder (two builds at once, or two models of one manifest): an exclusive lock on
/// a small file beside the folder (<c>.NAME.lock</c>), held from the first check of the folder to the commit. The operating
/// system releases it when its process ends, however it ends, so a killed run never blocks the next. The file itself stays:
/// removing a lock file races with a process that has just opened it.
/// </summary>
public sealed class OutputLock : IDisposable
{
    private readonly FileStream _stream;

    private OutputLock(FileStream stream) => _stream = stream;

    public static string LockPath(string destination)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.lock");
    }

    /// <summary>Takes the lock, waiting (and saying so every 30 s) while another process holds it.</summary>
    public static OutputLock Acquire(string destination, IProgressReporter progress, CancellationToken cancel = default)
    {
        var path = LockPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var nextMessage = TimeSpan.Zero;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix and a sharing lock on Windows.
                return new OutputLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (File.Exists(path))
            {
                if (waited.Elapsed >= nextMessage)
                {
                    progress.Info($"waiting for another slimllm run that is writing {Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination))} " +
                                  $"(lock {path}, {waited.Elapsed.TotalSeconds:F0} s so far)");
                    nextMessage += TimeSpan.FromSeconds(30);
                }
                cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                cancel.ThrowIfCancellationRequested();
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
