"""Training and validation loss of a real run that overfits: 100 handwritten digits, 100 epochs."""

import matplotlib.pyplot as plt
import numba
import numpy as np

from glossary_dl.datasets import load_digits  # ships inside the package: no download
from glossary_dl.backprop import DenseNetwork
from glossary_dl.optimizers import Adam
from glossary_dl.training import minibatch_sgd


def all_digits():
    """The 1,797 embedded digits as rows of 64 floats in [0, 1], and their labels."""
    (x_train, y_train), (x_test, y_test) = load_digits()
    images = np.concatenate([x_train, x_test]).reshape(-1, 64) / 255.0
    return images, np.concatenate([y_train, y_test])


def run():
    images, digits = all_digits()
    order = np.random.default_rng(0).permutation(len(digits))
    train, held_out = order[:100], order[1000:1400]
    net = DenseNetwork([64, 256, 10], seed=0)
    # thousands of tiny batches: one thread avoids thread barriers that cost more than the arithmetic
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return minibatch_sgd(
            net, images[train], digits[train], batch_size=10, epochs=100, optimizer=Adam(0.01),
            seed=0, validation_data=(images[held_out], digits[held_out]),
        )
    finally:
        numba.set_num_threads(threads)


def make_figure():
    history = run()
    epochs = np.arange(1, len(history["loss"]) + 1)
    best = int(np.argmin(history["val_loss"]))
    fig, ax = plt.subplots(figsize=(7.0, 3.8), layout="constrained")
    ax.plot(epochs, history["loss"], color="tab:blue", label="training loss (100 samples)")
    ax.plot(epochs, history["val_loss"], color="tab:red", label="validation loss (400 held-out samples)")
    ax.axvline(epochs[best], color="0.5", linestyle="--", linewidth=1)
    ax.annotate(f"lowest validation loss\n(epoch {epochs[best]})", (epochs[best], history["val_loss"][best]),
                xytext=(epochs[best] + 10, 0.9), fontsize=8, arrowprops=dict(arrowstyle="->", color="0.4"))
    ax.set_ylim(0.0, 1.5)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean cross-entropy")
    ax.legend(fontsize=8)
    return fig
