using SlimLLM.Compute.NativeBackend;
using Xunit;

namespace SlimLLM.Tests.Compute;

public class BackendChoiceTests
{
    [Theory]
    [InlineData("auto", null, null, BackendKind.Cpu, null)]
    [InlineData("auto", null, "/opt/libtorch", BackendKind.Cuda, "/opt/libtorch")]
    [InlineData("cpu", "/x", "/y", BackendKind.Cpu, null)]
    [InlineData("cuda", null, null, BackendKind.Cuda, null)]
    [InlineData("cuda:1", "/option", "/env", BackendKind.Cuda, "/option")]
    public void Option_wins_over_environment_and_cpu_wins_over_both(string spec, string? option, string? env, BackendKind kind, string? folder)
    {
        var c = BackendChoice.From(spec, option, name => name == BackendChoice.CudaFolderVariable ? env : null);
        Assert.Equal(kind, c.Kind);
        Assert.Equal(folder, c.Folder);
    }

    [Fact]
    public void A_blank_folder_means_not_named()
    {
        Assert.Null(BackendChoice.Cuda("").Folder);
        Assert.Null(BackendChoice.Cuda("  ").Folder);
        Assert.Null(new SlimLLM.Compute.NativeBackend.UserFolderLocator().Locate(new BackendChoice(BackendKind.Cuda, "")));
    }
}
