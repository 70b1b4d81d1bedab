using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlimLLM.Build;

/// <summary>
/// Reads the prune stamps and lists every file of every pruned model folder as a Content item for the output, publish and
/// pack: Link and TargetPath MODELS/NAME/REL, PackagePath contentFiles/any/any/MODELS/NAME/REL. With
/// <see cref="DeleteStaleStamps"/>, only deletes stamps whose model folders are gone (or that are not stamps of this version),
/// so the prune runs again, and lists the files the others' prunes read as <see cref="PruneInputs"/>.
/// </summary>
public sealed class SlimLLMCollectModels : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem[] Stamps { get; set; } = new ITaskItem[0];
    public string ModelsFolder { get; set; } = "models";
    public bool Pack { get; set; } = true;
    public bool DeleteStaleStamps { get; set; }

    [Output] public ITaskItem[] ModelFiles { get; private set; } = new ITaskItem[0];
    /// <summary>The model folders the stamps list (existing or not).</summary>
    [Output] public ITaskItem[] ModelFolders { get; private set; } = new ITaskItem[0];
    /// <summary>The files each kept stamp's prune read, with metadata Stamp: the stamp's item spec (the prune target batches by it).</summary>
    [Output] public ITaskItem[] PruneInputs { get; private set; } = new ITaskItem[0];
    /// <summary>Total bytes of <see cref="ModelFiles"/>.</summary>
    [Output] public long TotalBytes { get; private set; }

    public override bool Execute()
    {
        var files = new List<ITaskItem>();
        var folders = new List<ITaskItem>();
        var inputs = new List<ITaskItem>();
        var folder = ModelsFolder.Trim('/', '\\');
        foreach (var stampItem in Stamps)
        {
            var stampPath = stampItem.GetMetadata("FullPath");
            var stamp = PruneStamp.TryRead(stampPath);
            if (DeleteStaleStamps)
            {
                if (stamp is null)
                {
                    if (File.Exists(stampPath)) File.Delete(stampPath);
                }
                else if (stamp.Models.Any(m => !Directory.Exists(m.Value)))
                {
                    Log.LogMessage(MessageImportance.Normal, "SlimLLM: a pruned model folder listed in {0} is gone; pruning again.", stampPath);
                    File.Delete(stampPath);
                }
                else
                {
                    inputs.AddRange(stamp.Inputs.Select(i =>
                    {
                        var item = new TaskItem(i);
                        item.SetMetadata("Stamp", stampItem.ItemSpec);
                        return (ITaskItem)item;
                    }));
                }
                continue;
            }
            if (stamp is null) continue;
            foreach (var model in stamp.Models)
            {
                folders.Add(new TaskItem(model.Value));
                if (!Directory.Exists(model.Value)) continue;
                var root = Path.GetFullPath(model.Value).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
                foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
                {
                    var rel = file.Substring(root.Length).Replace('\\', '/');
                    var link = (folder.Length == 0 ? "" : folder + "/") + model.Key + "/" + rel;
                    var item = new TaskItem(file);
                    item.SetMetadata("Link", link);
                    item.SetMetadata("TargetPath", link);
                    item.SetMetadata("CopyToOutputDirectory", "PreserveNewest");
                    item.SetMetadata("CopyToPublishDirectory", "PreserveNewest");
                    item.SetMetadata("SlimLLMModel", model.Key);
                    item.SetMetadata("Pack", Pack ? "true" : "false");
                    item.SetMetadata("PackagePath", "contentFiles/any/any/" + link);
                    item.SetMetadata("PackageCopyToOutput", "true");
                    item.SetMetadata("BuildAction", "Content");
                    files.Add(item);
                    TotalBytes += new FileInfo(file).Length;
                }
            }
        }
        ModelFiles = files.ToArray();
        ModelFolders = folders.ToArray();
        PruneInputs = inputs.ToArray();
        return !Log.HasLoggedErrors;
    }
}
