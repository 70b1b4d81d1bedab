using System.Security.Cryptography;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Errors;
using Xunit;

namespace SlimLLM.Tests.Compute;

public class FragmentStitcherTests
{
    /// <summary>Writes <paramref name="parts"/> in TorchSharp's split-package layout: parts[0] as the primary, the rest as fragment1..N, plus the whole file's .sha.</summary>
    internal static void WriteSplit(string primary, byte[][] parts, string? sha = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(primary)!);
        File.WriteAllBytes(primary, parts[0]);
        for (int n = 1; n < parts.Length; n++)
        {
            var f = FragmentStitcher.FragmentPath(primary, n);
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllBytes(f, parts[n]);
        }
        File.WriteAllText(primary + ".sha", sha ?? Convert.ToHexStringLower(SHA256.HashData(parts.SelectMany(p => p).ToArray())));
    }

    private static (string root, string primaryPackage, string primary) Layout()
    {
        var root = Path.Combine(Path.GetTempPath(), "slimllm-stitch-" + Guid.NewGuid().ToString("N"));
        var primaryPackage = Path.Combine(root, "libtorch-cuda-12.8-linux-x64-part3-primary", "2.10.0");
        return (root, primaryPackage, Path.Combine(primaryPackage, "runtimes", "linux-x64", "native", "libtorch_cuda.so"));
    }

    [Fact]
    public void Fragment_paths_follow_TorchSharps_restitch_layout()
    {
        var (root, _, primary) = Layout();
        Assert.Equal(Path.Combine(root, "libtorch-cuda-12.8-linux-x64-part3-fragment2", "2.10.0", "fragments", "linux-x64", "native", "libtorch_cuda.so.fragment2"),
            FragmentStitcher.FragmentPath(primary, 2));
    }

    [Fact]
    public void Joins_parts_in_order_verifies_the_sha_and_removes_the_fragments()
    {
        var (root, pkg, primary) = Layout();
        try
        {
            var parts = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 1000 + i).Select(b => (byte)(b * 7 + i)).ToArray()).ToArray();
            WriteSplit(primary, parts);
            Assert.Equal([primary], FragmentStitcher.Stitch(pkg));
            Assert.Equal(parts.SelectMany(p => p).ToArray(), File.ReadAllBytes(primary));
            Assert.Equal(4006, new FileInfo(primary).Length);
            Assert.False(File.Exists(FragmentStitcher.FragmentPath(primary, 1)));
            Assert.Empty(FragmentStitcher.Stitch(pkg)); // second run: nothing left to do
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Rejects_a_corrupted_part_and_leaves_the_primary_untouched()
    {
        var (root, pkg, primary) = Layout();
        try
        {
            byte[][] parts = [[1, 2, 3], [4, 5, 6], [7, 8]];
            WriteSplit(primary, parts);
            File.WriteAllBytes(FragmentStitcher.FragmentPath(primary, 1), [4, 5, 0xFF]);
            var expected = Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
            var actual = Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3, 4, 5, 0xFF, 7, 8 }));
            var e = Assert.Throws<SlimLLMException>(() => FragmentStitcher.Stitch(pkg));
            Assert.Equal(primary, e.File);
            Assert.Equal($"the file stitched from 3 parts has SHA-256 {actual}, expected {expected} (libtorch_cuda.so.sha); a part is corrupted or from another version (libtorch_cuda.so.fragment1, libtorch_cuda.so.fragment2).", e.Cause);
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(primary));
            Assert.True(File.Exists(FragmentStitcher.FragmentPath(primary, 2)));
            Assert.False(File.Exists(primary + ".stitching"));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Stops_at_the_first_missing_fragment_number()
    {
        var (root, _, primary) = Layout();
        try
        {
            WriteSplit(primary, [[1], [2], [3]]);
            File.Delete(FragmentStitcher.FragmentPath(primary, 1));
            Assert.Empty(FragmentStitcher.FragmentsOf(primary)); // fragment2 without fragment1 is not a sequence
        }
        finally { Directory.Delete(root, true); }
    }
}
