namespace SlimLLM.Runtime.Tests;

public sealed class TokenSamplerTests
{
    // logits [0, ln 3] at temperature 1: probabilities 0.25 and 0.75; token 1 comes first in the cumulative order.
    private static readonly float[] TwoTokens = [0f, (float)Math.Log(3)];

    [Theory]
    [InlineData(0.00, 1)]
    [InlineData(0.74, 1)]
    [InlineData(0.76, 0)]
    [InlineData(0.99, 0)]
    public void Sample_FollowsCumulativeProbabilities(double uniform, int expected) =>
        Assert.Equal(expected, TokenSampler.Sample(TwoTokens, temperature: 1.0, topP: 1.0, uniform));

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.75)]
    public void Sample_TopPBelowTheTopProbability_KeepsOnlyTheTopToken(double topP) =>
        Assert.Equal(1, TokenSampler.Sample(TwoTokens, temperature: 1.0, topP, uniform: 0.99));

    [Fact]
    public void Sample_HighTemperature_FlattensTowardsUniform()
    {
        // temperature 1000: probabilities ~0.4997 / 0.5003, so a draw of 0.55 lands on the second-ranked token.
        Assert.Equal(0, TokenSampler.Sample(TwoTokens, temperature: 1000, topP: 1.0, uniform: 0.55));
        Assert.Equal(1, TokenSampler.Sample(TwoTokens, temperature: 1.0, topP: 1.0, uniform: 0.55));
    }

    [Theory]
    [InlineData(-1, 1.0)]
    [InlineData(0, 0.0)]
    [InlineData(0, 1.5)]
    public void Validate_RejectsOutOfRangeOptions(double temperature, double topP) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new GenerationOptions { Temperature = temperature, TopP = topP }.Validate());
}
