using SlimLLM.Build.Tests;
using SlimLLM.Runtime.Tests.Support;

namespace SlimLLM.Runtime.Tests;

/// <summary>
/// An app that references both SlimLLM.Runtime and SlimLLM.Core (as an app that prunes and runs models would) builds, and a
/// catch clause written against <c>SlimLLM.Errors.SlimLLMException</c> catches what the runtime throws: the model types live
/// once, in SlimLLM.Models, instead of twice (when the runtime compiled Core's sources, naming the type was error CS0433).
/// Real <c>dotnet build</c> and <c>dotnet run</c> of a temporary project with ProjectReferences to both.
/// </summary>
public class ConsumerAppTests
{
    private const string Program = """
        using SlimLLM.Errors;
        using SlimLLM.Manifest;
        using SlimLLM.Runtime;

        // A Core type in use too, so that both assemblies are really referenced.
        Console.WriteLine("core: " + typeof(ManifestException).Assembly.GetName().Name);
        try
        {
            using var model = SlimModel.Load(args[0], "cpu");
            Console.WriteLine("loaded a model that does not exist");
            return 1;
        }
        catch (SlimLLMException e)
        {
            Console.WriteLine($"caught {e.GetType().Name} with catch (SlimLLMException) of {typeof(SlimLLMException).Assembly.GetName().Name}: {e.Message}");
            return e is ManifestException ? 1 : 0;
        }
        """;

    [Fact]
    [Trait("Category", "Slow")]
    public void An_app_referencing_runtime_and_core_catches_the_one_SlimLLMException()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"slimllm-consumer-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var src = Path.Combine(TestData.RepoRoot, "src");
            File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{Path.Combine(src, "SlimLLM.Runtime", "SlimLLM.Runtime.csproj")}" />
                    <ProjectReference Include="{Path.Combine(src, "SlimLLM.Core", "SlimLLM.Core.csproj")}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(dir, "Program.cs"), Program);
            // The repository's global.json picks the SDK the referenced projects are built with.
            File.Copy(Path.Combine(TestData.RepoRoot, "global.json"), Path.Combine(dir, "global.json"));

            // The referenced projects are already built (the solution build before the tests, in this configuration):
            // build only the consumer, so that parallel test projects never write the same obj folders.
            var build = Dotnet(dir, "build", "-c", TestData.Configuration, "-p:BuildProjectReferences=false", "-nologo", "-v:q");
            Assert.True(build.ExitCode == 0, "dotnet build of the consumer failed:\n" + build.Output);

            var missing = Path.Combine(dir, "no-such-model");
            var run = Dotnet(dir, "run", "--no-build", "-c", TestData.Configuration, "--", missing);
            Assert.True(run.ExitCode == 0, "the consumer did not catch SlimLLMException:\n" + run.Output);
            Assert.Contains("core: SlimLLM.Core", run.Output);
            Assert.Contains(" with catch (SlimLLMException) of SlimLLM.Models: ", run.Output);
            Assert.Contains(missing, run.Output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static DotnetResult Dotnet(string workingDirectory, params string[] args) =>
        DotnetProcess.Run(workingDirectory, new Dictionary<string, string>(), args);
}
