r"""$e^x$ for $x \le 0$ written as plain arithmetic, so that a compiled loop calling it is vectorised.

numba compiles ``math.exp`` to a call of the C library, one element at a time: in a softmax
over a 4096 × 1000 batch that call alone took 5× PyTorch's whole forward and backward pass
(PyTorch evaluates ``exp`` on SIMD registers). `exp` below is the textbook method, and it is
made of multiplications, additions and one integer shift, which the compiler vectorises:

$$
x = n \ln 2 + r, \quad n = \operatorname{round}(x / \ln 2),\ |r| \le \tfrac{\ln 2}{2}, \qquad
e^x = 2^n\, e^r, \quad e^r \approx \sum_{k=0}^{K} \frac{r^k}{k!} .
$$

$\ln 2$ is split in a high part with trailing zero bits (so that $n \ln 2_\text{hi}$ is exact)
and a low part (Cody and Waite). The Taylor polynomial is cut at $K = 7$ in float32 and
$K = 13$ in float64, where the next term is below half an ulp for $|r| \le \ln 2 / 2$; $2^n$ is
built directly in the exponent bits. The domain is $x \le 0$, all that a shifted softmax
($z - \max z$) needs: there $e^x \in (0, 1]$ never overflows. Inputs whose $e^x$ would be
subnormal ($x < -87.34$ in float32, $x < -708.4$ in float64, $e^x < 10^{-38}$ resp.
$10^{-307}$) return 0, a flush to zero that no sum of softmax terms $\ge 1$ can notice; NaN
returns NaN. On that domain the result is within 3 ulp (float32) and 1 ulp (float64) of ``numpy.exp`` (tested).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

_LOG2_E = 1.4426950408889634
# ln 2 = _LN2_HI + _LN2_LO, with _LN2_HI exact in float32 (its last 12 bits are zero)
_LN2_HI = 0.693145751953125
_LN2_LO = 1.4286068203094173e-06


if numba.config.DISABLE_JIT:
    # Plain Python (the coverage run): the same reinterpretation through a NumPy view.
    def _float_from_bits(bits):
        bits = np.asarray(bits)
        return bits.view(np.float32 if bits.dtype == np.int32 else np.float64)[()]

else:

    @intrinsic
    def _float_from_bits(typingctx, bits):
        """Reinterpret an int32 as float32, or an int64 as float64 (the bits are kept, not the value)."""
        if bits == types.int32:
            result = types.float32
        elif bits == types.int64:
            result = types.float64
        else:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.FloatType() if result == types.float32 else ir.DoubleType())

        return result(bits), codegen


if numba.config.DISABLE_JIT:

    def _bits_from_float(value):
        return np.asarray(value, np.float32).view(np.int32)[()]

    def _fma32(a, b, c):
        # a·b is exact in float64 (24 + 24 bits); the sum is rounded to float64, then to float32
        return np.float32(np.float64(a) * np.float64(b) + np.float64(c))

else:

    @intrinsic
    def _bits_from_float(typingctx, value):
        """Reinterpret a float32 as int32 (the inverse of `_float_from_bits`)."""
        if value != types.float32:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(32))

        return types.int32(value), codegen

    @intrinsic
    def _fma32(typingctx, a, b, c):
        """a·b + c of float32 values rounded once (LLVM's fma: one vfmadd on x86-64 with FMA)."""
        if not a == b == c == types.float32:
            return None

        def codegen(context, builder, signature, args):
            return builder.fma(*args)

        return types.float32(a, b, c), codegen


def exp_nonpositive(x):
    r"""$e^x$ for $x \le 0$ in compiled code (float32 or float64); see the module's docstring."""
    # plain Python (NUMBA_DISABLE_JIT=1) runs the same arithmetic; compiled code inlines the overload
    return _exp32(x) if np.asarray(x).dtype == np.float32 else _exp64(np.float64(x))


def _exp32(x):
    if x != x:  # NaN
        return x
    if x < np.float32(-87.336544):  # ln(smallest normal float32)
        return np.float32(0.0)
    # n = round(x / ln 2), r = x − n ln 2 (two steps: n ln2_hi is exact)
    n = np.floor(x * np.float32(_LOG2_E) + np.float32(0.5))
    r = (x - n * np.float32(_LN2_HI)) - n * np.float32(_LN2_LO)
    # e^r ≈ Σ_{k ≤ 7} r^k / k!, by Horner's rule
    p = np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + np.float32(1.0)
    p = p * r + np.float32(1.0)
    # 2^n: the biased exponent n + 127 in bits 23..30 of a float32
    return p * _float_from_bits(np.int32((np.int32(n) + np.int32(127)) << np.int32(23)))


def _exp64(x):
    if x != x:  # NaN
        return x
    if x < -708.3964185322641:  # ln(smallest normal float64)
        return 0.0
    n = np.floor(x * _LOG2_E + 0.5)
    return _exp64_reduced((x - n * _LN2_HI) - n * _LN2_LO, n)


@numba.njit(inline="always")
def _exp64_reduced(r, n):
    # e^r·2^n for |r| ≤ ln 2 / 2: e^r ≈ Σ_{k ≤ 13} r^k / k!
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2^n: the biased exponent n + 1023 in bits 52..62 of a float64
    return p * _float_from_bits((np.int64(n) + np.int64(1023)) << np.int64(52))


def _by_dtype(function, for_float32, for_float64):
    """Compiled calls of ``function`` run ``for_float32`` or ``for_float64``, by the argument's type."""
    @overload(function, inline="always")
    def _overload(x):
        return {types.float32: for_float32, types.float64: for_float64}.get(x)


_by_dtype(exp_nonpositive, _exp32, _exp64)


def tanh_real(x):
    r"""$\tanh x$ from `exp_nonpositive`, in the arithmetic of $x$ (float32 or float64): vectorisable.

    With $u = |x|$ and $d = e^{-2u} - 1$, $\tanh u = -d / (2 + d)$; the subtraction in $d$ loses
    digits when $u$ is small, so there the odd Taylor series of $\tanh$ takes over: below
    $u = 0.05$ in float64, five terms up to $62u^9/2835$ (the next is below $10^{-15} u$), and
    below $u = 0.55$ in float32, nine terms up to $u^{17}$ (above 0.55, $d$ loses at most a bit).
    Both forms are computed and one is kept, so the compiler needs no branch; $\tanh$ is odd.
    Within 3 ulp of ``numpy.tanh`` in float32 (2.5 measured), 8 in float64 (tested).
    """
    # plain Python (NUMBA_DISABLE_JIT=1) runs the same arithmetic; compiled code inlines the overload
    return _tanh32(x) if np.asarray(x).dtype == np.float32 else _tanh64(np.float64(x))


def _tanh64(x):
    u = abs(x)
    d = exp_nonpositive(-2.0 * u) - 1.0
    t = -d / (2.0 + d)
    u2 = u * u
    series = u * (1.0 + u2 * (-1.0 / 3.0 + u2 * (2.0 / 15.0 + u2 * (-17.0 / 315.0 + u2 * (62.0 / 2835.0)))))
    t = series if u < 0.05 else t
    return t if x >= 0.0 else -t


# tanh u = Σ_k c_k u^{2k+1} (c_k from the Bernoulli numbers), nine terms for float32 below u = 0.55
_TANH32_SERIES = tuple(np.float32(c) for c in (
    1.0, -1.0 / 3.0, 2.0 / 15.0, -17.0 / 315.0, 62.0 / 2835.0, -1382.0 / 155925.0, 21844.0 / 6081075.0,
    -929569.0 / 638512875.0, 6404582.0 / 10854718875.0))
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7, _T8 = _TANH32_SERIES
_TANH32_SERIES_END = np.float32(0.55)


def _tanh32(x):
    u = abs(x)
    one = np.float32(1.0)
    d = exp_nonpositive(np.float32(-2.0) * u) - one
    t = -d / (np.float32(2.0) + d)
    u2 = u * u
    series = u * (_T0 + u2 * (_T1 + u2 * (_T2 + u2 * (_T3 + u2 * (_T4 + u2 * (_T5 + u2 * (_T6 + u2 * (_T7 + u2 * _T8))))))))
    t = series if u < _TANH32_SERIES_END else t
    return t if x >= np.float32(0.0) else -t


_by_dtype(tanh_real, _tanh32, _tanh64)


# erfc_real's g(t) = ln(erfc(u)/t) + u² on t ∈ (0, 1], t = 2/(2 + u), is (y − 1)·h(y) with y = 2t − 1
# and h a polynomial of degree 29: the Chebyshev interpolant of g/(y − 1) at 30 nodes computed in
# 50-digit arithmetic (mpmath; (y − 1)·h within 4.2e-19 of g on the whole interval), written in powers
# of y. Its coefficients sum to 0.73 in absolute value, so the sum in float64 loses no digit (g within
# 2 float64 epsilons, measured).
# Veltkamp's constant 2^27 + 1: splits a float64 into two halves of 26 bits, whose products are exact
_SPLIT = 134217729.0


@numba.njit(inline="always")
def _exp_sum64(a, b):
    """e^{a + b} for a + b ≤ 0 without rounding a + b first: a large and exact, b of order 1."""
    if a + b < -708.3964185322641:  # ln(smallest normal float64): flush to 0
        return 0.0
    n = np.floor((a + b) * _LOG2_E + 0.5)
    # a − n·ln2_hi is exact (Sterbenz: both within a factor 2 when they are large), so r keeps b's digits
    return _exp64_reduced(((a - n * _LN2_HI) + b) - n * _LN2_LO, n)


@numba.njit(inline="always")
def erfc_real(x):
    r"""$\operatorname{erfc} x$ of a float64 as plain arithmetic: vectorisable, within a few ulp of ``math.erfc``.

    For $u = |x|$ and $t = 2/(2 + u) \in (0, 1]$, $\operatorname{erfc} u = t\, e^{-u^2 + g(t)}$ with
    $g$ smooth on the whole half-line (Press et al., *Numerical Recipes*, 3rd ed., §6.2.2), summed
    here as $(y - 1)$ times a polynomial of degree 29 in $y = 2t - 1$ (a Chebyshev fit), by Estrin's scheme. $u^2$ is split exactly
    (Veltkamp: $u = u_h + u_l$, $u_h^2$ exact), so that $e^{-u^2}$ does not inherit a rounding of
    $u^2 \approx 700$ (which alone would cost 1e-13). erfc is even about 1: $\operatorname{erfc}(-u) = 2 - \operatorname{erfc} u$.
    Within 8 ulp of ``math.erfc`` (measured: 6); results below the smallest normal float64 ($u > 26.55$) are 0. Not for fast-math loops:
    contracting the split into a fused multiply-add would break it.
    """
    # beyond 27, erfc u < 1e-318 flushes to 0 anyway; clamping keeps u² finite for any input
    u = min(abs(x), 27.0)
    t = 2.0 / (2.0 + u)
    # g(t) = (y − 1)·Σ_i a_i·y^i, y = 2t − 1 (g = 0 exactly at u = 0, so erfc 0 = 1 exactly), the sum by
    # Estrin's scheme: pairs a_i + a_{i+1}·y, then pairs of pairs with y², y⁴, y⁸, y¹⁶, a tree 5
    # operations deep. Horner's (or Clenshaw's) chain of 30 dependent steps ran 5× slower: each
    # waits for the one before, however wide the vector registers.
    y = 2.0 * t - 1.0
    y2 = y * y
    y4 = y2 * y2
    y8 = y4 * y4
    y16 = y8 * y8
    p0 = 0.6717940840566923 + -0.0008491399209645268 * y
    p1 = -0.04819244676286868 + -0.0012968365316843226 * y
    p2 = 0.00857585283468481 + -0.00024908572275314674 * y
    p3 = -0.0020080192799381068 + 0.0003377932278851628 * y
    p4 = 0.0004840400817830855 + -0.00018963879463279644 * y
    p5 = -9.590367534201347e-05 + 7.839983092035255e-05 * y
    p6 = 6.998282358406185e-06 + -2.4749479967193234e-05 * y
    p7 = 5.440626097759132e-06 + 5.3111703206109115e-06 * y
    p8 = -3.25797402246324e-06 + -3.2873176374505775e-07 * y
    p9 = 9.573130881646422e-07 + -2.624402607731721e-07 * y
    p10 = -1.1477193859014001e-07 + 1.0019145231101909e-07 * y
    p11 = -3.0595090230678246e-08 + -4.657501171025943e-09 * y
    p12 = 1.7504818964449483e-08 + -7.913554733839475e-09 * y
    p13 = -3.49104893785375e-09 + 2.7845993803686626e-09 * y
    p14 = 2.6964320074369565e-10 + -3.355004708653087e-10 * y
    q0 = p0 + p1 * y2
    q1 = p2 + p3 * y2
    q2 = p4 + p5 * y2
    q3 = p6 + p7 * y2
    q4 = p8 + p9 * y2
    q5 = p10 + p11 * y2
    q6 = p12 + p13 * y2
    q7 = p14
    r0 = q0 + q1 * y4
    r1 = q2 + q3 * y4
    r2 = q4 + q5 * y4
    r3 = q6 + q7 * y4
    g = (y - 1.0) * ((r0 + r1 * y8) + (r2 + r3 * y8) * y16)
    # u² = u_h² + (2·u_h·u_l + u_l²), u_h² exact
    v = _SPLIT * u
    u_h = v - (v - u)
    u_l = u - u_h
    erfc_u = t * _exp_sum64(-(u_h * u_h), g - (2.0 * u_h * u_l + u_l * u_l))
    return erfc_u if x >= 0.0 else 2.0 - erfc_u


@numba.njit(inline="always")
def log1p_unit(e):
    r"""$\ln(1 + e)$ for $e \in [0, 1]$ of a float64 as plain arithmetic: vectorisable, within 8 ulp of ``numpy.log1p`` (measured: 5).

    $\ln(1 + e) = 2 \operatorname{artanh} s$ with $s = e/(2 + e) \in [0, 1/3]$, computed without
    cancellation, and $\operatorname{artanh} s = \sum_{k \ge 0} s^{2k+1}/(2k+1)$: with $s^2 \le 1/9$,
    the terms up to $k = 17$ leave less than $10^{-18}$ relative. The domain is what
    $\ln(1 + e^{-|z|})$ needs (binary cross-entropy from logits, softplus).
    """
    s = e / (2.0 + e)
    w = s * s
    # Σ_{k ≤ 17} w^k/(2k + 1) by Estrin's scheme (pairs, then pairs of pairs): a shallow tree, not a
    # chain of 17 dependent steps
    w2 = w * w
    w4 = w2 * w2
    w8 = w4 * w4
    w16 = w8 * w8
    p0 = 1.0 + w * (1.0 / 3.0)
    p1 = 1.0 / 5.0 + w * (1.0 / 7.0)
    p2 = 1.0 / 9.0 + w * (1.0 / 11.0)
    p3 = 1.0 / 13.0 + w * (1.0 / 15.0)
    p4 = 1.0 / 17.0 + w * (1.0 / 19.0)
    p5 = 1.0 / 21.0 + w * (1.0 / 23.0)
    p6 = 1.0 / 25.0 + w * (1.0 / 27.0)
    p7 = 1.0 / 29.0 + w * (1.0 / 31.0)
    p8 = 1.0 / 33.0 + w * (1.0 / 35.0)
    q0 = p0 + p1 * w2
    q1 = p2 + p3 * w2
    q2 = p4 + p5 * w2
    q3 = p6 + p7 * w2
    series = ((q0 + q1 * w4) + (q2 + q3 * w4) * w8) + p8 * w16
    # ln(1 + e) = 2·artanh s = 2s·Σ_k s^{2k}/(2k + 1)
    return 2.0 * s * series


# ---------------------------------------------------------------- float32 Gaussian tails
# The float32 forms below compute in float32 throughout, at twice the SIMD width of float64, with
# fused multiply-adds (_fma32) where a rounding would cost digits. Their rational coefficients are
# weighted-minimax fits (Lawson's iteration on 12,000 Chebyshev-spaced points of [0, 13.5], the
# reference from mpmath in 40-digit arithmetic), rounded to float32.
_F32 = np.float32
# e^r ≈ 1 + r + r²·(E2 + E3·r + E4·r² + E5·r³ + E6·r⁴) on |r| ≤ ln 2 / 2 (minimax, within 3.2e-9
# relative: a degree lower than exp_nonpositive's Taylor polynomial for the same accuracy)
_E2, _E3, _E4, _E5, _E6 = (_F32(0.4999999403953552), _F32(0.1666651964187622), _F32(0.041668590158224106),
                           _F32(0.00836877804249525), _F32(0.0013803297188133001))
# 1.5·2^23: a float32 t = 1.5·2^23 + k + z holds round(z) in its last bits (its ulp is 1)
_ROUNDER32 = 1.5 * 2.0**23
_TAIL_ROUNDER32 = _F32(_ROUNDER32)
# Beyond |x| = 13.5 (e^{−x²/2} < 3e-40) the results below are flushed to 0 anyway: the clamp keeps
# every intermediate finite
_TAIL_END32 = _F32(13.5)
_LOG2_E32, _NEG_LN2_HI32, _LN2_LO32 = _F32(_LOG2_E), _F32(-_LN2_HI), _F32(_LN2_LO)
_TWO_LN2_HI32, _TWO_LN2_LO32 = _F32(2.0 * _LN2_HI), _F32(2.0 * _LN2_LO)
# e^r's polynomial in ρ = −2r: 1 − ρ/2 + ρ²·(G2 + G3·ρ + G4·ρ² + G5·ρ³ + G6·ρ⁴), G_k = E_k·(−½)^k (exact)
_G2, _G3, _G4, _G5, _G6 = (_F32(float(c) * (-0.5) ** k) for k, c in enumerate((_E2, _E3, _E4, _E5, _E6), start=2))


@numba.njit(inline="always")
def _reduce_half_square32(u, rounder):
    """n and ρ with −u²/2 = n·ln 2 − ρ/2, |ρ| ≤ ln 2, for a float32 u ≥ 0; t holds n + k in its last bits.

    u² is never rounded: the fused multiply-add forms u² + 2n·ln2_hi exactly and rounds only ρ,
    which is small. Rounded first, u²/2 ≈ 87 would carry an error of 4e-6, 30 ulp of e^{−u²/2}.
    """
    t = _fma32(u * _F32(-0.5 * _LOG2_E), u, rounder)
    n = t - rounder
    # n·2ln2_hi is exact (8 + 15 bits)
    return n, _fma32(n, _TWO_LN2_LO32, _fma32(u, u, n * _TWO_LN2_HI32)), t


@numba.njit(inline="always")
def _exp_minus_half32(rho, one):
    """one·e^{−ρ/2} for |ρ| ≤ ln 2: the minimax polynomial in r = −ρ/2, its coefficients scaled by powers of 2."""
    rho2 = rho * rho
    poly = _fma32(rho2, _fma32(rho2, _G6 * one, _fma32(_G5 * one, rho, _G4 * one)), _fma32(_G3 * one, rho, _G2 * one))
    return _fma32(rho, _fma32(rho, poly, _F32(-0.5) * one), one)


@numba.njit(inline="always")
def _times_2n32(p, t):
    """p·2^{n + k} for p in [2^-2, 2): n + k from t's last bits added to p's exponent bits (exact)."""
    return _float_from_bits(np.int32(_bits_from_float(p) + np.int32(_bits_from_float(t) << np.int32(23))))


# 2^{n + 24}: exp_nonpositive32 builds 24 more in the exponent bits (normal down to n = −149), and
# takes them off in float64
_UNDERFLOW_SHIFT = 24
_EXP32_ROUNDER = _F32(_ROUNDER32 + _UNDERFLOW_SHIFT)
_EXP32_LOWEST_N = _F32(-125.0 - _UNDERFLOW_SHIFT)
_EXP32_UNSHIFT = 2.0**-_UNDERFLOW_SHIFT


@numba.njit(inline="always")
def exp_nonpositive32(z):
    r"""$e^z$ of a float64 $z \le 0$ to float32 precision, in float32 arithmetic: vectorisable, within 1.5 ulp.

    For an argument that float32 cannot hold exactly (as $2u$ of GELU's tanh form, up to 87 in
    magnitude, where rounding it to float32 alone would cost 30 ulp of $e^z$). $z$ is split into
    float32 $a + b$ ($a$ is $z$ rounded, $b$ the rest), and the reduction of `exp_nonpositive`
    ($a - n \ln 2_\text{hi}$ exact) keeps the digits of both; $e^r$ is the minimax polynomial of
    `normal_tail32`. The result is returned as a float64 ($e^r \cdot 2^{n + 24}$ built in float32,
    the $2^{-24}$ applied in float64), so that it keeps its 24 bits below float32's normal range
    too, down to $2^{-149}$ ($z \ge -103.3$); below, it is 0. Within 1.5 float32 ulp of
    ``numpy.exp`` (tested; measured: 0.9). NaN gives NaN.
    """
    v = max(z, -104.0)  # e^{-104} < 2^-149; keeps float32(v) finite
    a = np.float32(v)
    b = np.float32(v - np.float64(a))
    t = _fma32(a, _LOG2_E32, _EXP32_ROUNDER)
    n = t - _EXP32_ROUNDER
    # a − n·ln2_hi is exact (n ≠ 0 only for |a| > 0.34: both multiples of 2^-25, the difference below 0.35)
    r = _fma32(n, _NEG_LN2_HI32, a) + _fma32(-n, _LN2_LO32, b)
    r2 = r * r
    poly = _fma32(r2, _fma32(r2, _E6, _fma32(_E5, r, _E4)), _fma32(_E3, r, _E2))
    e = np.float64(_times_2n32(_fma32(r, _fma32(r, poly, _F32(1.0)), _F32(1.0)), t)) * _EXP32_UNSHIFT
    return 0.0 if n < _EXP32_LOWEST_N else e


# erfcx(u/√2) = (q(u) + u·p(u)) / ((1 + u)·q(u)) on [0, 13.5]: (1 + u)·erfcx(u/√2) stays within
# [0.85, 1.06], so u·p/q is a small correction and the errors of q cancel between numerator and
# denominator (fit: within 2.2e-9 relative)
_TP0, _TP1, _TP2, _TP3, _TP4 = (_F32(0.20211558043956757), _F32(0.04642520472407341), _F32(-0.021181946620345116),
                                _F32(-0.012985608540475368), _F32(-0.002453557914122939))
_TQ1, _TQ2, _TQ3, _TQ4, _TQ5 = (_F32(1.7035434246063232), _F32(1.2479110956192017), _F32(0.5000494122505188),
                                _F32(0.11215391010046005), _F32(0.012139725498855114))
# e^r·2^n with e^r ≥ 0.7 (exponent bits 126) is normal for n ≥ −125; below, e is flushed to 0
_TAIL_LOWEST_N = _F32(-125.0)


@numba.njit(inline="always")
def normal_tail32(x):
    r"""$\Phi(-|x|)$ of a float32 as two float32 factors $s \cdot e$: vectorisable, within 4 ulp.

    With $u = |x|$, $\Phi(-u) = \tfrac12 \operatorname{erfc}(u/\sqrt2) = s\,e$, where
    $e = e^{-x^2/2}$ and $s = \tfrac12 \operatorname{erfcx}(u/\sqrt2)$ is the smooth part,

    $$
    s = \frac{q(u) + u\,p(u)}{2\,(1 + u)\,q(u)}, \qquad \deg p = 4,\ \deg q = 5 ,
    $$

    a rational fit in which $u\,p/q$ is a small correction to 1 (the errors of $q$ cancel).
    $e = 2^n e^r$ as in `exp_nonpositive`, but $x^2/2$ is never rounded: one fused multiply-add
    forms $r = -x^2/2 - n \ln 2_\text{hi}$ exactly before rounding it (a rounded
    $x^2/2 \approx 87$ alone would cost 30 ulp); $e^r$ is a minimax polynomial. $e$ is
    flushed to 0 below float32's normal range ($|x| > 13.19$), where $x\,\Phi(-|x|)$ is
    subnormal (from $|x| > 13.15$). Kept apart, the factors let a caller form $x\,s\,e$ with the
    small factor last: $\Phi(-|x|)$ itself is subnormal from $|x| > 12.95$, $x\,\Phi(-|x|)$ is not.
    $s\,e$ is within 4 ulp of $\tfrac12$ ``math.erfc``$(|x|/\sqrt2)$ (tested; measured: 3.3);
    $s = \tfrac12$ and $e = 1$ exactly at $x = 0$. NaN gives NaN (in $s$).
    """
    u = min(abs(x), _TAIL_END32)
    n, rho, t = _reduce_half_square32(u, _TAIL_ROUNDER32)
    e = _times_2n32(_exp_minus_half32(rho, _F32(1.0)), t)
    p = _fma32(_fma32(_fma32(_fma32(_TP4, u, _TP3), u, _TP2), u, _TP1), u, _TP0)
    q = _fma32(_fma32(_fma32(_fma32(_fma32(_TQ5, u, _TQ4), u, _TQ3), u, _TQ2), u, _TQ1), u, _F32(1.0))
    q2 = q + q
    s = _fma32(u, p, q) / _fma32(u, q2, q2)
    return s, (e if n >= _TAIL_LOWEST_N else _F32(0.0))


# J(u) = Φ(−u)/φ(u) − u (Mills's ratio less u) has one root, u₀ = 0.75179152469356445746 (GELU has
# its minimum at −u₀): J(u) = (u₀ − u)·(1 + p(u)/q(u)) on [0, 13.5] (1 + p/q within [1.05, 1.67];
# fit: within 2.8e-10 relative). u₀ = _GAP_ROOT_HI + _GAP_ROOT_LO, the high part a float32.
_GAP_ROOT_HI, _GAP_ROOT_LO = 0.7517915368080139, -1.211444988769017e-08
_GP0, _GP1, _GP2, _GP3, _GP4 = (_F32(0.6671032905578613), _F32(0.6202971339225769), _F32(0.2603290379047394),
                                _F32(0.05625016242265701), _F32(0.005354472901672125))
_GQ1, _GQ2, _GQ3, _GQ4, _GQ5 = (_F32(1.5936087369918823), _F32(1.0814415216445923), _F32(0.39497753977775574),
                                _F32(0.07894321531057358), _F32(0.0071222358383238316))
# d = φ·2^6: φ(x)·J(|x|) is normal out to |x| = 13.34, φ itself only to 13.15
_GAP_SCALE = 6
_GAP_DOWN = _F32(2.0**-_GAP_SCALE)
_GAP_ROOT_HI32, _GAP_ROOT_LO32 = _F32(_GAP_ROOT_HI * 2.0**-_GAP_SCALE), _F32(_GAP_ROOT_LO * 2.0**-_GAP_SCALE)
_GAP_ROUNDER32 = _F32(_ROUNDER32 + _GAP_SCALE)
_INV_SQRT_2PI = 0.3989422804014327
# φ(0): d's polynomial is e^r's times φ(0); the 2^6 goes into the exponent bits
_D0 = _F32(_INV_SQRT_2PI)
# φ(0)·e^r ≥ 0.28 (exponent bits 124): d = φ(0)·e^r·2^{n + 6} is normal for n ≥ −129
_GAP_LOWEST_N = _F32(-123.0 - _GAP_SCALE)


@numba.njit(inline="always")
def mills_gap32(x):
    r"""$\varphi(x)$ and $J(|x|) = \Phi(-|x|)/\varphi(x) - |x|$ of a float32 as factors $d, j$: within 4 ulp, no cancellation.

    $\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}$. The slope of GELU, $\Phi(x) + x\,\varphi(x)$, is
    $d\,j$ for $x < 0$ and $1 - d\,j$ for $x \ge 0$ ($\Phi(x) = 1 - \Phi(-x)$), with
    $d = 2^6 \varphi(x)$ and $j = 2^{-6} J(|x|)$. Summed as written, $\Phi(x) + x\,\varphi(x)$
    cancels near its root $x = -u_0 = -0.7518$ (the minimum of GELU), where it loses every
    digit; $J$ is computed here as a product through that root,

    $$
    J(u) = (u_0 - u)\left(1 + \frac{p(u)}{q(u)}\right), \qquad \deg p = 4,\ \deg q = 5 ,
    $$

    with $u_0 - u$ exact near $u_0$ ($u_0$ in two float32 parts) and $1 + p/q$ between 1.05
    and 1.67. $\varphi(x)$ is computed as $e$ of `normal_tail32`, its polynomial scaled by
    $2^6/\sqrt{2\pi}$; the $2^6$ keeps $d$ normal wherever $d\,j$ is (out to $|x| = 13.34$, where
    $\varphi$ is subnormal from 13.15); $d$ is flushed to 0 beyond $|x| = 13.40$.
    $\Phi(x) + x\,\varphi(x)$ so formed is within 4 ulp of ``math.erfc`` and ``math.exp`` in
    float64 on the whole line, its root included (tested; measured: 3.3). NaN gives NaN (in $j$).
    """
    w = abs(x)
    u = min(w, _TAIL_END32)
    n, rho, t = _reduce_half_square32(u, _GAP_ROUNDER32)
    d = _times_2n32(_exp_minus_half32(rho, _D0), t)
    p = _fma32(_fma32(_fma32(_fma32(_GP4, u, _GP3), u, _GP2), u, _GP1), u, _GP0)
    q = _fma32(_fma32(_fma32(_fma32(_fma32(_GQ5, u, _GQ4), u, _GQ3), u, _GQ2), u, _GQ1), u, _F32(1.0))
    # 2^-6·(u₀ − |x|): exact near u₀ (Sterbenz); |x| unclamped, so that NaN stays NaN
    v = (_GAP_ROOT_HI32 - w * _GAP_DOWN) + _GAP_ROOT_LO32
    return (d if n >= _GAP_LOWEST_N else _F32(0.0)), _fma32(v, p / q, v)


@numba.njit(inline="always")
def row_max(z, m):
    """max_k z_mk in the dtype of z, as eight running maxima combined at the end: eight independent
    comparisons a step instead of one chain (numba does not vectorise a maximum without the "nnan"
    flag, which the package does not allow). A cross-entropy over 4096 × 1000 float32 logits took
    2.2 ms with the chain, 1.4 ms with this (the rows were already scanned for NaN and inf)."""
    n = z.shape[1]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = z[m, 0]
    k = 0
    while k + 8 <= n:
        m0 = max(m0, z[m, k])
        m1 = max(m1, z[m, k + 1])
        m2 = max(m2, z[m, k + 2])
        m3 = max(m3, z[m, k + 3])
        m4 = max(m4, z[m, k + 4])
        m5 = max(m5, z[m, k + 5])
        m6 = max(m6, z[m, k + 6])
        m7 = max(m7, z[m, k + 7])
        k += 8
    for k in range(k, n):
        m0 = max(m0, z[m, k])
    return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
