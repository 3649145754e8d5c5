#!/usr/bin/env python3
"""The PyTorch peer of samples/MnistConvnet: Keras's "Simple MNIST convnet" recipe, timed the same way.

28x28x1 pixels scaled to 0-1 -> Conv2d(32, 3x3) + ReLU -> MaxPool(2) -> Conv2d(64, 3x3) + ReLU -> MaxPool(2) ->
flatten (1,600) -> Dropout(0.5) -> Linear(10) + softmax; 34,826 parameters, Glorot-uniform kernels and zero biases
(Keras's defaults); categorical cross-entropy; Adam with Keras's defaults (learning rate 0.001, epsilon 1e-7; Keras
adds epsilon before correcting v's bias, PyTorch after: a difference that fades over the first epochs); batch 128, shuffled
every epoch; the last 10% of the training images held out for validation, as Keras's validation_split.

    apt-get install python3-torch libopenblas0-pthread    # Debian's PyTorch 1.13 (CPU, OpenBLAS)
    python3 bench/pytorch_convnet_peer.py --epochs 1       # reads the MNIST files DeepGen downloaded

PyTorch wants channels first (NCHW), so each flat 784-pixel row becomes a 1x28x28 tensor; PyTorch's flatten then
orders the 1,600 features channel-first where Keras orders them channels-last, which changes nothing but their order.
The softmax lives in the loss (CrossEntropyLoss on the logits), which is the same function as Keras's softmax
followed by categorical cross-entropy. Each epoch's time includes its validation, as Keras and DeepGen time it.
Only torch and the standard library are needed; the IDX reading is bench/pytorch_peer.py's.
"""
import argparse
import os
import statistics
import time

import torch
from torch import nn

from pytorch_peer import mnist

VALIDATION_SPLIT = 0.1
BATCH_SIZE = 128


def deepgen_mnist_folder():
    """Where DeepGen's MNIST download lives: $DEEPGEN_HOME/datasets/mnist, ~/.deepgen by default (see Mnist.cs)."""
    home = os.environ.get("DEEPGEN_HOME") or os.path.join(os.path.expanduser("~"), ".deepgen")
    return os.path.join(home, "datasets", "mnist")


def load(directory):
    """MNIST as NCHW float images in 0-1 and class indices: (x_train, y_train, x_test, y_test)."""
    x_train, y_train, x_test, y_test = mnist(directory)  # flat raw 0-255 pixels, one-hot labels
    def images(flat):
        return (flat / 255).reshape(-1, 1, 28, 28)
    return images(x_train), y_train.argmax(1), images(x_test), y_test.argmax(1)


def convnet():
    model = nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),   # 26x26x32 -> 13x13x32
        nn.Conv2d(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),  # 11x11x64 -> 5x5x64
        nn.Flatten(), nn.Dropout(0.5),
        nn.Linear(5 * 5 * 64, 10))                                     # softmax: in the loss
    for layer in model:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)  # Keras's glorot_uniform; for a kernel fan = channels x 3 x 3, as Keras
            nn.init.zeros_(layer.bias)
    return model


def evaluate(model, loss_fn, x, y):
    """Mean loss and accuracy in batches of BATCH_SIZE, dropout off (Keras validates at the training batch size)."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), BATCH_SIZE):
            logits = model(x[start:start + BATCH_SIZE])
            labels = y[start:start + BATCH_SIZE]
            loss_sum += loss_fn(logits, labels).item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
    model.train()
    return loss_sum / len(x), correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=deepgen_mnist_folder(),
                        help="a folder with the four MNIST IDX files, raw or .gz (default: DeepGen's download, %(default)s)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    try:
        x_train, y_train, x_test, y_test = load(os.path.expanduser(args.data))
    except FileNotFoundError as e:
        parser.exit(1, f"{e}\nRun a DeepGen MNIST sample once to download the files, or pass --data.\n")

    # Keras's validation_split: the last samples, before any shuffling.
    split = int(len(x_train) * (1 - VALIDATION_SPLIT))
    x_train, x_val, y_train, y_val = x_train[:split], x_train[split:], y_train[:split], y_train[split:]

    model = convnet()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; {sum(p.numel() for p in model.parameters()):,} "
          f"parameters; {len(x_train)} training, {len(x_val)} validation and {len(x_test)} test images from {args.data}")

    samples = len(x_train)
    seconds = []
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        order = torch.randperm(samples, generator=generator)
        loss_sum, correct = 0.0, 0
        for start in range(0, samples, BATCH_SIZE):
            index = order[start:start + BATCH_SIZE]
            x, y = x_train[index], y_train[index]
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(index)
            correct += (logits.argmax(1) == y).sum().item()
        trained = time.perf_counter() - started
        val_loss, val_accuracy = evaluate(model, loss_fn, x_val, y_val)
        seconds.append(time.perf_counter() - started)
        print(f"epoch {epoch}: {seconds[-1]:.3f} s (training {trained:.3f} s), loss {loss_sum / samples:.4f}, "
              f"accuracy {correct / samples:.4f}, val_loss {val_loss:.4f}, val_accuracy {val_accuracy:.4f}", flush=True)

    test_loss, test_accuracy = evaluate(model, loss_fn, x_test, y_test)
    print(f"Total loss = {test_loss:.4f}")
    print(f"Accuracy of testing = {test_accuracy:.4f}")
    print(f"Epoch time: median {statistics.median(seconds):.3f} s, fastest {min(seconds):.3f} s")


if __name__ == "__main__":
    main()
