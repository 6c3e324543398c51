r"""Register-tiled dot products of rows: the one compiled loop behind every matrix product.

The dense layers (``x W``, ``δᵀ x``, ``δ W``) and the Gram matrices of ``glossary_dl.kernels``
(``X X'ᵀ``) all reduce to the same sum,

$$
c_{ij} = \sum_k a_{ik}\, b_{jk},
$$

one dot product of two contiguous rows per entry: $C = A B^\top$. Written as that one loop it
runs at a third of the machine's speed, because every multiply-add waits for two loads. The loop
below computes a 4 × 3 tile of $C$ at once: each $a_{ik}$ it loads is used three times and each
$b_{jk}$ four times, and the 12 running sums stay in registers while $k$ runs (the compiler
vectorises the $k$ loop, so each sum is one SIMD register of partial sums). A 4 × 4 tile reuses
more, but its 16 sums and 8 loaded values do not fit in the 16 vector registers of AVX2: spilled to
memory, it ran 1.5× slower than the 4 × 3 one (one thread, 96 × 512 · 512 × 96 float32).

``_FASTMATH`` lets the compiler reorder the sums (``reassoc``: needed to vectorise a reduction),
fuse multiply-adds (``contract``) and ignore the sign of zero (``nsz``). It keeps ``nnan`` and
``ninf`` off, so NaN and inf propagate exactly as IEEE arithmetic says.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from glossary_dl._copies import _batched_transpose_loop
from glossary_dl._parallel import PARALLEL_MIN_WORK

# Safe fast-math: reorder and fuse, but keep NaN/inf semantics (no "nnan", "ninf", "fast").
_FASTMATH = {"reassoc", "contract", "nsz"}

#: Rows (and columns) of C computed together by one tile.
TILE = 4
#: Rows of B (columns of C) per panel, a multiple of the tile's 3 columns: 60 rows of B at a depth
#: of 784 float32 are 190 KB, which stay in a core's L2 cache while every block of rows of A is
#: multiplied by them. Without panels, every block of 4 rows would stream the whole of B from
#: memory again.
PANEL = 60


# --8<-- [start:block_dots]
@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _block_dots(a, b, i0, j0, j_start, out):
    """out[r, j − j0] ← Σ_k a[i0 + r, k]·b[j, k] for r < out.shape[0] (≤ 4), j_start ≤ j < j0 + out.shape[1].

    The sums run in out's dtype: float32 rows into a float64 block are summed in float64.
    """
    n_rows = out.shape[0]
    n_cols = j0 + out.shape[1]
    depth = a.shape[1]
    acc = out.dtype.type
    j = j_start
    if n_rows == 4:
        while j + 3 <= n_cols:
            # a 4 × 3 tile: c_{i0+r, j+q} = Σ_k a_{i0+r, k}·b_{j+q, k}, 12 sums in registers
            s00 = s01 = s02 = acc(0.0)
            s10 = s11 = s12 = acc(0.0)
            s20 = s21 = s22 = acc(0.0)
            s30 = s31 = s32 = acc(0.0)
            for k in range(depth):
                a0 = acc(a[i0, k])
                a1 = acc(a[i0 + 1, k])
                a2 = acc(a[i0 + 2, k])
                a3 = acc(a[i0 + 3, k])
                b0 = acc(b[j, k])
                b1 = acc(b[j + 1, k])
                b2 = acc(b[j + 2, k])
                s00 += a0 * b0
                s01 += a0 * b1
                s02 += a0 * b2
                s10 += a1 * b0
                s11 += a1 * b1
                s12 += a1 * b2
                s20 += a2 * b0
                s21 += a2 * b1
                s22 += a2 * b2
                s30 += a3 * b0
                s31 += a3 * b1
                s32 += a3 * b2
            q = j - j0
            out[0, q], out[0, q + 1], out[0, q + 2] = s00, s01, s02
            out[1, q], out[1, q + 1], out[1, q + 2] = s10, s11, s12
            out[2, q], out[2, q + 1], out[2, q + 2] = s20, s21, s22
            out[3, q], out[3, q + 1], out[3, q + 2] = s30, s31, s32
            j += 3
    # the columns left over (and blocks of fewer than 4 rows): one dot product at a time
    for r in range(n_rows):
        for jj in range(j, n_cols):
            s = acc(0.0)
            for k in range(depth):
                s += acc(a[i0 + r, k]) * acc(b[jj, k])
            out[r, jj - j0] = s
# --8<-- [end:block_dots]


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _dots_task(a, b, c, task, n_blocks):
    """Task ``task`` of c ← a·bᵀ: the block of 4 rows (task mod n_blocks) × the panel (task div n_blocks)."""
    i0 = (task % n_blocks) * TILE
    j0 = (task // n_blocks) * PANEL
    piece = c[i0:min(i0 + TILE, c.shape[0]), j0:min(j0 + PANEL, c.shape[1])]
    _block_dots(a, b, i0, j0, j0, piece)


@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _dots_loop(a, b, c):
    """c ← a·bᵀ, i.e. c[i, j] = Σ_k a[i, k]·b[j, k]; (panel, block) tasks run in parallel."""
    n_rows, n_cols = c.shape
    n_blocks = (n_rows + TILE - 1) // TILE
    n_tasks = (n_cols + PANEL - 1) // PANEL * n_blocks
    if n_rows * n_cols * a.shape[1] < PARALLEL_MIN_WORK:
        # a small product on the calling thread: launching a parallel loop costs about a
        # microsecond even on one thread, more than a 32 × 10 · 10 × 16 product
        for task in range(n_tasks):
            _dots_task(a, b, c, task, n_blocks)
    else:
        # consecutive tasks share a panel of b (a thread gets a run of them), so it stays in cache
        for task in prange(n_tasks):
            _dots_task(a, b, c, task, n_blocks)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _weighted_row(weights, rows, out, n):
    """out[n, :] ← Σ_j weights[n, j]·rows[j, :], j in order."""
    for i in range(out.shape[1]):
        out[n, i] = 0.0
    for j in range(weights.shape[1]):
        w = weights[n, j]
        for i in range(out.shape[1]):
            out[n, i] += w * rows[j, i]


@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _weighted_rows_loop(weights, rows, out):
    """out[n, :] ← Σ_j weights[n, j]·rows[j, :]: c = weights·rows, for a short sum over j.

    The form for a product whose depth is a handful of terms (a layer with 10 outputs): each row
    of out is built from contiguous rows of ``rows``, and the tile's four-way reuse would not pay
    for transposing ``rows`` first.
    """
    if out.size * weights.shape[1] < PARALLEL_MIN_WORK:
        for n in range(out.shape[0]):
            _weighted_row(weights, rows, out, n)
    else:
        for n in prange(out.shape[0]):
            _weighted_row(weights, rows, out, n)


@njit(cache=True)
def _transposed(a):
    """aᵀ as a new C-contiguous, writeable array, copied in register tiles (glossary_dl._copies).

    Always a new array, so a read-only input reaches the compiled loops as the same type as a
    writeable one (same compiled code, same rounding). Keras' kernel layout (in, out) ↔ the
    loops' (out, in).
    """
    n_rows, n_cols = a.shape
    out = np.empty((n_cols, n_rows), dtype=a.dtype)
    _batched_transpose_loop(a.reshape(1, n_rows, n_cols), out.reshape(1, n_cols, n_rows))
    return out

