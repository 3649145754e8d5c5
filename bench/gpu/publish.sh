#!/usr/bin/env bash
# Builds the bundle for a GPU machine that has no .NET: samples/MnistGpu (the seed recipe on the device) and
# samples/Mnist (the same recipe on the CPU, for comparison) published self-contained for linux-x64 into one folder,
# where they share the runtime, with the MNIST files, compressed into one archive (about 47 MiB; the device tool
# carries at most 64 MiB).
#   bench/gpu/publish.sh [output-dir]      (default: artifacts/gpu)
# On the GPU machine:  tar xzf deepgen-gpu.tar.gz && cd deepgen-gpu && ./run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/artifacts/gpu}"
bundle="$out/deepgen-gpu"
rm -rf "$bundle" && mkdir -p "$bundle"

for sample in MnistGpu Mnist; do
  dotnet publish "$root/samples/$sample" -c Release -r linux-x64 --self-contained true \
    -p:PublishTrimmed=false -p:InvariantGlobalization=true -o "$bundle/mnist"
done

mnist="${DEEPGEN_MNIST:-$HOME/.deepgen/datasets/mnist}"
mkdir -p "$bundle/data" && cp "$mnist"/*-ubyte* "$bundle/data/"

cat > "$bundle/run.sh" <<'RUN'
#!/usr/bin/env bash
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/out}"; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt" || true
"$here/mnist/MnistGpu" --device cuda --data "$here/data" --epochs 20 | tee "$out/mnist-cuda.txt"
"$here/mnist/Mnist" --data "$here/data" --epochs 1 | tee "$out/mnist-cpu-1-epoch.txt"
RUN
chmod +x "$bundle/run.sh"
tar -C "$out" -czf "$out/deepgen-gpu.tar.gz" deepgen-gpu
ls -lh "$out/deepgen-gpu.tar.gz"
