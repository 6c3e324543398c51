"""glossary_dl.kernels against sklearn.metrics.pairwise and sklearn.svm.SVC (libsvm)."""

import inspect

import numpy as np
import pytest
from sklearn.datasets import make_circles
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from glossary_dl import kernels
from glossary_dl.kernels import KernelSVC, linear_kernel, polynomial_kernel, rbf_kernel, sigmoid_kernel

pytestmark = pytest.mark.oracle

OURS = {
    "linear": linear_kernel,
    "polynomial": polynomial_kernel,
    "rbf": rbf_kernel,
    "sigmoid": sigmoid_kernel,
}
# explicit hyper-parameters, away from the defaults
EXPLICIT = {
    "linear": {},
    "polynomial": {"degree": 2, "gamma": 0.3, "coef0": -0.5},
    "rbf": {"gamma": 0.7},
    "sigmoid": {"gamma": 0.05, "coef0": -0.2},
}
SHAPES = [((1, 1), (1, 1)), ((5, 3), (4, 3)), ((50, 20), (50, 20))]
# (rtol, atol relative to max|K|): float64 is limited by the summation order only; in float32
# scikit-learn sums in float32 (sgemm) while we sum in float64, so entries that cancel to near
# zero differ by float32 rounding of the largest terms, hence the atol
TOL = {np.float64: (1e-12, 1e-12), np.float32: (1e-5, 1e-6)}


def assert_close(ours, reference, dtype):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=atol * max(1.0, np.abs(reference).max()))


# ------------------------------------------------------------------ oracle conformance
@pytest.mark.parametrize("params", ["default", "explicit"])
@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0][0]}x{s[0][1]}")
@pytest.mark.parametrize("name", OURS)
@pytest.mark.verifies(oracle="sklearn", param="name", names={'linear': ('glossary_dl.kernels.linear_kernel',), 'polynomial': ('glossary_dl.kernels.polynomial_kernel',), 'rbf': ('glossary_dl.kernels.rbf_kernel',), 'sigmoid': ('glossary_dl.kernels.sigmoid_kernel',)}, rtol={"float64": 1e-12, "float32": 1e-5})
def test_kernel_matches_sklearn(name, shapes, params, dtype, rng):
    X = rng.standard_normal(shapes[0]).astype(dtype)
    Y = rng.standard_normal(shapes[1]).astype(dtype)
    kwargs = EXPLICIT[name] if params == "explicit" else {}
    reference = getattr(pairwise, f"{name}_kernel")
    for args in [(X, Y), (X,)]:
        ours = OURS[name](*args, **kwargs)
        expected = reference(*args, **kwargs)
        assert ours.dtype == dtype and ours.shape == expected.shape
        assert_close(ours, expected, dtype)


@pytest.mark.parametrize("name", OURS)
def test_dtype_rule_matches_sklearn(name, rng):
    X32 = rng.standard_normal((4, 3)).astype(np.float32)
    Y64 = rng.standard_normal((2, 3))
    # mixed float32/float64 -> float64 in both libraries, values equal to float64 precision
    ours, expected = OURS[name](X32, Y64), getattr(pairwise, f"{name}_kernel")(X32, Y64)
    assert ours.dtype == expected.dtype == np.float64
    assert_close(ours, expected, np.float64)
    # lists of numbers (ints included) -> float64
    assert OURS[name]([[1, 2], [3, 4]]).dtype == np.float64


def test_default_gamma_is_one_over_n_features(rng):
    X, Y = rng.standard_normal((6, 4)), rng.standard_normal((3, 4))
    # gamma=None -> 1/d, exactly the same arithmetic as passing 1/d (bitwise equality)
    np.testing.assert_array_equal(rbf_kernel(X, Y), rbf_kernel(X, Y, gamma=1 / 4))
    np.testing.assert_array_equal(polynomial_kernel(X, Y), polynomial_kernel(X, Y, gamma=1 / 4))
    np.testing.assert_array_equal(sigmoid_kernel(X, Y), sigmoid_kernel(X, Y, gamma=1 / 4))


def test_pairwise_defaults_match_sklearn_signatures():
    for name, ours in OURS.items():
        theirs = inspect.signature(getattr(pairwise, f"{name}_kernel")).parameters
        for parameter in inspect.signature(ours).parameters.values():
            assert theirs[parameter.name].default == parameter.default, (name, parameter.name)


def test_svc_defaults_differ_from_pairwise_as_sklearn():
    ours, theirs = KernelSVC(), SVC()
    for attribute in ["C", "kernel", "degree", "gamma", "coef0", "tol", "max_iter"]:
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    # SVC: coef0=0 and gamma="scale"; pairwise: coef0=1 and gamma=None (1/d)
    assert ours.coef0 == 0.0 and inspect.signature(polynomial_kernel).parameters["coef0"].default == 1
    assert ours.gamma == "scale" and inspect.signature(rbf_kernel).parameters["gamma"].default is None


def test_whole_degree_conventions(rng):
    X = rng.standard_normal((5, 3))
    # 3.0 is accepted as 3 (sklearn accepts real degrees)
    assert_close(polynomial_kernel(X, degree=3.0), pairwise.polynomial_kernel(X, degree=3.0), np.float64)
    # degree 0 is the constant kernel 1 (SVC allows degree=0; pairwise.polynomial_kernel refuses it)
    np.testing.assert_array_equal(polynomial_kernel(X, degree=0), np.ones((5, 5)))
    with pytest.raises(ValueError):
        pairwise.polynomial_kernel(X, degree=0)
    # a fractional degree: sklearn returns NaN where the base is negative, we refuse it
    with np.errstate(invalid="ignore"):
        assert np.isnan(pairwise.polynomial_kernel(X, degree=2.5, coef0=-5.0)).any()
    with pytest.raises(ValueError, match="degree must be a whole number"):
        polynomial_kernel(X, degree=2.5)


def test_gamma_zero_is_refused_unlike_sklearn(rng):
    X = rng.standard_normal((3, 2))
    # sklearn accepts gamma=0 (a constant kernel); we require gamma > 0
    np.testing.assert_array_equal(pairwise.rbf_kernel(X, gamma=0.0), np.ones((3, 3)))
    with pytest.raises(ValueError, match="gamma must be in"):
        rbf_kernel(X, gamma=0.0)


# ------------------------------------------------------------------ properties
PSD = {
    "linear": {},
    "polynomial": {"degree": 3, "coef0": 0.5},
    "rbf": {"gamma": 0.5},
}


@pytest.mark.parametrize("name", list(OURS))
def test_gram_is_symmetric_and_psd(name, rng):
    X = rng.standard_normal((40, 5))
    kwargs = PSD.get(name, {})
    K = OURS[name](X, **kwargs)
    # the mirrored triangle is an exact copy
    np.testing.assert_array_equal(K, K.T)
    # the symmetric path (Y=None) equals the general path (a copy of X as Y), float64 rounding only
    np.testing.assert_allclose(K, OURS[name](X, X.copy(), **kwargs), rtol=1e-12, atol=1e-12 * np.abs(K).max())
    if name in PSD:
        # eigenvalues of a PSD matrix are >= 0 up to rounding: min >= -1e-10 * max|K|
        assert np.linalg.eigvalsh(K).min() >= -1e-10 * np.abs(K).max()


def test_sigmoid_kernel_is_not_psd():
    # tanh grows with x·x', so an off-diagonal entry can beat a diagonal one:
    # K = tanh([[2, 3], [3, 5]]) has det = tanh(2) tanh(5) - tanh(3)^2 < 0
    K = sigmoid_kernel(np.array([[1.0], [2.0]]), gamma=1.0, coef0=1.0)
    np.testing.assert_allclose(K, np.tanh([[2.0, 3.0], [3.0, 5.0]]), rtol=1e-15)
    # negative eigenvalue, far beyond rounding (about -0.013)
    assert np.linalg.eigvalsh(K).min() < -1e-3


def test_rbf_diagonal_is_exactly_one(rng):
    X = 100 * rng.standard_normal((30, 8))
    np.testing.assert_array_equal(np.diag(rbf_kernel(X, gamma=3.0)), 1.0)
    assert (rbf_kernel(X, gamma=3.0) >= 0).all()


# ------------------------------------------------------------------ bad input
GOOD = np.ones((3, 2))


def wrong_shape(A, B):
    return np.ones((len(A), len(B) + 1))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: rbf_kernel(np.ones(3)), ValueError, "X must have 2 dimension"),
        (lambda: linear_kernel(GOOD, np.ones((2, 3))), ValueError, "Y must have as many features"),
        (lambda: sigmoid_kernel(np.ones((0, 2))), ValueError, "X must not be empty"),
        (lambda: polynomial_kernel(GOOD, np.array([[np.nan, 1.0]])), ValueError, "Y must contain only finite"),
        (lambda: rbf_kernel(np.ones((3, 2), dtype=np.int64)), TypeError, "X must be a float32 or float64"),
        (lambda: linear_kernel(np.ones((3, 2), dtype=complex)), TypeError, "X must be a float32 or float64"),
        (lambda: rbf_kernel(GOOD, gamma=-1.0), ValueError, "gamma must be in"),
        (lambda: sigmoid_kernel(GOOD, gamma="auto"), TypeError, "gamma must be a real number"),
        (lambda: polynomial_kernel(GOOD, degree=-1), ValueError, "degree must be a whole number >= 0"),
        (lambda: polynomial_kernel(GOOD, degree=True), TypeError, "degree must be a whole number"),
        (lambda: polynomial_kernel(GOOD, coef0=np.inf), ValueError, "coef0 must be finite"),
        (lambda: KernelSVC(kernel=wrong_shape).fit(GOOD, [0, 1, 1]), ValueError, r"kernel must return .* shape \(3, 3\)"),
        (lambda: KernelSVC(kernel="cubic").fit(GOOD, [0, 1, 1]), ValueError, "kernel must be one of"),
        (lambda: KernelSVC(C=0.0).fit(GOOD, [0, 1, 1]), ValueError, "C must be in"),
        (lambda: KernelSVC(gamma="large").fit(GOOD, [0, 1, 1]), ValueError, "gamma must be 'scale', 'auto'"),
        (lambda: KernelSVC().fit(GOOD, [0, 1]), ValueError, "y must be 1-D with one label per row"),
        (lambda: KernelSVC().fit(GOOD, [1, 1, 1]), ValueError, "y must hold exactly two classes"),
        (lambda: KernelSVC().fit(GOOD, [0, 1, 2]), ValueError, "y must hold exactly two classes"),
        (lambda: KernelSVC().fit(GOOD, [0.0, 1.0, np.nan]), ValueError, "y must contain only finite"),
        (lambda: KernelSVC().predict(GOOD), ValueError, "not fitted yet"),
        (lambda: KernelSVC().fit(GOOD, [0, 1, 1]).predict(np.ones((2, 3))), ValueError, "X must have 2 features"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ KernelSVC
@pytest.fixture(scope="module")
def circles():
    X, y = make_circles(n_samples=300, factor=0.4, noise=0.08, random_state=0)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def rbf_pair(circles):
    X_train, X_test, y_train, y_test = circles
    return KernelSVC(C=1.0).fit(X_train, y_train), SVC(C=1.0).fit(X_train, y_train)


def test_linear_models_stay_near_chance_on_circles(circles):
    X_train, X_test, y_train, y_test = circles
    # no straight line separates two concentric rings: accuracy near 0.5 (< 0.7)
    assert LogisticRegression().fit(X_train, y_train).score(X_test, y_test) < 0.7
    assert KernelSVC(kernel="linear").fit(X_train, y_train).score(X_test, y_test) < 0.7


@pytest.mark.verifies("glossary_dl.kernels.KernelSVC", oracle="sklearn", dtypes=("float64",), atol=1e-2)
def test_rbf_svc_separates_circles_like_sklearn(circles, rbf_pair):
    X_train, X_test, y_train, y_test = circles
    ours, theirs = rbf_pair
    assert ours.score(X_test, y_test) >= 0.95
    assert np.mean(ours.predict(X_test) == theirs.predict(X_test)) >= 0.99
    # both stop at a KKT violation < tol=1e-3 (and libsvm stores kernel rows in float32), so the
    # scores agree to about tol, not to rounding: |Δf| < 1e-2
    np.testing.assert_allclose(ours.decision_function(X_test), theirs.decision_function(X_test), atol=1e-2)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-2)
    assert abs(len(ours.support_) - len(theirs.support_)) <= 2
    assert ours.classes_.tolist() == theirs.classes_.tolist() == [0, 1]


@pytest.mark.verifies("glossary_dl.kernels.KernelSVC", oracle="sklearn", dtypes=("float64",), atol=1e-4)
def test_dual_coefficients_match_sklearn(circles):
    X_train, _, y_train, _ = circles
    # with a tight tol both solvers reach the same optimum; libsvm's float32 kernel cache
    # then dominates the difference: |Δ(y α)| < 1e-4 (C = 1)
    ours = KernelSVC(C=1.0, tol=1e-8).fit(X_train, y_train)
    theirs = SVC(C=1.0, tol=1e-8).fit(X_train, y_train)
    order = np.argsort(theirs.support_)  # SVC groups support vectors by class
    np.testing.assert_array_equal(ours.support_, theirs.support_[order])
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_[:, order], atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)
    # the dual constraints hold: 0 <= α <= C and yᵀα = 0
    assert np.all(np.abs(ours.dual_coef_) <= 1.0) and abs(ours.dual_coef_.sum()) < 1e-10


@pytest.mark.parametrize("kernel, params", [("poly", {"degree": 2, "coef0": 1.0}), ("sigmoid", {"gamma": 0.5})])
def test_other_kernels_agree_with_svc(circles, kernel, params):
    X_train, X_test, y_train, _ = circles
    ours = KernelSVC(kernel=kernel, **params).fit(X_train, y_train)
    theirs = SVC(kernel=kernel, **params).fit(X_train, y_train)
    # same optimum up to tol=1e-3: predictions agree on >= 99% of the test set
    assert np.mean(ours.predict(X_test) == theirs.predict(X_test)) >= 0.99
    np.testing.assert_allclose(ours.decision_function(X_test), theirs.decision_function(X_test), atol=2e-2)


def test_gamma_scale_and_callable_kernel(circles, rbf_pair):
    X_train, X_test, y_train, _ = circles
    ours, _ = rbf_pair
    gamma = 1.0 / (X_train.shape[1] * X_train.var())
    explicit = KernelSVC(gamma=gamma).fit(X_train, y_train)
    given = KernelSVC(kernel=lambda A, B: rbf_kernel(A, B, gamma=gamma)).fit(X_train, y_train)
    # the same Gram matrix, the same SMO steps: identical results (exact equality)
    np.testing.assert_array_equal(ours.decision_function(X_test), explicit.decision_function(X_test))
    np.testing.assert_array_equal(ours.decision_function(X_test), given.decision_function(X_test))


@pytest.mark.parametrize("labels", [("a", "b"), (-3, 7), (7, -3)])
def test_any_two_labels(circles, rbf_pair, labels):
    X_train, X_test, y_train, _ = circles
    ours, _ = rbf_pair
    mapped = np.array(labels)[y_train]
    model = KernelSVC().fit(X_train, mapped)
    theirs = SVC().fit(X_train, mapped)
    assert model.classes_.tolist() == sorted(labels) == theirs.classes_.tolist()
    if labels[0] < labels[1]:
        # same -1/+1 coding as with 0/1: the very same SMO steps, identical scores (exact)
        np.testing.assert_array_equal(model.decision_function(X_test), ours.decision_function(X_test))
    else:
        # the coding flips, so does the score; the SMO path (tie-breaks) differs, and both runs stop
        # within tol=1e-3 of the optimum: |Δf| < 1e-2
        np.testing.assert_allclose(model.decision_function(X_test), -ours.decision_function(X_test), atol=1e-2)
    assert np.mean(model.predict(X_test) == theirs.predict(X_test)) >= 0.99


def test_dtypes_of_decision_function(circles, rbf_pair):
    X_train, X_test, y_train, _ = circles
    ours, _ = rbf_pair
    f32 = ours.decision_function(X_test.astype(np.float32))
    assert f32.dtype == np.float32
    # float32 input rows round to ~6e-8; |Δf| < 1e-5
    np.testing.assert_allclose(f32, ours.decision_function(X_test), atol=1e-5)
    # training on float32 data works in float64 and gives the same model up to input rounding
    model32 = KernelSVC().fit(X_train.astype(np.float32), y_train)
    assert np.mean(model32.predict(X_test) == ours.predict(X_test)) >= 0.99


def test_max_iter_warns(circles):
    X_train, _, y_train, _ = circles
    with pytest.warns(RuntimeWarning, match="max_iter=3"):
        model = KernelSVC(max_iter=3).fit(X_train, y_train)
    assert model.n_iter_ == 3
