"""glossary_dl.convolutions against PyTorch, Keras 3 (torch backend) and counting.

PyTorch is the float64 oracle: ``torch.nn.functional.conv2d`` on channels-first tensors, with
``groups=C_in`` for the depthwise step. Its ``padding=`` argument pads both sides equally, so the
TensorFlow "same" padding (extra pixel bottom/right) is applied by hand with ``F.pad``, from the
formula TensorFlow documents. Keras' conv layers compute in float32 whatever the input (the layer
dtype policy), so Keras is a float32 oracle only; it checks the "same" rule independently of us.
"""

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glossary_dl import convolutions as cv

# torch warns that padding='same' with an even kernel may copy the input; that padding is
# exactly what one convention test is about, so this one message is ignored.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Using padding='same' with even kernel lengths:UserWarning"
)

LAYERS = ["conv2d", "depthwise", "separable"]
# the implementations each LAYERS value checks (for the verification record)
VERIFIED = {"conv2d": ("glossary_dl.convolutions.conv2d",),
            "depthwise": ("glossary_dl.convolutions.depthwise_conv2d",),
            "separable": ("glossary_dl.convolutions.separable_conv2d",)}

# (N, H, W, C_in, (k_h, k_w), C_out or M, strides, padding): odd/even sizes, square and not,
# strides that do and do not divide the image, 1×1 kernels, kernels as large as the image.
CASES = [
    (2, 7, 6, 3, (3, 3), 4, 1, "valid"),
    (1, 8, 8, 2, (3, 3), 2, 2, "same"),
    (2, 7, 5, 3, (2, 3), 3, (2, 1), "same"),
    (1, 6, 9, 4, (4, 2), 1, 3, "valid"),
    (3, 5, 5, 1, (1, 1), 2, 2, "same"),
    (1, 4, 4, 3, (4, 4), 2, 1, "valid"),
]
CASE_IDS = ["-".join(map(str, (c[1], c[2], c[3], *c[4], c[5], c[6], c[7]))).replace(" ", "") for c in CASES]


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def make_weights(layer, case, dtype, rng, *, with_bias=True):
    """Random weights in the Keras layout: (kernel,) or (depthwise, pointwise), and the bias."""
    n, h, w, c_in, (k_h, k_w), width, _, _ = case
    if layer == "conv2d":
        kernels = (rng.normal(size=(k_h, k_w, c_in, width)),)
        n_out = width
    elif layer == "depthwise":
        kernels = (rng.normal(size=(k_h, k_w, c_in, width)),)  # width = depth multiplier M
        n_out = c_in * width
    else:  # separable: M = 2, C_out = width
        kernels = (rng.normal(size=(k_h, k_w, c_in, 2)), rng.normal(size=(1, 1, 2 * c_in, width)))
        n_out = width
    bias = rng.normal(size=n_out).astype(dtype) if with_bias else None
    return tuple(k.astype(dtype) for k in kernels), bias


def ours(layer, x, kernels, bias, strides, padding):
    function = {"conv2d": cv.conv2d, "depthwise": cv.depthwise_conv2d, "separable": cv.separable_conv2d}[layer]
    return function(x, *kernels, bias, strides=strides, padding=padding)


# ---------------------------------------------------------------- torch oracle
def tf_same_padding(size, k, s):
    """TensorFlow's documented rule: out = ⌈size/s⌉, total = max((out−1)s + k − size, 0), extra at the end."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def torch_conv(x, weight, bias, strides, padding, groups=1):
    """F.conv2d on channels-first tensors; Keras kernels (k_h, k_w, in, out) → torch (out, in/groups, k_h, k_w)."""
    xt = torch.tensor(x).permute(0, 3, 1, 2)
    s_h, s_w = pair(strides)
    k_h, k_w = weight.shape[2:]
    if padding == "same":
        top, bottom = tf_same_padding(xt.shape[2], k_h, s_h)
        left, right = tf_same_padding(xt.shape[3], k_w, s_w)
        xt = F.pad(xt, (left, right, top, bottom))
    bias_t = None if bias is None else torch.tensor(bias)
    return F.conv2d(xt, weight, bias_t, stride=(s_h, s_w), groups=groups).permute(0, 2, 3, 1).numpy()


def torch_layer(layer, x, kernels, bias, strides, padding):
    if layer == "conv2d":
        return torch_conv(x, torch.tensor(kernels[0]).permute(3, 2, 0, 1), bias, strides, padding)
    depthwise = kernels[0]
    k_h, k_w, c_in, mult = depthwise.shape
    # (k_h, k_w, C_in, M) → (C_in, M, k_h, k_w) → (C_in·M, 1, k_h, k_w): output channel c·M + m
    weight = torch.tensor(depthwise).permute(2, 3, 0, 1).reshape(c_in * mult, 1, k_h, k_w)
    if layer == "depthwise":
        return torch_conv(x, weight, bias, strides, padding, groups=c_in)
    d = torch_conv(x, weight, None, strides, padding, groups=c_in)
    return torch_conv(d, torch.tensor(kernels[1]).permute(3, 2, 0, 1), bias, 1, "valid")


@pytest.mark.oracle
@pytest.mark.verifies(oracle="torch", param="layer", names=VERIFIED,  # atol: rtol × max |y|
                      rtol={"float64": 1e-12, "float32": 1e-5})
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("layer", LAYERS)
def test_matches_torch(layer, case, seed, dtype):
    rng = np.random.default_rng(seed)
    n, h, w, c_in, _, _, strides, padding = case
    x = rng.normal(size=(n, h, w, c_in)).astype(dtype)
    kernels, bias = make_weights(layer, case, dtype, rng)
    y = ours(layer, x, kernels, bias, strides, padding)
    expected = torch_layer(layer, x, kernels, bias, strides, padding)
    assert y.dtype == dtype and y.shape == expected.shape
    scale = np.abs(expected).max()
    if dtype == np.float64:
        # float64: at most k_h·k_w·C_in·M·C_out ≈ 100 products summed in another order
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12 * scale)
    else:
        # float32: both sides accumulate in float32, in different orders
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5 * scale)


# ---------------------------------------------------------------- Keras oracle
def keras_layer(layer, case, use_bias):
    _, _, _, _, kernel_size, width, strides, padding = case
    common = dict(kernel_size=kernel_size, strides=strides, padding=padding, use_bias=use_bias)
    if layer == "conv2d":
        return keras.layers.Conv2D(filters=width, **common)
    if layer == "depthwise":
        return keras.layers.DepthwiseConv2D(depth_multiplier=width, **common)
    return keras.layers.SeparableConv2D(filters=width, depth_multiplier=2, **common)


@pytest.mark.oracle
@pytest.mark.verifies(oracle="keras", param="layer", names=VERIFIED, dtypes=("float32",), rtol=1e-5)
@pytest.mark.parametrize("case", CASES[:4], ids=CASE_IDS[:4])
@pytest.mark.parametrize("layer", LAYERS)
def test_matches_keras_layer_with_copied_weights(layer, case):
    rng = np.random.default_rng(7)
    n, h, w, c_in, kernel_size, width, strides, padding = case
    x = rng.normal(size=(n, h, w, c_in)).astype(np.float32)
    kernels, bias = make_weights(layer, case, np.float32, rng)
    model = keras_layer(layer, case, use_bias=True)
    model.build(x.shape)
    model.set_weights([*kernels, bias])  # same layout and order: kernel(s), then bias
    expected = model(x).detach().numpy()  # a torch tensor on this backend
    y = ours(layer, x, kernels, bias, strides, padding)
    assert y.shape == expected.shape
    # Keras computes in float32: float32 tolerance relative to the largest output
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


@pytest.mark.oracle
def test_keras_conv_layers_compute_in_float32():
    """Why Keras is a float32 oracle only: float64 input comes out as float32; ours stays float64."""
    x = np.random.default_rng(5).normal(size=(1, 4, 4, 2))
    for layer in (keras.layers.Conv2D(2, 3), keras.layers.DepthwiseConv2D(3), keras.layers.SeparableConv2D(2, 3)):
        assert layer(x).dtype == torch.float32, type(layer).__name__
    assert cv.conv2d(x, np.ones((3, 3, 2, 2))).dtype == np.float64


@pytest.mark.oracle
def test_same_padding_puts_the_extra_pixel_bottom_right():
    """A 2×2 kernel at stride 1 needs one pixel of padding: Keras adds it below and to the right."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 5, 4, 1)).astype(np.float32)
    kernel = rng.normal(size=(2, 2, 1, 1)).astype(np.float32)
    y = cv.conv2d(x, kernel, padding="same")
    model = keras.layers.Conv2D(1, 2, padding="same", use_bias=False)
    model.build(x.shape)
    model.set_weights([kernel])
    keras_y = model(x).detach().numpy()  # a torch tensor on this backend
    np.testing.assert_allclose(y, keras_y, rtol=1e-6, atol=1e-6)  # float32 both sides
    # math: the last row and column see only the zero padding beyond the image edge
    np.testing.assert_allclose(y[0, -1, :-1, 0], x[0, -1, :-1, 0] * kernel[0, 0, 0, 0]
                               + x[0, -1, 1:, 0] * kernel[0, 1, 0, 0], rtol=1e-6)
    xt, wt = torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(kernel).permute(3, 2, 0, 1)
    bottom_right = F.conv2d(F.pad(xt, (0, 1, 0, 1)), wt).permute(0, 2, 3, 1).numpy()
    top_left = F.conv2d(F.pad(xt, (1, 0, 1, 0)), wt).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(y, bottom_right, rtol=1e-6, atol=1e-6)  # float32
    assert np.abs(y - top_left).max() > 0.1
    # torch's own padding="same" (stride 1 only) agrees: it too pads the end
    torch_same = F.conv2d(xt, wt, padding="same").permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(y, torch_same, rtol=1e-6, atol=1e-6)  # float32


@pytest.mark.oracle
def test_torch_same_padding_refuses_strides_and_int_padding_is_symmetric():
    """Why a strided Keras "same" layer needs an explicit F.pad in torch."""
    x = torch.zeros(1, 1, 6, 6)
    w = torch.zeros(1, 1, 3, 3)
    with pytest.raises(RuntimeError, match="not supported for strided"):
        F.conv2d(x, w, padding="same", stride=2)
    # Keras "same", 6 px, k = 3, s = 2: 3 outputs, padding 0 on top and 1 at the bottom;
    # torch padding=1 pads both sides, so it also has 3 outputs but shifted windows
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(1, 6, 6, 1))
    ks = rng.normal(size=(3, 3, 1, 1))
    y = cv.conv2d(xs, ks, strides=2, padding="same")
    symmetric = F.conv2d(torch.tensor(xs).permute(0, 3, 1, 2), torch.tensor(ks).permute(3, 2, 0, 1),
                         stride=2, padding=1).permute(0, 2, 3, 1).numpy()
    assert y.shape == symmetric.shape == (1, 3, 3, 1)
    assert np.abs(y - symmetric).max() > 0.1
    np.testing.assert_allclose(y, torch_conv(xs, torch.tensor(ks).permute(3, 2, 0, 1), None, 2, "same"),
                               rtol=1e-12, atol=1e-12)  # float64


# ---------------------------------------------------------------- structure
@pytest.mark.parametrize("case", [CASES[1], CASES[2]], ids=[CASE_IDS[1], CASE_IDS[2]])
def test_separable_equals_depthwise_then_pointwise(case, dtype, rng):
    n, h, w, c_in, _, _, strides, padding = case
    x = rng.normal(size=(n, h, w, c_in)).astype(dtype)
    (depthwise, pointwise), bias = make_weights("separable", case, dtype, rng)
    fused = cv.separable_conv2d(x, depthwise, pointwise, bias, strides=strides, padding=padding)
    d = cv.depthwise_conv2d(x, depthwise, strides=strides, padding=padding)
    two_steps = cv.conv2d(d, pointwise, bias)
    tol = 1e-12 if dtype == np.float64 else 1e-5  # same sums, rounding only
    np.testing.assert_allclose(fused, two_steps, rtol=tol, atol=tol * np.abs(two_steps).max())


@pytest.mark.parametrize("layer", LAYERS)
def test_property_every_layer_is_a_regular_convolution_with_a_structured_kernel(layer, dtype, rng):
    """Depthwise = conv2d with a block-diagonal kernel; separable = conv2d with K = D·P per channel."""
    case = CASES[2]
    n, h, w, c_in, (k_h, k_w), width, strides, padding = case
    x = rng.normal(size=(n, h, w, c_in)).astype(dtype)
    kernels, bias = make_weights(layer, case, dtype, rng)
    if layer == "conv2d":
        dense = kernels[0]
    else:
        depthwise = kernels[0]
        mult = depthwise.shape[3]
        block = np.zeros((k_h, k_w, c_in, c_in * mult), dtype=dtype)
        for c in range(c_in):  # input channel c feeds outputs c·M … c·M + M − 1 only
            block[:, :, c, c * mult:(c + 1) * mult] = depthwise[:, :, c, :]
        dense = block if layer == "depthwise" else np.einsum("uvcm,mo->uvco", block, kernels[1][0, 0])
    y = ours(layer, x, kernels, bias, strides, padding)
    expected = cv.conv2d(x, dense.astype(dtype), bias, strides=strides, padding=padding)
    tol = 1e-12 if dtype == np.float64 else 1e-5  # the same products, summed in another order
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol * np.abs(expected).max())
    # and every layer is linear in x (bias off): f(2x₁ − 3x₂) = 2f(x₁) − 3f(x₂)
    x2 = rng.normal(size=x.shape).astype(dtype)
    lhs = ours(layer, 2 * x - 3 * x2, kernels, None, strides, padding)
    rhs = 2 * ours(layer, x, kernels, None, strides, padding) - 3 * ours(layer, x2, kernels, None, strides, padding)
    np.testing.assert_allclose(lhs, rhs, rtol=tol, atol=10 * tol * np.abs(rhs).max())


def test_non_contiguous_input_gives_the_contiguous_answer(rng):
    x = rng.normal(size=(2, 6, 8, 3))
    kernel = rng.normal(size=(3, 3, 3, 2))
    view = x[:, :, ::2, :]  # a strided view
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(cv.conv2d(view, kernel, padding="same"),
                                  cv.conv2d(np.ascontiguousarray(view), kernel, padding="same"))  # exact


# ---------------------------------------------------------------- costs
COST_CASES = [
    # (input_shape, kernel_size, filters, depth_multiplier, strides, padding, use_bias)
    ((28, 28, 1), 3, 32, 1, 1, "valid", True),
    ((32, 32, 16), 3, 64, 1, 1, "same", True),
    ((15, 12, 8), (5, 3), 24, 2, (2, 3), "same", False),
    ((9, 9, 3), 4, 10, 3, 2, "valid", True),
]


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.convolutions.conv2d_cost", "glossary_dl.convolutions.depthwise_conv2d_cost",
                      "glossary_dl.convolutions.separable_conv2d_cost", oracle="keras", rtol=0)  # exact integers
@pytest.mark.parametrize("cost_case", COST_CASES, ids=lambda c: "-".join(map(str, c)).replace(" ", ""))
def test_parameter_counts_equal_keras_count_params(cost_case):
    input_shape, kernel_size, filters, mult, strides, padding, use_bias = cost_case
    common = dict(kernel_size=kernel_size, strides=strides, padding=padding, use_bias=use_bias)
    layers = {
        "conv2d": (keras.layers.Conv2D(filters, **common),
                   cv.conv2d_cost(input_shape, kernel_size, filters, strides, padding, use_bias)),
        "depthwise": (keras.layers.DepthwiseConv2D(depth_multiplier=mult, **common),
                      cv.depthwise_conv2d_cost(input_shape, kernel_size, mult, strides, padding, use_bias)),
        "separable": (keras.layers.SeparableConv2D(filters, depth_multiplier=mult, **common),
                      cv.separable_conv2d_cost(input_shape, kernel_size, filters, mult, strides, padding, use_bias)),
    }
    for name, (layer, (parameters, _)) in layers.items():
        layer.build((1, *input_shape))
        assert parameters == layer.count_params(), name  # exact integers
        # and the output shape our MAC count is based on is Keras' output shape
        assert layer.compute_output_shape((1, *input_shape))[1:3] == output_hw(input_shape, kernel_size, strides, padding), name


def output_hw(input_shape, kernel_size, strides, padding):
    """Output height and width, by sliding a window in a loop (no formula)."""
    sizes = []
    for size, k, s in zip(input_shape[:2], pair(kernel_size), pair(strides)):
        if padding == "valid":
            start, count = 0, 0
            while start + k <= size:  # every full window
                count, start = count + 1, start + s
        else:
            count = len(range(0, size, s))  # one window per stride step that starts inside the image
        sizes.append(count)
    return tuple(sizes)


def counted_taps(input_shape, kernel_size, strides, padding):
    """Kernel taps of a single-channel filter over one image, counted in a loop: (inside, on padding)."""
    (k_h, k_w), (s_h, s_w) = pair(kernel_size), pair(strides)
    h_out, w_out = output_hw(input_shape, kernel_size, strides, padding)
    top = tf_same_padding(input_shape[0], k_h, s_h)[0] if padding == "same" else 0
    left = tf_same_padding(input_shape[1], k_w, s_w)[0] if padding == "same" else 0
    inside = outside = 0
    for i in range(h_out):
        for j in range(w_out):
            for u in range(k_h):
                for v in range(k_w):
                    r, q = i * s_h + u - top, j * s_w + v - left
                    if 0 <= r < input_shape[0] and 0 <= q < input_shape[1]:
                        inside += 1
                    else:
                        outside += 1
    return inside, outside


@pytest.mark.parametrize("cost_case", COST_CASES, ids=lambda c: "-".join(map(str, c)).replace(" ", ""))
def test_mac_counts_by_formula_and_by_counting(cost_case):
    input_shape, kernel_size, filters, mult, strides, padding, use_bias = cost_case
    c_in = input_shape[2]
    k_h, k_w = pair(kernel_size)
    h_out, w_out = output_hw(input_shape, kernel_size, strides, padding)
    inside, outside = counted_taps(input_shape, kernel_size, strides, padding)
    taps = inside + outside  # padded taps are multiplied by zero but counted, as hardware does
    assert taps == h_out * w_out * k_h * k_w
    _, conv = cv.conv2d_cost(input_shape, kernel_size, filters, strides, padding, use_bias)
    _, depthwise = cv.depthwise_conv2d_cost(input_shape, kernel_size, mult, strides, padding, use_bias)
    _, separable = cv.separable_conv2d_cost(input_shape, kernel_size, filters, mult, strides, padding, use_bias)
    assert conv == taps * c_in * filters  # each tap: one product per (input, output) channel pair
    assert depthwise == taps * c_in * mult  # each tap: one product per depthwise filter
    assert separable == depthwise + h_out * w_out * c_in * mult * filters  # plus the 1×1 step
    # our loop does exactly the in-image products: an all-ones image through all-ones filters
    # sums to their number (exact in float64: small integers)
    x = np.ones((1, *input_shape))
    y = cv.conv2d(x, np.ones((k_h, k_w, c_in, filters)), strides=strides, padding=padding)
    assert y.sum() == inside * c_in * filters
    if padding == "valid":
        assert y.sum() == conv


@pytest.mark.parametrize("channels", [8, 64, 512])
@pytest.mark.parametrize("k", [3, 5])
def test_cost_ratio_is_one_over_channels_plus_one_over_k_squared(channels, k):
    regular = cv.conv2d_cost((32, 32, channels), k, channels, padding="same", use_bias=False)
    separable = cv.separable_conv2d_cost((32, 32, channels), k, channels, padding="same", use_bias=False)
    expected = 1 / channels + 1 / k**2  # math, M = 1, C_in = C_out
    assert separable[0] / regular[0] == pytest.approx(expected, rel=1e-15)
    assert separable[1] / regular[1] == pytest.approx(expected, rel=1e-15)


# ---------------------------------------------------------------- bad input
X = np.zeros((1, 5, 5, 2))
K = np.zeros((3, 3, 2, 4))
D = np.zeros((3, 3, 2, 2))
P = np.zeros((1, 1, 4, 3))

BAD_CALLS = [
    # conv2d
    (lambda: cv.conv2d(X[0], K), ValueError, "x must have 4 dimension"),
    (lambda: cv.conv2d(X.astype(np.int64), K), TypeError, "x must be a float32 or float64"),
    (lambda: cv.conv2d(X, K.astype(np.float32)), TypeError, "kernel must have the same dtype as x"),
    (lambda: cv.conv2d(X, np.zeros((3, 3, 3, 4))), ValueError, "in = x.shape[3] = 2"),
    (lambda: cv.conv2d(X, K, np.zeros(3)), ValueError, "bias must have shape (4,)"),
    (lambda: cv.conv2d(X, K, np.zeros(4, np.float32)), TypeError, "bias must have the same dtype"),
    (lambda: cv.conv2d(np.full_like(X, np.nan), K), ValueError, "x must contain only finite"),
    (lambda: cv.conv2d(X, K, strides=0), ValueError, "strides must be >= 1"),
    (lambda: cv.conv2d(X, K, strides=1.5), TypeError, "strides must be an int or a pair"),
    (lambda: cv.conv2d(X, K, strides=(1, 2, 3)), ValueError, "strides must be an int or a pair"),
    (lambda: cv.conv2d(X, K, padding="SAME"), ValueError, "padding must be 'valid' or 'same'"),
    (lambda: cv.conv2d(X, K, padding=None), TypeError, "padding must be 'valid' or 'same'"),
    (lambda: cv.conv2d(X, np.zeros((6, 3, 2, 1))), ValueError, "smaller than the kernel"),
    # depthwise_conv2d
    (lambda: cv.depthwise_conv2d(X, np.zeros((3, 3, 3, 1))), ValueError, "depthwise_kernel must have shape"),
    (lambda: cv.depthwise_conv2d(X, D, np.zeros(2)), ValueError, "bias must have shape (4,)"),
    (lambda: cv.depthwise_conv2d(X, "kernel"), TypeError, "depthwise_kernel must be a numpy array"),
    (lambda: cv.depthwise_conv2d(X, np.zeros((0, 3, 2, 1))), ValueError, "depthwise_kernel must not be empty"),
    # separable_conv2d
    (lambda: cv.separable_conv2d(X, D, np.zeros((1, 1, 2, 3))), ValueError, "in·depth_multiplier = 4"),
    (lambda: cv.separable_conv2d(X, D, np.zeros((3, 3, 4, 3))), ValueError, "pointwise_kernel must have shape"),
    (lambda: cv.separable_conv2d(X, D, P.astype(np.float32)), TypeError, "pointwise_kernel must have the same dtype"),
    (lambda: cv.separable_conv2d(X, D, P, np.zeros(4)), ValueError, "bias must have shape (3,)"),
    # costs
    (lambda: cv.conv2d_cost((5, 5), 3, 4), TypeError, "input_shape must be a tuple (H, W, C_in)"),
    (lambda: cv.conv2d_cost((5, 5, 0), 3, 4), ValueError, "input_shape must be >= 1"),
    (lambda: cv.conv2d_cost((5, 5, 2), 3, 0), ValueError, "filters must be >= 1"),
    (lambda: cv.conv2d_cost((5, 5, 2), 3, 4, use_bias=1), TypeError, "use_bias must be True or False"),
    (lambda: cv.depthwise_conv2d_cost((5, 5, 2), 3, depth_multiplier=2.0), TypeError, "depth_multiplier must be an integer"),
    (lambda: cv.separable_conv2d_cost((5, 5, 2), (3, 0), 4), ValueError, "kernel_size must be >= 1"),
    (lambda: cv.separable_conv2d_cost((2, 5, 2), 3, 4), ValueError, "smaller than the kernel"),
]


@pytest.mark.parametrize(("call", "error", "fragment"), BAD_CALLS, ids=[f"{i}-{c[2][:24]}" for i, c in enumerate(BAD_CALLS)])
def test_bad_input_is_refused_with_a_clear_message(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value)


def test_bias_as_list_takes_the_dtype_of_x():
    x = np.ones((1, 3, 3, 1), dtype=np.float32)
    y = cv.conv2d(x, np.ones((3, 3, 1, 2), dtype=np.float32), bias=[0.5, -1.0])
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y[0, 0, 0], [9.5, 8.0])  # math: 9 ones plus the bias, exact


# ---------------------------------------------------------------- definition loops vs fast paths
# The pages show the definition loops; the public functions run the fast ones (windows times Kᵀ in
# register tiles, four pixels of the depthwise step at a time with the taps unrolled, the
# pointwise step on each row while it is in the cache). Same sums, other order: they agree to a
# few roundings of the sum of |terms|. The image is 13 pixels wide so that every stride has blocks
# of four whole windows in a row as well as windows over the border and pixels left over; 5
# channels and 6 and 4 filters leave remainders in every tile. A 3 × 3 depthwise kernel has a loop
# of its own (taps unrolled), the 3 × 2 one runs the loop for every other size.
@pytest.mark.parametrize("strides, padding", [(1, "valid"), (1, "same"), ((2, 1), "same"), ((1, 2), "same"),
                                              (2, "valid"), (3, "valid")])
@pytest.mark.parametrize("mult", [1, 3])
@pytest.mark.parametrize("k_w", [2, 3])
def test_fast_paths_agree_with_the_definition_loops(k_w, strides, padding, mult, dtype, rng):
    from glossary_dl.convolutions import (
        _conv2d_loop,
        _depthwise_conv2d_loop,
        _geometry,
        _separable_conv2d_loop,
    )

    x = rng.standard_normal((2, 9, 13, 5)).astype(dtype)
    kernel = rng.standard_normal((3, k_w, 5, 6)).astype(dtype)
    depthwise = rng.standard_normal((3, k_w, 5, mult)).astype(dtype)
    pointwise = rng.standard_normal((1, 1, 5 * mult, 4)).astype(dtype)
    bias6, bias_mid, bias4 = (rng.standard_normal(n).astype(dtype) for n in (6, 5 * mult, 4))
    h_out, w_out, *geometry = _geometry(x.shape, 3, k_w, strides, padding)

    def agree(fast, definition, arrays, n_out):
        expected, terms = (np.empty((2, h_out, w_out, n_out), dtype=dtype) for _ in range(2))
        definition(*arrays, expected, *geometry)
        definition(*(np.abs(a) for a in arrays), terms, *geometry)  # Σ|terms| of every sum
        # at most 45 products a sum, summed in another order: well within 64 roundings of Σ|terms|
        np.testing.assert_array_less(np.abs(fast - expected), 64 * np.finfo(dtype).eps * terms + 1e-300)

    agree(cv.conv2d(x, kernel, bias6, strides, padding), _conv2d_loop, (x, kernel, bias6), 6)
    agree(cv.depthwise_conv2d(x, depthwise, bias_mid, strides, padding), _depthwise_conv2d_loop,
          (x, depthwise, bias_mid), 5 * mult)
    agree(cv.separable_conv2d(x, depthwise, pointwise, bias4, strides, padding), _separable_conv2d_loop,
          (x, depthwise, pointwise, bias4), 4)


# ---------------------------------------------------------------- NaN and inf without a scan
# The public functions scan the inputs for NaN and inf only when the output is not finite, or when
# some input value reaches no output: a sum of products is NaN or infinite as soon as one of its
# terms is, so a finite output proves finite inputs only if every pixel and every weight is in some
# sum. These calls put the bad value where it is in no sum, or in every one.
def _layer_call(layer, x, weights, **geometry):
    return {"conv2d": cv.conv2d, "depthwise": cv.depthwise_conv2d, "separable": cv.separable_conv2d}[layer](
        x, *weights, **geometry)


def _layer_weights(layer, c_in, k, rng):
    if layer == "separable":
        return rng.standard_normal((k, k, c_in, 2)), rng.standard_normal((1, 1, 2 * c_in, 3))
    return (rng.standard_normal((k, k, c_in, 2)),)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layer", LAYERS)
def test_non_finite_input_is_refused_where_no_output_sees_it(layer, bad, rng):
    x = rng.standard_normal((1, 7, 7, 2))
    weights = _layer_weights(layer, 2, 2, rng)
    # 2 × 2 windows every 3 pixels: rows and columns 2, 5 and 6 are in no window
    skipped = x.copy()
    skipped[0, 2, 4, 1] = bad
    assert np.isfinite(_layer_call(layer, np.nan_to_num(skipped, posinf=0, neginf=0), weights, strides=3)).all()
    with pytest.raises(ValueError, match="x must contain only finite values"):
        _layer_call(layer, skipped, weights, strides=3)
    # a 3 × 3 kernel over a 1 × 1 image with "same" padding: only the centre tap meets a pixel
    tiny = rng.standard_normal((1, 1, 1, 2))
    weights = list(_layer_weights(layer, 2, 3, rng))
    weights[0][0, 0, 1, 0] = bad
    with pytest.raises(ValueError, match="kernel must contain only finite values"):
        _layer_call(layer, tiny, weights, padding="same")


@pytest.mark.parametrize("argument", [0, 1, -1])
@pytest.mark.parametrize("layer", LAYERS)
def test_non_finite_input_in_some_sum_is_refused(layer, argument, dtype, rng):
    x = rng.standard_normal((2, 6, 5, 3)).astype(dtype)
    values = [x, *(w.astype(dtype) for w in _layer_weights(layer, 3, 3, rng))]
    values[argument] = values[argument].copy()
    values[argument].reshape(-1)[-1] = np.nan  # a corner pixel, the last weight
    name = {0: "x", -1: "pointwise_kernel" if layer == "separable" else "kernel"}.get(argument, "kernel")
    with pytest.raises(ValueError, match=f"{name} must contain only finite values"):
        _layer_call(layer, values[0], values[1:], padding="same")


@pytest.mark.parametrize("layer", LAYERS)
def test_finite_input_whose_sums_overflow_gives_inf_not_an_error(layer, rng):
    x = np.full((1, 4, 4, 2), 3e38, dtype=np.float32)  # finite, but two of them overflow float32
    weights = [np.ones(w.shape, dtype=np.float32) for w in _layer_weights(layer, 2, 2, rng)]
    y = _layer_call(layer, x, weights)
    assert np.isinf(y).all()


def test_every_input_reaches_the_output_by_formula_and_by_counting():
    """The test behind skipping the scan, against sliding every window over every pixel."""
    from glossary_dl.convolutions import _output_size_and_padding, _reaches_the_output

    for size in range(1, 9):
        for k in range(1, 6):
            for s in range(1, 5):
                for padding in ("valid", "same"):
                    if padding == "valid" and size < k:
                        continue
                    n_out, p = _output_size_and_padding(size, k, s, padding, "axis")
                    pixels, taps = set(), set()
                    for i in range(n_out):
                        for u in range(k):
                            if 0 <= i * s + u - p < size:
                                pixels.add(i * s + u - p)
                                taps.add(u)
                    counted = len(pixels) == size and len(taps) == k
                    assert _reaches_the_output(size, k, s, p, n_out) == counted, (size, k, s, padding)
