using SlimLLM.Errors;

namespace SlimLLM.Output;

/// <summary>
/// The tool replaces only folders it created. Before a run writes anything, its destination must be new, empty, or a previous
/// output of the same kind holding nothing but files slimllm writes; and it must not be, or contain, anything the run reads or
/// the user works in (the source model, the manifest's folder, the cache, the current folder, the input texts).
/// </summary>
public static class OutputFolderGuard
{
    /// <summary>Names slimllm writes into an output folder (a pruned or a synthetic model).</summary>
    private static readonly string[] KnownFiles =
    [
        "config.json", "generation_config.json", "slimllm.json", "model.gguf", "model.safetensors.index.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "added_tokens.json",
    ];

    /// <summary>The longest output folder name (UTF-8 bytes) that leaves room for the staging folder's name.</summary>
    public const int MaxNameBytes = 160;

    /// <param name="destination">The output folder, absolute.</param>
    /// <param name="isPreviousOutput">Whether an existing folder carries the marker of this kind of output (e.g. slimllm.json).</param>
    /// <param name="protectedPaths">Paths the destination must neither be nor contain, with what they are (for the message).</param>
    /// <param name="settingsSource">The manifest or command line the destination came from, for the message.</param>
    public static void Check(string destination, Func<string, bool> isPreviousOutput, IEnumerable<(string Path, string What)> protectedPaths,
        string? settingsSource)
    {
        destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        string fix = settingsSource is null ? "Choose another --out folder." : "Choose another output.dir (or model name) in the manifest.";
        // The staging folder beside it is named .NAME.rejected.tmp-<owner>-<id> (about 75 more characters), and most file
        // systems stop at 255 bytes a name.
        if (System.Text.Encoding.UTF8.GetByteCount(Path.GetFileName(destination)) > MaxNameBytes)
            throw new SlimLLMException(settingsSource, $"the output folder's name '{Path.GetFileName(destination)[..40]}…' is " +
                $"{System.Text.Encoding.UTF8.GetByteCount(Path.GetFileName(destination))} bytes long; at most {MaxNameBytes} are possible.", fix);
        if (File.Exists(destination))
            throw new SlimLLMException(settingsSource, $"the output folder {destination} is a file.", fix);
        if (Path.GetPathRoot(destination) == destination + Path.DirectorySeparatorChar || Path.GetPathRoot(destination) == destination)
            throw new SlimLLMException(settingsSource, $"the output folder {destination} is the root of a file system.", fix);
        foreach (var (path, what) in protectedPaths)
        {
            var p = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            if (p == destination)
                throw new SlimLLMException(settingsSource, $"the output folder {destination} is {what}; replacing it would destroy it.", fix);
            if (p.StartsWith(destination + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new SlimLLMException(settingsSource, $"the output folder {destination} contains {what} ({p}); replacing it would destroy it.", fix);
        }
        if (!Directory.Exists(destination)) return;
        var entries = Directory.EnumerateFileSystemEntries(destination).Select(e => Path.GetFileName(e)!).Order(StringComparer.Ordinal).ToList();
        if (entries.Count == 0) return;
        if (!isPreviousOutput(destination))
            throw new SlimLLMException(settingsSource,
                $"the output folder {destination} already exists and is not a slimllm output (it holds {Describe(entries)}); slimllm replaces only folders it created.",
                $"{fix} Or move its files away (an empty folder is fine).");
        var foreign = entries.Where(e => !IsKnown(Path.Combine(destination, e))).ToList();
        if (foreign.Count > 0)
            throw new SlimLLMException(settingsSource,
                $"the output folder {destination} is a previous slimllm output but also holds {Describe(foreign)}, which slimllm did not write; replacing the folder would delete it.",
                $"Move {(foreign.Count == 1 ? "it" : "them")} out of the folder, or {char.ToLowerInvariant(fix[0])}{fix[1..]}");
    }

    /// <summary>The paths a pruning run reads or that the user works in: none may be replaced by its output.</summary>
    public static IEnumerable<(string Path, string What)> CommonProtectedPaths() =>
        new[]
        {
            (Environment.CurrentDirectory, "the current folder"),
            (Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "the home folder"),
        }.Where(p => !string.IsNullOrEmpty(p.Item1));

    private static bool IsKnown(string path)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) return false;
        return KnownFiles.Contains(name, StringComparer.Ordinal) || name.EndsWith(".safetensors", StringComparison.Ordinal);
    }

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count <= 3 ? string.Join(", ", names.Select(n => $"'{n}'")) : $"'{names[0]}', '{names[1]}' and {names.Count - 2} more";
}
