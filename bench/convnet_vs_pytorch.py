#!/usr/bin/env python3
"""The convnet training figure: samples/MnistConvnet against its PyTorch peer, run alternately on one machine.

bench/epoch_vs_pytorch.py's method for Keras's "Simple MNIST convnet" (two 3x3 ReLU convolutions with 2x2 max
pooling, dropout 0.5, softmax; categorical cross-entropy, Adam 0.001, batch 128, validation split 0.1): the two
programs run in turns (DeepGen, PyTorch, DeepGen, ...) with the same thread count on the same MNIST files, each run
reports its median epoch (validation included, as Keras times it), and the figure is the median over rounds,
next to the fastest round, the one others sharing the machine slowed least.

    apt-get install python3-torch libopenblas0-pthread     # Debian's PyTorch 1.13
    python3 bench/convnet_vs_pytorch.py                     # 3 rounds of 3 epochs each, all cores
    python3 bench/convnet_vs_pytorch.py --epochs 1 --threads 2 --pytorch-only

If samples/MnistConvnet does not build (a branch without the convolutional layers), the script says so, shows the
first build errors, and times PyTorch alone; --pytorch-only skips the build. The DeepGen sample downloads MNIST into
DeepGen's cache on first use, and the PyTorch peer (bench/pytorch_convnet_peer.py, run with the Python that has
torch: Debian's /usr/bin/python3 by default) reads that cache.
"""
import argparse
import os
import statistics
import subprocess

from epoch_vs_pytorch import ROOT, run

SAMPLE = "samples/MnistConvnet"


def build_deepgen():
    """Builds the sample in Release; returns None on success, else the first lines that report errors."""
    result = subprocess.run(["dotnet", "build", SAMPLE, "-c", "Release", "-v", "quiet", "-nologo"],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode == 0:
        return None
    errors = [line.strip() for line in result.stdout.splitlines() if ": error " in line]
    unique = list(dict.fromkeys(errors))  # msbuild repeats each error in its summary
    return unique[:5] or result.stdout.splitlines()[-5:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each program, alternating (at least 3)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--python", default="/usr/bin/python3", help="a Python with torch installed")
    parser.add_argument("--pytorch-only", action="store_true", help="time the PyTorch peer alone, without building DeepGen")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")

    with_deepgen = not args.pytorch_only
    if with_deepgen:
        errors = build_deepgen()
        if errors is not None:
            with_deepgen = False
            print(f"DeepGen side skipped: {SAMPLE} did not build. On a branch without the Conv2D, MaxPooling2D and "
                  f"Flatten layers this is expected. First errors:")
            for line in errors:
                print(f"    {line}")
            print("Timing the PyTorch peer alone.", flush=True)

    deepgen, pytorch = [], []
    for round_number in range(1, args.rounds + 1):
        if with_deepgen:
            print(f"--- round {round_number} of {args.rounds}: DeepGen", flush=True)
            deepgen.append(run(["dotnet", "run", "--no-build", "--project", SAMPLE, "-c", "Release", "--",
                                "--epochs", str(args.epochs), "--threads", str(args.threads)],
                               r"Epoch time: median ([0-9.]+) s", "The DeepGen convnet sample")[0])
        print(f"--- round {round_number} of {args.rounds}: PyTorch", flush=True)
        epochs = run([args.python, "bench/pytorch_convnet_peer.py", "--epochs", str(args.epochs),
                      "--threads", str(args.threads)], r"epoch \d+: ([0-9.]+) s", "The PyTorch convnet peer")
        pytorch.append(statistics.median(epochs))

    print()
    print(f"{args.rounds} {'alternating ' if with_deepgen else ''}rounds, {args.epochs} epochs each, {args.threads} threads")
    if with_deepgen:
        print(summary("DeepGen", deepgen))
    else:
        print("DeepGen: not measured (see above)")
    print(summary("PyTorch", pytorch))
    if with_deepgen:
        # On a machine others share, an epoch is only ever slowed, never sped up: the fastest rounds are the
        # figures least disturbed, and when the two ratios disagree much the run was too noisy to trust.
        print(f"DeepGen is {statistics.median(pytorch) / statistics.median(deepgen):.2f}x as fast as PyTorch per epoch "
              f"by the medians, {min(pytorch) / min(deepgen):.2f}x by the fastest rounds (above 1: DeepGen is faster)")


def summary(name, seconds):
    return (f"{name}: median epoch {statistics.median(seconds):.3f} s, fastest round {min(seconds):.3f} s "
            f"(per round: {', '.join(f'{v:.3f}' for v in seconds)})")


if __name__ == "__main__":
    main()
