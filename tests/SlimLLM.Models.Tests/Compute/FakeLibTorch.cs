using SlimLLM.Compute.NativeBackend;

namespace SlimLLM.Tests.Compute;

/// <summary>A temp folder with empty files named like a CUDA libtorch's, and a loader that records instead of dlopen'ing.</summary>
internal sealed class FakeLibTorch : IDisposable
{
    public FakeLibTorch(params string[] files)
    {
        Root = Path.Combine(Path.GetTempPath(), "slimllm-fake-libtorch-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        foreach (var f in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Root, f))!);
            File.WriteAllText(Path.Combine(Root, f), "");
        }
    }

    public static string[] AllFiles(string prefix = "") =>
        LibTorchLayout.CudaLibraries.Append(LibTorchLayout.LibTorchSharp).Select(f => prefix + f).ToArray();

    public string Root { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

internal sealed class RecordingLoader(string? failOn = null) : INativeLibraryLoader
{
    public List<string> Loaded { get; } = [];

    public bool TryLoad(string path, out string? error)
    {
        if (failOn is not null && Path.GetFileName(path) == failOn)
        {
            error = $"{path}: libcudart.so.12: cannot open shared object file: No such file or directory";
            return false;
        }
        Loaded.Add(path);
        error = null;
        return true;
    }
}
