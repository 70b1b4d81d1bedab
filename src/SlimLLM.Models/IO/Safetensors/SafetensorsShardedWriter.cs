using System.Text.Json;
using System.Text.RegularExpressions;
using TorchSharp;

namespace SlimLLM.IO.Safetensors;

/// <summary>
/// Writes a checkpoint into a folder the way transformers' save_pretrained does: one model.safetensors when the tensors fit in
/// <c>maxShardBytes</c>, else model-00001-of-0000N.safetensors shards plus model.safetensors.index.json
/// (metadata.total_size and a name-sorted weight_map). Tensors fill shards in declaration order. Every file is written to a
/// temporary name first and renamed only when all are complete; stale shards, index or single file of an earlier save are then removed.
/// </summary>
public sealed partial class SafetensorsShardedWriter : IDisposable
{
    /// <summary>2 GB, in the decimal sense transformers gives "2GB".</summary>
    public const long DefaultMaxShardBytes = 2_000_000_000;

    private readonly List<SafetensorsWriter> _writers = [];
    private readonly Dictionary<string, SafetensorsWriter> _writerOf = new(StringComparer.Ordinal);
    private bool _committed;

    private SafetensorsShardedWriter(string folder, List<TensorInfo> tensors, IEnumerable<KeyValuePair<string, string>>? metadata, long maxShardBytes)
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes));
        Folder = folder;
        TotalSize = tensors.Sum(t => t.ByteLength);
        var meta = metadata?.ToList();
        var shards = TotalSize <= maxShardBytes ? [tensors] : Split(tensors, maxShardBytes);
        try
        {
            for (var i = 0; i < shards.Count; i++)
            {
                var name = shards.Count == 1 ? SafetensorsStore.SingleFileName : $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                var writer = SafetensorsWriter.Create(System.IO.Path.Combine(folder, name), shards[i], meta);
                _writers.Add(writer);
                foreach (var t in shards[i]) _writerOf[t.Name] = writer;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        FileNames = _writers.Select(w => System.IO.Path.GetFileName(w.Path)).ToList().AsReadOnly();
    }

    public static SafetensorsShardedWriter Create(string folder, IEnumerable<TensorInfo> tensors,
        IEnumerable<KeyValuePair<string, string>>? metadata = null, long maxShardBytes = DefaultMaxShardBytes) =>
        new(folder, tensors.ToList(), metadata, maxShardBytes);

    public string Folder { get; }
    /// <summary>Sum of the tensors' byte lengths (the index's metadata.total_size).</summary>
    public long TotalSize { get; }
    /// <summary>The .safetensors files that will be written: one model.safetensors, or the shards in order.</summary>
    public IReadOnlyList<string> FileNames { get; }
    public bool IsSharded => FileNames.Count > 1;

    /// <summary>The file name that will hold <paramref name="name"/>.</summary>
    public string FileOf(string name) => System.IO.Path.GetFileName(WriterOf(name).Path);

    public void Write(string name, torch.Tensor data) => WriterOf(name).Write(name, data);
    public void WriteRaw(string name, ReadOnlySpan<byte> data) => WriterOf(name).WriteRaw(name, data);
    /// <summary>A tensor written earlier, read back from its (not yet committed) file.</summary>
    public torch.Tensor ReadBack(string name) => WriterOf(name).ReadBack(name);

    /// <summary>Completes every file, then renames them all into place and writes the index; finally removes stale files.</summary>
    public void Commit()
    {
        foreach (var w in _writers) w.Complete();
        string? indexTemp = null;
        var indexPath = System.IO.Path.Combine(Folder, SafetensorsStore.IndexFileName);
        try
        {
            if (IsSharded)
            {
                indexTemp = System.IO.Path.Combine(Folder, $".{SafetensorsStore.IndexFileName}.{TempOwner.NewSuffix()}.tmp");
                var bytes = IndexJson();
                AtomicFileWriter.IoGuard(indexPath, () => File.WriteAllBytes(indexTemp, bytes));
            }
            foreach (var w in _writers) w.Publish();
            if (indexTemp is not null)
            {
                AtomicFileWriter.IoGuard(indexPath, () => File.Move(indexTemp, indexPath, overwrite: true));
                indexTemp = null;
            }
        }
        finally
        {
            if (indexTemp is not null) File.Delete(indexTemp);
        }
        _committed = true;
        RemoveStaleFiles();
    }

    public void Dispose()
    {
        foreach (var w in _writers) w.Dispose();
    }

    /// <summary>Writes all tensors (dtype and shape taken from each) into <paramref name="folder"/>.</summary>
    public static void Write(string folder, IEnumerable<(string Name, torch.Tensor Tensor)> tensors,
        IEnumerable<KeyValuePair<string, string>>? metadata = null, long maxShardBytes = DefaultMaxShardBytes)
    {
        var list = tensors.ToList();
        using var writer = Create(folder, list.Select(t => new TensorInfo(t.Name, TensorDTypes.FromScalarType(t.Tensor.dtype), t.Tensor.shape)), metadata, maxShardBytes);
        foreach (var (name, tensor) in list) writer.Write(name, tensor);
        writer.Commit();
    }

    /// <summary>Streams declared tensors: <paramref name="provider"/> is asked for each in declaration order, inside a dispose scope.</summary>
    public static void Write(string folder, IEnumerable<TensorInfo> tensors, Func<TensorInfo, torch.Tensor> provider,
        IEnumerable<KeyValuePair<string, string>>? metadata = null, long maxShardBytes = DefaultMaxShardBytes)
    {
        var list = tensors.ToList();
        using var writer = Create(folder, list, metadata, maxShardBytes);
        foreach (var info in list)
        {
            using var scope = torch.NewDisposeScope();
            writer.Write(info.Name, provider(info));
        }
        writer.Commit();
    }

    /// <summary>huggingface_hub's split: fill shards in order; a tensor larger than the limit gets a shard of its own.</summary>
    private static List<List<TensorInfo>> Split(List<TensorInfo> tensors, long maxShardBytes)
    {
        var shards = new List<List<TensorInfo>>();
        var current = new List<TensorInfo>();
        long size = 0;
        foreach (var t in tensors)
        {
            if (t.ByteLength > maxShardBytes)
            {
                shards.Add([t]);
                continue;
            }
            if (size + t.ByteLength > maxShardBytes && current.Count > 0)
            {
                shards.Add(current);
                current = [];
                size = 0;
            }
            current.Add(t);
            size += t.ByteLength;
        }
        if (current.Count > 0) shards.Add(current);
        return shards;
    }

    /// <summary>As transformers writes it: json.dumps(index, indent=2, sort_keys=True) + "\n".</summary>
    private byte[] IndexJson()
    {
        using var ms = new MemoryStream();
        using (var json = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", TotalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var name in _writerOf.Keys.Order(StringComparer.Ordinal))
                json.WriteString(name, FileOf(name));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    private void RemoveStaleFiles()
    {
        if (!_committed) return;
        var keep = new HashSet<string>(FileNames, StringComparer.Ordinal);
        var stale = Directory.EnumerateFiles(Folder)
            .Select(System.IO.Path.GetFileName)
            .OfType<string>()
            .Where(f => !keep.Contains(f) && (ShardName().IsMatch(f) || f == SafetensorsStore.SingleFileName || (!IsSharded && f == SafetensorsStore.IndexFileName)));
        foreach (var f in stale.ToList())
            AtomicFileWriter.IoGuard(System.IO.Path.Combine(Folder, f), () => File.Delete(System.IO.Path.Combine(Folder, f)));
    }

    private SafetensorsWriter WriterOf(string name) =>
        _writerOf.TryGetValue(name, out var w) ? w : throw new ArgumentException($"tensor '{name}' was not declared.", nameof(name));

    [GeneratedRegex(@"^model-\d{5}-of-\d{5}\.safetensors$")]
    private static partial Regex ShardName();
}
