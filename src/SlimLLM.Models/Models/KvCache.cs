using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// One decoder layer's keys and values for the positions seen so far: buffers [B, Hkv, capacity, headDim] filled
/// from the front, so a new token writes one position instead of re-running the whole sequence. Given to
/// <see cref="DecoderLayer.Forward"/>, which appends to it.
/// </summary>
public sealed class KvCache : IDisposable
{
    private Tensor? _keys, _values;

    public KvCache(int capacity) => Capacity = capacity;

    public int Capacity { get; }
    /// <summary>Number of positions stored.</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Stores <paramref name="k"/>/<paramref name="v"/> [B, Hkv, T, hd] (already rotated) at positions Length..Length+T-1 and
    /// returns views of all keys and values so far, [B, Hkv, Length, hd].
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(Tensor k, Tensor v)
    {
        int t = (int)k.shape[2];
        if (Length + t > Capacity)
            throw new InvalidOperationException($"KV cache holds {Capacity} positions; {Length} used, {t} more requested.");
        if (_keys is null)
        {
            long[] shape = [k.shape[0], k.shape[1], Capacity, k.shape[3]];
            // Owned by this cache, not by the dispose scope of the step that happens to create them.
            _keys = zeros(shape, dtype: k.dtype, device: k.device).DetachFromDisposeScope();
            _values = zeros(shape, dtype: v.dtype, device: v.device).DetachFromDisposeScope();
        }
        using (var kSlot = _keys.narrow(2, Length, t)) kSlot.copy_(k);
        using (var vSlot = _values!.narrow(2, Length, t)) vSlot.copy_(v);
        Length += t;
        return (_keys.narrow(2, 0, Length), _values.narrow(2, 0, Length));
    }

    public void Clear() => Length = 0;

    public void Dispose()
    {
        _keys?.Dispose();
        _values?.Dispose();
        _keys = _values = null;
        Length = 0;
    }
}
