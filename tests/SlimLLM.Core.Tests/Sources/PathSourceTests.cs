using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Sources;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Sources;

public sealed class PathSourceTests
{
    private static readonly SourceOptions Options = new() { CacheRoot = Path.GetTempPath(), Environment = _ => null };

    [Fact]
    public void ExistingFolderOrGguf_IsUsedInPlace()
    {
        Assert.Equal(TestData.TinyStoriesLlama, ModelSourceResolver.Resolve(new PathSourceSpec(TestData.TinyStoriesLlama), Options).LocalPath);
        var gguf = ModelSourceResolver.Resolve(new PathSourceSpec(TestData.Stories260KGguf), Options);
        Assert.Equal(TestData.Stories260KGguf, gguf.LocalPath);
        Assert.Equal($"path {TestData.Stories260KGguf}", gguf.Description);
    }

    [Fact]
    public void MissingPath_IsOneClearError()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"slimllm-missing-{Guid.NewGuid():N}");
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(new PathSourceSpec(missing), Options));
        Assert.Equal(missing, e.File);
        Assert.Equal("no such file or folder.", e.Cause);
    }
}
