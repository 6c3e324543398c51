r"""Register-tiled dot products of rows: the one compiled loop behind every matrix product.

The dense layers (``x W``, ``δᵀ x``, ``δ W``) and the Gram matrices of ``glossary_dl.kernels``
(``X X'ᵀ``) all reduce to the same sum,

$$
c_{ij} = \sum_k a_{ik}\, b_{jk},
$$

one dot product of two contiguous rows per entry: $C = A B^\top$. Written as that one loop it
runs at a third of the machine's speed, because every multiply-add waits for two loads. The loop
below computes a 4 × 4 tile of $C$ at once: each $a_{ik}$ and $b_{jk}$ it loads is used four
times, and the 16 running sums stay in registers while $k$ runs (the compiler vectorises the
$k$ loop, so each sum is one SIMD register of partial sums). That brings the tile to the speed of
an optimised BLAS on the shapes of this library.

``_FASTMATH`` lets the compiler reorder the sums (``reassoc``: needed to vectorise a reduction),
fuse multiply-adds (``contract``) and ignore the sign of zero (``nsz``). It keeps ``nnan`` and
``ninf`` off, so NaN and inf propagate exactly as IEEE arithmetic says.
"""

from __future__ import annotations

from numba import njit, prange

# Safe fast-math: reorder and fuse, but keep NaN/inf semantics (no "nnan", "ninf", "fast").
_FASTMATH = {"reassoc", "contract", "nsz"}

#: Rows (and columns) of C computed together by one tile.
TILE = 4


# --8<-- [start:block_dots]
@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _block_dots(a, b, i0, j_start, out):
    """out[r, j] ← Σ_k a[i0 + r, k]·b[j, k] for r < out.shape[0] (≤ 4) and j_start ≤ j < len(b).

    The sums run in out's dtype: float32 rows into a float64 block are summed in float64.
    """
    n_rows = out.shape[0]
    n_cols = b.shape[0]
    depth = a.shape[1]
    acc = out.dtype.type
    j = j_start
    if n_rows == 4:
        while j + 4 <= n_cols:
            # a 4 × 4 tile: c_{i0+r, j+q} = Σ_k a_{i0+r, k}·b_{j+q, k}, 16 sums in registers
            s00 = s01 = s02 = s03 = acc(0.0)
            s10 = s11 = s12 = s13 = acc(0.0)
            s20 = s21 = s22 = s23 = acc(0.0)
            s30 = s31 = s32 = s33 = acc(0.0)
            for k in range(depth):
                a0 = acc(a[i0, k])
                a1 = acc(a[i0 + 1, k])
                a2 = acc(a[i0 + 2, k])
                a3 = acc(a[i0 + 3, k])
                b0 = acc(b[j, k])
                b1 = acc(b[j + 1, k])
                b2 = acc(b[j + 2, k])
                b3 = acc(b[j + 3, k])
                s00 += a0 * b0
                s01 += a0 * b1
                s02 += a0 * b2
                s03 += a0 * b3
                s10 += a1 * b0
                s11 += a1 * b1
                s12 += a1 * b2
                s13 += a1 * b3
                s20 += a2 * b0
                s21 += a2 * b1
                s22 += a2 * b2
                s23 += a2 * b3
                s30 += a3 * b0
                s31 += a3 * b1
                s32 += a3 * b2
                s33 += a3 * b3
            out[0, j], out[0, j + 1], out[0, j + 2], out[0, j + 3] = s00, s01, s02, s03
            out[1, j], out[1, j + 1], out[1, j + 2], out[1, j + 3] = s10, s11, s12, s13
            out[2, j], out[2, j + 1], out[2, j + 2], out[2, j + 3] = s20, s21, s22, s23
            out[3, j], out[3, j + 1], out[3, j + 2], out[3, j + 3] = s30, s31, s32, s33
            j += 4
    # the columns left over (and blocks of fewer than 4 rows): one dot product at a time
    for r in range(n_rows):
        for jj in range(j, n_cols):
            s = acc(0.0)
            for k in range(depth):
                s += acc(a[i0 + r, k]) * acc(b[jj, k])
            out[r, jj] = s
# --8<-- [end:block_dots]


@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _dots_loop(a, b, c):
    """c ← a·bᵀ, i.e. c[i, j] = Σ_k a[i, k]·b[j, k]; blocks of 4 rows of c run in parallel."""
    n_rows = a.shape[0]
    for block in prange((n_rows + TILE - 1) // TILE):
        i0 = block * TILE
        _block_dots(a, b, i0, 0, c[i0:min(i0 + TILE, n_rows)])
