"""glossary_dl.tensors against NumPy (the oracle for every op), PyTorch and Keras conventions, and math.

Element-wise ops, broadcasting, reshaping and transposition move or add
numbers without rounding differently from NumPy, so they must be bit-identical
(``np.array_equal`` plus the dtype). The dot products accumulate in float64 in
a fixed order while NumPy calls BLAS in another order, so they are compared
with a bound on the rounding of a sum, stated at each assertion.
"""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glossary_dl import backprop, tensors

# ---------------------------------------------------------------- helpers
SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 4), (2, 1, 3, 2, 2)]


def random_tensor(rng, shape, dtype):
    return rng.normal(size=shape).astype(dtype)


def assert_identical(ours, expected):
    """Same shape, same dtype, same bits (tolerance 0)."""
    expected = np.asarray(expected)
    assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    assert np.array_equal(ours, expected)


def assert_sum_close(ours, a_abs_b, reference, dtype, terms=64):
    """A sum of products computed two ways (ours in float64, NumPy/BLAS in another order).

    float64: |ours − ref| ≤ max(1e-12, 2k·2⁻⁵³) · Σ|a||b| (each order's rounding error is below
    k·2⁻⁵³·Σ|a||b| for a sum of k = ``terms`` products, whatever the order). float32 input: ours
    is the float64 sum rounded once to float32, so it lies within one float32 spacing of the exact
    float64 reference, plus the same bound.
    """
    ours64 = np.asarray(ours, dtype=np.float64)
    bound = max(1e-12, 2 * terms * 2.0**-53) * a_abs_b
    if dtype == np.float32:
        bound = bound + np.spacing(np.abs(reference).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(ours64 - reference) <= bound)


# ---------------------------------------------------------------- element-wise
@pytest.mark.verifies("glossary_dl.tensors.elementwise_relu", oracle="numpy", rtol=0)  # exact
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_elementwise_relu_matches_numpy(shape, dtype, rng):
    x = random_tensor(rng, shape, dtype)
    assert_identical(tensors.elementwise_relu(x), np.maximum(x, dtype(0)))  # exact


def test_elementwise_relu_equals_backprop_relu(dtype, rng):
    # the same function as the training layer's forward pass (bit for bit)
    x = random_tensor(rng, (4, 5), dtype)
    assert_identical(tensors.elementwise_relu(x), backprop.relu_forward(x))


@pytest.mark.verifies("glossary_dl.tensors.elementwise_add", oracle="numpy", rtol=0)  # exact
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_elementwise_add_matches_numpy(shape, dtype, rng):
    x, y = random_tensor(rng, shape, dtype), random_tensor(rng, shape, dtype)
    assert_identical(tensors.elementwise_add(x, y), x + y)  # exact


def test_mixed_precision_promotes_like_numpy(rng):
    x32 = random_tensor(rng, (3, 2), np.float32)
    y64 = random_tensor(rng, (3, 2), np.float64)
    assert_identical(tensors.elementwise_add(x32, y64), x32 + y64)  # float64, exact
    assert_identical(tensors.broadcast_add(x32, y64[0]), x32 + y64[0])
    # NumPy 2 (NEP 50): a Python float adapts to the array's dtype
    assert_identical(tensors.broadcast_add(x32, 0.1), x32 + 0.1)
    assert tensors.broadcast_add(x32, 0.1).dtype == np.float32


# ---------------------------------------------------------------- broadcasting
BROADCAST_PAIRS = [
    ((), ()),
    ((), (3, 4)),
    ((1,), (3, 4)),
    ((4,), (3, 4)),
    ((3, 1), (4,)),
    ((3, 1), (1, 4)),
    ((2, 1, 4), (3, 1)),
    ((5, 1, 1, 2), (1, 3, 2)),
    ((32, 10), (10,)),  # a bias added to a batch of outputs
    ((2, 3, 1, 4, 1), (5,)),
]


@pytest.mark.verifies("glossary_dl.tensors.broadcast_add", oracle="numpy", rtol=0)  # exact
@pytest.mark.parametrize("x_shape, y_shape", BROADCAST_PAIRS, ids=str)
def test_broadcast_add_matches_numpy(x_shape, y_shape, dtype, rng):
    x, y = random_tensor(rng, x_shape, dtype), random_tensor(rng, y_shape, dtype)
    assert_identical(tensors.broadcast_add(x, y), x + y)  # exact
    assert_identical(tensors.broadcast_add(y, x), y + x)  # either order


@settings(max_examples=60, deadline=None, database=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=5, min_side=1, max_side=4),
    use_float32=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_broadcast_add_equals_numpy_for_any_compatible_shapes(shapes, use_float32, seed):
    x_shape, y_shape = shapes.input_shapes
    rng = np.random.default_rng(seed)
    dtype = np.float32 if use_float32 else np.float64
    x, y = random_tensor(rng, x_shape, dtype), random_tensor(rng, y_shape, dtype)
    ours = tensors.broadcast_add(x, y)
    assert ours.shape == shapes.result_shape
    assert_identical(ours, x + y)  # exact


@pytest.mark.verifies("glossary_dl.tensors.broadcast_add", oracle="torch", dtypes=("float64",), rtol=0)
def test_broadcast_agrees_with_torch(rng):
    # torch applies the same rules as NumPy; float64 tensors, exact
    x, y = rng.normal(size=(2, 1, 4)), rng.normal(size=(3, 1))
    expected = (torch.from_numpy(x) + torch.from_numpy(y)).numpy()
    assert_identical(tensors.broadcast_add(x, y), expected)


# ---------------------------------------------------------------- tensor product
@pytest.mark.verifies("glossary_dl.tensors.vector_dot", oracle="numpy")  # error bound: assert_sum_close
@pytest.mark.parametrize("d", [1, 3, 64, (1 << 18) + 3])  # the last: the reassociated, parallel sums
def test_vector_dot_matches_numpy(d, dtype, rng):
    x, y = random_tensor(rng, d, dtype), random_tensor(rng, d, dtype)
    ours = tensors.vector_dot(x, y)
    assert isinstance(ours, dtype)  # a scalar of the input dtype
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    assert_sum_close(ours, np.abs(x64) @ np.abs(y64), np.dot(x64, y64), dtype, terms=d)


@pytest.mark.verifies("glossary_dl.tensors.matrix_vector_dot", oracle="numpy")  # error bound: assert_sum_close
@pytest.mark.parametrize("n, k", [(1, 1), (3, 4), (16, 33), (520, 509)])  # the last: reassociated, parallel
def test_matrix_vector_dot_matches_numpy(n, k, dtype, rng):
    A, x = random_tensor(rng, (n, k), dtype), random_tensor(rng, k, dtype)
    ours = tensors.matrix_vector_dot(A, x)
    assert ours.dtype == dtype and ours.shape == (n,)
    A64, x64 = A.astype(np.float64), x.astype(np.float64)
    assert_sum_close(ours, np.abs(A64) @ np.abs(x64), A64 @ x64, dtype, terms=k)


@pytest.mark.verifies("glossary_dl.tensors.matrix_dot", oracle="numpy")  # error bound: assert_sum_close
@pytest.mark.parametrize("n, k, m", [(1, 1, 1), (3, 4, 2), (16, 33, 7)])
def test_matrix_dot_matches_numpy(n, k, m, dtype, rng):
    A, B = random_tensor(rng, (n, k), dtype), random_tensor(rng, (k, m), dtype)
    ours = tensors.matrix_dot(A, B)
    assert ours.dtype == dtype and ours.shape == (n, m)
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    assert_sum_close(ours, np.abs(A64) @ np.abs(B64), A64 @ B64, dtype)


def test_tensor_products_agree_with_each_other(rng):
    # math: C_ij is the dot of row i of A and column j of B; Ax is AB for a one-column B;
    # (AB)ᵀ = BᵀAᵀ. Same float64 accumulation order each time, so equality is exact.
    A, B = rng.normal(size=(4, 5)), rng.normal(size=(5, 3))
    C = tensors.matrix_dot(A, B)
    for i in range(4):
        for j in range(3):
            assert C[i, j] == tensors.vector_dot(A[i], B[:, j])
    assert_identical(tensors.matrix_vector_dot(A, B[:, 1]), C[:, 1])
    assert_identical(tensors.transpose(C), tensors.matrix_dot(tensors.transpose(B), tensors.transpose(A)))


# ---------------------------------------------------------------- reshaping
RESHAPES = [
    ((6,), (2, 3)),
    ((2, 3), (3, 2)),
    ((2, 3), -1),
    ((2, 3, 4), (4, -1)),
    ((2, 3, 4), (-1, 2, 3)),
    ((1,), ()),
    ((1, 1), ()),
    ((), (1, 1)),
    ((5, 28, 28), (5, 784)),  # MNIST-like images flattened to vectors
]


@pytest.mark.verifies("glossary_dl.tensors.reshape", oracle="numpy", rtol=0)
@pytest.mark.parametrize("shape, new_shape", RESHAPES, ids=str)
def test_reshape_matches_numpy(shape, new_shape, dtype, rng):
    x = random_tensor(rng, shape, dtype)
    ours = tensors.reshape(x, new_shape)
    assert_identical(ours, np.reshape(x, new_shape))  # exact
    assert ours.flags.c_contiguous and not np.shares_memory(ours, x)  # always a copy


@pytest.mark.verifies("glossary_dl.tensors.transpose", oracle="numpy", rtol=0)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4), (2, 1, 3, 2, 2)], ids=str)
def test_transpose_matches_numpy(shape, dtype, rng):
    x = random_tensor(rng, shape, dtype)
    assert_identical(tensors.transpose(x), np.transpose(x))  # default: axes reversed, exact
    for _ in range(3):
        axes = tuple(int(a) for a in rng.permutation(len(shape)))
        ours = tensors.transpose(x, axes)
        assert_identical(ours, np.transpose(x, axes))
        assert ours.flags.c_contiguous
    negative = tuple(range(-1, -len(shape) - 1, -1))
    assert_identical(tensors.transpose(x, negative), np.transpose(x, negative))


def test_transpose_of_a_matrix_swaps_rows_and_columns(rng):
    x = rng.normal(size=(3, 5))
    xt = tensors.transpose(x)
    assert all(xt[j, i] == x[i, j] for i in range(3) for j in range(5))  # (xᵀ)_ji = x_ij


# ---------------------------------------------------------------- data tensors
@pytest.mark.verifies("glossary_dl.tensors.iter_batches", oracle="numpy", dtypes=("uint8",), rtol=0)
@pytest.mark.parametrize("n_samples, batch_size", [(10, 4), (12, 4), (3, 5), (1, 1)])
def test_iter_batches_covers_the_batch_axis(n_samples, batch_size):
    x = np.arange(n_samples * 6, dtype=np.uint8).reshape(n_samples, 2, 3)  # uint8 like raw pixels
    batches = list(tensors.iter_batches(x, batch_size))
    assert len(batches) == -(-n_samples // batch_size)  # ⌈N / b⌉
    assert all(b.shape == (batch_size, 2, 3) for b in batches[:-1])
    assert batches[-1].shape[0] == n_samples - batch_size * (len(batches) - 1)  # the remainder
    assert np.array_equal(np.concatenate(batches), x)
    assert all(np.shares_memory(b, x) for b in batches)  # views, not copies
    kept = list(tensors.iter_batches(x, batch_size, drop_last=True))
    assert len(kept) == n_samples // batch_size
    assert all(b.shape[0] == batch_size for b in kept)


def test_iter_batches_validates_when_called_not_when_iterated():
    with pytest.raises(ValueError, match="batch_size"):
        tensors.iter_batches(np.zeros((4, 2)), 0)  # no next() needed


@pytest.mark.verifies("glossary_dl.tensors.channels_last_to_first", "glossary_dl.tensors.channels_first_to_last", oracle="numpy", rtol=0)
@pytest.mark.parametrize("shape, axes", [((2, 5, 6, 3), (0, 3, 1, 2)), ((2, 4, 5, 6, 3), (0, 1, 4, 2, 3))],
                         ids=["images", "video"])
def test_channel_order_matches_numpy_and_round_trips(shape, axes, dtype, rng):
    x = random_tensor(rng, shape, dtype)
    first = tensors.channels_last_to_first(x)
    assert_identical(first, np.transpose(x, axes))  # exact
    assert_identical(tensors.channels_first_to_last(first), x)


@pytest.mark.verifies("glossary_dl.tensors.channels_last_to_first", "glossary_dl.tensors.channels_first_to_last", oracle="torch", dtypes=("float32",), rtol=1e-5, atol=1e-5)
def test_channels_first_is_what_torch_conv2d_expects_and_channels_last_what_keras_does():
    # One 3×3 convolution, computed by Keras on (N, H, W, C) and by torch on (N, C, H, W).
    import keras

    rng = np.random.default_rng(0)
    assert keras.config.image_data_format() == "channels_last"
    images = rng.normal(size=(2, 6, 7, 3)).astype(np.float32)  # channels-last, Keras' default
    layer = keras.layers.Conv2D(4, 3, use_bias=False)
    # torch tensors on this backend (keras.ops.convert_to_numpy would warn)
    keras_out = layer(images).detach().numpy()  # (2, 4, 5, 4), channels-last
    kernel = layer.kernel.value.detach().numpy()  # (kh, kw, in, out)
    conv = torch.nn.Conv2d(3, 4, 3, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(np.transpose(kernel, (3, 2, 0, 1)).copy()))  # (out, in, kh, kw)
        torch_out = conv(torch.from_numpy(tensors.channels_last_to_first(images))).numpy()
    assert torch_out.shape == (2, 4, 4, 5)
    # float32 convolutions summing 27 products in different orders: rtol 1e-5, atol 1e-5
    np.testing.assert_allclose(tensors.channels_first_to_last(torch_out), keras_out, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- conventions (PyTorch vs NumPy)
def test_keras_and_torch_promote_float32_with_float64_like_numpy():
    import keras

    x32, y64 = np.ones(3, dtype=np.float32), np.ones(3)
    assert tensors.elementwise_add(x32, y64).dtype == np.float64
    assert keras.ops.add(x32, y64).dtype == torch.float64  # a torch tensor on this backend
    assert keras.ops.relu(y64).dtype == torch.float64
    assert (torch.from_numpy(x32) + torch.from_numpy(y64)).dtype == torch.float64


def test_torch_view_refuses_a_transposed_tensor_but_reshape_copies():
    t = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).T  # not contiguous
    with pytest.raises(RuntimeError, match="view"):
        t.view(6)
    assert t.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    ours = tensors.reshape(tensors.transpose(np.arange(6.0).reshape(2, 3)), 6)
    assert_identical(ours, t.reshape(6).numpy())


def test_numpy_T_reverses_every_axis_while_torch_mT_swaps_the_last_two(rng):
    x = rng.normal(size=(2, 3, 4))
    assert x.T.shape == (4, 3, 2)
    assert_identical(tensors.transpose(x), x.T)
    assert tuple(torch.from_numpy(x).mT.shape) == (2, 4, 3)
    assert_identical(tensors.transpose(x, (0, 2, 1)), torch.from_numpy(x).mT.numpy())


def test_torch_warns_on_T_of_a_rank_3_tensor():
    with pytest.warns(UserWarning, match="deprecated"):
        torch.zeros(2, 3, 4).T  # noqa: B018


# ---------------------------------------------------------------- input handling
def strided(x):
    return x[..., ::2] if x.ndim else x


@pytest.mark.parametrize(
    "name, call",
    [
        ("elementwise_relu", lambda x: tensors.elementwise_relu(x)),
        ("elementwise_add", lambda x: tensors.elementwise_add(x, x)),
        ("broadcast_add", lambda x: tensors.broadcast_add(x, x[0])),
        ("reshape", lambda x: tensors.reshape(x, -1)),
        ("transpose", lambda x: tensors.transpose(x, (1, 0, 2))),
        ("matrix_dot", lambda x: tensors.matrix_dot(x[0], x[1].T)),
        ("matrix_vector_dot", lambda x: tensors.matrix_vector_dot(x[0], x[1, 0])),
        ("vector_dot", lambda x: tensors.vector_dot(x[0, 0], x[1, 1])),
    ],
)
def test_non_contiguous_and_read_only_inputs_give_identical_results(name, call, rng):
    base = rng.normal(size=(2, 3, 8))
    x = base[:, :, ::2]  # strided view, shape (2, 3, 4)
    assert not x.flags.c_contiguous
    expected = call(np.ascontiguousarray(x))
    for variant in (x, np.asfortranarray(x), np.ascontiguousarray(x)):
        variant = variant.view()
        variant.flags.writeable = False
        assert_identical(np.asarray(call(variant)), np.asarray(expected))  # bit-identical


def test_broadcast_to_views_are_accepted():
    # np.broadcast_to gives a read-only array with zero strides
    row = np.broadcast_to(np.arange(3.0), (2, 3))
    assert_identical(tensors.broadcast_add(row, np.ones((4, 1, 1))), row + np.ones((4, 1, 1)))


def test_lists_become_float64():
    assert_identical(tensors.elementwise_add([1, 2], [3.0, 4.0]), np.array([4.0, 6.0]))


X23 = np.ones((2, 3))
BAD_INPUTS = [
    # (function, args, exception, message fragment)
    (tensors.elementwise_relu, (np.array([1, 2]),), TypeError, "x must be a float32 or float64"),
    (tensors.elementwise_relu, (np.array([1.0, np.nan]),), ValueError, "x must contain only finite"),
    (tensors.elementwise_relu, (np.zeros((0, 3)),), ValueError, "x must not be empty"),
    (tensors.elementwise_relu, ("abc",), TypeError, "x must be a numpy array"),
    (tensors.elementwise_add, (X23, np.ones((3, 2))), ValueError, "x and y must have the same shape"),
    (tensors.elementwise_add, (X23, np.ones((2, 3), dtype=np.complex128)), TypeError, "y must be a float32"),
    (tensors.elementwise_add, (X23, np.full((2, 3), np.inf)), ValueError, "y must contain only finite"),
    (tensors.broadcast_add, (X23, np.ones(4)), ValueError, r"shapes \(2, 3\) and \(4,\) differ at axis -1"),
    (tensors.broadcast_add, (np.ones((2, 1, 4)), np.ones((3, 5, 1))), ValueError, "axis -3 .2 vs 3."),
    (tensors.broadcast_add, (X23, 2), TypeError, "y must be a float32 or float64"),
    (tensors.vector_dot, (X23, np.ones(3)), ValueError, "x must be a vector .rank 1."),
    (tensors.vector_dot, (np.ones(3), np.ones(4)), ValueError, "same length"),
    (tensors.vector_dot, (np.ones(3), np.float64(1.0)), ValueError, "y must be a vector"),
    (tensors.matrix_vector_dot, (np.ones(3), np.ones(3)), ValueError, "A must be a matrix .rank 2."),
    (tensors.matrix_vector_dot, (X23, X23), ValueError, "x must be a vector"),
    (tensors.matrix_vector_dot, (X23, np.ones(2)), ValueError, r"A.shape\[1\] must equal x.shape\[0\]"),
    (tensors.matrix_dot, (X23, X23), ValueError, r"A.shape\[1\] must equal B.shape\[0\]"),
    (tensors.matrix_dot, (X23, np.ones((3, 2, 1))), ValueError, "B must be a matrix"),
    (tensors.matrix_dot, (X23.astype(np.int64), X23.T), TypeError, "A must be a float32"),
    (tensors.reshape, (X23, (4, 2)), ValueError, "size 6.* into shape .4, 2. .size 8."),
    (tensors.reshape, (X23, (-1, -1)), ValueError, "at most one -1"),
    (tensors.reshape, (X23, (4, -1)), ValueError, "6 is not a multiple of 4"),
    (tensors.reshape, (X23, (-2, -3)), ValueError, "positive or a single -1"),
    (tensors.reshape, (X23, (2.0, 3)), TypeError, "shape entry must be an integer"),
    (tensors.reshape, (X23, "6"), TypeError, "shape must be an integer or a tuple"),
    (tensors.transpose, (X23, (0,)), ValueError, "each of the 2 axes"),
    (tensors.transpose, (X23, (0, 0)), ValueError, "permutation"),
    (tensors.transpose, (X23, (0, 2)), ValueError, r"in \[-2, 2\)"),
    (tensors.transpose, (X23, 1), TypeError, "axes must be None or a tuple"),
    (tensors.transpose, (X23, (0, 1.0)), TypeError, "axes entry must be an integer"),
    (tensors.iter_batches, ([1.0, 2.0], 1), TypeError, "x must be a numpy array"),
    (tensors.iter_batches, (np.float64(1.0), 1), TypeError, "x must be a numpy array"),
    (tensors.iter_batches, (np.array(1.0), 1), ValueError, "x must have a batch axis"),
    (tensors.iter_batches, (np.zeros((0, 2)), 1), ValueError, "at least one sample"),
    (tensors.iter_batches, (X23, 0), ValueError, "batch_size must be >= 1"),
    (tensors.iter_batches, (X23, 2.0), TypeError, "batch_size must be an integer"),
    (tensors.channels_last_to_first, (X23,), ValueError, r"images must be a rank-4 .* got shape \(2, 3\)"),
    (tensors.channels_last_to_first, (np.zeros((1, 2, 2, 3), dtype=np.uint8),), TypeError, "images must be a float32"),
    (tensors.channels_first_to_last, (np.ones((1, 2, 2, 3, 1, 1)),), ValueError, "rank-5 video batch"),
]


@pytest.mark.parametrize(
    "function, args, error, message", BAD_INPUTS, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(BAD_INPUTS)]
)
def test_bad_input_raises_a_clear_error(function, args, error, message):
    with pytest.raises(error, match=message):
        function(*args)


def test_iter_batches_refuses_a_non_bool_drop_last():
    with pytest.raises(TypeError, match="drop_last must be True or False"):
        tensors.iter_batches(X23, 2, drop_last=1)


def test_every_public_name_has_a_bad_input_case():
    tested = {case[0].__name__ for case in BAD_INPUTS}
    assert tested == set(tensors.__all__)


def test_matrix_dot_tiled_path_agrees_with_the_i_k_j_loop(dtype, rng):
    # 80 × 70 · 70 × 60 is above PARALLEL_MIN_WORK: the register tiles run, the page shows the loop
    from glossary_dl._parallel import PARALLEL_MIN_WORK
    from glossary_dl.tensors import _matrix_dot_loop

    A = rng.standard_normal((80, 70)).astype(dtype)
    B = rng.standard_normal((70, 60)).astype(dtype)
    assert A.shape[0] * A.shape[1] * B.shape[1] >= PARALLEL_MIN_WORK
    loop = np.zeros((80, 60))
    _matrix_dot_loop(A, B, loop)
    # both sum in float64; only the order of the 70 terms differs
    np.testing.assert_allclose(tensors.matrix_dot(A, B), loop.astype(dtype), rtol=1e-12 if dtype == np.float64 else 1e-6,
                               atol=1e-12)


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_blocked_transpose_agrees_with_the_index_walk_for_every_order(order, rng):
    # orders that swap two blocks of axes take the blocked copy; every order must give the loop's result
    from glossary_dl.tensors import _c_strides, _shape_array, _transpose_loop

    x = rng.standard_normal((3, 17, 5, 33))
    expected = np.empty(tuple(x.shape[a] for a in order))
    _transpose_loop(x.reshape(-1), _c_strides(x.shape), np.array(order, dtype=np.int64), _shape_array(expected.shape),
                    expected.reshape(-1))
    assert_identical(tensors.transpose(x, order), expected)
    assert_identical(expected, np.transpose(x, order))


# The blocked copies of glossary_dl._copies (register tiles of 8 × 8 float32 or 4 × 4 float64 in
# blocks of 128 × 64, walked along the rows of x or of the result, whichever are longer; the strips
# that fill no tile one number at a time; on every thread from 2¹⁸ entries on) against the index
# walk shown on the page: shapes around the tile and block sizes, both walks, on one thread and on
# all, rank 5, axes of length 1 (a 1 × S matrix is copied flat).
FAST_TRANSPOSES = [
    ((8, 8), (1, 0)),  # one tile
    ((13, 21), (1, 0)),  # strips below and right of the tiles
    ((64, 64), (1, 0)),  # one block
    ((130, 67), (1, 0)),
    ((515, 517), (1, 0)),  # threaded
    ((3, 17, 33), (0, 2, 1)),
    ((2, 5, 6, 3), (0, 3, 1, 2)),
    ((2, 3, 5, 6), (0, 2, 3, 1)),
    ((4, 33, 31, 65), (0, 3, 1, 2)),  # threaded, 1023 × 65 matrices
    ((4, 65, 33, 31), (0, 2, 3, 1)),  # threaded, 65 × 1023
    ((2, 3, 4, 5, 9), (0, 1, 4, 2, 3)),  # video
    ((2, 3, 9, 4, 5), (0, 1, 3, 4, 2)),
    ((2, 1, 5, 1, 3), (0, 1, 4, 2, 3)),  # axes of length 1
    ((1, 7, 1), (2, 1, 0)),
    ((6, 1), (1, 0)),  # a column: the same numbers in the same order
    ((1, 300000), (1, 0)),  # a threaded row
    ((5, 6, 7), (0, 1, 2)),  # the identity: a copy
]


@pytest.mark.parametrize("shape, order", FAST_TRANSPOSES, ids=str)
def test_blocked_transpose_agrees_with_the_index_walk(shape, order, dtype, rng):
    from glossary_dl.tensors import _c_strides, _shape_array, _transpose_loop

    x = random_tensor(rng, shape, dtype)
    expected = np.empty(tuple(x.shape[a] for a in order), dtype=dtype)
    _transpose_loop(x.reshape(-1), _c_strides(x.shape), np.array(order, dtype=np.int64), _shape_array(expected.shape),
                    expected.reshape(-1))
    assert_identical(tensors.transpose(x, order), expected)
    assert_identical(expected, np.transpose(x, order))


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 5), (1, 8, 8), (2, 9, 17), (1, 64, 64), (3, 65, 130),
                                   (1, 300, 257), (2, 200, 300)], ids=str)
def test_serial_and_threaded_blocked_transposes_agree_with_the_index_walk(shape, dtype, rng):
    # both copies on every shape, whatever the size at which transpose switches from one to the other
    from glossary_dl._copies import _batched_transpose_loop, _batched_transpose_parallel
    from glossary_dl.tensors import _c_strides, _shape_array, _transpose_loop

    x = random_tensor(rng, shape, dtype)
    expected = np.empty((shape[0], shape[2], shape[1]), dtype=dtype)
    _transpose_loop(x.reshape(-1), _c_strides(shape), np.array([0, 2, 1]), _shape_array(expected.shape),
                    expected.reshape(-1))
    for copy in (_batched_transpose_loop, _batched_transpose_parallel):
        out = np.full_like(expected, np.nan)
        assert copy(x, out)  # every entry finite
        assert_identical(out, expected)


@pytest.mark.parametrize("size", [1, 7, 8, 1000, (1 << 18) + 3])
def test_fast_copies_agree_with_the_definition_loops(size, dtype, rng):
    # the reshape's copy with the NaN/inf check, on one thread and in 1 to 5 slices, against _reshape_loop
    from glossary_dl._copies import _copy_loop, _copy_parallel
    from glossary_dl.tensors import _reshape_loop

    x = random_tensor(rng, size, dtype)
    expected = np.empty_like(x)
    _reshape_loop(x, expected)
    out = np.full_like(x, np.nan)
    assert _copy_loop(x, out) == 0.0
    assert_identical(out, expected)
    for n_tasks in range(1, 6):
        for stream in (False, True):
            out = np.full_like(x, np.nan)
            assert _copy_parallel(x, out, n_tasks, stream)
            assert_identical(out, expected)
    assert_identical(tensors.reshape(x, (-1,)), expected)


@pytest.mark.parametrize("x_shape, y_shape", [((6, 5), (5,)), ((5,), (6, 5)), ((2, 3, 4), (3, 4)), ((2, 3, 4), (1, 1, 4)),
                                              ((2, 3, 4), (1, 3, 1)), ((3, 1), (1, 4)), ((4,), ())])
def test_broadcast_add_row_path_agrees_with_the_index_walk(x_shape, y_shape, rng):
    # a bias-like operand (trailing axes) takes the row loop; every case must equal the general loop's result
    from glossary_dl.tensors import _broadcast_add_loop, _broadcast_shape, _broadcast_strides, _shape_array

    x, y = rng.standard_normal(x_shape), rng.standard_normal(y_shape)
    shape = _broadcast_shape(x.shape, y.shape)
    expected = np.empty(shape)
    _broadcast_add_loop(x.reshape(-1), _broadcast_strides(x.shape, len(shape)), y.reshape(-1),
                        _broadcast_strides(y.shape, len(shape)), _shape_array(shape), expected.reshape(-1))
    assert_identical(tensors.broadcast_add(x, y), expected)
    assert_identical(expected, x + y)


# The products scan their inputs for NaN and inf only when the result is not finite (the scan of a
# large input costs as much as the product's memory traffic). Sound when every non-finite input
# makes the result non-finite: a value at each position class (first, middle, last) of each
# argument, NaN and ±inf, times zeros (inf·0 = NaN) and beside the opposite infinity (inf − inf = NaN),
# on the serial loops and on the large, threaded ones, must be refused with today's message.
NON_FINITE = [np.nan, np.inf, -np.inf]
PRODUCT_SHAPES = {
    # function: (first argument's name and shape, second's), small and large (threaded) sizes
    tensors.vector_dot: [(("x", (7,)), ("y", (7,))), (("x", (1 << 18,)), ("y", (1 << 18,)))],
    tensors.matrix_vector_dot: [(("A", (5, 7)), ("x", (7,))), (("A", (512, 512)), ("x", (512,)))],
    tensors.matrix_dot: [(("A", (5, 7)), ("B", (7, 3))), (("A", (64, 64)), ("B", (64, 64)))],
}


def _product_cases():
    for function, sizes in PRODUCT_SHAPES.items():
        for size_index, shapes in enumerate(sizes):
            for argument in range(2):
                for position in ("first", "middle", "last"):
                    for value in NON_FINITE:
                        for dtype in (np.float32, np.float64):
                            yield pytest.param(
                                function, shapes, argument, position, value, dtype,
                                id=f"{function.__name__}-{'large' if size_index else 'small'}-"
                                f"{shapes[argument][0]}-{position}-{value}-{np.dtype(dtype).name}",
                            )


@pytest.mark.parametrize("function, shapes, argument, position, value, dtype", list(_product_cases()))
def test_products_refuse_every_non_finite_input(function, shapes, argument, position, value, dtype):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(dtype) for _, shape in shapes]
    target = arrays[argument].reshape(-1)
    index = {"first": 0, "middle": target.size // 2, "last": target.size - 1}[position]
    target[index] = value
    if np.isinf(value):
        # the opposite infinity next to it: inf − inf, the case that could cancel
        target[(index + 1) % target.size] = -value
    # zeros in the other argument: inf·0
    arrays[1 - argument].reshape(-1)[::2] = 0.0
    name = shapes[argument][0]
    with pytest.raises(ValueError, match=f"^{name} must contain only finite values"):
        function(*arrays)


def test_products_keep_the_first_error_of_the_full_check():
    # a NaN in the first argument is reported before the second argument's wrong rank, as before
    with pytest.raises(ValueError, match="^x must contain only finite"):
        tensors.vector_dot(np.array([np.nan, 1.0]), np.ones((2, 2)))
    with pytest.raises(ValueError, match="^A must contain only finite"):
        tensors.matrix_dot(np.full((2, 3), np.inf), np.ones(3))


@pytest.mark.filterwarnings("ignore:overflow encountered")  # the plain-Python loops (coverage run) warn
def test_products_of_finite_inputs_that_overflow_return_inf_as_before():
    big = np.full(4, 1e308)
    assert tensors.vector_dot(big, big) == np.inf
    assert np.all(tensors.matrix_dot(big.reshape(2, 2), big.reshape(2, 2)) == np.inf)


@pytest.mark.parametrize("rows", [4, 4099], ids=["calling-thread", "every-thread"])
def test_sums_refuse_a_non_finite_input_anywhere_and_keep_an_overflow(rows, rng):
    # the sums scan their result block by block instead of the inputs first: a NaN or inf in x or y
    # reaches its sum, so it is found there and refused naming its argument; a sum that overflows
    # from finite inputs is an infinity, as before
    x = rng.standard_normal((rows, 64)).astype(np.float32)
    bias = rng.standard_normal(64).astype(np.float32)
    for bad in (np.nan, np.inf, -np.inf):
        for where in ((0, 0), (rows // 2, 7), (-1, -1)):
            poisoned = x.copy()
            poisoned[where] = bad
            for call, name in ((lambda: tensors.elementwise_add(poisoned, x), "x"),
                               (lambda: tensors.elementwise_add(x, poisoned), "y"),
                               (lambda: tensors.broadcast_add(poisoned, bias), "x"),
                               (lambda: tensors.broadcast_add(bias, poisoned), "y")):
                with pytest.raises(ValueError, match=f"^{name} must contain only finite values"):
                    call()
            poisoned_bias = bias.copy()
            poisoned_bias[where[1]] = bad
            with pytest.raises(ValueError, match="^y must contain only finite values"):
                tensors.broadcast_add(x, poisoned_bias)
    huge = np.full((rows, 64), 3e38, dtype=np.float32)
    assert np.isposinf(tensors.elementwise_add(huge, huge)).all()
    assert np.isposinf(tensors.broadcast_add(huge, np.full(64, 3e38, dtype=np.float32))).all()


# The copies check NaN and inf on the way (Σ x·0 over what they read), not in a scan before: a value
# at each position class (first, middle: inside the tiles, last: in a strip left of them), on the
# serial and the threaded copies, a general permutation (index walk and a scan), must be refused with
# today's message.
COPIES = {
    "transpose": (lambda x: tensors.transpose(x), "x", [(13, 21), (515, 517)]),
    "transpose_axes": (lambda x: tensors.transpose(x, (1, 0, 2)), "x", [(5, 6, 7), (70, 64, 65)]),
    "reshape": (lambda x: tensors.reshape(x, (-1,)), "x", [(13, 21), (515, 517)]),
    "channels_last_to_first": (tensors.channels_last_to_first, "images", [(2, 5, 6, 3), (2, 65, 63, 33)]),
    "channels_first_to_last": (tensors.channels_first_to_last, "images", [(2, 3, 5, 6), (2, 33, 65, 63)]),
}


def _copy_cases():
    for name, (_, _, shapes) in COPIES.items():
        for shape in shapes:
            for position in ("first", "middle", "last"):
                for value in NON_FINITE:
                    for dtype in (np.float32, np.float64):
                        yield pytest.param(name, shape, position, value, dtype,
                                           id=f"{name}-{shape}-{position}-{value}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("name, shape, position, value, dtype", list(_copy_cases()))
def test_copies_refuse_every_non_finite_input(name, shape, position, value, dtype):
    function, argument, _ = COPIES[name]
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[{"first": 0, "middle": flat.size // 2, "last": flat.size - 1}[position]] = value
    with pytest.raises(ValueError, match=f"^{argument} must contain only finite values"):
        function(x)


def test_copies_keep_the_first_error_of_the_full_check():
    # a NaN in x is reported before a bad axes, shape or rank, as when x was scanned first
    nan = np.array([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="^x must contain only finite"):
        tensors.transpose(nan, (0, 0))
    with pytest.raises(ValueError, match="^x must contain only finite"):
        tensors.transpose(nan, "ab")
    with pytest.raises(ValueError, match="^x must contain only finite"):
        tensors.reshape(nan, (3,))
    with pytest.raises(ValueError, match="^x must contain only finite"):
        tensors.reshape(nan, (-1, -1))
    with pytest.raises(ValueError, match="^images must contain only finite"):
        tensors.channels_last_to_first(np.full((2, 2, 2), np.inf))
    # and the other errors are unchanged for finite input
    with pytest.raises(ValueError, match="axes must be a permutation"):
        tensors.transpose(np.ones((1, 2)), (0, 0))
    with pytest.raises(TypeError, match="shape must be an integer"):
        tensors.reshape(np.ones(2), "ab")
    with pytest.raises(ValueError, match="rank-4 image batch"):
        tensors.channels_first_to_last(np.ones((2, 2, 2)))
