#!/usr/bin/env bash
# The main job on the bundled sample: prune the shared TinyStories model with SlimLLM (20% of the decoder-layer
# parameters), report dense and pruned perplexity, and tell a story with the pruned model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash build/setup.sh
data="${SLIMLLM_SHARED_DATA:-$root/../shared/data}"
dotnet build src/SlimLLM.Tool -c Release -v quiet -nologo >/dev/null
slimllm() { dotnet "$root/src/SlimLLM.Tool/bin/Release/net10.0/slimllm.dll" "$@"; }
out="$root/artifacts/tinystories-slim"
slimllm prune --model "$data/models/tinystories-llama" --calibration "$data/text/corpus-en.txt" "$data/text/tinystories-valid.txt" \
  --target 0.2 --eval "$data/text/tinystories-valid.txt" --out "$out"
slimllm inspect "$out"
slimllm generate --model "$out" --max-new-tokens 48
