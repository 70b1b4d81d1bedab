using System.Security.Cryptography;
using SlimLLM.Errors;

namespace SlimLLM.Compute.NativeBackend;

/// <summary>
/// Restores the files that TorchSharp's CUDA packages ship split across NuGet packages (each package is capped in size).
/// Layout, as TorchSharp's RestitchPackage.targets expects it: the primary package <c>X-primary/V/runtimes/.../a.so</c>
/// holds the first bytes and <c>a.so.sha</c> (lower-case hex SHA-256 of the whole file); package
/// <c>X-fragmentN/V/fragments/.../a.so.fragmentN</c> (N = 1..10) holds the following bytes.
/// </summary>
public static class FragmentStitcher
{
    public const int MaxFragments = 10;

    /// <summary>Stitches every split file under <paramref name="primaryPackageVersionFolder"/> in place; returns the files restored. Idempotent.</summary>
    public static List<string> Stitch(string primaryPackageVersionFolder)
    {
        var restored = new List<string>();
        if (!Directory.Exists(primaryPackageVersionFolder)) return restored;
        foreach (var shaFile in Directory.EnumerateFiles(primaryPackageVersionFolder, "*.sha", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var primary = shaFile[..^".sha".Length];
            var fragments = FragmentsOf(primary);
            if (fragments.Count == 0) continue; // already whole (or never split)
            if (!File.Exists(primary))
                throw new SlimLLMException(primary, "the primary part of a split libtorch file is missing.", RestoreFix);
            var expected = File.ReadAllText(shaFile).Trim().ToLowerInvariant();
            var temp = primary + ".stitching";
            using (var output = File.Create(temp))
            {
                foreach (var part in fragments.Prepend(primary))
                {
                    using var input = File.OpenRead(part);
                    input.CopyTo(output, 1 << 20);
                }
            }
            var actual = Hash(temp);
            if (actual != expected)
            {
                File.Delete(temp);
                throw new SlimLLMException(primary,
                    $"the file stitched from {fragments.Count + 1} parts has SHA-256 {actual}, expected {expected} ({Path.GetFileName(shaFile)}); a part is corrupted or from another version ({string.Join(", ", fragments.Select(Path.GetFileName))}).",
                    RestoreFix);
            }
            File.Move(temp, primary, overwrite: true);
            foreach (var f in fragments) File.Delete(f); // frees gigabytes, and marks the file as stitched
            restored.Add(primary);
        }
        return restored;
    }

    /// <summary>The fragment files that follow <paramref name="primary"/>, in order, stopping at the first gap.</summary>
    public static List<string> FragmentsOf(string primary)
    {
        var list = new List<string>();
        for (int n = 1; n <= MaxFragments; n++)
        {
            var f = FragmentPath(primary, n);
            if (!File.Exists(f)) break;
            list.Add(f);
        }
        return list;
    }

    public static string FragmentPath(string primary, int n)
    {
        var sep = Path.DirectorySeparatorChar;
        return primary.Replace("-primary" + sep, $"-fragment{n}{sep}").Replace(sep + "runtimes" + sep, sep + "fragments" + sep) + ".fragment" + n;
    }

    public static string Hash(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    private const string RestoreFix =
        $"Delete the {LibTorchLayout.CudaPackageId}* folders from the NuGet global packages folder and run slimllm backend install cuda again, or use device: cpu.";
}
