#!/usr/bin/env bash
# Builds the developers' tool slimllm-dev (and with it slimllm, which it times) in Release and runs its benchmark; every
# argument goes to `slimllm-dev bench`:
#   build/bench.sh                          shared models and the cache-hit rebuild (a minute on 2 CPU cores)
#   build/bench.sh --cases all --markdown   the table of docs/benchmarks.md
#   build/bench.sh --cases memory           LLaMA-7B shape with 16 layers (slow; generates a 7 GB checkpoint once)
#   build/bench.sh --cases tune             LoRA tuning of a pruned 4-layer LLaMA-7B shape, without and with checkpointing (slow)
# The table goes to stdout, progress to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash build/setup.sh
dotnet build src/SlimLLM.DevTools -c Release -nologo -v:q
exec src/SlimLLM.DevTools/bin/Release/net10.0/slimllm-dev bench "$@"
