using System.Security.Cryptography;
using System.Text.Json;
using SlimLLM.Caching;
using SlimLLM.Pipeline;
using SlimLLM.Progress;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Caching;

public class StatisticsCacheTests
{
    private sealed class Warnings : IProgressReporter
    {
        public List<string> Messages { get; } = [];
        public void Report(string phase, long done, long total) { }
        public void Info(string message) { }
        public void Warn(string message) => Messages.Add(message);
    }

    private static PruneJob Job(string output, string model, PruneSettings? settings = null, int seed = 42, int batch = 8) => new()
    {
        Name = Path.GetFileName(output), ModelPath = model, CalibrationFiles = [TestData.TinyStoriesValid],
        Samples = 8, SeqLen = 64, Seed = seed, Device = "cpu", OutputDir = output,
        Settings = (settings ?? new PruneSettings { Ratio = new RatioSpec(Target: 0.3) }) with { BatchSize = batch },
    };

    private static string Hash(string folder) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "model.safetensors"))));

    [Theory]
    [InlineData(null)]
    [InlineData("least-squares")]     // its o_proj and down_proj refits are cached too
    public void Unchanged_rerun_runs_no_forward_pass_and_writes_identical_output(string? recovery)
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        var settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.3), Recovery = recovery is null ? null : MethodRegistry.Recovery(recovery) };
        var cold = new PrunePipeline(null, cache).Run(Job(dir.File("a"), TestData.Stories260KGguf, settings));
        var warm = new PrunePipeline(null, cache).Run(Job(dir.File("b"), TestData.Stories260KGguf, settings));
        Assert.True(cold.ForwardPasses > 0);
        Assert.Equal(0, cold.Cache.Hits);
        Assert.Equal(0, warm.ForwardPasses);
        Assert.Equal(0, warm.Cache.Misses);
        Assert.Equal(cold.Cache.Misses, warm.Cache.Hits);
        Assert.Equal(Hash(dir.File("a")), Hash(dir.File("b")));
        // The uncached run writes the same bytes too: the cache changes nothing but the time.
        new PrunePipeline().Run(Job(dir.File("c"), TestData.Stories260KGguf, settings));
        Assert.Equal(Hash(dir.File("a")), Hash(dir.File("c")));
    }

    [Fact]
    public void Keys_follow_content_not_paths_and_every_input_that_matters_misses()
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        new PrunePipeline(null, cache).Run(Job(dir.File("base"), TestData.TinyStoriesLlama));

        // The same model bytes in another folder: content-addressed, so everything hits.
        var copy = dir.File("model-copy");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(TestData.TinyStoriesLlama)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        var moved = new PrunePipeline(null, cache).Run(Job(dir.File("moved"), copy));
        Assert.Equal(0, moved.ForwardPasses);
        Assert.Equal(0, moved.Cache.Misses);

        // Another calibration seed changes the calibration tokens: nothing can be reused.
        var seed = new PrunePipeline(null, cache).Run(Job(dir.File("seed"), TestData.TinyStoriesLlama, seed: 7));
        Assert.Equal(0, seed.Cache.Hits);
        Assert.True(seed.ForwardPasses > 0);

        // Another batch size groups the same tokens differently (float sums in another order): a miss, by design.
        var batch = new PrunePipeline(null, cache).Run(Job(dir.File("batch"), TestData.TinyStoriesLlama, batch: 4));
        Assert.Equal(0, batch.Cache.Hits);
    }

    [Fact]
    public void Dense_mode_retargeting_reuses_every_statistic_and_reruns_only_the_ffn_recovery_fits()
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        var dense = new PruneSettings { Ratio = new RatioSpec(Target: 0.2), Mode = CalibrationMode.Dense };
        var first = new PrunePipeline(null, cache).Run(Job(dir.File("a"), TestData.Stories260KGguf, dense));
        var retarget = new PrunePipeline(null, cache).Run(Job(dir.File("b"), TestData.Stories260KGguf, dense with { Ratio = new RatioSpec(Target: 0.4) }));
        // Similarities plus the attention and FFN statistics of all 5 layers are hits; the FFN recovery for the new channel
        // sets needs the FFN activations, so passes run, but fewer than cold (no statistics pass is repeated).
        Assert.True(retarget.Cache.Hits >= 1 + 2 * 5, $"hits {retarget.Cache.Hits}");
        Assert.InRange(retarget.ForwardPasses, 1, first.ForwardPasses - 1);
        Assert.True(retarget.Parameters.After < first.Parameters.After);
    }

    [Fact]
    public void Sequential_mode_reuses_layers_upstream_of_the_first_changed_decision()
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        // alpha = 0 gives every pruned layer the same ratio; P = 4 of 5 leaves the least self-similar layer intact.
        PruneSettings S(double r) => new() { Ratio = new RatioSpec(MeanRatio: r, PrunedLayers: 5, Alpha: 0) };
        var first = new PrunePipeline(null, cache).Run(Job(dir.File("a"), TestData.Stories260KGguf, S(0.25)));
        var second = new PrunePipeline(null, cache).Run(Job(dir.File("b"), TestData.Stories260KGguf, S(0.5)));
        // The similarities and layer 0's attention statistics are reused (its inputs are the embeddings); everything after
        // layer 0's first changed decision is recomputed, so fewer forward passes than a cold run.
        Assert.True(second.Cache.Hits >= 2);
        Assert.InRange(second.ForwardPasses, 1, first.ForwardPasses - 1);
    }

    [Fact]
    public void A_corrupt_entry_is_reported_recomputed_and_gives_the_same_output()
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        new PrunePipeline(null, cache).Run(Job(dir.File("a"), TestData.TinyStoriesLlama));
        var entry = Directory.GetFiles(Path.Combine(cache, "stats", "ffn"), "*.safetensors", SearchOption.AllDirectories).First();
        var bytes = File.ReadAllBytes(entry);
        bytes[^10] ^= 0x5A;
        File.WriteAllBytes(entry, bytes);

        var warnings = new Warnings();
        var again = new PrunePipeline(warnings, cache).Run(Job(dir.File("b"), TestData.TinyStoriesLlama));
        var warning = Assert.Single(warnings.Messages);
        Assert.Contains(entry, warning);
        Assert.Contains("corrupt", warning);
        Assert.True(again.ForwardPasses > 0);
        Assert.Equal(1, again.Cache.Misses);
        Assert.Equal(Hash(dir.File("a")), Hash(dir.File("b")));
        // The entry was rewritten whole: the next run hits everything.
        var third = new PrunePipeline(warnings, cache).Run(Job(dir.File("c"), TestData.TinyStoriesLlama));
        Assert.Equal(0, third.Cache.Misses);
    }

    [Fact]
    public void A_whole_entry_of_another_layout_is_reported_and_recomputed()
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        new PrunePipeline(null, cache).Run(Job(dir.File("a"), TestData.TinyStoriesLlama));
        // Rewrite one FFN entry, correctly checksummed, without a tensor this version needs (as an older version would have).
        var entry = Directory.GetFiles(Path.Combine(cache, "stats", "ffn"), "*.safetensors", SearchOption.AllDirectories).First();
        var key = Path.GetFileNameWithoutExtension(entry);
        var store = new StatisticsCache(cache);
        var tensors = store.TryGet("ffn", key)!;
        tensors.Remove("channel_scores");
        store.Put("ffn", key, tensors);

        var warnings = new Warnings();
        var again = new PrunePipeline(warnings, cache).Run(Job(dir.File("b"), TestData.TinyStoriesLlama));
        Assert.Contains(warnings.Messages, m => m.Contains("cannot be used") && m.Contains("channel_scores"));
        Assert.True(again.ForwardPasses > 0);
        Assert.Equal(Hash(dir.File("a")), Hash(dir.File("b")));
    }

    [Fact]
    public void Cache_prune_drops_least_recently_used_entries_first()
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        new PrunePipeline(null, cache).Run(Job(dir.File("a"), TestData.TinyStoriesLlama));
        var entries = CacheMaintenance.Entries(cache).OrderBy(e => e.LastUsedUtc).ToList();
        Assert.True(entries.Count >= 3);
        long keep = entries.Skip(1).Sum(e => e.Bytes);
        var removed = CacheMaintenance.Prune(cache, keep);
        Assert.Equal(entries[0].Path, Assert.Single(removed).Path);
        Assert.Empty(CacheMaintenance.Prune(cache, keep));
        CacheMaintenance.Prune(cache, 0);
        Assert.Empty(CacheMaintenance.Entries(cache));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Two_concurrent_runs_on_one_cache_both_succeed_with_identical_output()
    {
        using var dir = TestData.NewTempDir();
        var cache = dir.File("cache");
        ToolResult Run(string name) => ToolRunner.Run("prune", "--model", TestData.Stories260KGguf, "--calibration", TestData.TinyStoriesValid,
            "--samples", "16", "--target", "0.3", "--out", dir.File(name), "--cache-dir", cache, "--device", "cpu", "--json");
        var results = await Task.WhenAll(Task.Run(() => Run("a")), Task.Run(() => Run("b")));
        var (a, b) = (results[0], results[1]);
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.True(b.ExitCode == 0, b.Stderr);
        Assert.Equal(Hash(dir.File("a")), Hash(dir.File("b")));
        Assert.DoesNotContain("corrupt", a.Stderr + b.Stderr);
        // Nothing half-written is left in the cache, and a third run reuses it all.
        Assert.Empty(Directory.GetFiles(cache, "*.tmp*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(cache, "*.staging", SearchOption.AllDirectories));
        var c = Run("c");
        using var doc = JsonDocument.Parse(c.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("models")[0].GetProperty("forward_passes").GetInt64());
    }
}
