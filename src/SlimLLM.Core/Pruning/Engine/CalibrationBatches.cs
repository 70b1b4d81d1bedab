using SlimLLM.Calibration;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The calibration token ids as batches of sequences (int64, batch x seq_len), the last <see cref="HeldOut"/> of them made
/// from the held-out samples a recovery chooses its strength on. Owns the tensors.
/// </summary>
internal sealed class CalibrationBatches : IDisposable
{
    private readonly List<Tensor> _batches = [];

    public IReadOnlyList<Tensor> All => _batches;
    public int HeldOut { get; }
    public int Fit => _batches.Count - HeldOut;

    /// <param name="heldOutSamples">How many of the last samples are held out (0: none).</param>
    public CalibrationBatches(CalibrationSet calibration, int batchSize, int heldOutSamples)
    {
        int fitSamples = calibration.Samples - heldOutSamples;
        Add(calibration, batchSize, 0, fitSamples);
        int before = _batches.Count;
        Add(calibration, batchSize, fitSamples, calibration.Samples);
        HeldOut = _batches.Count - before;
    }

    private void Add(CalibrationSet calibration, int batchSize, int from, int to)
    {
        for (int s = from; s < to; s += batchSize)
        {
            int n = Math.Min(batchSize, to - s);
            var ids = calibration.Sequences.Skip(s).Take(n).SelectMany(q => q.Select(t => (long)t)).ToArray();
            _batches.Add(tensor(ids, [n, calibration.SeqLen], dtype: ScalarType.Int64));
        }
    }

    public void Dispose()
    {
        foreach (var b in _batches) b.Dispose();
        _batches.Clear();
    }
}
