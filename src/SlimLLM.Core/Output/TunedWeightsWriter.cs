using SlimLLM.Models;
using SlimLLM.Tuning;

namespace SlimLLM.Output;

/// <summary>
/// Writes a model's weights with LoRA adapters merged into its projections (W + scale·B·A, computed in float32 and stored
/// in the model's dtype) as the safetensors files of <paramref name="folder"/>, one layer in memory at a time.
/// </summary>
public static class TunedWeightsWriter
{
    public static void Write(IModelSource model, LoraAdapterSet adapters, string folder, long maxShardBytes)
    {
        var config = model.Config;
        Directory.CreateDirectory(folder);
        using var store = new StreamingLayerStore(folder, Pruning.Engine.PruningEngine.StoredDtype(config), maxShardBytes);
        using (var embedding = model.LoadEmbedding()) store.Begin(config, embedding);
        for (int l = 0; l < config.NumLayers; l++)
        {
            using var layer = model.LoadLayer(l);
            store.Add(l, adapters.Layers[l].MergeInto(layer));
        }
        store.End(model.LoadFinalNorm(), config.TieWordEmbeddings ? null : model.LoadLmHead());
    }

    /// <summary>
    /// Replaces the weights of the model folder <paramref name="folder"/> with the merged ones: written beside them first, then
    /// moved over them file by file (the folder is a temporary one that appears whole or not at all).
    /// </summary>
    public static void ReplaceIn(string folder, LoraAdapterSet adapters, long maxShardBytes)
    {
        var staging = Path.Combine(folder, ".tuned");
        using (var model = ModelLoader.Open(folder)) Write(model, adapters, staging, maxShardBytes);
        foreach (var f in Directory.GetFiles(staging)) File.Move(f, Path.Combine(folder, Path.GetFileName(f)), overwrite: true);
        Directory.Delete(staging);
    }
}
