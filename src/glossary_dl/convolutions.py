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
import numba
from numba import njit, prange

from glossary_dl._dots import _FASTMATH
from glossary_dl._parallel import threads_for
from glossary_dl._validation import as_float_array, check_bool, check_int, checked_without_finiteness

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
# tests/test_convolutions.py. Their steps work one output row (n, i) at a time and write it to
# dst[d0, d1]: the output itself, or a task's buffer that the next step reads while it is still in
# the cache. Every loop returns 0 when its output is finite and NaN when it is not (Σ y·0), which
# the public functions use instead of scanning the inputs for NaN and inf first.


@njit(inline="always")
def _row_probe(y, d0, d1):
    """Σ_{j,c} y[d0, d1, j, c]·0: 0 when the row is finite, NaN when it holds NaN or ±inf."""
    # (in conv2d a pass of its own: a running probe would take a register from the tile's 16)
    zero = y.dtype.type(0.0)
    total = zero
    for j in range(y.shape[2]):
        for c in range(y.shape[3]):
            total += y[d0, d1, j, c] * zero
    return total


# --8<-- [start:depthwise_fast_loop]
@njit(inline="always")
def _four_depthwise_sums(x, kernel, bias, n, r0, q0, q1, q2, q3, taps_h, taps_w, dst, d0, d1, j):
    """dst[d0, d1, j + p, c] for the windows at rows r0… and columns q_p…, p < 4; returns their probe."""
    zero = probe = x.dtype.type(0.0)
    for c in range(x.shape[3]):
        y0 = y1 = y2 = y3 = bias[c]
        for u in range(len(taps_h)):
            r = r0 + u
            for v in range(len(taps_w)):
                # each weight, loaded once, serves four sums
                weight = kernel[u, v, c]
                y0 += x[n, r, q0 + v, c] * weight
                y1 += x[n, r, q1 + v, c] * weight
                y2 += x[n, r, q2 + v, c] * weight
                y3 += x[n, r, q3 + v, c] * weight
        dst[d0, d1, j, c] = y0
        dst[d0, d1, j + 1, c] = y1
        dst[d0, d1, j + 2, c] = y2
        dst[d0, d1, j + 3, c] = y3
        probe += y0 * zero + y1 * zero + y2 * zero + y3 * zero
    return probe


@njit(inline="always")
def _depthwise_row(x, kernel, bias, n, i, s_h, s_w, p_top, p_left, taps_h, taps_w, w_out, dst, d0, d1):
    """dst[d0, d1, j, c] ← b_c + Σ_{u,v} x_{n, i·s_h+u−p_t, j·s_w+v−p_l, c}·D_{u,v,c} for j < w_out (M = 1).

    Returns the row's probe, Σ_{j,c} dst[d0, d1, j, c]·0. taps_h and taps_w are tuples of k_h and
    k_w zeros for the kernel sizes that have a loop of their own (see `_taps`), empty otherwise.
    """
    if len(taps_h) == 0:
        return _depthwise_row_any_size(x, kernel, bias, n, i, s_h, s_w, p_top, p_left, w_out, dst, d0, d1)
    _, height, width, channels = x.shape
    # the kernel's size as the lengths of two tuples: constants of the compiled loop, so the tap
    # loops are unrolled, the channel loop, over contiguous memory, is innermost and vectorised,
    # and each sum stays in a register while it collects its k_h·k_w taps
    k_h, k_w = len(taps_h), len(taps_w)
    zero = probe = x.dtype.type(0.0)
    r0 = i * s_h - p_top
    rows_inside = (r0 >= 0) & (r0 + k_h <= height)
    # the windows of pixels j_lo ≤ j < j_hi lie inside the image's columns
    j_lo = (p_left + s_w - 1) // s_w
    j_hi = (width - k_w + p_left) // s_w + 1
    j = 0
    while j < w_out:
        q0 = j * s_w - p_left
        if rows_inside and j >= j_lo and j + 4 <= j_hi:
            # four neighbouring pixels at once; at stride 1 (a copy of the loop of its own) they
            # also share the loads of the columns their windows have in common
            if s_w == 1:
                probe += _four_depthwise_sums(
                    x, kernel, bias, n, r0, q0, q0 + 1, q0 + 2, q0 + 3, taps_h, taps_w, dst, d0, d1, j
                )
            else:
                probe += _four_depthwise_sums(
                    x, kernel, bias, n, r0, q0, q0 + s_w, q0 + 2 * s_w, q0 + 3 * s_w, taps_h, taps_w, dst, d0, d1, j
                )
            j += 4
        else:
            # a window over the border (or one of the last pixels): a tap on the zero padding
            # reads the nearest pixel and weighs 0, so the vectorised loop needs no branch
            for c in range(channels):
                y = bias[c]
                for u in range(k_h):
                    r = r0 + u
                    row_inside = (r >= 0) & (r < height)
                    r = min(max(r, 0), height - 1)
                    for v in range(k_w):
                        q = q0 + v
                        weight = kernel[u, v, c] if row_inside & (q >= 0) & (q < width) else zero
                        y += x[n, r, min(max(q, 0), width - 1), c] * weight
                dst[d0, d1, j, c] = y
                probe += y * zero
            j += 1
    return probe


@njit(inline="always")
def _depthwise_row_any_size(x, kernel, bias, n, i, s_h, s_w, p_top, p_left, w_out, dst, d0, d1):
    """`_depthwise_row` for a kernel of any size (one compiled loop for all): tap by tap, each
    adding its products to the row of sums, which stays in the cache."""
    _, height, width, channels = x.shape
    k_h, k_w = kernel.shape[0], kernel.shape[1]
    for j in range(w_out):
        for c in range(channels):
            dst[d0, d1, j, c] = bias[c]
    for u in range(k_h):
        r = i * s_h + u - p_top
        if r < 0 or r >= height:
            continue
        for v in range(k_w):
            # tap v is inside the image for the pixels j_lo ≤ j < j_hi
            j_lo = max(p_left - v + s_w - 1, 0) // s_w
            j_hi = min((width - 1 - v + p_left) // s_w + 1, w_out)
            for j in range(j_lo, j_hi):
                q = j * s_w + v - p_left
                for c in range(channels):
                    dst[d0, d1, j, c] += x[n, r, q, c] * kernel[u, v, c]
    return _row_probe(dst, d0, d1)


@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _depthwise_conv2d_fast_loop(x, kernel, bias, out, s_h, s_w, p_top, p_left, taps_h, taps_w):
    n_samples, h_out, w_out, _ = out.shape
    probe = 0.0
    for row in prange(n_samples * h_out):
        n, i = row // h_out, row % h_out
        probe += _depthwise_row(x, kernel, bias, n, i, s_h, s_w, p_top, p_left, taps_h, taps_w, w_out, out, n, i)
    return probe
# --8<-- [end:depthwise_fast_loop]


# --8<-- [start:conv2d_fast_loop]
@njit(inline="always")
def _windows_row(x, n, i, s_h, s_w, p_top, p_left, k_h, k_w, w_out, windows, t):
    """windows[t, 0, j, (u·k_w + v)·C_in + c] ← x_{n, i·s_h+u−p_t, j·s_w+v−p_l, c} (0 on the padding)."""
    _, height, width, c_in = x.shape
    zero = x.dtype.type(0.0)
    for j in range(w_out):
        for u in range(k_h):
            r = i * s_h + u - p_top
            for v in range(k_w):
                q = j * s_w + v - p_left
                at = (u * k_w + v) * c_in
                if r >= 0 and r < height and q >= 0 and q < width:
                    for c in range(c_in):
                        windows[t, 0, j, at + c] = x[n, r, q, c]
                else:
                    for c in range(c_in):
                        windows[t, 0, j, at + c] = zero


@njit(inline="always")
def _tiled_row(a, t, kernel_t, bias, n_rows, dst, d0, d1):
    """dst[d0, d1, j, o] ← b_o + Σ_k a[t, 0, j, k]·Kᵀ[o, k] for j < n_rows and o < len(bias).

    A tile of 3 rows of a × 4 rows of Kᵀ at a time, 12 sums in registers while k runs (the compiler
    vectorises the k loop, so each sum is one register of partial sums): each value loaded serves
    three or four products, and the 12 sums and 3 + 1 rows' values fill the 16 vector registers
    without spilling (the dense layers' 4 × 4 tile spills there: conv2d took 1.7 times as long).
    a has rows up to a multiple of 3 and Kᵀ up to a multiple of 4, zeros past n_rows and
    len(bias), whose sums are not stored.
    """
    depth = a.shape[3]
    c_out = bias.shape[0]
    zero = dst.dtype.type(0.0)
    for j in range(0, n_rows, 3):
        for o in range(0, c_out, 4):
            s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = s20 = s21 = s22 = s23 = zero
            for k in range(depth):
                a0, a1, a2 = a[t, 0, j, k], a[t, 0, j + 1, k], a[t, 0, j + 2, k]
                weight = kernel_t[o, k]
                s00 += a0 * weight
                s10 += a1 * weight
                s20 += a2 * weight
                weight = kernel_t[o + 1, k]
                s01 += a0 * weight
                s11 += a1 * weight
                s21 += a2 * weight
                weight = kernel_t[o + 2, k]
                s02 += a0 * weight
                s12 += a1 * weight
                s22 += a2 * weight
                weight = kernel_t[o + 3, k]
                s03 += a0 * weight
                s13 += a1 * weight
                s23 += a2 * weight
            if j + 3 <= n_rows and o + 4 <= c_out:
                b0, b1, b2, b3 = bias[o], bias[o + 1], bias[o + 2], bias[o + 3]
                dst[d0, d1, j, o], dst[d0, d1, j, o + 1] = s00 + b0, s01 + b1
                dst[d0, d1, j, o + 2], dst[d0, d1, j, o + 3] = s02 + b2, s03 + b3
                dst[d0, d1, j + 1, o], dst[d0, d1, j + 1, o + 1] = s10 + b0, s11 + b1
                dst[d0, d1, j + 1, o + 2], dst[d0, d1, j + 1, o + 3] = s12 + b2, s13 + b3
                dst[d0, d1, j + 2, o], dst[d0, d1, j + 2, o + 1] = s20 + b0, s21 + b1
                dst[d0, d1, j + 2, o + 2], dst[d0, d1, j + 2, o + 3] = s22 + b2, s23 + b3
            else:
                # the last rows or filters: only the sums that exist
                sums = (s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23)
                for r in range(min(3, n_rows - j)):
                    for q in range(min(4, c_out - o)):
                        dst[d0, d1, j + r, o + q] = sums[4 * r + q] + bias[o + q]


@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _conv2d_fast_loop(x, kernel_t, bias, out, s_h, s_w, p_top, p_left, k_h, k_w, n_tasks):
    n_samples, h_out, w_out, _ = out.shape
    n_rows = n_samples * h_out
    # each task's windows of one output row, rows past w_out (up to a multiple of 3) left at 0
    windows = np.zeros((n_tasks, 1, w_out + (-w_out) % 3, kernel_t.shape[1]), dtype=x.dtype)
    probe = 0.0
    for task in prange(n_tasks):
        for row in range(task * n_rows // n_tasks, (task + 1) * n_rows // n_tasks):
            n, i = row // h_out, row % h_out
            _windows_row(x, n, i, s_h, s_w, p_top, p_left, k_h, k_w, w_out, windows, task)
            _tiled_row(windows, task, kernel_t, bias, w_out, out, n, i)
            probe += _row_probe(out, n, i)
    return probe
# --8<-- [end:conv2d_fast_loop]


@njit(inline="always")
def _pointwise_row(d, t, pointwise, bias, w_out, dst, d0, d1):
    """dst[d0, d1, j, o] ← b_o + Σ_c d[t, 0, j, c]·P_{0,0,c,o} for j < w_out: a 1 × 1 convolution."""
    c_in, c_out = pointwise.shape[2], pointwise.shape[3]
    for j in range(w_out):
        for o in range(c_out):
            dst[d0, d1, j, o] = bias[o]
    # two pixels × four input channels: each row of P, loaded once, serves two sums, and each sum
    # (a row of the output, in the cache) gets four products at a time; the output loop is
    # contiguous and vectorised. (With only C_in terms a sum, a tile of sums in registers spends
    # as long on reducing its registers as on the products.)
    for j in range(0, w_out - 1, 2):
        c = 0
        while c + 4 <= c_in:
            a0, a1, a2, a3 = d[t, 0, j, c], d[t, 0, j, c + 1], d[t, 0, j, c + 2], d[t, 0, j, c + 3]
            b0, b1, b2, b3 = d[t, 0, j + 1, c], d[t, 0, j + 1, c + 1], d[t, 0, j + 1, c + 2], d[t, 0, j + 1, c + 3]
            for o in range(c_out):
                p0, p1 = pointwise[0, 0, c, o], pointwise[0, 0, c + 1, o]
                p2, p3 = pointwise[0, 0, c + 2, o], pointwise[0, 0, c + 3, o]
                dst[d0, d1, j, o] += (a0 * p0 + a1 * p1) + (a2 * p2 + a3 * p3)
                dst[d0, d1, j + 1, o] += (b0 * p0 + b1 * p1) + (b2 * p2 + b3 * p3)
            c += 4
        while c < c_in:
            a0, b0 = d[t, 0, j, c], d[t, 0, j + 1, c]
            for o in range(c_out):
                dst[d0, d1, j, o] += a0 * pointwise[0, 0, c, o]
                dst[d0, d1, j + 1, o] += b0 * pointwise[0, 0, c, o]
            c += 1
    if w_out % 2:
        j = w_out - 1
        for c in range(c_in):
            a0 = d[t, 0, j, c]
            for o in range(c_out):
                dst[d0, d1, j, o] += a0 * pointwise[0, 0, c, o]


@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _separable_conv2d_fast_loop(x, depthwise, pointwise, bias, out, s_h, s_w, p_top, p_left, taps_h, taps_w, n_tasks):
    n_samples, h_out, w_out, _ = out.shape
    n_rows, n_mid = n_samples * h_out, depthwise.shape[2]
    # each task's row of the depthwise output, read by the pointwise step while in the cache
    mid = np.empty((n_tasks, 1, w_out, n_mid), dtype=x.dtype)
    no_bias = np.zeros(n_mid, dtype=x.dtype)
    probe = 0.0
    for task in prange(n_tasks):
        for row in range(task * n_rows // n_tasks, (task + 1) * n_rows // n_tasks):
            n, i = row // h_out, row % h_out
            _depthwise_row(x, depthwise, no_bias, n, i, s_h, s_w, p_top, p_left, taps_h, taps_w, w_out, mid, task, 0)
            _pointwise_row(mid, task, pointwise, bias, w_out, out, n, i)
            probe += _row_probe(out, n, i)
    return probe


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


def _check_input(x, finite: bool) -> np.ndarray:
    return as_float_array(x, "x", ndim=4, finite=finite)


def _check_kernel(kernel, name: str, x: np.ndarray, layout: str, finite: bool) -> np.ndarray:
    kernel = as_float_array(kernel, name, ndim=4, finite=finite)
    if kernel.dtype != x.dtype:
        raise TypeError(f"{name} must have the same dtype as x ({x.dtype}), got {kernel.dtype}")
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(
            f"{name} must have shape {layout} with in = x.shape[3] = {x.shape[3]} "
            f"(channels-last input), got {name} shape {kernel.shape}"
        )
    return kernel


def _check_bias(bias, n_channels: int, dtype: np.dtype, finite: bool) -> np.ndarray:
    if bias is None:
        return np.zeros(n_channels, dtype=dtype)
    array = as_float_array(bias, "bias", ndim=1, finite=finite)
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


def _conv2d_arguments(x, kernel, bias, strides, padding, *, finite: bool):
    """Every check of `conv2d`'s arguments, the scan for NaN and inf only when ``finite``."""
    x = _check_input(x, finite)
    kernel = _check_kernel(kernel, "kernel", x, "(k_h, k_w, in, out)", finite)
    bias = _check_bias(bias, kernel.shape[3], x.dtype, finite)
    return x, kernel, bias, _geometry(x.shape, *kernel.shape[:2], strides, padding)


def _depthwise_arguments(x, depthwise_kernel, bias, strides, padding, *, finite: bool):
    x = _check_input(x, finite)
    kernel = _check_kernel(depthwise_kernel, "depthwise_kernel", x, "(k_h, k_w, in, depth_multiplier)", finite)
    bias = _check_bias(bias, kernel.shape[2] * kernel.shape[3], x.dtype, finite)
    return x, kernel, bias, _geometry(x.shape, *kernel.shape[:2], strides, padding)


def _separable_arguments(x, depthwise_kernel, pointwise_kernel, bias, strides, padding, *, finite: bool):
    x = _check_input(x, finite)
    depthwise = _check_kernel(depthwise_kernel, "depthwise_kernel", x, "(k_h, k_w, in, depth_multiplier)", finite)
    pointwise = as_float_array(pointwise_kernel, "pointwise_kernel", ndim=4, finite=finite)
    if pointwise.dtype != x.dtype:
        raise TypeError(f"pointwise_kernel must have the same dtype as x ({x.dtype}), got {pointwise.dtype}")
    n_mid = depthwise.shape[2] * depthwise.shape[3]
    if pointwise.shape[:3] != (1, 1, n_mid):
        raise ValueError(
            f"pointwise_kernel must have shape (1, 1, in·depth_multiplier, out) with "
            f"in·depth_multiplier = {n_mid}, got pointwise_kernel shape {pointwise.shape}"
        )
    bias = _check_bias(bias, pointwise.shape[3], x.dtype, finite)
    return x, depthwise, pointwise, bias, _geometry(x.shape, *depthwise.shape[:2], strides, padding)


def _reaches_the_output(size: int, k: int, s: int, p: int, n_out: int) -> bool:
    """Along one axis: whether every pixel is under some window and every tap over some pixel."""
    # windows start every s pixels and are k long: a stride longer than the kernel skips pixels,
    # and "valid" may leave the last ones out
    if (n_out > 1 and s > k) or (n_out - 1) * s - p + k < size:
        return False
    if p == 0 and k <= size:
        return True  # window 0 has every tap inside the image
    for u in range(k):
        first = max(0, -((u - p) // s))  # the first window whose tap u is not in the top padding
        if first >= n_out or first * s + u - p >= size:
            return False  # tap u is on the padding in every window
    return True


def _refuse_non_finite_input(probe, x_shape, k_h, k_w, geometry, check, values) -> None:
    """Scan the inputs for NaN and inf (and raise), unless the finite output proves there are none.

    A convolution is a sum of products, computed without the "nnan"/"ninf" fast-math flags: a
    NaN or ±inf reaches every sum it enters (inf·0 = NaN, inf − inf = NaN), so when every input
    value enters some output, a finite output (a probe of 0) proves finite inputs, and the scan
    (one more read of every input) runs only for the rare non-finite output, or when some pixel
    or weight reaches no output (strides longer than the kernel, a tap always on the padding).
    """
    h_out, w_out, s_h, s_w, p_top, p_left = geometry
    if not (probe == 0.0 and _reaches_the_output(x_shape[1], k_h, s_h, p_top, h_out)
            and _reaches_the_output(x_shape[2], k_w, s_w, p_left, w_out)):
        check(*values, finite=True)


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
    values = (x, kernel, bias, strides, padding)
    x, kernel, bias, geometry = checked_without_finiteness(_conv2d_arguments, *values)
    h_out, w_out, s_h, s_w, p_top, p_left = geometry
    k_h, k_w, c_in, c_out = kernel.shape
    out = np.empty((x.shape[0], h_out, w_out, c_out), dtype=x.dtype)
    with threads_for(out.size * k_h * k_w * c_in):
        probe = _conv2d_fast_loop(
            x, _filters_as_rows(kernel), bias, out, s_h, s_w, p_top, p_left, k_h, k_w, _n_tasks(out)
        )
    _refuse_non_finite_input(probe, x.shape, k_h, k_w, geometry, _conv2d_arguments, values)
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
    values = (x, depthwise_kernel, bias, strides, padding)
    x, kernel, bias, geometry = checked_without_finiteness(_depthwise_arguments, *values)
    h_out, w_out, s_h, s_w, p_top, p_left = geometry
    k_h, k_w, c_in, mult = kernel.shape
    out = np.empty((x.shape[0], h_out, w_out, c_in * mult), dtype=x.dtype)
    with threads_for(out.size * k_h * k_w):
        probe = _depthwise_conv2d_fast_loop(
            *_one_filter_per_channel(x, kernel), bias, out, s_h, s_w, p_top, p_left, *_taps(k_h, k_w)
        )
    _refuse_non_finite_input(probe, x.shape, k_h, k_w, geometry, _depthwise_arguments, values)
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
    values = (x, depthwise_kernel, pointwise_kernel, bias, strides, padding)
    x, depthwise, pointwise, bias, geometry = checked_without_finiteness(_separable_arguments, *values)
    h_out, w_out, s_h, s_w, p_top, p_left = geometry
    k_h, k_w, c_in, mult = depthwise.shape
    c_out = pointwise.shape[3]
    out = np.empty((x.shape[0], h_out, w_out, c_out), dtype=x.dtype)
    with threads_for(out.size // c_out * (k_h * k_w + c_out) * c_in * mult):
        probe = _separable_conv2d_fast_loop(
            *_one_filter_per_channel(x, depthwise), pointwise, bias, out, s_h, s_w, p_top, p_left,
            *_taps(k_h, k_w), _n_tasks(out),
        )
    _refuse_non_finite_input(probe, x.shape, k_h, k_w, geometry, _separable_arguments, values)
    return out


def _filters_as_rows(kernel: np.ndarray) -> np.ndarray:
    """Kᵀ, one row of k_h·k_w·C_in weights per filter in the windows' (u, v, c) order, and rows of
    zeros up to a multiple of 4 filters (the tile's width)."""
    rows = kernel.reshape(-1, kernel.shape[3])
    kernel_t = np.zeros((rows.shape[1] + (-rows.shape[1]) % 4, rows.shape[0]), dtype=kernel.dtype)
    kernel_t[: rows.shape[1]] = rows.T
    return kernel_t


def _taps(k_h: int, k_w: int) -> tuple[tuple, tuple]:
    """The depthwise loops' tuples of taps: k_h and k_w zeros for a 3 × 3 kernel, empty otherwise.

    Their lengths are constants of the compiled loop, which numba compiles once per kernel size
    (several seconds each): the size of nearly every depthwise layer gets a loop with its taps
    unrolled (twice as fast), every other size shares one loop.
    """
    return ((0,) * k_h, (0,) * k_w) if (k_h, k_w) == (3, 3) else ((), ())


def _n_tasks(out: np.ndarray) -> int:
    """Tasks of consecutive output rows, a few per thread (inside ``threads_for``)."""
    return min(4 * numba.get_num_threads(), out.shape[0] * out.shape[1])


def _one_filter_per_channel(x: np.ndarray, depthwise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and D as a depthwise convolution with M = 1: each input channel repeated M times.

    Output channel cM + m is channel c seen through filter m, which is channel cM + m of the
    repeated x seen through filter cM + m of D reshaped to (k_h, k_w, C_in·M, 1): the fast loops
    need only the case M = 1, where x, D and the output share the contiguous channel axis.
    """
    k_h, k_w, c_in, mult = depthwise.shape
    if mult > 1:
        x = np.repeat(x, mult, axis=3)
    return x, depthwise.reshape(k_h, k_w, c_in * mult)


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

