r"""Training by gradient descent: the full-batch iteration, mini-batches and a training loop.

- `gradient_descent` runs $\theta \leftarrow \theta - \eta\,\nabla f(\theta)$ on any
  function whose gradient you can compute and returns every point it visits;
- `iterate_minibatches` cuts one epoch of sample indices into shuffled batches;
- `minibatch_sgd` trains a `glossary_dl.backprop.DenseNetwork` with any optimizer of
  `glossary_dl.optimizers`, one mini-batch at a time, and records the training and
  validation loss of every epoch, as Keras' ``Model.fit`` does.

Nothing here is computed twice: the update is `glossary_dl.optimizers.SGD`'s compiled
loop, the forward and backward passes are `DenseNetwork`'s. What this module adds is the
order in which they run, which is plain Python.
"""

from __future__ import annotations

import numbers

import numpy as np

from glossary_dl._validation import as_float_array, as_label_array, check_bool, check_int, check_real
from glossary_dl.backprop import DenseNetwork, softmax_cross_entropy
from glossary_dl.optimizers import SGD, Adagrad, Adam, RMSprop

__all__ = ["gradient_descent", "iterate_minibatches", "minibatch_sgd"]

_OPTIMIZERS = (SGD, RMSprop, Adagrad, Adam)


# ---------------------------------------------------------------- gradient descent
def gradient_descent(grad_f, x0, learning_rate, steps):
    r"""Plain gradient descent from a starting point; returns the whole trajectory.

    Parameters
    ----------
    grad_f : callable
        $\nabla f(\theta)$: takes an array shaped like ``x0`` (a fresh copy at every call) and
        returns an array of the same shape.
    x0 : array_like of float32 or float64, any shape
        The starting point $\theta_0$.
    learning_rate : float
        The step size $\eta > 0$.
    steps : int
        The number of updates $T \ge 0$.

    Returns
    -------
    ndarray, shape (steps + 1, *x0.shape)
        $\theta_0, \theta_1, \dots, \theta_T$, dtype of ``x0``.

    Raises
    ------
    TypeError
        If ``grad_f`` is not callable or returns something that is not a real array,
        ``x0`` is not a float array, or a hyper-parameter has the wrong type.
    ValueError
        If ``x0`` is empty or not finite, ``learning_rate`` is not positive, ``steps`` is
        negative, or ``grad_f`` returns the wrong shape or a non-finite value (which is how a
        divergent run ends: the message names the step).

    Notes
    -----
    $$
    \theta_{t+1} = \theta_t - \eta\, \nabla f(\theta_t), \qquad t = 0, 1, \dots, T - 1 .
    $$

    On a quadratic $f(\theta) = \frac12 \theta^\top A \theta$ with symmetric positive-definite
    $A$, $\theta_{t+1} = (I - \eta A)\,\theta_t$: the iteration converges from every start
    exactly when $|1 - \eta\lambda| < 1$ for every eigenvalue $\lambda$ of $A$, that is when
    $0 < \eta < 2/\lambda_{\max}$. The update itself is
    `glossary_dl.optimizers.SGD` without momentum.
    """
    if not callable(grad_f):
        raise TypeError(f"grad_f must be a callable returning an array, got {type(grad_f).__name__}")
    x0 = as_float_array(x0, "x0")
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
    steps = check_int(steps, "steps", low=0)
    theta = x0.reshape(-1).copy()
    trajectory = np.empty((steps + 1, theta.size), dtype=x0.dtype)
    trajectory[0] = theta
    optimizer = SGD(learning_rate=learning_rate)
    for t in range(steps):
        g = _checked_gradient(grad_f(theta.reshape(x0.shape).copy()), x0, t)
        # θ_{t+1} = θ_t − η·∇f(θ_t), by SGD's compiled loop
        optimizer.apply([theta], [g])
        trajectory[t + 1] = theta
    return trajectory.reshape((steps + 1,) + x0.shape)


def _checked_gradient(value, x0: np.ndarray, t: int) -> np.ndarray:
    array = np.asarray(value) if not isinstance(value, np.ndarray) else value
    if array.dtype == object or array.dtype.kind not in "fiu":
        raise TypeError(f"grad_f must return a real array, got dtype {array.dtype}")
    if array.shape != x0.shape:
        raise ValueError(f"grad_f must return an array of shape {x0.shape} (the shape of x0), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"grad_f returned a non-finite gradient at step {t}: the iteration diverged or left "
            "the function's domain (try a smaller learning_rate)"
        )
    return np.ascontiguousarray(array, dtype=x0.dtype).reshape(-1)


# ---------------------------------------------------------------- mini-batches
def _check_rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be None, an integer or a numpy.random.Generator, got {seed!r}")
    if seed is not None:
        seed = check_int(seed, "seed", low=0)
    return np.random.default_rng(seed)


def iterate_minibatches(n_samples, batch_size, *, shuffle=True, seed=None):
    r"""Split the sample indices $0, \dots, N-1$ of one epoch into mini-batches.

    Parameters
    ----------
    n_samples : int
        $N \ge 1$, the number of training samples.
    batch_size : int
        $B \ge 1$. $B = N$ (or more) gives one batch, full-batch gradient descent; $B = 1$ gives
        one sample per step, the original stochastic gradient descent.
    shuffle : bool, default True
        Draw a fresh random order of the samples; False keeps the order $0, 1, \dots$.
    seed : int, numpy.random.Generator or None, default None
        Seed of ``numpy.random.default_rng``, or a generator to draw from (pass the same
        generator every epoch to get a new order each time). Ignored when ``shuffle`` is False.

    Returns
    -------
    list of ndarray of int64
        $\lceil N / B \rceil$ arrays of indices: all of size $B$ except possibly the last,
        which holds the $N \bmod B$ left over (it is kept, as by Keras' ``fit`` and PyTorch's
        ``DataLoader`` with ``drop_last=False``). Together they hold every index exactly once.

    Raises
    ------
    TypeError
        If ``n_samples``, ``batch_size`` or ``seed`` has the wrong type, or ``shuffle`` is not a bool.
    ValueError
        If ``n_samples`` or ``batch_size`` is below 1, or ``seed`` is negative.

    Notes
    -----
    With $\pi$ a random permutation of $\{0, \dots, N-1\}$, batch $k$ is

    $$
    \mathcal{B}_k = \{\pi(kB), \pi(kB + 1), \dots, \pi(\min((k+1)B, N) - 1)\},
    \qquad k = 0, \dots, \lceil N/B \rceil - 1 .
    $$
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    shuffle = check_bool(shuffle, "shuffle")
    rng = _check_rng(seed)
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    order = order.astype(np.int64)
    return [order[start:start + batch_size] for start in range(0, n_samples, batch_size)]


# ---------------------------------------------------------------- the training loop
def _check_data(x, labels, network: DenseNetwork, x_name: str, labels_name: str):
    x = as_float_array(x, x_name, ndim=2)
    n_in, n_classes = network.layer_sizes[0], network.layer_sizes[-1]
    if x.shape[1] != n_in:
        raise ValueError(f"{x_name} must have shape (N, {n_in}) for this network, got {x.shape}")
    labels = as_label_array(labels, labels_name, ndim=1)
    if labels.shape[0] != x.shape[0]:
        raise ValueError(
            f"{labels_name} must hold one label per row of {x_name} ({x.shape[0]}), got {labels.shape[0]}"
        )
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"{labels_name} must be class indices in [0, {n_classes}), "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return np.ascontiguousarray(x, dtype=network.dtype), labels


def minibatch_sgd(
    network,
    x,
    labels,
    *,
    batch_size=32,
    epochs=1,
    optimizer=None,
    shuffle=True,
    seed=None,
    validation_data=None,
):
    r"""Train a `DenseNetwork` by mini-batch stochastic gradient descent; return the loss history.

    Every epoch visits the training samples once, in the batches of `iterate_minibatches`; each
    batch runs a forward pass, a backward pass and one ``optimizer.apply``. The network's
    arrays are updated in place.

    Parameters
    ----------
    network : glossary_dl.backprop.DenseNetwork
        The model; its loss is the mean softmax cross-entropy of integer labels.
    x : array_like of float, shape (N, layer_sizes[0])
        Training inputs, converted to the network's dtype.
    labels : array_like of int, shape (N,)
        Training labels in $[0, C)$.
    batch_size : int, default 32
        $B \ge 1$ (Keras' default). ``batch_size >= N`` is full-batch gradient descent.
    epochs : int, default 1
        Number of passes over the training data, $\ge 1$.
    optimizer : SGD, RMSprop, Adagrad, Adam or None, default None
        An optimizer of `glossary_dl.optimizers`; None means ``SGD(learning_rate=0.01)``, the
        Keras default. Its state (velocities, step count) carries over between calls.
    shuffle : bool, default True
        Shuffle the samples at the start of every epoch.
    seed : int, numpy.random.Generator or None, default None
        Seeds the shuffling: the same seed and network give the same run, bit for bit.
    validation_data : tuple (x_val, labels_val) or None, default None
        Held-out samples whose loss is measured, without training on them, after every epoch.

    Returns
    -------
    dict of str to ndarray
        ``"loss"``: for every epoch, the mean of its batch losses weighted by batch size (the
        loss while the epoch ran, as Keras reports it); ``"val_loss"`` (only with
        ``validation_data``): the loss on the validation samples at the end of the epoch.
        Arrays of shape (epochs,) in the network's dtype.

    Raises
    ------
    TypeError
        If ``network`` is not a DenseNetwork, ``optimizer`` not one of this package's, ``x`` not
        a float array, ``labels`` not integer, ``validation_data`` not a pair, or a
        hyper-parameter has the wrong type.
    ValueError
        If a shape does not match the network, a label is out of range, a value is not finite,
        or ``batch_size`` or ``epochs`` is below 1.

    Notes
    -----
    For every mini-batch $\mathcal{B}$ of an epoch, with the optimizer's rule written for
    plain SGD:

    $$
    L_{\mathcal{B}}(\theta) = \frac{1}{|\mathcal{B}|} \sum_{n \in \mathcal{B}} \ell(x_n, y_n; \theta),
    \qquad \theta \leftarrow \theta - \eta\, \nabla_\theta L_{\mathcal{B}}(\theta) .
    $$

    The gradient of a random batch is an unbiased estimate of the gradient of the loss over the
    whole training set, $\mathbb{E}_{\mathcal{B}}[\nabla L_{\mathcal{B}}] = \nabla L$, at a
    fraction $B/N$ of the cost.
    """
    if not isinstance(network, DenseNetwork):
        raise TypeError(f"network must be a glossary_dl.backprop.DenseNetwork, got {type(network).__name__}")
    x, labels = _check_data(x, labels, network, "x", "labels")
    batch_size = check_int(batch_size, "batch_size", low=1)
    epochs = check_int(epochs, "epochs", low=1)
    shuffle = check_bool(shuffle, "shuffle")
    rng = _check_rng(seed)
    if optimizer is None:
        optimizer = SGD(learning_rate=0.01)
    elif not isinstance(optimizer, _OPTIMIZERS):
        raise TypeError(
            "optimizer must be an SGD, RMSprop, Adagrad or Adam from glossary_dl.optimizers, "
            f"got {type(optimizer).__name__}"
        )
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (x_val, labels_val) or None")
        x_val, labels_val = _check_data(*validation_data, network, "validation_data[0]", "validation_data[1]")

    history = {"loss": np.empty(epochs, dtype=network.dtype)}
    if validation_data is not None:
        history["val_loss"] = np.empty(epochs, dtype=network.dtype)
    n_samples = x.shape[0]
    for epoch in range(epochs):
        weighted_sum = 0.0
        for batch in iterate_minibatches(n_samples, batch_size, shuffle=shuffle, seed=rng):
            # L_B and ∇_θ L_B by one forward and one backward pass over the batch only
            loss, grads = network.loss_and_gradients(x[batch], labels[batch])
            # θ ← θ − η·∇_θ L_B (or the optimizer's own rule)
            optimizer.apply(network.parameters(), [g for pair in grads for g in pair])
            weighted_sum += float(loss) * batch.size
        # Keras' running loss: batch losses averaged with the batch sizes as weights
        history["loss"][epoch] = weighted_sum / n_samples
        if validation_data is not None:
            history["val_loss"][epoch] = softmax_cross_entropy(network.forward(x_val), labels_val)[0]
    return history
