using System.Text.RegularExpressions;

namespace SlimLLM.Build.Tests;

/// <summary>
/// The shell blocks of README.md that tests run verbatim: each is the ```bash fence right after a
/// <c>&lt;!-- readme-test: NAME --&gt;</c> marker, so the README and the tests cannot drift apart.
/// </summary>
public static class ReadmeBlocks
{
    public static string Get(string name, string? readme = null)
    {
        readme ??= File.ReadAllText(Path.Combine(Paths.RepoRoot, "README.md"));
        var m = Regex.Match(readme, $@"<!-- readme-test: {Regex.Escape(name)} -->\s*```bash\n(?<body>.*?)```", RegexOptions.Singleline);
        if (!m.Success) throw new InvalidOperationException($"README.md has no ```bash block marked <!-- readme-test: {name} -->");
        return m.Groups["body"].Value;
    }
}
