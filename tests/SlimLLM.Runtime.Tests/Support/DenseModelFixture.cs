namespace SlimLLM.Runtime.Tests.Support;

/// <summary>The dense shared TinyStories model, loaded once on the CPU for a test class.</summary>
public sealed class DenseModelFixture : IDisposable
{
    public SlimModel Model { get; } = SlimModel.Load(TestData.TinyStoriesLlama, "cpu");
    public void Dispose() => Model.Dispose();
}
