#!/usr/bin/env bash
# The GPU device check of issue 15 (docs/GPU.md, "The device check"), in two halves:
#
#   bench/gpu/run-device-check.sh build   here, with the .NET SDK: publishes samples/MnistGpu, tests/DeepGen.Gpu.Tests
#                                         and bench/gpu/TestRunner framework-dependent, adds one copy of this
#                                         machine's .NET runtime and the MNIST files, and packs them into
#                                         artifacts/gpu/device-check/deepgen-gpu-check.tar.gz. Fails if that folder
#                                         and the git working tree together exceed 64 MiB (what the device tool carries).
#   bench/gpu/run-device-check.sh run     on the GPU machine (NVIDIA driver only: no .NET, no network), from the
#                                         repository root: unpacks the bundle and, each part under its own timeout,
#                                         writes under $OUT (default artifacts/gpu/out/<time>) eight files, the
#                                         most the device tool brings back:
#        gpu.txt            nvidia-smi (the GPU's name, driver, memory, compute capability) and the runtime used
#        train.log          (b, c) the seed recipe's 20 epochs with --device cuda: epoch times, test accuracy, and
#                           the median of 11 predictions of the 10,000 test images
#        bitwise.txt        (d) two 2-epoch trainings from the same seed: their saved weights' SHA-256, compared
#        allocations.log    (e) bytes a training step allocates (MnistGpu --probe allocations)
#        tests.log, tests.tsv
#                           (a) every test of tests/DeepGen.Gpu.Tests on the device (DEEPGEN_GPU_TEST_DEVICE=cuda)
#        summary.txt        each figure and PASS/FAIL against the issue's targets; a part that failed is named there
#        more.tar.gz        the rest: the bundle's manifest, the bitwise runs' logs and weights, the 20-epoch weights
#   It finishes in under 8 minutes (a global deadline of 450 s; each part's timeout is cut to what is left), keeps
#   going when a part fails, always writes the summary, and exits 0 only when every check passed.
#
# The device tool's call (the carried folder holds only the archive, about 46 MiB):
#   run(command="bash bench/gpu/run-device-check.sh run", carry=["artifacts/gpu/device-check"], timeout_s=540)
#
# Settings (environment): OUT; DEEPGEN_GPU_CHECK_DEVICE (the sample's device: cuda, the default, or opencl);
# DEEPGEN_GPU_TEST_DEVICE (the tests' device: cuda by default in `run`; ilgpu-cpu runs them on ILGPU's CPU accelerator,
# which is how this script is tried on a machine without a GPU); DEEPGEN_GPU_CHECK_TEST_ARGS (extra arguments for the
# test runner, e.g. "--class DeviceTests --method EvaluateMatchesTheCpu"); DEEPGEN_GPU_CHECK_DEADLINE_S (450);
# DEEPGEN_GPU_CHECK_WORK (where the bundle is unpacked, default artifacts/gpu/work); DEEPGEN_GPU_CHECK_SAMPLE (a
# command that stands in for MnistGpu, to try the parsing and the summary without a GPU).
set -uo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
carried="$root/artifacts/gpu/device-check"
archive="$carried/deepgen-gpu-check.tar.gz"
limit_bytes=$((64 * 1024 * 1024))

build() {
  set -e
  cd "$root"
  local stage
  # Global, not local: the EXIT trap runs after this function has returned.
  stage_parent="$(mktemp -d)"
  stage="$stage_parent/deepgen-gpu-check"
  mkdir -p "$stage"
  trap 'rm -rf "${stage_parent:-}"' EXIT

  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  # Framework-dependent and portable: the one runtime below serves all three programs.
  local publish=(-c Release --self-contained false -p:UseAppHost=false -p:GenerateDocumentationFile=false)
  echo "== publishing samples/MnistGpu"
  dotnet publish samples/MnistGpu "${publish[@]}" -o "$stage/mnistgpu" -v quiet -nologo
  echo "== publishing tests/DeepGen.Gpu.Tests and bench/gpu/TestRunner (one folder)"
  dotnet publish tests/DeepGen.Gpu.Tests "${publish[@]}" -o "$stage/tests" -v quiet -nologo
  dotnet publish bench/gpu/TestRunner "${publish[@]}" -o "$stage/tests" -v quiet -nologo
  # The test SDK publishes vstest, code coverage and their native helpers for every platform (30 MiB): the runner
  # needs none of them (it runs the tests through xunit.execution in its own process).
  (cd "$stage/tests" && rm -rf CodeCoverage alpine arm64 macos ubuntu x64 x86 cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant \
    Microsoft.CodeCoverage.* Microsoft.TestPlatform.* Microsoft.VisualStudio.* Microsoft.DiaSymReader.dll Mono.Cecil*.dll \
    Newtonsoft.Json.dll testhost.dll xunit.runner.visualstudio.testadapter.dll)
  # Files the two folders share (DeepGen, ILGPU) are hard links, which the archive stores once.
  local file
  for file in "$stage"/tests/*; do
    if [ -f "$stage/mnistgpu/${file##*/}" ] && cmp -s "$file" "$stage/mnistgpu/${file##*/}"; then ln -f "$stage/mnistgpu/${file##*/}" "$file"; fi
  done

  # One copy of this machine's .NET runtime (the muxer, hostfxr and Microsoft.NETCore.App of the newest 10.x, which
  # the programs roll forward to), so the GPU machine needs no .NET of its own.
  local dotnet_root runtime_version
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  runtime_version="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" && $2 ~ /^10\./ { v = $2 } END { print v }')"
  [ -n "$runtime_version" ] || { echo "No Microsoft.NETCore.App 10.x runtime found under $dotnet_root." >&2; return 1; }
  echo "== runtime Microsoft.NETCore.App $runtime_version from $dotnet_root"
  mkdir -p "$stage/dotnet/shared/Microsoft.NETCore.App" "$stage/dotnet/host"
  cp "$dotnet_root/dotnet" "$stage/dotnet/"
  cp -r "$dotnet_root/host/fxr" "$stage/dotnet/host/"
  cp -r "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" "$stage/dotnet/shared/Microsoft.NETCore.App/"
  # The debugger's and crash dumps' libraries are never loaded by a program that runs.
  rm -f "$stage/dotnet/shared/Microsoft.NETCore.App/$runtime_version"/{libmscordaccore.so,libmscordbi.so,createdump}
  cp "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$stage/dotnet/" 2>/dev/null || true

  # MNIST, gzipped (the loader reads .gz). Where it is not cached yet, the published sample downloads it: it loads
  # the data before it looks for a device, so here it downloads and then stops at the missing GPU.
  local mnist="${DEEPGEN_MNIST_DIR:-${DEEPGEN_HOME:-$HOME/.deepgen}/datasets/mnist}"
  local files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
  if [ ! -e "$mnist/${files[0]}" ] && [ ! -e "$mnist/${files[0]}.gz" ]; then
    echo "== MNIST is not in $mnist: downloading it through the sample"
    dotnet "$stage/mnistgpu/MnistGpu.dll" --probe allocations >/dev/null 2>&1 || true
  fi
  mkdir -p "$stage/data"
  local name
  for name in "${files[@]}"; do
    if [ -e "$mnist/$name.gz" ]; then cp "$mnist/$name.gz" "$stage/data/"
    elif [ -e "$mnist/$name" ]; then gzip -c "$mnist/$name" > "$stage/data/$name.gz"
    else echo "MNIST file $mnist/$name is missing (set DEEPGEN_MNIST_DIR to a folder holding the four IDX files)." >&2; return 1
    fi
  done

  {
    echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
    echo "runtime Microsoft.NETCore.App $runtime_version"
    echo "uncommitted changes:"
    git status --short 2>/dev/null | sed 's/^/  /'
  } > "$stage/MANIFEST.txt"

  rm -rf "$carried"
  mkdir -p "$carried"
  tar -C "$stage_parent" -czf "$archive" deepgen-gpu-check
  local unpacked archive_bytes tree_bytes total
  unpacked="$(du -sb "$stage" | cut -f1)"
  archive_bytes="$(stat -c %s "$archive")"
  # The device tool carries the working tree (tracked files and untracked ones git does not ignore) with the folder.
  tree_bytes="$(git ls-files -z -c -o --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
  total=$((archive_bytes + tree_bytes))
  echo "== bundle: $(mib "$unpacked") MiB unpacked ($(cd "$stage" && du -sh -- * | awk '{ printf "%s %s  ", $2, $1 }'))"
  echo "== archive $archive: $(mib "$archive_bytes") MiB"
  echo "== carried with the working tree ($(mib "$tree_bytes") MiB): $(mib "$total") MiB of the 64 MiB limit"
  if [ "$total" -gt "$limit_bytes" ]; then
    echo "Too large: $(mib "$total") MiB is over the 64 MiB the device tool carries." >&2
    return 1
  fi
  echo "Device tool: run(command=\"bash bench/gpu/run-device-check.sh run\", carry=[\"artifacts/gpu/device-check\"], timeout_s=540)"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# ---------------------------------------------------------------------------------------------------------------
# run

started=$SECONDS
deadline=${DEEPGEN_GPU_CHECK_DEADLINE_S:-450}

# The timeout for a part: its own budget, cut to what is left of the deadline (0: no time left, skip it).
budget() {
  local left=$((deadline - (SECONDS - started) - 5))
  [ "$left" -lt 0 ] && left=0
  [ "$1" -lt "$left" ] && echo "$1" || echo "$left"
}

# Runs a part under `timeout`, its output in the file LOG; prints how it ended. Usage: part NAME LOG SECONDS COMMAND...
part() {
  local name="$1" log="$2" seconds
  seconds="$(budget "$3")"
  shift 3
  if [ "$seconds" -le 0 ]; then
    echo "skipped: no time left before the ${deadline} s deadline" > "$log"
    echo "== $name: skipped (no time left)"
    return 125
  fi
  echo "== $name (at most ${seconds} s): $*"
  local t0=$SECONDS rc
  timeout --kill-after=10 "$seconds" "$@" > "$log" 2>&1
  rc=$?
  tail -n 3 "$log" | sed 's/^/   | /'
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "   TIMED OUT after ${seconds} s" | tee -a "$log"; fi
  echo "   exit $rc after $((SECONDS - t0)) s" | tee -a "$log"
  return "$rc"
}

# What a failed part's log says, in one line, for the summary.
why() {
  local log="$1" rc="$2"
  case "$rc" in
    124|137) echo "timed out" ; return ;;
    125) echo "skipped: no time left" ; return ;;
  esac
  local line
  line="$(grep -v '^   exit\|^\s*$' "$log" 2>/dev/null | grep -iE 'error|exception|no cuda|not found|fail|could not|refused' | head -n 1)"
  [ -z "$line" ] && line="$(grep -v '^   exit\|^\s*$' "$log" 2>/dev/null | tail -n 1)"
  line="${line%%. *}"   # its first sentence
  echo "exit $rc, ${line:0:100}"
}

rows=()
passes=0
fails=0
# One summary row: check, figure, target, PASS or FAIL.
row() {
  rows+=("$(printf '%-4s  %-32s  %-26s  %s' "$4" "$1" "$3" "$2")")
  if [ "$4" = PASS ]; then passes=$((passes + 1)); else fails=$((fails + 1)); fi
}

# awk comparisons of decimal figures: "le A B" is A <= B, "within A LO HI" is LO <= A <= HI.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
within() { awk -v a="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(a + 0 >= lo + 0 && a + 0 <= hi + 0) }'; }

run() {
  if [ ! -f "$archive" ]; then
    echo "No bundle at $archive: run 'bash bench/gpu/run-device-check.sh build' on a machine with the .NET SDK, and carry artifacts/gpu/device-check." >&2
    return 2
  fi
  OUT="${OUT:-$root/artifacts/gpu/out/$(date -u +%Y%m%d-%H%M%S)}"
  mkdir -p "$OUT"
  OUT="$(cd "$OUT" && pwd)"
  # Unpacked inside the checkout (ignored), not in /tmp, which a machine may mount noexec.
  local work="${DEEPGEN_GPU_CHECK_WORK:-$root/artifacts/gpu/work}"
  rm -rf "$work" && mkdir -p "$work"
  tar -C "$work" -xzf "$archive" || { echo "Could not unpack $archive into $work." >&2; return 2; }
  local bundle="$work/deepgen-gpu-check"
  # The device tool brings back at most 8 files from $OUT: the seven below and more.tar.gz, which holds the rest
  # (the bundle's manifest, the environment, the bitwise runs' logs and weights, the 20-epoch weights).
  local more="$work/more"
  mkdir -p "$more"
  cp "$bundle/MANIFEST.txt" "$more/bundle-manifest.txt"

  # Only the bundle's runtime: no SDK, no machine-wide .NET, nothing from the network.
  export DOTNET_ROOT="$bundle/dotnet" DOTNET_MULTILEVEL_LOOKUP=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  export DEEPGEN_HOME="$work/home" HOME="${HOME:-$work/home}"
  unset DOTNET_ROLL_FORWARD
  local dotnet="$bundle/dotnet/dotnet"
  local device="${DEEPGEN_GPU_CHECK_DEVICE:-cuda}"
  export DEEPGEN_GPU_TEST_DEVICE="${DEEPGEN_GPU_TEST_DEVICE:-cuda}"
  local sample=("$dotnet" "$bundle/mnistgpu/MnistGpu.dll")
  # A stand-in for the sample, to try this script's parsing and summary on a machine without a GPU.
  [ -n "${DEEPGEN_GPU_CHECK_SAMPLE:-}" ] && read -r -a sample <<< "$DEEPGEN_GPU_CHECK_SAMPLE"
  sample+=(--device "$device" --data "$bundle/data")

  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -n), $(nproc) cores, $(uname -r)"
    echo "runtime: $("$dotnet" --list-runtimes 2>&1 | tr '\n' ' ')"
    echo "sdks: $("$dotnet" --list-sdks 2>&1 | tr '\n' ' ')(none expected)"
    echo "sample device: $device; test device: $DEEPGEN_GPU_TEST_DEVICE"
  } > "$more/environment.txt"
  cat "$more/environment.txt"

  local gpu="no nvidia-smi on this machine"
  if command -v nvidia-smi >/dev/null 2>&1; then
    timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv > "$OUT/gpu.txt" 2>&1
    gpu="$(sed -n 2p "$OUT/gpu.txt")"
    timeout 30 nvidia-smi >> "$OUT/gpu.txt" 2>&1
  else
    echo "$gpu" > "$OUT/gpu.txt"
  fi
  cat "$more/environment.txt" >> "$OUT/gpu.txt"
  echo "GPU: $gpu"

  # (b, c) The seed recipe's 20 epochs on the device, its test accuracy and the predict time.
  local rc
  part "train: the seed recipe, 20 epochs" "$OUT/train.log" 150 "${sample[@]}" --epochs 20 --save "$more/weights-20-epochs.safetensors"
  rc=$?
  local epoch accuracy predict
  epoch="$(sed -n 's/^Epoch time: median \([0-9.]*\) s.*/\1/p' "$OUT/train.log" | tail -n 1)"
  accuracy="$(sed -n 's/^Accuracy of testing = \([0-9.]*\).*/\1/p' "$OUT/train.log" | tail -n 1)"
  predict="$(sed -n 's/^Predict time for [0-9]* images: median \([0-9.]*\) ms.*/\1/p' "$OUT/train.log" | tail -n 1)"
  local trouble="no figure: $(why "$OUT/train.log" "$rc")"
  if [ -n "$epoch" ]; then
    le "$epoch" 0.15 && row "epoch time (median of 20)" "$epoch s" "<= 0.15 s" PASS || row "epoch time (median of 20)" "$epoch s" "<= 0.15 s" FAIL
  else row "epoch time (median of 20)" "$trouble" "<= 0.15 s" FAIL; fi
  if [ -n "$accuracy" ]; then
    within "$accuracy" 0.92 0.95 && row "test accuracy after 20 epochs" "$accuracy" "0.92-0.95 (seed band)" PASS \
      || row "test accuracy after 20 epochs" "$accuracy" "0.92-0.95 (seed band)" FAIL
  else row "test accuracy after 20 epochs" "$trouble" "0.92-0.95 (seed band)" FAIL; fi
  if [ -n "$predict" ]; then
    le "$predict" 2 && row "predict 10,000 images (median)" "$predict ms" "<= 2 ms" PASS || row "predict 10,000 images (median)" "$predict ms" "<= 2 ms" FAIL
  else row "predict 10,000 images (median)" "$trouble" "<= 2 ms" FAIL; fi

  # (d) Two runs from the same seed: the saved weights must be the same bits.
  local rc1 rc2
  part "bitwise: first 2-epoch run" "$more/bitwise-1.log" 60 "${sample[@]}" --epochs 2 --save "$more/bitwise-1.safetensors"
  rc1=$?
  part "bitwise: second 2-epoch run" "$more/bitwise-2.log" 60 "${sample[@]}" --epochs 2 --save "$more/bitwise-2.safetensors"
  rc2=$?
  {
    echo "Two trainings of 2 epochs from the same seed (their logs are in more.tar.gz); the last lines of each:"
    tail -n 6 "$more/bitwise-1.log" | sed 's/^/  1 | /'
    tail -n 6 "$more/bitwise-2.log" | sed 's/^/  2 | /'
  } > "$OUT/bitwise.txt"
  if [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] && [ -f "$more/bitwise-1.safetensors" ] && [ -f "$more/bitwise-2.safetensors" ]; then
    (cd "$more" && sha256sum bitwise-1.safetensors bitwise-2.safetensors) >> "$OUT/bitwise.txt"
    # Compared by their hashes: cmp (diffutils) may be missing on a bare GPU machine.
    if [ "$(sha256sum < "$more/bitwise-1.safetensors")" = "$(sha256sum < "$more/bitwise-2.safetensors")" ]; then
      echo "equal" >> "$OUT/bitwise.txt"
      row "two runs, same seed (2 epochs)" "weights equal, sha256 $(sha256sum "$more/bitwise-1.safetensors" | cut -c1-12)" "bitwise equal" PASS
    else
      echo "DIFFERENT$(command -v cmp >/dev/null && echo ": $(cmp "$more/bitwise-1.safetensors" "$more/bitwise-2.safetensors" | head -n 1)")" >> "$OUT/bitwise.txt"
      row "two runs, same seed (2 epochs)" "weights differ (bitwise.txt)" "bitwise equal" FAIL
    fi
  else
    local failed_log="$more/bitwise-1.log" failed_rc=$rc1
    [ "$rc1" -eq 0 ] && failed_log="$more/bitwise-2.log" failed_rc=$rc2
    row "two runs, same seed (2 epochs)" "no comparison: $(why "$failed_log" "$failed_rc")" "bitwise equal" FAIL
  fi

  # (e) Bytes allocated per training step.
  part "allocations per step" "$OUT/allocations.log" 60 "${sample[@]}" --probe allocations
  rc=$?
  local bytes
  bytes="$(sed -n 's/^Allocated per training step: \([-0-9.]*\) bytes.*/\1/p' "$OUT/allocations.log" | tail -n 1)"
  if [ -n "$bytes" ]; then
    [ "$bytes" = 0 ] && row "allocated per training step" "$bytes bytes" "0 bytes" PASS || row "allocated per training step" "$bytes bytes" "0 bytes" FAIL
  else row "allocated per training step" "no figure: $(why "$OUT/allocations.log" "$rc")" "0 bytes" FAIL; fi

  # (a) The GPU tests, on the device the environment names (the same tests that run on ILGPU's CPU accelerator).
  local test_args=()
  read -r -a test_args <<< "${DEEPGEN_GPU_CHECK_TEST_ARGS:-}"
  part "tests/DeepGen.Gpu.Tests on $DEEPGEN_GPU_TEST_DEVICE" "$OUT/tests.log" 200 \
    "$dotnet" "$bundle/tests/DeepGen.TestRunner.dll" "$bundle/tests/DeepGen.Gpu.Tests.dll" --results "$OUT/tests.tsv" "${test_args[@]}"
  rc=$?
  local counts
  counts="$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$OUT/tests.log" | tail -n 1)"
  if [ -n "$counts" ] && [ "$rc" -eq 0 ]; then
    row "tests on $DEEPGEN_GPU_TEST_DEVICE" "$counts" "all pass" PASS
  elif [ -n "$counts" ]; then
    row "tests on $DEEPGEN_GPU_TEST_DEVICE" "$counts (tests.tsv: FAIL lines)" "all pass" FAIL
  else
    row "tests on $DEEPGEN_GPU_TEST_DEVICE" "no count: $(why "$OUT/tests.log" "$rc")" "all pass" FAIL
  fi

  {
    echo "DeepGen GPU device check, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(sed -n 1p "$more/bundle-manifest.txt")"
    echo "GPU: $gpu"
    echo "Sample device: $device; test device: $DEEPGEN_GPU_TEST_DEVICE${DEEPGEN_GPU_CHECK_TEST_ARGS:+, tests filtered: $DEEPGEN_GPU_CHECK_TEST_ARGS}; took $((SECONDS - started)) s"
    echo
    printf '%-4s  %-32s  %-26s  %s\n' "" "check" "target" "figure"
    printf '%s\n' "${rows[@]}"
    echo
    echo "$passes PASS, $fails FAIL"
    if [ -f "$OUT/tests.tsv" ] && grep -q '^FAIL' "$OUT/tests.tsv"; then
      echo
      echo "Failed tests (tests.log has each one's message and stack):"
      grep '^FAIL' "$OUT/tests.tsv" | cut -f3,4 | sed 's/^/  /' | cut -c1-240
    fi
  } > "$OUT/summary.txt"
  tar -C "$more" -czf "$OUT/more.tar.gz" . 2>/dev/null
  echo
  cat "$OUT/summary.txt"
  echo
  echo "Everything is under $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
  [ "$fails" -eq 0 ]
}

case "${1:-}" in
  build) build ;;
  run) run ;;
  *) echo "Usage: bash bench/gpu/run-device-check.sh build|run   (the header of this script says what each does)" >&2; exit 2 ;;
esac
