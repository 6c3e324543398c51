"""Seconds per epoch of the chapter-2 MNIST network: glossary_dl against PyTorch on the CPU.

The chapter's exact model and training set-up, on MNIST-shaped random data (so that no download
is needed): 60,000 × 784 float32 inputs in [0, 1), integer labels 0..9, Dense(512, relu) →
Dense(10, softmax), RMSprop with Keras' defaults, sparse categorical cross-entropy, batches of 128,
one epoch (469 steps), shuffled. PyTorch runs the same network (nn.Linear layers, CrossEntropyLoss
on the logits, torch.optim.RMSprop(lr=1e-3, alpha=0.9, eps=1e-7)) with as many threads as numba
uses. Each timing is the median of several repetitions, after a warm-up epoch that pays for numba's
compilation and torch's first allocations.

    .venv/bin/python benchmarks/chapter2_mlp.py            # 60,000 samples, 3 repetitions
    .venv/bin/python benchmarks/chapter2_mlp.py --quick    # 6,000 samples, 2 repetitions
"""

from __future__ import annotations

import argparse
import statistics
import time

import numba
import numpy as np


def make_data(n_samples: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((n_samples, 28 * 28), dtype=np.float32)
    y = rng.integers(0, 10, n_samples)
    return x, y


def time_ours(x, y, batch_size: int, repeats: int) -> list[float]:
    from glossary_dl.layers import Dense
    from glossary_dl.models import Sequential

    model = Sequential([Dense(512, activation="relu"), Dense(10, activation="softmax")], seed=0)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[: 4 * batch_size], y[: 4 * batch_size], epochs=1, batch_size=batch_size, verbose=0)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
        times.append(time.perf_counter() - start)
    return times


def time_torch(x, y, batch_size: int, repeats: int, threads: int) -> list[float]:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(0)

    def epoch(n: int) -> None:
        order = torch.randperm(n, generator=generator)
        correct = 0
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            logits = model(tx[index])
            loss = loss_fn(logits, ty[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct += int((logits.argmax(1) == ty[index]).sum())  # Keras' accuracy metric

    epoch(4 * batch_size)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch(len(x))
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,000 samples, 2 repetitions (a smoke run)")
    parser.add_argument("--repeats", type=int, default=None, help="repetitions per framework")
    args = parser.parse_args()
    n_samples = 6_000 if args.quick else 60_000
    repeats = args.repeats or (2 if args.quick else 3)
    batch_size = 128
    threads = numba.get_num_threads()
    x, y = make_data(n_samples)

    results = {
        "glossary_dl (numba)": time_ours(x, y, batch_size, repeats),
        "PyTorch (CPU)": time_torch(x, y, batch_size, repeats, threads),
    }
    steps = -(-n_samples // batch_size)
    print(f"chapter-2 MLP 784-512-10, {n_samples} samples, batch {batch_size} ({steps} steps), "
          f"{threads} thread(s), median of {repeats}")
    print(f"{'implementation':<22} {'s / epoch':>10} {'ms / step':>10} {'vs PyTorch':>11}")
    reference = statistics.median(results["PyTorch (CPU)"])
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:<22} {median:>10.3f} {1000 * median / steps:>10.2f} {median / reference:>10.2f}x")


if __name__ == "__main__":
    main()
