"""glossary_dl.hardware against numpy's A @ B, rounding-error bounds and the systolic schedule.

The CUDA kernels run wherever ``glossary_dl.hardware.cuda_backend()`` says: on a
GPU when numba finds one, otherwise under numba's CUDA simulator (every thread a
Python thread, so the matrices here are small). One test also runs them in a
fresh process with ``NUMBA_ENABLE_CUDASIM=1``, numba's documented switch.

Tolerances. A dot product of length k accumulated in a precision with unit
roundoff u is off by at most γ_k·(|A||B|)_ij with γ_k = k·u / (1 − k·u)
(Higham, Accuracy and Stability of Numerical Algorithms, §3.1). The float
results are compared with a float64 A @ B under that bound (twice it for
float64, whose reference has an error of the same size); they are also checked
bit for bit against the same sum taken in the same order, s = 0, ..., k − 1.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from glossary_dl import hardware

SHAPES = [(1, 1, 1), (5, 7, 3), (9, 4, 6)]  # (n, k, m): A is n × k, B is k × m
SHAPE_IDS = ["x".join(map(str, s)) for s in SHAPES]


def make_pair(shape, dtype, seed=0):
    n, k, m = shape
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, k)).astype(dtype), rng.normal(size=(k, m)).astype(dtype)


def in_order_product(A, B):
    """Σ_s A_is·B_sj accumulated in the inputs' dtype, s = 0, 1, ..., k − 1 (no pairwise sums)."""
    C = np.zeros((A.shape[0], B.shape[1]), dtype=A.dtype)
    for s in range(A.shape[1]):
        C += np.outer(A[:, s], B[s, :])
    return C


def assert_within_rounding_bound(C, A, B, factor=1.0):
    """|C − AB| ≤ factor·γ_k·(|A||B|), γ_k = k·u/(1 − k·u), u the unit roundoff of C's dtype."""
    k = A.shape[1]
    u = np.finfo(C.dtype).eps / 2
    gamma = k * u / (1 - k * u)
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    error = np.abs(C.astype(np.float64) - A64 @ B64)
    assert np.all(error <= factor * gamma * (np.abs(A64) @ np.abs(B64)) + 1e-300)


# ---------------------------------------------------------------- CUDA
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.verifies("glossary_dl.hardware.cuda_matmul", oracle="numpy")
def test_cuda_matmul_matches_numpy(shape, dtype):
    A, B = make_pair(shape, dtype)
    C = hardware.cuda_matmul(A, B, tile=4)
    assert C.dtype == dtype and C.shape == (shape[0], shape[2])
    # within the rounding bound of a length-k dot product (float64: 2·γ_k, the reference errs too)
    assert_within_rounding_bound(C, A, B, factor=2.0 if dtype == np.float64 else 1.0)
    # and exactly the in-order sum: the zero padding of the edge tiles adds nothing
    np.testing.assert_array_equal(C, in_order_product(A, B))


def test_cuda_matmul_tile_does_not_change_the_result():
    # 17 × 18 output: one full 16 × 16 tile plus overhanging edge blocks at tile 16;
    # the sum order is s = 0, ..., k − 1 for every tile side, so the results are identical
    A, B = make_pair((17, 5, 18), np.float64, seed=3)
    C16 = hardware.cuda_matmul(A, B)
    np.testing.assert_array_equal(C16, hardware.cuda_matmul(A, B, tile=8))  # exact
    np.testing.assert_array_equal(C16, in_order_product(A, B))  # exact


@pytest.mark.parametrize(
    ("size", "threads"), [((1,), 256), ((257,), 256), ((3, 40), 32)], ids=["1", "257", "3x40"]
)
@pytest.mark.verifies("glossary_dl.hardware.cuda_elementwise_add", oracle="numpy", rtol=0.0)
def test_cuda_elementwise_add_is_exact(size, threads, dtype):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=size).astype(dtype), rng.normal(size=size).astype(dtype)
    out = hardware.cuda_elementwise_add(x, y, threads_per_block=threads)
    assert out.dtype == dtype and out.shape == x.shape
    # IEEE addition is correctly rounded: bit-for-bit numpy's x + y, including
    # the elements of the last, partly filled block
    np.testing.assert_array_equal(out, x + y)


def test_documented_simulator_switch_gives_the_same_results(tmp_path):
    """NUMBA_ENABLE_CUDASIM=1 before numba is imported: numba.cuda itself is the simulator."""
    A, B = make_pair((6, 5, 7), np.float64, seed=4)
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "B.npy", B)
    script = (
        "import numpy as np, numba.cuda\n"
        "from glossary_dl import hardware\n"
        "assert hardware._API is numba.cuda, hardware._API\n"
        "A, B = np.load('A.npy'), np.load('B.npy')\n"
        "np.save('C.npy', hardware.cuda_matmul(A, B, tile=4))\n"
        "np.save('S.npy', hardware.cuda_elementwise_add(A, A))\n"
        "print(hardware.cuda_backend())\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NUMBA_ENABLE_CUDASIM": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "simulator"
    # the same kernels, the same order of operations: identical bits
    np.testing.assert_array_equal(np.load(tmp_path / "C.npy"), hardware.cuda_matmul(A, B, tile=4))
    np.testing.assert_array_equal(np.load(tmp_path / "S.npy"), A + A)


@pytest.mark.verifies("glossary_dl.hardware.cuda_backend", oracle="numba")
def test_backend_is_the_simulator_without_a_gpu():
    from numba import cuda
    from numba.core import config

    expected = "gpu" if cuda.is_available() and not config.ENABLE_CUDASIM else "simulator"
    assert hardware.cuda_backend() == expected


# ---------------------------------------------------------------- systolic array
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.verifies("glossary_dl.hardware.systolic_matmul", oracle="numpy")
def test_systolic_matmul_matches_numpy(shape, dtype):
    A, B = make_pair(shape, dtype, seed=2)
    C = hardware.systolic_matmul(A, B)
    assert C.dtype == dtype and C.shape == (shape[0], shape[2])
    if dtype == np.float64:
        # to 1e-12 relative to Σ_s |A_is B_sj| (γ_k ≈ 8e-16 here, so this is loose)
        assert np.all(np.abs(C - A @ B) <= 1e-12 * (np.abs(A) @ np.abs(B)))
    assert_within_rounding_bound(C, A, B, factor=2.0 if dtype == np.float64 else 1.0)
    # each PE accumulates its products in arrival order s = 0, ..., k − 1: exact
    np.testing.assert_array_equal(C, in_order_product(A, B))


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 5), (6, 2, 3)], ids=["1x1x1", "3x4x5", "6x2x3"])
@pytest.mark.verifies("glossary_dl.hardware.systolic_matmul", oracle="numpy", dtypes=("float64",), rtol=0.0)
def test_systolic_matmul_integers_are_exact(shape):
    n, k, m = shape
    rng = np.random.default_rng(5)
    A = rng.integers(-128, 128, size=(n, k), dtype=np.int8)  # int8 inputs, as on the first TPU
    B = rng.integers(-128, 128, size=(k, m), dtype=np.int8)
    C = hardware.systolic_matmul(A, B)
    assert C.dtype == np.int64
    # exact; numpy's int8 @ int8 would wrap around in int8, so the reference widens first
    np.testing.assert_array_equal(C, A.astype(np.int64) @ B.astype(np.int64))


@pytest.mark.parametrize(
    "shape", [(1, 1, 1), (1, 5, 1), (4, 1, 1), (3, 4, 5), (2, 7, 6)], ids=lambda s: "x".join(map(str, s))
)
def test_systolic_schedule_is_the_wavefront(shape):
    n, k, m = shape
    A = np.arange(1, n * k + 1).reshape(n, k)
    B = np.arange(1, k * m + 1).reshape(k, m)
    C, trace = hardware.systolic_matmul(A, B, return_trace=True)
    np.testing.assert_array_equal(C, A @ B)  # exact (small integers)
    # cycles from the first input to the last multiply-accumulate: n + m + k − 2
    assert trace.shape == (n + m + k - 2, n, m)
    # A_is meets B_sj in PE (i, j) at cycle c = i + j + s, and at no other time
    c, i, j = np.indices(trace.shape)
    s = c - i - j
    expected = np.where((s >= 0) & (s < k), s, -1)
    np.testing.assert_array_equal(trace, expected)
    # every PE is busy for exactly k cycles
    np.testing.assert_array_equal((trace >= 0).sum(axis=0), np.full((n, m), k))


# ---------------------------------------------------------------- family property
MATMULS = {
    "cuda_matmul": lambda A, B: hardware.cuda_matmul(A, B, tile=4),
    "systolic_matmul": hardware.systolic_matmul,
}


@pytest.mark.parametrize("name", list(MATMULS))
def test_matmul_family_properties(name):
    matmul = MATMULS[name]
    A, B = make_pair((5, 6, 3), np.float64, seed=6)
    # A·I = A and I·B = B exactly: every sum has a single nonzero term
    np.testing.assert_array_equal(matmul(A, np.eye(6)), A)
    np.testing.assert_array_equal(matmul(np.eye(5), A), A)
    # (AB)ᵀ = BᵀAᵀ exactly: the same products, added in the same order
    np.testing.assert_array_equal(matmul(A, B).T, matmul(B.T.copy(), A.T.copy()))
    # both hardware forms agree bit for bit (both sum over s in order)
    np.testing.assert_array_equal(matmul(A, B), hardware.systolic_matmul(A, B))


# ---------------------------------------------------------------- bad input
F64 = np.ones((2, 3))
F64_T = np.ones((3, 2))
BAD = [
    (hardware.cuda_matmul, (F64, F64), {}, ValueError, "A's columns and B's rows must agree"),
    (hardware.cuda_matmul, (np.ones(3), F64_T), {}, ValueError, "A must have 2 dimension"),
    (hardware.cuda_matmul, (F64, np.ones((3, 2), np.float32)), {}, TypeError, "same dtype"),
    (hardware.cuda_matmul, (np.ones((2, 3), int), F64_T), {}, TypeError, "A must be a float32"),
    (hardware.cuda_matmul, (F64, np.full((3, 2), np.nan)), {}, ValueError, "B must contain only finite"),
    (hardware.cuda_matmul, (np.ones((0, 3)), F64_T), {}, ValueError, "A must not be empty"),
    (hardware.cuda_matmul, (F64, F64_T), {"tile": 12}, ValueError, "tile must be one of"),
    (hardware.cuda_matmul, (F64, F64_T), {"tile": 16.0}, TypeError, "tile must be an integer"),
    (hardware.cuda_matmul, ("ab", F64_T), {}, TypeError, "A must be a numpy array"),
    (hardware.cuda_elementwise_add, (F64, F64_T), {}, ValueError, "x and y must have the same shape"),
    (hardware.cuda_elementwise_add, (F64, F64.astype(np.float32)), {}, TypeError, "same dtype"),
    (hardware.cuda_elementwise_add, (F64, np.ones((2, 3), bool)), {}, TypeError, "y must be a float32"),
    (hardware.cuda_elementwise_add, (F64, F64), {"threads_per_block": 2048}, ValueError, "[1, 1024]"),
    (hardware.cuda_elementwise_add, (F64, F64), {"threads_per_block": True}, TypeError, "integer"),
    (hardware.cuda_elementwise_add, (np.array([np.inf]), np.ones(1)), {}, ValueError, "x must contain only"),
    (hardware.systolic_matmul, (np.ones((2, 3), int), F64_T), {}, TypeError, "same dtype"),
    (hardware.systolic_matmul, (F64, F64_T), {"return_trace": 1}, TypeError, "return_trace must be"),
    (hardware.systolic_matmul, (F64, F64), {}, ValueError, "A's columns and B's rows must agree"),
    (hardware.systolic_matmul, (np.ones((2, 2, 2), int), F64_T), {}, ValueError, "A must have 2"),
    (hardware.systolic_matmul, (np.ones((2, 3), bool), F64_T), {}, TypeError, "A must be a float32"),
    (
        hardware.systolic_matmul,
        (np.full((1, 1), np.iinfo(np.int64).min), np.ones((1, 2), int)),
        {},
        ValueError,
        "overflow int64",
    ),
    (
        hardware.systolic_matmul,
        (np.full((1, 1), 2**63, np.uint64), np.ones((1, 2), np.uint64)),
        {},
        ValueError,
        "above the int64 range",
    ),
    (
        hardware.systolic_matmul,
        (np.full((1, 2), 2**40), np.full((2, 1), 2**40)),
        {},
        ValueError,
        "overflow int64",
    ),
]


@pytest.mark.parametrize(
    ("function", "args", "kwargs", "error", "fragment"),
    BAD,
    ids=[f"{row[0].__name__}-{i}" for i, row in enumerate(BAD)],
)
def test_bad_input_raises_clear_errors(function, args, kwargs, error, fragment):
    with pytest.raises(error, match=fragment.replace("[", r"\[").replace("]", r"\]").replace("'", ".")):
        function(*args, **kwargs)
