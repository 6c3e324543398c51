r"""Regular, depthwise and depthwise separable 2-D convolutions, written as the loops of the math.

Every function uses the Keras layout: images are channels-last, shape (N, H, W, C), and
kernels are (k_h, k_w, in, out). Three layers, from the most to the least expensive:

- `conv2d`: every output channel looks at every input channel through its own $k_h \times k_w$
  filter, $k_h k_w\,C_\text{in}\,C_\text{out}$ weights;
- `depthwise_conv2d`: every input channel is filtered on its own, by $M$ filters (the depth
  multiplier), $k_h k_w\,C_\text{in}\,M$ weights, and channels are never mixed;
- `separable_conv2d`: a depthwise convolution followed by a pointwise ($1 \times 1$) convolution
  that mixes the channels, $k_h k_w\,C_\text{in}\,M + C_\text{in}\,M\,C_\text{out}$ weights.

`conv2d_cost`, `depthwise_conv2d_cost` and `separable_conv2d_cost` count the parameters and the
multiply-accumulate operations of each layer without running it. Padding is ``"valid"`` (none) or
``"same"`` (TensorFlow's rule: when the total padding is odd the extra row and column go at the
bottom and the right).
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import njit, prange

from glossary_dl._dots import _FASTMATH, TILE, _block_dots, _dots_loop, _transposed
from glossary_dl._parallel import threads_for
from glossary_dl._validation import as_float_array, check_bool, check_int

__all__ = [
    "conv2d",
    "conv2d_cost",
    "depthwise_conv2d",
    "depthwise_conv2d_cost",
    "separable_conv2d",
    "separable_conv2d_cost",
]


# ---------------------------------------------------------------- compiled loops
# They assume clean input: C-contiguous float arrays of one dtype, shapes already checked, and
# an output whose every pixel (i, j) has a window that starts at (i·s_h − p_top, j·s_w − p_left).
# Window taps outside the image read the zero padding, so they are skipped.


# --8<-- [start:conv2d_loop]
@njit(cache=True, parallel=True)
def _conv2d_loop(x, kernel, bias, out, s_h, s_w, p_top, p_left):
    n_samples, height, width, c_in = x.shape
    k_h, k_w, _, c_out = kernel.shape
    _, h_out, w_out, _ = out.shape
    # output rows of all samples are independent: one thread per (n, i)
    for row in prange(n_samples * h_out):
        n, i = row // h_out, row % h_out
        for j in range(w_out):
            # y_{n,i,j,o} ← b_o
            for o in range(c_out):
                out[n, i, j, o] = bias[o]
            for u in range(k_h):
                # input row under tap u: i·s_h + u − p_top (outside the image: zero padding)
                r = i * s_h + u - p_top
                if r < 0 or r >= height:
                    continue
                for v in range(k_w):
                    q = j * s_w + v - p_left
                    if q < 0 or q >= width:
                        continue
                    for c in range(c_in):
                        x_rqc = x[n, r, q, c]
                        # y_{n,i,j,o} ← y_{n,i,j,o} + x_{n, i·s_h+u, j·s_w+v, c}·K_{u,v,c,o}   (every c, every o)
                        for o in range(c_out):
                            out[n, i, j, o] += x_rqc * kernel[u, v, c, o]
# --8<-- [end:conv2d_loop]


# --8<-- [start:depthwise_conv2d_loop]
@njit(cache=True, parallel=True)
def _depthwise_conv2d_loop(x, kernel, bias, out, s_h, s_w, p_top, p_left):
    n_samples, height, width, c_in = x.shape
    k_h, k_w, _, mult = kernel.shape
    _, h_out, w_out, _ = out.shape
    for row in prange(n_samples * h_out):
        n, i = row // h_out, row % h_out
        for j in range(w_out):
            for c in range(c_in):
                for m in range(mult):
                    # output channel c·M + m belongs to input channel c alone
                    total = bias[c * mult + m]
                    for u in range(k_h):
                        r = i * s_h + u - p_top
                        if r < 0 or r >= height:
                            continue
                        for v in range(k_w):
                            q = j * s_w + v - p_left
                            if q < 0 or q >= width:
                                continue
                            # d_{n,i,j,cM+m} ← d + x_{n, i·s_h+u, j·s_w+v, c}·D_{u,v,c,m}   (no sum over channels)
                            total += x[n, r, q, c] * kernel[u, v, c, m]
                    out[n, i, j, c * mult + m] = total
# --8<-- [end:depthwise_conv2d_loop]


# --8<-- [start:separable_conv2d_loop]
@njit(cache=True, parallel=True)
def _separable_conv2d_loop(x, depthwise_kernel, pointwise_kernel, bias, out, s_h, s_w, p_top, p_left):
    n_samples, height, width, c_in = x.shape
    k_h, k_w, _, mult = depthwise_kernel.shape
    _, h_out, w_out, c_out = out.shape
    for row in prange(n_samples * h_out):
        n, i = row // h_out, row % h_out
        for j in range(w_out):
            # y_{n,i,j,o} ← b_o
            for o in range(c_out):
                out[n, i, j, o] = bias[o]
            for c in range(c_in):
                for m in range(mult):
                    # depthwise step, one value at a time: d ← Σ_{u,v} x_{n, i·s_h+u, j·s_w+v, c}·D_{u,v,c,m}
                    d = out.dtype.type(0.0)
                    for u in range(k_h):
                        r = i * s_h + u - p_top
                        if r < 0 or r >= height:
                            continue
                        for v in range(k_w):
                            q = j * s_w + v - p_left
                            if q < 0 or q >= width:
                                continue
                            d += x[n, r, q, c] * depthwise_kernel[u, v, c, m]
                    # pointwise step: y_{n,i,j,o} ← y_{n,i,j,o} + d·P_{cM+m, o}   (the 1×1 convolution)
                    for o in range(c_out):
                        out[n, i, j, o] += d * pointwise_kernel[0, 0, c * mult + m, o]
# --8<-- [end:separable_conv2d_loop]


# ---------------------------------------------------------------- fast paths
# The loops above are the definitions. The public functions run the ones below: the same sums in
# the order that the hardware runs fastest, checked against the definitions in
# tests/test_convolutions.py. A regular convolution is a matrix product: each output pixel's
# window (taps u, v and channels c, copied into one row, zeros where it hangs over the border)
# times each filter (a row of Kᵀ), which the register tiles of glossary_dl._dots compute.

# --8<-- [start:conv2d_fast_loop]
@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _conv2d_tiled_loop(x, kernel_t, bias, out, k_h, k_w, s_h, s_w, p_top, p_left):
    n_samples, height, width, c_in = x.shape
    _, h_out, w_out, c_out = out.shape
    for row in prange(n_samples * h_out):
        n, i = row // h_out, row % h_out
        # windows_{j, (u·k_w + v)·C_in + c} = x_{n, i·s_h+u−p_t, j·s_w+v−p_l, c} (0 in the padding)
        windows = np.zeros((w_out, kernel_t.shape[1]), dtype=x.dtype)
        for j in range(w_out):
            for u in range(k_h):
                r = i * s_h + u - p_top
                if r < 0 or r >= height:
                    continue
                for v in range(k_w):
                    q = j * s_w + v - p_left
                    if q < 0 or q >= width:
                        continue
                    at = (u * k_w + v) * c_in
                    for c in range(c_in):
                        windows[j, at + c] = x[n, r, q, c]
        # y_{n,i,j,o} = Σ_t windows_{j,t}·Kᵀ_{o,t}: 4 pixels × 4 filters per register tile
        y = out[n, i]
        for j0 in range(0, w_out, TILE):
            _block_dots(windows, kernel_t, j0, 0, 0, y[j0:min(j0 + TILE, w_out)])
        for j in range(w_out):
            for o in range(c_out):
                # + b_o
                y[j, o] += bias[o]
# --8<-- [end:conv2d_fast_loop]


# --8<-- [start:depthwise_fast_loop]
@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _depthwise_conv2d_fast_loop(x, kernel, bias, out, s_h, s_w, p_top, p_left):
    n_samples, height, width, c_in = x.shape
    k_h, k_w, _, mult = kernel.shape
    _, h_out, w_out, _ = out.shape
    for row in prange(n_samples * h_out):
        n, i = row // h_out, row % h_out
        for j in range(w_out):
            # the sums of every channel of pixel (i, j) at once: the channel loop is innermost, over
            # contiguous memory in x (and in D and y for M = 1), so the compiler vectorises it
            y = out[n, i, j]
            for c in range(c_in):
                for m in range(mult):
                    y[c * mult + m] = bias[c * mult + m]
            for u in range(k_h):
                r = i * s_h + u - p_top
                if r < 0 or r >= height:
                    continue
                for v in range(k_w):
                    q = j * s_w + v - p_left
                    if q < 0 or q >= width:
                        continue
                    pixel, taps = x[n, r, q], kernel[u, v]
                    for m in range(mult):
                        for c in range(c_in):
                            # d_{n,i,j,cM+m} ← d + x_{n, i·s_h+u, j·s_w+v, c}·D_{u,v,c,m}
                            y[c * mult + m] += pixel[c] * taps[c, m]
# --8<-- [end:depthwise_fast_loop]


# ---------------------------------------------------------------- validation helpers
def _check_pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints, each at least 1 (Keras' strides / kernel_size)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return check_int(value[0], name, low=1), check_int(value[1], name, low=1)
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        size = check_int(value, name, low=1)
        return size, size
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def _check_padding(padding) -> str:
    if not isinstance(padding, str):
        raise TypeError(f"padding must be 'valid' or 'same', got {padding!r}")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _output_size_and_padding(size: int, k: int, s: int, padding: str, axis: str) -> tuple[int, int]:
    """Output length and padding before the first pixel along one spatial axis (TF's rule)."""
    if padding == "valid":
        if size < k:
            raise ValueError(
                f"x is {size} pixels along {axis}, smaller than the kernel ({k}): "
                "'valid' padding needs at least one full window"
            )
        return (size - k) // s + 1, 0
    out = -(-size // s)  # ⌈size / s⌉
    total = max((out - 1) * s + k - size, 0)
    # the smaller half goes first: the extra pixel of an odd total is at the bottom / right
    return out, total // 2


def _check_input(x) -> np.ndarray:
    return as_float_array(x, "x", ndim=4)


def _check_kernel(kernel, name: str, x: np.ndarray, layout: str) -> np.ndarray:
    kernel = as_float_array(kernel, name, ndim=4)
    if kernel.dtype != x.dtype:
        raise TypeError(f"{name} must have the same dtype as x ({x.dtype}), got {kernel.dtype}")
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(
            f"{name} must have shape {layout} with in = x.shape[3] = {x.shape[3]} "
            f"(channels-last input), got {name} shape {kernel.shape}"
        )
    return kernel


def _check_bias(bias, n_channels: int, dtype: np.dtype) -> np.ndarray:
    if bias is None:
        return np.zeros(n_channels, dtype=dtype)
    array = as_float_array(bias, "bias", ndim=1)
    # a list takes the dtype of x; an array must already have it
    if isinstance(bias, np.ndarray) and array.dtype != dtype:
        raise TypeError(f"bias must have the same dtype as x ({dtype}), got {array.dtype}")
    if array.shape != (n_channels,):
        raise ValueError(f"bias must have shape ({n_channels},), one per output channel, got {array.shape}")
    return np.ascontiguousarray(array, dtype=dtype)


def _geometry(x_shape, k_h: int, k_w: int, strides, padding):
    s_h, s_w = _check_pair(strides, "strides")
    padding = _check_padding(padding)
    h_out, p_top = _output_size_and_padding(x_shape[1], k_h, s_h, padding, "the height (axis 1)")
    w_out, p_left = _output_size_and_padding(x_shape[2], k_w, s_w, padding, "the width (axis 2)")
    return h_out, w_out, s_h, s_w, p_top, p_left


# ---------------------------------------------------------------- public functions
def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    r"""A regular 2-D convolution of a channels-last batch, as Keras' ``Conv2D`` computes it.

    Like every deep-learning framework, this is a cross-correlation: the kernel is not flipped.

    Parameters
    ----------
    x : array_like of float32 or float64, shape (N, H, W, C_in)
        A batch of images, channels last.
    kernel : ndarray, shape (k_h, k_w, C_in, C_out)
        The filters $K$ in the Keras layout, same dtype as ``x``.
    bias : ndarray of shape (C_out,), optional
        The bias $b$, same dtype as ``x``; ``None`` (the default) means no bias.
    strides : int or pair of int, optional
        Steps $(s_h, s_w)$ between neighbouring windows, at least 1; an int is used for both.
    padding : {"valid", "same"}, optional
        ``"valid"``: no padding, only full windows. ``"same"``: zero padding so that the output is
        $\lceil H / s_h \rceil \times \lceil W / s_w \rceil$; an odd total puts the extra row and
        column at the bottom and right, as Keras and TensorFlow do.

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C_out)
        The feature maps, dtype of ``x``.

    Raises
    ------
    TypeError
        If an array is not a float array, ``kernel`` or ``bias`` do not have the dtype of ``x``,
        ``strides`` is not an int or pair of ints, or ``padding`` is not a string.
    ValueError
        If a shape does not match, an array is empty or holds NaN or infinite values, a stride is
        below 1, ``padding`` is neither ``"valid"`` nor ``"same"``, or with ``"valid"`` the image
        is smaller than the kernel.

    Notes
    -----
    With the zero-padded input $x$ (padding $p_t$ rows on top and $p_l$ columns on the left),
    output pixel $(i, j)$ of channel $o$ sums every input channel $c$ under the window:

    $$
    y_{n,i,j,o} = b_o + \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1} \sum_{c=1}^{C_\text{in}}
    x_{n,\; i s_h + u - p_t,\; j s_w + v - p_l,\; c}\; K_{u,v,c,o} .
    $$

    It has $k_h k_w C_\text{in} C_\text{out}$ weights (plus $C_\text{out}$ biases) and costs
    $H_\text{out} W_\text{out}\, k_h k_w C_\text{in} C_\text{out}$ multiply-accumulates per image.
    """
    x = _check_input(x)
    kernel = _check_kernel(kernel, "kernel", x, "(k_h, k_w, in, out)")
    bias = _check_bias(bias, kernel.shape[3], x.dtype)
    h_out, w_out, s_h, s_w, p_top, p_left = _geometry(x.shape, *kernel.shape[:2], strides, padding)
    out = np.empty((x.shape[0], h_out, w_out, kernel.shape[3]), dtype=x.dtype)
    k_h, k_w, c_in, c_out = kernel.shape
    with threads_for(out.size * k_h * k_w * c_in):
        # Kᵀ: one row of k_h·k_w·C_in weights per filter, in the windows' (u, v, c) order
        _conv2d_tiled_loop(x, _transposed(kernel.reshape(-1, c_out)), bias, out, k_h, k_w, s_h, s_w, p_top, p_left)
    return out


def depthwise_conv2d(x, depthwise_kernel, bias=None, strides=1, padding="valid"):
    r"""A depthwise 2-D convolution: each input channel filtered on its own, as Keras' ``DepthwiseConv2D``.

    The depth multiplier $M$ is the last axis of the kernel: each input channel gets $M$ filters,
    and output channel $cM + m$ is input channel $c$ seen through its filter $m$.

    Parameters
    ----------
    x : array_like of float32 or float64, shape (N, H, W, C_in)
        A batch of images, channels last.
    depthwise_kernel : ndarray, shape (k_h, k_w, C_in, M)
        The filters $D$ in the Keras layout, same dtype as ``x``.
    bias : ndarray of shape (C_in·M,), optional
        The bias $b$, same dtype as ``x``; ``None`` (the default) means no bias.
    strides : int or pair of int, optional
        Steps $(s_h, s_w)$ between neighbouring windows, at least 1.
    padding : {"valid", "same"}, optional
        As in `conv2d`.

    Returns
    -------
    d : ndarray, shape (N, H_out, W_out, C_in·M)
        The feature maps, dtype of ``x``.

    Raises
    ------
    TypeError
        If an array is not a float array, ``depthwise_kernel`` or ``bias`` do not have the dtype of
        ``x``, ``strides`` is not an int or pair of ints, or ``padding`` is not a string.
    ValueError
        If a shape does not match, an array is empty or holds NaN or infinite values, a stride is
        below 1, ``padding`` is neither ``"valid"`` nor ``"same"``, or with ``"valid"`` the image
        is smaller than the kernel.

    Notes
    -----
    There is no sum over channels, which is what makes the layer cheap:

    $$
    d_{n,i,j,cM+m} = b_{cM+m} + \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1}
    x_{n,\; i s_h + u - p_t,\; j s_w + v - p_l,\; c}\; D_{u,v,c,m} .
    $$

    It has $k_h k_w C_\text{in} M$ weights (plus $C_\text{in} M$ biases) and costs
    $H_\text{out} W_\text{out}\, k_h k_w C_\text{in} M$ multiply-accumulates per image. PyTorch
    computes the same layer as ``conv2d(..., groups=C_in)`` with a weight of shape
    $(C_\text{in} M, 1, k_h, k_w)$.
    """
    x = _check_input(x)
    kernel = _check_kernel(depthwise_kernel, "depthwise_kernel", x, "(k_h, k_w, in, depth_multiplier)")
    bias = _check_bias(bias, kernel.shape[2] * kernel.shape[3], x.dtype)
    h_out, w_out, s_h, s_w, p_top, p_left = _geometry(x.shape, *kernel.shape[:2], strides, padding)
    out = np.empty((x.shape[0], h_out, w_out, kernel.shape[2] * kernel.shape[3]), dtype=x.dtype)
    with threads_for(out.size * kernel.shape[0] * kernel.shape[1]):
        _depthwise_conv2d_fast_loop(x, kernel, bias, out, s_h, s_w, p_top, p_left)
    return out


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, bias=None, strides=1, padding="valid"):
    r"""A depthwise separable 2-D convolution: depthwise, then pointwise (1×1), as Keras' ``SeparableConv2D``.

    Parameters
    ----------
    x : array_like of float32 or float64, shape (N, H, W, C_in)
        A batch of images, channels last.
    depthwise_kernel : ndarray, shape (k_h, k_w, C_in, M)
        The spatial filters $D$, one group of $M$ per input channel, same dtype as ``x``.
    pointwise_kernel : ndarray, shape (1, 1, C_in·M, C_out)
        The $1 \times 1$ filters $P$ that mix the channels, same dtype as ``x``.
    bias : ndarray of shape (C_out,), optional
        The bias $b$, added once at the end, same dtype as ``x``; ``None`` (the default) means no bias.
    strides : int or pair of int, optional
        Steps $(s_h, s_w)$ of the depthwise step; the pointwise step always has stride 1.
    padding : {"valid", "same"}, optional
        Padding of the depthwise step, as in `conv2d`.

    Returns
    -------
    y : ndarray, shape (N, H_out, W_out, C_out)
        The feature maps, dtype of ``x``.

    Raises
    ------
    TypeError
        If an array is not a float array, a kernel or ``bias`` does not have the dtype of ``x``,
        ``strides`` is not an int or pair of ints, or ``padding`` is not a string.
    ValueError
        If a shape does not match, an array is empty or holds NaN or infinite values, a stride is
        below 1, ``padding`` is neither ``"valid"`` nor ``"same"``, or with ``"valid"`` the image
        is smaller than the kernel.

    Notes
    -----
    The depthwise convolution $d$ (see `depthwise_conv2d`, without its bias) is followed by a
    $1 \times 1$ convolution over its $C_\text{in} M$ channels:

    $$
    y_{n,i,j,o} = b_o + \sum_{c=1}^{C_\text{in}} \sum_{m=0}^{M-1} P_{0,0,cM+m,o}
    \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1} x_{n,\; i s_h + u - p_t,\; j s_w + v - p_l,\; c}\; D_{u,v,c,m} .
    $$

    It has $k_h k_w C_\text{in} M + C_\text{in} M C_\text{out}$ weights (plus $C_\text{out}$
    biases) and costs $H_\text{out} W_\text{out}\,(k_h k_w + C_\text{out})\, C_\text{in} M$
    multiply-accumulates per image. With $M = 1$ and a square $k \times k$ kernel, both are a
    fraction $1/C_\text{out} + 1/k^2$ of a regular convolution's.
    """
    x = _check_input(x)
    depthwise = _check_kernel(depthwise_kernel, "depthwise_kernel", x, "(k_h, k_w, in, depth_multiplier)")
    pointwise = as_float_array(pointwise_kernel, "pointwise_kernel", ndim=4)
    if pointwise.dtype != x.dtype:
        raise TypeError(f"pointwise_kernel must have the same dtype as x ({x.dtype}), got {pointwise.dtype}")
    n_mid = depthwise.shape[2] * depthwise.shape[3]
    if pointwise.shape[:3] != (1, 1, n_mid):
        raise ValueError(
            f"pointwise_kernel must have shape (1, 1, in·depth_multiplier, out) with "
            f"in·depth_multiplier = {n_mid}, got pointwise_kernel shape {pointwise.shape}"
        )
    bias = _check_bias(bias, pointwise.shape[3], x.dtype)
    h_out, w_out, s_h, s_w, p_top, p_left = _geometry(x.shape, *depthwise.shape[:2], strides, padding)
    n_samples, k_h, k_w = x.shape[0], depthwise.shape[0], depthwise.shape[1]
    # the depthwise step for every pixel, then the pointwise step as one matrix product
    mid = np.empty((n_samples, h_out, w_out, n_mid), dtype=x.dtype)
    with threads_for(mid.size * k_h * k_w):
        _depthwise_conv2d_fast_loop(x, depthwise, np.zeros(n_mid, dtype=x.dtype), mid, s_h, s_w, p_top, p_left)
    out = np.empty((n_samples, h_out, w_out, pointwise.shape[3]), dtype=x.dtype)
    flat_out = out.reshape(-1, pointwise.shape[3])
    with threads_for(flat_out.size * n_mid):
        _dots_loop(mid.reshape(-1, n_mid), _transposed(pointwise.reshape(n_mid, -1)), flat_out)
    flat_out += bias
    return out


# ---------------------------------------------------------------- costs
def _check_input_shape(input_shape) -> tuple[int, int, int]:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise TypeError(f"input_shape must be a tuple (H, W, C_in) of three ints, got {input_shape!r}")
    return tuple(check_int(size, "input_shape", low=1) for size in input_shape)


def _output_area(input_shape, kernel_size, strides, padding) -> tuple[int, int, int, int]:
    """H_out·W_out, k_h, k_w and C_in of a layer, from the same geometry the loops use."""
    height, width, c_in = _check_input_shape(input_shape)
    k_h, k_w = _check_pair(kernel_size, "kernel_size")
    h_out, w_out, *_ = _geometry((1, height, width, c_in), k_h, k_w, strides, padding)
    return h_out * w_out, k_h, k_w, c_in


def conv2d_cost(input_shape, kernel_size, filters, strides=1, padding="valid", use_bias=True):
    r"""Parameters and multiply-accumulates of a regular `conv2d` layer, counted without running it.

    Parameters
    ----------
    input_shape : tuple of int
        $(H, W, C_\text{in})$ of one image, channels last (no batch axis).
    kernel_size : int or pair of int
        $(k_h, k_w)$; an int is used for both.
    filters : int
        The number of output channels $C_\text{out}$.
    strides : int or pair of int, optional
        As in `conv2d`.
    padding : {"valid", "same"}, optional
        As in `conv2d`.
    use_bias : bool, optional
        Whether the layer has a bias (Keras' default: True).

    Returns
    -------
    parameters : int
        The number of trainable numbers, what Keras' ``count_params()`` reports.
    macs : int
        Multiply-accumulate operations for one image (taps on the zero padding included, bias
        additions not counted).

    Raises
    ------
    TypeError
        If a size is not an int (or pair of ints), ``input_shape`` is not a triple, ``padding``
        is not a string or ``use_bias`` not a bool.
    ValueError
        If a size is below 1, ``padding`` is neither ``"valid"`` nor ``"same"``, or with
        ``"valid"`` the image is smaller than the kernel.

    Notes
    -----
    $$
    \text{parameters} = k_h k_w C_\text{in} C_\text{out} + C_\text{out}, \qquad
    \text{MACs} = H_\text{out} W_\text{out}\; k_h k_w C_\text{in} C_\text{out} .
    $$
    """
    area, k_h, k_w, c_in = _output_area(input_shape, kernel_size, strides, padding)
    c_out = check_int(filters, "filters", low=1)
    use_bias = check_bool(use_bias, "use_bias")
    weights = k_h * k_w * c_in * c_out
    return weights + (c_out if use_bias else 0), area * weights


def depthwise_conv2d_cost(input_shape, kernel_size, depth_multiplier=1, strides=1, padding="valid", use_bias=True):
    r"""Parameters and multiply-accumulates of a `depthwise_conv2d` layer, counted without running it.

    Parameters
    ----------
    input_shape : tuple of int
        $(H, W, C_\text{in})$ of one image, channels last (no batch axis).
    kernel_size : int or pair of int
        $(k_h, k_w)$; an int is used for both.
    depth_multiplier : int, optional
        $M$, the number of filters per input channel.
    strides : int or pair of int, optional
        As in `conv2d`.
    padding : {"valid", "same"}, optional
        As in `conv2d`.
    use_bias : bool, optional
        Whether the layer has a bias (Keras' default: True).

    Returns
    -------
    parameters : int
        The number of trainable numbers, what Keras' ``count_params()`` reports.
    macs : int
        Multiply-accumulate operations for one image.

    Raises
    ------
    TypeError
        If a size is not an int (or pair of ints), ``input_shape`` is not a triple, ``padding``
        is not a string or ``use_bias`` not a bool.
    ValueError
        If a size is below 1, ``padding`` is neither ``"valid"`` nor ``"same"``, or with
        ``"valid"`` the image is smaller than the kernel.

    Notes
    -----
    $$
    \text{parameters} = k_h k_w C_\text{in} M + C_\text{in} M, \qquad
    \text{MACs} = H_\text{out} W_\text{out}\; k_h k_w C_\text{in} M .
    $$
    """
    area, k_h, k_w, c_in = _output_area(input_shape, kernel_size, strides, padding)
    mult = check_int(depth_multiplier, "depth_multiplier", low=1)
    use_bias = check_bool(use_bias, "use_bias")
    weights = k_h * k_w * c_in * mult
    return weights + (c_in * mult if use_bias else 0), area * weights


def separable_conv2d_cost(
    input_shape, kernel_size, filters, depth_multiplier=1, strides=1, padding="valid", use_bias=True
):
    r"""Parameters and multiply-accumulates of a `separable_conv2d` layer, counted without running it.

    Parameters
    ----------
    input_shape : tuple of int
        $(H, W, C_\text{in})$ of one image, channels last (no batch axis).
    kernel_size : int or pair of int
        $(k_h, k_w)$ of the depthwise step; an int is used for both.
    filters : int
        The number of output channels $C_\text{out}$ of the pointwise step.
    depth_multiplier : int, optional
        $M$, the number of depthwise filters per input channel.
    strides : int or pair of int, optional
        As in `separable_conv2d`.
    padding : {"valid", "same"}, optional
        As in `separable_conv2d`.
    use_bias : bool, optional
        Whether the layer has a bias, added after the pointwise step (Keras' default: True).

    Returns
    -------
    parameters : int
        The number of trainable numbers, what Keras' ``count_params()`` reports.
    macs : int
        Multiply-accumulate operations for one image: the depthwise step's plus the pointwise step's.

    Raises
    ------
    TypeError
        If a size is not an int (or pair of ints), ``input_shape`` is not a triple, ``padding``
        is not a string or ``use_bias`` not a bool.
    ValueError
        If a size is below 1, ``padding`` is neither ``"valid"`` nor ``"same"``, or with
        ``"valid"`` the image is smaller than the kernel.

    Notes
    -----
    $$
    \text{parameters} = k_h k_w C_\text{in} M + C_\text{in} M C_\text{out} + C_\text{out}, \qquad
    \text{MACs} = H_\text{out} W_\text{out}\,\big(k_h k_w C_\text{in} M + C_\text{in} M C_\text{out}\big) .
    $$
    """
    area, k_h, k_w, c_in = _output_area(input_shape, kernel_size, strides, padding)
    c_out = check_int(filters, "filters", low=1)
    mult = check_int(depth_multiplier, "depth_multiplier", low=1)
    use_bias = check_bool(use_bias, "use_bias")
    weights = k_h * k_w * c_in * mult + c_in * mult * c_out
    return weights + (c_out if use_bias else 0), area * weights

