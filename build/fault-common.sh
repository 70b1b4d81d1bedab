# Shared by build/kill-loop.sh and build/concurrent-prunes.sh (sourced): builds the tool, writes a manifest that prunes the
# shared TinyStories model into $work/out/slim with formats [safetensors, gguf], and checks outputs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SLIMLLM_SHARED_DATA:-$(cd "$root/.." && pwd)/shared/data}
bash "$root/build/setup.sh" >/dev/null 2>&1 || bash "$root/build/setup.sh"
dotnet build "$root/src/SlimLLM.Tool" -c Release -nologo -v:q >/dev/null
tool="$root/src/SlimLLM.Tool/bin/Release/net10.0/slimllm"
work=$(mktemp -d /tmp/slimllm-faults-XXXXXX)
out="$work/out/slim"
cat > "$work/slimllm.yaml" <<YAML
models:
  - name: slim
    source: { path: $shared/models/tinystories-llama }
    calibration: { files: ["$shared/text/tinystories-valid.txt"], samples: 8, seq_len: 64 }
    pruning: { target: 0.2 }
    evaluate:
      - text: $shared/text/tinystories-valid.txt
        max_tokens: 4096
    output: { dir: $work/out, formats: [safetensors, gguf] }
    device: cpu
YAML

# The bytes that must not depend on how a run was interrupted or raced: the weights, the GGUF, config and tokenizer.
digest() { (cd "$1" && sha256sum model.safetensors model.gguf config.json tokenizer.json | sha256sum | cut -c1-16); }
complete() { [[ -f $1/slimllm.json && -f $1/model.gguf && -f $1/model.safetensors && -f $1/config.json ]]; }
leftovers() { find "$work/out" "$work/cache" \( -name '.*.tmp-*' -o -name '.*.old-*' -o -name '*.tmp' -o -name '*.staging' \) 2>/dev/null; }
