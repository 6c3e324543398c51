r"""Layers in the style of Keras 3: for now the one the first network needs, `Dense`.

A layer owns its weights and knows its two passes. The arithmetic is not repeated here: the dense
product and the ReLU are the compiled loops of `glossary_dl.backprop`, softmax comes from
`glossary_dl.activations` and the Glorot initializer from `glossary_dl.initializers`. Kernels use
the Keras layout, shape (in, out).
"""

from __future__ import annotations

import numpy as np

from glossary_dl._dots import _transposed
from glossary_dl._validation import all_finite, as_float_array, check_float_dtype, check_int
from glossary_dl.activations import _relu_backward_loop, _relu_forward_loop, softmax, softmax_grad
from glossary_dl.backprop import _dense_backward_t, _dense_forward_t
from glossary_dl.initializers import glorot_uniform

__all__ = ["Dense"]

_ACTIVATIONS = (None, "linear", "relu", "softmax")


class Dense:
    r"""A densely connected layer: $a = f(xW + b)$, with Keras' ``Dense`` defaults.

    Parameters
    ----------
    units : int
        $n_\text{out} \ge 1$, the number of outputs (columns of the kernel).
    activation : {None, "linear", "relu", "softmax"}, optional
        $f$, applied after the affine map; None and ``"linear"`` mean the identity.
    seed : int, numpy.random.Generator or None, optional
        Seed of the Glorot uniform draw of the kernel. None lets the model that builds the
        layer pass its own generator (see `glossary_dl.models.Sequential`); a layer built on
        its own with None draws from fresh entropy.
    dtype : {"float32", "float64"}, optional
        Dtype of the weights and of the computation; float32 by default, like Keras.

    Attributes
    ----------
    kernel : ndarray of shape (n_in, units) or None
        $W$, drawn from $U(-r, r)$, $r = \sqrt{6 / (n_\text{in} + n_\text{out})}$ when the layer
        is built; None before. The layer stores $W^\top$ (PyTorch's layout of
        ``nn.Linear.weight``), so that every entry of $xW$ is a dot product of two contiguous
        rows; ``kernel`` is a writeable view of it in Keras' layout (not C-contiguous: use
        ``get_weights()`` for a contiguous copy).
    bias : ndarray of shape (units,) or None
        $b$, zeros when the layer is built; None before.
    built : bool
        Whether the weights exist (the input width is known).

    Raises
    ------
    TypeError
        If ``units`` is not an integer, ``activation`` not a string or None, ``seed`` not an
        integer, Generator or None, or ``dtype`` not float32/float64.
    ValueError
        If ``units`` is below 1, ``activation`` is not one of the names above, or ``seed`` is
        negative.

    Notes
    -----
    For a batch $X$ of shape $(N, n_\text{in})$, with $\delta^a = \partial L / \partial a$
    arriving from above, the two passes are

    $$
    \begin{aligned}
    z &= XW + b, \quad a = f(z), &
    \delta &= \partial L / \partial z = \begin{cases}
    \delta^a \odot 1[z > 0] & f = \operatorname{relu} \\
    s \odot \big(\delta^a - (\delta^a \odot s)\,\mathbf 1\big) & f = \operatorname{softmax},\ s = f(z) \\
    \delta^a & f = \text{identity} \end{cases} \\
    \frac{\partial L}{\partial W} &= X^\top \delta, \quad
    \frac{\partial L}{\partial b} = \sum_n \delta_n, &
    \frac{\partial L}{\partial X} &= \delta\, W^\top .
    \end{aligned}
    $$
    """

    def __init__(self, units, activation=None, seed=None, dtype="float32"):
        self.units = check_int(units, "units", low=1)
        if activation is not None and not isinstance(activation, str):
            raise TypeError(
                f"activation must be None or one of 'linear', 'relu', 'softmax', got {activation!r}"
            )
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be None or one of 'linear', 'relu', 'softmax', got {activation!r}")
        self.activation = None if activation == "linear" else activation
        if seed is not None and not isinstance(seed, np.random.Generator):
            seed = check_int(seed, "seed", low=0)
        self.seed = seed
        self.dtype = check_float_dtype(dtype)
        # W is held transposed, shape (units, n_in), as torch.nn.Linear holds its weight: every
        # entry of xW is then a dot product of two contiguous rows (see glossary_dl._dots)
        self._kernel_t: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"Dense({self.units}, activation={self.activation!r}, dtype={self.dtype.name!r})"

    @property
    def kernel(self) -> np.ndarray | None:
        """$W$ in Keras' layout (n_in, units): a writeable view of the stored $W^\top$."""
        return None if self._kernel_t is None else self._kernel_t.T

    @property
    def built(self) -> bool:
        return self._kernel_t is not None

    def build(self, input_dim, rng=None):
        r"""Create the weights for inputs of width ``input_dim``: Glorot uniform kernel, zero bias.

        Parameters
        ----------
        input_dim : int
            $n_\text{in} \ge 1$.
        rng : numpy.random.Generator or None, optional
            Generator to draw the kernel from when the layer has no ``seed`` of its own.

        Raises
        ------
        TypeError
            If ``input_dim`` is not an integer or ``rng`` not a Generator or None.
        ValueError
            If ``input_dim`` is below 1, or the layer is already built for another width.
        """
        input_dim = check_int(input_dim, "input_dim", low=1)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
        if self.built:
            if self.kernel.shape[0] != input_dim:
                raise ValueError(
                    f"input_dim: this layer is built for inputs of width {self.kernel.shape[0]}, got {input_dim}"
                )
            return
        source = self.seed if self.seed is not None else rng
        kernel = glorot_uniform((input_dim, self.units), seed=source, dtype=self.dtype.name)
        self._kernel_t = _transposed(kernel)
        self.bias = np.zeros(self.units, dtype=self.dtype)

    def get_weights(self) -> list[np.ndarray]:
        r"""Copies of $[W, b]$, as Keras' ``layer.get_weights()``.

        Returns
        -------
        list of ndarray
            ``[kernel, bias]``, copies (empty list before the layer is built).
        """
        return [] if not self.built else [self.kernel.copy(), self.bias.copy()]

    def set_weights(self, weights) -> None:
        r"""Overwrite $W$ and $b$ in place (an optimizer holding them keeps working).

        Parameters
        ----------
        weights : sequence of two array_like
            ``[kernel, bias]`` of shapes (n_in, units) and (units,); any float dtype, cast to
            the layer's. An unbuilt layer is built for ``n_in`` first.

        Raises
        ------
        TypeError
            If ``weights`` is not a list or tuple, or an element is not a float array.
        ValueError
            If it does not hold exactly two arrays, a shape does not match, or a value is not
            finite.
        """
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a list [kernel, bias], got {type(weights).__name__}")
        if len(weights) != 2:
            raise ValueError(f"weights must hold two arrays [kernel, bias], got {len(weights)}")
        kernel = as_float_array(weights[0], "weights[0] (kernel)", ndim=2)
        bias = as_float_array(weights[1], "weights[1] (bias)", ndim=1)
        if not self.built:
            self.build(kernel.shape[0])
        if kernel.shape != self.kernel.shape:
            raise ValueError(f"weights[0] (kernel) must have shape {self.kernel.shape}, got {kernel.shape}")
        if bias.shape != self.bias.shape:
            raise ValueError(f"weights[1] (bias) must have shape {self.bias.shape}, got {bias.shape}")
        self.kernel[...] = kernel
        self.bias[...] = bias

    def __call__(self, x):
        r"""The layer's output $f(xW + b)$ for a batch (built on first use).

        Parameters
        ----------
        x : array_like of float, shape (N, n_in)
            A batch of inputs; converted to the layer's dtype, as Keras layers do.

        Returns
        -------
        ndarray, shape (N, units)
            $a = f(z)$, the layer's dtype.

        Raises
        ------
        TypeError
            If ``x`` is not a float array.
        ValueError
            If ``x`` is not 2-D, has the wrong width, is empty or holds NaN or inf.
        FloatingPointError
            If $z$ is not finite although ``x`` is: the weights have diverged.
        """
        x = as_float_array(x, "x", ndim=2, dtype=self.dtype)
        self.build(x.shape[1])
        return self._forward(x, apply_activation=True)

    # ------------------------------------------------------------ the passes, on checked arrays
    def _forward(self, x: np.ndarray, *, apply_activation: bool) -> np.ndarray:
        """z = x·W + b, then a = f(z); keeps (x, z) for the backward pass."""
        # z = X·W + b
        z = np.empty((x.shape[0], self.units), dtype=self.dtype)
        _dense_forward_t(x, self._kernel_t, self.bias, z)
        self._cache = (x, z)
        if not all_finite(z):
            # only overflowing weights get here (inputs are checked): training has diverged
            raise FloatingPointError(
                f"{self!r}: the pre-activation z = xW + b overflowed to inf or NaN; "
                "training has diverged: lower the learning rate"
            )
        if not apply_activation or self.activation is None:
            return z
        if self.activation == "relu":
            # a = max(z, 0)
            a = np.empty_like(z)
            _relu_forward_loop(z.reshape(-1), a.reshape(-1))
            return a
        # a = softmax(z), row by row
        return softmax(z, axis=-1)

    def _backward(self, grad_out: np.ndarray, *, through_activation: bool, with_grad_x: bool):
        """From ∂L/∂a (or ∂L/∂z when the activation is skipped) to (∂L/∂x, ∂L/∂W, ∂L/∂b)."""
        x, z = self._cache
        if not through_activation or self.activation is None:
            delta = grad_out
        elif self.activation == "relu":
            # δ = δ^a ⊙ 1[z > 0]
            delta = np.empty_like(z)
            _relu_backward_loop(z.reshape(-1), grad_out.reshape(-1), delta.reshape(-1))
        else:
            # δ = s ⊙ (δ^a − Σ_j δ^a_j s_j): the softmax Jacobian applied to δ^a
            delta = softmax_grad(z, grad_out, axis=-1)
        # ∂L/∂W = Xᵀ·δ, ∂L/∂b = Σ_n δ_n, ∂L/∂X = δ·Wᵀ
        return _dense_backward_t(x, self._kernel_t, delta, with_grad_x=with_grad_x)

