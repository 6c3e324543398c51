"""glossary_dl.training against the math of gradient descent, PyTorch, Keras 3 and a real run."""

import numba
import numpy as np
import pytest
import torch

from glossary_dl.backprop import DenseNetwork
from glossary_dl.optimizers import SGD, Adam
from glossary_dl.training import gradient_descent, iterate_minibatches, minibatch_sgd


def spd_matrix(rng, n=4):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = rng.uniform(0.5, 10.0, size=n)
    return q @ np.diag(eigenvalues) @ q.T, eigenvalues.max()


# ---------------------------------------------------------------- gradient descent
@pytest.mark.verifies("glossary_dl.training.gradient_descent", oracle="numpy", dtypes=("float64",), rtol=1e-10, atol=1e-12)  # matrix power
def test_gradient_descent_on_a_quadratic_is_a_matrix_power(rng):
    # f(θ) = ½θᵀAθ has ∇f = Aθ, so θ_t = (I − ηA)^t θ_0 exactly
    a, _ = spd_matrix(rng)
    x0, eta, steps = rng.standard_normal(4), 0.05, 30
    path = gradient_descent(lambda v: a @ v, x0, eta, steps)
    assert path.shape == (steps + 1, 4) and path.dtype == np.float64
    expected = np.array([np.linalg.matrix_power(np.eye(4) - eta * a, t) @ x0 for t in range(steps + 1)])
    np.testing.assert_allclose(path, expected, rtol=1e-10, atol=1e-12)  # float64 rounding over 30 steps


@pytest.mark.parametrize("fraction", [0.5, 0.95])
def test_gradient_descent_converges_below_two_over_lambda_max(fraction, rng):
    # η < 2/λ_max: every factor |1 − ηλ| < 1, so the error shrinks at least as fast as max|1 − ηλ|^t
    a, lam_max = spd_matrix(rng)
    eigenvalues = np.linalg.eigvalsh(a)
    eta = fraction * 2.0 / lam_max
    rate = np.max(np.abs(1.0 - eta * eigenvalues))
    x0, steps = rng.standard_normal(4), 200
    path = gradient_descent(lambda v: a @ v, x0, eta, steps)
    norms = np.linalg.norm(path, axis=1)
    assert np.all(norms[1:] <= rate * norms[:-1] * (1 + 1e-12))  # contraction, step by step
    assert norms[-1] <= rate**steps * norms[0] * (1 + 1e-9)


@pytest.mark.parametrize("fraction", [1.05, 1.5])
def test_gradient_descent_diverges_above_two_over_lambda_max(fraction, rng):
    # η > 2/λ_max: along the top eigenvector u, θ·u is multiplied by 1 − ηλ_max < −1 every step
    a, _ = spd_matrix(rng)
    eigenvalues, vectors = np.linalg.eigh(a)
    u, lam_max = vectors[:, -1], eigenvalues[-1]
    eta = fraction * 2.0 / lam_max
    x0, steps = rng.standard_normal(4), 40
    path = gradient_descent(lambda v: a @ v, x0, eta, steps)
    projection = path @ u
    expected = (1.0 - eta * lam_max) ** np.arange(steps + 1) * (x0 @ u)
    np.testing.assert_allclose(projection, expected, rtol=1e-9)  # float64 rounding, amplified by |1 − ηλ|^t
    assert np.linalg.norm(path[-1]) > 1.05**steps / 2 * abs(x0 @ u)
    assert np.all(np.diff(np.abs(projection)) > 0)


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.training.gradient_descent", oracle="torch", dtypes=("float64",), rtol=1e-13, atol=1e-15)
def test_gradient_descent_matches_torch_sgd_on_a_nonconvex_function(rng):
    def torch_f(p):  # the Rosenbrock valley in 2-D
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    def grad(v):
        p = torch.tensor(v, requires_grad=True)
        torch_f(p).backward()
        return p.grad.numpy()

    x0, eta, steps = np.array([-1.2, 1.0]), 1e-3, 50
    ours = gradient_descent(grad, x0, eta, steps)
    p = torch.nn.Parameter(torch.tensor(x0))
    opt = torch.optim.SGD([p], lr=eta)
    for t in range(steps):
        opt.zero_grad()
        torch_f(p).backward()
        opt.step()
        np.testing.assert_allclose(ours[t + 1], p.detach().numpy(), rtol=1e-13, atol=1e-15)  # same arithmetic


def test_gradient_descent_keeps_float32(rng):
    a, _ = spd_matrix(rng)
    x0 = rng.standard_normal((2, 2)).astype(np.float32)
    path = gradient_descent(lambda v: (a @ v.reshape(-1)).reshape(2, 2), x0, 0.05, 20)
    assert path.dtype == np.float32 and path.shape == (21, 2, 2)
    ref = gradient_descent(lambda v: (a @ v.reshape(-1)).reshape(2, 2), x0.astype(np.float64), 0.05, 20)
    np.testing.assert_allclose(path, ref, rtol=1e-5, atol=1e-6)  # float32 rounding over 20 steps


def test_gradient_descent_reports_the_step_where_a_divergent_run_overflows():
    # f = 3θ²/2 with η = 1: θ ← −2θ, so |θ| doubles until 3θ overflows (Python floats: no warning)
    with pytest.raises(ValueError, match="non-finite gradient at step 10[0-9][0-9]"):
        gradient_descent(lambda v: np.array([3.0 * float(v[0])]), np.array([1.0]), 1.0, 1100)


# ---------------------------------------------------------------- mini-batches
@pytest.mark.parametrize(("n", "b"), [(1, 1), (10, 1), (10, 3), (10, 10), (10, 64), (97, 32)])
def test_minibatches_cover_every_index_once_per_epoch(n, b):
    for seed in range(3):
        batches = iterate_minibatches(n, b, seed=seed)
        sizes = [len(batch) for batch in batches]
        assert len(batches) == -(-n // b)
        assert all(size == b for size in sizes[:-1]) and 1 <= sizes[-1] <= b
        np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.training.iterate_minibatches", oracle="torch", rtol=0)  # the same index layout, exactly
@pytest.mark.parametrize(("n", "b"), [(10, 3), (97, 32), (8, 8)])
def test_minibatch_layout_matches_torch_batch_sampler(n, b):
    sampler = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), b, drop_last=False)
    ours = iterate_minibatches(n, b, shuffle=False)
    assert [list(batch) for batch in ours] == list(sampler)


def test_minibatches_are_reproducible_per_seed_and_differ_across_seeds():
    first, again = iterate_minibatches(50, 8, seed=7), iterate_minibatches(50, 8, seed=7)
    other = iterate_minibatches(50, 8, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(first, again))
    assert not all(np.array_equal(p, q) for p, q in zip(first, other))
    rng = np.random.default_rng(0)  # one generator, two epochs: two different orders
    epoch1, epoch2 = iterate_minibatches(50, 50, seed=rng), iterate_minibatches(50, 50, seed=rng)
    assert not np.array_equal(epoch1[0], epoch2[0])


# ---------------------------------------------------------------- the training loop
def _tiny_problem(rng, n=20, sizes=(5, 7, 3)):
    x = rng.standard_normal((n, sizes[0]))
    labels = rng.integers(0, sizes[-1], size=n)
    return x, labels


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.training.minibatch_sgd", oracle="keras", dtypes=("float32",), rtol=1e-5, atol=1e-6)
def test_minibatch_sgd_matches_keras_fit():
    import keras

    rng = np.random.default_rng(0)
    x, labels = _tiny_problem(rng)
    x = x.astype(np.float32)
    ours = DenseNetwork([5, 7, 3], seed=0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7, activation="relu"), keras.layers.Dense(3)])
    model.set_weights([p.copy() for p in ours.parameters()])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    # batch 8 of 20 samples: batches of 8, 8, 4, so the size-weighted epoch mean is exercised
    theirs = model.fit(x, labels, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    history = minibatch_sgd(ours, x, labels, batch_size=8, epochs=3, optimizer=SGD(0.1), shuffle=False)
    # Keras computes in float32 (ORACLES.md): a few ulps over 9 steps
    np.testing.assert_allclose(history["loss"], theirs, rtol=1e-5)
    # v.value is a torch tensor on this backend (get_weights() would warn under numpy 2)
    for p, v in zip(ours.parameters(), model.weights):
        np.testing.assert_allclose(p, v.value.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.training.minibatch_sgd", oracle="torch", dtypes=("float64",), rtol=1e-12, atol=1e-14)
def test_minibatch_sgd_matches_a_torch_loop_over_the_same_shuffled_batches():
    rng = np.random.default_rng(1)
    x, labels = _tiny_problem(rng)
    ours = DenseNetwork([5, 7, 3], seed=1, dtype=np.float64)
    params = [torch.tensor(p.copy(), requires_grad=True) for p in ours.parameters()]
    history = minibatch_sgd(ours, x, labels, batch_size=6, epochs=2, optimizer=SGD(0.2), seed=3)
    order_rng, losses = np.random.default_rng(3), []  # the same generator replays the same batches
    opt = torch.optim.SGD(params, lr=0.2)
    for _ in range(2):
        total = 0.0
        for batch in iterate_minibatches(20, 6, seed=order_rng):
            w1, b1, w2, b2 = params
            logits = torch.relu(torch.from_numpy(x[batch]) @ w1 + b1) @ w2 + b2
            loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels[batch]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        losses.append(total / 20)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-12)  # float64, same operations
    for p, q in zip(ours.parameters(), params):
        np.testing.assert_allclose(p, q.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_full_batch_epoch_is_one_gradient_descent_step():
    rng = np.random.default_rng(2)
    x, labels = _tiny_problem(rng)
    net, reference = DenseNetwork([5, 7, 3], seed=2, dtype=np.float64), DenseNetwork([5, 7, 3], seed=2, dtype=np.float64)
    _, grads = reference.loss_and_gradients(x, labels)
    minibatch_sgd(net, x, labels, batch_size=20, epochs=1, optimizer=SGD(0.5), seed=0)
    flat_grads = [g for pair in grads for g in pair]
    for p, p0, g in zip(net.parameters(), reference.parameters(), flat_grads):
        np.testing.assert_allclose(p, p0 - 0.5 * g, rtol=1e-12, atol=1e-15)  # θ − η∇L, order of rows aside


def test_same_seed_same_run_bit_for_bit():
    rng = np.random.default_rng(4)
    x, labels = _tiny_problem(rng)
    runs = []
    for _ in range(2):
        net = DenseNetwork([5, 7, 3], seed=0)
        history = minibatch_sgd(net, x, labels, batch_size=4, epochs=2, seed=11, validation_data=(x, labels))
        runs.append((history, net.parameters()))
    for key in ("loss", "val_loss"):
        np.testing.assert_array_equal(runs[0][0][key], runs[1][0][key])
    for p, q in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(p, q)


@pytest.mark.slow  # 100 epochs of 10 batches through a 64-256-10 network: hours as plain Python
def test_overfitting_run_on_digits_shows_validation_loss_rising_while_training_loss_falls():
    # a real run: 100 handwritten digits to train on, 400 held out, a wide network, 100 epochs
    from glossary_dl.datasets import load_digits

    (x_train, y_train), (x_test, y_test) = load_digits()
    images = np.concatenate([x_train, x_test]).reshape(-1, 64) / 255.0
    digits = np.concatenate([y_train, y_test])
    order = np.random.default_rng(0).permutation(len(digits))
    train, held_out = order[:100], order[1000:1400]
    net = DenseNetwork([64, 256, 10], seed=0)
    # 4000 tiny batches: with numba's OpenMP threads next to torch's on a busy 2-core machine the
    # thread barriers, not the arithmetic, take the time (30 s against 1.5 s); one thread is exact
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        history = minibatch_sgd(
            net, images[train], digits[train], batch_size=10, epochs=100, optimizer=Adam(0.01), seed=0,
            validation_data=(images[held_out], digits[held_out]),
        )
    finally:
        numba.set_num_threads(threads)
    loss, val_loss = history["loss"], history["val_loss"]
    best = int(np.argmin(val_loss))
    assert 0 < best < 50  # the held-out loss bottoms out early ...
    assert val_loss[-1] > 1.1 * val_loss[best]  # ... then climbs by more than 10 %
    assert loss[-1] < loss[best] / 10  # while the training loss keeps falling, tenfold
    assert np.all(val_loss[best + 20:] > val_loss[best])  # and the rise is not noise around the best


# ---------------------------------------------------------------- bad input
_x, _labels = np.ones((4, 5)), np.zeros(4, dtype=np.int64)
_net = DenseNetwork([5, 7, 3], seed=0, dtype=np.float64)
BAD_CASES = [
    (gradient_descent, ("g", np.ones(2), 0.1, 3), {}, TypeError, "grad_f must be a callable"),
    (gradient_descent, (lambda v: v, np.ones(2, dtype=int), 0.1, 3), {}, TypeError, "x0 must be a float32"),
    (gradient_descent, (lambda v: v, np.ones(2), 0.0, 3), {}, ValueError, "learning_rate must be in"),
    (gradient_descent, (lambda v: v, np.ones(2), "0.1", 3), {}, TypeError, "learning_rate must be a real"),
    (gradient_descent, (lambda v: v, np.ones(2), 0.1, -1), {}, ValueError, "steps must be >= 0"),
    (gradient_descent, (lambda v: v, np.ones(2), 0.1, 2.5), {}, TypeError, "steps must be an integer"),
    (gradient_descent, (lambda v: v[:1], np.ones(2), 0.1, 3), {}, ValueError, "grad_f must return an array of shape"),
    (gradient_descent, (lambda v: "up", np.ones(2), 0.1, 3), {}, TypeError, "grad_f must return a real array"),
    (iterate_minibatches, (0, 3), {}, ValueError, "n_samples must be >= 1"),
    (iterate_minibatches, (10, 0), {}, ValueError, "batch_size must be >= 1"),
    (iterate_minibatches, (10, 2.0), {}, TypeError, "batch_size must be an integer"),
    (iterate_minibatches, (10, 2), {"seed": "x"}, TypeError, "seed must be None, an integer"),
    (iterate_minibatches, (10, 2), {"seed": -1}, ValueError, "seed must be >= 0"),
    (iterate_minibatches, (10, 2), {"shuffle": 1}, TypeError, "shuffle must be True or False"),
    (minibatch_sgd, ("net", _x, _labels), {}, TypeError, "network must be a glossary_dl.backprop.DenseNetwork"),
    (minibatch_sgd, (_net, np.ones((4, 6)), _labels), {}, ValueError, "x must have shape \\(N, 5\\)"),
    (minibatch_sgd, (_net, _x, _labels[:3]), {}, ValueError, "labels must hold one label per row"),
    (minibatch_sgd, (_net, _x, _labels + 3), {}, ValueError, "labels must be class indices in \\[0, 3\\)"),
    (minibatch_sgd, (_net, _x, _labels), {"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    (minibatch_sgd, (_net, _x, _labels), {"epochs": 0}, ValueError, "epochs must be >= 1"),
    (minibatch_sgd, (_net, _x, _labels), {"optimizer": torch.optim.SGD}, TypeError, "optimizer must be an SGD"),
    (minibatch_sgd, (_net, _x, _labels), {"validation_data": _x}, TypeError, "validation_data must be a pair"),
    (minibatch_sgd, (_net, _x, _labels), {"validation_data": (_x[:, :2], _labels)}, ValueError,
     "validation_data\\[0\\] must have shape"),
]


@pytest.mark.parametrize(
    ("function", "args", "kwargs", "error", "fragment"), BAD_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(BAD_CASES)],
)
def test_bad_input_is_refused_with_a_message_naming_the_argument(function, args, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        function(*args, **kwargs)
