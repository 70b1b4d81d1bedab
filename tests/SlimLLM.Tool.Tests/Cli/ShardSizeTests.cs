using SlimLLM.Errors;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tests.Cli;

public class ShardSizeTests
{
    [Theory]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("1.5 GB", 1_500_000_000L)]
    [InlineData("600kb", 600_000L)]
    [InlineData("1GiB", 1_073_741_824L)]
    [InlineData("4096", 4096L)]
    public void Sizes_read_like_transformers_max_shard_size(string text, long bytes) => Assert.Equal(bytes, ShardSize.Parse(text));

    [Theory]
    [InlineData("2XB", "'2XB' has an unknown unit 'XB'. Use B, KB, MB, GB (decimal) or KiB, MiB, GiB.")]
    [InlineData("big", "'big' is not a shard size. Write e.g. 500MB, 2GB or 1GiB.")]
    [InlineData("0MB", "'0MB' is not a positive shard size. Write e.g. 500MB, 2GB or 1GiB.")]
    public void Bad_sizes_say_what_to_write(string text, string message) =>
        Assert.Equal(message, Assert.Throws<SlimLLMException>(() => ShardSize.Parse(text)).Message);
}
