"""glossary_dl.initializers against the schemes' math, Keras 3 and PyTorch.

The initializers are random, so most checks are statistical. Each uses a large sample and a
tolerance of 5 standard errors of the statistic, worked out from the distribution's own moments
(a correct sampler fails such a check with probability below 1e-6); the seeds are fixed, so every
run draws the same numbers. Distributions are compared with other libraries' samples by the
two-sample Kolmogorov–Smirnov statistic D against its critical value at α = 0.001.
"""

import math
import re

import keras
import numpy as np
import pytest
import torch
from scipy import stats

from glossary_dl import initializers
from glossary_dl.initializers import (
    compute_fans,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    lecun_normal,
    lecun_uniform,
)

INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
}
UNIFORM = [name for name in INITIALIZERS if name.endswith("uniform")]
NORMAL = [name for name in INITIALIZERS if name.endswith("normal")]


def stated_variance(name, fan_in, fan_out):
    """The variance each scheme promises: 2/(fi+fo), 2/fi, 1/fi."""
    scheme = name.split("_")[0]
    return {"glorot": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}[scheme]


# kurtosis E[w⁴]/E[w²]² of the two shapes: uniform 9/5; normal truncated at ±2σ_raw from scipy
KURTOSIS_UNIFORM = 9.0 / 5.0
KURTOSIS_TRUNCATED = float(stats.truncnorm(-2.0, 2.0).stats(moments="k")) + 3.0
# (shape in the Keras layout, its fan-in, its fan-out), written out by hand
SHAPES = [((400, 250), 400, 250), ((3, 3, 40, 60), 360, 540)]


def ks_critical(n, m, c_alpha=1.949):
    """Critical value of the two-sample KS statistic at α = 0.001 (c(α) = √(−ln(α/2)/2))."""
    return c_alpha * math.sqrt((n + m) / (n * m))


def keras_sample(name, shape, seed):
    cls = {
        "glorot_uniform": keras.initializers.GlorotUniform,
        "glorot_normal": keras.initializers.GlorotNormal,
        "he_uniform": keras.initializers.HeUniform,
        "he_normal": keras.initializers.HeNormal,
        "lecun_uniform": keras.initializers.LecunUniform,
        "lecun_normal": keras.initializers.LecunNormal,
    }[name]
    # a torch tensor on this backend (keras.ops.convert_to_numpy warns under numpy 2)
    return cls(seed=seed)(shape, dtype="float32").detach().numpy()


# ---------------------------------------------------------------- fans
TORCH_LAYOUT = [(3, 5), (1, 7), (3, 3, 4, 8), (5, 2, 6), (2, 3, 3, 4, 5)]


@pytest.mark.oracle
@pytest.mark.parametrize("shape", TORCH_LAYOUT, ids=str)
@pytest.mark.verifies("glossary_dl.initializers.compute_fans", oracle="keras")
def test_compute_fans_matches_keras_and_torch(shape):
    # Keras (..., in, out) is torch (out, in, ...): the same kernel, axes moved
    torch_shape = (shape[-1], shape[-2], *shape[:-2])
    torch_fans = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(torch_shape))
    keras_fans = keras.src.initializers.random_initializers.compute_fans(shape)
    assert compute_fans(shape) == tuple(keras_fans) == tuple(torch_fans)


@pytest.mark.oracle
@pytest.mark.parametrize("shape", [(7,), ()], ids=str)
def test_compute_fans_of_vectors_and_scalars_follows_keras(shape):
    # torch refuses tensors of fewer than 2 dimensions; Keras gives (n, n) and (1, 1)
    assert compute_fans(shape) == tuple(keras.src.initializers.random_initializers.compute_fans(shape))
    assert he_uniform(shape, seed=0).shape == shape


def test_compute_fans_accepts_lists_and_numpy_integers():
    assert compute_fans([np.int64(3), 3, 4, 8]) == (36, 72)


# ---------------------------------------------------------------- the math
def test_truncation_constant_is_the_std_of_the_truncated_normal():
    # scipy computes √(1 − 4φ(2)/(Φ(2) − Φ(−2))); equal to the last double
    assert initializers._TRUNCATED_STD == pytest.approx(stats.truncnorm(-2.0, 2.0).std(), rel=1e-15)


@pytest.mark.parametrize("shape, fan_in, fan_out", SHAPES, ids=lambda v: str(v))
@pytest.mark.parametrize("name", INITIALIZERS)
def test_mean_and_variance_are_the_schemes(name, shape, fan_in, fan_out, dtype):
    w = INITIALIZERS[name](shape, seed=3, dtype=dtype)
    assert w.shape == shape and w.dtype == dtype and np.all(np.isfinite(w))
    w = w.astype(np.float64).ravel()
    n, s2 = w.size, stated_variance(name, fan_in, fan_out)
    kurtosis = KURTOSIS_UNIFORM if name.endswith("uniform") else KURTOSIS_TRUNCATED
    # mean: standard error s/√n; 5 of them
    assert abs(w.mean()) < 5 * math.sqrt(s2 / n)
    # E[w²] = s² (the mean is known to be 0); Var(w²) = E[w⁴] − s⁴ = s⁴(κ − 1); 5 standard errors
    assert abs(np.mean(w**2) - s2) < 5 * s2 * math.sqrt((kurtosis - 1.0) / n)


@pytest.mark.parametrize("name", UNIFORM)
def test_uniform_limits_are_respected_exactly(name, dtype):
    fan_in, fan_out = 400, 250
    limit = math.sqrt(3.0 * stated_variance(name, fan_in, fan_out))
    w = INITIALIZERS[name]((fan_in, fan_out), seed=4, dtype=dtype)
    # the limit rounded to the dtype: rounding is monotone, so no weight can pass it
    assert np.max(np.abs(w)) <= dtype(limit)
    # 100 000 draws reach within 0.1% of both ends: P(miss one end) = (1 − 0.0005)^100000 ≈ e^−50
    assert w.max() > limit * (1 - 1e-3) and w.min() < -limit * (1 - 1e-3)


@pytest.mark.parametrize("name", NORMAL)
def test_normal_truncation_bound_is_respected(name, dtype):
    fan_in, fan_out = 400, 250
    bound = 2.0 * math.sqrt(stated_variance(name, fan_in, fan_out)) / initializers._TRUNCATED_STD
    w = INITIALIZERS[name]((fan_in, fan_out), seed=5, dtype=dtype)
    # strict in float64 (rejection keeps −2 < z < 2); float32 rounding may land on the rounded bound
    if dtype == np.float64:
        assert np.max(np.abs(w)) < bound
    else:
        assert np.max(np.abs(w)) <= np.float32(bound)
    # and the tails do reach the bound: a density of 0.054/σ_raw at ±2σ_raw leaves a gap of 1%
    # with probability ≈ e^−(100000·0.054·0.02) ≈ e^−108
    assert np.max(np.abs(w)) > 0.99 * bound


# ---------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", INITIALIZERS)
def test_seeding_is_deterministic(name):
    init = INITIALIZERS[name]
    shape = (31, 17)
    first, again = init(shape, seed=7), init(shape, seed=7)
    assert np.array_equal(first, again)
    # an integer seed is numpy.random.default_rng(seed)
    assert np.array_equal(first, init(shape, seed=np.random.default_rng(7)))
    # a Generator advances: two calls give two arrays; another seed gives another array
    rng = np.random.default_rng(7)
    assert not np.array_equal(init(shape, seed=rng), init(shape, seed=rng))
    assert not np.array_equal(first, init(shape, seed=8))
    # drawn in float64 and rounded once: float32 is the rounded float64 result
    assert np.array_equal(first, init(shape, seed=7, dtype="float64").astype(np.float32))


# ---------------------------------------------------------------- oracles
@pytest.mark.oracle
@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.verifies(oracle="keras", param="name", names={'glorot_normal': ('glossary_dl.initializers.glorot_normal',), 'glorot_uniform': ('glossary_dl.initializers.glorot_uniform',), 'he_normal': ('glossary_dl.initializers.he_normal',), 'he_uniform': ('glossary_dl.initializers.he_uniform',), 'lecun_normal': ('glossary_dl.initializers.lecun_normal',), 'lecun_uniform': ('glossary_dl.initializers.lecun_uniform',)})
def test_distribution_matches_keras(name):
    # Keras 3 on the torch backend draws in float32 only; 60 000 draws from each side
    shape = (300, 200)
    ours = INITIALIZERS[name](shape, seed=11).ravel()
    theirs = keras_sample(name, shape, seed=11).ravel()
    assert stats.ks_2samp(ours, theirs).statistic < ks_critical(ours.size, theirs.size)


def torch_sample(name, shape, fan_in, fan_out):
    """torch's initializer for the same scheme, on the (out, in) layout, transposed back."""
    generator = torch.Generator().manual_seed(12)
    w = torch.empty(shape[::-1], dtype=torch.float64)
    nonlinearity = "relu" if name.startswith("he") else "linear"
    if name == "glorot_uniform":
        torch.nn.init.xavier_uniform_(w, generator=generator)
    elif name in ("he_uniform", "lecun_uniform"):
        torch.nn.init.kaiming_uniform_(w, nonlinearity=nonlinearity, generator=generator)
    else:
        # torch's xavier/kaiming normals are not truncated; its trunc_normal_ with Keras' σ_raw is
        sigma_raw = math.sqrt(stated_variance(name, fan_in, fan_out)) / initializers._TRUNCATED_STD
        torch.nn.init.trunc_normal_(w, std=sigma_raw, a=-2 * sigma_raw, b=2 * sigma_raw, generator=generator)
    return w.numpy().T


@pytest.mark.oracle
@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.verifies(oracle="torch", param="name", names={'glorot_normal': ('glossary_dl.initializers.glorot_normal',), 'glorot_uniform': ('glossary_dl.initializers.glorot_uniform',), 'he_normal': ('glossary_dl.initializers.he_normal',), 'he_uniform': ('glossary_dl.initializers.he_uniform',), 'lecun_normal': ('glossary_dl.initializers.lecun_normal',), 'lecun_uniform': ('glossary_dl.initializers.lecun_uniform',)})
def test_distribution_matches_torch(name):
    shape = (300, 200)
    ours = INITIALIZERS[name](shape, seed=12, dtype="float64").ravel()
    theirs = torch_sample(name, shape, *shape).ravel()
    assert stats.ks_2samp(ours, theirs).statistic < ks_critical(ours.size, theirs.size)


@pytest.mark.oracle
@pytest.mark.parametrize("name", NORMAL)
def test_torch_normal_schemes_are_untruncated_with_the_same_variance(name):
    fan_in, fan_out = 300, 200
    s2 = stated_variance(name, fan_in, fan_out)
    torch.manual_seed(13)
    w = torch.empty((fan_out, fan_in), dtype=torch.float64)
    if name == "glorot_normal":
        torch.nn.init.xavier_normal_(w)
    else:
        torch.nn.init.kaiming_normal_(w, nonlinearity="relu" if name == "he_normal" else "linear")
    w = w.numpy().ravel()
    n = w.size
    # same variance: for a normal Var(w²) = 2s⁴, so 5 standard errors are 5·s²·√(2/n)
    assert abs(np.mean(w**2) - s2) < 5 * s2 * math.sqrt(2.0 / n)
    # not truncated: a fraction p = 2Φ(−2/0.8796…) ≈ 2.3% lies beyond Keras' bound (5 binomial SE)
    bound = 2.0 * math.sqrt(s2) / initializers._TRUNCATED_STD
    p = 2.0 * stats.norm.cdf(-2.0 / initializers._TRUNCATED_STD)
    assert abs(np.mean(np.abs(w) >= bound) - p) < 5 * math.sqrt(p * (1 - p) / n)
    # the two shapes differ visibly: KS rejects ours against torch's at α = 0.001
    ours = INITIALIZERS[name]((fan_in, fan_out), seed=13, dtype="float64").ravel()
    assert stats.ks_2samp(ours, w).statistic > ks_critical(n, n)


@pytest.mark.oracle
def test_keras_torch_backend_truncation_lets_a_few_values_through():
    # Keras' torch backend draws 4 normals per weight and keeps the first inside (−2, 2); when all
    # 4 fall outside (p = 0.0455⁴ ≈ 4.3e-6) it keeps the first anyway. In 2 000 000 weights that
    # is Poisson with mean ≈ 8.6: we check 1..30 (P(outside) < 3e-4). Ours rejects until inside.
    shape = (2000, 1000)
    bound = 2.0 * math.sqrt(1.0 / 2000) / initializers._TRUNCATED_STD
    theirs = keras_sample("lecun_normal", shape, seed=14)
    assert 1 <= np.sum(np.abs(theirs) > np.float32(bound) * (1 + 1e-6)) <= 30
    assert np.max(np.abs(lecun_normal(shape, seed=14))) <= np.float32(bound)


@pytest.mark.oracle
def test_keras_integer_seeded_initializer_repeats_itself():
    # Keras: an initializer seeded with an int returns the same values on every call
    init = keras.initializers.GlorotUniform(seed=17)
    first, second = (init((20, 10), dtype="float32").detach().numpy() for _ in range(2))
    assert np.array_equal(first, second)


@pytest.mark.oracle
def test_keras_truncated_normal_stddev_is_not_corrected():
    # TruncatedNormal(stddev=σ) cuts at ±2σ with no 1/0.8796 factor: its std is 0.8796·σ
    w = keras.initializers.TruncatedNormal(stddev=1.0, seed=18)((400, 250), dtype="float32")
    w = w.detach().numpy().astype(np.float64).ravel()
    s2 = initializers._TRUNCATED_STD**2
    assert abs(np.mean(w**2) - s2) < 5 * s2 * math.sqrt((KURTOSIS_TRUNCATED - 1.0) / w.size)


@pytest.mark.oracle
def test_torch_linear_default_is_uniform_one_over_sqrt_fan_in():
    fan_in, fan_out = 400, 250
    torch.manual_seed(15)
    layer = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64)
    w = layer.weight.detach().numpy()
    assert w.shape == (fan_out, fan_in)  # torch stores (out, in)
    # kaiming_uniform_(a=√5): limit gain·√(3/fi) with gain √(2/(1+5)) = 1/√fi
    limit = 1.0 / math.sqrt(fan_in)
    assert np.max(np.abs(w)) <= limit and np.max(np.abs(w)) > limit * (1 - 1e-3)
    # variance 1/(3·fi), a third of LeCun's and far from Glorot's 2/(fi+fo) (5 SE, uniform κ = 9/5)
    s2 = limit**2 / 3.0
    assert abs(np.mean(w**2) - s2) < 5 * s2 * math.sqrt((KURTOSIS_UNIFORM - 1.0) / w.size)
    assert abs(np.mean(w**2) - stated_variance("glorot_uniform", fan_in, fan_out)) > 0.5 * s2
    # the bias is drawn from the same interval (Keras starts it at zero)
    bias = layer.bias.detach().numpy()
    assert np.all(np.abs(bias) <= limit) and np.count_nonzero(bias) == fan_out


@pytest.mark.oracle
def test_keras_dense_default_is_glorot_uniform_with_zero_bias():
    keras.utils.set_random_seed(16)
    layer = keras.layers.Dense(200)
    layer.build((None, 300))
    kernel = layer.kernel.value.detach().numpy()
    bias = layer.bias.value.detach().numpy()
    assert kernel.shape == (300, 200)  # Keras stores (in, out)
    assert np.all(bias == 0.0)
    ours = glorot_uniform((300, 200), seed=16).ravel()
    assert stats.ks_2samp(ours, kernel.ravel()).statistic < ks_critical(ours.size, kernel.size)


# ---------------------------------------------------------------- bad input
BAD_INPUT = [
    # (keyword arguments, exception, message fragment)
    (dict(shape=5), TypeError, "shape must be a tuple of positive integers, got int"),
    (dict(shape="34"), TypeError, "shape must be a tuple"),
    (dict(shape=np.array([3, 4])), TypeError, "got ndarray"),
    (dict(shape=(3, 2.0)), TypeError, "shape must be a tuple of positive integers"),
    (dict(shape=(True, 3)), TypeError, "shape must be a tuple of positive integers"),
    (dict(shape=(3, 0)), ValueError, "shape must be a tuple of positive integers, got (3, 0)"),
    (dict(shape=(-1, 4)), ValueError, "positive integers"),
    (dict(shape=(3, 4), dtype="int32"), TypeError, "dtype must be float32 or float64 (a name, a numpy type or a numpy.dtype), got int32"),
    (dict(shape=(3, 4), dtype=np.float16), TypeError, "got float16"),
    (dict(shape=(3, 4), dtype="nonsense"), TypeError, "dtype must be"),
    (dict(shape=(3, 4), seed=1.5), TypeError, "seed must be None, a non-negative integer or a numpy.random.Generator"),
    (dict(shape=(3, 4), seed="0"), TypeError, "seed must be"),
    (dict(shape=(3, 4), seed=True), TypeError, "seed must be"),
    (dict(shape=(3, 4), seed=np.random.RandomState(0)), TypeError, "seed must be"),
    (dict(shape=(3, 4), seed=-1), ValueError, "seed must be a non-negative integer, got -1"),
]


@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.parametrize("kwargs, error, fragment", BAD_INPUT, ids=lambda v: str(v)[:40])
def test_bad_input_is_refused(name, kwargs, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)):
        INITIALIZERS[name](**kwargs)


@pytest.mark.parametrize(
    "shape, error, fragment",
    [(7, TypeError, "got int"), ((3, 0), ValueError, "positive"), ((2, None), TypeError, "integers")],
)
def test_compute_fans_bad_input_is_refused(shape, error, fragment):
    with pytest.raises(error, match=fragment):
        compute_fans(shape)
