using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Diagnostics;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Engine;

/// <summary>What each layer reports: its phases' seconds, its peak resident memory and (through the seam) its peak device memory.</summary>
public class LayerReportTests
{
    /// <summary>A device whose memory in use grows by 1,000 bytes with every sample.</summary>
    private sealed class CountingDeviceMemory : IDeviceMemory
    {
        private long _inUse;
        public int Resets { get; private set; }
        public void ResetPeak() { PeakBytes = null; Resets++; }
        public void Sample() => PeakBytes = _inUse += 1000;
        public long? PeakBytes { get; private set; }
    }

    [Fact]
    public void Every_layer_reports_its_phases_its_peak_rss_and_the_device_memory_the_seam_measured()
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        var calibration = CalibrationSet.FromText(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid), 8, 64, 42);
        var device = new CountingDeviceMemory();
        using var r = new PruningEngine(deviceMemory: device).Run(source, calibration, new PruneSettings { Ratio = new RatioSpec(Target: 0.2) },
            ComputeDevice.Resolve("cpu"));

        Assert.Equal(source.Config.NumLayers, device.Resets);
        long previous = 0;
        foreach (var l in r.LayerTimings)
        {
            // The phases of a layer are those the run's timings grew by while it was pruned.
            Assert.True(l.Phases["load"] > 0 && l.Phases["write"] > 0);
            Assert.Equal(l.StatisticsForwardSeconds, l.Phases.GetValueOrDefault(LayerStatisticsComputer.ForwardPhase));
            Assert.InRange(l.PeakRssBytes!.Value, 50_000_000, ProcessMemory.PeakResidentBytes()!.Value);
            Assert.True(l.PeakDeviceBytes > previous);
            previous = l.PeakDeviceBytes!.Value;
        }
        foreach (var phase in r.Timings.Seconds.Keys.Where(p => p is "load" or "write" or "selection" or "regression"))
            Assert.True(r.LayerTimings.Sum(l => l.Phases.GetValueOrDefault(phase)) <= r.Timings.Seconds[phase] + 1e-9, phase);
    }

    [Fact]
    public void Resetting_the_peak_keeps_the_process_peak()
    {
        // 512 MB touched and given back (a block that large is mapped and unmapped): the peak holds it, the resident set not.
        using (var big = TorchSharp.torch.ones(128L << 20)) Assert.True(ProcessMemory.PeakResidentBytes() > 512_000_000);
        long before = ProcessMemory.PeakResidentBytes()!.Value;
        Assert.True(ProcessMemory.ResetPeak());
        Assert.True(ProcessMemory.PeakResidentBytes() >= before);
        Assert.True(ProcessMemory.PeakResidentBytesSinceReset() < before - 256_000_000);
    }
}
