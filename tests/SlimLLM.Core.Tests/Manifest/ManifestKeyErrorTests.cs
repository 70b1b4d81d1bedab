using SlimLLM.Manifest;

namespace SlimLLM.Tests.Manifest;

/// <summary>Unknown, missing, duplicate and misplaced keys: each reported once, at its key, with the fix.</summary>
public sealed class ManifestKeyErrorTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Misspelt_key_gets_a_did_you_mean() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      taget: 0.3\n", 9, 7, "SLIM002",
            "unknown key 'taget' in 'pruning'.", "Did you mean 'target'?");

    [Fact]
    public void Misspelt_top_level_key_gets_a_did_you_mean() =>
        _ws.SingleError("cahce: x\n" + ManifestWorkspace.Minimal, 1, 1, "SLIM002",
            "unknown key 'cahce' at the top level.", "Did you mean 'cache'?");

    [Fact]
    public void Unknown_key_with_nothing_close_lists_the_valid_keys() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    colour: blue\n", 9, 5, "SLIM002",
            "unknown key 'colour' in a model entry.", "Valid keys here: name, source, calibration, pruning, tuning, evaluate, output, device.");

    [Fact]
    public void Key_of_another_section_says_where_it_belongs() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      seed: 1\n", 9, 7, "SLIM002",
            "unknown key 'seed' in 'pruning'.", "'seed' belongs in 'calibration'; move it there.");

    [Fact]
    public void Missing_target_and_ratio_is_reported_at_the_pruning_key() =>
        _ws.SingleError("""
            models:
              - name: m
                source:
                  path: models/m
                calibration:
                  files: data/cal/*.txt
                pruning:
                  method: flap
            """, 7, 5, "SLIM005", "'pruning' has neither 'target' nor 'ratio'.",
            "Add 'target: 0.2' (the fraction of decoder-layer parameters to remove) or 'ratio: 0.2' (the paper's mean per-layer ratio R).");

    [Fact]
    public void Missing_section_is_reported_at_the_model_entry() =>
        _ws.SingleError("""
            models:
              - name: m
                calibration:
                  files: data/cal/*.txt
                pruning:
                  target: 0.2
            """, 2, 5, "SLIM005", "the model entry has no 'source'.", "Add 'source: { path: models/my-model }'.");

    [Fact]
    public void Key_without_a_value_is_reported_at_the_key() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("name: m", "name:"), 2, 5, "SLIM005",
            "'name' has no value.", "Add 'name: my-model-slim'.");

    [Fact]
    public void Source_without_a_kind_is_missing_its_path() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("      path: models/m\n", "      revision: main\n"), 3, 5, "SLIM005",
            "'source' has none of 'path', 'nuget' or 'huggingface'.", "Add one, e.g. 'path: models/my-model' (a Hugging Face folder or a .gguf file).");

    [Fact]
    public void Empty_manifest_asks_for_models() =>
        _ws.SingleError("# nothing yet\n", 1, 1, "SLIM005", "the manifest is empty.",
            "Add a 'models:' list; 'slimllm init' writes a commented starter manifest.");

    [Fact]
    public void Duplicate_key_is_reported_at_its_second_occurrence() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "      target: 0.3\n", 9, 7, "SLIM011",
            "key 'target' appears twice in this mapping (first at line 8).", "Remove one of them.");

    [Fact]
    public void Duplicate_model_names_are_reported_at_the_second_ignoring_case() =>
        _ws.SingleError(ManifestWorkspace.Minimal + ManifestWorkspace.Minimal["models:\n".Length..].Replace("name: m", "name: M"), 9, 11, "SLIM010",
            "model name 'M' is already used by the model at line 2 (names are compared ignoring case).",
            "Give each model a unique name: it names the model's output folder.");

    [Fact]
    public void Model_name_that_is_not_a_folder_name_is_rejected() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("name: m", "name: ../escape"), 2, 11, "SLIM012",
            "model name '../escape' must be letters, digits, '.', '_' and '-' only (it names the output folder).",
            "Rename it, e.g. 'name: tinystories-slim'.");

    [Fact]
    public void Models_written_as_a_mapping_is_a_type_error() =>
        _ws.SingleError("models:\n  name: m\n", 2, 3, "SLIM003", "'models': expected a list, got a mapping.",
            "Start each entry of 'models' with '- ', e.g. '- name: my-model-slim'.");

    [Fact]
    public void Empty_models_list_is_out_of_range() =>
        _ws.SingleError("models: []\n", 1, 1, "SLIM004", "'models' lists no model.",
            "Add at least one entry, e.g. '- name: my-model-slim' with its source, calibration and pruning.");
}
