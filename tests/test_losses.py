"""glossary_dl.losses against PyTorch, Keras 3 (torch backend), finite differences and math.

PyTorch is the float64 oracle (every op keeps float64). Keras is a float32
oracle only: its Loss classes (``keras.losses.BinaryCrossentropy()``) compute
in float32 whatever the input, and even its loss functions, which return
float64 for float64 input, reduce with ``keras.ops.mean``, which sums in float32.
"""

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glossary_dl import losses
from glossary_dl._parallel import PARALLEL_MIN_WORK
from gradcheck import assert_gradient_matches

EPS = 1e-7  # Keras' backend.epsilon(), the clip of every probability path

# Keras warns (as a SyntaxWarning) when categorical cross-entropy gets a single
# class; the (1, 1) shape is tested on purpose, so that one message is ignored.
pytestmark = pytest.mark.filterwarnings(
    "ignore:In loss categorical_crossentropy, expected y_pred.shape:SyntaxWarning"
)

# (name, from_logits): every computational path of the family.
PATHS = [
    ("mse", False),
    ("bce", False),
    ("bce", True),
    ("cce", False),
    ("cce", True),
    ("sparse", False),
    ("sparse", True),
]
PATH_IDS = [f"{name}-{'logits' if logits else 'probs'}" for name, logits in PATHS]
DENSE_SHAPES = [(1, 1), (4, 3), (32, 10), (2, 3, 4)]
SPARSE_SHAPES = [(1, 1), (4, 3), (32, 10)]

FUNCTIONS = {
    "mse": (losses.mean_squared_error, losses.mean_squared_error_grad),
    "bce": (losses.binary_crossentropy, losses.binary_crossentropy_grad),
    "cce": (losses.categorical_crossentropy, losses.categorical_crossentropy_grad),
    "sparse": (
        losses.sparse_categorical_crossentropy,
        losses.sparse_categorical_crossentropy_grad,
    ),
}


def ours(name, from_logits, y_true, y_pred, *, grad=False):
    function = FUNCTIONS[name][1 if grad else 0]
    if name == "mse":
        return function(y_true, y_pred)
    return function(y_true, y_pred, from_logits=from_logits)


def make_case(name, from_logits, shape, dtype, rng):
    """Random (y_true, y_pred); probabilities kept well inside the clip [1e-7, 1 − 1e-7]."""
    if name == "mse":
        return rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)
    if name == "sparse":
        n_samples, n_classes = shape
        y_true = rng.integers(0, n_classes, size=n_samples)
    elif name == "bce":
        y_true = rng.uniform(0.0, 1.0, size=shape).astype(dtype)  # soft targets
    else:
        y_true = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]).astype(dtype)
    if from_logits:
        y_pred = 3.0 * rng.normal(size=shape)
    elif name == "bce":
        y_pred = rng.uniform(0.02, 0.98, size=shape)
    else:  # rows deliberately not normalised: the renormalisation is under test too
        y_pred = rng.uniform(0.05, 1.0, size=shape)
    return y_true, y_pred.astype(dtype)


def shapes_for(name):
    return SPARSE_SHAPES if name == "sparse" else DENSE_SHAPES


CASES = [
    pytest.param(name, logits, shape, id=f"{path_id}-{'x'.join(map(str, shape))}")
    for (name, logits), path_id in zip(PATHS, PATH_IDS)
    for shape in shapes_for(name)
]


# ---------------------------------------------------------------- oracles
def torch_loss(name, from_logits, y_true, y_pred_t, low=EPS, high=1.0 - EPS):
    """The same batch-mean loss written with torch ops (Keras' definition, clipped the same way)."""
    if name == "sparse":
        labels = torch.as_tensor(y_true, dtype=torch.long)
        if from_logits:
            return F.cross_entropy(y_pred_t, labels)
        q = y_pred_t / y_pred_t.sum(dim=1, keepdim=True)
        return F.nll_loss(torch.log(torch.clip(q, low, high)), labels)
    y = torch.as_tensor(y_true)
    if name == "mse":
        return F.mse_loss(y_pred_t, y)
    if name == "bce":
        if from_logits:
            return F.binary_cross_entropy_with_logits(y_pred_t, y)
        return F.binary_cross_entropy(torch.clip(y_pred_t, low, high), y)
    if from_logits:  # soft targets, class axis moved to position 1 as torch wants it
        per_row = F.cross_entropy(
            torch.movedim(y_pred_t, -1, 0).unsqueeze(0),
            torch.movedim(y, -1, 0).unsqueeze(0),
            reduction="none",
        )
        return per_row.mean()
    q = y_pred_t / y_pred_t.sum(dim=-1, keepdim=True)
    return -(y * torch.log(torch.clip(q, low, high))).sum(dim=-1).mean()


def torch_value_and_grad(name, from_logits, y_true, y_pred):
    y_pred_t = torch.tensor(y_pred, requires_grad=True)
    loss = torch_loss(name, from_logits, y_true, y_pred_t)
    loss.backward()
    return loss.item(), y_pred_t.grad.numpy()


KERAS_CLASSES = {
    "mse": lambda logits: keras.losses.MeanSquaredError(),
    "bce": lambda logits: keras.losses.BinaryCrossentropy(from_logits=logits),
    "cce": lambda logits: keras.losses.CategoricalCrossentropy(from_logits=logits),
    "sparse": lambda logits: keras.losses.SparseCategoricalCrossentropy(from_logits=logits),
}
KERAS_FUNCTIONS = {
    "mse": lambda y, p, logits: keras.losses.mean_squared_error(y, p),
    "bce": lambda y, p, logits: keras.losses.binary_crossentropy(y, p, from_logits=logits),
    "cce": lambda y, p, logits: keras.losses.categorical_crossentropy(y, p, from_logits=logits),
    "sparse": lambda y, p, logits: keras.losses.sparse_categorical_crossentropy(
        y, p, from_logits=logits
    ),
}


def keras_class_value_and_grad(name, from_logits, y_true, y_pred):
    """Keras' reduced Loss class, differentiated by torch autograd (the backend)."""
    y_pred_t = torch.tensor(y_pred, requires_grad=True)
    loss = KERAS_CLASSES[name](from_logits)(torch.as_tensor(y_true), y_pred_t)
    loss.backward()
    return loss.item(), y_pred_t.grad.numpy()


# ---------------------------------------------------------------- conformance
@pytest.mark.oracle
@pytest.mark.parametrize(("name", "from_logits", "shape"), CASES)
@pytest.mark.verifies(oracle="torch", param="name", names={'mse': ('glossary_dl.losses.mean_squared_error', 'glossary_dl.losses.mean_squared_error_grad'), 'bce': ('glossary_dl.losses.binary_crossentropy', 'glossary_dl.losses.binary_crossentropy_grad'), 'cce': ('glossary_dl.losses.categorical_crossentropy', 'glossary_dl.losses.categorical_crossentropy_grad'), 'sparse': ('glossary_dl.losses.sparse_categorical_crossentropy', 'glossary_dl.losses.sparse_categorical_crossentropy_grad')}, rtol={"float64": 1e-10, "float32": 1e-4})
def test_matches_torch(name, from_logits, shape, dtype, rng):
    y_true, y_pred = make_case(name, from_logits, shape, dtype, rng)
    loss = ours(name, from_logits, y_true, y_pred)
    grad = ours(name, from_logits, y_true, y_pred, grad=True)
    expected_loss, expected_grad = torch_value_and_grad(name, from_logits, y_true, y_pred)
    assert isinstance(loss, np.floating) and loss.dtype == dtype
    assert grad.dtype == dtype and grad.shape == y_pred.shape
    if dtype == np.float64:
        # float64: both sides accumulate in float64, differences are rounding only
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-15)
    else:
        # float32: torch computes in float32, we accumulate in float64 and round once
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-5, atol=1e-7)
        scale = np.abs(expected_grad).max()
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.oracle
@pytest.mark.parametrize(("name", "from_logits", "shape"), CASES)
@pytest.mark.verifies(oracle="keras", param="name", names={'mse': ('glossary_dl.losses.mean_squared_error', 'glossary_dl.losses.mean_squared_error_grad'), 'bce': ('glossary_dl.losses.binary_crossentropy', 'glossary_dl.losses.binary_crossentropy_grad'), 'cce': ('glossary_dl.losses.categorical_crossentropy', 'glossary_dl.losses.categorical_crossentropy_grad'), 'sparse': ('glossary_dl.losses.sparse_categorical_crossentropy', 'glossary_dl.losses.sparse_categorical_crossentropy_grad')}, rtol={"float64": 1e-6, "float32": 1e-4})
def test_matches_keras(name, from_logits, shape, dtype, rng):
    y_true, y_pred = make_case(name, from_logits, shape, dtype, rng)
    loss = ours(name, from_logits, y_true, y_pred)
    grad = ours(name, from_logits, y_true, y_pred, grad=True)
    if dtype == np.float64:
        # Keras' loss functions return float64 here, but keras.ops.mean (the MSE/BCE
        # reduction over the last axis) computes in float32: float32 tolerance.
        per_sample = KERAS_FUNCTIONS[name](y_true, y_pred, from_logits)
        assert per_sample.dtype == torch.float64
        np.testing.assert_allclose(loss, per_sample.mean().item(), rtol=1e-6, atol=1e-7)
    else:
        expected_loss, expected_grad = keras_class_value_and_grad(name, from_logits, y_true, y_pred)
        # Keras' Loss classes compute in float32: float32 tolerance
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-5, atol=1e-7)
        scale = np.abs(expected_grad).max()
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-5 * scale)


def test_keras_loss_classes_compute_in_float32():
    """Why Keras is a float32 oracle only, even for float64 input."""
    y_true = np.array([[0.0, 1.0, 0.0]])
    y_pred = np.array([[0.2, 0.7, 0.1]])
    # the Loss classes return float32 …
    assert keras.losses.CategoricalCrossentropy()(y_true, y_pred).dtype == torch.float32
    # … and keras.ops.mean returns float64 for float64 input but sums in float32
    x = np.array([0.1234567890123, 0.987654321012345])
    kept = keras.ops.mean(x).item()
    assert abs(kept - x.mean()) > 1e-10  # float64 arithmetic would agree to ~1e-17
    np.testing.assert_allclose(kept, x.mean(), rtol=1e-6)


# ---------------------------------------------------------------- finite differences
@pytest.mark.parametrize(
    ("name", "from_logits", "shape"),
    [
        pytest.param(name, logits, (4, 3) if name == "sparse" else shape, id=f"{pid}-{len(shape)}d")
        for (name, logits), pid in zip(PATHS, PATH_IDS)
        for shape in ([(4, 3)] if name == "sparse" else [(4, 3), (2, 3, 4)])
    ],
)
@pytest.mark.verifies(oracle="finite differences", param="name", names={'mse': ('glossary_dl.losses.mean_squared_error', 'glossary_dl.losses.mean_squared_error_grad'), 'bce': ('glossary_dl.losses.binary_crossentropy', 'glossary_dl.losses.binary_crossentropy_grad'), 'cce': ('glossary_dl.losses.categorical_crossentropy', 'glossary_dl.losses.categorical_crossentropy_grad'), 'sparse': ('glossary_dl.losses.sparse_categorical_crossentropy', 'glossary_dl.losses.sparse_categorical_crossentropy_grad')}, dtypes=("float64",), rtol=1e-6, atol=1e-8)
def test_gradient_matches_finite_differences(name, from_logits, shape, rng):
    y_true, y_pred = make_case(name, from_logits, shape, np.float64, rng)
    # central differences with eps=1e-6; probabilities are ≥ 0.02 from the clip
    # bounds, so no step crosses them. rtol=1e-6, atol=1e-8 (gradcheck defaults).
    assert_gradient_matches(
        lambda p: ours(name, from_logits, y_true, p),
        lambda p: ours(name, from_logits, y_true, p, grad=True),
        y_pred,
    )


# ---------------------------------------------------------------- properties
def perfect_prediction(name, from_logits, y_true, n_classes, dtype):
    """The best prediction for hard targets: the targets themselves, or logits with a margin of 40."""
    if name == "mse":
        return y_true.astype(dtype)
    if name == "sparse":
        hard = np.eye(n_classes)[y_true]
    else:
        hard = y_true
    if not from_logits:
        return hard.astype(dtype)
    return (40.0 * (2.0 * hard - 1.0) if name == "bce" else 40.0 * hard).astype(dtype)


@pytest.mark.parametrize(("name", "from_logits"), PATHS, ids=PATH_IDS)
def test_property_nonnegative_and_smallest_at_perfect_prediction(name, from_logits, dtype, rng):
    shape, n_classes = (8, 5), 5
    if name == "sparse":
        y_true = rng.integers(0, n_classes, size=shape[0])
    elif name == "mse":
        y_true = rng.normal(size=shape).astype(dtype)
    elif name == "bce":
        y_true = rng.integers(0, 2, size=shape).astype(dtype)
    else:
        y_true = np.eye(n_classes, dtype=dtype)[rng.integers(0, n_classes, size=shape[0])]
    best = perfect_prediction(name, from_logits, y_true, n_classes, dtype)
    best_loss = ours(name, from_logits, y_true, best)
    best_grad = ours(name, from_logits, y_true, best, grad=True)
    if name == "mse":
        assert best_loss == 0.0  # exact: every difference is 0
    elif from_logits:
        # math: per row at most (C − 1)·e^{−40} ≈ 1.7e-17 (bce: ln(1 + e^{−40}) per element)
        assert 0.0 <= best_loss <= 4 * np.exp(-40.0)
    else:
        # the clipped optimum, from the math: a right 1 costs −ln(1 − ε) and a right 0
        # costs −ln(1 − ε) too, with both clip bounds rounded to the dtype (16 digits
        # apart in float64, 1.19e-7 vs 1.0e-7 in float32)
        low, high = float(dtype(EPS)), float(dtype(1.0 - EPS))
        if name == "bce":
            expected = np.mean(np.where(y_true == 1.0, -np.log(high), -np.log1p(-low)))
        else:  # only the true class's term is non-zero
            expected = -np.log(high)
        # float64: rounding only; float32: the result is rounded to float32 once
        np.testing.assert_allclose(best_loss, expected, rtol=1e-12 if dtype == np.float64 else 1e-7)
    # at the optimum the gradient vanishes (exactly for the clipped paths, to e^{−40} for logits)
    np.testing.assert_allclose(best_grad, 0.0, atol=1e-16)
    for _ in range(10):
        _, y_pred = make_case(name, from_logits, shape, dtype, rng)
        loss = ours(name, from_logits, y_true, y_pred)
        assert loss >= 0.0
        assert loss > best_loss


# ---------------------------------------------------------------- extreme values
@pytest.mark.oracle
@pytest.mark.parametrize(("name", "from_logits"), [p for p in PATHS if p[1]], ids=lambda v: str(v))
def test_huge_logits_are_finite_and_match_torch(name, from_logits, dtype):
    y_pred = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    if name == "sparse":
        y_true = np.array([1, 2, 2])
    elif name == "bce":
        y_true = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [0.5, 1.0, 0.0]], dtype=dtype)
    else:
        y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]], dtype=dtype)
    loss = ours(name, True, y_true, y_pred)
    grad = ours(name, True, y_true, y_pred, grad=True)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    expected_loss, expected_grad = torch_value_and_grad(name, True, y_true, y_pred)
    # the answers are sums of ±1e4 and exact small terms: float-exact in both dtypes
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-7)


@pytest.mark.oracle
def test_bce_probabilities_zero_and_one_are_clipped_like_keras(dtype):
    y_true = np.array([[1.0, 0.0]], dtype=dtype)
    y_pred = np.array([[0.0, 1.0]], dtype=dtype)  # certain and wrong, twice
    loss = losses.binary_crossentropy(y_true, y_pred)
    assert np.isfinite(loss)
    low, high = float(dtype(EPS)), float(dtype(1.0 - EPS))
    # math: −ln ε for the 1 predicted as 0, −ln(1 − (1 − ε)) for the 0 predicted as 1
    expected_math = (-np.log(low) - np.log1p(-high)) / 2
    np.testing.assert_allclose(loss, expected_math, rtol=1e-12 if dtype == np.float64 else 1e-7)
    if dtype == np.float64:
        np.testing.assert_allclose(loss, -np.log(1e-7), rtol=1e-9)  # ≈16.118 (1 − ε is rounded)
        expected = keras.losses.binary_crossentropy(y_true, y_pred).mean().item()
        np.testing.assert_allclose(loss, expected, rtol=1e-6)  # Keras' ops.mean runs in float32
    else:
        # Keras' Loss class casts to float32 before clipping: only a float32 oracle
        expected = keras.losses.BinaryCrossentropy()(y_true, y_pred).item()
        np.testing.assert_allclose(loss, expected, rtol=1e-6)  # Keras class, float32 arithmetic
    # the clip is flat at 0 and 1: no gradient flows, as autograd through clip gives
    np.testing.assert_array_equal(losses.binary_crossentropy_grad(y_true, y_pred), 0.0)


def test_float32_clip_bound_matches_keras():
    """In float32, 1 − 1e-7 rounds to 0.99999988: a certain wrong 1 costs 15.94, not 16.12."""
    y_true = np.array([[0.0]], dtype=np.float32)
    y_pred = np.array([[1.0]], dtype=np.float32)
    loss = losses.binary_crossentropy(y_true, y_pred)
    np.testing.assert_allclose(loss, -np.log(1.0 - float(np.float32(1.0 - EPS))), rtol=1e-6)  # math
    expected = keras.losses.BinaryCrossentropy()(y_true, y_pred).item()
    np.testing.assert_allclose(loss, expected, rtol=1e-6)  # Keras, float32
    assert abs(loss - (-np.log(EPS))) > 0.1  # and visibly not the float64 16.118


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["cce", "sparse"])
def test_categorical_zero_probability_is_clipped_like_keras(name, dtype):
    y_pred = np.array([[0.0, 0.3, 0.7], [0.2, 0.8, 0.0]], dtype=dtype)
    labels = np.array([0, 1])
    y_true = labels if name == "sparse" else np.eye(3, dtype=dtype)[labels]
    loss = ours(name, False, y_true, y_pred)
    # math: mean of −ln(1e-7) and −ln(0.8)
    np.testing.assert_allclose(loss, (-np.log(1e-7) - np.log(0.8)) / 2, rtol=1e-6)
    expected = KERAS_CLASSES[name](False)(y_true, y_pred).item()
    np.testing.assert_allclose(loss, expected, rtol=1e-6)  # Keras class, float32


# ---------------------------------------------------------------- PyTorch vs Keras conventions
@pytest.mark.oracle
def test_torch_mean_equals_keras_sum_over_batch_size(rng):
    """Without sample weights torch's 'mean' and Keras' 'sum_over_batch_size' agree, rank 3 too."""
    y_true = rng.uniform(size=(2, 3, 4))
    y_pred = rng.uniform(0.05, 0.95, size=(2, 3, 4))
    torch_value = torch.nn.BCELoss()(torch.tensor(y_pred), torch.tensor(y_true)).item()
    keras_value = keras.losses.BinaryCrossentropy()(y_true, y_pred).item()
    ours_value = losses.binary_crossentropy(y_true, y_pred)
    np.testing.assert_allclose(ours_value, torch_value, rtol=1e-12)  # float64
    np.testing.assert_allclose(ours_value, keras_value, rtol=1e-6)  # Keras class is float32


@pytest.mark.oracle
def test_bce_certain_mistake_keras_clip_vs_torch_log_clamp():
    """Keras clips p to [1e-7, 1 − 1e-7] (cost 16.118); torch clamps ln p at −100 (cost 100)."""
    y_true, y_pred = np.array([1.0]), np.array([0.0])
    torch_value = F.binary_cross_entropy(torch.tensor(y_pred), torch.tensor(y_true)).item()
    assert torch_value == 100.0  # torch's documented clamp of the log at −100
    np.testing.assert_allclose(losses.binary_crossentropy(y_true, y_pred), -np.log(EPS), rtol=1e-12)


@pytest.mark.oracle
def test_cce_renormalises_unnormalised_probabilities():
    """Keras (and we) divide by Σp first; torch's nll_loss on ln p does not."""
    y_pred = np.array([[0.2, 0.2, 0.2]])  # sums to 0.6
    labels = np.array([0])
    ours_value = losses.sparse_categorical_crossentropy(labels, y_pred)
    np.testing.assert_allclose(ours_value, np.log(3.0), rtol=1e-12)  # math: −ln(0.2/0.6)
    keras_value = keras.losses.sparse_categorical_crossentropy(labels, y_pred).item()
    np.testing.assert_allclose(ours_value, keras_value, rtol=1e-12)  # Keras function, float64
    torch_raw = F.nll_loss(torch.log(torch.tensor(y_pred)), torch.tensor(labels)).item()
    np.testing.assert_allclose(torch_raw, -np.log(0.2), rtol=1e-12)  # no renormalisation
    assert abs(torch_raw - ours_value) > 0.5


@pytest.mark.oracle
def test_torch_cross_entropy_takes_logits():
    """F.cross_entropy applies log-softmax itself: it equals from_logits=True, not the default."""
    logits = np.array([[2.0, -1.0, 0.5, 0.0], [0.1, 3.0, -2.0, 1.0], [-1.0, 0.0, 4.0, 0.5]])
    labels = np.array([0, 1, 2])
    torch_value = F.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    ours_logits = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    np.testing.assert_allclose(ours_logits, torch_value, rtol=1e-12)  # float64
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ours_probs = losses.sparse_categorical_crossentropy(labels, probabilities)
    np.testing.assert_allclose(ours_probs, torch_value, rtol=1e-12)  # same loss, default path
    # probabilities handed to torch are read as logits: for C = 4 that costs at least
    # ln(e + 3) − 1 ≈ 0.744 per sample however good the prediction (math)
    torch_on_probs = F.cross_entropy(torch.tensor(probabilities), torch.tensor(labels)).item()
    assert abs(torch_on_probs - ours_probs) > 0.1


# ---------------------------------------------------------------- inputs
def test_sparse_label_forms_agree(rng):
    y_pred = rng.uniform(0.05, 1.0, size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    reference = losses.sparse_categorical_crossentropy(labels, y_pred)
    onehot = losses.categorical_crossentropy(np.eye(4)[labels], y_pred)
    assert onehot == pytest.approx(reference, rel=1e-14)  # same loss, one-hot form
    for other in (labels.reshape(6, 1), labels.astype(np.float64), labels.astype(np.int32)):
        assert losses.sparse_categorical_crossentropy(other, y_pred) == reference  # exact
        np.testing.assert_array_equal(
            losses.sparse_categorical_crossentropy_grad(other, y_pred),
            losses.sparse_categorical_crossentropy_grad(labels, y_pred),
        )


def test_integer_and_bool_targets_are_cast_to_y_pred_dtype(dtype):
    y_pred = np.array([[0.2, 0.9], [0.6, 0.3]], dtype=dtype)
    as_float = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    for target in (as_float.astype(np.int64), as_float.astype(bool), as_float.tolist()):
        for name in ("mse", "bce", "cce"):
            assert ours(name, False, target, y_pred) == ours(name, False, as_float, y_pred)  # exact
    list_result = losses.mean_squared_error([[0, 1]], [[0.5, 0.5]])
    assert list_result.dtype == np.float64  # lists become float64


@pytest.mark.parametrize(("name", "from_logits"), PATHS, ids=PATH_IDS)
def test_layout_and_read_only_inputs_give_the_same_result(name, from_logits, rng):
    y_true, y_pred = make_case(name, from_logits, (6, 5), np.float64, rng)
    expected_loss = ours(name, from_logits, y_true, y_pred)
    expected_grad = ours(name, from_logits, y_true, y_pred, grad=True)
    wide = np.zeros((6, 10))
    wide[:, ::2] = y_pred
    strided = wide[:, ::2]
    fortran = np.asfortranarray(y_pred)
    read_only = y_pred.copy()
    read_only.flags.writeable = False
    target = y_true if name == "sparse" else np.asfortranarray(y_true)
    for variant in (strided, fortran, read_only):
        assert not variant.flags.c_contiguous or not variant.flags.writeable
        assert ours(name, from_logits, target, variant) == expected_loss  # exact
        np.testing.assert_array_equal(ours(name, from_logits, target, variant, grad=True), expected_grad)
    assert not read_only.flags.writeable  # input untouched


# ---------------------------------------------------------------- bad input
GOOD_PRED = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
GOOD_TRUE = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
GOOD_LABELS = np.array([2, 0])

COMMON_BAD = [
    # (id, y_true or None for the good one, y_pred, kwargs, exception, fragment)
    ("shape-mismatch", GOOD_TRUE[:, :2], GOOD_PRED, {}, ValueError, "same shape"),
    ("empty", np.zeros((0, 3)), np.zeros((0, 3)), {}, ValueError, "must not be empty"),
    ("rank-0", np.float64(1.0), np.float64(0.5), {}, ValueError, "y_pred must have at least 1"),
    ("int-y_pred", GOOD_TRUE, np.array([[0, 0, 1], [1, 0, 0]]), {}, TypeError, "y_pred must be a float"),
    ("complex-y_pred", GOOD_TRUE, GOOD_PRED + 0j, {}, TypeError, "y_pred must be a float"),
    ("complex-y_true", GOOD_TRUE + 0j, GOOD_PRED, {}, TypeError, "y_true must be a float"),
    ("object-y_pred", GOOD_TRUE, GOOD_PRED.astype(object), {}, TypeError, "y_pred"),
    ("object-y_true", [[0.0, None, 1.0], [1.0, 0.0, 0.0]], GOOD_PRED, {}, TypeError, "y_true"),
    ("string-y_pred", GOOD_TRUE, "0.5", {}, TypeError, "y_pred"),
    ("nan-y_pred", GOOD_TRUE, np.where(GOOD_PRED == 0.3, np.nan, GOOD_PRED), {}, ValueError, "y_pred must contain only finite"),
    ("inf-y_true", np.where(GOOD_TRUE == 1.0, np.inf, 0.0), GOOD_PRED, {}, ValueError, "y_true must contain only finite"),
]
PROB_BAD = [
    ("prob-above-1", GOOD_TRUE, GOOD_PRED * 2.0, {}, ValueError, "y_pred must hold probabilities"),
    ("prob-negative", GOOD_TRUE, GOOD_PRED - 0.25, {}, ValueError, "y_pred must hold probabilities"),
    ("target-outside-unit", GOOD_TRUE * 2.0, GOOD_PRED, {}, ValueError, "y_true must hold target"),
    ("from_logits-str", GOOD_TRUE, GOOD_PRED, {"from_logits": "yes"}, TypeError, "from_logits"),
    ("from_logits-int", GOOD_TRUE, GOOD_PRED, {"from_logits": 1}, TypeError, "from_logits"),
]
CCE_BAD = [
    ("zero-row", GOOD_TRUE, np.array([[0.0, 0.0, 0.0], [0.6, 0.3, 0.1]]), {}, ValueError, "y_pred must have a positive sum"),
]
SPARSE_BAD = [
    ("label-out-of-range", np.array([3, 0]), GOOD_PRED, {}, ValueError, "y_true must hold class labels in [0, 3)"),
    ("label-negative", np.array([-1, 0]), GOOD_PRED, {}, ValueError, "y_true must hold class labels"),
    ("label-fractional", np.array([1.5, 0.0]), GOOD_PRED, {}, ValueError, "y_true must hold whole-number"),
    ("label-nan", np.array([np.nan, 0.0]), GOOD_PRED, {}, ValueError, "y_true must contain only finite"),
    ("label-one-hot", GOOD_TRUE, GOOD_PRED, {}, ValueError, "y_true must hold one integer label"),
    ("label-count", np.array([0, 1, 2]), GOOD_PRED, {}, ValueError, "one label per row"),
    ("label-bool", np.array([True, False]), GOOD_PRED, {}, TypeError, "y_true must be an integer"),
    ("label-string", np.array(["a", "b"]), GOOD_PRED, {}, TypeError, "y_true"),
    ("y_pred-rank-3", GOOD_LABELS, GOOD_PRED[None], {}, ValueError, "y_pred must have 2 dimensions"),
    ("empty", np.zeros(0, dtype=int), np.zeros((0, 3)), {}, ValueError, "y_pred must not be empty"),
    ("int-y_pred", GOOD_LABELS, np.array([[0, 0, 1], [1, 0, 0]]), {}, TypeError, "y_pred must be a float"),
    ("complex-y_pred", GOOD_LABELS, GOOD_PRED + 0j, {}, TypeError, "y_pred must be a float"),
    ("object-y_pred", GOOD_LABELS, GOOD_PRED.astype(object), {}, TypeError, "y_pred"),
    ("nan-y_pred", GOOD_LABELS, np.where(GOOD_PRED == 0.3, np.nan, GOOD_PRED), {}, ValueError, "y_pred must contain only finite"),
    ("inf-logits", GOOD_LABELS, np.where(GOOD_PRED == 0.3, np.inf, GOOD_PRED), {"from_logits": True}, ValueError, "y_pred must contain only finite"),
    ("prob-above-1", GOOD_LABELS, GOOD_PRED * 2.0, {}, ValueError, "y_pred must hold probabilities"),
    ("zero-row", GOOD_LABELS, np.array([[0.0, 0.0, 0.0], [0.6, 0.3, 0.1]]), {}, ValueError, "positive sum"),
    ("from_logits-str", GOOD_LABELS, GOOD_PRED, {"from_logits": "yes"}, TypeError, "from_logits"),
]
BAD_BY_FAMILY = {
    "mse": COMMON_BAD,
    "bce": COMMON_BAD + PROB_BAD,
    "cce": COMMON_BAD + PROB_BAD + CCE_BAD,
    "sparse": SPARSE_BAD,
}
BAD_CASES = [
    pytest.param(function, *case[1:], id=f"{function.__name__}-{case[0]}")
    for family, cases in BAD_BY_FAMILY.items()
    for function in FUNCTIONS[family]
    for case in cases
]


@pytest.mark.parametrize(("name", "from_logits"), PATHS, ids=PATH_IDS)
def test_large_batches_in_row_blocks_give_the_single_loops_mean(name, from_logits, dtype, rng):
    """From 2¹⁸ values a loss runs in blocks of rows, one per thread; the blocks' means weighted by their
    rows are the single loop's mean, up to the rounding of float64 sums taken in another order."""
    y_true, y_pred = make_case(name, from_logits, (4099, 64), dtype, rng)  # blocks of unequal rows
    assert y_pred.size >= PARALLEL_MIN_WORK
    low, high = losses._clip_bounds(y_pred.dtype)
    if name == "mse":
        single = losses._mse_loop(y_true, y_pred)
    elif name == "bce":
        single = losses._bce_loop(y_true, y_pred, from_logits, low, high)
    elif name == "cce":
        single = losses._cce_loop(y_true, y_pred, from_logits, low, high)
    else:
        single = losses._sparse_cce_loop(y_true, y_pred, from_logits, low, high)
    blocks = ours(name, from_logits, y_true, y_pred)
    assert blocks.dtype == dtype
    # float64: a few roundings of sums of 2¹⁸ terms; float32: the one final rounding to float32
    assert blocks == pytest.approx(single, rel=1e-12 if dtype == np.float64 else 1e-7)


@pytest.mark.parametrize(("name", "from_logits"), PATHS, ids=PATH_IDS)
def test_large_gradients_in_row_blocks_equal_the_single_loops(name, from_logits, dtype, rng):
    """A large batch's gradient is written block by block on every thread, each block scaled by the
    whole batch's size: every entry is the single loop's, bit for bit."""
    y_true, y_pred = make_case(name, from_logits, (4099, 64), dtype, rng)
    assert y_pred.size >= PARALLEL_MIN_WORK
    low, high = losses._clip_bounds(y_pred.dtype)
    single = np.empty_like(y_pred)
    batch = y_pred.shape[0]
    if name == "mse":
        losses._mse_grad_loop(y_true, y_pred, single, batch)
    elif name == "bce":
        losses._bce_grad_loop(y_true, y_pred, from_logits, low, high, single, batch)
    elif name == "cce":
        losses._cce_grad_loop(y_true, y_pred, from_logits, low, high, single, batch)
    else:
        losses._sparse_cce_grad_loop(y_true, y_pred, from_logits, low, high, single, batch)
    blocks = ours(name, from_logits, y_true, y_pred, grad=True)
    assert blocks.dtype == dtype
    np.testing.assert_array_equal(blocks, single)


@pytest.mark.parametrize("grad", [False, True], ids=["loss", "grad"])
@pytest.mark.parametrize(("name", "from_logits"), PATHS, ids=PATH_IDS)
def test_a_non_finite_value_deep_in_a_large_batch_is_refused(name, from_logits, grad, dtype, rng):
    """The loops scan the inputs block by block as they read them: a NaN or inf in the last block of
    the last thread's rows is refused with the message of the scan that used to run first."""
    y_true, y_pred = make_case(name, from_logits, (4099, 64), dtype, rng)
    for bad in (np.nan, -np.inf):
        poisoned = y_pred.copy()
        poisoned[-1, -1] = bad
        with pytest.raises(ValueError, match="y_pred must contain only finite values"):
            ours(name, from_logits, y_true, poisoned, grad=grad)
        if name != "sparse":
            targets = y_true.copy()
            targets[-2, 3] = bad
            with pytest.raises(ValueError, match="y_true must contain only finite values"):
                ours(name, from_logits, targets, y_pred, grad=grad)


@pytest.mark.parametrize(("function", "y_true", "y_pred", "kwargs", "error", "fragment"), BAD_CASES)
def test_bad_input_is_refused_with_a_message_naming_the_argument(
    function, y_true, y_pred, kwargs, error, fragment
):
    with pytest.raises(error) as info:
        function(y_true, y_pred, **kwargs)
    assert fragment in str(info.value)
    assert any(arg in str(info.value) for arg in ("y_true", "y_pred", "from_logits"))


def test_every_public_name_is_tested():
    tested = {f.__name__ for pair in FUNCTIONS.values() for f in pair}
    assert tested == set(losses.__all__)
