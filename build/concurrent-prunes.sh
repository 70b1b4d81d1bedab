#!/usr/bin/env bash
# N concurrent `slimllm prune` runs of one manifest (one output, formats [safetensors, gguf], one cache), ROUNDS times:
# every run must succeed, the output must be complete and identical to a lone run's, and no temporary entry may remain.
#   build/concurrent-prunes.sh [ROUNDS] [N...]     (default: 10 rounds of 2, then of 4)
source "$(dirname "$0")/fault-common.sh"
rounds=${1:-10}; shift || true
sizes=("$@"); (( ${#sizes[@]} )) || sizes=(2 4)
"$tool" prune "$work/slimllm.yaml" --no-cache >/dev/null 2>&1
reference=$(digest "$out")
failures=0
for n in "${sizes[@]}"; do
  for r in $(seq 1 "$rounds"); do
    rm -rf "$work/cache"
    pids=(); for _ in $(seq 1 "$n"); do "$tool" prune "$work/slimllm.yaml" --cache-dir "$work/cache" >"$work/log.$_" 2>&1 & pids+=($!); done
    failed=0; for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
    waited=$(grep -l "waiting for another slimllm run" "$work"/log.* | wc -l)
    same=$(complete "$out" && [[ $(digest "$out") == "$reference" ]] && echo identical || echo DIFFERENT)
    left=$(leftovers | wc -l)
    echo "$n at once, round $r: $failed failed, $waited waited for the lock, output $same, $left temp entries"
    (( failed == 0 && left == 0 )) && [[ $same == identical ]] || failures=$((failures + 1))
  done
done
echo "summary: ${#sizes[@]} sizes x $rounds rounds, $failures rounds with a failure"
rm -rf "$work"
(( failures == 0 ))
