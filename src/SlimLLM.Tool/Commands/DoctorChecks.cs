using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using SlimLLM.Caching;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.Tool.Commands;

/// <summary>One line of <c>slimllm doctor</c>: OK or MISSING, what was found, and the fix when something is missing.</summary>
public sealed record DoctorCheck(string Name, bool Ok, string Detail, string? Fix = null);

/// <summary>The checks behind <c>slimllm doctor</c>; each one catches its own failure so one broken part never hides the rest.</summary>
public static class DoctorChecks
{
    public static List<DoctorCheck> Run(string? libtorchFolder, string? cacheDir)
    {
        var checks = new List<DoctorCheck>
        {
            new("os", true, $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})"),
            new("dotnet", true, RuntimeInformation.FrameworkDescription),
        };
        var stdcxx = Libstdcxx();
        checks.Add(stdcxx);
        checks.Add(new("torchsharp", true, typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
                                             ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown"));
        var cacheRoot = StatisticsCache.ResolveRoot(cacheDir);
        checks.AddRange(BackendChecks(libtorchFolder, cacheRoot, stdcxx.Ok));
        checks.Add(NvidiaSmi());
        checks.Add(Cache(cacheRoot));
        var hub = HuggingFaceHubRoot();
        checks.Add(new("huggingface-cache", true, Directory.Exists(hub) ? $"{hub} ({CacheMaintenance.Format(FolderBytes(hub))})" : $"{hub} (not created yet)"));
        return checks;
    }

    /// <summary>The checks behind <c>slimllm backend status</c>: libstdc++, then which libtorch loads (and from where) and whether it sees a GPU.</summary>
    public static List<DoctorCheck> Backend(string? libtorchFolder, string? cacheDir)
    {
        var stdcxx = Libstdcxx();
        return [stdcxx, .. BackendChecks(libtorchFolder, StatisticsCache.ResolveRoot(cacheDir), stdcxx.Ok)];
    }

    private static DoctorCheck Libstdcxx()
    {
        var stdcxx = LibstdcxxReport.Probe();
        return stdcxx.HasRequired
            ? new("libstdc++", true, $"{stdcxx.Path} has {LibstdcxxReport.Required} (newest {stdcxx.Newest})")
            : new("libstdc++", false, stdcxx.Path is null ? "libstdc++.so.6 not found" : $"{stdcxx.Path} lacks {LibstdcxxReport.Required} (newest {stdcxx.Newest})",
                LibstdcxxFix.ForThisMachine());
    }

    private static IEnumerable<DoctorCheck> BackendChecks(string? libtorchFolder, string cacheRoot, bool stdcxxOk)
    {
        if (!stdcxxOk)
        {
            yield return new("libtorch", false, "not loaded: libLibTorchSharp.so needs " + LibstdcxxReport.Required, "Fix libstdc++ first (see above).");
            yield break;
        }
        DoctorCheck cuda;
        string backend;
        string? cpuError = null;
        try
        {
            // CUDA is attempted only when the user pointed at a CUDA libtorch, or one is restored in the NuGet packages folder.
            var choice = BackendChoice.Cuda(string.IsNullOrWhiteSpace(libtorchFolder) ? Environment.GetEnvironmentVariable(BackendChoice.CudaFolderVariable) : libtorchFolder);
            var loaded = TorchBackend.Load(choice, TorchBackend.DefaultLocators(cacheRoot));
            backend = $"cuda from {loaded.Source}";
            cuda = new("cuda", true, $"{torch.cuda.device_count()} GPU(s) visible to libtorch");
        }
        catch (SlimLLMException e)
        {
            cuda = new("cuda", false, e.File is null ? e.Cause : $"{e.File}: {e.Cause}", e.Fix);
            try
            {
                backend = "cpu (" + TorchBackend.Load(BackendChoice.Cpu, TorchBackend.CpuLocators()).Source + ")";
            }
            catch (SlimLLMException cpu)
            {
                backend = "cpu";
                cpuError = cpu.Cause;
            }
        }
        var initError = cpuError ?? InitialiseCpu();
        yield return new("libtorch", initError is null, backend + (initError is null ? "" : ": " + initError),
            initError is null ? null : "Run slimllm backend install cpu (libtorch-cpu for this platform, into the NuGet global packages folder), or name a complete libtorch with --libtorch.");
        yield return cuda;
    }

    /// <summary>Null when TorchSharp initialises on the loaded libtorch; else the first line of why not (the loader trace that follows is long).</summary>
    private static string? InitialiseCpu()
    {
        try
        {
            return torch.TryInitializeDeviceType(DeviceType.CPU) ? null : "TorchSharp failed to initialise";
        }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
        {
            return (e.InnerException ?? e).Message.Split('\n')[0];
        }
    }

    private static DoctorCheck NvidiaSmi()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=name,memory.total,driver_version --format=csv,noheader")
                { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 && output.Length > 0
                ? new("gpu", true, string.Join("; ", output.Split('\n').Select(l => l.Trim())))
                : new("gpu", false, $"nvidia-smi exited with {p.ExitCode}", "Install or repair the NVIDIA driver, or use device: cpu.");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new("gpu", false, "nvidia-smi not on PATH (no NVIDIA driver)", "On a machine with an NVIDIA GPU install its driver; otherwise pruning runs on the CPU (device: auto or cpu).");
        }
    }

    private static DoctorCheck Cache(string root)
    {
        var entries = Directory.Exists(root) ? CacheMaintenance.Entries(root) : [];
        return new("cache", true, $"{root}: {entries.Count} entries, {CacheMaintenance.Format(entries.Sum(e => e.Bytes))}");
    }

    /// <summary>Same rule as the huggingface source's cache layout (HF_HOME, else XDG_CACHE_HOME or ~/.cache, then /huggingface/hub).</summary>
    private static string HuggingFaceHubRoot()
    {
        var home = Environment.GetEnvironmentVariable("HF_HOME")
                   ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        return Path.Combine(home, "hub");
    }

    private static long FolderBytes(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.LinkTarget is null).Sum(f => f.Length);
}
