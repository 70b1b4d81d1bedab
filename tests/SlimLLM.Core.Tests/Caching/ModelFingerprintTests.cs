using SlimLLM.Caching;
using SlimLLM.Models;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Caching;

/// <summary>
/// Fingerprints come from bytes: the memo (keyed by path, size, mtime, device, inode, ctime) may skip the hashing, never
/// change its result. Issue 13 finding 5: a same-size weight change with the mtime restored used to hit the memo.
/// </summary>
public class ModelFingerprintTests
{
    private static ModelFingerprint.Result Fingerprint(string model, string? cache, bool verify = false)
    {
        using var source = ModelLoader.Open(model);
        return ModelFingerprint.ComputeDetailed(source, cache, verify);
    }

    /// <summary>Waits until the files' last change lies beyond the racy margin, so that a memo made now is trusted later.</summary>
    private static void LetTheFilesSettle() => Thread.Sleep(ModelFingerprint.RacyMargin + TimeSpan.FromMilliseconds(200));

    [Fact]
    public void Same_size_weight_change_with_the_mtime_restored_gives_a_new_fingerprint()
    {
        using var dir = TestData.NewTempDir();
        var model = dir.CopyOfTinyStoriesLlama();
        var cache = dir.File("cache");
        var weights = Path.Combine(model, "model.safetensors");
        long modelBytes = new FileInfo(weights).Length + new FileInfo(Path.Combine(model, "config.json")).Length;
        LetTheFilesSettle();

        var first = Fingerprint(model, cache);
        Assert.Equal(modelBytes, first.BytesHashed);
        var memoHit = Fingerprint(model, cache);
        Assert.Equal((first.Fingerprint, 0L), (memoHit.Fingerprint, memoHit.BytesHashed));

        // Flip one byte of the last tensor's data (same size), then put the modification time back.
        var mtime = File.GetLastWriteTimeUtc(weights);
        using (var s = new FileStream(weights, FileMode.Open, FileAccess.ReadWrite))
        {
            s.Position = s.Length - 3;
            int b = s.ReadByte();
            s.Position = s.Length - 3;
            s.WriteByte((byte)(b ^ 0x40));
        }
        File.SetLastWriteTimeUtc(weights, mtime);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(weights));

        var changed = Fingerprint(model, cache);
        Assert.Equal(modelBytes, changed.BytesHashed);
        Assert.NotEqual(first.Fingerprint, changed.Fingerprint);
        Assert.Equal(Fingerprint(model, null).Fingerprint, changed.Fingerprint);
        Assert.Equal(first.Fingerprint, Fingerprint(TestData.TinyStoriesLlama, null).Fingerprint);
    }

    [Fact]
    public void Verify_hashes_again_and_a_memo_younger_than_the_files_last_change_is_not_trusted()
    {
        using var dir = TestData.NewTempDir();
        var model = dir.CopyOfTinyStoriesLlama();
        var cache = dir.File("cache");

        // Just copied: the files' ctime is within the racy margin of the hash, so the memo is verified on the next run.
        var first = Fingerprint(model, cache);
        Assert.True(first.BytesHashed > 0);
        var racy = Fingerprint(model, cache);
        Assert.Equal(first, racy);

        LetTheFilesSettle();
        var settled = Fingerprint(model, cache);
        Assert.Equal(first, settled);
        Assert.Equal(0, Fingerprint(model, cache).BytesHashed);
        Assert.Equal(first, Fingerprint(model, cache, verify: true));
        Assert.Equal(0, Fingerprint(model, cache).BytesHashed);
    }

    [Fact]
    public void A_file_replaced_by_a_same_size_copy_with_the_old_times_gets_a_new_identity()
    {
        using var dir = TestData.NewTempDir();
        var a = dir.File("a.bin");
        var b = dir.File("b.bin");
        File.WriteAllBytes(a, [1, 2, 3, 4]);
        File.WriteAllBytes(b, [1, 2, 3, 5]);
        var time = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(a, time);
        File.SetLastWriteTimeUtc(b, time);
        var before = FileIdentity.Of(a);
        File.Move(b, a, overwrite: true);
        var after = FileIdentity.Of(a);
        Assert.Equal((before.Path, before.Length, before.MtimeTicks), (after.Path, after.Length, after.MtimeTicks));
        Assert.NotEqual(before.ToString(), after.ToString());
        if (OperatingSystem.IsLinux())
        {
            Assert.NotEqual(0UL, before.Inode);
            Assert.NotEqual(before.Inode, after.Inode);
            Assert.True(after.CtimeTicks > time.Ticks);
        }
    }

    [Fact]
    public void Prune_offers_verify_for_manifests_and_single_models()
    {
        var help = ToolRunner.Run("prune", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Matches(@"--verify\s+Hash the model's files again", help.Stdout);
    }
}
