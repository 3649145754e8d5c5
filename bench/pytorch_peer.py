#!/usr/bin/env python3
"""The PyTorch peer of DeepGen's benchmarks: the seed network and recipe, timed the same way.

784 -> Linear(500) + sigmoid -> Linear(500) + sigmoid -> Linear(10) + softmax, Glorot-uniform weights and zero
biases (Keras's defaults), mean squared error, SGD with learning rate 0.1, batch 100, shuffled every epoch, raw
0-255 pixels. Prints the time of each training epoch and of predicting the 10,000 test samples in one batch (and
one sample at a time), next to DeepGen's TrainingBenchmarks.Epoch and InferenceBenchmarks.

    apt-get install python3-torch          # Debian's PyTorch (CPU, OpenBLAS)
    python3 bench/pytorch_peer.py          # MNIST-shaped synthetic data, 1 epoch
    python3 bench/pytorch_peer.py --data ~/.deepgen/datasets/mnist --epochs 20   # the real MNIST IDX files

Only torch and the standard library are needed. Timings do not depend on the data (every product is dense); with
--data the printed losses and accuracies can be compared with Keras's curve (epoch 1: loss 0.0831, accuracy 0.3866).
"""
import argparse
import gzip
import os
import statistics
import struct
import time

import torch
from torch import nn


def read_idx(directory, stem):
    """An IDX file (raw or .gz) as a flat uint8 tensor and its dimensions."""
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            zero, dtype, ndim = struct.unpack(">HBB", data[:4])
            if zero != 0 or dtype != 0x08:
                raise ValueError(f"{path} is not an IDX file of unsigned bytes")
            dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
            return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8), dims
    raise FileNotFoundError(f"no {stem} (or {stem}.gz) in {directory}")


def mnist(directory):
    def images(stem):
        values, dims = read_idx(directory, stem)
        return values.reshape(dims[0], dims[1] * dims[2]).float()  # raw 0-255, as the seed recipe

    def labels(stem):
        values, _ = read_idx(directory, stem)
        return nn.functional.one_hot(values.long(), 10).float()

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def synthetic(generator):
    """MNIST-shaped data: mostly-zero images of whole numbers 0-255, one-hot labels (like, not equal to, the C# data)."""
    def make(count):
        on = torch.rand(count, 784, generator=generator) < 0.2
        pixels = torch.randint(1, 256, (count, 784), generator=generator).float() * on
        labels = nn.functional.one_hot(torch.randint(0, 10, (count,), generator=generator), 10).float()
        return pixels, labels

    return (*make(60_000), *make(10_000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a folder with the four MNIST IDX files (raw or .gz); synthetic data otherwise")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    x_train, y_train, x_test, y_test = mnist(os.path.expanduser(args.data)) if args.data else synthetic(generator)

    model = nn.Sequential(
        nn.Linear(784, 500), nn.Sigmoid(),
        nn.Linear(500, 500), nn.Sigmoid(),
        nn.Linear(500, 10), nn.Softmax(dim=1))
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)  # Keras's glorot_uniform
            nn.init.zeros_(layer.bias)
    loss_fn = nn.MSELoss()  # mean over batch and outputs, as Keras's mean_squared_error
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batch_size = 100

    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{'MNIST from ' + args.data if args.data else 'synthetic MNIST-shaped data'}")
    samples = x_train.shape[0]
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        order = torch.randperm(samples, generator=generator)
        loss_sum, correct = 0.0, 0
        for start in range(0, samples, batch_size):
            index = order[start:start + batch_size]
            x, y = x_train[index], y_train[index]
            optimizer.zero_grad(set_to_none=True)
            output = model(x)
            loss = loss_fn(output, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(index)
            correct += (output.argmax(1) == y.argmax(1)).sum().item()
        seconds = time.perf_counter() - started
        print(f"epoch {epoch}: {seconds:.3f} s ({seconds / (samples // batch_size) * 1e3:.2f} ms/step), "
              f"loss {loss_sum / samples:.4f}, accuracy {correct / samples:.4f}")

    with torch.inference_mode():
        model(x_test)  # warm-up
        times = []
        for _ in range(5):
            started = time.perf_counter()
            predictions = model(x_test)
            times.append(time.perf_counter() - started)
        accuracy = (predictions.argmax(1) == y_test.argmax(1)).float().mean().item()
        print(f"predict {x_test.shape[0]} (one batch): median {statistics.median(times) * 1e3:.2f} ms "
              f"(fastest {min(times) * 1e3:.2f} ms); test accuracy {accuracy:.4f}")

        one = x_test[:1]
        for _ in range(100):
            model(one)
        times = []
        for _ in range(1000):
            started = time.perf_counter()
            model(one)
            times.append(time.perf_counter() - started)
        print(f"predict 1: median {statistics.median(times) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
