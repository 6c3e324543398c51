"""glossary_dl.optimizers against Keras 3 (float32) and torch.optim (float64).

Keras runs on the torch backend (set in conftest.py) and computes in float32;
it stores the learning rate as a float32 variable, which our float32 path
matches because it casts every hyper-parameter to the parameter's dtype.
torch.optim is the float64 oracle where its conventions coincide with Keras'.
"""

import math

import keras
import numpy as np
import pytest
import torch

from glossary_dl import optimizers
from glossary_dl.optimizers import SGD, Adagrad, Adam, RMSprop

SHAPES = [(1,), (7,), (3, 4)]
STEPS = 25

# name, Keras class name, keyword arguments (identical for both libraries)
KERAS_CONFIGS = [
    ("sgd-defaults", "SGD", {}),
    ("sgd-momentum", "SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("sgd-nesterov", "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("rmsprop-defaults", "RMSprop", {}),
    ("rmsprop-momentum", "RMSprop", {"learning_rate": 0.01, "momentum": 0.8}),
    (
        "rmsprop-centered-momentum",
        "RMSprop",
        {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True},
    ),
    ("adagrad-defaults", "Adagrad", {}),
    ("adagrad-custom", "Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("adam-defaults", "Adam", {}),
    ("adam-amsgrad", "Adam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "amsgrad": True}),
]


def gradient_sequence(rng, shapes, dtype, steps=STEPS):
    """Random gradients of mixed magnitudes (factors 0.01 to 10) so adaptive rules are exercised."""
    scales = [10.0 ** rng.uniform(-2, 1, size=shape) for shape in shapes]
    return [
        [(rng.standard_normal(shape) * scale).astype(dtype) for shape, scale in zip(shapes, scales)]
        for _ in range(steps)
    ]


def run_ours(name, kwargs, params, grad_seq):
    opt = getattr(optimizers, name)(**kwargs)
    params = [p.copy() for p in params]
    history = []
    for grads in grad_seq:
        opt.apply(params, grads)
        history.append([p.copy() for p in params])
    assert opt.iterations == len(grad_seq)
    return history


def run_keras(name, kwargs, params, grad_seq):
    variables = [keras.Variable(p.copy()) for p in params]
    opt = getattr(keras.optimizers, name)(**kwargs)
    history = []
    for grads in grad_seq:
        tensors = [keras.ops.convert_to_tensor(g) for g in grads]
        opt.apply_gradients(list(zip(tensors, variables)))
        history.append([v.value.detach().numpy().copy() for v in variables])
    return history


def run_torch(cls, kwargs, params, grad_seq):
    tensors = [torch.nn.Parameter(torch.tensor(p, dtype=torch.float64)) for p in params]
    opt = cls(tensors, **kwargs)
    for grads in grad_seq:
        for tensor, g in zip(tensors, grads):
            tensor.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return [t.detach().numpy().copy() for t in tensors]


# ---------------------------------------------------------------- Keras, float32
@pytest.mark.oracle
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("label, name, kwargs", KERAS_CONFIGS, ids=[c[0] for c in KERAS_CONFIGS])
@pytest.mark.verifies(oracle="keras", param="name", names={'SGD': ('glossary_dl.optimizers.SGD',), 'RMSprop': ('glossary_dl.optimizers.RMSprop',), 'Adagrad': ('glossary_dl.optimizers.Adagrad',), 'Adam': ('glossary_dl.optimizers.Adam',)}, dtypes=("float32",), rtol=1e-5, atol=1e-6)
def test_matches_keras_float32_for_25_steps(label, name, kwargs, seed):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    grad_seq = gradient_sequence(rng, SHAPES, np.float32)
    ours = run_ours(name, kwargs, params, grad_seq)
    theirs = run_keras(name, kwargs, params, grad_seq)
    for step, (ours_step, theirs_step) in enumerate(zip(ours, theirs), start=1):
        for i, (a, b) in enumerate(zip(ours_step, theirs_step)):
            assert a.dtype == np.float32
            # float32 arithmetic on both sides, summed in a slightly different order
            # (e.g. Keras' α_t is a float32 tensor, ours a float64 scalar rounded once):
            # a few ulps per step, accumulated over 25 steps.
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"step {step}, params[{i}]")


# ---------------------------------------------------------------- torch.optim, float64
def _torch_case(rng):
    params = [rng.standard_normal(shape) for shape in SHAPES]
    return params, gradient_sequence(rng, SHAPES, np.float64)


TORCH_SAME = [
    # (ours, torch), where the two conventions coincide
    ("sgd", SGD(learning_rate=0.05), torch.optim.SGD, {"lr": 0.05}),
    ("sgd-momentum", SGD(learning_rate=0.05, momentum=0.9), torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (
        "sgd-nesterov",
        SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    ),
    # ε placement differs (inside vs outside the root); an ε of 1e-30 is negligible next to
    # √v ≥ 1e-3 here, so the rest of each formula must then agree to rounding.
    (
        "rmsprop-centered-momentum",
        RMSprop(learning_rate=0.01, rho=0.9, momentum=0.5, epsilon=1e-30, centered=True),
        torch.optim.RMSprop,
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "eps": 1e-30, "centered": True},
    ),
    (
        "rmsprop",
        RMSprop(learning_rate=0.01, rho=0.99, epsilon=1e-30),
        torch.optim.RMSprop,
        {"lr": 0.01, "alpha": 0.99, "eps": 1e-30},
    ),
    (
        "adagrad",
        Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-30),
        torch.optim.Adagrad,
        {"lr": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-30},
    ),
    (
        "adam-amsgrad",
        Adam(learning_rate=0.01, epsilon=1e-30, amsgrad=True),
        torch.optim.Adam,
        {"lr": 0.01, "eps": 1e-30, "amsgrad": True},
    ),
    ("adam", Adam(learning_rate=0.01, epsilon=1e-30), torch.optim.Adam, {"lr": 0.01, "eps": 1e-30}),
]


@pytest.mark.oracle
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("label, ours, torch_cls, torch_kwargs", TORCH_SAME, ids=[c[0] for c in TORCH_SAME])
@pytest.mark.verifies(oracle="torch", param="ours", names={'SGD': ('glossary_dl.optimizers.SGD',), 'RMSprop': ('glossary_dl.optimizers.RMSprop',), 'Adagrad': ('glossary_dl.optimizers.Adagrad',), 'Adam': ('glossary_dl.optimizers.Adam',)}, dtypes=("float64",), rtol=1e-12, atol=1e-13)
def test_matches_torch_float64_where_conventions_coincide(label, ours, torch_cls, torch_kwargs, seed):
    params, grad_seq = _torch_case(np.random.default_rng(seed))
    expected = run_torch(torch_cls, torch_kwargs, params, grad_seq)
    ours = type(ours)(**_hyper(ours))  # a fresh instance: the table's is shared between seeds
    mine = [p.copy() for p in params]
    for grads in grad_seq:
        ours.apply(mine, grads)
    for a, b in zip(mine, expected):
        # float64 on both sides, 25 steps: rounding only
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def _hyper(opt):
    names = {
        SGD: ["learning_rate", "momentum", "nesterov"],
        RMSprop: ["learning_rate", "rho", "momentum", "epsilon", "centered"],
        Adagrad: ["learning_rate", "initial_accumulator_value", "epsilon"],
        Adam: ["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"],
    }[type(opt)]
    return {name: getattr(opt, name) for name in names}


@pytest.mark.oracle
def test_defaults_differ_from_torch_and_match_keras():
    # The defaults table on the page: read from each library, not copied.
    ours = {cls.__name__: _hyper(cls()) for cls in (SGD, RMSprop, Adagrad, Adam)}
    for name, hyper in ours.items():
        keras_opt = getattr(keras.optimizers, name)()
        for key, value in hyper.items():
            if key == "learning_rate":
                theirs = keras_opt.learning_rate.value.item()
            else:
                theirs = getattr(keras_opt, key)
            # Keras stores the learning rate as a float32 variable: equal to float32 precision
            assert theirs == pytest.approx(value, rel=1e-7), (name, key)
    torch_defaults = {
        "SGD": torch.optim.SGD([torch.zeros(1, requires_grad=True)]).defaults,
        "RMSprop": torch.optim.RMSprop([torch.zeros(1, requires_grad=True)]).defaults,
        "Adagrad": torch.optim.Adagrad([torch.zeros(1, requires_grad=True)]).defaults,
        "Adam": torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults,
    }
    assert (ours["SGD"]["learning_rate"], torch_defaults["SGD"]["lr"]) == (0.01, 0.001)
    assert (ours["RMSprop"]["learning_rate"], torch_defaults["RMSprop"]["lr"]) == (0.001, 0.01)
    assert (ours["RMSprop"]["rho"], torch_defaults["RMSprop"]["alpha"]) == (0.9, 0.99)
    assert (ours["RMSprop"]["epsilon"], torch_defaults["RMSprop"]["eps"]) == (1e-7, 1e-8)
    assert (ours["Adagrad"]["learning_rate"], torch_defaults["Adagrad"]["lr"]) == (0.001, 0.01)
    adagrad_g0 = (ours["Adagrad"]["initial_accumulator_value"], torch_defaults["Adagrad"]["initial_accumulator_value"])
    assert adagrad_g0 == (0.1, 0)
    assert (ours["Adagrad"]["epsilon"], torch_defaults["Adagrad"]["eps"]) == (1e-7, 1e-10)
    assert (ours["Adam"]["epsilon"], torch_defaults["Adam"]["eps"]) == (1e-7, 1e-8)
    assert ours["Adam"]["learning_rate"] == torch_defaults["Adam"]["lr"] == 0.001


@pytest.mark.oracle
def test_adam_epsilon_sits_before_the_bias_correction():
    # One step: ours divides by √v + ε̂, torch by √v/√(1 − β2) + ε. They agree exactly when
    # ε̂ = ε·√(1 − β2), and not with the same ε; after three steps the mapping (which depends on t)
    # no longer holds for a single ε̂. Gradients of 1e-4 make ε comparable with √v.
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(5)]
    grad_seq = [[1e-4 * rng.standard_normal(5)] for _ in range(3)]
    eps = 1e-4

    def ours_after(steps, epsilon):
        p = [params[0].copy()]
        opt = Adam(learning_rate=0.01, epsilon=epsilon)
        for grads in grad_seq[:steps]:
            opt.apply(p, grads)
        return p[0]

    torch_1 = run_torch(torch.optim.Adam, {"lr": 0.01, "eps": eps}, params, grad_seq[:1])[0]
    np.testing.assert_allclose(ours_after(1, eps * math.sqrt(1 - 0.999)), torch_1, rtol=1e-13, atol=1e-15)
    assert np.max(np.abs(ours_after(1, eps) - torch_1)) > 1e-4  # same ε, visibly different step
    torch_3 = run_torch(torch.optim.Adam, {"lr": 0.01, "eps": eps}, params, grad_seq)[0]
    assert np.max(np.abs(ours_after(3, eps * math.sqrt(1 - 0.999)) - torch_3)) > 1e-6


@pytest.mark.oracle
@pytest.mark.parametrize(
    "ours, torch_cls, torch_kwargs",
    [
        (
            RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-6),
            torch.optim.RMSprop,
            {"lr": 0.01, "alpha": 0.9, "eps": 1e-6},
        ),
        (
            Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1e-6),
            torch.optim.Adagrad,
            {"lr": 0.1, "eps": 1e-6},
        ),
    ],
    ids=["rmsprop", "adagrad"],
)
def test_epsilon_inside_the_root_differs_from_torch(ours, torch_cls, torch_kwargs):
    # Same ε value, small gradients (|g| ~ 1e-4, so √v ~ 1e-4 is comparable with √ε = 1e-3):
    # √(v + ε) (ours, Keras) and √v + ε (torch) give different steps, and ours is the smaller one.
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(6)]
    grad_seq = [[np.abs(1e-4 * rng.standard_normal(6)) + 1e-5]]
    expected = run_torch(torch_cls, torch_kwargs, params, grad_seq)[0]
    mine = [params[0].copy()]
    type(ours)(**_hyper(ours)).apply(mine, grad_seq[0])
    ours_step, torch_step = params[0] - mine[0], params[0] - expected
    assert np.all(ours_step > 0) and np.all(torch_step > 0)
    assert np.all(ours_step < 0.5 * torch_step)  # √(v + ε) ≥ √ε = 1e-3 ≫ √v + ε here


# ---------------------------------------------------------------- property across the family
FAMILY = [
    SGD(),
    SGD(momentum=0.9),
    SGD(momentum=0.9, nesterov=True),
    RMSprop(learning_rate=0.01),
    RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    Adagrad(learning_rate=0.1),
    Adam(learning_rate=0.01),
    Adam(learning_rate=0.01, amsgrad=True),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "template", FAMILY, ids=lambda o: type(o).__name__ + "-" + "-".join(f"{v}" for v in _hyper(o).values())
)
def test_every_optimizer_decreases_an_ill_conditioned_quadratic(template, seed, dtype):
    # f(θ) = ½ θᵀAθ with eigenvalues 1 and 50 in a random basis: convex, condition number 50.
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((2, 2)))
    A = (q * np.array([1.0, 50.0])) @ q.T
    theta = rng.uniform(-2, 2, size=2).astype(dtype)

    def f(x):
        return 0.5 * float(x.astype(np.float64) @ A @ x.astype(np.float64))

    start = f(theta)
    opt = type(template)(**_hyper(template))
    for _ in range(200):
        opt.apply([theta], [(A @ theta).astype(dtype)])
    assert theta.dtype == dtype
    # Every rule here shrinks f by far more than half in 200 steps (the slowest, Adagrad with
    # η = 0.1, still moves each coordinate by ≥ 0.1·200/√(200·g²)); half is a safe margin.
    assert f(theta) < 0.5 * start


# ---------------------------------------------------------------- behaviour of apply
@pytest.mark.parametrize("cls", [SGD, RMSprop, Adagrad, Adam])
def test_apply_updates_in_place_and_keeps_dtype(cls):
    buffer = np.zeros((4, 3), dtype=np.float32)
    row = buffer[1]  # a C-contiguous view: the update must reach the buffer
    scalar = np.array(2.0)  # a 0-d parameter is fine
    opt = cls()
    assert opt.apply([row, scalar], [np.ones(3, np.float32), np.array(1.0)]) is None
    assert np.all(buffer[1] < 0) and np.all(buffer[[0, 2, 3]] == 0)
    assert scalar < 2.0 and row.dtype == np.float32 and scalar.dtype == np.float64
    assert opt.iterations == 1
    assert all(v.shape == (3,) and v.dtype == np.float32 for v in opt.slots(0).values())


def test_slots_hold_the_keras_initial_values():
    opt = Adagrad(initial_accumulator_value=0.25)
    with pytest.raises(ValueError, match="call apply"):
        opt.slots(0)
    p = np.zeros(3)
    opt.apply([p], [np.array([1.0, 2.0, 0.0])])
    np.testing.assert_array_equal(opt.slots(0)["accumulator"], [1.25, 4.25, 0.25])  # G0 + g², exact
    sgd = SGD()
    sgd.apply([p], [p.copy()])
    assert sgd.slots(0) == {}  # no momentum, no state
    adam = Adam(amsgrad=True)
    adam.apply([p], [np.ones(3)])
    assert set(adam.slots(0)) == {"momentum", "velocity", "velocity_hat"}


# ---------------------------------------------------------------- bad input
def _ok():
    return np.zeros(3)


BAD_APPLY = [
    ("params-array", lambda: (np.zeros(3), [np.zeros(3)]), TypeError, "params must be a list or tuple"),
    ("grads-array", lambda: ([np.zeros(3)], np.zeros(3)), TypeError, "grads must be a list or tuple"),
    ("lengths", lambda: ([_ok(), _ok()], [_ok()]), ValueError, "same length"),
    ("empty-list", lambda: ([], []), ValueError, "at least one array"),
    ("param-list", lambda: ([[0.0, 1.0]], [_ok()]), TypeError, r"params\[0\] must be a numpy array"),
    ("param-int", lambda: ([np.zeros(3, int)], [_ok()]), TypeError, r"params\[0\] must be a float32 or float64"),
    ("param-empty", lambda: ([np.zeros(0)], [np.zeros(0)]), ValueError, r"params\[0\] must not be empty"),
    ("param-strided", lambda: ([np.zeros(6)[::2]], [_ok()]), ValueError, r"params\[0\] must be C-contiguous"),
    (
        "param-fortran",
        lambda: ([np.zeros((3, 2), order="F")], [np.zeros((3, 2))]),
        ValueError,
        r"params\[0\] must be C-contiguous",
    ),
    ("param-readonly", lambda: ([np.broadcast_to(0.0, (3,))], [_ok()]), ValueError, r"params\[0\] must be"),
    ("grad-list", lambda: ([_ok()], [[0.0, 0.0, 0.0]]), TypeError, r"grads\[0\] must be a numpy array"),
    ("grad-dtype", lambda: ([_ok()], [np.zeros(3, np.float32)]), TypeError, r"grads\[0\] must have the dtype"),
    ("grad-shape", lambda: ([_ok(), _ok()], [_ok(), np.zeros(4)]), ValueError, r"grads\[1\] must have the shape"),
]


@pytest.mark.parametrize("cls", [SGD, RMSprop, Adagrad, Adam])
@pytest.mark.parametrize("case, make, error, fragment", BAD_APPLY, ids=[c[0] for c in BAD_APPLY])
def test_apply_rejects_bad_input(cls, case, make, error, fragment):
    params, grads = make()
    with pytest.raises(error, match=fragment):
        cls().apply(params, grads)


def test_readonly_param_message():
    p = np.zeros(3)
    p.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\] must be writeable"):
        SGD().apply([p], [np.zeros(3)])


@pytest.mark.parametrize("cls", [SGD, RMSprop, Adagrad, Adam])
@pytest.mark.parametrize(
    "second, fragment",
    [
        (([_ok(), _ok()], [_ok(), _ok()]), "must hold 1 arrays"),
        (([np.zeros(4)], [np.zeros(4)]), r"params\[0\] must keep the shape \(3,\)"),
        (([np.zeros(3, np.float32)], [np.zeros(3, np.float32)]), r"params\[0\] must keep .* dtype float64"),
    ],
    ids=["count", "shape", "dtype"],
)
def test_state_is_fixed_by_the_first_apply(cls, second, fragment):
    opt = cls()
    opt.apply([_ok()], [_ok()])
    with pytest.raises(ValueError, match=fragment):
        opt.apply(*second)
    assert opt.iterations == 1  # the refused call did not count


BAD_HYPER = [
    (SGD, {"learning_rate": -0.1}, ValueError, r"learning_rate must be in \[0.0, inf\]"),
    (SGD, {"learning_rate": "0.1"}, TypeError, "learning_rate must be a real number"),
    (SGD, {"learning_rate": float("nan")}, ValueError, "learning_rate must be finite"),
    (SGD, {"momentum": 1.5}, ValueError, r"momentum must be in \[0.0, 1.0\]"),
    (SGD, {"momentum": -0.1}, ValueError, "momentum must be in"),
    (SGD, {"nesterov": 1}, TypeError, "nesterov must be True or False"),
    (RMSprop, {"rho": 1.0}, ValueError, r"rho must be in \[0.0, 1.0\)"),
    (RMSprop, {"momentum": 2.0}, ValueError, "momentum must be in"),
    (RMSprop, {"epsilon": 0.0}, ValueError, r"epsilon must be in \(0.0, inf\]"),
    (RMSprop, {"centered": "yes"}, TypeError, "centered must be True or False"),
    (RMSprop, {"learning_rate": True}, TypeError, "learning_rate must be a real number"),
    (Adagrad, {"initial_accumulator_value": -1.0}, ValueError, "initial_accumulator_value must be in"),
    (Adagrad, {"epsilon": -1e-7}, ValueError, "epsilon must be in"),
    (Adagrad, {"learning_rate": float("inf")}, ValueError, "learning_rate must be finite"),
    (Adam, {"beta_1": 1.0}, ValueError, r"beta_1 must be in \[0.0, 1.0\)"),
    (Adam, {"beta_2": -0.5}, ValueError, "beta_2 must be in"),
    (Adam, {"epsilon": 0}, ValueError, "epsilon must be in"),
    (Adam, {"amsgrad": None}, TypeError, "amsgrad must be True or False"),
    (Adam, {"beta_1": [0.9]}, TypeError, "beta_1 must be a real number"),
]


@pytest.mark.parametrize(
    "cls, kwargs, error, fragment",
    BAD_HYPER,
    ids=[f"{c[0].__name__}-{next(iter(c[1]))}-{i}" for i, c in enumerate(BAD_HYPER)],
)
def test_hyper_parameters_are_validated(cls, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        cls(**kwargs)


def test_boundary_hyper_parameters_are_accepted():
    # The closed ends of each interval, as torch accepts them.
    SGD(learning_rate=0.0, momentum=1.0)
    RMSprop(rho=0.0, momentum=1.0)
    Adagrad(initial_accumulator_value=0.0)
    Adam(beta_1=0.0, beta_2=0.0)


# ---------------------------------------------------------------- non-finite and extreme gradients
ALL_KERAS = [(name, kwargs) for _, name, kwargs in KERAS_CONFIGS]


@pytest.mark.oracle
@pytest.mark.parametrize("name, kwargs", ALL_KERAS, ids=[c[0] for c in KERAS_CONFIGS])
def test_non_finite_gradients_propagate_as_in_keras(name, kwargs):
    # Not checked, for speed: NaN/inf in g_t poison exactly the elements they touch, as in Keras.
    params = [np.linspace(-1, 1, 4).astype(np.float32)]
    grad_seq = [[np.array([np.nan, np.inf, -np.inf, 0.5], np.float32)], [np.array([1, 1, 1, 1], np.float32)]]
    ours = run_ours(name, kwargs, params, grad_seq)[-1][0]
    theirs = run_keras(name, kwargs, params, grad_seq)[-1][0]
    assert not np.any(np.isfinite(ours[:3])) and np.isfinite(ours[3])
    # equal_nan: NaN matches NaN; ±inf must match exactly
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True)


ADAPTIVE = [
    RMSprop(),
    RMSprop(momentum=0.5, centered=True),
    Adagrad(),
    Adam(),
    Adam(amsgrad=True),
]


def _rescaled(opt, c):
    """The same optimizer for gradients divided by c: ε (and G0) scale with g² (Adam's ε̂ with |g|)."""
    hyper = _hyper(opt)
    if isinstance(opt, Adam):
        hyper["epsilon"] = opt.epsilon / c
    else:
        hyper["epsilon"] = opt.epsilon / c**2
    if isinstance(opt, Adagrad):
        hyper["initial_accumulator_value"] = opt.initial_accumulator_value / c**2
    return type(opt)(**hyper)


ADAPTIVE_IDS = ["rmsprop", "rmsprop-centered", "adagrad", "adam", "adam-amsgrad"]


@pytest.mark.parametrize("c", [1e30, 1e-30], ids=["1e30", "1e-30"])
@pytest.mark.parametrize("template", ADAPTIVE, ids=ADAPTIVE_IDS)
def test_extreme_gradients_float64_are_scale_invariant(template, c):
    # In float64, g² of 1e30 or 1e-30 is representable: the normalised update of g·c with ε
    # rescaled equals the update of g, so the parameters stay finite and move by O(η) per step.
    rng = np.random.default_rng(0)
    params = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(5)]
    scaled, plain = [params.copy()], [params.copy()]
    opt_scaled, opt_plain = type(template)(**_hyper(template)), _rescaled(template, c)
    for g in grads:
        opt_scaled.apply(scaled, [g * c])
        opt_plain.apply(plain, [g])
    assert np.all(np.isfinite(scaled[0]))
    # rounding of g·c and of the rescaled ε only
    np.testing.assert_allclose(scaled[0], plain[0], rtol=1e-12, atol=1e-14)
    if c > 1:
        assert np.max(np.abs(scaled[0] - params)) > 1e-4  # it moved by O(η), not by O(η·c)
        assert np.max(np.abs(scaled[0] - params)) < 1.0


@pytest.mark.oracle
@pytest.mark.parametrize("c", [1e30, 1e-30], ids=["1e30", "1e-30"])
@pytest.mark.parametrize(
    "name, kwargs",
    [(type(o).__name__, _hyper(o)) for o in ADAPTIVE],
    ids=ADAPTIVE_IDS,
)
def test_extreme_gradients_float32_do_what_keras_does(name, kwargs, c):
    # float32: (1e30)² overflows to inf and (1e-30)² underflows to 0. We do what Keras does:
    # v (or G) = inf gives a zero update (finite, that element stops moving); with centered
    # RMSprop r = (inf + ε) − inf = NaN in both; v = 0 gives the tiny step η·g/√ε.
    params = [np.array([1.0, -1.0, 0.5], np.float32)]
    grad_seq = [[np.array([c, -c, 0.5], np.float32)] for _ in range(3)]
    ours = run_ours(name, kwargs, params, grad_seq)[-1][0]
    theirs = run_keras(name, kwargs, params, grad_seq)[-1][0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True)  # float32 rounding only
    if c == 1e30 and kwargs.get("centered"):
        assert np.all(np.isnan(ours[:2])) and np.isfinite(ours[2])
    else:
        assert np.all(np.isfinite(ours))
    if c == 1e30 and not kwargs.get("centered"):
        np.testing.assert_array_equal(ours[:2], params[0][:2])  # g² = inf: exactly zero update
