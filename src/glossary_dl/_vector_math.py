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
    r = (x - n * _LN2_HI) - n * _LN2_LO
    # e^r ≈ Σ_{k ≤ 13} r^k / k!
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


@overload(exp_nonpositive, inline="always")
def _exp_nonpositive_overload(x):
    if x == types.float32:
        return _exp32
    if x == types.float64:
        return _exp64
    return None


@numba.njit(inline="always")
def tanh_real(x):
    r"""$\tanh x$ of a float64 from `exp_nonpositive`: vectorisable, within a few ulp of ``math.tanh``.

    With $u = |x|$ and $d = e^{-2u} - 1$, $\tanh u = -d / (2 + d)$; the subtraction in $d$ loses
    digits when $u$ is small, so below $u = 0.05$ the Taylor series
    $u - u^3/3 + 2u^5/15 - 17u^7/315 + 62u^9/2835$ takes over (the next term is below $10^{-15} u$
    there). Both are computed and one is kept, so the compiler needs no branch; $\tanh$ is odd.
    """
    u = abs(x)
    d = exp_nonpositive(-2.0 * u) - 1.0
    t = -d / (2.0 + d)
    u2 = u * u
    series = u * (1.0 + u2 * (-1.0 / 3.0 + u2 * (2.0 / 15.0 + u2 * (-17.0 / 315.0 + u2 * (62.0 / 2835.0)))))
    t = series if u < 0.05 else t
    return t if x >= 0.0 else -t
