using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Runtime;

/// <summary>
/// Runs a <see cref="LlamaModel"/> incrementally: each call feeds only the new tokens, which attend to the keys and values
/// every layer cached from earlier calls (<see cref="DecoderLayer.Forward"/> with a <see cref="KvCache"/>).
/// </summary>
internal sealed class CachedDecoder : IDisposable
{
    private readonly LlamaModel _model;
    private readonly KvCache[] _caches;

    public CachedDecoder(LlamaModel model)
    {
        _model = model;
        _caches = Enumerable.Range(0, model.Config.NumLayers).Select(_ => new KvCache(model.MaxPositions)).ToArray();
    }

    /// <summary>Positions processed so far.</summary>
    public int Position { get; private set; }

    public void Reset()
    {
        foreach (var c in _caches) c.Clear();
        Position = 0;
    }

    /// <summary>Float32 logits [vocab] at the last of <paramref name="ids"/>, which continue the sequence fed so far.</summary>
    public Tensor NextLogits(IReadOnlyList<int> ids)
    {
        if (ids.Count == 0) throw new ArgumentException("At least one token is needed.", nameof(ids));
        if (Position + ids.Count > _model.MaxPositions)
            throw new InvalidOperationException($"The sequence would reach {Position + ids.Count} positions; the model holds {_model.MaxPositions}.");
        using var scope = NewDisposeScope();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], dtype: ScalarType.Int64);
        var x = _model.Hidden(input, _caches);
        Position += ids.Count;
        return _model.Head(x.narrow(1, ids.Count - 1, 1))[0, 0].MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var c in _caches) c.Dispose();
    }
}
