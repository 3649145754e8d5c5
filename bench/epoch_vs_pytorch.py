#!/usr/bin/env python3
"""The headline training figure: DeepGen's seed recipe against the PyTorch peer, run alternately on one machine.

This VM's speed swings 1.5-2x between phases, so a time measured in one run and compared with a time from another
says little. This script runs the two programs in turns (DeepGen, PyTorch, DeepGen, PyTorch, ... at least 3 rounds
each) on the same MNIST files, with the same thread count and the same recipe (784-500-500-10 sigmoid/softmax, MSE,
SGD 0.1, batch 100, shuffled), and reports the median epoch of each and their ratio. Each run trains a few epochs and
reports the median of its epochs (which absorbs the first, warm-up epoch); the figure is the median over rounds.

    apt-get install python3-torch libopenblas0-pthread     # Debian's PyTorch 1.13 with OpenBLAS
    python3 bench/epoch_vs_pytorch.py                       # 3 rounds of 3 epochs each, all cores
    python3 bench/epoch_vs_pytorch.py --rounds 5 --epochs 3 --threads 2

DeepGen runs `bench/DeepGen.Probes epochs` (built once here in Release): samples/Mnist's model and recipe, timed per
epoch, which downloads MNIST into its cache on first use; the PyTorch peer (`bench/pytorch_peer.py`, with the Python that has torch: Debian's /usr/bin/python3 by default) reads
the same cached IDX files.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, pattern, what):
    """Runs a command, echoes its output, and returns the float the pattern captures from it."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        sys.exit(f"{what} failed with exit code {result.returncode}: {' '.join(command)}")
    values = [float(v) for v in re.findall(pattern, result.stdout)]
    if not values:
        sys.exit(f"{what} printed no epoch time (looked for {pattern!r})")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each program, alternating (at least 3)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--python", default="/usr/bin/python3", help="a Python with torch installed")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")

    home = os.environ.get("DEEPGEN_HOME") or os.path.join(os.path.expanduser("~"), ".deepgen")
    data = os.path.join(home, "datasets", "mnist")
    subprocess.run(["dotnet", "build", "bench/DeepGen.Probes", "-c", "Release", "-v", "quiet", "-nologo"], cwd=ROOT, check=True)

    deepgen, pytorch = [], []
    for round_number in range(1, args.rounds + 1):
        print(f"--- round {round_number} of {args.rounds}: DeepGen", flush=True)
        median = run(["dotnet", "run", "--no-build", "--project", "bench/DeepGen.Probes", "-c", "Release", "--",
                      "epochs", "--epochs", str(args.epochs), "--threads", str(args.threads)],
                     r"Epoch time: median ([0-9.]+) s", "The DeepGen probe")[0]
        deepgen.append(median)
        print(f"--- round {round_number} of {args.rounds}: PyTorch", flush=True)
        epochs = run([args.python, "bench/pytorch_peer.py", "--data", data, "--epochs", str(args.epochs),
                      "--threads", str(args.threads)], r"epoch \d+: ([0-9.]+) s", "The PyTorch peer")
        pytorch.append(statistics.median(epochs))

    d, p = statistics.median(deepgen), statistics.median(pytorch)
    print()
    print(f"{args.rounds} alternating rounds, {args.epochs} epochs each, {args.threads} threads, MNIST from {data}")
    print(f"DeepGen: median epoch {d:.3f} s (per round: {', '.join(f'{v:.3f}' for v in deepgen)})")
    print(f"PyTorch: median epoch {p:.3f} s (per round: {', '.join(f'{v:.3f}' for v in pytorch)})")
    print(f"DeepGen is {p / d:.1f}x faster than PyTorch per epoch (ratio of the medians)")


if __name__ == "__main__":
    main()
