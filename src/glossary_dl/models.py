r"""A Keras-style model API: `Sequential` stacks layers; ``compile``, ``fit``, ``evaluate``, ``predict``.

Written so that the first network of the book runs with only its imports changed::

    from glossary_dl.layers import Dense
    from glossary_dl.models import Sequential

    model = Sequential([Dense(512, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_images, train_labels, epochs=5, batch_size=128)

Nothing is computed here that the package does not already compute elsewhere: layers are
`glossary_dl.layers.Dense`, losses and their gradients `glossary_dl.losses`, updates
`glossary_dl.optimizers`. When the last layer is a softmax and the loss is the sparse categorical
cross-entropy, the two are fused into the log-sum-exp form on the logits
(`glossary_dl.backprop.softmax_cross_entropy`): the loss stays finite and its gradient is exact
even where a probability underflows to 0.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from glossary_dl import losses as _losses
from glossary_dl._parallel import threads_for
from glossary_dl._validation import all_finite, as_float_array, as_label_array, check_bool, check_int
from glossary_dl.backprop import _softmax_cross_entropy_loop
from glossary_dl.layers import Dense
from glossary_dl.optimizers import SGD, Adagrad, Adam, RMSprop

__all__ = ["History", "Sequential"]

_OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adam": Adam}
_OPTIMIZER_TYPES = (SGD, RMSprop, Adagrad, Adam)

# loss name → (loss, gradient with respect to y_pred, kind of target)
_LOSSES = {
    "sparse_categorical_crossentropy": (
        _losses.sparse_categorical_crossentropy, _losses.sparse_categorical_crossentropy_grad, "sparse"),
    "categorical_crossentropy": (
        _losses.categorical_crossentropy, _losses.categorical_crossentropy_grad, "dense"),
    "binary_crossentropy": (_losses.binary_crossentropy, _losses.binary_crossentropy_grad, "dense"),
    "mean_squared_error": (_losses.mean_squared_error, _losses.mean_squared_error_grad, "dense"),
}
_LOSSES["mse"] = _LOSSES["mean_squared_error"]
_ACCURACY_NAMES = ("accuracy", "acc")


class History:
    r"""What `Sequential.fit` returns: the per-epoch metrics, as Keras' ``History`` callback.

    Attributes
    ----------
    history : dict of str to list of float
        ``"loss"`` and, when compiled with ``metrics=["accuracy"]``, ``"accuracy"``: the mean over
        the epoch's training batches, each taken before that batch's update (Keras' running
        averages). With ``validation_data``, also ``"val_loss"`` and ``"val_accuracy"``, measured
        after the epoch.
    epoch : list of int
        The epoch indices, from 0.
    params : dict
        ``{"epochs": ..., "steps": ..., "verbose": ...}``, as Keras records them.

    Notes
    -----
    The epoch's training loss is the mean of the batch losses $L_k$ weighted by the batch sizes
    $B_k$, that is the mean of the per-sample losses seen during the epoch:

    $$
    \text{loss} = \frac{\sum_k B_k L_k}{\sum_k B_k} .
    $$
    """

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = {}

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"


class Sequential:
    r"""A linear stack of layers, trained with Keras' ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

    Parameters
    ----------
    layers : list of Dense or None, optional
        The layers, input side first; more can be appended with `add`.
    seed : int or None, optional
        Seed of the model's generator, which draws the kernels of layers that have no seed of
        their own (in layer order, when the model is built) and the order of the samples in
        every epoch of ``fit(shuffle=True)``. The same seed gives the same training run.

    Attributes
    ----------
    layers : list of Dense
        The layers.
    optimizer : optimizer or None
        The `glossary_dl.optimizers` instance set by `compile`.
    loss : str or callable or None
        The loss given to `compile`.

    Raises
    ------
    TypeError
        If ``layers`` is not a list of `glossary_dl.layers.Dense`, or ``seed`` is not an integer
        or None.
    ValueError
        If ``seed`` is negative.

    Notes
    -----
    With $a_0 = x$, layer $l$ computes $a_l = f_l(a_{l-1} W_l + b_l)$ and the model predicts
    $\hat y = a_L$. One training step on a batch $(X, y)$ computes the loss $L(y, \hat y)$,
    back-propagates $\delta = \partial L / \partial z$ through the layers and lets the optimizer
    update every $W_l, b_l$. With a softmax output and the sparse categorical cross-entropy the
    first $\delta$ is taken on the logits $z_L$, in the fused, stable form

    $$
    L = \frac{1}{N} \sum_{n=1}^{N} \Big( \log \sum_{c} e^{z_{L,n,c}} - z_{L,n,t_n} \Big), \qquad
    \delta_L = \frac{\operatorname{softmax}(z_L) - \operatorname{onehot}(t)}{N} .
    $$
    """

    def __init__(self, layers=None, seed=None):
        self.layers: list[Dense] = []
        if seed is not None:
            seed = check_int(seed, "seed", low=0)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self.optimizer = None
        self.loss = None
        self.metrics: list[str] = []
        self._loss_fns = None
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"layers must be a list of Dense layers, got {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    def __repr__(self) -> str:
        return f"Sequential({self.layers!r})"

    def add(self, layer) -> None:
        r"""Append a layer on top of the stack.

        Parameters
        ----------
        layer : Dense
            The layer to append.

        Raises
        ------
        TypeError
            If ``layer`` is not a `glossary_dl.layers.Dense`.
        ValueError
            If the model is already built (its weights exist).
        """
        if not isinstance(layer, Dense):
            raise TypeError(f"layer must be a glossary_dl.layers.Dense, got {type(layer).__name__}")
        if self.built:
            raise ValueError("layer: cannot add a layer to a model that is already built")
        self.layers.append(layer)

    # ------------------------------------------------------------ building
    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the layers (one for the whole model)."""
        self._check_layers()
        return self.layers[0].dtype

    def build(self, input_dim) -> None:
        r"""Create every layer's weights for inputs of width ``input_dim``.

        ``fit``, ``evaluate``, ``predict`` and ``train_on_batch`` call it on first use.

        Parameters
        ----------
        input_dim : int
            Width of the input rows, $n_0 \ge 1$.

        Raises
        ------
        TypeError
            If ``input_dim`` is not an integer.
        ValueError
            If the model has no layers, its layers have different dtypes, ``input_dim`` is below
            1, or the model is already built for another width.
        """
        self._check_layers()
        width = check_int(input_dim, "input_dim", low=1)
        for layer in self.layers:
            layer.build(width, rng=self._rng)
            width = layer.units

    def _check_layers(self) -> None:
        if not self.layers:
            raise ValueError("the model has no layers: pass a list of Dense layers or call add()")
        dtypes = {layer.dtype for layer in self.layers}
        if len(dtypes) > 1:
            raise ValueError(f"every layer must have the same dtype, got {sorted(d.name for d in dtypes)}")

    def get_weights(self) -> list[np.ndarray]:
        r"""Copies of $[W_1, b_1, W_2, b_2, \dots]$, as Keras' ``model.get_weights()``.

        Returns
        -------
        list of ndarray
            Copies of every layer's kernel and bias, input side first.
        """
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        r"""Overwrite every kernel and bias in place, from ``[W_1, b_1, W_2, b_2, ...]``.

        Parameters
        ----------
        weights : list of array_like
            Two arrays per layer, in the order of `get_weights`; unbuilt layers are built.

        Raises
        ------
        TypeError
            If ``weights`` is not a list or tuple, or holds a non-float array.
        ValueError
            If it does not hold two arrays per layer, or a shape does not match.
        """
        self._check_layers()
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a list of arrays, got {type(weights).__name__}")
        if len(weights) != 2 * len(self.layers):
            raise ValueError(
                f"weights must hold {2 * len(self.layers)} arrays (kernel and bias of each layer), got {len(weights)}"
            )
        for i, layer in enumerate(self.layers):
            layer.set_weights(list(weights[2 * i: 2 * i + 2]))

    def _parameters(self) -> list[np.ndarray]:
        # the kernels as the layers hold them, Wᵀ: their gradients come in that layout too
        return [p for layer in self.layers for p in (layer._kernel_t, layer.bias)]

    # ------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None) -> None:
        r"""Choose the optimizer, the loss and the metrics.

        Parameters
        ----------
        optimizer : str or optimizer, default "rmsprop"
            ``"sgd"``, ``"rmsprop"``, ``"adagrad"``, ``"adam"`` (a new instance with Keras'
            defaults) or an instance of `glossary_dl.optimizers.SGD`, ``RMSprop``, ``Adagrad``,
            ``Adam``.
        loss : str, callable or (callable, callable)
            ``"sparse_categorical_crossentropy"``, ``"categorical_crossentropy"``,
            ``"binary_crossentropy"``, ``"mean_squared_error"`` (``"mse"``); one of those
            functions of `glossary_dl.losses`; or a pair ``(loss, loss_grad)`` of functions of
            ``(y_true, y_pred)`` for any other loss.
        metrics : list of str or None, optional
            ``["accuracy"]`` (or ``"acc"``) or nothing. Accuracy follows the loss, as in Keras:
            argmax against integer labels (sparse), argmax against argmax (categorical), a 0.5
            threshold (binary, and one-column outputs of other losses).

        Raises
        ------
        TypeError
            If an argument has the wrong type.
        ValueError
            If a name is unknown, or ``loss`` is missing.
        """
        if isinstance(optimizer, str):
            if optimizer.lower() not in _OPTIMIZERS:
                raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)} or an optimizer object, got {optimizer!r}")
            optimizer = _OPTIMIZERS[optimizer.lower()]()
        elif not isinstance(optimizer, _OPTIMIZER_TYPES):
            raise TypeError(
                "optimizer must be a name or a glossary_dl.optimizers instance (SGD, RMSprop, Adagrad, Adam), "
                f"got {type(optimizer).__name__}"
            )
        self._loss_fns = _resolve_loss(loss)
        if metrics is None:
            metrics = []
        if not isinstance(metrics, (list, tuple)):
            raise TypeError(f"metrics must be a list of names such as ['accuracy'], got {type(metrics).__name__}")
        for metric in metrics:
            if not isinstance(metric, str):
                raise TypeError(f"metrics must hold names, got {metric!r}")
            if metric not in _ACCURACY_NAMES:
                raise ValueError(f"metrics: only 'accuracy' (or 'acc') is available, got {metric!r}")
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = ["accuracy"] if metrics else []

    @property
    def _fused(self) -> bool:
        """Softmax output + the named sparse categorical cross-entropy: train on the logits."""
        return (
            self._loss_fns is _LOSSES["sparse_categorical_crossentropy"]
            and bool(self.layers)
            and self.layers[-1].activation == "softmax"
        )

    # ------------------------------------------------------------ checked inputs
    def _require_compiled(self, what: str) -> None:
        if self._loss_fns is None:
            raise RuntimeError(f"call compile() before {what}()")

    def _check_x(self, x, name: str = "x") -> np.ndarray:
        self._check_layers()
        if isinstance(x, np.ndarray) and x.dtype.kind in "iub":
            raise TypeError(
                f"{name} must be a float array, got dtype {x.dtype}; convert and scale it first, "
                "e.g. x.astype('float32') / 255"
            )
        array = as_float_array(x, name, dtype=self.dtype)
        if array.ndim != 2:
            raise ValueError(
                f"{name} must have 2 dimensions (samples, features), got shape {array.shape}; "
                "flatten images first, e.g. x.reshape((len(x), -1))"
            )
        if self.built:
            n_in = self.layers[0].kernel.shape[0]
            if array.shape[1] != n_in:
                raise ValueError(f"{name} must have shape (N, {n_in}) for this model, got {array.shape}")
        else:
            self.build(array.shape[1])
        return array

    def _check_y(self, y, n_samples: int, name: str = "y") -> np.ndarray:
        n_out = self.layers[-1].units
        if self._loss_fns[2] == "sparse":
            labels = as_label_array(y, name, ndim=(1, 2))
            if labels.ndim == 2 and labels.shape[1] != 1:
                raise ValueError(f"{name} must hold one integer label per sample, shape (N,) or (N, 1), got {labels.shape}")
            labels = np.ascontiguousarray(labels.reshape(-1))
            if labels.min() < 0 or labels.max() >= n_out:
                raise ValueError(
                    f"{name} must hold class labels in [0, {n_out}) for this model, got values from "
                    f"{labels.min()} to {labels.max()}"
                )
            target = labels
        else:
            if isinstance(y, np.ndarray) and y.dtype.kind in "iub":
                y = y.astype(self.dtype)
            target = as_float_array(y, name, dtype=self.dtype)
            if target.ndim == 1:
                target = target.reshape(-1, 1)
            if target.shape[1:] != (n_out,):
                raise ValueError(f"{name} must have shape (N, {n_out}) for this model, got {target.shape}")
        if target.shape[0] != n_samples:
            raise ValueError(f"{name} must hold one target per sample ({n_samples}), got {target.shape[0]}")
        return target

    # ------------------------------------------------------------ one step
    # --8<-- [start:train_step]
    def _forward(self, x: np.ndarray) -> np.ndarray:
        """The output ŷ, or the logits z_L when the last softmax is fused into the loss."""
        a = x
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            # a_l = f_l(a_{l−1}·W_l + b_l); the fused softmax is left to the loss
            a = layer._forward(a, apply_activation=not (self._fused and i == last))
        return a

    def _loss_and_delta(self, out: np.ndarray, target: np.ndarray, *, with_delta: bool):
        loss_fn, grad_fn, _ = self._loss_fns
        if self._fused:
            # L and δ_L = (softmax(z_L) − onehot(t))/N in one stable pass on the logits
            delta = np.empty_like(out)
            with threads_for(out.size):
                loss = _softmax_cross_entropy_loop(out, target, delta)
            return float(loss), delta
        loss = float(loss_fn(target, out))
        delta = grad_fn(target, out) if with_delta else None
        return loss, delta

    def _backward(self, delta: np.ndarray) -> list[np.ndarray]:
        """Back-propagate ∂L/∂ŷ (or δ_L when fused) and return [∂L/∂W_1, ∂L/∂b_1, ...]."""
        grads: list[np.ndarray] = []
        last = len(self.layers) - 1
        for i in range(last, -1, -1):  # l = L, …, 1
            layer = self.layers[i]
            delta, grad_kernel, grad_bias = layer._backward(
                delta, through_activation=not (self._fused and i == last), with_grad_x=i > 0
            )
            grads[:0] = [grad_kernel, grad_bias]
        return grads

    def _accuracy(self, out: np.ndarray, target: np.ndarray) -> float:
        kind = self._loss_fns[2]
        if out.shape[1] == 1 and kind != "sparse":
            # binary accuracy: ŷ > 0.5 against y (logits never reach here: fusion is softmax only)
            return float(np.mean((out[:, 0] > 0.5) == (target[:, 0] > 0.5)))
        predicted = np.argmax(out, axis=1)  # argmax of the logits = argmax of their softmax
        truth = target if kind == "sparse" else np.argmax(target, axis=1)
        return float(np.mean(predicted == truth))

    def _step(self, x: np.ndarray, target: np.ndarray) -> tuple[float, float]:
        out = self._forward(x)
        loss, delta = self._loss_and_delta(out, target, with_delta=True)
        if not all_finite(delta):
            raise FloatingPointError(
                f"the gradient of the loss is not finite (loss = {loss}); lower the learning rate"
            )
        accuracy = self._accuracy(out, target) if self.metrics else float("nan")
        self.optimizer.apply(self._parameters(), self._backward(delta))
        return loss, accuracy

    # --8<-- [end:train_step]

    # ------------------------------------------------------------ public training API
    def train_on_batch(self, x, y) -> list[float]:
        r"""One gradient step on one batch; returns ``[loss, accuracy]`` measured before the step.

        Parameters
        ----------
        x : array_like of float, shape (N, n_in)
            The batch.
        y : array_like
            Its targets: integer labels of shape (N,) for the sparse loss, else shape (N, n_out).

        Returns
        -------
        list of float
            ``[loss]``, or ``[loss, accuracy]`` when compiled with the accuracy metric.

        Raises
        ------
        RuntimeError
            If the model is not compiled.
        TypeError
            If ``x`` or ``y`` has the wrong type.
        ValueError
            If a shape does not match, a label is out of range or a value is not finite.
        FloatingPointError
            If the gradient of the loss is not finite (training has diverged).
        """
        self._require_compiled("train_on_batch")
        x = self._check_x(x)
        target = self._check_y(y, x.shape[0])
        loss, accuracy = self._step(x, target)
        return [loss, accuracy] if self.metrics else [loss]

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, verbose=1, shuffle=True) -> History:
        r"""Train for a number of epochs with mini-batch gradient steps; return the `History`.

        Parameters
        ----------
        x : array_like of float, shape (N, n_in)
            Training inputs (float: scale integer images first).
        y : array_like
            Integer labels of shape (N,) for the sparse loss, else targets of shape (N, n_out).
        epochs : int, default 1
            Passes over the training data, at least 1.
        batch_size : int, default 32
            Samples per step; the last batch of an epoch holds the remainder.
        validation_data : tuple (x_val, y_val) or None, optional
            Evaluated after every epoch, into ``val_loss`` and ``val_accuracy``.
        verbose : {0, 1, 2}, default 1
            0 silent, 1 a progress bar per epoch, 2 one line per epoch (as Keras).
        shuffle : bool, default True
            Draw a new order of the samples every epoch from the model's generator.

        Returns
        -------
        History
            The per-epoch metrics in ``history.history``.

        Raises
        ------
        RuntimeError
            If the model is not compiled.
        TypeError
            If an argument has the wrong type.
        ValueError
            If a shape does not match, a label is out of range, a value is not finite, or a
            hyper-parameter is out of range.
        FloatingPointError
            If the gradient of the loss is not finite (training has diverged).
        """
        self._require_compiled("fit")
        x = self._check_x(x)
        target = self._check_y(y, x.shape[0])
        epochs = check_int(epochs, "epochs", low=1)
        batch_size = check_int(batch_size, "batch_size", low=1)
        verbose = _check_verbose(verbose)
        shuffle = check_bool(shuffle, "shuffle")
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a tuple (x_val, y_val)")
            x_val = self._check_x(validation_data[0], "validation_data[0]")
            validation = (x_val, self._check_y(validation_data[1], x_val.shape[0], "validation_data[1]"))

        n_samples = x.shape[0]
        steps = -(-n_samples // batch_size)
        history = History()
        history.params = {"epochs": epochs, "steps": steps, "verbose": verbose}
        for epoch in range(epochs):
            if verbose == 1:
                print(f"Epoch {epoch + 1}/{epochs}")
            order = self._rng.permutation(n_samples) if shuffle else np.arange(n_samples)
            bar = _Progress(steps, verbose)
            seen, loss_sum, correct_sum = 0, 0.0, 0.0
            for step in range(steps):
                index = order[step * batch_size:(step + 1) * batch_size]
                loss, accuracy = self._step(x[index], target[index])
                # running means over the samples seen so far in this epoch, as Keras reports them
                seen += len(index)
                loss_sum += loss * len(index)
                correct_sum += accuracy * len(index)
                logs = {"loss": loss_sum / seen}
                if self.metrics:
                    logs = {"accuracy": correct_sum / seen, **logs}
                bar.update(step + 1, logs)
            if validation is not None:
                values = self._evaluate_checked(*validation, batch_size)
                named = dict(zip(["loss"] + self.metrics, values))
                logs.update({f"val_{k}": named[k] for k in self.metrics + ["loss"]})
            bar.finish(logs)
            history.epoch.append(epoch)
            for key, value in logs.items():
                history.history.setdefault(key, []).append(value)
        return history

    def evaluate(self, x, y, batch_size=32, verbose=1):
        r"""The loss (and accuracy) on a dataset, as Keras' ``model.evaluate``.

        Parameters
        ----------
        x : array_like of float, shape (N, n_in)
            Inputs.
        y : array_like
            Targets, as for `fit`.
        batch_size : int, default 32
            Samples per forward pass; the result does not depend on it beyond rounding.
        verbose : {0, 1, 2}, default 1
            0 silent, otherwise one summary line.

        Returns
        -------
        float or list of float
            The mean loss over all samples, or ``[loss, accuracy]`` when compiled with the
            accuracy metric.

        Raises
        ------
        RuntimeError
            If the model is not compiled.
        TypeError
            If an argument has the wrong type.
        ValueError
            If a shape does not match, a label is out of range or a value is not finite.
        """
        self._require_compiled("evaluate")
        x = self._check_x(x)
        target = self._check_y(y, x.shape[0])
        batch_size = check_int(batch_size, "batch_size", low=1)
        verbose = _check_verbose(verbose)
        start = time.perf_counter()
        values = self._evaluate_checked(x, target, batch_size)
        if verbose:
            steps = -(-x.shape[0] // batch_size)
            named = dict(zip(["loss"] + self.metrics, values))
            logs = {k: named[k] for k in self.metrics + ["loss"]}
            print(f"{steps}/{steps} - {_duration(time.perf_counter() - start)} - {_format_logs(logs)}")
        return values if self.metrics else values[0]

    def _evaluate_checked(self, x: np.ndarray, target: np.ndarray, batch_size: int) -> list[float]:
        n_samples = x.shape[0]
        loss_sum, correct_sum = 0.0, 0.0
        for start in range(0, n_samples, batch_size):
            out = self._forward(x[start:start + batch_size])
            part = target[start:start + batch_size]
            loss, _ = self._loss_and_delta(out, part, with_delta=False)
            loss_sum += loss * out.shape[0]
            if self.metrics:
                correct_sum += self._accuracy(out, part) * out.shape[0]
        values = [loss_sum / n_samples]
        if self.metrics:
            values.append(correct_sum / n_samples)
        return values

    def predict(self, x, batch_size=32, verbose=0) -> np.ndarray:
        r"""The model's output for every sample: probabilities for a softmax output layer.

        Parameters
        ----------
        x : array_like of float, shape (N, n_in)
            Inputs.
        batch_size : int, default 32
            Samples per forward pass.
        verbose : {0, 1, 2}, default 0
            Accepted for Keras compatibility; prediction prints nothing.

        Returns
        -------
        ndarray, shape (N, n_out)
            $\hat y = a_L$, the model's dtype.

        Raises
        ------
        TypeError
            If ``x`` is not a float array.
        ValueError
            If ``x`` does not have shape (N, n_in) or holds NaN or inf.
        """
        x = self._check_x(x)
        batch_size = check_int(batch_size, "batch_size", low=1)
        _check_verbose(verbose)
        outputs = []
        for start in range(0, x.shape[0], batch_size):
            a = x[start:start + batch_size]
            for layer in self.layers:
                a = layer._forward(a, apply_activation=True)
            outputs.append(a)
        return np.concatenate(outputs, axis=0)


def _resolve_loss(loss):
    """(loss, grad, kind) for a name, a glossary_dl.losses function or a (loss, grad) pair."""
    if loss is None:
        raise ValueError("loss must be given, e.g. loss='sparse_categorical_crossentropy'")
    if isinstance(loss, str):
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {sorted(_LOSSES)}, a glossary_dl.losses function or a (loss, grad) pair, got {loss!r}")
        return _LOSSES[loss]
    if isinstance(loss, tuple) and len(loss) == 2 and all(callable(f) for f in loss):
        kind = "sparse" if loss[0] is _losses.sparse_categorical_crossentropy else "dense"
        return (loss[0], loss[1], kind)
    for entry in _LOSSES.values():
        if loss is entry[0]:
            return entry
    raise TypeError(
        "loss must be a name, a glossary_dl.losses function or a pair (loss, loss_grad) of functions, "
        f"got {loss!r}"
    )


def _check_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    verbose = check_int(verbose, "verbose", low=0)
    if verbose > 2:
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose}")
    return verbose


def _duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"


def _format_logs(logs: dict) -> str:
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


class _Progress:
    """Keras 3's progress bar: ``12/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: … - loss: …``."""

    width = 20

    def __init__(self, steps: int, verbose: int):
        self.steps, self.verbose = steps, verbose
        self.start = self.last = time.perf_counter()

    def _line(self, step: int, logs: dict) -> str:
        elapsed = time.perf_counter() - self.start
        done = self.width * step // self.steps
        bar = "━" * done + " " * (self.width - done)
        per_step = _duration(elapsed / step) + "/step"
        return f"{step}/{self.steps} {bar} {_duration(elapsed)} {per_step} - {_format_logs(logs)}"

    def update(self, step: int, logs: dict) -> None:
        now = time.perf_counter()
        if self.verbose == 1 and step < self.steps and now - self.last >= 0.1:
            self.last = now
            sys.stdout.write("\r" + self._line(step, logs))
            sys.stdout.flush()
        self.step = step

    def finish(self, logs: dict) -> None:
        if self.verbose == 1:
            sys.stdout.write("\r" + self._line(self.steps, logs) + "\n")
        elif self.verbose == 2:
            elapsed = time.perf_counter() - self.start
            sys.stdout.write(
                f"{self.steps}/{self.steps} - {_duration(elapsed)} - "
                f"{_duration(elapsed / self.steps)}/step - {_format_logs(logs)}\n"
            )
        sys.stdout.flush()
