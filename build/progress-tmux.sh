#!/usr/bin/env bash
# What a person sees while slimllm prunes, without a screenshot: runs `slimllm prune` of a synthetic 8-layer model in a
# detached tmux session (a real terminal, so the live progress display is on), captures the pane at two moments and
# prints both, then checks that the elapsed times differ and that a bar moved. Run by hand; needs tmux (installed here
# with apt-get when missing) and a Release build (made here).
#   build/progress-tmux.sh [MIN_SECONDS_BETWEEN_CAPTURES]   (default 6)
set -euo pipefail
cd "$(dirname "$0")/.."
gap="${1:-6}"
shared="${SLIMLLM_SHARED_DATA:-$(cd .. && pwd)/shared/data}"

if ! command -v tmux >/dev/null; then
  echo "tmux is missing: installing it (apt-get install tmux)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq tmux >/dev/null
fi

dotnet build src/SlimLLM.DevTools -c Release -v:q -nologo >/dev/null
bin=src/SlimLLM.DevTools/bin/Release/net10.0
work="$(mktemp -d)"
session="slimllm-progress-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet "$bin/slimllm-dev.dll" synth --tokenizer-from "$shared/models/tinystories-llama" --shape custom --layers 8 \
  --hidden 256 --heads 8 --ffn 768 --dtype f32 --out "$work/model" >/dev/null
cat > "$work/slimllm.yaml" <<YAML
models:
  - name: synth-8
    source:
      path: $work/model
    calibration:
      files: ["$shared/text/tinystories-valid.txt"]
      samples: 32
      seq_len: 128
    pruning:
      method: slimllm
      target: 0.2
YAML

tmux new-session -d -s "$session" -x 160 -y 20 \
  "cd '$work' && dotnet '$PWD/$bin/slimllm.dll' prune --no-cache; echo \"exit \$?\"; sleep 600"
capture() { tmux capture-pane -p -t "$session" | sed '/^$/d'; }
line() { grep "pruning layers" <<<"$1" | tail -1; }
elapsed() { line "$1" | grep -oE '[0-9]{2}:[0-9]{2}' | head -1; }
# The bar's filled and empty parts differ only in colour, which a captured pane drops: its percentage and count say how full it is.
bar() { line "$1" | grep -oE '[0-9]+% +[0-9]+/8'; }

# The first capture once the layers are being pruned; the second at least $gap s later, once another layer is done
# (at most 120 s later).
for _ in $(seq 1 600); do capture | grep -q "pruning layers" && break; sleep 0.2; done
sleep 1
first="$(capture)"
start=$SECONDS
sleep "$gap"
while second="$(capture)"; [ "$(bar "$second")" = "$(bar "$first")" ] && [ $((SECONDS - start)) -lt 120 ]; do sleep 0.5; done
printf -- '--- capture 1\n%s\n--- capture 2 (%s s later)\n%s\n' "$first" "$((SECONDS - start))" "$second"
fail=0
[ "$(elapsed "$first")" != "$(elapsed "$second")" ] || { echo "FAIL: the elapsed time did not change ($(elapsed "$first"))"; fail=1; }
[ "$(bar "$first")" != "$(bar "$second")" ] || { echo "FAIL: the bar did not move ($(bar "$first"))"; fail=1; }
echo "elapsed $(elapsed "$first") -> $(elapsed "$second"); pruning line: '$(line "$first" | tr -s ' ')' -> '$(line "$second" | tr -s ' ')'"
exit "$fail"
