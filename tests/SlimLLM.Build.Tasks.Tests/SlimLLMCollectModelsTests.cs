using Microsoft.Build.Utilities;

namespace SlimLLM.Build.Tasks.Tests;

/// <summary>The stamps a prune leaves: read back as the models' content, as the prune target's inputs, and deleted when stale.</summary>
public sealed class SlimLLMCollectModelsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"slimllm-collect-{Guid.NewGuid():N}");
    private readonly RecordingBuildEngine _engine = new();

    public SlimLLMCollectModelsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Stamp(string name, params string[] inputs)
    {
        var output = Path.Combine(_dir, "out", name);
        Directory.CreateDirectory(Path.Combine(output, "tokenizer"));
        File.WriteAllText(Path.Combine(output, "model.safetensors"), "weights");
        File.WriteAllText(Path.Combine(output, "tokenizer", "vocab.json"), "{}");
        var stamp = Path.Combine(_dir, "obj", name + ".stamp");
        new PruneStamp([new KeyValuePair<string, string>(name, output)], inputs).Write(stamp);
        return stamp;
    }

    private SlimLLMCollectModels Collect(bool deleteStale, params string[] stamps) => new()
    {
        BuildEngine = _engine,
        Stamps = stamps.Select(s => (Microsoft.Build.Framework.ITaskItem)new TaskItem(s)).ToArray(),
        DeleteStaleStamps = deleteStale,
    };

    [Fact]
    public void Every_file_of_every_model_is_content_under_the_models_folder()
    {
        var task = Collect(false, Stamp("tiny"));

        Assert.True(task.Execute(), _engine.Log());

        Assert.Equal(["models/tiny/model.safetensors", "models/tiny/tokenizer/vocab.json"], task.ModelFiles.Select(f => f.GetMetadata("Link")));
        Assert.All(task.ModelFiles, f => Assert.Equal("contentFiles/any/any/" + f.GetMetadata("Link"), f.GetMetadata("PackagePath")));
        Assert.Equal("weights".Length + "{}".Length, task.TotalBytes);
        Assert.Equal(Path.Combine(_dir, "out", "tiny"), Assert.Single(task.ModelFolders).ItemSpec);
    }

    [Fact]
    public void The_inputs_of_a_kept_stamp_carry_the_stamp_the_prune_target_batches_by()
    {
        var stamp = Stamp("tiny", "/data/slimllm.yaml", "/data/calib.txt");
        var task = Collect(true, stamp);

        Assert.True(task.Execute(), _engine.Log());

        Assert.Equal(["/data/slimllm.yaml", "/data/calib.txt"], task.PruneInputs.Select(i => i.ItemSpec));
        Assert.All(task.PruneInputs, i => Assert.Equal(stamp, i.GetMetadata("Stamp")));
        Assert.True(File.Exists(stamp));
    }

    [Fact]
    public void A_stamp_whose_model_folder_is_gone_or_of_an_older_format_is_deleted_so_the_prune_runs_again()
    {
        var gone = Stamp("gone", "/data/calib.txt");
        Directory.Delete(Path.Combine(_dir, "out", "gone"), recursive: true);
        var old = Path.Combine(_dir, "obj", "old.stamp");
        File.WriteAllText(old, "hash=0123\nmodel=old|/out/old\ninput=12|345|/data/calib.txt\n");

        Assert.True(Collect(true, gone, old).Execute(), _engine.Log());

        Assert.False(File.Exists(gone));
        Assert.False(File.Exists(old));
    }
}
