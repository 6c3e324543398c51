"""Framework conventions named in the pages' "PyTorch vs Keras" tables.

Each test reads a default from PyTorch, Keras 3 (torch backend, set in
conftest.py), scikit-learn or NumPy, or shows the difference numerically, so
that every row of those tables is backed by something that can fail.
"""

import inspect

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")


def _t(a):
    """A torch tensor (keras output on the torch backend) as a NumPy array."""
    return a.detach().cpu().numpy()


# ----------------------------------------------------------------- activation-function.md
def test_gelu_form_flag_is_a_string_in_torch_and_a_bool_in_keras():
    from glossary_dl import activations

    x = np.linspace(-3.0, 3.0, 7)
    xt = torch.tensor(x)
    # torch: a string; a bool is refused
    tanh_torch = _t(torch.nn.functional.gelu(xt, approximate="tanh"))
    with pytest.raises(TypeError):
        torch.nn.functional.gelu(xt, approximate=True)
    # keras: a bool, giving the same tanh form (float64 both sides, rtol 1e-12)
    tanh_keras = _t(keras.activations.gelu(xt, approximate=True))
    np.testing.assert_allclose(tanh_keras, tanh_torch, rtol=1e-12, atol=1e-15)
    # glossary_dl follows Keras: a bool; torch's string is refused with TypeError
    np.testing.assert_allclose(activations.gelu(x, approximate=True), tanh_torch, rtol=1e-12, atol=1e-15)
    with pytest.raises(TypeError, match="approximate"):
        activations.gelu(x, approximate="tanh")


# ----------------------------------------------------------- automatic-differentiation.md
def test_gradients_accumulate_across_backward_calls_until_zero_grad():
    from glossary_dl.autodiff import Tensor

    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    wt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for _ in range(2):  # two separate graphs, two backward calls
        (w * w).sum().backward()
        (wt * wt).sum().backward()
    # d/dw sum(w^2) = 2w, twice: 4w in both (exact in float64)
    np.testing.assert_array_equal(w.grad, 4.0 * w.value)
    np.testing.assert_array_equal(_t(wt.grad), 4.0 * w.value)
    w.zero_grad()
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, 2.0 * w.value)


def test_non_scalar_backward_without_a_gradient_raises():
    from glossary_dl.autodiff import Tensor

    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match="gradient"):
        (w * w).backward()
    wt = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (wt * wt).backward()


# -------------------------------------------------------------------------- batch-axis.md
def test_torch_dataloader_defaults_batch_1_in_order_and_keeps_the_short_batch():
    from glossary_dl.tensors import iter_batches

    params = inspect.signature(torch.utils.data.DataLoader).parameters
    assert params["batch_size"].default == 1
    assert params["shuffle"].default in (False, None)  # None means "not shuffled"
    assert params["drop_last"].default is False
    x = np.arange(10.0)
    sizes = [len(b) for b in torch.utils.data.DataLoader(torch.tensor(x), batch_size=4)]
    assert sizes == [4, 4, 2]
    assert [len(b) for b in torch.utils.data.DataLoader(torch.tensor(x), batch_size=4, drop_last=True)] == [4, 4]
    first = next(iter(torch.utils.data.DataLoader(torch.tensor(x), batch_size=4)))
    np.testing.assert_array_equal(_t(first), x[:4])  # in order
    assert [len(b) for b in iter_batches(x, 4)] == [4, 4, 2]
    assert [len(b) for b in iter_batches(x, 4, drop_last=True)] == [4, 4]


def test_keras_fit_batches_32_keeps_the_short_batch_and_shuffles_by_default():
    assert inspect.signature(keras.Model.fit).parameters["shuffle"].default is True
    steps = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append(batch)

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((70, 1), dtype=np.float32)
    model.fit(x, x, epochs=1, verbose=0, callbacks=[Count()])
    # batch_size=None means 32: 70 samples give 32 + 32 + 6, the short batch kept
    assert len(steps) == 3


def test_recurrent_layers_batch_axis_1_in_torch_and_0_in_keras():
    n, length, features, hidden = 2, 5, 3, 4
    rnn = torch.nn.RNN(features, hidden)
    assert rnn.batch_first is False
    out, _ = rnn(torch.zeros(length, n, features))  # (L, N, H_in)
    assert tuple(out.shape) == (length, n, hidden)
    out_bf, _ = torch.nn.RNN(features, hidden, batch_first=True)(torch.zeros(n, length, features))
    assert tuple(out_bf.shape) == (n, length, hidden)
    seq = keras.layers.SimpleRNN(hidden, return_sequences=True)(np.zeros((n, length, features), np.float32))
    assert tuple(seq.shape) == (n, length, hidden)  # (N, timesteps, features)


# ----------------------------------------------------------------- batch-normalization.md
def test_batchnorm_parameter_names_differ():
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    keras_names = {w.path.split("/")[-1] for w in layer.weights}
    assert keras_names == {"gamma", "beta", "moving_mean", "moving_variance"}
    torch_names = set(torch.nn.BatchNorm1d(3).state_dict())
    assert {"weight", "bias", "running_mean", "running_var"} <= torch_names


# -------------------------------------------------------------------------- broadcasting.md
def test_explicit_broadcast_is_a_view_in_numpy_and_torch():
    x = np.arange(3.0)
    b = np.broadcast_to(x, (2, 3))
    assert b.shape == (2, 3) and np.shares_memory(b, x) and not b.flags.writeable
    xt = torch.arange(3.0)
    e = xt.expand(2, 3)
    assert tuple(e.shape) == (2, 3) and e.data_ptr() == xt.data_ptr() and e.stride() == (0, 1)
    assert tuple(xt.expand_as(torch.zeros(4, 3)).shape) == (4, 3)
    np.testing.assert_array_equal(_t(keras.ops.broadcast_to(xt, (2, 3))), np.broadcast_to(x, (2, 3)))


def test_in_place_add_cannot_grow_the_left_operand():
    x, y = np.zeros(3), np.ones((2, 3))
    with pytest.raises(ValueError):
        x += y
    with pytest.raises(RuntimeError):
        torch.zeros(3).add_(torch.ones(2, 3))
    # the other way round is fine: the smaller operand is broadcast (exact)
    y += x
    np.testing.assert_array_equal(y, np.ones((2, 3)))


# ------------------------------------------------------------- chain-rule / computation-graph
def test_keras_ops_on_the_torch_backend_record_a_torch_graph():
    w = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    y = keras.ops.multiply(w, w)
    # the graph is built while the code runs: each result carries a grad_fn
    assert y.grad_fn is not None and y.grad_fn.next_functions
    loss = keras.ops.sum(y)
    (g,) = torch.autograd.grad(loss, w)
    np.testing.assert_array_equal(_t(g), 2.0 * _t(w))  # d/dw sum(w^2) = 2w, exact
    loss2 = keras.ops.sum(keras.ops.multiply(w, w))
    loss2.backward()
    np.testing.assert_array_equal(_t(w.grad), 2.0 * _t(w))


def test_keras_relu_derivative_at_zero_is_zero_on_the_torch_backend():
    z = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    keras.ops.sum(keras.ops.relu(z)).backward()
    np.testing.assert_array_equal(_t(z.grad), [0.0, 0.0, 1.0])  # exact


def test_keras_matmul_of_float64_returns_float32():
    a = torch.ones(2, 2, dtype=torch.float64)
    assert (a @ a).dtype == torch.float64
    assert keras.ops.matmul(a, a).dtype == torch.float32
    assert keras.ops.multiply(a, a).dtype == torch.float64


# ----------------------------------------------------------------------------------- cuda.md
def test_cuda_precision_and_placement_defaults():
    assert torch.backends.cuda.matmul.allow_tf32 is False
    assert torch.get_float32_matmul_precision() == "highest"
    assert torch.backends.cudnn.allow_tf32 is True
    assert torch.zeros(1).device.type == "cpu"  # torch: created on the CPU
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert keras.ops.zeros((1,)).device.type == expected  # keras: placed automatically


# --------------------------------------------------------------------------- data-tensors.md
def test_video_layout_is_channels_first_in_torch_and_channels_last_in_keras():
    n, c, d, h, w, out = 1, 2, 3, 4, 5, 6
    conv = torch.nn.Conv3d(c, out, kernel_size=1)
    assert tuple(conv.weight.shape) == (out, c, 1, 1, 1)
    assert tuple(conv(torch.zeros(n, c, d, h, w)).shape) == (n, out, d, h, w)
    layer = keras.layers.Conv3D(out, kernel_size=1)
    y = layer(np.zeros((n, d, h, w, c), np.float32))
    assert tuple(y.shape) == (n, d, h, w, out)
    assert tuple(layer.kernel.shape) == (1, 1, 1, c, out)


# --------------------------------------------------------------------------- deep-learning.md
def test_sequential_stacks_in_keras_and_torch():
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    km = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    tm = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    # copy the Keras weights into torch (transposed: (in, out) vs (out, in)); float32, rtol 1e-5
    with torch.no_grad():
        for lin, dense in zip((tm[0], tm[2]), km.layers):
            lin.weight.copy_(torch.tensor(_t(dense.kernel.value).T))
            lin.bias.copy_(torch.tensor(_t(dense.bias.value)))
    np.testing.assert_allclose(_t(km(x)), _t(tm(torch.tensor(x))), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- differentiation.md
def test_torch_gradcheck_uses_a_fixed_step_of_1e_6():
    assert inspect.signature(torch.autograd.gradcheck).parameters["eps"].default == 1e-6
    x = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: (t ** 3).sum(), (x,))
    assert not hasattr(keras.ops, "gradcheck")


# -------------------------------------------------------------------- element-wise-operations.md
def test_in_place_relu_forms():
    x = np.array([-1.0, 2.0])
    out = np.maximum(x, 0, out=x)
    assert out is x and np.array_equal(x, [0.0, 2.0])
    xt = torch.tensor([-1.0, 2.0])
    ptr = xt.data_ptr()
    torch.relu_(xt)
    assert xt.data_ptr() == ptr and np.array_equal(_t(xt), [0.0, 2.0])
    assert not hasattr(keras.ops, "relu_")


# ------------------------------------------------------------------------ feature-engineering.md
def test_keras_preprocessing_and_lambda_layers_live_in_the_model():
    x = np.array([[1.0], [2.0], [3.0], [6.0]], np.float32)
    norm = keras.layers.Normalization()
    norm.adapt(x)
    # the statistics are layer weights (so saved with the model); rtol 1e-6 in float32
    stats = {w.path.split("/")[-1]: _t(w.value) for w in norm.weights}
    np.testing.assert_allclose(stats["mean"].ravel(), [x.mean()], rtol=1e-6)
    np.testing.assert_allclose(stats["variance"].ravel(), [x.var()], rtol=1e-6)
    np.testing.assert_allclose(_t(norm(x)), (x - x.mean()) / np.sqrt(x.var()), rtol=1e-5, atol=1e-6)
    assert not hasattr(torch.nn, "Normalization")
    # a hand-made feature: a Lambda layer in Keras, one line of forward in torch (exact)
    square = keras.layers.Lambda(lambda t: t * t)
    np.testing.assert_array_equal(_t(square(x)), _t(torch.tensor(x) * torch.tensor(x)))


# ----------------------------------------------------------------------------- learning-rate.md
def test_learning_rate_argument_name_and_storage():
    assert "lr" in inspect.signature(torch.optim.SGD).parameters
    assert "learning_rate" in inspect.signature(keras.optimizers.SGD).parameters
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert type(opt.param_groups[0]["lr"]) is float
    kopt = keras.optimizers.SGD(learning_rate=0.1)
    assert isinstance(kopt.learning_rate, keras.Variable) and kopt.learning_rate.dtype == "float32"
    # 0.1 is not a float32 number: the stored value is its float32 rounding (exact comparison)
    assert _t(kopt.learning_rate.value).item() == float(np.float32(0.1)) != 0.1


def test_learning_rate_schedules():
    # torch: a scheduler object stepped by the loop
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05, rel=1e-12)
    # keras: a schedule passed as learning_rate, evaluated at the step counter
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    kopt = keras.optimizers.SGD(learning_rate=schedule)
    v = keras.Variable(np.zeros(1, np.float32))
    for _ in range(2):
        kopt.apply_gradients([(torch.ones(1), v)])
    # steps used 0.1 and 0.05; float32, rtol 1e-6
    np.testing.assert_allclose(_t(v.value), [-0.15], rtol=1e-6)


# ------------------------------------------------------------------------------ neural-network.md
def test_keras_clips_far_off_probabilities_while_torch_log_softmax_is_exact():
    logits = np.array([[0.0, 40.0]])
    labels = np.array([0])
    exact = 40.0 + np.log1p(np.exp(-40.0))  # -log softmax_0
    lt = torch.tensor(logits, requires_grad=True)
    torch_loss = torch.nn.functional.cross_entropy(lt, torch.tensor(labels))
    np.testing.assert_allclose(torch_loss.item(), exact, rtol=1e-12)
    # Keras takes probabilities: softmax underflows to ~4e-18 and is clipped at 1e-7
    probs = torch.softmax(torch.tensor(logits, dtype=torch.float32, requires_grad=True), dim=-1)
    probs.retain_grad()
    k = keras.losses.sparse_categorical_crossentropy(torch.tensor(labels), probs)
    np.testing.assert_allclose(_t(k), [-np.log(1e-7)], rtol=1e-5)  # 16.118, float32
    k.sum().backward()
    assert probs.grad[0, 0].item() == 0.0  # clipped: no gradient reaches p_0


# ------------------------------------------------------------------------------- overfitting.md
def test_keras_validation_split_takes_the_last_samples_before_shuffling():
    x = np.ones((10, 1), np.float32)
    y = np.zeros((10, 1), np.float32)
    y[8:] = 1.0  # only the last 20 % are ones
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    hist = model.fit(x, y, validation_split=0.2, epochs=1, verbose=0, shuffle=True)
    # prediction 0: the validation targets are all ones -> val_loss 1, train loss 0 (exact)
    assert hist.history["val_loss"] == [1.0]
    assert hist.history["loss"] == [0.0]


def test_keras_early_stopping_defaults():
    es = keras.callbacks.EarlyStopping()
    assert es.monitor == "val_loss" and es.patience == 0 and es.restore_best_weights is False


# -------------------------------------------------------------------------------- random-forest.md
def test_seed_argument_is_random_state_in_sklearn_and_seed_here():
    from sklearn.ensemble import RandomForestClassifier as SkForest

    from glossary_dl.trees import RandomForestClassifier

    assert "random_state" in inspect.signature(SkForest).parameters
    params = inspect.signature(RandomForestClassifier).parameters
    assert "seed" in params and "random_state" not in params


# -------------------------------------------------------------------------------- tensor-product.md
def test_rank_3_products_dot_versus_matmul():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    assert np.dot(a, b).shape == (2, 3, 2, 5)  # every pair of leading indices
    batched = np.matmul(a, b)
    assert batched.shape == (2, 3, 5)
    # float64 on every side; rtol 1e-12
    np.testing.assert_allclose(_t(torch.matmul(torch.tensor(a), torch.tensor(b))), batched, rtol=1e-12)
    np.testing.assert_allclose(np.einsum("bij,bjk->bik", a, b), batched, rtol=1e-12)
    kout = keras.ops.matmul(torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
    np.testing.assert_allclose(_t(kout), batched, rtol=1e-4, atol=1e-5)  # float32


def test_torch_matmul_refuses_mixed_float_precision():
    a32, a64 = np.ones((2, 2), np.float32), np.ones((2, 2))
    assert (a32 @ a64).dtype == np.float64
    with pytest.raises(RuntimeError):
        torch.tensor(a32) @ torch.tensor(a64)


# ----------------------------------------------------------------------------------------- tensor.md
def test_default_float_dtypes():
    assert np.zeros(1).dtype == np.float64
    assert torch.get_default_dtype() == torch.float32 and torch.zeros(1).dtype == torch.float32
    assert keras.config.floatx() == "float32"
    assert keras.ops.zeros((1,)).dtype == torch.float32


# ---------------------------------------------------------------------------------------- weights.md
def test_dense_matrix_names_and_trainable_flags():
    dense = keras.layers.Dense(3)
    dense.build((None, 2))
    assert tuple(dense.kernel.shape) == (2, 3)
    lin = torch.nn.Linear(2, 3)
    assert tuple(lin.weight.shape) == (3, 2)
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    lin.weight.requires_grad_(False)
    assert [n for n, p in lin.named_parameters() if p.requires_grad] == ["bias"]
