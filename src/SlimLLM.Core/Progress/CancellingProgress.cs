namespace SlimLLM.Progress;

/// <summary>
/// Makes every progress call a cancellation point: long work reports progress at the end of each step (a layer, a batch, a
/// window), which is exactly where stopping is safe, and the exception unwinds through the same clean-up as any failure
/// (temporary files removed, complete cache entries kept).
/// </summary>
public sealed class CancellingProgress(IProgressReporter inner, CancellationToken cancel) : IProgressReporter
{
    public void Report(string phase, long done, long total)
    {
        cancel.ThrowIfCancellationRequested();
        inner.Report(phase, done, total);
    }

    public void Info(string message)
    {
        cancel.ThrowIfCancellationRequested();
        inner.Info(message);
    }

    public void Warn(string message) => inner.Warn(message);
}
