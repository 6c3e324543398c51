r"""Optimizers: the rules that turn gradients into weight updates.

Four optimizers with the names, defaults and update formulas of Keras 3
(``keras.optimizers.SGD``, ``RMSprop``, ``Adagrad``, ``Adam``). Each is a small
class holding its hyper-parameters, a step counter ``iterations`` and its slot
state (velocities, accumulators, moments), created on the first ``apply``.

``apply(params, grads)`` updates every parameter array **in place**. For each
array one compiled ``_*_loop`` walks the elements once: it reads $\theta$, $g_t$
and the slot state of one element, and writes back $\theta$ and the state, with
no temporary arrays. The arithmetic runs in the parameter's own dtype (float32
in float32, as Keras does), so a float32 model gets float32 rounding.

An update is a few arithmetic operations per element against 5 to 7 array reads and
writes, so its speed is set by memory bandwidth: the loops run over all cores (``prange``,
for arrays of at least ``glossary_dl._parallel.PARALLEL_MIN_WORK`` elements) and are
compiled with ``error_model="numpy"``, under which a division by zero gives inf or NaN as
IEEE arithmetic does instead of a Python exception; that check was the only thing keeping
the loops from being vectorised.

Gradients are not checked for NaN or inf, for speed: a non-finite $g_t$ gives a
non-finite $\theta$ in the elements it touches, exactly as in Keras and PyTorch.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from glossary_dl._parallel import threads_for
from glossary_dl._validation import FLOAT_DTYPES, check_bool, check_real, for_the_loops

__all__ = ["SGD", "RMSprop", "Adagrad", "Adam"]


# ---------------------------------------------------------------- compiled loops
# Every loop takes 1-D C-contiguous views of one parameter, its gradient and its
# slot arrays (all of the same dtype and length, checked before the call) and
# scalars already cast to that dtype, so float32 stays float32 throughout.
# Slot arrays a variant does not use are empty and never indexed.


# --8<-- [start:sgd_loop]
@njit(cache=True, parallel=True, error_model="numpy")
def _sgd_loop(theta, g, m, lr, mu, use_momentum, nesterov):
    for i in prange(theta.size):
        if use_momentum:
            # m ← μ·m − η·g_t   (the velocity; η is folded into it)
            m[i] = mu * m[i] - lr * g[i]
            if nesterov:
                # θ ← θ + μ·m − η·g_t   (look ahead along the new velocity)
                theta[i] += mu * m[i] - lr * g[i]
            else:
                # θ ← θ + m
                theta[i] += m[i]
        else:
            # θ ← θ − η·g_t
            theta[i] -= lr * g[i]
# --8<-- [end:sgd_loop]


# --8<-- [start:rmsprop_loop]
@njit(cache=True, parallel=True, error_model="numpy")
def _rmsprop_loop(theta, g, v, a, m, lr, rho, one_minus_rho, mu, eps, centered, use_momentum):
    for i in prange(theta.size):
        gi = g[i]
        # v ← ρ·v + (1 − ρ)·g_t²
        v[i] = rho * v[i] + one_minus_rho * (gi * gi)
        if centered:
            # a ← ρ·a + (1 − ρ)·g_t   (running mean of the gradient)
            a[i] = rho * a[i] + one_minus_rho * gi
            # r = v − a² + ε   (a running variance of g_t, plus ε; summed in Keras' order)
            r = (v[i] + eps) - a[i] * a[i]
        else:
            # r = v + ε
            r = v[i] + eps
        # Δ = η·g_t / √r
        step = lr * gi / math.sqrt(r)
        if use_momentum:
            # m ← μ·m + Δ
            m[i] = mu * m[i] + step
            # θ ← θ − m
            theta[i] -= m[i]
        else:
            # θ ← θ − Δ
            theta[i] -= step
# --8<-- [end:rmsprop_loop]


# --8<-- [start:adagrad_loop]
@njit(cache=True, parallel=True, error_model="numpy")
def _adagrad_loop(theta, g, G, lr, eps):
    for i in prange(theta.size):
        gi = g[i]
        # G ← G + g_t²
        G[i] += gi * gi
        # θ ← θ − η·g_t / √(G + ε)
        theta[i] -= lr * gi / math.sqrt(G[i] + eps)
# --8<-- [end:adagrad_loop]


# --8<-- [start:adam_loop]
@njit(cache=True, parallel=True, error_model="numpy")
def _adam_loop(
    theta, g, m, v, v_max, alpha, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, eps, amsgrad
):
    for i in prange(theta.size):
        gi = g[i]
        # m ← β1·m + (1 − β1)·g_t
        m[i] = beta_1 * m[i] + one_minus_beta_1 * gi
        # v ← β2·v + (1 − β2)·g_t²
        v[i] = beta_2 * v[i] + one_minus_beta_2 * (gi * gi)
        if amsgrad:
            # v̂ ← max(v̂, v)
            v_max[i] = max(v_max[i], v[i])
            denominator = math.sqrt(v_max[i]) + eps
        else:
            denominator = math.sqrt(v[i]) + eps
        # θ ← θ − α_t·m / (√v + ε̂),  α_t = η·√(1 − β2^t) / (1 − β1^t)
        theta[i] -= alpha * m[i] / denominator
# --8<-- [end:adam_loop]


# ---------------------------------------------------------------- shared machinery
class _Optimizer:
    """Shared bookkeeping: argument checks, slot creation and the step counter."""

    #: names of the slot arrays, one per parameter, in the order the loop takes them
    _slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate):
        self.learning_rate = check_real(learning_rate, "learning_rate", low=0.0)
        #: number of completed ``apply`` calls; the step counter is $t$ = ``iterations + 1``
        self.iterations = 0
        self._shapes: tuple | None = None
        self._dtypes: tuple | None = None
        self._slots: list[dict[str, np.ndarray]] = []

    def _slot_used(self, name: str) -> bool:  # overridden where a slot is optional
        return True

    def _slot_initial_value(self, name: str) -> float:  # overridden by Adagrad
        return 0.0

    def apply(self, params, grads) -> None:
        r"""Update ``params`` in place with one step of the rule, then count the step.

        Parameters
        ----------
        params : list or tuple of numpy.ndarray
            The parameters $\theta$: float32 or float64, C-contiguous, writeable, non-empty.
            The count, shapes and dtypes are fixed by the first call.
        grads : list or tuple of numpy.ndarray
            The gradients $g_t$, one per parameter, with the same shape and dtype. They are
            not checked for NaN or inf: a non-finite gradient gives a non-finite parameter.

        Raises
        ------
        TypeError
            If ``params`` or ``grads`` is not a list or tuple, or an element is not a float
            array, or a gradient's dtype differs from its parameter's.
        ValueError
            If the lengths differ, a parameter is empty, not C-contiguous or read-only, a
            gradient's shape differs from its parameter's, or the count, shapes or dtypes
            differ from those of the first call.

        Returns
        -------
        None
            The parameters and the slots are updated in place and ``iterations`` grows by 1.
        """
        params, grads = self._check(params, grads)
        if self._shapes is None:
            self._build(params)
        for i, (theta, g) in enumerate(zip(params, grads)):
            slots = self._slots[i]
            with threads_for(theta.size):
                self._update(
                    theta.reshape(-1), g.reshape(-1), *(slots[name] for name in self._slot_names)
                )
        self.iterations += 1

    # -------------------------------------------------------------- checks
    def _check(self, params, grads):
        for value, name in ((params, "params"), (grads, "grads")):
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{name} must be a list or tuple of numpy arrays, got {type(value).__name__}")
        if len(params) != len(grads):
            raise ValueError(
                f"params and grads must have the same length, got {len(params)} and {len(grads)}"
            )
        if len(params) == 0:
            raise ValueError("params must hold at least one array, got an empty sequence")
        checked_grads = []
        for i, (theta, g) in enumerate(zip(params, grads)):
            p_name, g_name = f"params[{i}]", f"grads[{i}]"
            if not isinstance(theta, np.ndarray):
                raise TypeError(f"{p_name} must be a numpy array, got {type(theta).__name__}")
            if theta.dtype not in FLOAT_DTYPES:
                raise TypeError(f"{p_name} must be a float32 or float64 array, got dtype {theta.dtype}")
            if theta.size == 0:
                raise ValueError(f"{p_name} must not be empty, got shape {theta.shape}")
            if not theta.flags.c_contiguous:
                raise ValueError(
                    f"{p_name} must be C-contiguous to be updated in place; pass np.ascontiguousarray(...) "
                    "and keep a reference to that array"
                )
            if not theta.flags.writeable:
                raise ValueError(f"{p_name} must be writeable to be updated in place, got a read-only array")
            if not isinstance(g, np.ndarray):
                raise TypeError(f"{g_name} must be a numpy array, got {type(g).__name__}")
            if g.dtype != theta.dtype:
                raise TypeError(f"{g_name} must have the dtype of {p_name} ({theta.dtype}), got {g.dtype}")
            if g.shape != theta.shape:
                raise ValueError(f"{g_name} must have the shape of {p_name} {theta.shape}, got {g.shape}")
            checked_grads.append(for_the_loops(g))
        if self._shapes is not None:
            shapes = tuple(theta.shape for theta in params)
            dtypes = tuple(theta.dtype for theta in params)
            if len(params) != len(self._shapes):
                raise ValueError(
                    f"params must hold {len(self._shapes)} arrays, as in the first apply(), got {len(params)}"
                )
            for i, (shape, dtype) in enumerate(zip(shapes, dtypes)):
                if shape != self._shapes[i] or dtype != self._dtypes[i]:
                    raise ValueError(
                        f"params[{i}] must keep the shape {self._shapes[i]} and dtype {self._dtypes[i]} "
                        f"of the first apply(), got {shape} and {dtype}"
                    )
        return list(params), checked_grads

    def _build(self, params) -> None:
        self._shapes = tuple(theta.shape for theta in params)
        self._dtypes = tuple(theta.dtype for theta in params)
        self._slots = []
        for theta in params:
            slots = {}
            for name in self._slot_names:
                if self._slot_used(name):
                    slots[name] = np.full(theta.size, self._slot_initial_value(name), dtype=theta.dtype)
                else:
                    slots[name] = np.empty(0, dtype=theta.dtype)
            self._slots.append(slots)

    def _update(self, theta, g, *slots) -> None:
        raise NotImplementedError

    def slots(self, i: int) -> dict[str, np.ndarray]:
        r"""Return copies of the slot arrays of ``params[i]``, shaped like the parameter.

        Parameters
        ----------
        i : int
            Position of the parameter in the list passed to ``apply``.

        Returns
        -------
        dict of str to numpy.ndarray
            The state this optimizer keeps for that parameter, by Keras' slot name
            (``"momentum"``, ``"velocity"``, ``"average_gradient"``, ``"accumulator"``,
            ``"velocity_hat"``); empty for plain SGD. Copies: changing them changes nothing.

        Raises
        ------
        ValueError
            If ``apply`` has not been called yet, or ``i`` is out of range.
        """
        if self._shapes is None:
            raise ValueError("the optimizer has no state yet: call apply() first")
        i = int(i)
        if not 0 <= i < len(self._shapes):
            raise ValueError(f"i must be in [0, {len(self._shapes)}), got {i}")
        return {
            name: array.reshape(self._shapes[i]).copy()
            for name, array in self._slots[i].items()
            if self._slot_used(name)
        }


# ---------------------------------------------------------------- the four optimizers
class SGD(_Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum, as in Keras 3.

    Parameters
    ----------
    learning_rate : float, default 0.01
        $\eta \ge 0$.
    momentum : float, default 0.0
        $\mu \in [0, 1]$. Zero gives plain gradient descent and keeps no state.
    nesterov : bool, default False
        Use Nesterov momentum (look ahead along the updated velocity).

    Attributes
    ----------
    iterations : int
        Number of completed ``apply`` calls; the step being taken is $t$ = ``iterations + 1``.

    Raises
    ------
    TypeError
        If a hyper-parameter has the wrong type.
    ValueError
        If a hyper-parameter is out of its range.

    Notes
    -----
    Keras' form, with the learning rate folded into the velocity $m$ (initially 0):

    $$
    \begin{aligned}
    \mu = 0:&\quad \theta \leftarrow \theta - \eta\, g_t \\
    \mu > 0:&\quad m \leftarrow \mu\, m - \eta\, g_t, \qquad
    \theta \leftarrow \begin{cases} \theta + m & \text{classical} \\
    \theta + \mu\, m - \eta\, g_t & \text{Nesterov} \end{cases}
    \end{aligned}
    $$

    For a constant $\eta$ this is PyTorch's ``torch.optim.SGD`` ($b \leftarrow \mu b + g_t$,
    $\theta \leftarrow \theta - \eta b$) with $m = -\eta b$. A NaN or inf in $g_t$ is not
    checked and makes the parameter NaN or inf, as in both frameworks.
    """

    _slot_names = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
        self.nesterov = check_bool(nesterov, "nesterov")

    def _slot_used(self, name):
        return self.momentum != 0.0

    def _update(self, theta, g, m):
        t = theta.dtype.type
        _sgd_loop(theta, g, m, t(self.learning_rate), t(self.momentum), self.momentum != 0.0, self.nesterov)


class RMSprop(_Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square of past gradients, as in Keras 3.

    Parameters
    ----------
    learning_rate : float, default 0.001
        $\eta \ge 0$.
    rho : float, default 0.9
        $\rho \in [0, 1)$, the decay of the running averages.
    momentum : float, default 0.0
        $\mu \in [0, 1]$; zero keeps no momentum state.
    epsilon : float, default 1e-7
        $\varepsilon > 0$, added **inside** the square root.
    centered : bool, default False
        Divide by a running estimate of the gradient's variance instead of its second moment.

    Attributes
    ----------
    iterations : int
        Number of completed ``apply`` calls; the step being taken is $t$ = ``iterations + 1``.

    Raises
    ------
    TypeError
        If a hyper-parameter has the wrong type.
    ValueError
        If a hyper-parameter is out of its range.

    Notes
    -----
    With $v$, $a$ and $m$ starting at 0:

    $$
    \begin{aligned}
    v &\leftarrow \rho\, v + (1 - \rho)\, g_t^2, &
    r &= \begin{cases} v - a^2 + \varepsilon, \quad a \leftarrow \rho\, a + (1 - \rho)\, g_t & \text{centered} \\
    v + \varepsilon & \text{otherwise} \end{cases} \\
    \Delta &= \frac{\eta\, g_t}{\sqrt{r}}, &
    \theta &\leftarrow \begin{cases} \theta - m, \quad m \leftarrow \mu\, m + \Delta & \mu > 0 \\
    \theta - \Delta & \mu = 0 \end{cases}
    \end{aligned}
    $$

    PyTorch's ``torch.optim.RMSprop`` puts $\varepsilon$ outside the root,
    $g_t / (\sqrt{v} + \varepsilon)$, with defaults $\eta = 10^{-2}$, $\rho = 0.99$,
    $\varepsilon = 10^{-8}$. A float32 $|g_t| \gtrsim 1.8\cdot 10^{19}$ overflows $g_t^2$
    to inf, as in Keras: $v$ becomes inf and the update of that element is 0 from then on;
    with ``centered=True`` $r = \infty - \infty$ and the element becomes NaN, as in Keras.
    A NaN or inf in $g_t$ is not checked and makes the parameter NaN.
    """

    _slot_names = ("velocity", "average_gradient", "momentum")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        super().__init__(learning_rate)
        self.rho = check_real(rho, "rho", low=0.0, high=1.0, high_inclusive=False)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
        self.epsilon = check_real(epsilon, "epsilon", low=0.0, low_inclusive=False)
        self.centered = check_bool(centered, "centered")

    def _slot_used(self, name):
        return {"velocity": True, "average_gradient": self.centered, "momentum": self.momentum > 0.0}[name]

    def _update(self, theta, g, v, a, m):
        t = theta.dtype.type
        _rmsprop_loop(
            theta, g, v, a, m,
            t(self.learning_rate), t(self.rho), t(1.0 - self.rho), t(self.momentum), t(self.epsilon),
            self.centered, self.momentum > 0.0,
        )


class Adagrad(_Optimizer):
    r"""Adagrad: divide the gradient by the root of the sum of all past squared gradients, as in Keras 3.

    Parameters
    ----------
    learning_rate : float, default 0.001
        $\eta \ge 0$.
    initial_accumulator_value : float, default 0.1
        $G_0 \ge 0$, the starting value of the accumulator.
    epsilon : float, default 1e-7
        $\varepsilon > 0$, added **inside** the square root.

    Attributes
    ----------
    iterations : int
        Number of completed ``apply`` calls; the step being taken is $t$ = ``iterations + 1``.

    Raises
    ------
    TypeError
        If a hyper-parameter has the wrong type.
    ValueError
        If a hyper-parameter is out of its range.

    Notes
    -----
    With $G$ starting at $G_0$:

    $$
    G \leftarrow G + g_t^2, \qquad \theta \leftarrow \theta - \frac{\eta\, g_t}{\sqrt{G + \varepsilon}}
    $$

    PyTorch's ``torch.optim.Adagrad`` uses $g_t / (\sqrt{G} + \varepsilon)$ with defaults
    $\eta = 10^{-2}$, $G_0 = 0$, $\varepsilon = 10^{-10}$. A float32 $|g_t| \gtrsim 1.8\cdot
    10^{19}$ overflows $g_t^2$ to inf, as in Keras: $G$ becomes inf and that element stops
    moving. A NaN or inf in $g_t$ is not checked and makes the parameter NaN.
    """

    _slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value = check_real(
            initial_accumulator_value, "initial_accumulator_value", low=0.0
        )
        self.epsilon = check_real(epsilon, "epsilon", low=0.0, low_inclusive=False)

    def _slot_initial_value(self, name):
        return self.initial_accumulator_value

    def _update(self, theta, g, G):
        t = theta.dtype.type
        _adagrad_loop(theta, g, G, t(self.learning_rate), t(self.epsilon))


class Adam(_Optimizer):
    r"""Adam: momentum on the gradient, divided by a running root mean square, as in Keras 3.

    Parameters
    ----------
    learning_rate : float, default 0.001
        $\eta \ge 0$.
    beta_1 : float, default 0.9
        $\beta_1 \in [0, 1)$, decay of the first moment $m$.
    beta_2 : float, default 0.999
        $\beta_2 \in [0, 1)$, decay of the second moment $v$.
    epsilon : float, default 1e-7
        $\hat\varepsilon > 0$, added to $\sqrt{v}$ **before** the bias correction of $v$
        (the "epsilon hat" of Kingma & Ba, section 2).
    amsgrad : bool, default False
        Divide by the largest $v$ seen so far ($\hat v$) instead of the current one.

    Attributes
    ----------
    iterations : int
        Number of completed ``apply`` calls; the step being taken is $t$ = ``iterations + 1``.

    Raises
    ------
    TypeError
        If a hyper-parameter has the wrong type.
    ValueError
        If a hyper-parameter is out of its range.

    Notes
    -----
    With $m$, $v$, $\hat v$ starting at 0 and $t$ = ``iterations + 1``:

    $$
    \begin{aligned}
    m &\leftarrow \beta_1 m + (1 - \beta_1)\, g_t, &
    v &\leftarrow \beta_2 v + (1 - \beta_2)\, g_t^2, &
    \hat v &\leftarrow \max(\hat v, v) \ \text{(AMSGrad)} \\
    \alpha_t &= \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, &
    \theta &\leftarrow \theta - \frac{\alpha_t\, m}{\sqrt{v} + \hat\varepsilon} &
    &\text{($\sqrt{\hat v}$ with AMSGrad)}
    \end{aligned}
    $$

    PyTorch's ``torch.optim.Adam`` adds $\varepsilon = 10^{-8}$ after the bias correction,
    $\theta \leftarrow \theta - \frac{\eta}{1 - \beta_1^t} \frac{m}{\sqrt{v}/\sqrt{1 - \beta_2^t}
    + \varepsilon}$; the two agree when $\varepsilon$ is negligible next to $\sqrt{v}$. A
    float32 $|g_t| \gtrsim 1.8\cdot 10^{19}$ overflows $g_t^2$ to inf, as in Keras: $v$ becomes
    inf and that element stops moving.
    A NaN or inf in $g_t$ is not checked and makes the parameter NaN.
    """

    _slot_names = ("momentum", "velocity", "velocity_hat")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
        super().__init__(learning_rate)
        self.beta_1 = check_real(beta_1, "beta_1", low=0.0, high=1.0, high_inclusive=False)
        self.beta_2 = check_real(beta_2, "beta_2", low=0.0, high=1.0, high_inclusive=False)
        self.epsilon = check_real(epsilon, "epsilon", low=0.0, low_inclusive=False)
        self.amsgrad = check_bool(amsgrad, "amsgrad")

    def _slot_used(self, name):
        return name != "velocity_hat" or self.amsgrad

    def _update(self, theta, g, m, v, v_max):
        t = theta.dtype.type
        step = self.iterations + 1
        # α_t = η·√(1 − β2^t) / (1 − β1^t), one scalar per step
        alpha = self.learning_rate * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        _adam_loop(
            theta, g, m, v, v_max,
            t(alpha), t(self.beta_1), t(1.0 - self.beta_1), t(self.beta_2), t(1.0 - self.beta_2),
            t(self.epsilon), self.amsgrad,
        )
