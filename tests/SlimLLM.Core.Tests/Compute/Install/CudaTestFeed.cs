using System.Security.Cryptography;
using System.Text;
using SlimLLM.Tests.Sources;

namespace SlimLLM.Tests.Compute.Install;

/// <summary>
/// A folder feed of small packages named and laid out like TorchSharp's <c>libtorch-cuda-12.8-linux-x64</c> 2.10.0:
/// the head depends on -part1 and -part2 (and, as the real head does, directly on -part2-primary); -part2 depends on
/// -part2-primary, -part2-fragment1 and -part2-fragment2, which hold libtorch_cuda.so split in three with its .sha.
/// Every library is a small stand-in: nothing here can be dlopen'ed.
/// </summary>
internal sealed class CudaTestFeed
{
    public const string PackageVersion = "2.10.0";
    public const string Head = "libtorch-cuda-12.8-linux-x64";
    public const string Part1 = Head + "-part1", Part2 = Head + "-part2", Primary = Head + "-part2-primary";
    public const string Fragment1 = Head + "-part2-fragment1", Fragment2 = Head + "-part2-fragment2";
    public static readonly string[] Closure = [Head, Part1, Part2, Primary, Fragment1, Fragment2]; // breadth-first from the head

    private const string Native = "runtimes/linux-x64/native/";
    private const string Fragments = "fragments/linux-x64/native/";

    /// <summary>libtorch_cuda.so as it must come out of stitching: 12,001 seeded bytes, split 5000 + 4000 + 3001.</summary>
    public static readonly byte[] TorchCuda = Seeded(12_001);
    public static string TorchCudaSha256 => Convert.ToHexStringLower(SHA256.HashData(TorchCuda));

    /// <summary>The small libraries in -part1, each a line of text naming itself.</summary>
    public static readonly string[] Part1Libraries = ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch.so"];
    public static byte[] StandIn(string library) => Encoding.UTF8.GetBytes($"stand-in for {library}\n");

    public CudaTestFeed(string folder, IEnumerable<string>? omit = null, byte[]? fragment1 = null, (string Entry, byte[] Content)? extraPart1Entry = null)
    {
        Folder = folder;
        var skip = new HashSet<string>(omit ?? []);
        void Build(string id, IEnumerable<(string, byte[])> entries, params string[] dependencies)
        {
            if (!skip.Contains(id)) TestPackages.Build(folder, PackageVersion, entries, id, dependencies.Length == 0 ? null : dependencies);
        }
        Build(Head, [("lib/netstandard2.0/_._", []), ("LICENSE-LIBTORCH.txt", "license"u8.ToArray())], Part1, Part2, Primary);
        Build(Part1, [.. Part1Libraries.Select(l => (Native + l, StandIn(l))), .. extraPart1Entry is { } extra ? [extra] : Array.Empty<(string, byte[])>()]);
        Build(Part2, [("lib/netstandard2.0/_._", [])], Primary, Fragment1, Fragment2);
        Build(Primary, [(Native + "libtorch_cuda.so", TorchCuda[..5000]), (Native + "libtorch_cuda.so.sha", Encoding.ASCII.GetBytes(TorchCudaSha256))]);
        Build(Fragment1, [(Fragments + "libtorch_cuda.so.fragment1", fragment1 ?? TorchCuda[5000..9000])]);
        Build(Fragment2, [(Fragments + "libtorch_cuda.so.fragment2", TorchCuda[9000..])]);
    }

    public string Folder { get; }

    public string Nupkg(string id) => Path.Combine(Folder, $"{id}.{PackageVersion}.nupkg");

    private static byte[] Seeded(int length)
    {
        var bytes = new byte[length];
        new Random(20250610).NextBytes(bytes);
        return bytes;
    }
}
