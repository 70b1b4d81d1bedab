#!/usr/bin/env bash
# GPU check for a session that is lent a GPU machine (one NVIDIA H200; see docs/gpu.md, "Checking on a GPU machine").
#
#   bash build/gpu-check.sh prepare   # HERE (no GPU): fills .gpu-data/ (git-ignored) with what the GPU machine lacks
#   bash build/gpu-check.sh run       # THERE: carry .gpu-data; prunes on CUDA and compares with the CPU reference
#
# The GPU machine gets the repository and the carried folders only (64 MiB in all): no ../shared, no network, and (as
# last seen) no dotnet. So `prepare` copies the shared model and text, publishes the tool without its 475 MB libtorch
# CPU natives, packs the .NET runtime, and runs the CPU reference prune HERE, so that `run` needs only the CUDA side.
# What cannot be carried: a CUDA libtorch 2.10 (gigabytes; its NuGet packages are not served to this project). `run`
# takes one from SLIMLLM_LIBTORCH_CUDA or .gpu-data/libtorch-cuda/, else tries the GPU machine's own PyTorch libraries
# (a different libtorch version than LibTorchSharp 0.107 was built for: an experiment, reported as such). Where
# something is missing, the script says what and exits 3; a mismatch between CPU and CUDA exits 4. Without an argument it
# runs `run` where there is a GPU and otherwise says that it is blocked (exit 3).
#
# Every phase runs on the device: calibration forward, statistics (the engine's DevicePlacement check fails the prune if a
# statistics tensor is made elsewhere), selection, recovery, the streamed evaluation and model.gguf written layer by layer;
# then `slimllm tune` (LoRA training) of the pruned model on CUDA against the same on the CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.gpu-data"
mode=${1:-}
model_name=tinystories-llama
samples=8; seq_len=64; target=0.2; eval_tokens=4096

manifest() { # $1 = device, $2 = output dir
  cat <<YAML
models:
  - name: $model_name
    source: { path: $data/models/$model_name }
    calibration: { files: ["$data/text/tinystories-valid.txt"], samples: $samples, seq_len: $seq_len, seed: 42 }
    pruning: { method: slimllm, target: $target }
    evaluate:
      - text: $data/text/tinystories-valid.txt
        max_tokens: $eval_tokens
    output: { dir: $2, formats: [safetensors, gguf] }
    device: $1
YAML
}

blocked() { echo "gpu-check: BLOCKED: $*" >&2; exit 3; }

# LoRA tuning of the CPU reference's pruned model: $1 = slimllm.dll, $2 = device, $3 = output folder.
tune() {
  dotnet "$1" tune -m "$data/cpu-ref/$model_name" --text "$data/text/tinystories-valid.txt" -o "$3" --steps 20 --seq-len 64 \
    --learning-rate 1e-3 --eval "$data/text/tinystories-valid.txt" --max-tokens $eval_tokens --device "$2" --no-cache --json
}

if [[ $mode == prepare ]]; then
  shared=$(cd "$root/.." && pwd)/shared/data
  [[ -d $shared/models/$model_name ]] || { echo "no $shared/models/$model_name" >&2; exit 2; }
  rm -rf "$data"; mkdir -p "$data/models" "$data/text"
  cp -r "$shared/models/$model_name" "$data/models/"
  cp "$shared/text/tinystories-valid.txt" "$data/text/"
  # slimllm-dev (the benchmark) references slimllm: publishing it puts both tools in one folder.
  dotnet publish "$root/src/SlimLLM.DevTools" -c Release -o "$data/tool" -p:SlimLLMTorchBackend=cpu -nologo -v:q
  # Keep LibTorchSharp (it binds to whichever libtorch is loaded first); drop the CPU libtorch that cannot travel.
  find "$data/tool/runtimes" -type f ! -name 'libLibTorchSharp.so' -delete
  find "$data/tool/runtimes" -type d -empty -delete
  dn=$(dirname "$(readlink -f "$(command -v dotnet)")")
  rt=$(ls "$dn/shared/Microsoft.NETCore.App" | sort -V | tail -1)
  tar -C "$dn" -cJf "$data/dotnet.tar.xz" dotnet host "shared/Microsoft.NETCore.App/$rt"
  # The CPU reference, computed here with the full tool.
  dotnet build "$root/src/SlimLLM.Tool" -nologo -v:q
  manifest cpu "$data/cpu-ref" > "$data/cpu.yaml"
  dotnet "$root/src/SlimLLM.Tool/bin/Debug/net10.0/slimllm.dll" prune "$data/cpu.yaml" --no-cache --json > "$data/cpu-ref.json"
  tune "$root/src/SlimLLM.Tool/bin/Debug/net10.0/slimllm.dll" cpu "$data/cpu-tuned" > "$data/cpu-tuned.json"
  size=$(du -sm "$data" | cut -f1)
  echo "prepared $data: ${size} MiB (the device call carries at most 64 MiB with the repository)"
  (( size < 60 )) || { echo "too large to carry" >&2; exit 2; }
  echo "next, on the GPU machine: run with carry [\".gpu-data\"]: bash build/gpu-check.sh run"
  exit 0
fi

if [[ -z $mode ]]; then
  command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 || blocked "this machine has no NVIDIA GPU (no working nvidia-smi), so nothing can be measured here: run 'bash build/gpu-check.sh prepare' here, then 'bash build/gpu-check.sh run' on a lent GPU machine with .gpu-data carried (docs/gpu.md)"
  mode=run
fi
[[ $mode == run ]] || { echo "usage: build/gpu-check.sh [prepare|run]" >&2; exit 2; }
out=${OUT:-$root/.gpu-out}; mkdir -p "$out"
[[ -f $data/cpu-ref.json ]] || blocked ".gpu-data/ is missing: run 'bash build/gpu-check.sh prepare' here first and carry .gpu-data"
command -v nvidia-smi >/dev/null || blocked "no nvidia-smi: this machine has no NVIDIA driver"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
if ! command -v dotnet >/dev/null; then
  mkdir -p /tmp/dotnet && tar -C /tmp/dotnet -xJf "$data/dotnet.tar.xz"
  export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH
fi
tool="$data/tool/slimllm.dll"
experimental=""
if [[ -z ${SLIMLLM_LIBTORCH_CUDA:-} && -d $data/libtorch-cuda ]]; then export SLIMLLM_LIBTORCH_CUDA=$data/libtorch-cuda; fi
if [[ -z ${SLIMLLM_LIBTORCH_CUDA:-} ]]; then
  pylib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"), torch.__version__)' 2>/dev/null || true)
  [[ -n $pylib ]] || blocked "no CUDA libtorch: set SLIMLLM_LIBTORCH_CUDA or carry a restored libtorch-cuda-12.8-linux-x64 2.10.0 as .gpu-data/libtorch-cuda (gigabytes: over the 64 MiB carry limit; its NuGet packages are not served here)"
  export SLIMLLM_LIBTORCH_CUDA=${pylib% *}
  experimental="EXPERIMENT: libtorch from PyTorch ${pylib#* } (LibTorchSharp 0.107 expects 2.10.0)"
  echo "$experimental"
fi
dotnet "$tool" doctor --json | tee "$out/doctor.json"
python3 - "$out/doctor.json" <<'PY' || blocked "the CUDA backend did not load (doctor.json above says why)${experimental:+; $experimental}"
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["checks"]}
sys.exit(0 if c["cuda"]["status"] == "OK" else 1)
PY

manifest cuda "$out/cuda" > "$out/cuda.yaml"
start=$(date +%s.%N)
dotnet "$tool" prune "$out/cuda.yaml" --no-cache --json > "$out/cuda.json"
echo "cuda prune wall: $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s"

python3 - "$data/cpu-ref" "$data/cpu-ref.json" "$out/cuda" "$out/cuda.json" "$model_name" <<'PY'
import json, sys, os
cpu_dir, cpu_json, cuda_dir, cuda_json, name = sys.argv[1:]
a = json.load(open(os.path.join(cpu_dir, name, "slimllm.json")))["layers"]
b = json.load(open(os.path.join(cuda_dir, name, "slimllm.json")))["layers"]
print(f"{'layer':>5} {'kv groups cpu/cuda/same':>24} {'channels cpu/cuda/same':>24}")
mismatch = 0
for x, y in zip(a, b):
    for k in ("kept_kv_groups", "kept_channels"):
        if x[k] != y[k]: mismatch += 1
    g = len(set(x["kept_kv_groups"]) & set(y["kept_kv_groups"])); c = len(set(x["kept_channels"]) & set(y["kept_channels"]))
    print(f"{x['layer']:>5} {len(x['kept_kv_groups']):>8}/{len(y['kept_kv_groups'])}/{g:<8} {len(x['kept_channels']):>10}/{len(y['kept_channels'])}/{c}")
pa = json.load(open(cpu_json))["models"][0]["evaluation"][0]; pb = json.load(open(cuda_json))["models"][0]["evaluation"][0]
print(f"perplexity dense  cpu {pa['dense_perplexity']:.4f}  cuda {pb['dense_perplexity']:.4f}")
print(f"perplexity pruned cpu {pa['pruned_perplexity']:.4f}  cuda {pb['pruned_perplexity']:.4f}")
rel = abs(pa["pruned_perplexity"] - pb["pruned_perplexity"]) / pa["pruned_perplexity"]
# Per layer: seconds per phase, peak RSS and (CUDA) peak device memory, from each run's --json report.
for tag, path in (("cpu", cpu_json), ("cuda", cuda_json)):
    for l in json.load(open(path))["models"][0].get("layers", []):
        phases = " ".join(f"{k} {v:.3f}s" for k, v in sorted(l.get("phases", {}).items()))
        print(f"{tag:>4} layer {l['layer']}: {phases}; peak rss {l.get('peak_rss_bytes', 0) / 1e9:.2f} GB" +
              (f", peak device {l['peak_device_bytes'] / 1e9:.2f} GB" if "peak_device_bytes" in l else ""))
gguf = os.path.join(cuda_dir, name, "model.gguf")
if not os.path.isfile(gguf): print("model.gguf was not written on CUDA"); sys.exit(4)
# CUDA computes in the checkpoint dtype and with other kernels: identical kept sets are expected on this small fp32 model,
# perplexities within 1%.
print(f"layers with different kept units: {mismatch}; pruned perplexity differs by {rel:.3%}")
sys.exit(4 if mismatch or rel > 0.01 else 0)
PY

# LoRA tuning on CUDA (20 steps on the CPU reference's pruned model) against the same tuning on the CPU: other kernels and
# rounding over 20 optimizer steps, so the losses and the tuned perplexity are compared within 2%, not to the bit.
tune "$tool" cuda "$out/cuda-tuned" > "$out/cuda-tuned.json"
python3 - "$data/cpu-tuned.json" "$out/cuda-tuned.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
worst = 0
for k in ("train_loss_start", "train_loss_end", "held_out_loss_start", "held_out_loss_end"):
    r = abs(a[k] - b[k]) / abs(a[k]); worst = max(worst, r)
    print(f"tuning {k}: cpu {a[k]:.4f} cuda {b[k]:.4f} ({r:.3%})")
pa, pb = a["evaluation"][0]["tuned_perplexity"], b["evaluation"][0]["tuned_perplexity"]
worst = max(worst, abs(pa - pb) / pa)
print(f"tuned perplexity: cpu {pa:.4f} cuda {pb:.4f}; seconds cpu {a['seconds']:.1f} cuda {b['seconds']:.1f}")
sys.exit(4 if worst > 0.02 else 0)
PY

# Throughput: prune a LLaMA-7B-shaped random model (2 layers, bf16, vocab 32000, 32 x 128 calibration tokens) on CUDA with
# `slimllm-dev bench`; its "fwd GFLOP/s" column is the dense calibration forward's FLOPs over its measured per-layer time,
# shown against the H200's bf16 peak (989 TFLOP/s dense by the datasheet), next to peak RSS and the extra/forward ratio.
dotnet "$data/tool/slimllm-dev.dll" bench --cases llama-7b --device cuda --peak-tflops 989 --data "$data" --work /tmp/slimllm-bench --markdown | tee "$out/bench-cuda.md"

# Per-phase times at the LLaMA-7B shape with the streamed evaluation: 4 layers, perplexity on 8,192 tokens.
dotnet "$data/tool/slimllm-dev.dll" bench --cases evaluate --device cuda --data "$data" --work /tmp/slimllm-bench --json > "$out/bench-eval-cuda.json"
python3 - "$out/bench-eval-cuda.json" <<'PY'
import json, sys
for case in json.load(open(sys.argv[1]))["cases"]:
    p = case["prune"]
    print(case["case"], {k: round(v, 2) for k, v in p["timings"].items()}, "peak rss", round(p.get("peak_rss_bytes", 0) / 1e9, 2), "GB")
    for l in p.get("layers", []):
        print(f"  layer {l['layer']}:", {k: round(v, 3) for k, v in l.get("phases", {}).items()},
              "device", round(l.get("peak_device_bytes", 0) / 1e9, 2), "GB")
PY
