using System.Text.Json;
using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.IO.Safetensors;

/// <summary>
/// A checkpoint split over several .safetensors files by a <c>model.safetensors.index.json</c> (<c>weight_map</c>: tensor name → shard file).
/// The index is validated at open (valid JSON, every shard present); each shard is opened (header only) the first time one of its tensors is asked for.
/// </summary>
public sealed class ShardedSafetensors : ITensorStore
{
    private readonly Dictionary<string, string> _shardOf;
    private readonly Dictionary<string, Lazy<SafetensorsFile>> _shards;
    private int _disposed;

    public ShardedSafetensors(string indexPath)
    {
        Path = indexPath;
        if (!File.Exists(indexPath))
            throw new SlimLLMException(indexPath, "file not found.", "Check the path.");

        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlimLLMException(indexPath, $"cannot be read: {e.Message}", "Check the file's permissions.", inner: e);
        }
        catch (JsonException e)
        {
            throw Fail($"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail("is not a JSON object with a \"weight_map\".");
            if (!root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw Fail("has no \"weight_map\" object (tensor name → shard file).");

            _shardOf = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new List<string>();
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                    throw Fail($"maps tensor '{p.Name}' to {p.Value.GetRawText()}, not a shard file name.");
                if (!_shardOf.TryAdd(p.Name, p.Value.GetString()!))
                    throw Fail($"lists tensor '{p.Name}' twice in \"weight_map\".");
                names.Add(p.Name);
            }
            Names = names.AsReadOnly();

            var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in meta.EnumerateObject())
                    metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
            IndexMetadata = metadata;
        }

        _shards = new Dictionary<string, Lazy<SafetensorsFile>>(StringComparer.Ordinal);
        foreach (var (tensor, shard) in _shardOf)
        {
            if (_shards.ContainsKey(shard)) continue;
            var shardPath = System.IO.Path.Combine(folder, shard);
            if (!File.Exists(shardPath))
                throw Fail($"lists shard '{shard}' (for tensor '{tensor}'), but {shardPath} does not exist.",
                    "Download or copy every shard named in the index into the same folder.");
            _shards[shard] = new Lazy<SafetensorsFile>(() => new SafetensorsFile(shardPath), LazyThreadSafetyMode.ExecutionAndPublication);
        }
        ShardFiles = _shards.Keys.ToList().AsReadOnly();
    }

    public static ShardedSafetensors Open(string indexPath) => new(indexPath);

    public string Path { get; }
    public IReadOnlyCollection<string> Names { get; }
    /// <summary>Shard file names as written in the index, in order of first use.</summary>
    public IReadOnlyList<string> ShardFiles { get; }
    /// <summary>The index's "metadata" object; non-string values (like total_size) as their JSON text.</summary>
    public IReadOnlyDictionary<string, string> IndexMetadata { get; }
    public long? TotalSize => IndexMetadata.TryGetValue("total_size", out var s) && long.TryParse(s, out var v) ? v : null;

    public bool Contains(string name) => _shardOf.ContainsKey(name);

    /// <summary>The shard file name that holds <paramref name="name"/>.</summary>
    public string ShardOf(string name) =>
        _shardOf.TryGetValue(name, out var shard)
            ? shard
            : throw new SlimLLMException(Path, $"has no tensor '{name}' in its weight_map.", "Check the tensor name and that this is the right checkpoint.");

    public TensorInfo Info(string name) => ShardHolding(name).Info(name);

    public torch.Tensor Load(string name) => ShardHolding(name).Load(name);

    /// <summary>The opened shard that holds <paramref name="name"/> (opening it if needed).</summary>
    public SafetensorsFile ShardHolding(string name)
    {
        var shardName = ShardOf(name);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var shard = _shards[shardName].Value;
        if (!shard.Contains(name))
            throw Fail($"maps tensor '{name}' to shard '{shardName}', but that shard does not contain it.",
                "The index and the shards come from different exports: download the checkpoint again.");
        return shard;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var lazy in _shards.Values)
            if (lazy.IsValueCreated) lazy.Value.Dispose();
    }

    private SlimLLMException Fail(string cause, string? fix = null) =>
        new(Path, cause, fix ?? "Fix or regenerate the index file (it must map every tensor name to a shard file in the same folder).");
}
