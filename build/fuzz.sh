#!/usr/bin/env bash
# A longer run of the fuzz test (tests/SlimLLM.Tool.Tests/Fuzz): mutated safetensors and GGUF headers, config.json,
# tokenizer.json and slimllm.yaml, each run through the real tool, which must exit 0 or 2 with one error line, no stack
# trace, within 30 s and 2 GB. Failing inputs are kept under ${TMPDIR:-/tmp}/slimllm-fuzz-failures/ with a repro.txt.
#   build/fuzz.sh [-n ITERATIONS] [-m MINUTES] [-s SEED] [-w WORKERS] [-v]
#   build/fuzz.sh -m 30 -s 7        half an hour from seed 7 (the suite runs ~50 s from seed 13)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=10 iterations=0 seed=13 workers=2 verbose=0
while getopts "n:m:s:w:v" opt; do
  case $opt in
    n) iterations=$OPTARG ;;
    m) minutes=$OPTARG ;;
    s) seed=$OPTARG ;;
    w) workers=$OPTARG ;;
    v) verbose=1 ;;
    *) sed -n '2,6p' "$0"; exit 2 ;;
  esac
done
export SLIMLLM_FUZZ_SECONDS=$((minutes * 60)) SLIMLLM_FUZZ_SEED=$seed SLIMLLM_FUZZ_WORKERS=$workers SLIMLLM_FUZZ_VERBOSE=$verbose
[ "$iterations" -gt 0 ] && export SLIMLLM_FUZZ_ITERATIONS=$iterations
cd "$root"
dotnet test tests/SlimLLM.Tool.Tests -c Release --filter "FullyQualifiedName~ToolFuzzTests" \
  --logger "console;verbosity=detailed" -- RunConfiguration.TestSessionTimeout=$(( (minutes * 60 + 600) * 1000 ))
