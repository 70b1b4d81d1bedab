#!/usr/bin/env bash
# The main job on the bundled sample: `dotnet build samples/TinyStoriesApp` prunes the shared TinyStories model with
# SlimLLM (20% of the decoder-layer parameters, declared in samples/TinyStoriesApp/slimllm.yaml) through the in-repo
# MSBuild targets; the app then loads the pruned model from its output folder with SlimLLM.Runtime, prints its per-layer
# sizes and tells a story with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash build/setup.sh
dotnet build samples/TinyStoriesApp -nologo -v:m
dotnet run --project samples/TinyStoriesApp --no-build
