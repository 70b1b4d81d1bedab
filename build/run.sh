#!/usr/bin/env bash
# The main job on the bundled sample: `dotnet build samples/TinyStoriesApp` prunes the shared TinyStories model with
# SlimLLM (20% of the decoder-layer parameters, declared in samples/TinyStoriesApp/slimllm.yaml) through the in-repo
# MSBuild targets; the app then reads the pruned model from its output folder, and `slimllm generate` tells a story with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash build/setup.sh
dotnet build samples/TinyStoriesApp -nologo -v:m
dotnet run --project samples/TinyStoriesApp --no-build
model="$root/samples/TinyStoriesApp/bin/Debug/net10.0/models/tinystories-slim"
dotnet "$root/src/SlimLLM.Tool/bin/Debug/net10.0/slimllm.dll" generate --model "$model" --max-new-tokens 48
