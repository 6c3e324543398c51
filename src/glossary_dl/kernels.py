r"""Kernel functions and a kernel support-vector classifier.

A kernel $k(x, x')$ is an inner product $\langle \varphi(x), \varphi(x') \rangle$ in a feature space
that is never built: a similarity, computed from the two input vectors alone. The four kernels follow
``sklearn.metrics.pairwise`` (names, signatures, defaults) and return the Gram matrix
$K_{ij} = k(x_i, x'_j)$ of the rows of ``X`` against the rows of ``Y``. :class:`KernelSVC` trains a
binary support-vector classifier on such a Gram matrix with libsvm's SMO algorithm.

Every Gram loop accumulates inner products in float64, whatever the input dtype, and rounds once
when it stores the result. The inner products come four rows by four rows from the register-tiled
loop of ``glossary_dl._dots`` (each row of $X$ and $Y$ is contiguous, so every entry is a dot
product of two contiguous rows), and each kernel applies its function to a block of rows while
the block is still in cache.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numba
import numpy as np
from numba import njit, prange

from glossary_dl._dots import PANEL, TILE, _block_dots
from glossary_dl._parallel import threads_for
from glossary_dl._vector_math import exp_nonpositive, tanh_real
from glossary_dl._validation import as_float_array, check_finite, check_real

__all__ = ["linear_kernel", "polynomial_kernel", "rbf_kernel", "sigmoid_kernel", "KernelSVC"]

# Tasks handed to a thread at a time by the parallel loops. With Y=None only the upper triangle is
# computed, so late panels cost more than early ones; interleaved chunks keep the threads evenly
# loaded (numba's default splits the tasks into one contiguous run per thread), and a chunk's
# tasks share their panel of Y.
_CHUNK_TASKS = 16


def _run_balanced(loop, X, Y, symmetric, *args):
    """Run a parallel Gram loop in small row chunks (numba's setting is restored afterwards).

    The loop fills K (the last argument); with ``symmetric`` only its upper triangle, mirrored here.
    """
    K = args[-1]
    previous = numba.set_parallel_chunksize(_CHUNK_TASKS)
    try:
        with threads_for(K.size * X.shape[1]):
            loop(X, Y, symmetric, _n_tasks(K), *args)
            if symmetric:
                _mirror_upper_loop(K)
    finally:
        numba.set_parallel_chunksize(previous)


# ---------------------------------------------------------------------------- validation
def _check_pair(X, Y):
    """Validate X (n, d) and Y (m, d); return X, Y (C-contiguous), whether K is symmetric, and the dtype.

    As in scikit-learn, the result is float32 only when both inputs are float32; otherwise both
    are converted to float64.
    """
    X = as_float_array(X, "X", ndim=2)
    symmetric = Y is None or Y is X
    if symmetric:
        Y = X
    else:
        Y = as_float_array(Y, "Y", ndim=2)
        if Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"Y must have as many features (columns) as X: X has {X.shape[1]}, Y has {Y.shape[1]}"
            )
        if X.dtype != Y.dtype:
            X, Y = X.astype(np.float64), Y.astype(np.float64)
    return X, Y, symmetric, X.dtype


def _check_gamma(gamma, n_features: int) -> float:
    if gamma is None:
        return 1.0 / n_features
    return check_real(gamma, "gamma", low=0.0, low_inclusive=False)


def _check_degree(degree) -> int:
    if isinstance(degree, (bool, np.bool_)) or not isinstance(degree, numbers.Real):
        raise TypeError(f"degree must be a whole number >= 0, got {degree!r}")
    if not math.isfinite(degree) or float(degree) != math.floor(degree):
        raise ValueError(
            f"degree must be a whole number >= 0 (a fractional power of a negative base is undefined), "
            f"got {degree}"
        )
    if degree < 0:
        raise ValueError(f"degree must be a whole number >= 0, got {degree}")
    return int(degree)


# ---------------------------------------------------------------------------- compiled loops
# --8<-- [start:gram_blocks]
@njit(cache=True)
def _gram_piece(X, Y, symmetric, task):
    """The inner products x_i·x'_j, in float64, of one task: TILE rows i × PANEL columns j.

    Returns (i0, j0, j_start, xy) with xy[r, j − j0] = x_{i0+r}·x'_j for j_start ≤ j < j0 +
    xy.shape[1]. With ``symmetric`` only j ≥ i0 is computed (j_start = max(j0, i0)): the lower
    triangle is mirrored afterwards. Consecutive tasks share a panel of Y, which stays in cache.
    """
    n_blocks = (X.shape[0] + TILE - 1) // TILE
    i0 = (task % n_blocks) * TILE
    j0 = (task // n_blocks) * PANEL
    rows = min(TILE, X.shape[0] - i0)
    j_start = max(j0, i0) if symmetric else j0
    xy = np.empty((rows, min(PANEL, Y.shape[0] - j0)))
    # xy_{r,j} ← Σ_k x_{i0+r,k}·x'_{j,k}, 4 × 3 at a time, float64 even for float32 rows
    _block_dots(X, Y, i0, j0, j_start, xy)
    return i0, j0, j_start, xy


def _n_tasks(K: np.ndarray) -> int:
    return ((K.shape[0] + TILE - 1) // TILE) * ((K.shape[1] + PANEL - 1) // PANEL)


@njit(cache=True, parallel=True)
def _mirror_upper_loop(K):
    """K_ji ← K_ij below the diagonal: with Y=None only j ≥ i was computed."""
    for i in prange(K.shape[0]):
        for j in range(i):
            K[i, j] = K[j, i]
# --8<-- [end:gram_blocks]


@njit(cache=True, parallel=True)
def _linear_loop(X, Y, symmetric, n_tasks, K):
    for task in prange(n_tasks):
        i0, j0, j_start, xy = _gram_piece(X, Y, symmetric, task)
        for r in range(xy.shape[0]):
            for j in range(j_start, j0 + xy.shape[1]):
                # K_ij = x_i · x'_j
                K[i0 + r, j] = xy[r, j - j0]


# --8<-- [start:kernel_entries]
# The kernel functions of one inner product xy = x_i·x'_j: the Gram loops below and KernelSVC's
# rows (_svc_rows) apply these same formulas, inlined into their loops (so that they vectorise).
@njit(inline="always")
def _polynomial_entry(xy, gamma, coef0, degree):
    # base = γ x_i·x'_j + c_0
    base = gamma * xy + coef0
    # k = base^p, p a whole number (base^0 = 1)
    power = 1.0
    for _ in range(degree):
        power *= base
    return power


@njit(inline="always", error_model="numpy")
def _rbf_entry(sq_i, sq_j, xy, same_row, gamma):
    # ‖x_i − x'_j‖² = ‖x_i‖² + ‖x'_j‖² − 2 x_i·x'_j, clamped at 0: for two (nearly) equal rows,
    # rounding can leave a tiny negative number; for a row with itself it is 0 exactly (k = 1)
    sq_dist = 0.0 if same_row else max(sq_i + sq_j - 2.0 * xy, 0.0)
    # k = exp(−γ ‖x_i − x'_j‖²)   (exponent ≤ 0: the vectorised exp applies)
    return exp_nonpositive(-gamma * sq_dist)


@njit(inline="always")
def _sigmoid_entry(xy, gamma, coef0):
    # k = tanh(γ x_i·x'_j + c_0)   (tanh through exp_nonpositive: vectorised)
    return tanh_real(gamma * xy + coef0)
# --8<-- [end:kernel_entries]


@njit(cache=True, parallel=True)
def _polynomial_loop(X, Y, symmetric, n_tasks, gamma, coef0, degree, K):
    for task in prange(n_tasks):
        i0, j0, j_start, xy = _gram_piece(X, Y, symmetric, task)
        for r in range(xy.shape[0]):
            for j in range(j_start, j0 + xy.shape[1]):
                # K_ij = (γ x_i·x'_j + c_0)^p
                K[i0 + r, j] = _polynomial_entry(xy[r, j - j0], gamma, coef0, degree)


@njit(cache=True)
def _squared_norms(X):
    """‖x_i‖² for every row, in float64."""
    sq = np.zeros(X.shape[0])
    for i in range(X.shape[0]):
        for k in range(X.shape[1]):
            sq[i] += np.float64(X[i, k]) ** 2
    return sq


# --8<-- [start:rbf_loop]
@njit(cache=True, parallel=True, error_model="numpy")
def _rbf_loop(X, Y, symmetric, n_tasks, gamma, K):
    # ‖x_i‖² and ‖x'_j‖², once each
    x_sq = _squared_norms(X)
    y_sq = x_sq if symmetric else _squared_norms(Y)
    # tasks (TILE rows i × PANEL columns j) are independent
    for task in prange(n_tasks):
        i0, j0, j_start, xy = _gram_piece(X, Y, symmetric, task)
        for r in range(xy.shape[0]):
            i = i0 + r
            for j in range(j_start, j0 + xy.shape[1]):
                # K_ij = exp(−γ ‖x_i − x'_j‖²), from ‖x_i‖², ‖x'_j‖² and x_i·x'_j (_rbf_entry)
                K[i, j] = _rbf_entry(x_sq[i], y_sq[j], xy[r, j - j0], symmetric and j == i, gamma)
# --8<-- [end:rbf_loop]


@njit(cache=True, parallel=True)
def _sigmoid_loop(X, Y, symmetric, n_tasks, gamma, coef0, K):
    for task in prange(n_tasks):
        i0, j0, j_start, xy = _gram_piece(X, Y, symmetric, task)
        for r in range(xy.shape[0]):
            for j in range(j_start, j0 + xy.shape[1]):
                # K_ij = tanh(γ x_i·x'_j + c_0)
                K[i0 + r, j] = _sigmoid_entry(xy[r, j - j0], gamma, coef0)


# ---------------------------------------------------------------------------- kernels
def linear_kernel(X, Y=None):
    r"""Linear kernel: the Gram matrix of plain inner products.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Rows $x_i$, float32 or float64 (lists become float64), finite, not empty.
    Y : array_like of shape (m, d), optional
        Rows $x'_j$. ``None`` means ``Y = X``: only the upper triangle is computed and mirrored.

    Returns
    -------
    K : ndarray of shape (n, m)
        float32 when ``X`` and ``Y`` are both float32, float64 otherwise (as scikit-learn).

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a float array (int, bool, complex, object).
    ValueError
        If ``X`` or ``Y`` is not 2-D, empty or non-finite, or their numbers of features differ.

    Notes
    -----
    $$
    K_{ij} = k(x_i, x'_j) = x_i^\top x'_j = \sum_{k=1}^{d} x_{ik}\, x'_{jk}
    $$

    Inner products are accumulated in float64 and rounded once to the output dtype.
    """
    X, Y, symmetric, dtype = _check_pair(X, Y)
    K = np.empty((X.shape[0], Y.shape[0]), dtype=dtype)
    _run_balanced(_linear_loop, X, Y, symmetric, K)
    return K


def polynomial_kernel(X, Y=None, degree=3, gamma=None, coef0=1):
    r"""Polynomial kernel $(\gamma\, x^\top x' + c_0)^p$.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Rows $x_i$, float32 or float64 (lists become float64), finite, not empty.
    Y : array_like of shape (m, d), optional
        Rows $x'_j$. ``None`` means ``Y = X`` (upper triangle computed and mirrored).
    degree : int, default 3
        The power $p$, a whole number $\ge 0$ (``3.0`` is accepted, ``2.5`` is not: a fractional
        power of a negative base is undefined). $p = 0$ gives the constant kernel 1, as ``SVC``
        allows; ``sklearn.metrics.pairwise.polynomial_kernel`` requires $p \ge 1$ but accepts
        fractional powers.
    gamma : float, optional
        $\gamma > 0$. ``None`` means $1/d$, the scikit-learn default.
    coef0 : float, default 1
        The offset $c_0$ (any finite real). The kernel is positive semi-definite for $c_0 \ge 0$.

    Returns
    -------
    K : ndarray of shape (n, m)
        float32 when ``X`` and ``Y`` are both float32, float64 otherwise.

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a float array, or a hyper-parameter is not a real number.
    ValueError
        If the arrays are not 2-D, empty, non-finite or of different widths; if $\gamma \le 0$,
        $p$ is negative or fractional, or a hyper-parameter is not finite.

    Notes
    -----
    $$
    K_{ij} = \left(\gamma\, x_i^\top x'_j + c_0\right)^{p}
    $$
    """
    X, Y, symmetric, dtype = _check_pair(X, Y)
    degree = _check_degree(degree)
    gamma = _check_gamma(gamma, X.shape[1])
    coef0 = check_real(coef0, "coef0")
    K = np.empty((X.shape[0], Y.shape[0]), dtype=dtype)
    _run_balanced(_polynomial_loop, X, Y, symmetric, gamma, coef0, degree, K)
    return K


def rbf_kernel(X, Y=None, gamma=None):
    r"""Radial basis function (Gaussian) kernel $\exp(-\gamma \lVert x - x' \rVert^2)$.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Rows $x_i$, float32 or float64 (lists become float64), finite, not empty.
    Y : array_like of shape (m, d), optional
        Rows $x'_j$. ``None`` (or ``Y is X``) means ``Y = X``: the upper triangle is computed and
        mirrored, and the diagonal is exactly 1.
    gamma : float, optional
        $\gamma > 0$, the inverse squared length scale. ``None`` means $1/d$, the scikit-learn
        default.

    Returns
    -------
    K : ndarray of shape (n, m)
        Values in $(0, 1]$; float32 when ``X`` and ``Y`` are both float32, float64 otherwise.

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a float array, or ``gamma`` is not a real number.
    ValueError
        If the arrays are not 2-D, empty, non-finite or of different widths, or $\gamma \le 0$.

    Notes
    -----
    $$
    K_{ij} = \exp\!\left(-\gamma \lVert x_i - x'_j \rVert^2\right),
    \qquad
    \lVert x_i - x'_j \rVert^2 = \lVert x_i \rVert^2 + \lVert x'_j \rVert^2 - 2\, x_i^\top x'_j
    $$

    The expansion turns the work into inner products (as scikit-learn does). It can round to a tiny
    negative number for two nearly equal rows, so the squared distance is clamped at 0.
    """
    X, Y, symmetric, dtype = _check_pair(X, Y)
    gamma = _check_gamma(gamma, X.shape[1])
    K = np.empty((X.shape[0], Y.shape[0]), dtype=dtype)
    _run_balanced(_rbf_loop, X, Y, symmetric, gamma, K)
    return K


def sigmoid_kernel(X, Y=None, gamma=None, coef0=1):
    r"""Sigmoid (hyperbolic tangent) kernel $\tanh(\gamma\, x^\top x' + c_0)$.

    This kernel is **not** positive semi-definite in general: its Gram matrix can have negative
    eigenvalues, so an SVM trained with it solves a non-convex problem.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Rows $x_i$, float32 or float64 (lists become float64), finite, not empty.
    Y : array_like of shape (m, d), optional
        Rows $x'_j$. ``None`` means ``Y = X`` (upper triangle computed and mirrored).
    gamma : float, optional
        $\gamma > 0$. ``None`` means $1/d$, the scikit-learn default.
    coef0 : float, default 1
        The offset $c_0$ (any finite real).

    Returns
    -------
    K : ndarray of shape (n, m)
        Values in $(-1, 1)$; float32 when ``X`` and ``Y`` are both float32, float64 otherwise.

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a float array, or a hyper-parameter is not a real number.
    ValueError
        If the arrays are not 2-D, empty, non-finite or of different widths, if $\gamma \le 0$,
        or ``coef0`` is not finite.

    Notes
    -----
    $$
    K_{ij} = \tanh\!\left(\gamma\, x_i^\top x'_j + c_0\right)
    $$
    """
    X, Y, symmetric, dtype = _check_pair(X, Y)
    gamma = _check_gamma(gamma, X.shape[1])
    coef0 = check_real(coef0, "coef0")
    K = np.empty((X.shape[0], Y.shape[0]), dtype=dtype)
    _run_balanced(_sigmoid_loop, X, Y, symmetric, gamma, coef0, K)
    return K


# ---------------------------------------------------------------------------- SMO
# libsvm's threshold for a non-positive curvature along the chosen direction
_TAU = 1e-12


# Which formula KernelSVC's rows apply (_svc_rows); a callable kernel's Gram matrix comes whole
_LINEAR, _POLYNOMIAL, _RBF, _SIGMOID, _GIVEN = range(5)


@njit(cache=True)
def _svc_rows(X, x_sq, kernel, i0, K):
    """K[i0 : i0 + TILE] ← k(x_i, x_j) for every training row j: one block of the Gram matrix."""
    kind, gamma, coef0, degree = kernel
    n = X.shape[0]
    rows = K[i0:min(i0 + TILE, n)]
    # rows_{r,j} ← x_{i0+r}·x_j, 4 × 3 at a time (glossary_dl._dots), then the kernel's function
    _block_dots(X, X, i0, 0, 0, rows)
    for r in range(rows.shape[0]):
        i = i0 + r
        if kind == _POLYNOMIAL:
            for j in range(n):
                rows[r, j] = _polynomial_entry(rows[r, j], gamma, coef0, degree)
        elif kind == _RBF:
            for j in range(n):
                rows[r, j] = _rbf_entry(x_sq[i], x_sq[j], rows[r, j], j == i, gamma)
        elif kind == _SIGMOID:
            for j in range(n):
                rows[r, j] = _sigmoid_entry(rows[r, j], gamma, coef0)


@njit(cache=True)
def _svc_diagonal(X, x_sq, kernel):
    """k(x_t, x_t) for every training row t: each SMO step needs the whole diagonal."""
    kind, gamma, coef0, degree = kernel
    diag = np.empty(X.shape[0])
    xx = np.empty((1, 1))
    for t in range(X.shape[0]):
        # x_t·x_t, summed as in the rows' blocks
        _block_dots(X, X, t, t, t, xx)
        if kind == _POLYNOMIAL:
            diag[t] = _polynomial_entry(xx[0, 0], gamma, coef0, degree)
        elif kind == _RBF:
            diag[t] = _rbf_entry(x_sq[t], x_sq[t], xx[0, 0], True, gamma)
        elif kind == _SIGMOID:
            diag[t] = _sigmoid_entry(xx[0, 0], gamma, coef0)
        else:
            diag[t] = xx[0, 0]
    return diag


# --8<-- [start:smo_loop]
@njit(cache=True)
def _gram_row(gram, i):
    """Row i of the training Gram matrix, computed (with its block of TILE rows) when first asked for.

    ``gram`` is (K, ready, X, x_sq, kernel): K is allocated whole but filled block by block, so
    only the rows SMO visits are computed, and only their memory is ever touched.
    """
    K, ready, X, x_sq, kernel = gram
    block = i // TILE
    if not ready[block]:
        _svc_rows(X, x_sq, kernel, block * TILE, K)
        ready[block] = True
    return K[i]


@njit(cache=True)
def _smo_loop(gram, diag, y, C, tol, max_iter, alpha):
    """Minimise f(α) = ½ αᵀQα − eᵀα, Q_ij = y_i y_j K_ij, s.t. 0 ≤ α_i ≤ C, yᵀα = 0.

    libsvm's SMO with WSS3 working-set selection, without shrinking. A step reads two rows of K,
    K_i and K_j (`_gram_row`), and its diagonal ``diag``, as libsvm does. ``alpha`` (zeros) is
    updated in place; returns (iterations, ρ) with ρ = −b.
    """
    n = y.shape[0]
    # G_i = ∂f/∂α_i = (Qα)_i − 1 = −1 at α = 0
    G = np.full(n, -1.0)
    iterations = 0
    while iterations < max_iter:
        # i ← argmax over I_up = {t : y_t = +1, α_t < C} ∪ {t : y_t = −1, α_t > 0} of −y_t G_t
        G_max, i = -np.inf, -1
        for t in range(n):
            if (y[t] > 0 and alpha[t] < C) or (y[t] < 0 and alpha[t] > 0):
                if -y[t] * G[t] >= G_max:
                    G_max, i = -y[t] * G[t], t
        if i == -1:
            # I_up is empty: no pair can decrease f (the test below would stop too: G_max = −∞)
            break
        K_i = _gram_row(gram, i)
        # j ← argmin over I_low (the mirror set) of −b_t²/a_t, the decrease of f along (i, t)
        # (second-order selection); G_max2 = max over I_low of y_t G_t, for the stopping test
        G_max2, j, obj_min = -np.inf, -1, np.inf
        for t in range(n):
            if (y[t] > 0 and alpha[t] > 0) or (y[t] < 0 and alpha[t] < C):
                G_max2 = max(G_max2, y[t] * G[t])
                # b_t = −y_i G_i + y_t G_t > 0: moving along (i, t) decreases f
                b_t = G_max + y[t] * G[t]
                if b_t > 0:
                    # a_t = K_ii + K_tt − 2 K_it = ‖φ(x_i) − φ(x_t)‖², the curvature along (i, t)
                    a_t = diag[i] + diag[t] - 2.0 * K_i[t]
                    obj = -b_t * b_t / (a_t if a_t > 0 else _TAU)
                    if obj <= obj_min:
                        obj_min, j = obj, t
        # stop when the maximal KKT violation m(α) − M(α) = G_max + G_max2 < tol
        if G_max + G_max2 < tol or j == -1:
            break
        iterations += 1
        # a = K_ii + K_jj − 2 K_ij (same curvature for both label cases)
        a = diag[i] + diag[j] - 2.0 * K_i[j]
        if a <= 0:
            a = _TAU
        old_i, old_j = alpha[i], alpha[j]
        if y[i] != y[j]:
            # α_i − α_j is kept (yᵀα = 0): step δ = (−G_i − G_j)/a on both, then clip to the box
            delta = (-G[i] - G[j]) / a
            diff = alpha[i] - alpha[j]
            alpha[i] += delta
            alpha[j] += delta
            if diff > 0 and alpha[j] < 0:
                alpha[j], alpha[i] = 0.0, diff
            elif diff <= 0 and alpha[i] < 0:
                alpha[i], alpha[j] = 0.0, -diff
            if diff > 0 and alpha[i] > C:
                alpha[i], alpha[j] = C, C - diff
            elif diff <= 0 and alpha[j] > C:
                alpha[j], alpha[i] = C, C + diff
        else:
            # α_i + α_j is kept: step δ = (G_i − G_j)/a moves mass from i to j, then clip to the box
            delta = (G[i] - G[j]) / a
            total = alpha[i] + alpha[j]
            alpha[i] -= delta
            alpha[j] += delta
            if total > C and alpha[i] > C:
                alpha[i], alpha[j] = C, total - C
            elif total <= C and alpha[j] < 0:
                alpha[j], alpha[i] = 0.0, total
            if total > C and alpha[j] > C:
                alpha[j], alpha[i] = C, total - C
            elif total <= C and alpha[i] < 0:
                alpha[i], alpha[j] = 0.0, total
        # G_t ← G_t + Q_it Δα_i + Q_jt Δα_j, with Q_it = y_i y_t K_it: rows i and j, read in order
        # (K is symmetric; libsvm reads the same rows)
        K_j = _gram_row(gram, j)
        d_i = (alpha[i] - old_i) * y[i]
        d_j = (alpha[j] - old_j) * y[j]
        for t in range(n):
            G[t] += y[t] * (K_i[t] * d_i + K_j[t] * d_j)
    # ρ = −b: mean of y_t G_t over free α_t (0 < α_t < C); with none free, the middle of the
    # interval that the KKT conditions allow
    upper, lower, free_sum, n_free = np.inf, -np.inf, 0.0, 0
    for t in range(n):
        yG = y[t] * G[t]
        if alpha[t] >= C:
            if y[t] < 0:
                upper = min(upper, yG)
            else:
                lower = max(lower, yG)
        elif alpha[t] <= 0:
            if y[t] > 0:
                upper = min(upper, yG)
            else:
                lower = max(lower, yG)
        else:
            free_sum += yG
            n_free += 1
    rho = free_sum / n_free if n_free > 0 else (upper + lower) / 2.0
    return iterations, rho
# --8<-- [end:smo_loop]


@njit(cache=True)
def _decision_loop(K, coef, intercept, f):
    for i in range(K.shape[0]):
        # f(x_i) = Σ_s y_s α_s k(x_s, x_i) + b over the support vectors s
        total = intercept
        for s in range(K.shape[1]):
            total += coef[s] * K[i, s]
        f[i] = total


# in the order of _LINEAR, _POLYNOMIAL, _RBF, _SIGMOID (the kinds of _svc_rows)
_KERNELS = ("linear", "poly", "rbf", "sigmoid")


class KernelSVC:
    r"""Binary support-vector classifier on a kernel, trained by SMO as libsvm does.

    The dual problem is solved over the $N \times N$ Gram matrix of the training set, whose rows
    are computed when the solver first reads them (four at a time) and kept: only the rows of the
    points SMO visits are ever computed or take memory (at most $8N^2$ bytes, fine for up to some
    ten thousand samples; ``sklearn.svm.SVC`` keeps a bounded cache of rows instead). A callable
    kernel's Gram matrix is computed whole. The working-set selection is libsvm's second-order rule (WSS3, Fan, Chen & Lin 2005),
    without shrinking, so it reaches the same optimum as ``SVC`` to within ``tol``.

    Parameters
    ----------
    C : float, default 1.0
        Box constraint $C > 0$: the price of a margin violation.
    kernel : {"linear", "poly", "rbf", "sigmoid"} or callable, default "rbf"
        A callable is called as ``kernel(X, Y)`` with float64 arrays and must return the
        ``(len(X), len(Y))`` Gram matrix.
    degree : int, default 3
        $p$ of the polynomial kernel (a whole number $\ge 0$).
    gamma : {"scale", "auto"} or float, default "scale"
        $\gamma > 0$. ``"scale"`` is $1/(d \cdot \operatorname{Var} X)$ over all entries of the
        training ``X`` (1 when that variance is 0), ``"auto"`` is $1/d$, as in ``SVC``.
    coef0 : float, default 0.0
        $c_0$ of the polynomial and sigmoid kernels (``SVC``'s default, not the pairwise 1).
    tol : float, default 1e-3
        Stop when the largest violation of the optimality conditions is below ``tol``.
    max_iter : int, default -1
        Maximum SMO steps; -1 means libsvm's own cap, $\max(10^7, 100N)$. A warning is issued
        when the cap stops the solver.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels, sorted; ``classes_[1]`` is the positive class ($y = +1$).
    support_ : ndarray of shape (n_SV,)
        Indices of the support vectors in the training set, ascending (``SVC`` groups them by
        class).
    support_vectors_ : ndarray of shape (n_SV, d)
        The support vectors, float64.
    dual_coef_ : ndarray of shape (1, n_SV)
        $y_s \alpha_s$ of each support vector.
    intercept_ : ndarray of shape (1,)
        The bias $b$.
    n_iter_ : int
        SMO steps taken.

    Notes
    -----
    With labels $y_i \in \{-1, +1\}$ and $Q_{ij} = y_i y_j K_{ij}$, the dual problem and the
    decision function are

    $$
    \min_{\alpha}\ \tfrac12 \alpha^\top Q \alpha - \mathbf 1^\top \alpha
    \quad \text{s.t.}\quad 0 \le \alpha_i \le C,\ \ y^\top \alpha = 0,
    \qquad
    f(x) = \sum_{i=1}^{N} y_i \alpha_i\, k(x_i, x) + b,
    $$

    and ``predict`` returns ``classes_[1]`` where $f(x) > 0$. Training works in float64 whatever
    the input dtype (as ``SVC`` does): SMO adds up many small gradient updates, and float32
    rounding would stall the stopping test. ``decision_function`` returns the dtype of its input.
    """

    def __init__(self, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3, max_iter=-1):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter

    # ------------------------------------------------------------------ helpers
    def _check_params(self, X):
        C = check_real(self.C, "C", low=0.0, low_inclusive=False)
        tol = check_real(self.tol, "tol", low=0.0, low_inclusive=False)
        if isinstance(self.max_iter, (bool, np.bool_)) or not isinstance(self.max_iter, numbers.Integral):
            raise TypeError(f"max_iter must be an integer (-1 for no limit of our own), got {self.max_iter!r}")
        if self.max_iter == 0 or self.max_iter < -1:
            raise ValueError(f"max_iter must be -1 or a positive integer, got {self.max_iter}")
        if not callable(self.kernel) and self.kernel not in _KERNELS:
            raise ValueError(f"kernel must be one of {_KERNELS} or a callable, got {self.kernel!r}")
        degree = _check_degree(self.degree)
        coef0 = check_real(self.coef0, "coef0")
        if isinstance(self.gamma, str):
            if self.gamma == "scale":
                variance = X.var()
                gamma = 1.0 / (X.shape[1] * variance) if variance != 0 else 1.0
                if not (np.isfinite(gamma) and gamma > 0.0):  # Var X overflowed or is subnormal
                    raise ValueError(
                        f"X has a variance ({variance}) that gives no finite gamma='scale'; "
                        "rescale X or pass a float gamma"
                    )
            elif self.gamma == "auto":
                gamma = 1.0 / X.shape[1]
            else:
                raise ValueError(f"gamma must be 'scale', 'auto' or a float > 0, got {self.gamma!r}")
        else:
            gamma = check_real(self.gamma, "gamma", low=0.0, low_inclusive=False)
        return C, tol, degree, gamma, coef0

    def _gram(self, A, B):
        if callable(self.kernel):
            K = self.kernel(A, B)
            if not isinstance(K, np.ndarray) or K.shape != (A.shape[0], B.shape[0]):
                shape = getattr(K, "shape", type(K).__name__)
                raise ValueError(
                    f"kernel must return an array of shape ({A.shape[0]}, {B.shape[0]}) "
                    f"(len(X), len(Y)), got {shape}"
                )
            return as_float_array(K, "kernel(X, Y)", ndim=2, dtype=np.float64)
        if self.kernel == "linear":
            return linear_kernel(A, B)
        if self.kernel == "poly":
            return polynomial_kernel(A, B, degree=self._degree, gamma=self._gamma, coef0=self._coef0)
        if self.kernel == "rbf":
            return rbf_kernel(A, B, gamma=self._gamma)
        return sigmoid_kernel(A, B, gamma=self._gamma, coef0=self._coef0)

    def _training_gram(self, X):
        """(gram, diag) for `_smo_loop`: a named kernel's rows are computed as SMO asks for them."""
        n = X.shape[0]
        ready = np.zeros((n + TILE - 1) // TILE, dtype=np.bool_)
        if callable(self.kernel):
            K = np.ascontiguousarray(self._gram(X, X))
            ready[:] = True
            kernel = (_GIVEN, 0.0, 0.0, 0)
            x_sq, diag = np.zeros(n), np.diagonal(K).copy()
        else:
            # untouched rows cost address space only: the memory of a row is used when it is computed
            K = np.empty((n, n))
            kernel = (_KERNELS.index(self.kernel), float(self._gamma), float(self._coef0), int(self._degree))
            x_sq = _squared_norms(X)
            diag = _svc_diagonal(X, x_sq, kernel)
        return (K, ready, X, x_sq, kernel), diag

    def _check_fitted(self):
        if not hasattr(self, "dual_coef_"):
            raise ValueError("this KernelSVC is not fitted yet: call fit(X, y) first")

    def _check_X(self, X):
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.support_vectors_.shape[1]:
            raise ValueError(
                f"X must have {self.support_vectors_.shape[1]} features, as in fit, got {X.shape[1]}"
            )
        return X

    # ------------------------------------------------------------------ API
    def fit(self, X, y):
        r"""Solve the dual problem on the training set.

        Parameters
        ----------
        X : array_like of shape (N, d)
            Training samples, float32 or float64 (lists become float64), finite.
        y : array_like of shape (N,)
            Labels: exactly two distinct values of any sortable type (numbers, strings).

        Returns
        -------
        self : KernelSVC

        Raises
        ------
        TypeError
            If ``X`` is not a float array or a hyper-parameter has the wrong type.
        ValueError
            If ``X`` is not 2-D, empty or non-finite; if ``y`` is not 1-D of length $N$, holds
            NaN, or does not hold exactly two classes; if a hyper-parameter is out of range; if a
            callable kernel returns a wrong shape or non-finite values.
        """
        X = as_float_array(X, "X", ndim=2, dtype=np.float64)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with one label per row of X ({X.shape[0]}), got shape {y.shape}")
        if y.dtype.kind in "fc":
            check_finite(y, "y")
        classes = np.unique(y)
        if classes.shape[0] != 2:
            raise ValueError(
                f"y must hold exactly two classes (KernelSVC is binary), got {classes.shape[0]}: {classes[:5]}"
            )
        C, tol, self._degree, self._gamma, self._coef0 = self._check_params(X)
        n = X.shape[0]
        max_iter = max(10_000_000, 100 * n) if self.max_iter == -1 else int(self.max_iter)

        gram, diag = self._training_gram(X)
        # y_i = +1 for classes_[1], −1 for classes_[0]
        signs = np.where(y == classes[1], 1.0, -1.0)
        alpha = np.zeros(n)
        n_iter, rho = _smo_loop(gram, diag, signs, C, tol, max_iter, alpha)
        if n_iter >= max_iter:
            warnings.warn(
                f"KernelSVC: SMO stopped at max_iter={max_iter} before reaching tol={tol}",
                RuntimeWarning,
                stacklevel=2,
            )
        self.classes_ = classes
        self.support_ = np.flatnonzero(alpha > 0)
        self.support_vectors_ = X[self.support_]
        self.dual_coef_ = (signs * alpha)[self.support_][np.newaxis, :]
        self.intercept_ = np.array([-rho])
        self.n_iter_ = int(n_iter)
        return self

    def decision_function(self, X):
        r"""Signed score $f(x)$: positive for ``classes_[1]``.

        Parameters
        ----------
        X : array_like of shape (m, d)
            Samples, float32 or float64, finite, with as many features as in ``fit``.

        Returns
        -------
        f : ndarray of shape (m,)
            In the dtype of ``X`` (float64 for lists).

        Raises
        ------
        TypeError
            If ``X`` is not a float array.
        ValueError
            If the model is not fitted, or ``X`` is not 2-D, empty, non-finite or of the wrong
            width.
        """
        self._check_fitted()
        X = self._check_X(X)
        K = np.ascontiguousarray(self._gram(X.astype(np.float64), self.support_vectors_))
        f = np.empty(X.shape[0])
        _decision_loop(K, np.ascontiguousarray(self.dual_coef_[0]), float(self.intercept_[0]), f)
        return f.astype(X.dtype, copy=False)

    def predict(self, X):
        r"""Class labels: ``classes_[1]`` where $f(x) > 0$, else ``classes_[0]``.

        Parameters
        ----------
        X : array_like of shape (m, d)
            Samples, as for :meth:`decision_function`.

        Returns
        -------
        labels : ndarray of shape (m,)
            Values taken from ``classes_``.

        Raises
        ------
        TypeError, ValueError
            As :meth:`decision_function`.
        """
        f = self.decision_function(X)
        return self.classes_[(f > 0).astype(np.intp)]

    def score(self, X, y):
        r"""Accuracy: the fraction of rows of ``X`` whose predicted label equals ``y``.

        Parameters
        ----------
        X : array_like of shape (m, d)
            Samples, as for :meth:`decision_function`.
        y : array_like of shape (m,)
            True labels.

        Returns
        -------
        accuracy : float

        Raises
        ------
        TypeError, ValueError
            As :meth:`decision_function`; ``ValueError`` if ``y`` is not 1-D of length $m$ or holds
            NaN or inf.
        """
        predicted = self.predict(X)
        y = np.asarray(y)
        if y.shape != predicted.shape:
            raise ValueError(f"y must be 1-D with one label per row of X ({predicted.shape[0]}), got shape {y.shape}")
        if y.dtype.kind in "fc":  # as in fit: a NaN label would silently count as a miss
            check_finite(y, "y")
        return float(np.mean(predicted == y))
