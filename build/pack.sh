#!/usr/bin/env bash
# Packs the shipped packages into artifacts/packages: SlimLLM.Tool (the slimllm dotnet tool), SlimLLM.Build (the MSBuild
# package), SlimLLM.Runtime and SlimLLM.Models (which the runtime depends on). Works on a fresh clone (restores what it
# needs); needs only the .NET 10 SDK.
#   build/pack.sh [-o DIR] [--version V]     (SLIMLLM_VERSION also sets the version; default: Directory.Build.props)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/artifacts/packages"
version="${SLIMLLM_VERSION:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --version) version="$2"; shift 2 ;;
    *) echo "build/pack.sh: unknown argument '$1'. Usage: build/pack.sh [-o DIR] [--version V]" >&2; exit 2 ;;
  esac
done
props=()
[ -n "$version" ] && props=("-p:Version=$version")
mkdir -p "$out"
for project in SlimLLM.Models SlimLLM.Runtime SlimLLM.Tool SlimLLM.Build; do
  dotnet pack "$root/src/$project/$project.csproj" -c Release -o "$out" -nologo -v:q -nodeReuse:false "${props[@]}"
done
ls -l "$out"/*.nupkg
