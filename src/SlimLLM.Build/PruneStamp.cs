namespace SlimLLM.Build;

/// <summary>
/// The stamp a successful prune leaves under obj/, the prune target's output: the model folders produced and the files the
/// prune read (the manifest and what the report lists: the model's files, the calibration and evaluation texts), like a
/// compiler's dependency file. The target's Inputs are those files and the tool's assemblies, so MSBuild prunes again when
/// one is newer than the stamp or gone; later builds read the folders from it without running the tool.
/// </summary>
public sealed class PruneStamp
{
    private const string ModelKey = "model=";
    private const string InputKey = "input=";

    /// <summary>(name, absolute output folder) per model, in manifest order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Models { get; }
    /// <summary>The files the prune read, absolute.</summary>
    public IReadOnlyList<string> Inputs { get; }

    public PruneStamp(IReadOnlyList<KeyValuePair<string, string>> models, IReadOnlyList<string> inputs)
    {
        Models = models;
        Inputs = inputs;
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var lines = new List<string> { "# Written by SlimLLM.Build after a successful prune; delete it to prune again." };
        lines.AddRange(Models.Select(m => ModelKey + m.Key + "|" + m.Value));
        lines.AddRange(Inputs.Select(i => InputKey + i));
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
    }

    /// <summary>The stamp at <paramref name="path"/>; null when there is none or it is not one (a stamp of an older format).</summary>
    public static PruneStamp? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        var models = new List<KeyValuePair<string, string>>();
        var inputs = new List<string>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith(ModelKey, StringComparison.Ordinal))
            {
                var rest = line.Substring(ModelKey.Length);
                int bar = rest.IndexOf('|');
                if (bar <= 0) return null;
                models.Add(new KeyValuePair<string, string>(rest.Substring(0, bar), rest.Substring(bar + 1)));
            }
            else if (line.StartsWith(InputKey, StringComparison.Ordinal)) inputs.Add(line.Substring(InputKey.Length));
            else if (line.Length > 0 && line[0] != '#') return null;
        }
        return models.Count == 0 ? null : new PruneStamp(models, inputs);
    }
}
