#!/usr/bin/env bash
# kill -9 at random points of `slimllm prune` (manifest with formats [safetensors, gguf]), N times (default 20), half of the
# runs with the statistics cache and half without, so that kills land in pruning, cache writes, GGUF export, evaluation
# and the commit. After every kill the output must be absent or complete and identical to an uninterrupted run's; after the
# last, one more run must leave no temporary file or folder anywhere (the killed runs' leftovers are removed by it).
#   build/kill-loop.sh [KILLS]
source "$(dirname "$0")/fault-common.sh"
kills=${1:-20}
"$tool" prune "$work/slimllm.yaml" --cache-dir "$work/cache" >/dev/null 2>&1
reference=$(digest "$out")
start=$(date +%s%N); "$tool" prune "$work/slimllm.yaml" --no-cache >/dev/null 2>&1; run_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "reference $reference; an uncached run takes ${run_ms} ms; killing $kills runs at random points"
bad=0; killed_with_leftovers=0
for i in $(seq 1 "$kills"); do
  cache=(--cache-dir "$work/cache"); (( i % 2 )) && cache=(--no-cache)
  "$tool" prune "$work/slimllm.yaml" "${cache[@]}" >/dev/null 2>&1 & pid=$!
  delay_ms=$(( 300 + RANDOM % run_ms ))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null && state=killed || state=finished
  wait "$pid" 2>/dev/null || true
  if [[ -e $out ]] && { ! complete "$out" || [[ $(digest "$out") != "$reference" ]]; }; then
    echo "kill $i (${delay_ms} ms, ${cache[0]}): INCOMPLETE OR DIFFERENT OUTPUT"; bad=$((bad + 1))
  fi
  n=$(leftovers | wc -l); (( n > 0 )) && killed_with_leftovers=$((killed_with_leftovers + 1))
  echo "kill $i after ${delay_ms} ms (${cache[0]}): $state; output $( [[ -e $out ]] && echo complete || echo absent ); $n leftover temp entries"
done
"$tool" prune "$work/slimllm.yaml" --cache-dir "$work/cache" >/dev/null 2>&1
complete "$out" && [[ $(digest "$out") == "$reference" ]] || { echo "final run: output incomplete or different"; bad=$((bad + 1)); }
remaining=$(leftovers | wc -l)
echo "summary: $kills kills, $killed_with_leftovers left temp entries behind, $bad incomplete or different outputs, $remaining temp entries after the final run"
rm -rf "$work"
(( bad == 0 && remaining == 0 ))
