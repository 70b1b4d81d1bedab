#!/usr/bin/env bash
# Prunes both shared models under a fixed set of configurations and prints one line per run:
# the configuration, the sha256 of every output file and the perplexities. slimllm.json is left out so that runs of commits
# from before it became reproducible (it held timings and absolute paths) compare; tests check its bytes.
# Run it before and after a refactor and diff the two outputs: they must be identical.
#   build/equivalence.sh > before.txt; (change code); build/equivalence.sh > after.txt; diff before.txt after.txt
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/../shared/data"
tool="$root/src/SlimLLM.Tool/bin/Release/net10.0/slimllm"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
models=("$data/models/tinystories-llama" "$data/models/stories260k/stories260K.gguf")
configs=(
  "--method slimllm --target 0.2"
  "--method slimllm --target 0.5"
  "--method slimllm --target 0.2 --recovery ridge"
  "--method slimllm --target 0.2 --mode dense"
  "--method flap --target 0.2"
  "--method wanda-sp --target 0.5"
  "--method magnitude --target 0.2 --recovery mean-bias"
)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
for m in "${models[@]}"; do
  for c in "${configs[@]}"; do
    out="$work/out"; rm -rf "$out"
    # shellcheck disable=SC2086
    json=$("$tool" prune --model "$m" -c "$data/text/tinystories-valid.txt" $c --samples 16 --seq-len 64 \
      --eval "$data/text/tinystories-valid.txt" --max-tokens 4096 --no-cache -o "$out" --json 2>/dev/null || true)
    "$tool" export --model "$out" --type f16 -o "$out/model.gguf" >/dev/null 2>&1 || true
    hashes=$(cd "$out" 2>/dev/null && find . -type f ! -name slimllm.json | sort | xargs -r sha256sum | awk '{printf "%s:%s ", $2, substr($1,1,16)}')
    ppl=$(echo "$json" | grep -o '"\(dense\|pruned\)_perplexity": *[0-9.eE+-]*' | tr -d ' "' | tr '\n' ' ')
    echo "$(basename "$m") [$c] $hashes $ppl"
  done
done
