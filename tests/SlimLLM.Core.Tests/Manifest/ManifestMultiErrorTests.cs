namespace SlimLLM.Tests.Manifest;

public sealed class ManifestMultiErrorTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Every_error_of_every_model_is_reported_at_once_in_file_order()
    {
        var errors = _ws.Errors("""
            cahce: .c
            models:
              - name: a/b
                source:
                  path: models/missing
                calibration:
                  files: ["data/cal/*.csv"]
                  samples: abc
                pruning:
                  method: slimlm
                  taget: 0.3
                device: gpu
              - name: ok
                source: {path: models/m}
                calibration: {files: data/test.txt}
                pruning: {target: 1.2}
                evaluate:
                  - text: data/nope.txt
            """);

        Assert.Equal(
        [
            (1, 1, "SLIM002", "unknown key 'cahce' at the top level."),
            (3, 11, "SLIM012", "model name 'a/b' must be letters, digits, '.', '_' and '-' only (it names the output folder)."),
            (5, 13, "SLIM008", $"source path 'models/missing' does not exist (resolved to '{_ws.Full("models/missing")}')."),
            (7, 15, "SLIM009", $"calibration pattern 'data/cal/*.csv' matches no file (searched under '{_ws.Full("data/cal")}')."),
            (8, 16, "SLIM003", "'calibration.samples': expected a whole number, got 'abc'."),
            (9, 5, "SLIM005", "'pruning' has neither 'target' nor 'ratio'."),
            (10, 15, "SLIM006", "'pruning.method' is 'slimlm', which is not a pruning method."),
            (11, 7, "SLIM002", "unknown key 'taget' in 'pruning'."),
            (12, 13, "SLIM006", "'device' is 'gpu', which is not a device."),
            (16, 23, "SLIM004", "'pruning.target' is 1.2, but must be in (0, 1)."),
            (18, 15, "SLIM008", $"evaluation text 'data/nope.txt' does not exist (resolved to '{_ws.Full("data/nope.txt")}')."),
        ], errors.Select(e => (e.Line!.Value, e.Column!.Value, e.Code, e.Message)));
        Assert.Equal("Did you mean 'slimllm'? Use one of: slimllm, magnitude, wanda-sp, flap.", errors[6].Fix);
        Assert.All(errors, e => Assert.Equal(_ws.ManifestPath, e.File));
    }
}
