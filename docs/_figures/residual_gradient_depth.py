"""Gradient norm at the first layer against depth: a plain stack of dense blocks vs a residual stack."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.backprop import dense_backward, dense_forward, relu_backward, relu_forward
from glossary_dl.residual import residual_dense_block_backward, residual_dense_block_forward

WIDTH = 16
DEPTHS = [1, 2, 4, 8, 16, 32, 64]
SEED = 0


def make_blocks(depth, rng, branch_scale):
    """Blocks of two dense layers, kernels N(0, 1/fan_in) (W_2 times branch_scale), biases 0."""
    blocks = []
    for _ in range(depth):
        kernel1 = rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)
        kernel2 = branch_scale * rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)
        blocks.append((kernel1, np.zeros(WIDTH), kernel2, np.zeros(WIDTH)))
    return blocks


def plain_block(x, kernel1, bias1, kernel2, bias2, delta=None):
    """relu(F(x)) without the skip; with delta, return (∂L/∂x, ∂L/∂W_1) instead."""
    z1 = dense_forward(x, kernel1, bias1)
    h = relu_forward(z1)
    z2 = dense_forward(h, kernel2, bias2)
    if delta is None:
        return relu_forward(z2)
    grad_h = dense_backward(h, kernel2, relu_backward(z2, delta))[0]
    grad_x, grad_kernel1, _ = dense_backward(x, kernel1, relu_backward(z1, grad_h))
    return grad_x, grad_kernel1


def first_layer_gradient_norm(depth, residual, branch_scale=1.0):
    """‖∂L/∂W_1‖ of the first block for L = (1/N)·Σ y ⊙ G, G fixed: δ at the output has the same
    size at every depth, so the curve shows only what the backward pass does to it."""
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((32, WIDTH))
    target = rng.standard_normal((32, WIDTH))
    blocks = make_blocks(depth, rng, branch_scale)
    inputs, a = [], x
    for block in blocks:
        inputs.append(a)
        a = residual_dense_block_forward(a, *block) if residual else plain_block(a, *block)
    delta = target / len(x)  # ∂L/∂y
    for a_in, block in zip(reversed(inputs), reversed(blocks)):
        if residual:
            delta, grad_kernel1, *_ = residual_dense_block_backward(a_in, *block, delta)
        else:
            delta, grad_kernel1 = plain_block(a_in, *block, delta=delta)
    return np.linalg.norm(grad_kernel1)


def make_figure():
    fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
    runs = [
        ("plain: y = relu(F(x))", False, lambda depth: 1.0, "tab:blue", "o-"),
        ("residual: y = relu(x + F(x))", True, lambda depth: 1.0, "tab:red", "o-"),
        (r"residual, $W_2$ scaled by $1/\sqrt{\mathrm{depth}}$", True, lambda depth: depth**-0.5,
         "tab:red", "s--"),
    ]
    for label, residual, scale, color, style in runs:
        norms = [first_layer_gradient_norm(depth, residual, scale(depth)) for depth in DEPTHS]
        ax.plot(DEPTHS, norms, style, color=color, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("number of blocks (two dense layers each)")
    ax.set_ylabel(r"$\|\partial L / \partial W_1\|$ of the first block")
    ax.legend(fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    return fig
