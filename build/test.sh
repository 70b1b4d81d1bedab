#!/usr/bin/env bash
# Runs the whole test suite and ends with one line "N passed, N failed".
#   build/test.sh            all tests (the CI command)
#   build/test.sh --fast     skip tests marked [Trait("Category", "Slow")]
#   build/test.sh --slow     only the slow end-to-end tests
# Any other arguments are passed to `dotnet test` (e.g. --filter FullyQualifiedName~Safetensors).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash build/setup.sh || exit 1

filter=()
case "${1:-}" in
  --fast) filter=(--filter "Category!=Slow"); shift ;;
  --slow) filter=(--filter "Category=Slow"); shift ;;
esac

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet test SlimLLM.Build.sln -c Release --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "${filter[@]}" "$@"
rc=$?

passed=0; failed=0; skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); n=$(get notExecuted)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0})); skipped=$((skipped + ${n:-0}))
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or the test host failed before results were written: count it as a failure.
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
