"""glossary_dl.trees against scikit-learn, an exhaustive split search and finite differences."""

import numba
import numpy as np
import pytest
from gradcheck import assert_gradient_matches
from sklearn import ensemble
from sklearn import tree as sktree
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.model_selection import train_test_split

from glossary_dl.trees import DecisionTreeClassifier, GradientBoostingClassifier, RandomForestClassifier

CLASSIFIERS = {
    "tree": lambda: DecisionTreeClassifier(seed=0),
    "forest": lambda: RandomForestClassifier(n_estimators=10, seed=0),
    "boosting": lambda: GradientBoostingClassifier(n_estimators=10, seed=0),
}


def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def overlapping_gaussians(seed):
    """Two overlapping classes in 5 continuous features: no repeated values, and every node of a
    shallow tree holds dozens of mixed samples, so no two splits tie in impurity decrease."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 1200)
    X = rng.standard_normal((1200, 5)) + 0.8 * y[:, None] * np.array([1.0, -0.5, 0.3, 0.0, 0.7])
    return X[:800], X[800:], y[:800], y[800:]


# ---------------------------------------------------------------- one tree
@pytest.mark.oracle
# loosest: thresholds rtol 1e-6 (sklearn's float32 midpoints), probabilities atol 1e-7
@pytest.mark.verifies("glossary_dl.trees.DecisionTreeClassifier", oracle="sklearn", rtol=1e-6, atol=1e-7)
@pytest.mark.parametrize(
    "data, depth, min_split",
    [("cancer", 2, 2), ("gauss0", 5, 20), ("gauss1", 4, 2), ("gauss2", 4, 2)],
    ids=["cancer-depth2", "gauss0-depth5-split20", "gauss1-depth4", "gauss2-depth4"],
)
def test_tree_matches_sklearn_node_by_node(data, depth, min_split, dtype):
    # Deeper trees on these data reach nodes where two features peel off the same 1-3 extreme
    # samples: an exact tie in impurity decrease, broken by each library's own random feature
    # order. These depths stop before any such tie (checked against sklearn's decision_path).
    X_train, X_test, y_train, y_test = breast_cancer() if data == "cancer" else overlapping_gaussians(int(data[-1]))
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    ours = DecisionTreeClassifier(max_depth=depth, min_samples_split=min_split, seed=0).fit(X_train, y_train)
    theirs = sktree.DecisionTreeClassifier(max_depth=depth, min_samples_split=min_split, random_state=0)
    theirs.fit(X_train, y_train)
    a, b = ours.tree_, theirs.tree_
    for name in ["feature", "children_left", "children_right", "n_node_samples"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    # sklearn takes the midpoint of float32-rounded values: ~6e-8 relative, so rtol 1e-6
    np.testing.assert_allclose(a.threshold, b.threshold, rtol=1e-6)
    # class shares and Gini impurities of the same counts: rounding only
    np.testing.assert_allclose(a.value, b.value[:, 0, :], rtol=0, atol=1e-12)  # sklearn: (nodes, outputs, C)
    np.testing.assert_allclose(a.impurity, b.impurity, rtol=0, atol=1e-12)
    # unseen samples: the same leaves, hence exactly the same predictions
    np.testing.assert_array_equal(ours.predict(X_test), theirs.predict(X_test))
    proba = ours.predict_proba(X_test)
    assert proba.dtype == dtype
    np.testing.assert_allclose(proba, theirs.predict_proba(X_test), rtol=0, atol=1e-7)


def test_root_split_is_the_exhaustive_best(rng):
    # math oracle: try every feature and every midpoint in numpy, score W·H − W_L·H_L − W_R·H_R
    X = rng.standard_normal((40, 4))
    y = rng.integers(0, 3, 40)

    def gini_mass(labels):  # W·H(S) = W·(1 − Σ p_c²)
        counts = np.bincount(labels, minlength=3)
        return labels.size - np.sum(counts**2) / max(labels.size, 1)

    best = max(
        (gini_mass(y) - gini_mass(y[X[:, j] <= tau]) - gini_mass(y[X[:, j] > tau]), j, tau)
        for j in range(4)
        for lo, hi in zip(np.sort(X[:, j])[:-1], np.sort(X[:, j])[1:])
        for tau in [(lo + hi) / 2]
    )
    tree = DecisionTreeClassifier(max_depth=1, seed=0).fit(X, y).tree_
    assert tree.feature[0] == best[1]
    assert tree.threshold[0] == pytest.approx(best[2], rel=1e-15)  # the same midpoint, same arithmetic


def test_impurity_is_gini_of_the_class_shares(rng):
    X, y = rng.standard_normal((60, 3)), rng.integers(0, 4, 60)
    tree = DecisionTreeClassifier(seed=0).fit(X, y).tree_
    # the loop computes Σ_k (mean of t_k² − mean of t_k²); for one-hot t that is 1 − Σ p_c², to rounding
    np.testing.assert_allclose(tree.impurity, 1.0 - np.sum(tree.value**2, axis=1), rtol=0, atol=1e-14)
    leaves = tree.children_left == -1
    assert np.all(tree.feature[leaves] == -2) and np.all(tree.feature[~leaves] >= 0)


def test_max_features_limits_the_search_and_sqrt_is_floor(rng):
    X, y = rng.standard_normal((80, 9)), rng.integers(0, 2, 80)
    # with one feature per node, the root feature follows the seed; all features show up over seeds
    roots = {DecisionTreeClassifier(max_depth=1, max_features=1, seed=s).fit(X, y).tree_.feature[0] for s in range(40)}
    assert len(roots) == 9
    # "sqrt" of 9 features is 3, the same search as max_features=3 with the same seed
    a = DecisionTreeClassifier(max_features="sqrt", seed=5).fit(X, y).tree_
    b = DecisionTreeClassifier(max_features=3, seed=5).fit(X, y).tree_
    np.testing.assert_array_equal(a.feature, b.feature)


# ---------------------------------------------------------------- random forest
@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.trees.RandomForestClassifier", oracle="sklearn", dtypes=("float64",), atol=0.03)  # mean accuracy
@pytest.mark.parametrize("load", [
    breast_cancer,
    pytest.param(digits, marks=pytest.mark.slow),  # 30 trees × 3 seeds on 64 features: ~1 min as plain Python
], ids=["cancer", "digits"])
def test_forest_accuracy_within_3_points_of_sklearn(load):
    X_train, X_test, y_train, y_test = load()
    ours = [RandomForestClassifier(n_estimators=30, seed=s).fit(X_train, y_train).score(X_test, y_test) for s in range(3)]
    theirs = [
        ensemble.RandomForestClassifier(n_estimators=30, random_state=s).fit(X_train, y_train).score(X_test, y_test)
        for s in range(3)
    ]
    # same algorithm, different random numbers: mean test accuracy over 3 seeds within 3 points
    assert abs(np.mean(ours) - np.mean(theirs)) < 0.03, (ours, theirs)


def test_forest_without_randomness_is_the_single_tree():
    X_train, X_test, y_train, _ = overlapping_gaussians(2)
    forest = RandomForestClassifier(n_estimators=3, max_depth=4, max_features=None, bootstrap=False, seed=1)
    forest.fit(X_train, y_train)
    single = DecisionTreeClassifier(max_depth=4, seed=7).fit(X_train, y_train)
    for tree in forest.estimators_:
        np.testing.assert_array_equal(tree.feature, single.tree_.feature)
    # the mean of three equal probability tables is that table, up to one rounding
    np.testing.assert_allclose(forest.predict_proba(X_test), single.predict_proba(X_test), rtol=0, atol=1e-15)


def test_forest_does_not_depend_on_the_thread_count():
    # large enough to grow its trees on several threads; each tree draws from its own generator
    rng = np.random.default_rng(4)
    X = rng.standard_normal((3000, 12))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + 0.3 * rng.standard_normal(3000) > 0).astype(int)
    threads = numba.get_num_threads()
    forests = []
    for count in (1, threads):
        numba.set_num_threads(count)
        try:
            forests.append(RandomForestClassifier(n_estimators=8, max_depth=6, seed=11).fit(X, y))
        finally:
            numba.set_num_threads(threads)
    one, many = forests
    for a, b in zip(one.estimators_, many.estimators_):
        np.testing.assert_array_equal(a.feature, b.feature)
        np.testing.assert_array_equal(a.threshold, b.threshold)
        np.testing.assert_array_equal(a.n_node_samples, b.n_node_samples)
    np.testing.assert_array_equal(one.predict_proba(X), many.predict_proba(X))


def test_bootstrap_weights_are_draw_counts():
    X_train, _, y_train, _ = breast_cancer()
    forest = RandomForestClassifier(n_estimators=5, seed=3).fit(X_train, y_train)
    for tree in forest.estimators_:
        # about 1 − 1/e ≈ 63.2% of the samples are drawn at least once (±5 points at N = 426)
        assert abs(tree.n_node_samples[0] / len(y_train) - (1 - np.exp(-1))) < 0.05


# ---------------------------------------------------------------- gradient boosting
@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.trees.GradientBoostingClassifier", oracle="sklearn", rtol=1e-10)  # training losses
@pytest.mark.parametrize("data", ["cancer", "iris"])
def test_boosting_training_loss_matches_sklearn(data, dtype):
    if data == "cancer":
        X_train, X_test, y_train, y_test = breast_cancer()
        factor = 2.0  # sklearn reports twice the binary log-loss (the deviance)
    else:
        X, y = load_iris(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
        factor = 1.0  # ... but the multinomial log-loss itself
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    ours = GradientBoostingClassifier(n_estimators=25, seed=0).fit(X_train, y_train)
    theirs = ensemble.GradientBoostingClassifier(n_estimators=25, random_state=0).fit(X_train, y_train)
    # the same partitions of the training set and the same Newton leaf values: rounding only
    np.testing.assert_allclose(factor * ours.train_loss_, theirs.train_score_, rtol=1e-10)
    np.testing.assert_allclose(ours.staged_loss(X_train, y_train), ours.train_loss_, rtol=1e-12)
    # unseen data: features that cut the training set alike may cut it differently
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) < 0.03


@pytest.mark.parametrize("learning_rate", [0.1, 0.5])
def test_boosting_training_loss_decreases_monotonically(learning_rate):
    X_train, _, y_train, _ = breast_cancer()
    model = GradientBoostingClassifier(n_estimators=40, learning_rate=learning_rate, seed=0).fit(X_train, y_train)
    p = y_train.mean()
    prior_loss = -(p * np.log(p) + (1 - p) * np.log(1 - p))  # log-loss of F_0, the prior log-odds
    steps = np.diff(np.concatenate([[prior_loss], model.train_loss_]))
    assert np.all(steps < 0), steps  # each damped Newton stage lowers the convex loss in every leaf


def test_negative_gradient_and_curvature_match_finite_differences(rng):
    # ℓ(F) = Σ_i log(1 + e^{F_i}) − y_i F_i: −∂ℓ/∂F = y − σ(F) (the residual), ∂²ℓ/∂F² = σ(1 − σ)
    y, scores = rng.integers(0, 2, 7).astype(np.float64), rng.standard_normal(7) * 2

    def loss(F):
        return np.sum(np.logaddexp(0.0, F) - y * F)

    def sigma(F):
        return 1.0 / (1.0 + np.exp(-F))

    assert_gradient_matches(loss, lambda F: -(y - sigma(F)), scores, rtol=1e-7, atol=1e-9)
    assert_gradient_matches(lambda F: np.sum(sigma(F)), lambda F: sigma(F) * (1 - sigma(F)), scores, rtol=1e-7, atol=1e-9)


def test_boosting_leaf_values_are_one_newton_step():
    X_train, _, y_train, _ = breast_cancer()
    model = GradientBoostingClassifier(n_estimators=1, max_depth=2, seed=0).fit(X_train, y_train)
    tree = model.estimators_[0][0]
    p = 1.0 / (1.0 + np.exp(-model.init_[0]))  # every sample starts at the prior
    leaves = tree.apply(np.ascontiguousarray(X_train))
    for leaf in np.unique(leaves):
        r = y_train[leaves == leaf] - p
        # γ_j = Σ r_i / Σ p_i(1 − p_i), rounding only
        assert tree.value[leaf, 0] == pytest.approx(r.sum() / (r.size * p * (1 - p)), rel=1e-12)


# ---------------------------------------------------------------- the whole family
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_family_properties(name, dtype, rng):
    labels = np.array([-3, 5, 11])
    X = rng.standard_normal((90, 4)).astype(dtype)
    y = labels[np.argmax(X[:, :3], axis=1)]  # a separable problem with unusual labels
    model = CLASSIFIERS[name]().fit(X, y)
    np.testing.assert_array_equal(model.classes_, labels)
    proba = model.predict_proba(X)
    assert proba.dtype == dtype and proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6)  # float32 rounding at worst
    assert set(model.predict(X)) <= set(labels)
    np.testing.assert_array_equal(model.predict(X), labels[np.argmax(proba, axis=1)])
    assert model.score(X, y) > 0.9  # training accuracy on separable data
    # the same seed gives the same model
    np.testing.assert_array_equal(CLASSIFIERS[name]().fit(X, y).predict_proba(X), proba)


BAD_CONSTRUCTORS = [
    (lambda: DecisionTreeClassifier(max_depth=0), ValueError, "max_depth must be >= 1"),
    (lambda: DecisionTreeClassifier(max_depth=2.5), TypeError, "max_depth must be an integer"),
    (lambda: DecisionTreeClassifier(min_samples_split=1), ValueError, "min_samples_split must be >= 2"),
    (lambda: DecisionTreeClassifier(max_features="half"), ValueError, "max_features must be None, 'sqrt'"),
    (lambda: DecisionTreeClassifier(max_features=1.5), ValueError, "max_features must be in (0.0, 1.0]"),
    (lambda: DecisionTreeClassifier(max_features=True), TypeError, "max_features must be"),
    (lambda: DecisionTreeClassifier(seed=-1), ValueError, "seed must be >= 0"),
    (lambda: RandomForestClassifier(n_estimators=0), ValueError, "n_estimators must be >= 1"),
    (lambda: RandomForestClassifier(bootstrap=1), TypeError, "bootstrap must be True or False"),
    (lambda: GradientBoostingClassifier(learning_rate=0.0), ValueError, "learning_rate must be in (0.0, inf]"),
    (lambda: GradientBoostingClassifier(max_depth=None), TypeError, "max_depth must be an integer"),
]


@pytest.mark.parametrize("make, error, message", BAD_CONSTRUCTORS, ids=[m for *_, m in BAD_CONSTRUCTORS])
def test_bad_hyper_parameters_are_refused(make, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        make()


X_OK, Y_OK = np.random.default_rng(0).standard_normal((10, 3)), np.arange(10) % 2
BAD_DATA = [
    (X_OK.astype(np.int64), Y_OK, TypeError, "X must be a float32 or float64 array"),
    (X_OK[0], Y_OK, ValueError, "X must have 2 dimension"),
    (np.where(np.eye(10, 3) > 0, np.nan, X_OK), Y_OK, ValueError, "X must contain only finite values"),
    (X_OK, Y_OK[:9], ValueError, "y must have one label per row of X"),
    (X_OK, Y_OK + 0.5, ValueError, "y must hold whole-number class labels"),
    (X_OK, np.array(["a", "b"] * 5), TypeError, "y must be an integer array"),
]


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("X, y, error, message", BAD_DATA, ids=[m for *_, m in BAD_DATA])
def test_bad_training_data_is_refused(name, X, y, error, message):
    with pytest.raises(error, match=message):
        CLASSIFIERS[name]().fit(X, y)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_bad_use_after_fit_is_refused(name):
    with pytest.raises(ValueError, match="is not fitted yet"):
        CLASSIFIERS[name]().predict(X_OK)
    model = CLASSIFIERS[name]().fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="X must have 3 features, as in fit, got 2"):
        model.predict(X_OK[:, :2])
    with pytest.raises(ValueError, match="y must have one label per row of X"):
        model.score(X_OK, Y_OK[:3])


def test_boosting_and_max_features_edge_cases():
    with pytest.raises(ValueError, match="y must hold at least two classes"):
        GradientBoostingClassifier().fit(X_OK, np.zeros(10, dtype=int))
    with pytest.raises(ValueError, match=r"max_features must be at most the number of features \(3\)"):
        DecisionTreeClassifier(max_features=4).fit(X_OK, Y_OK)
    model = GradientBoostingClassifier(n_estimators=2).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="y must hold labels seen in fit"):
        model.staged_loss(X_OK, Y_OK + 7)
