r"""Decision trees, random forests and gradient boosting, written as the loops of the math.

One split search serves every tree here. A node holds the samples $S$ with weights $w_i$ and
target rows $t_i \in \mathbb{R}^K$: the one-hot class of sample $i$ for a classification tree, the
residual $r_i$ (so $K = 1$) for the regression trees of gradient boosting. The node's impurity is
the weighted variance of the targets, summed over the $K$ columns; for one-hot targets that sum is
exactly the Gini impurity $1 - \sum_c p_c^2$. The search scans every feature in sorted order and
keeps the threshold that removes the most impurity.

- `DecisionTreeClassifier`: one tree grown greedily on the Gini impurity, as
  ``sklearn.tree.DecisionTreeClassifier`` does.
- `RandomForestClassifier`: bootstrap samples, a random subset of features at every node, and the
  average of the trees' class probabilities.
- `GradientBoostingClassifier`: log-loss boosting; each stage fits a regression tree to the
  negative gradient $y - p$ and gives each leaf one Newton step.

Fitting works in float64 whatever the dtype of ``X`` (scikit-learn works in float32);
``predict_proba`` returns the dtype of its input.
"""

from __future__ import annotations

import numbers
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from glossary_dl._parallel import PARALLEL_MIN_WORK
from glossary_dl._validation import as_float_array, as_label_array, check_bool, check_int, check_real

__all__ = [
    "DecisionTreeClassifier",
    "GradientBoostingClassifier",
    "RandomForestClassifier",
]

# Two feature values closer than this are not split between (scikit-learn's FEATURE_THRESHOLD).
_FEATURE_THRESHOLD = 1e-7
# A node whose impurity is at most this is pure and becomes a leaf (scikit-learn's EPSILON).
_PURE = np.finfo(np.float64).eps
# scikit-learn's markers: "no child" in children_left / children_right, and the feature and
# threshold of a leaf
_LEAF = -1
_UNDEFINED = -2


# ---------------------------------------------------------------- compiled loops
# They assume clean input: C-contiguous float64 arrays X (N, d), t (N, K), w (N,), int64 index
# arrays, shapes already checked.


# --8<-- [start:node_stats_loop]
@njit(cache=True, nogil=True)
def _node_stats_loop(t, w, samples, value):
    n_targets = t.shape[1]
    # W ← Σ_{i∈S} w_i
    total_w = 0.0
    for s in range(samples.shape[0]):
        total_w += w[samples[s]]
    impurity = 0.0
    for k in range(n_targets):
        # mean_k ← (1/W)·Σ_{i∈S} w_i·t_{i,k}   (p_k, the class share, for one-hot targets)
        first = 0.0
        second = 0.0
        for s in range(samples.shape[0]):
            i = samples[s]
            first += w[i] * t[i, k]
            second += w[i] * t[i, k] * t[i, k]
        mean = first / total_w
        value[k] = mean
        # H(S) ← H(S) + (1/W)·Σ_i w_i·t_{i,k}² − mean_k²   (for one-hot t: p_k − p_k², so H = 1 − Σ p_k²)
        impurity += second / total_w - mean * mean
    return total_w, impurity
# --8<-- [end:node_stats_loop]


# --8<-- [start:best_split_loop]
@njit(cache=True, nogil=True)
def _best_split_loop(X, t, w, samples, features, max_features):
    n_node = samples.shape[0]
    n_targets = t.shape[1]
    # W and T_k = Σ_{i∈S} w_i·t_{i,k}: the right side's sums are these minus the left side's
    total_w = 0.0
    total_t = np.zeros(n_targets)
    for s in range(n_node):
        i = samples[s]
        total_w += w[i]
        for k in range(n_targets):
            total_t[k] += w[i] * t[i, k]
    best_feature = _LEAF
    best_threshold = 0.0
    best_score = -np.inf
    values = np.empty(n_node)
    sorted_values = np.empty(n_node)
    sorted_samples = np.empty(n_node, dtype=np.int64)
    left_t = np.empty(n_targets)
    visited = 0
    for f in range(features.shape[0]):
        if visited == max_features:
            break
        j = features[f]
        for s in range(n_node):
            values[s] = X[samples[s], j]
        # the node's samples in increasing order of feature j (stable, like a sweep over sorted x_j)
        order = np.argsort(values, kind="mergesort")
        for p in range(n_node):
            sorted_values[p] = values[order[p]]
            sorted_samples[p] = samples[order[p]]
        if sorted_values[n_node - 1] <= sorted_values[0] + _FEATURE_THRESHOLD:
            # feature j is constant in this node: no split, and it does not count towards max_features
            continue
        visited += 1
        left_w = 0.0
        for k in range(n_targets):
            left_t[k] = 0.0
        for p in range(n_node - 1):
            i = sorted_samples[p]
            # move sample i to the left: W_L ← W_L + w_i,  T_{L,k} ← T_{L,k} + w_i·t_{i,k}
            left_w += w[i]
            for k in range(n_targets):
                left_t[k] += w[i] * t[i, k]
            x_here = sorted_values[p]
            x_next = sorted_values[p + 1]
            if x_next <= x_here + _FEATURE_THRESHOLD:
                # no threshold fits between two equal values
                continue
            right_w = total_w - left_w
            # score ← Σ_k T_{L,k}²/W_L + Σ_k T_{R,k}²/W_R, which is W·H(S) − W_L·H(S_L) − W_R·H(S_R)
            # up to a constant of the node: the largest score removes the most impurity
            score = 0.0
            for k in range(n_targets):
                right_tk = total_t[k] - left_t[k]
                score += left_t[k] * left_t[k] / left_w + right_tk * right_tk / right_w
            if score > best_score:
                best_score = score
                best_feature = j
                # τ ← midpoint of the two neighbouring values (the lower one if rounding lands on x_next)
                best_threshold = 0.5 * (x_here + x_next)
                if best_threshold == x_next or not np.isfinite(best_threshold):
                    best_threshold = x_here
    return best_feature, best_threshold
# --8<-- [end:best_split_loop]


# --8<-- [start:apply_loop]
@njit(cache=True)
def _apply_loop(X, feature, threshold, children_left, children_right, leaves):
    for n in range(X.shape[0]):
        node = 0
        while children_left[node] != _LEAF:
            # go left when x_{n,j} ≤ τ at the node's feature j and threshold τ, else right
            if X[n, feature[node]] <= threshold[node]:
                node = children_left[node]
            else:
                node = children_right[node]
        leaves[n] = node
# --8<-- [end:apply_loop]


# --8<-- [start:newton_loop]
@njit(cache=True)
def _newton_leaf_values_loop(leaves, residual, prob, factor, values):
    n_nodes = values.shape[0]
    numerator = np.zeros(n_nodes)
    denominator = np.zeros(n_nodes)
    for n in range(leaves.shape[0]):
        # Σ_{i∈leaf} r_i with r_i = y_i − p_i, the negative gradient of the log-loss in F
        numerator[leaves[n]] += residual[n]
        # Σ_{i∈leaf} p_i·(1 − p_i), its second derivative
        denominator[leaves[n]] += prob[n] * (1.0 - prob[n])
    for j in range(n_nodes):
        # γ_j ← factor·Σ r_i / Σ p_i(1 − p_i): one Newton step; no step where the curvature vanishes
        if abs(denominator[j]) < 1e-150:
            values[j] = 0.0
        else:
            values[j] = factor * numerator[j] / denominator[j]
# --8<-- [end:newton_loop]


# ---------------------------------------------------------------- one tree
class _Tree:
    """The arrays of a fitted tree, laid out as ``sklearn.tree._tree.Tree`` (nodes in preorder)."""

    def __init__(self, feature, threshold, children_left, children_right, value, n_node_samples, impurity):
        self.feature = np.asarray(feature, dtype=np.int64)
        self.threshold = np.asarray(threshold, dtype=np.float64)
        self.children_left = np.asarray(children_left, dtype=np.int64)
        self.children_right = np.asarray(children_right, dtype=np.int64)
        self.value = np.asarray(value, dtype=np.float64)
        self.n_node_samples = np.asarray(n_node_samples, dtype=np.int64)
        self.impurity = np.asarray(impurity, dtype=np.float64)

    @property
    def node_count(self) -> int:
        return int(self.feature.shape[0])

    @property
    def max_depth(self) -> int:
        depth = np.zeros(self.node_count, dtype=np.int64)
        for node in range(self.node_count):  # preorder: a parent comes before its children
            for child in (self.children_left[node], self.children_right[node]):
                if child != _LEAF:
                    depth[child] = depth[node] + 1
        return int(depth.max())

    def apply(self, X64: np.ndarray) -> np.ndarray:
        leaves = np.empty(X64.shape[0], dtype=np.int64)
        _apply_loop(X64, self.feature, self.threshold, self.children_left, self.children_right, leaves)
        return leaves


def _grow_tree(X, t, w, samples, *, max_depth, min_samples_split, max_features, rng) -> _Tree:
    """Grow one tree depth first, left child first, so node ids follow scikit-learn's preorder."""
    d = X.shape[1]
    n_targets = t.shape[1]
    # one feature's values contiguous (column-major), as the split search reads them: gathered
    # from a C-ordered X, every value of a node's column was a separate cache line (a forest of
    # 30 trees on 20000 × 20 took 10 % longer)
    X = np.asfortranarray(X)
    feature, threshold, left, right, values, counts, impurities = [], [], [], [], [], [], []

    def grow(node_samples, depth):
        node = len(feature)
        value = np.empty(n_targets)
        _, impurity = _node_stats_loop(t, w, node_samples, value)
        for column, entry in zip((feature, threshold, left, right, values, counts, impurities),
                                 (_UNDEFINED, float(_UNDEFINED), _LEAF, _LEAF, value, node_samples.shape[0], impurity)):
            column.append(entry)
        n_node = node_samples.shape[0]
        too_deep = max_depth is not None and depth >= max_depth
        if too_deep or n_node < min_samples_split or n_node < 2 or impurity <= _PURE:
            return node
        # features are tried in a fresh random order at every node; it decides which ones the
        # search sees when max_features < d, and breaks exact ties between splits otherwise
        order = rng.permutation(d).astype(np.int64)
        j, tau = _best_split_loop(X, t, w, node_samples, order, max_features)
        if j == _LEAF:  # every feature is constant on this node
            return node
        goes_left = X[node_samples, j] <= tau
        feature[node], threshold[node] = int(j), float(tau)
        left[node] = grow(node_samples[goes_left], depth + 1)
        right[node] = grow(node_samples[~goes_left], depth + 1)
        return node

    grow(np.ascontiguousarray(samples, dtype=np.int64), 0)
    return _Tree(feature, threshold, left, right, np.array(values), counts, impurities)


# ---------------------------------------------------------------- argument checks
def _check_max_depth(value):
    if value is None:
        return None
    return check_int(value, "max_depth", low=1)


def _check_seed(value):
    if value is None:
        return None
    return check_int(value, "seed", low=0)


def _check_max_features(value):
    if value is None or value in ("sqrt", "log2"):
        return value
    if isinstance(value, str):
        raise ValueError(f"max_features must be None, 'sqrt', 'log2', an int >= 1 or a float in (0, 1], got {value!r}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"max_features must be None, 'sqrt', 'log2', an int or a float, got {value!r}")
    if isinstance(value, numbers.Integral):
        return check_int(value, "max_features", low=1)
    return check_real(value, "max_features", low=0.0, high=1.0, low_inclusive=False)


def _resolve_max_features(value, n_features: int) -> int:
    """The number of features the split search inspects at each node, as scikit-learn counts it."""
    if value is None:
        return n_features
    if value == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if value == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(value, numbers.Integral):
        if value > n_features:
            raise ValueError(f"max_features must be at most the number of features ({n_features}), got {value}")
        return int(value)
    return max(1, int(value * n_features))


def _check_fit_data(X, y):
    X = as_float_array(X, "X", ndim=2)
    y = as_label_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X, shape ({X.shape[0]},), got {y.shape}")
    classes, encoded = np.unique(y, return_inverse=True)
    return np.ascontiguousarray(X, dtype=np.float64), classes, encoded.astype(np.int64)


def _one_hot(encoded: np.ndarray, n_classes: int) -> np.ndarray:
    t = np.zeros((encoded.shape[0], n_classes))
    t[np.arange(encoded.shape[0]), encoded] = 1.0
    return t


class _Classifier:
    """predict, score and the input checks shared by the three classifiers."""

    def _check_fitted(self):
        if not hasattr(self, "classes_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")

    def _check_X(self, X) -> np.ndarray:
        self._check_fitted()
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} features, as in fit, got {X.shape[1]}")
        return X

    def predict(self, X):
        r"""The most probable class of every sample, $\arg\max_c \hat p_c(x)$.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples with the $d$ features seen in ``fit``.

        Returns
        -------
        ndarray, shape (N,)
            Labels taken from ``classes_`` (the first class on a tie, as ``numpy.argmax``).

        Raises
        ------
        TypeError
            If ``X`` is not a float array.
        ValueError
            If the model is not fitted, or ``X`` has the wrong shape or holds NaN or infinite values.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y):
        r"""Accuracy: the fraction of samples whose predicted class equals the label.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples.
        y : array_like of int, shape (N,)
            Their true labels.

        Returns
        -------
        float
            $\frac{1}{N}\sum_n 1[\hat y_n = y_n]$.

        Raises
        ------
        TypeError
            If ``X`` is not a float array or ``y`` not an integer array.
        ValueError
            If the model is not fitted, or a shape does not match, or ``X`` is not finite.
        """
        predicted = self.predict(X)
        y = as_label_array(y, "y", ndim=1)
        if y.shape != predicted.shape:
            raise ValueError(f"y must have one label per row of X, shape {predicted.shape}, got {y.shape}")
        return float(np.mean(predicted == y))


# ---------------------------------------------------------------- public classes
class DecisionTreeClassifier(_Classifier):
    r"""A classification tree grown greedily on the Gini impurity, like scikit-learn's.

    Parameters
    ----------
    max_depth : int or None, default None
        Depth at which every node becomes a leaf (the root has depth 0); None grows until the
        leaves are pure or too small to split.
    min_samples_split : int, default 2
        A node with fewer samples is not split.
    max_features : None, "sqrt", "log2", int or float, default None
        How many non-constant features the split search inspects at each node, drawn at random:
        all of them (None), $\lfloor\sqrt d\rfloor$, $\lfloor\log_2 d\rfloor$, a count, or a
        fraction of $d$ (at least 1).
    seed : int or None, default None
        Seed of the random feature order; with ``max_features=None`` it only breaks exact ties.

    Attributes
    ----------
    classes_ : ndarray, shape (C,)
        The labels seen in ``fit``, sorted.
    n_features_in_ : int
        $d$, the number of features seen in ``fit``.
    tree_ : object
        The fitted nodes in preorder, with scikit-learn's array names: ``feature``,
        ``threshold``, ``children_left``, ``children_right`` (-1 at a leaf, whose feature and
        threshold are -2), ``value`` (class shares, shape (nodes, C)), ``n_node_samples``,
        ``impurity``, ``node_count``, ``max_depth``.

    Raises
    ------
    TypeError
        If a hyper-parameter has the wrong type.
    ValueError
        If a hyper-parameter is out of range.

    Notes
    -----
    A node $S$ with class shares $p_c = \frac{1}{W}\sum_{i\in S} w_i\,1[y_i = c]$, $W = \sum_{i \in S} w_i$,
    has Gini impurity $H(S)$; among all features $j$ and thresholds $\tau$ halfway between two
    consecutive distinct values of $x_j$ in the node, the split into
    $S_L = \{i : x_{i,j} \le \tau\}$ and $S_R = S \setminus S_L$ maximises the impurity decrease:

    $$
    H(S) = 1 - \sum_{c=1}^{C} p_c^2, \qquad
    (j, \tau) = \arg\max_{j,\tau}\; W H(S) - W_L H(S_L) - W_R H(S_R) .
    $$

    The leaves predict their class shares $p_c$. All weights are 1 for a single tree.
    """

    def __init__(self, max_depth=None, min_samples_split=2, max_features=None, seed=None):
        self.max_depth = _check_max_depth(max_depth)
        self.min_samples_split = check_int(min_samples_split, "min_samples_split", low=2)
        self.max_features = _check_max_features(max_features)
        self.seed = _check_seed(seed)

    def fit(self, X, y):
        r"""Grow the tree on the samples ``X`` with class labels ``y``.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Training samples, one per row.
        y : array_like of int, shape (N,)
            Their class labels (any integers; whole-number floats accepted).

        Returns
        -------
        DecisionTreeClassifier
            ``self``, fitted.

        Raises
        ------
        TypeError
            If ``X`` is not a float array or ``y`` not an integer array.
        ValueError
            If a shape does not match, ``X`` holds NaN or infinite values, or ``max_features``
            exceeds $d$.
        """
        X64, classes, encoded = _check_fit_data(X, y)
        max_features = _resolve_max_features(self.max_features, X64.shape[1])
        self.tree_ = _grow_tree(
            X64, _one_hot(encoded, classes.shape[0]), np.ones(X64.shape[0]), np.arange(X64.shape[0]),
            max_depth=self.max_depth, min_samples_split=self.min_samples_split,
            max_features=max_features, rng=np.random.default_rng(self.seed),
        )
        self.classes_, self.n_features_in_ = classes, X64.shape[1]
        return self

    def predict_proba(self, X):
        r"""Class probabilities: the class shares $p_c$ of the leaf each sample falls in.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples with the $d$ features seen in ``fit``.

        Returns
        -------
        ndarray, shape (N, C)
            Rows summing to 1, columns in the order of ``classes_``, dtype of ``X``.

        Raises
        ------
        TypeError
            If ``X`` is not a float array.
        ValueError
            If the tree is not fitted, or ``X`` has the wrong shape or holds NaN or infinite values.
        """
        X = self._check_X(X)
        leaves = self.tree_.apply(np.ascontiguousarray(X, dtype=np.float64))
        return self.tree_.value[leaves].astype(X.dtype)

    def apply(self, X):
        r"""The index of the leaf each sample ends in (``tree_`` node ids).

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples with the $d$ features seen in ``fit``.

        Returns
        -------
        ndarray of int64, shape (N,)
            Node ids of leaves.

        Raises
        ------
        TypeError
            If ``X`` is not a float array.
        ValueError
            If the tree is not fitted, or ``X`` has the wrong shape or holds NaN or infinite values.
        """
        X = self._check_X(X)
        return self.tree_.apply(np.ascontiguousarray(X, dtype=np.float64))


class RandomForestClassifier(_Classifier):
    r"""A random forest: trees on bootstrap samples with random features, probabilities averaged.

    Parameters
    ----------
    n_estimators : int, default 100
        $B$, the number of trees.
    max_depth : int or None, default None
        Depth limit of every tree; None grows them until the leaves are pure.
    max_features : None, "sqrt", "log2", int or float, default "sqrt"
        Features inspected at each node, as in `DecisionTreeClassifier`; "sqrt" is the
        classification default of Breiman and of scikit-learn.
    bootstrap : bool, default True
        Train each tree on $N$ draws with replacement (a draw count becomes the sample's weight
        $w_i$); False gives every tree all samples with weight 1.
    seed : int or None, default None
        Seed of the bootstrap draws and the feature orders of all trees.

    Attributes
    ----------
    classes_ : ndarray, shape (C,)
        The labels seen in ``fit``, sorted.
    n_features_in_ : int
        $d$, the number of features seen in ``fit``.
    estimators_ : list
        The $B$ fitted trees (objects like `DecisionTreeClassifier.tree_`).

    Raises
    ------
    TypeError
        If a hyper-parameter has the wrong type.
    ValueError
        If a hyper-parameter is out of range.

    Notes
    -----
    Tree $h_t$ is grown on the bootstrap weights $w^{(t)}$ (with the weighted Gini impurity of
    `DecisionTreeClassifier`) and a fresh random subset of features at each node; the forest
    averages the trees' class shares (soft voting):

    $$
    \hat p_c(x) = \frac{1}{B} \sum_{t=1}^{B} p_c^{(t)}(x), \qquad
    \hat y(x) = \arg\max_c \hat p_c(x) .
    $$
    """

    def __init__(self, n_estimators=100, max_depth=None, max_features="sqrt", bootstrap=True, seed=None):
        self.n_estimators = check_int(n_estimators, "n_estimators", low=1)
        self.max_depth = _check_max_depth(max_depth)
        self.max_features = _check_max_features(max_features)
        self.bootstrap = check_bool(bootstrap, "bootstrap")
        self.seed = _check_seed(seed)

    def fit(self, X, y):
        r"""Grow ``n_estimators`` trees on bootstrap samples of ``X``, ``y``.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Training samples, one per row.
        y : array_like of int, shape (N,)
            Their class labels.

        Returns
        -------
        RandomForestClassifier
            ``self``, fitted.

        Raises
        ------
        TypeError
            If ``X`` is not a float array or ``y`` not an integer array.
        ValueError
            If a shape does not match, ``X`` holds NaN or infinite values, or ``max_features``
            exceeds $d$.
        """
        X64, classes, encoded = _check_fit_data(X, y)
        n_samples = X64.shape[0]
        max_features = _resolve_max_features(self.max_features, X64.shape[1])
        t = _one_hot(encoded, classes.shape[0])
        X_columns = np.asfortranarray(X64)  # once, for every tree (see _grow_tree)

        def grow(rng):
            if self.bootstrap:
                # w_i ← how often sample i is drawn in N draws with replacement; the undrawn
                # (about 37%) get weight 0 and are left out of the tree
                w = np.bincount(rng.integers(0, n_samples, n_samples), minlength=n_samples).astype(np.float64)
                samples = np.flatnonzero(w)
            else:
                w, samples = np.ones(n_samples), np.arange(n_samples)
            return _grow_tree(X_columns, t, w, samples, max_depth=self.max_depth, min_samples_split=2,
                              max_features=max_features, rng=rng)

        # every tree draws from a generator of its own, so the forest is the same whichever thread
        # grows which tree; the split searches release the GIL, so trees grow on all threads at once
        tree_rngs = np.random.default_rng(self.seed).spawn(self.n_estimators)
        workers = min(numba.get_num_threads(), self.n_estimators)
        if workers > 1 and X64.size * self.n_estimators >= PARALLEL_MIN_WORK:
            with ThreadPoolExecutor(workers) as pool:
                self.estimators_ = list(pool.map(grow, tree_rngs))
        else:
            self.estimators_ = [grow(rng) for rng in tree_rngs]
        self.classes_, self.n_features_in_ = classes, X64.shape[1]
        return self

    def predict_proba(self, X):
        r"""Class probabilities $\hat p_c(x)$: the mean of the trees' leaf class shares.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples with the $d$ features seen in ``fit``.

        Returns
        -------
        ndarray, shape (N, C)
            Rows summing to 1, columns in the order of ``classes_``, dtype of ``X``.

        Raises
        ------
        TypeError
            If ``X`` is not a float array.
        ValueError
            If the forest is not fitted, or ``X`` has the wrong shape or holds NaN or infinite values.
        """
        X64 = np.ascontiguousarray(self._check_X(X), dtype=np.float64)
        total = np.zeros((X64.shape[0], self.classes_.shape[0]))
        for tree in self.estimators_:
            # Σ_t p^{(t)}(x)
            total += tree.value[tree.apply(X64)]
        # p̂(x) = (1/B)·Σ_t p^{(t)}(x)
        return (total / len(self.estimators_)).astype(np.asarray(X).dtype)


class GradientBoostingClassifier(_Classifier):
    r"""Gradient boosting of regression trees on the log-loss, as scikit-learn's default.

    Two classes give one tree per stage on the log-odds; $C > 2$ classes give $C$ trees per
    stage, one per class score, under a softmax.

    Parameters
    ----------
    n_estimators : int, default 100
        $B$, the number of boosting stages.
    learning_rate : float, default 0.1
        $\eta > 0$, the shrinkage applied to every tree.
    max_depth : int, default 3
        Depth of each regression tree.
    seed : int or None, default None
        Seed of the feature order in the split search (it only breaks exact ties).

    Attributes
    ----------
    classes_ : ndarray, shape (C,)
        The labels seen in ``fit``, sorted.
    n_features_in_ : int
        $d$, the number of features seen in ``fit``.
    init_ : ndarray, shape (K,)
        $F_0$, the constant score of the prior class shares ($K = 1$ for two classes, else $C$).
    estimators_ : list of list
        ``estimators_[t][k]``: the tree of stage $t + 1$ for score $k$; its ``value`` holds the
        Newton leaf values $\gamma$.
    train_loss_ : ndarray, shape (B,)
        The mean training log-loss after each stage (scikit-learn's ``train_score_`` is twice
        this for two classes, and equal to it for more).

    Raises
    ------
    TypeError
        If a hyper-parameter has the wrong type.
    ValueError
        If a hyper-parameter is out of range.

    Notes
    -----
    For two classes, $y_i \in \{0, 1\}$ and $p_i = \sigma(F_{t-1}(x_i))$. Stage $t$ fits a
    regression tree (squared error) to the negative gradient of the log-loss
    $\ell(y, F) = \log(1 + e^{F}) - yF$, then replaces the mean in each leaf $R_j$ by one Newton
    step and adds the tree, shrunk by $\eta$:

    $$
    r_i = -\frac{\partial \ell(y_i, F)}{\partial F}\Big|_{F = F_{t-1}(x_i)} = y_i - p_i, \qquad
    \gamma_j = \frac{\sum_{i \in R_j} r_i}{\sum_{i \in R_j} p_i (1 - p_i)}, \qquad
    F_t(x) = F_{t-1}(x) + \eta \sum_j \gamma_j 1[x \in R_j],
    $$

    starting from $F_0 = \log\frac{\bar y}{1 - \bar y}$. For $C > 2$ classes each score $F_k$
    gets its own tree on $r_{i,k} = 1[y_i = k] - \operatorname{softmax}(F(x_i))_k$, with
    $\gamma_j$ multiplied by $(C - 1)/C$ as in Friedman (2001) and scikit-learn, from
    $F_{0,k} = \log \bar y_k$ minus the mean over $k$. ``predict_proba`` returns
    $[1 - \sigma(F), \sigma(F)]$ or $\operatorname{softmax}(F)$.
    """

    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3, seed=None):
        self.n_estimators = check_int(n_estimators, "n_estimators", low=1)
        self.learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        self.max_depth = check_int(max_depth, "max_depth", low=1)
        self.seed = _check_seed(seed)

    def fit(self, X, y):
        r"""Run ``n_estimators`` boosting stages on ``X``, ``y``.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Training samples, one per row.
        y : array_like of int, shape (N,)
            Their class labels; at least two distinct classes.

        Returns
        -------
        GradientBoostingClassifier
            ``self``, fitted.

        Raises
        ------
        TypeError
            If ``X`` is not a float array or ``y`` not an integer array.
        ValueError
            If a shape does not match, ``X`` holds NaN or infinite values, or ``y`` has one class.
        """
        X64, classes, encoded = _check_fit_data(X, y)
        n_classes = classes.shape[0]
        if n_classes < 2:
            raise ValueError(f"y must hold at least two classes for boosting, got only {classes[0]}")
        n_samples, n_features = X64.shape
        onehot = _one_hot(encoded, n_classes)
        # the prior class shares ȳ_k, clipped away from 0 and 1 so that their logarithms are finite
        prior = np.clip(onehot.mean(axis=0), _PURE, 1.0 - _PURE)
        if n_classes == 2:
            targets = onehot[:, 1:]
            # F_0 = log(ȳ / (1 − ȳ)), the log-odds of the positive class
            init = np.log(prior[1:] / (1.0 - prior[1:]))
            factor = 1.0
        else:
            targets = onehot
            # F_{0,k} = log ȳ_k − mean_k log ȳ_k (the centring leaves the softmax unchanged)
            init = np.log(prior) - np.mean(np.log(prior))
            factor = (n_classes - 1) / n_classes
        rng = np.random.default_rng(self.seed)
        samples, ones = np.arange(n_samples), np.ones(n_samples)
        X_columns = np.asfortranarray(X64)  # once, for every tree (see _grow_tree)
        scores = np.tile(init, (n_samples, 1))
        self.init_, self.estimators_ = init, []
        self.train_loss_ = np.empty(self.n_estimators)
        for stage in range(self.n_estimators):
            prob = _probabilities(scores)[:, -targets.shape[1]:]
            # r_{i,k} = y_{i,k} − p_{i,k}, every class's residual taken before this stage's update
            residual = targets - prob
            trees = []
            for k in range(targets.shape[1]):
                r_k = np.ascontiguousarray(residual[:, k])
                tree = _grow_tree(
                    X_columns, r_k[:, None], ones, samples, max_depth=self.max_depth,
                    min_samples_split=2, max_features=n_features, rng=rng,
                )
                leaves = tree.apply(X64)
                gamma = np.empty(tree.node_count)
                _newton_leaf_values_loop(leaves, r_k, np.ascontiguousarray(prob[:, k]), factor, gamma)
                tree.value = gamma[:, None]
                # F_{t,k}(x_i) = F_{t−1,k}(x_i) + η·γ_{leaf(i)}
                scores[:, k] += self.learning_rate * gamma[leaves]
                trees.append(tree)
            self.estimators_.append(trees)
            self.train_loss_[stage] = _log_loss(scores, encoded)
        self.classes_, self.n_features_in_ = classes, n_features
        return self

    def decision_function(self, X):
        r"""The raw scores $F_B(x)$: log-odds for two classes, one score per class otherwise.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples with the $d$ features seen in ``fit``.

        Returns
        -------
        ndarray, shape (N,) for two classes, (N, C) otherwise
            $F_0 + \eta \sum_t h_t(x)$, dtype of ``X``.

        Raises
        ------
        TypeError
            If ``X`` is not a float array.
        ValueError
            If the model is not fitted, or ``X`` has the wrong shape or holds NaN or infinite values.
        """
        X = self._check_X(X)
        scores = self._scores(np.ascontiguousarray(X, dtype=np.float64))
        return (scores[:, 0] if scores.shape[1] == 1 else scores).astype(X.dtype)

    def predict_proba(self, X):
        r"""Class probabilities: $[1 - \sigma(F), \sigma(F)]$ for two classes, else $\operatorname{softmax}(F)$.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples with the $d$ features seen in ``fit``.

        Returns
        -------
        ndarray, shape (N, C)
            Rows summing to 1, columns in the order of ``classes_``, dtype of ``X``.

        Raises
        ------
        TypeError
            If ``X`` is not a float array.
        ValueError
            If the model is not fitted, or ``X`` has the wrong shape or holds NaN or infinite values.
        """
        X = self._check_X(X)
        return _probabilities(self._scores(np.ascontiguousarray(X, dtype=np.float64))).astype(X.dtype)

    def staged_loss(self, X, y):
        r"""The mean log-loss of ``X``, ``y`` after each stage $t = 1, \dots, B$.

        Parameters
        ----------
        X : array_like of float32 or float64, shape (N, d)
            Samples with the $d$ features seen in ``fit``.
        y : array_like of int, shape (N,)
            Their labels, each one of ``classes_``.

        Returns
        -------
        ndarray of float64, shape (B,)
            On the training data, equal to ``train_loss_``.

        Raises
        ------
        TypeError
            If ``X`` is not a float array or ``y`` not an integer array.
        ValueError
            If the model is not fitted, a shape does not match, or a label is not in ``classes_``.
        """
        X64 = np.ascontiguousarray(self._check_X(X), dtype=np.float64)
        y = as_label_array(y, "y", ndim=1)
        if y.shape[0] != X64.shape[0]:
            raise ValueError(f"y must have one label per row of X, shape ({X64.shape[0]},), got {y.shape}")
        encoded = np.searchsorted(self.classes_, y)
        if np.any(encoded >= self.classes_.shape[0]) or np.any(self.classes_[np.minimum(encoded, self.classes_.shape[0] - 1)] != y):
            raise ValueError(f"y must hold labels seen in fit, {self.classes_.tolist()}")
        scores = np.tile(self.init_, (X64.shape[0], 1))
        losses = np.empty(len(self.estimators_))
        for stage, trees in enumerate(self.estimators_):
            for k, tree in enumerate(trees):
                scores[:, k] += self.learning_rate * tree.value[tree.apply(X64), 0]
            losses[stage] = _log_loss(scores, encoded)
        return losses

    def _scores(self, X64):
        scores = np.tile(self.init_, (X64.shape[0], 1))
        for trees in self.estimators_:
            for k, tree in enumerate(trees):
                # F(x) ← F(x) + η·γ_{leaf of x}
                scores[:, k] += self.learning_rate * tree.value[tree.apply(X64), 0]
        return scores


def _probabilities(scores: np.ndarray) -> np.ndarray:
    """(N, 2) sigmoid probabilities for one score column, else the (N, C) softmax; overflow-free."""
    if scores.shape[1] == 1:
        # σ(F) = exp(−log(1 + e^{−F})), which never overflows
        positive = np.exp(-np.logaddexp(0.0, -scores[:, 0]))
        return np.stack([1.0 - positive, positive], axis=1)
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _log_loss(scores: np.ndarray, encoded: np.ndarray) -> float:
    """Mean log-loss: log(1 + e^F) − yF for one score column, log Σ_k e^{F_k} − F_y otherwise."""
    if scores.shape[1] == 1:
        return float(np.mean(np.logaddexp(0.0, scores[:, 0]) - encoded * scores[:, 0]))
    top = scores.max(axis=1)
    log_sum = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    return float(np.mean(log_sum - scores[np.arange(scores.shape[0]), encoded]))
