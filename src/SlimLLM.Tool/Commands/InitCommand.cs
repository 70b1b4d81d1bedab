using System.CommandLine;
using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class InitCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "Where to write the manifest.", DefaultValueFactory = _ => ManifestLoader.DefaultFileName };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file." };
        var cmd = new Command("init", "Write a commented starter slimllm.yaml.") { path, force };
        cmd.SetAction(r =>
        {
            var file = Path.GetFullPath(r.GetValue(path)!);
            if (File.Exists(file) && !r.GetValue(force))
                throw new SlimLLMException(file, "already exists.", "Pass --force to overwrite it, or choose another path.");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var tmp = file + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllText(tmp, ManifestTemplate.ForTool(AppContext.BaseDirectory));
            File.Move(tmp, file, overwrite: true);
            Console.Out.WriteLine($"wrote {file}: edit the model and text paths, then run 'slimllm prune'.");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
