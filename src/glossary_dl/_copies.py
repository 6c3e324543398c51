r"""Copies that read every number once: the flat copy of a reshape and the blocked transposes.

A reshape, a transpose and the channel moves copy their input into a new array, and must refuse
NaN and inf. Scanning the input first reads it twice; the loops below read it once and return, with
the copy, the sum

$$
\sum_p x_p \cdot 0 ,
$$

which is 0 when every $x_p$ is finite and NaN as soon as one is NaN or $\pm\infty$ (the sum of
``glossary_dl._validation._all_finite_loop``). ``_SUM_FLAGS`` lets the compiler reorder that sum,
so that it runs in SIMD lanes beside the copy; without "nnan" and "ninf" it may not fold
$x \cdot 0$ to 0.

The transposes move one square tile of registers at a time (8 × 8 float32 or 4 × 4 float64, one
256-bit register per row; in float32 8 loads, 24 shuffles and 8 stores for 64 numbers), which the
compiler does not find on its own: an element loop moves one number in about 3 cycles, and its column walk
of a matrix whose rows are a power of two long (1024 floats, 4 KB) lands every access in the same
few cache sets. The tiles are visited in blocks, so that every cache line read or written is used
whole while it is in the cache.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

# Reorder the sum Σ x·0 (to vectorise it), nothing else.
_SUM_FLAGS = {"reassoc", "nsz"}

#: The blocks of tiles: BLOCK numbers along the inner walk, BLOCK // 2 along the outer one; the
#: threaded copy's pieces are BLOCK × BLOCK. The fastest of 64, 128 and 256 measured on a 2-core
#: AMD EPYC (a 4096 × 1024 float32 transpose: 2.8 ms with 64, 2.4 ms with 128, on one thread).
BLOCK = 128

#: Copies of at least this many bytes store past the caches (streaming stores): the copy would
#: not stay in them anyway, and a normal store first reads the cache line it writes, a third more
#: memory traffic. Measured on a 2-core AMD EPYC: a 16 MB float32 copy 1.44 ms → 1.11 ms, one thread;
#: from 1 MB to 4 MB plain stores were as fast or faster.
STREAM_MIN_BYTES = 8 << 20


if numba.config.DISABLE_JIT:
    # Plain Python (the coverage run): the same moves one number at a time, math.isfinite for
    # x·0 (which NumPy would warn about for ±inf), and no store past the caches.
    def _nan_unless_finite(v, zero):
        return zero if math.isfinite(v) else zero + math.nan

    def _transpose_tile(x, x_at, x_step, out, out_at, out_step):
        n = 32 // x.itemsize
        zero = x.dtype.type(0.0)
        total = zero
        for a in range(n):
            for c in range(n):
                v = x[x_at + a * x_step + c]
                out[out_at + c * out_step + a] = v
                total += _nan_unless_finite(v, zero)
        return total

    def _stream_block(x, out, p):
        zero = x.dtype.type(0.0)
        total = zero
        for k in range(p, p + 256 // x.itemsize):
            out[k] = x[k]
            total += _nan_unless_finite(x[k], zero)
        return total

    def _store_fence():
        pass

else:

    @njit(inline="always", error_model="numpy")
    def _nan_unless_finite(v, zero):
        # v·0 rather than v − v: "reassoc" may cancel the + v − v of a running sum
        return v * zero

    def _lanes(dtype):
        return 256 // dtype.bitwidth  # one 256-bit register: 8 float32 or 4 float64

    def _vector(context, builder, signature, array_index, array, at, row_type):
        """A pointer to the register-sized run of numbers at index ``at`` of a flat array argument."""
        data = context.make_array(signature.args[array_index])(context, builder, array).data
        return builder.bitcast(builder.gep(data, [at]), row_type.as_pointer())

    def _lane_mask(n, indices):
        return ir.Constant(ir.VectorType(ir.IntType(32), n), indices)

    def _sum_lanes(builder, total, n):
        """The n lanes of a register summed pairwise (n/2, then n/4, … lanes), as a scalar."""
        width = n
        while width > 1:
            width //= 2
            total = builder.fadd(total, builder.shuffle_vector(
                total, total, _lane_mask(n, [c + width if c < width else c for c in range(n)])))
        return builder.extract_element(total, ir.Constant(ir.IntType(32), 0))

    def _times_zero_sum(builder, rows, row_type):
        """Σ row·0 lane by lane: 0 in every lane for finite rows, NaN where an entry is NaN or ±inf."""
        zero = ir.Constant(row_type, [0.0] * row_type.count)
        total = builder.fmul(rows[0], zero)
        for row in rows[1:]:
            total = builder.fadd(total, builder.fmul(row, zero))
        return total

    def _is_flat_float_array(x):
        # the intrinsics address numbers as data + index: contiguous arrays only
        return (isinstance(x, types.Array) and x.ndim == 1 and x.layout == "C"
                and x.dtype in (types.float32, types.float64))

    @intrinsic
    def _transpose_tile(typingctx, x, x_at, x_step, out, out_at, out_step):
        """out[out_at + c·out_step + a] ← x[x_at + a·x_step + c] for a, c < n; returns Σ x·0.

        n = 8 for float32 and 4 for float64 (x and out flat arrays of one dtype): the n rows are
        loaded as n registers, and log₂ n rounds of two-register shuffles exchange bit k of the row
        index with bit k of the column index, one bit a round, until row c holds column c.
        """
        if not (_is_flat_float_array(x) and _is_flat_float_array(out) and x.dtype == out.dtype):
            return None
        n = _lanes(x.dtype)

        def codegen(context, builder, signature, args):
            x_array, x_at, x_step, out_array, out_at, out_step = args
            row_type = ir.VectorType(context.get_value_type(x.dtype), n)
            align = x.dtype.bitwidth // 8  # the rows start anywhere: unaligned loads and stores

            def at(start, step, k):
                return builder.add(start, builder.mul(step, ir.Constant(step.type, k)))

            rows = [builder.load(_vector(context, builder, signature, 0, x_array, at(x_at, x_step, a), row_type),
                                 align=align) for a in range(n)]
            total = _times_zero_sum(builder, rows, row_type)
            bit = 1
            while bit < n:
                # rows a and a + bit (bit k of a clear) trade the entries whose column has bit k set
                # against those of the other row whose column has it clear
                swapped = list(rows)
                for a in range(n):
                    if not a & bit:
                        low, high = rows[a], rows[a | bit]
                        swapped[a] = builder.shuffle_vector(
                            low, high, _lane_mask(n, [n + (c ^ bit) if c & bit else c for c in range(n)]))
                        swapped[a | bit] = builder.shuffle_vector(
                            low, high, _lane_mask(n, [n + c if c & bit else c ^ bit for c in range(n)]))
                rows = swapped
                bit <<= 1
            for c in range(n):
                builder.store(rows[c], _vector(context, builder, signature, 3, out_array, at(out_at, out_step, c),
                                               row_type), align=align)
            return _sum_lanes(builder, total, n)

        return x.dtype(x, types.int64, types.int64, out, types.int64, types.int64), codegen

    @intrinsic
    def _stream_block(typingctx, x, out, p):
        """out[p : p + 8n] ← x[p : p + 8n] with streaming stores; returns Σ x·0 over them.

        8 registers of n numbers (8 × 8 float32, 8 × 4 float64); out + p must be aligned to 32 bytes.
        """
        if not (_is_flat_float_array(x) and _is_flat_float_array(out) and x.dtype == out.dtype):
            return None
        n = _lanes(x.dtype)

        def codegen(context, builder, signature, args):
            x_array, out_array, p = args
            row_type = ir.VectorType(context.get_value_type(x.dtype), n)
            streaming = builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)])
            rows = []
            for k in range(8):
                at = builder.add(p, ir.Constant(p.type, k * n))
                rows.append(builder.load(_vector(context, builder, signature, 0, x_array, at, row_type),
                                         align=x.dtype.bitwidth // 8))
                store = builder.store(rows[k], _vector(context, builder, signature, 1, out_array, at, row_type),
                                      align=32)
                store.set_metadata("nontemporal", streaming)
            return _sum_lanes(builder, _times_zero_sum(builder, rows, row_type), n)

        return x.dtype(x, out, types.int64), codegen

    @intrinsic
    def _store_fence(typingctx):
        """Order the streaming stores before whatever follows (they are not ordered by themselves)."""

        def codegen(context, builder, signature, args):
            builder.fence("seq_cst")
            return context.get_dummy_value()

        return types.none(), codegen


# ---------------------------------------------------------------- flat copies
@njit(cache=True, fastmath=_SUM_FLAGS, error_model="numpy")
def _copy_loop(x, out):
    """out[p] ← x[p] for every p of flat x; returns Σ x·0."""
    zero = x.dtype.type(0.0)
    total = zero
    for p in range(x.size):
        out[p] = x[p]
        total += _nan_unless_finite(x[p], zero)
    return total


@njit(cache=True, fastmath=_SUM_FLAGS, error_model="numpy")
def _stream_copy_loop(x, out):
    """``_copy_loop`` storing past the caches: plain stores up to out's first 32-byte boundary, blocks
    of 8 registers from there, plain stores for the rest."""
    zero = x.dtype.type(0.0)
    total = zero
    block = 256 // x.itemsize
    misaligned = np.int64(out.ctypes.data & np.uint64(31))  # bytes past the last 32-byte boundary
    head = min((32 - misaligned) % 32 // x.itemsize, x.size)
    for p in range(head):
        out[p] = x[p]
        total += _nan_unless_finite(x[p], zero)
    p = head
    while p + block <= x.size:
        total += _stream_block(x, out, p)
        p += block
    for q in range(p, x.size):
        out[q] = x[q]
        total += _nan_unless_finite(x[q], zero)
    _store_fence()
    return total


@njit(cache=True, parallel=True)
def _copy_parallel(x, out, n_tasks, stream):
    """``_copy_loop`` (or ``_stream_copy_loop``) in n_tasks slices on every thread; whether all is finite."""
    step = (x.size + n_tasks - 1) // n_tasks
    finite = 0
    for task in prange(n_tasks):
        lo, hi = task * step, min((task + 1) * step, x.size)
        if stream:
            finite += _stream_copy_loop(x[lo:hi], out[lo:hi]) == 0.0
        else:
            finite += _copy_loop(x[lo:hi], out[lo:hi]) == 0.0
    return finite == n_tasks


# ---------------------------------------------------------------- blocked transposes
@njit(cache=True, fastmath=_SUM_FLAGS, error_model="numpy")
def _transpose_rectangle(x, out, at, n_rows, n_cols, i0, i1, j0, j1):
    """out[at + j·n_rows + i] ← x[at + i·n_cols + j] for i0 ≤ i < i1, j0 ≤ j < j1; returns Σ x·0.

    x and out are flat; at is where the n_rows × n_cols matrix (and its n_cols × n_rows
    transpose) starts.
    """
    n = 32 // x.itemsize
    zero = x.dtype.type(0.0)
    total = zero
    # the rows and columns that fill whole tiles, then the strips left below and to the right
    i_tiled = i0 + (i1 - i0) // n * n
    j_tiled = j0 + (j1 - j0) // n * n
    # A tile uses half a cache line of each of its n rows in and out (8 float32, 32 bytes). The inner
    # walk runs along one array's rows and finishes its lines as it goes; the other array's lines wait
    # in the cache for the next step of the outer walk, which uses their other half. Those wait best
    # in the array whose rows are shorter: lines 4 KB apart (1024 float32) all compete for the same
    # few places of the cache, lines 256 bytes apart do not.
    if n_rows >= n_cols:
        # the rows of out are the longer: walk them (i inner), keep x's lines
        for ib in range(i0, i_tiled, BLOCK):
            for jb in range(j0, j_tiled, BLOCK // 2):
                for j in range(jb, min(jb + BLOCK // 2, j_tiled), n):
                    for i in range(ib, min(ib + BLOCK, i_tiled), n):
                        total += _transpose_tile(x, at + i * n_cols + j, n_cols, out, at + j * n_rows + i, n_rows)
    else:
        # the rows of x are the longer: walk them (j inner), keep out's lines
        for jb in range(j0, j_tiled, BLOCK):
            for ib in range(i0, i_tiled, BLOCK // 2):
                for i in range(ib, min(ib + BLOCK // 2, i_tiled), n):
                    for j in range(jb, min(jb + BLOCK, j_tiled), n):
                        total += _transpose_tile(x, at + i * n_cols + j, n_cols, out, at + j * n_rows + i, n_rows)
    for i in range(i_tiled, i1):
        for j in range(j0, j1):
            v = x[at + i * n_cols + j]
            out[at + j * n_rows + i] = v
            total += _nan_unless_finite(v, zero)
    for j in range(j_tiled, j1):
        for i in range(i0, i_tiled):
            v = x[at + i * n_cols + j]
            out[at + j * n_rows + i] = v
            total += _nan_unless_finite(v, zero)
    return total


@njit(cache=True, fastmath=_SUM_FLAGS, error_model="numpy")
def _batched_transpose_loop(x, out):
    """out[b, j, i] ← x[b, i, j]: a stack of matrix transposes in register tiles, on this thread.

    Returns whether every entry of x is finite.
    """
    n_batch, n_rows, n_cols = x.shape
    flat, flat_out = x.reshape(x.size), out.reshape(out.size)
    total = x.dtype.type(0.0)
    for b in range(n_batch):
        total += _transpose_rectangle(flat, flat_out, b * n_rows * n_cols, n_rows, n_cols, 0, n_rows, 0, n_cols)
    return total == 0.0


@njit(cache=True, parallel=True, fastmath=_SUM_FLAGS, error_model="numpy")
def _batched_transpose_parallel(x, out):
    """``_batched_transpose_loop`` in BLOCK × BLOCK pieces of every matrix, on every thread."""
    n_batch, n_rows, n_cols = x.shape
    flat, flat_out = x.reshape(x.size), out.reshape(out.size)
    row_pieces = (n_rows + BLOCK - 1) // BLOCK
    col_pieces = (n_cols + BLOCK - 1) // BLOCK
    per_matrix = row_pieces * col_pieces
    finite = 0
    for task in prange(n_batch * per_matrix):
        b, piece = task // per_matrix, task % per_matrix
        i0, j0 = piece // col_pieces * BLOCK, piece % col_pieces * BLOCK
        finite += _transpose_rectangle(flat, flat_out, b * n_rows * n_cols, n_rows, n_cols,
                                       i0, min(i0 + BLOCK, n_rows), j0, min(j0 + BLOCK, n_cols)) == 0.0
    return finite == n_batch * per_matrix
