r"""Hardware for neural-network matrix operations: CUDA kernels and a systolic array.

Two ways to run the matrix product $C = AB$ that dominates the cost of a neural
network, each written the way the hardware sees it:

* **CUDA** (NVIDIA GPUs): ``cuda_elementwise_add()`` and ``cuda_matmul()``
  launch ``numba.cuda`` kernels, one thread per output element, organised in
  blocks of threads and a grid of blocks. The matrix product is the classic
  tiled version that stages $T \times T$ tiles of $A$ and $B$ in the block's
  shared memory.
* **TPU** (Google's Tensor Processing Unit): ``systolic_matmul()`` simulates,
  cycle by cycle, the output-stationary systolic array of multiply-accumulate
  cells that TPUs are built around.

The kernels run on a CUDA GPU when numba finds one. Otherwise they run under
numba's CUDA *simulator*, which executes every thread as a Python thread on the
CPU: the same kernel source, the same results, only far slower.
numba 0.68 still ships its built-in ``numba.cuda`` target (the NVIDIA-maintained
``numba-cuda`` package replaces it in newer set-ups). Setting the environment
variable ``NUMBA_ENABLE_CUDASIM=1`` before numba is first imported makes
``numba.cuda`` itself the simulator; without it, and with no GPU, this module
launches the same kernels through ``numba.cuda.simulator`` directly, so the
functions work either way. ``cuda_backend()`` says which one is in use.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numba import cuda, njit
from numba.core import config as _numba_config
from numba.np import numpy_support

from glossary_dl._validation import _as_array, as_float_array, check_bool, for_the_loops

__all__ = [
    "cuda_backend",
    "cuda_elementwise_add",
    "cuda_matmul",
    "systolic_matmul",
]

# Threads per block of the element-wise kernel: a multiple of the 32-thread warp.
_THREADS_PER_BLOCK = 256
# Tile sides the matrix product accepts: T × T threads per block, at most 1024 on every GPU.
_TILES = (4, 8, 16, 32)


# ---------------------------------------------------------------- which CUDA
def _select_backend():
    """The module whose ``jit``, ``to_device`` and ``device_array`` launch the kernels."""
    if _numba_config.ENABLE_CUDASIM:
        # NUMBA_ENABLE_CUDASIM=1 was set before numba was imported: numba.cuda is the simulator.
        return cuda, "simulator"
    if cuda.is_available():
        return cuda, "gpu"
    # No GPU and no environment variable: the simulator package runs the same
    # kernels. It swaps the global name `cuda` inside each kernel for its own
    # thread-index module while the kernel runs, and its device arrays are
    # numpy arrays, so nothing reaches for a CUDA driver.
    from numba.cuda import simulator

    return simulator, "simulator"


_API, _BACKEND = _select_backend()


def cuda_backend():
    r"""Where ``cuda_elementwise_add()`` and ``cuda_matmul()`` run: ``"gpu"`` or ``"simulator"``.

    Chosen once, when the module is imported: ``"simulator"`` if the environment
    variable ``NUMBA_ENABLE_CUDASIM=1`` was set before numba was first imported
    or if numba finds no usable CUDA GPU and driver; ``"gpu"`` otherwise.

    Returns
    -------
    str
        ``"gpu"`` or ``"simulator"``.
    """
    return _BACKEND


# ---------------------------------------------------------------- validation
def _matrix_pair(A, B, *, allow_integers: bool):
    """A (n, k) and B (k, m) as C-contiguous arrays of one dtype, or raise."""
    arrays = []
    for value, name in ((A, "A"), (B, "B")):
        array = _as_array(value, name)
        if allow_integers and array.dtype.kind in "iu":
            arrays.append(array)
            continue
        arrays.append(as_float_array(value, name, ndim=2))
    A, B = arrays
    for array, name in ((A, "A"), (B, "B")):
        if array.ndim != 2:
            raise ValueError(f"{name} must have 2 dimension(s), got shape {array.shape}")
        if array.size == 0:
            raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if A.shape[1] != B.shape[0]:
        raise ValueError(
            f"A's columns and B's rows must agree for A @ B, got A of shape {A.shape} "
            f"and B of shape {B.shape}"
        )
    if A.dtype.kind in "iu" and B.dtype.kind in "iu":
        for array, name in ((A, "A"), (B, "B")):
            if array.dtype == np.uint64 and int(array.max()) > np.iinfo(np.int64).max:
                raise ValueError(f"{name} holds integers above the int64 range; pass float64 arrays instead")
        return A.astype(np.int64), B.astype(np.int64)  # new C-contiguous, writeable arrays
    if A.dtype != B.dtype:
        raise TypeError(
            f"A and B must have the same dtype (float32, float64{', or both integer' if allow_integers else ''}), "
            f"got {A.dtype} and {B.dtype}"
        )
    return for_the_loops(A), for_the_loops(B)


def _check_integer_range(A: np.ndarray, B: np.ndarray) -> None:
    """Refuse integer products whose sums could overflow the int64 accumulator."""
    # Python integers: np.abs would itself overflow on the most negative int64
    largest_A = max(abs(int(A.min())), abs(int(A.max())))
    largest_B = max(abs(int(B.min())), abs(int(B.max())))
    bound = largest_A * largest_B * A.shape[1]
    if bound > np.iinfo(np.int64).max:
        raise ValueError(
            "A and B hold integers so large that a sum of products could overflow int64 "
            f"(max|A|·max|B|·k = {bound}); pass float64 arrays instead"
        )


# ---------------------------------------------------------------- CUDA kernels
# Each kernel is built once per dtype (and tile side): the shared-memory tile's
# dtype and shape must be compile-time constants on a GPU.
_COMPILED: dict = {}


def _add_kernel_for(dtype: np.dtype):
    key = ("add", dtype)
    if key not in _COMPILED:
        _COMPILED[key] = _API.jit(_cuda_add_loop)
    return _COMPILED[key]


# --8<-- [start:cuda_add_loop]
def _cuda_add_loop(x, y, out):
    # i = blockIdx.x · blockDim.x + threadIdx.x: this thread's global index
    i = cuda.grid(1)
    # the last block overhangs the array; its extra threads do nothing
    if i < out.shape[0]:
        # out_i = x_i + y_i
        out[i] = x[i] + y[i]
# --8<-- [end:cuda_add_loop]


def _matmul_kernel_for(dtype: np.dtype, tile: int):
    key = ("matmul", dtype, tile)
    if key not in _COMPILED:
        _COMPILED[key] = _API.jit(_make_cuda_matmul_loop(dtype, tile))
    return _COMPILED[key]


def _make_cuda_matmul_loop(dtype: np.dtype, tile: int):
    """The tiled matrix-product kernel for one dtype and tile side T (closure constants)."""
    T = tile
    element = numpy_support.from_dtype(dtype)
    zero = dtype.type(0)

    # --8<-- [start:cuda_matmul_loop]
    def _cuda_matmul_loop(A, B, C):
        # this thread computes C_ij: column j from the x axis, row i from the y axis
        j, i = cuda.grid(2)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        n, k = A.shape
        m = B.shape[1]
        # one T × T tile of A and one of B, shared by the block's T·T threads
        sA = cuda.shared.array(shape=(T, T), dtype=element)
        sB = cuda.shared.array(shape=(T, T), dtype=element)
        acc = zero
        # walk the k axis one tile at a time: C_ij = Σ_q Σ_r A_i,qT+r · B_qT+r,j
        for q in range((k + T - 1) // T):
            # each thread loads one element of each tile; outside the matrix, 0
            s = q * T + tx
            sA[ty, tx] = A[i, s] if i < n and s < k else zero
            s = q * T + ty
            sB[ty, tx] = B[s, j] if s < k and j < m else zero
            # wait until the whole tile is loaded before anyone reads it
            cuda.syncthreads()
            for r in range(T):
                # acc ← acc + A_i,qT+r · B_qT+r,j, read from shared memory
                acc += sA[ty, r] * sB[r, tx]
            # wait until everyone is done with the tile before it is overwritten
            cuda.syncthreads()
        # threads of edge blocks outside C computed zeros; only the others write
        if i < n and j < m:
            # C_ij = acc
            C[i, j] = acc
    # --8<-- [end:cuda_matmul_loop]

    return _cuda_matmul_loop


def cuda_elementwise_add(x, y, *, threads_per_block=_THREADS_PER_BLOCK):
    r"""Element-wise sum $x + y$ computed by a CUDA kernel, one thread per element.

    The arrays are flattened to $N$ elements. The launch uses blocks of
    ``threads_per_block`` threads and a grid of $\lceil N / \text{threads\_per\_block}
    \rceil$ blocks, so the grid holds at least one thread per element; thread $i$
    (its block index times the block size plus its index in the block) adds
    element $i$, and the threads past $N$ in the last block do nothing.

    Parameters
    ----------
    x, y : array_like of float32 or float64, same shape and dtype
        The operands, of any shape. Lists become float64.
    threads_per_block : int, default 256
        Threads per block, from 1 to 1024 (the CUDA limit). Multiples of 32,
        the warp size, waste no lanes on a GPU.

    Returns
    -------
    numpy.ndarray
        $x + y$, with the shape and dtype of ``x``.

    Raises
    ------
    TypeError
        If an array is not float32/float64, the dtypes differ, or
        ``threads_per_block`` is not an integer.
    ValueError
        If the shapes differ, an array is empty or holds NaN or inf, or
        ``threads_per_block`` is outside [1, 1024].

    Notes
    -----
    Thread $i = b \cdot B_x + t$, with block index $b$, block size $B_x$ and
    thread index $t$ in the block, computes

    $$
    \mathrm{out}_i = x_i + y_i \quad \text{if } i < N .
    $$
    """
    x = as_float_array(x, "x")
    y = as_float_array(y, "y")
    if x.dtype != y.dtype:
        raise TypeError(f"x and y must have the same dtype, got {x.dtype} and {y.dtype}")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    threads = _check_threads(threads_per_block)
    x_flat, y_flat = x.reshape(-1), y.reshape(-1)
    n = x_flat.shape[0]
    # enough blocks to give every element a thread: ⌈N / threads⌉
    blocks = (n + threads - 1) // threads
    d_x, d_y = _API.to_device(x_flat), _API.to_device(y_flat)
    d_out = _API.device_array(n, dtype=x.dtype)
    _add_kernel_for(x.dtype)[blocks, threads](d_x, d_y, d_out)
    return d_out.copy_to_host().reshape(x.shape)


def cuda_matmul(A, B, *, tile=16):
    r"""Matrix product $C = AB$ by the classic tiled CUDA kernel with shared memory.

    One thread computes one element $C_{ij}$. Threads are grouped in
    $T \times T$ blocks (``tile``), each covering a $T \times T$ tile of $C$;
    the grid has $\lceil m/T \rceil \times \lceil n/T \rceil$ blocks (x: columns,
    y: rows), so it covers $C$ with the edge blocks overhanging. A block walks
    along the shared dimension $k$ in steps of $T$: its threads copy one
    $T \times T$ tile of $A$ and one of $B$ into shared memory (one element
    each), wait for each other, and each thread then accumulates $T$ products
    from the fast shared copy. Every element of $A$ and $B$ is read from global
    memory $T$ times fewer than in the one-thread-one-dot-product version.

    Parameters
    ----------
    A : array_like of float32 or float64, shape (n, k)
    B : array_like of float32 or float64, shape (k, m)
        Same dtype as ``A``. Lists become float64.
    tile : {4, 8, 16, 32}, default 16
        Tile side $T$: $T^2$ threads per block ($\le 1024$) and two
        $T \times T$ shared-memory tiles (16 KiB in float64 at $T = 32$).

    Returns
    -------
    numpy.ndarray, shape (n, m)
        $C = AB$, of the inputs' dtype, each element accumulated in that dtype
        in the order $s = 0, 1, \dots, k-1$.

    Raises
    ------
    TypeError
        If an array is not float32/float64, the dtypes differ, or ``tile`` is
        not an integer.
    ValueError
        If an array is not 2-D, is empty or holds NaN or inf, the inner
        dimensions differ, or ``tile`` is not one of 4, 8, 16, 32.

    Notes
    -----
    With the tile side $T$, thread $(i, j)$ computes

    $$
    C_{ij} = \sum_{q=0}^{\lceil k/T \rceil - 1} \; \sum_{r=0}^{T-1} A_{i,\,qT+r}\, B_{qT+r,\,j},
    $$

    where terms with $qT + r \ge k$ are zero (the tiles are padded).
    """
    A, B = _matrix_pair(A, B, allow_integers=False)
    if isinstance(tile, (bool, np.bool_)) or not isinstance(tile, numbers.Integral):
        raise TypeError(f"tile must be an integer, got {tile!r}")
    if int(tile) not in _TILES:
        raise ValueError(f"tile must be one of {_TILES}, got {tile}")
    T = int(tile)
    n, m = A.shape[0], B.shape[1]
    # T × T threads per block; grid ⌈m/T⌉ blocks along x (columns) by ⌈n/T⌉ along y (rows)
    block = (T, T)
    grid = (math.ceil(m / T), math.ceil(n / T))
    d_A, d_B = _API.to_device(A), _API.to_device(B)
    d_C = _API.device_array((n, m), dtype=A.dtype)
    _matmul_kernel_for(A.dtype, T)[grid, block](d_A, d_B, d_C)
    return d_C.copy_to_host()


def _check_threads(value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"threads_per_block must be an integer, got {value!r}")
    if not 1 <= int(value) <= 1024:
        raise ValueError(f"threads_per_block must be in [1, 1024], got {value}")
    return int(value)


# ---------------------------------------------------------------- systolic array
def systolic_matmul(A, B, return_trace=False):
    r"""Matrix product $C = AB$ on a simulated output-stationary systolic array.

    The array is a grid of $n \times m$ processing elements (PEs); PE $(i, j)$
    owns the output $C_{ij}$ and keeps it in place (*output-stationary*). Row
    $i$ of $A$ is fed into the left edge of row $i$ of the grid, delayed by $i$
    cycles; column $j$ of $B$ into the top edge of column $j$, delayed by $j$
    cycles. At every clock cycle each PE multiplies the value arriving from its
    left neighbour by the one arriving from above, adds the product to its
    accumulator, and passes the left value on to the right and the upper value
    on downwards. The skew makes $A_{is}$ and $B_{sj}$ meet in PE $(i, j)$ at
    cycle $i + j + s$, so the active PEs form a diagonal wavefront that sweeps
    across the grid. The simulation runs until no data is left in flight.

    Parameters
    ----------
    A : array_like, shape (n, k)
    B : array_like, shape (k, m)
        Both float32, both float64, or both integer. Lists of integers become
        int64 arrays, lists with a float float64.
    return_trace : bool, default False
        Also return, for every cycle, which term each PE was working on.

    Returns
    -------
    C : numpy.ndarray, shape (n, m)
        $AB$: float32 or float64 for float inputs, each element accumulated in
        that dtype in the order $s = 0, \dots, k - 1$; int64 for integer inputs
        (the accumulator is wider than the inputs, as on a TPU).
    trace : numpy.ndarray of int64, shape (cycles, n, m)
        Only with ``return_trace=True``: ``trace[c, i, j]`` is the index $s$ of
        the product $A_{is} B_{sj}$ that PE $(i, j)$ accumulated at cycle $c$,
        or $-1$ if it was idle. ``cycles`` counts from the first input to the
        last multiply-accumulate: $n + m + k - 2$.

    Raises
    ------
    TypeError
        If an array is not float32/float64/integer, the dtypes differ (a float
        and an integer array, or float32 and float64), or ``return_trace`` is
        not a bool.
    ValueError
        If an array is not 2-D, is empty or holds NaN or inf, the inner
        dimensions differ, or integer inputs are large enough for a sum to
        overflow int64.

    Notes
    -----
    With registers $a_{ij}$ (moving right) and $b_{ij}$ (moving down) in each PE
    and the accumulator $C_{ij}$ starting at 0, cycle $c$ updates every PE at
    once:

    $$
    a_{ij} \leftarrow \begin{cases} A_{i,\,c-i} & j = 0 \\ a_{i,j-1} & j > 0 \end{cases}
    \qquad
    b_{ij} \leftarrow \begin{cases} B_{c-j,\,j} & i = 0 \\ b_{i-1,j} & i > 0 \end{cases}
    \qquad
    C_{ij} \leftarrow C_{ij} + a_{ij}\, b_{ij},
    $$

    with an empty slot (a bubble) fed wherever the index of $A$ or $B$ falls
    outside $[0, k)$. PE $(i, j)$ therefore computes $C_{ij} = \sum_{s=0}^{k-1}
    A_{is} B_{sj}$, the product $s$ at cycle $c = i + j + s$, and the last one,
    PE $(n-1, m-1)$ with $s = k - 1$, at cycle $n + m + k - 3$.
    """
    A, B = _matrix_pair(A, B, allow_integers=True)
    return_trace = check_bool(return_trace, "return_trace")
    if A.dtype == np.int64:
        _check_integer_range(A, B)
    C, trace, cycles = _systolic_matmul_loop(A, B)
    if return_trace:
        return C, trace[:cycles].copy()
    return C


# --8<-- [start:systolic_matmul_loop]
@njit(cache=True)
def _systolic_matmul_loop(A, B):
    n, k = A.shape
    m = B.shape[1]
    C = np.zeros((n, m), dtype=A.dtype)
    # registers of every PE: a moves right, b moves down; s_a, s_b: which term s they carry (−1: bubble)
    a = np.zeros((n, m), dtype=A.dtype)
    b = np.zeros((n, m), dtype=A.dtype)
    s_a = np.full((n, m), -1, dtype=np.int64)
    s_b = np.full((n, m), -1, dtype=np.int64)
    # every input has entered by cycle n + m + k − 3: more rows than any run needs
    trace = np.full((n + m + k, n, m), -1, dtype=np.int64)
    last_active = -1
    c = 0
    in_flight = True
    while in_flight:
        # shift right, from the far column back so nothing is overwritten before it moves
        for j in range(m - 1, 0, -1):
            for i in range(n):
                # a_ij ← a_i,j−1
                a[i, j] = a[i, j - 1]
                s_a[i, j] = s_a[i, j - 1]
        for i in range(n):
            # a_i0 ← A_i,c−i, skewed by i cycles; a bubble outside [0, k)
            s = c - i
            if 0 <= s < k:
                a[i, 0] = A[i, s]
                s_a[i, 0] = s
            else:
                a[i, 0] = 0
                s_a[i, 0] = -1
        # shift down, from the bottom row back
        for i in range(n - 1, 0, -1):
            for j in range(m):
                # b_ij ← b_i−1,j
                b[i, j] = b[i - 1, j]
                s_b[i, j] = s_b[i - 1, j]
        for j in range(m):
            # b_0j ← B_c−j,j, skewed by j cycles; a bubble outside [0, k)
            s = c - j
            if 0 <= s < k:
                b[0, j] = B[s, j]
                s_b[0, j] = s
            else:
                b[0, j] = 0
                s_b[0, j] = -1
        # every PE at once: multiply what arrived, accumulate in place
        in_flight = False
        for i in range(n):
            for j in range(m):
                if s_a[i, j] >= 0 or s_b[i, j] >= 0:
                    in_flight = True
                if s_a[i, j] >= 0 and s_b[i, j] >= 0:
                    # C_ij ← C_ij + a_ij · b_ij  (here a carries A_is and b carries B_sj, same s)
                    C[i, j] += a[i, j] * b[i, j]
                    trace[c, i, j] = s_a[i, j]
                    last_active = c
        # inputs still waiting to enter keep the array running too
        if c < n - 1 + k - 1 or c < m - 1 + k - 1:
            in_flight = True
        c += 1
    return C, trace, last_active + 1
# --8<-- [end:systolic_matmul_loop]
