namespace SlimLLM.Manifest;

/// <summary>
/// Loads slimllm.yaml: parses it keeping every node's line and column, validates all of it before any work, and resolves
/// every path relative to the manifest's folder. All problems are thrown together as one <see cref="ManifestException"/>.
/// </summary>
public static class ManifestLoader
{
    public const string DefaultFileName = "slimllm.yaml";

    public static PruneManifest Load(string path)
    {
        var full = Path.GetFullPath(path);
        string text;
        try
        {
            if (Directory.Exists(full))
                throw Fatal(full, "is a folder, not a manifest file.", $"Pass the manifest file, e.g. '{Path.Combine(full, DefaultFileName)}'.");
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Fatal(full, "manifest file not found.", "Create one with 'slimllm init', or pass the path of an existing slimllm.yaml.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fatal(full, $"cannot be read: {e.Message}", "Check the file's permissions.");
        }
        return Parse(text, full);
    }

    /// <summary>Parses manifest text as if read from <paramref name="path"/> (which names it in errors and anchors relative paths).</summary>
    public static PruneManifest Parse(string yaml, string path)
    {
        var full = Path.GetFullPath(path);
        var diagnostics = new ManifestDiagnostics(full);
        var root = YamlTreeReader.Read(new StringReader(yaml), diagnostics);
        var manifest = diagnostics.HasErrors ? null : ReadRoot(root, full, diagnostics);
        if (diagnostics.HasErrors || manifest is null) throw new ManifestException(full, diagnostics.Errors);
        return manifest;
    }

    private static PruneManifest? ReadRoot(YamlNode? root, string file, ManifestDiagnostics diagnostics)
    {
        var start = new SourcePosition(1, 1);
        if (root is null or YamlScalar { IsNull: true })
        {
            diagnostics.Add(ManifestErrorCode.MissingKey, start, "the manifest is empty.", "Add a 'models:' list; 'slimllm init' writes a commented starter manifest.");
            return null;
        }
        if (root is not YamlMapping map)
        {
            diagnostics.Add(ManifestErrorCode.WrongType, root.Position, $"the manifest must be a mapping with a 'models:' key, but it is {root.Describe()}.",
                "Start the file with 'models:'; 'slimllm init' writes a commented starter manifest.");
            return null;
        }

        var dir = Path.GetDirectoryName(file)!;
        var reader = new MappingReader(map, ManifestKeys.Root, "", start, diagnostics);
        var cache = reader.String("cache", false, ".slimllm-cache");
        var cacheDir = cache is { } c ? Path.GetFullPath(Path.Combine(dir, c.Value)) : null;
        var models = reader.Sequence("models", true, "name: my-model-slim");
        if (models is not null && models.Items.Count == 0)
            diagnostics.Add(ManifestErrorCode.OutOfRange, reader.KeyPosition("models")!.Value, "'models' lists no model.",
                "Add at least one entry, e.g. '- name: my-model-slim' with its source, calibration and pruning.");

        var specs = new List<ModelSpec>();
        var names = new Dictionary<string, SourcePosition>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < (models?.Items.Count ?? 0); i++)
        {
            var item = models!.Items[i];
            if (item is not YamlMapping entry)
            {
                diagnostics.Add(ManifestErrorCode.WrongType, item.Position, $"'models[{i}]': expected a mapping of keys, got {item.Describe()}.",
                    "Write each model as '- name: ...' followed by its source, calibration and pruning keys.");
                continue;
            }
            var spec = new ModelEntryReader(new MappingReader(entry, ManifestKeys.Model, "", entry.Position, diagnostics), file, cacheDir).Read(names);
            if (spec is not null) specs.Add(spec);
        }
        return new PruneManifest(file, cacheDir, specs);
    }

    private static ManifestException Fatal(string file, string message, string fix) =>
        new(file, [new ManifestError(file, null, ManifestErrorCode.ManifestNotFound, message, fix)]);
}
