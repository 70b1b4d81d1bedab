namespace SlimLLM.Tuning;

/// <summary>The learning rate of each step: a linear warm-up from 0 to the peak, then a cosine or linear decay to 0.</summary>
public static class LearningRates
{
    /// <summary>The rate for step <paramref name="step"/> (0-based) of <see cref="TuningSettings.Steps"/>.</summary>
    public static double At(int step, TuningSettings s)
    {
        int warmup = s.EffectiveWarmupSteps;
        if (step < warmup) return s.LearningRate * (step + 1) / warmup;
        double progress = (double)(step - warmup) / Math.Max(1, s.Steps - warmup);
        return s.Schedule switch
        {
            LearningRateSchedule.Linear => s.LearningRate * (1 - progress),
            _ => s.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress)),
        };
    }
}
