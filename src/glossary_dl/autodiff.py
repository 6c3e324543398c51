r"""A small reverse-mode automatic differentiation engine on NumPy arrays.

A :class:`Tensor` holds an array. Every operation applied to tensors returns a
new tensor that remembers its inputs and the operation, so a computation builds
a directed acyclic graph (the computation graph) as it runs. ``backward()``
walks that graph from the output back to the leaves, in reverse topological
order, and applies the chain rule at every node.

Each operation is written as in micrograd: the forward rule computes the output,
and a few lines below, the local ``backward`` rule maps the gradient of the
output to the gradient of every input. Operands of ``+ - * /`` broadcast as in
NumPy, and their gradients are summed back to each operand's shape.

The forward rules run on the package's compiled loops where one exists:
``+`` on :func:`glossary_dl.tensors.broadcast_add`, ``@`` on
:func:`glossary_dl.tensors.matrix_dot`, ``reshape``/``transpose`` on
:func:`glossary_dl.tensors.reshape`/:func:`glossary_dl.tensors.transpose`,
``relu`` on :func:`glossary_dl.backprop.relu_forward`/``relu_backward``,
:func:`dense` on :func:`glossary_dl.backprop.dense_forward`/``dense_backward`` and
:func:`softmax_cross_entropy` on :func:`glossary_dl.backprop.softmax_cross_entropy`.
``- * /``, ``neg``, ``exp``, ``log``, ``sum`` and ``mean`` use NumPy. The sum of a
gradient over broadcast axes (``_unbroadcast_loop``) is this module's own loop.
"""

from __future__ import annotations

import numbers
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from numba import njit

from glossary_dl import backprop, tensors
from glossary_dl._validation import as_float_array, as_label_array, check_bool

__all__ = ["Tensor", "dense", "softmax_cross_entropy"]


# ---------------------------------------------------------------- the compiled loop
# --8<-- [start:unbroadcast_loop]
@njit(cache=True)
def _unbroadcast_loop(grad, grad_shape, target_strides, out):
    rank = grad_shape.size
    index = np.zeros(rank, dtype=np.int64)  # (i_1, …, i_n): the index of grad_p in the output y
    for p in range(grad.size):
        # position of x_{j_1…j_n} in x: Σ_k i_k·s_k, where s_k = 0 on an axis x was stretched along
        at = 0
        for k in range(rank):
            at += index[k] * target_strides[k]
        # ∂L/∂x_j ← ∂L/∂x_j + ∂L/∂y_i   (every y_i that read x_j sends its gradient back to it)
        out[at] += grad[p]
        # next index of y in row-major order: the last axis runs fastest
        k = rank - 1
        while k >= 0:
            index[k] += 1
            if index[k] < grad_shape[k]:
                break
            index[k] = 0
            k -= 1
# --8<-- [end:unbroadcast_loop]


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` (of the broadcast output's shape) back to an operand of ``shape``."""
    if grad.shape == shape:
        return grad
    rank = grad.ndim
    padded = (1,) * (rank - len(shape)) + tuple(shape)
    strides = np.zeros(rank, dtype=np.int64)
    step = 1
    for axis in range(rank - 1, -1, -1):
        # an axis of length 1 (or a missing one) was repeated: all its positions map to entry 0
        strides[axis] = 0 if padded[axis] == 1 else step
        step *= padded[axis]
    out = np.zeros(int(np.prod(shape, dtype=np.int64)), dtype=np.float64)  # sums kept in float64
    _unbroadcast_loop(
        np.ascontiguousarray(grad).reshape(-1), np.array(grad.shape, dtype=np.int64), strides, out
    )
    return out.astype(grad.dtype).reshape(shape)


def _finite(value: np.ndarray, op: str) -> np.ndarray:
    """The result of an operation, refused if it overflowed or left the function's domain."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{op} produced NaN or infinite values (overflow); rescale its input")
    return value


# ---------------------------------------------------------------- the tensor
class Tensor:
    r"""An array that records the operations applied to it, for reverse-mode differentiation.

    Arithmetic (``+``, ``-``, ``*``, ``/``, unary ``-``, ``@``) and the methods ``sum``,
    ``mean``, ``relu``, ``exp``, ``log``, ``reshape`` and ``transpose`` (``.T``) return new
    tensors that keep a reference to their inputs, so the expression builds its own computation
    graph. ``backward()`` then fills ``grad`` of every leaf created with ``requires_grad=True``.

    Parameters
    ----------
    value : array_like of float32 or float64, any shape
        The array held; a copy is stored. Lists of numbers become float64; integer arrays are
        refused (the caller picks the precision).
    requires_grad : bool, optional
        Whether ``backward()`` computes $\partial L/\partial$ ``value`` and stores it in ``grad``.
        Default False: a constant.
    name : str or None, optional
        A label for the drawings of the graph.

    Attributes
    ----------
    grad : ndarray or None
        The accumulated gradient, same shape and dtype as ``value``, for a leaf with
        ``requires_grad=True``; None before the first ``backward()`` and after ``zero_grad()``.
        Intermediate tensors keep no gradient, as in PyTorch.
    requires_grad : bool
        True for a leaf created so, and for every result of an operation on such a tensor.
    name : str or None
        The label given.

    Raises
    ------
    TypeError
        If ``value`` is not a float array or list of numbers, ``requires_grad`` not a bool, or
        ``name`` not a string; if the operands of an operation have different dtypes.
    ValueError
        If ``value`` is empty or not finite; if operand shapes cannot be broadcast or multiplied;
        if an operation leaves its domain (``log`` of a value $\le 0$, division by 0) or overflows.

    Notes
    -----
    Each node $v$ of the graph computes $v = f(u_1, \dots, u_k)$ from its parents. Writing
    $\bar v = \partial L/\partial v$ for the gradient of the output $L$ (the *adjoint* of $v$),
    ``backward()`` seeds $\bar L = 1$ (or the ``gradient`` given) and visits the nodes in
    reverse topological order, so that every $\bar v$ is complete before it is passed on:

    $$
    \bar u_i \mathrel{+}= \bar v \, \frac{\partial f}{\partial u_i}
    \quad\text{for every parent } u_i \text{ of } v, \qquad\text{so that}\qquad
    \bar u = \sum_{v \,:\, u \to v} \bar v \, \frac{\partial v}{\partial u} .
    $$

    The sum runs over every use of $u$: a tensor used twice (``x * x``) receives both
    contributions. When an operand $x$ of shape $(d_1, \dots, d_n)$ was broadcast to the output
    shape, every output entry $y_i$ that read $x_j$ contributes to $\bar x_j$:

    $$
    \bar x_{j_1 \dots j_n} = \sum_{i \,:\, i_k = j_k \text{ wherever } d_k > 1} \bar y_{i_1 \dots i_n} .
    $$
    """

    # NumPy arrays defer to Tensor in `array + tensor`, so the result is a Tensor.
    __array_ufunc__ = None

    def __init__(self, value, requires_grad=False, name=None):
        array = as_float_array(value, "value")
        # a private copy: the backward pass reads it, so later edits of the caller's array
        # must not change the gradients
        self._value = array.copy()
        self.requires_grad = check_bool(requires_grad, "requires_grad")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string or None, got {type(name).__name__}")
        self.name = name
        self.grad: np.ndarray | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._op: str | None = None
        self._backward = None

    @classmethod
    def _result(cls, value: np.ndarray, parents: tuple[Tensor, ...], op: str) -> Tensor:
        """A node of the graph: the output of ``op`` applied to ``parents``."""
        out = cls.__new__(cls)
        out._value = _finite(np.asarray(value), op)  # NumPy reductions return scalars: keep 0-d arrays
        out.requires_grad = any(p.requires_grad for p in parents)
        out.name = None
        out.grad = None
        out._parents = parents
        out._op = op
        out._backward = None
        return out

    # ------------------------------------------------------------ plain attributes
    @property
    def value(self) -> np.ndarray:
        """The array held, as a read-only view (the backward pass relies on it)."""
        view = self._value.view()
        view.flags.writeable = False
        return view

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``value``."""
        return self._value.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``value``, float32 or float64."""
        return self._value.dtype

    @property
    def ndim(self) -> int:
        """The number of axes of ``value``."""
        return self._value.ndim

    @property
    def is_leaf(self) -> bool:
        """True for a tensor created by the user rather than by an operation."""
        return self._op is None

    @property
    def op(self) -> str | None:
        """The operation that produced this tensor (``"+"``, ``"@"``, ``"relu"``, …); None for a leaf."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from, in operand order; empty for a leaf."""
        return self._parents

    def item(self) -> float:
        """The single entry of a one-element tensor, as a Python float."""
        if self._value.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return float(self._value.reshape(-1)[0])

    def __repr__(self) -> str:
        parts = [f"shape={self.shape}", f"dtype={self.dtype.name}"]
        if self.name is not None:
            parts.insert(0, f"name={self.name!r}")
        if self._op is not None:
            parts.append(f"op={self._op!r}")
        if self.requires_grad:
            parts.append("requires_grad=True")
        return f"Tensor({', '.join(parts)})"

    def zero_grad(self) -> None:
        """Forget the accumulated gradient: ``grad`` becomes None."""
        self.grad = None

    # ------------------------------------------------------------ operands
    def _operand(self, other, op: str) -> Tensor:
        """``other`` as a Tensor of this tensor's dtype; a Python number becomes a constant."""
        if isinstance(other, Tensor):
            if other.dtype != self.dtype:
                raise TypeError(
                    f"operands of {op} must have the same dtype, got {self.dtype} and {other.dtype}"
                )
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, (bool, np.bool_)):
            # a Python number adapts to the tensor's dtype, as in NumPy 2 and PyTorch
            return Tensor(as_float_array(np.asarray(other, dtype=self.dtype), f"the other operand of {op}"))
        if isinstance(other, np.ndarray):
            return self._operand(Tensor(as_float_array(other, f"the other operand of {op}")), op)
        raise TypeError(f"the other operand of {op} must be a Tensor, an array or a real number, "
                        f"got {type(other).__name__}")

    def _broadcast_shape(self, other: Tensor, op: str) -> None:
        try:
            np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ValueError(
                f"operands of {op} cannot be broadcast together: shapes {self.shape} and {other.shape}"
                " (aligned from the right, each pair of lengths must be equal or one of them 1)"
            ) from None

    # ------------------------------------------------------------ arithmetic
    # --8<-- [start:arithmetic]
    def __add__(self, other) -> Tensor:
        a, b = self, self._operand(other, "+")
        a._broadcast_shape(b, "+")
        out = Tensor._result(tensors.broadcast_add(a._value, b._value), (a, b), "+")

        def backward(g):
            # ∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1, each summed back to its operand's shape
            return _unbroadcast(g, a.shape), _unbroadcast(g, b.shape)

        out._backward = backward
        return out

    def __sub__(self, other) -> Tensor:
        a, b = self, self._operand(other, "-")
        a._broadcast_shape(b, "-")
        out = Tensor._result(a._value - b._value, (a, b), "-")

        def backward(g):
            # ∂(a − b)/∂a = 1, ∂(a − b)/∂b = −1
            return _unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)

        out._backward = backward
        return out

    def __mul__(self, other) -> Tensor:
        a, b = self, self._operand(other, "*")
        a._broadcast_shape(b, "*")
        with np.errstate(over="ignore"):
            out = Tensor._result(a._value * b._value, (a, b), "*")

        def backward(g):
            # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
            return _unbroadcast(g * b._value, a.shape), _unbroadcast(g * a._value, b.shape)

        out._backward = backward
        return out

    def __truediv__(self, other) -> Tensor:
        a, b = self, self._operand(other, "/")
        a._broadcast_shape(b, "/")
        if np.any(b._value == 0.0):
            raise ValueError("the divisor of / holds zeros: division by zero")
        with np.errstate(over="ignore"):
            out = Tensor._result(a._value / b._value, (a, b), "/")

        def backward(g):
            # ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²
            with np.errstate(over="ignore"):
                grad_b = _finite(-g * a._value / (b._value * b._value), "the gradient of /")
            return _unbroadcast(g / b._value, a.shape), _unbroadcast(grad_b, b.shape)

        out._backward = backward
        return out

    def __neg__(self) -> Tensor:
        a = self
        out = Tensor._result(-a._value, (a,), "neg")

        def backward(g):
            # ∂(−a)/∂a = −1
            return (-g,)

        out._backward = backward
        return out

    def __matmul__(self, other) -> Tensor:
        a, b = self, self._operand(other, "@")
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
            raise ValueError(
                "operands of @ must be matrices (rank 2) with a.shape[1] == b.shape[0], "
                f"got shapes {a.shape} and {b.shape}"
            )
        out = Tensor._result(tensors.matrix_dot(a._value, b._value), (a, b), "@")

        def backward(g):
            # C = A·B:  ∂L/∂A = Ḡ·Bᵀ,  ∂L/∂B = Aᵀ·Ḡ
            return (
                tensors.matrix_dot(g, tensors.transpose(b._value)),
                tensors.matrix_dot(tensors.transpose(a._value), g),
            )

        out._backward = backward
        return out
    # --8<-- [end:arithmetic]

    # the operand on the left is a number or an array: same rules, other order
    def __radd__(self, other) -> Tensor:
        return self._operand(other, "+") + self

    def __rsub__(self, other) -> Tensor:
        return self._operand(other, "-") - self

    def __rmul__(self, other) -> Tensor:
        return self._operand(other, "*") * self

    def __rtruediv__(self, other) -> Tensor:
        return self._operand(other, "/") / self

    def __rmatmul__(self, other) -> Tensor:
        return self._operand(other, "@") @ self

    # ------------------------------------------------------------ reductions
    def _axes(self, axis) -> tuple[int, ...]:
        if axis is None:
            return tuple(range(self.ndim))
        items = axis if isinstance(axis, tuple) else (axis,)
        axes = []
        for item in items:
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
                raise TypeError(f"axis must be None, an integer or a tuple of integers, got {axis!r}")
            if not -self.ndim <= item < self.ndim:
                raise ValueError(f"axis {item} is out of range for a tensor of rank {self.ndim}")
            axes.append(int(item) % self.ndim)
        if len(set(axes)) != len(axes):
            raise ValueError(f"axis must not repeat an axis, got {axis!r}")
        return tuple(sorted(axes))

    # --8<-- [start:reductions]
    def sum(self, axis=None, keepdims=False) -> Tensor:
        r"""Sum over ``axis`` (an int, a tuple of ints, or None for every axis).

        The gradient of a sum is 1 for every summand: $\bar x$ is $\bar y$ repeated along the
        summed axes. ``keepdims=True`` keeps the summed axes with length 1, as in NumPy.
        """
        a, axes = self, self._axes(axis)
        keepdims = check_bool(keepdims, "keepdims")
        out = Tensor._result(np.sum(a._value, axis=axes, keepdims=keepdims), (a,), "sum")
        kept = tuple(1 if k in axes else n for k, n in enumerate(a.shape))

        def backward(g):
            # y = Σ_{summed axes} x:  ∂y/∂x = 1, so x̄ is ȳ repeated along the summed axes
            return (np.broadcast_to(g.reshape(kept), a.shape).copy(),)

        out._backward = backward
        return out

    def mean(self, axis=None, keepdims=False) -> Tensor:
        r"""Mean over ``axis`` (an int, a tuple of ints, or None for every axis).

        With $m$ the number of entries averaged, $\bar x$ is $\bar y / m$ repeated along the
        averaged axes.
        """
        a, axes = self, self._axes(axis)
        keepdims = check_bool(keepdims, "keepdims")
        count = int(np.prod([a.shape[k] for k in axes], dtype=np.int64))
        out = Tensor._result(np.mean(a._value, axis=axes, keepdims=keepdims), (a,), "mean")
        kept = tuple(1 if k in axes else n for k, n in enumerate(a.shape))

        def backward(g):
            # y = (1/m)·Σ x:  ∂y/∂x = 1/m for each of the m entries averaged
            return (np.broadcast_to(g.reshape(kept) / a.dtype.type(count), a.shape).copy(),)

        out._backward = backward
        return out
    # --8<-- [end:reductions]

    # ------------------------------------------------------------ element-wise functions
    # --8<-- [start:elementwise]
    def relu(self) -> Tensor:
        r"""$\max(x, 0)$ element by element; its derivative is taken as 0 at $x = 0$, as in PyTorch."""
        a = self
        out = Tensor._result(backprop.relu_forward(a._value), (a,), "relu")

        def backward(g):
            # ∂relu(a)/∂a = 1[a > 0]
            return (backprop.relu_backward(a._value, g),)

        out._backward = backward
        return out

    def exp(self) -> Tensor:
        r"""$e^x$ element by element; raises ``ValueError`` if it overflows the dtype."""
        a = self
        with np.errstate(over="ignore"):
            out = Tensor._result(np.exp(a._value), (a,), "exp")

        def backward(g):
            # ∂eᵃ/∂a = eᵃ, the output itself
            return (g * out._value,)

        out._backward = backward
        return out

    def log(self) -> Tensor:
        r"""The natural logarithm element by element; every entry must be $> 0$."""
        a = self
        if np.any(a._value <= 0.0):
            raise ValueError("log needs positive values, got an entry <= 0")
        out = Tensor._result(np.log(a._value), (a,), "log")

        def backward(g):
            # ∂log(a)/∂a = 1/a
            return (g / a._value,)

        out._backward = backward
        return out
    # --8<-- [end:elementwise]

    # ------------------------------------------------------------ shape changes
    def reshape(self, *shape) -> Tensor:
        """The same entries in a new shape (row-major order); one length may be -1."""
        a = self
        target = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        out = Tensor._result(tensors.reshape(a._value, tuple(target)), (a,), "reshape")

        def backward(g):
            # a reshape moves no entry in row-major order: x̄ is ȳ in x's shape
            return (g.reshape(a.shape),)

        out._backward = backward
        return out

    def transpose(self, axes=None) -> Tensor:
        """Permute the axes (default: reverse them; for a matrix, the transpose)."""
        a = self
        value = tensors.transpose(a._value, axes)
        order = tuple(range(a.ndim - 1, -1, -1)) if axes is None else tuple(k % a.ndim for k in axes)
        out = Tensor._result(value, (a,), "transpose")

        def backward(g):
            # axis k of y is axis σ(k) of x, so x̄ is ȳ permuted back by σ⁻¹
            return (tensors.transpose(g, tuple(int(k) for k in np.argsort(order))),)

        out._backward = backward
        return out

    @property
    def T(self) -> Tensor:
        """The transpose, ``transpose()`` with the axes reversed."""
        return self.transpose()

    # ------------------------------------------------------------ the backward pass
    def _topological_order(self) -> list[Tensor]:
        """Every node this tensor depends on through tensors that require grad, inputs first."""
        order: list[Tensor] = []
        visited: set[int] = set()
        # an explicit stack rather than recursion, so that a graph thousands of nodes deep works
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)  # appended after all its parents: post-order
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
        return order

    # --8<-- [start:backward]
    def backward(self, gradient=None) -> None:
        r"""Accumulate $\partial L/\partial x$ into ``grad`` of every leaf $x$ that requires grad.

        Parameters
        ----------
        gradient : array_like or None, optional
            $\bar L$, the gradient to start from, of this tensor's shape and dtype. May be left
            out only for a tensor with a single element, where it is 1.

        Raises
        ------
        ValueError
            If this tensor does not require grad, or has several elements and no ``gradient`` is
            given, or ``gradient`` has another shape or is not finite.
        TypeError
            If ``gradient`` is not a float array of this tensor's dtype.

        Notes
        -----
        Gradients accumulate: a second call adds to ``grad``, as in PyTorch; call ``zero_grad()``
        on the leaves in between to start afresh. The graph is kept (PyTorch frees it unless
        ``retain_graph=True``), so calling ``backward()`` twice is allowed.
        """
        if not self.requires_grad:
            raise ValueError("backward() needs a tensor that requires grad: create a leaf with "
                             "requires_grad=True and compute this tensor from it")
        seed = self._seed(gradient)
        adjoints = {id(self): seed}  # v̄ of every node reached so far, keyed by node
        for node in reversed(self._topological_order()):  # outputs before inputs
            g = adjoints.pop(id(node))  # v̄ is complete: every node using v came earlier
            if node.is_leaf:
                # leaves keep their gradient, added to what earlier backward() calls left
                node.grad = g.copy() if node.grad is None else node.grad + g
                continue
            for parent, parent_grad in zip(node._parents, node._backward(g)):
                if parent.requires_grad:
                    # ū ← ū + v̄·∂v/∂u: a node used several times sums what every use sends back
                    # (a new array, never +=: one local rule may return the same array twice)
                    previous = adjoints.get(id(parent))
                    adjoints[id(parent)] = parent_grad if previous is None else previous + parent_grad
    # --8<-- [end:backward]

    def _seed(self, gradient) -> np.ndarray:
        if gradient is None:
            if self._value.size != 1:
                raise ValueError(
                    f"backward() on a tensor of shape {self.shape} needs a gradient argument of that "
                    "shape: only a one-element output has the implicit gradient 1"
                )
            return np.ones_like(self._value)
        seed = as_float_array(gradient, "gradient")
        if isinstance(gradient, np.ndarray) and seed.dtype != self.dtype:
            raise TypeError(f"gradient must have the dtype of the tensor ({self.dtype}), got {seed.dtype}")
        seed = seed.astype(self.dtype, copy=False)
        if seed.shape != self.shape:
            raise ValueError(f"gradient must have the tensor's shape {self.shape}, got {seed.shape}")
        return seed

    # ------------------------------------------------------------ drawing the graph
    def to_svg(self) -> str:
        r"""Draw the computation graph that produced this tensor, as an SVG document.

        Tensors are boxes (name, shape, and the value and gradient of one-element tensors),
        operations are ellipses; arrows run from inputs to outputs. Leaves that require grad
        have a blue border, constants a dashed grey one. Pure Python string building: no
        graphviz needed.

        Returns
        -------
        str
            A standalone SVG document.
        """
        return _graph_svg(self)

    def draw(self, path) -> str:
        """Write ``to_svg()`` to the file ``path`` and return the SVG string.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write the drawing (conventionally a ``.svg`` file).

        Returns
        -------
        str
            The SVG document written.

        Raises
        ------
        TypeError
            If ``path`` is not a string or path.
        """
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a string or a pathlib.Path, got {type(path).__name__}")
        svg = self.to_svg()
        Path(path).write_text(svg, encoding="utf-8")
        return svg


# ---------------------------------------------------------------- layer-sized operations
def _as_tensor(value, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, list, tuple)):
        return Tensor(as_float_array(value, name))
    raise TypeError(f"{name} must be a Tensor or a float array, got {type(value).__name__}")


def _same_dtype(first: Tensor, *others: tuple[Tensor, str]) -> None:
    for other, name in others:
        if other.dtype != first.dtype:
            raise TypeError(f"{name} must have the dtype of x ({first.dtype}), got {other.dtype}")


def dense(x, kernel, bias) -> Tensor:
    r"""A dense layer $z = xW + b$ as one node of the graph, on the compiled loops of `backprop`.

    The same value as ``x @ kernel + bias`` (two nodes), computed by
    :func:`glossary_dl.backprop.dense_forward`; its backward rule is
    :func:`glossary_dl.backprop.dense_backward`.

    Parameters
    ----------
    x : Tensor or array of float32/float64, shape (N, n_in)
        The inputs, one sample per row.
    kernel : Tensor or array, shape (n_in, n_out)
        The weight matrix $W$ (Keras layout), dtype of ``x``.
    bias : Tensor or array, shape (n_out,)
        The bias $b$, dtype of ``x``.

    Returns
    -------
    Tensor, shape (N, n_out)
        $z$; it requires grad if any input does.

    Raises
    ------
    TypeError
        If an argument is not a Tensor or float array, or the dtypes differ.
    ValueError
        If the shapes do not match.

    Notes
    -----
    $$
    z = xW + b, \qquad \bar x = \bar z W^\top, \quad \bar W = x^\top \bar z, \quad
    \bar b = \sum_n \bar z_n .
    $$
    """
    x, kernel, bias = _as_tensor(x, "x"), _as_tensor(kernel, "kernel"), _as_tensor(bias, "bias")
    _same_dtype(x, (kernel, "kernel"), (bias, "bias"))
    out = Tensor._result(backprop.dense_forward(x._value, kernel._value, bias._value), (x, kernel, bias), "dense")

    def backward(g):
        # x̄ = z̄·Wᵀ, W̄ = xᵀ·z̄, b̄ = Σ_n z̄_n
        return backprop.dense_backward(x._value, kernel._value, g)

    out._backward = backward
    return out


def softmax_cross_entropy(logits, labels) -> Tensor:
    r"""The batch mean of the softmax cross-entropy of integer labels, as one node of the graph.

    Value and gradient come from :func:`glossary_dl.backprop.softmax_cross_entropy`, which
    evaluates the log-sum-exp stably. The labels are data, not a node: they get no gradient.

    Parameters
    ----------
    logits : Tensor or array of float32/float64, shape (N, C)
        The scores $z$.
    labels : array_like of int, shape (N,)
        The classes $y_n \in \{0, \dots, C-1\}$.

    Returns
    -------
    Tensor, shape ()
        The loss $L$; it requires grad if ``logits`` does.

    Raises
    ------
    TypeError
        If ``logits`` is not a Tensor or float array, or ``labels`` not integers.
    ValueError
        If the shapes do not match or a label is out of range.

    Notes
    -----
    $$
    L = \frac{1}{N} \sum_{n=1}^{N} \Big( \log \sum_c e^{z_{n,c}} - z_{n,y_n} \Big), \qquad
    \bar z_{n,c} = \bar L \, \frac{\operatorname{softmax}(z_n)_c - 1[c = y_n]}{N} .
    $$
    """
    logits = _as_tensor(logits, "logits")
    labels = as_label_array(labels, "labels", ndim=1)
    loss, grad = backprop.softmax_cross_entropy(logits._value, labels)
    out = Tensor._result(np.asarray(loss, dtype=logits.dtype), (logits,), "softmax CE")

    def backward(g):
        # ∂L/∂z = (softmax(z) − onehot(y)) / N, scaled by the incoming scalar L̄
        return (g * grad,)

    out._backward = backward
    return out


# ---------------------------------------------------------------- the drawing
_OP_LABELS = {"+": "+", "-": "−", "*": "×", "/": "÷", "@": "@", "neg": "−x"}
_FONT = 12  # px; an average character of the sans-serif font is about 0.6 of it wide
_CHAR = 0.6 * _FONT
_LINE = 16  # px between text lines
_GAP_X, _GAP_Y, _PAD = 36, 18, 10


def _box_lines(t: Tensor) -> list[str]:
    lines = [t.name if t.name is not None else ("tensor" if t.is_leaf else "")]
    shape = "scalar" if t.ndim == 0 else "×".join(str(n) for n in t.shape)
    lines.append(f"{shape} {t.dtype.name}")
    if t._value.size == 1:
        lines.append(f"value {t.item():.4g}")
        if t.grad is not None:
            lines.append(f"grad {float(t.grad.reshape(-1)[0]):.4g}")
    return [line for line in lines if line]


def _graph_svg(root: Tensor) -> str:
    # every node the root depends on (constants included), inputs first
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node._parents) if id(p) not in seen)
    # columns: a leaf in column 0; an operation one column right of its deepest input, and its
    # output tensor one further
    column: dict[int, int] = {}
    for node in order:
        column[id(node)] = 0 if node.is_leaf else 2 + max(column[id(p)] for p in node._parents)
    # a leaf moves right, next to the first operation that reads it, so no arrow crosses a column
    first_use: dict[int, int] = {}
    for node in order:
        for parent in node._parents:
            if parent.is_leaf:
                first_use[id(parent)] = min(first_use.get(id(parent), column[id(node)]), column[id(node)])
    for key, used_at in first_use.items():
        column[key] = used_at - 2
    # every item to place: ("tensor", node) in its column, ("op", node) one column to its left
    items: list[tuple[str, Tensor, int]] = []
    for node in order:
        if not node.is_leaf:
            items.append(("op", node, column[id(node)] - 1))
        items.append(("tensor", node, column[id(node)]))
    size: dict[tuple[str, int], tuple[float, float]] = {}
    for kind, node, _ in items:
        if kind == "tensor":
            lines = _box_lines(node)
            size[(kind, id(node))] = (max(len(s) for s in lines) * _CHAR + 2 * _PAD, len(lines) * _LINE + _PAD)
        else:
            label = _OP_LABELS.get(node._op, node._op)
            size[(kind, id(node))] = (max(len(label) * _CHAR + 2 * _PAD, 34.0), 28.0)
    n_columns = max(c for _, _, c in items) + 1
    widths = [0.0] * n_columns
    heights = [0.0] * n_columns
    for kind, node, c in items:
        w, h = size[(kind, id(node))]
        widths[c] = max(widths[c], w)
        heights[c] += h + _GAP_Y
    total_height = max(heights) + _GAP_Y
    left = [_GAP_Y + sum(widths[:c]) + _GAP_X * c for c in range(n_columns)]
    total_width = left[-1] + widths[-1] + _GAP_Y
    # centre of every item: columns stacked top-down, each column centred vertically
    centre: dict[tuple[str, int], tuple[float, float]] = {}
    filled = [(total_height - heights[c] + _GAP_Y) / 2 for c in range(n_columns)]
    for kind, node, c in items:
        w, h = size[(kind, id(node))]
        centre[(kind, id(node))] = (left[c] + widths[c] / 2, filled[c] + h / 2)
        filled[c] += h + _GAP_Y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" height="{total_height:.0f}" '
        f'viewBox="0 0 {total_width:.0f} {total_height:.0f}" font-family="sans-serif" font-size="{_FONT}">',
        '<defs><marker id="autodiff-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
    ]

    def edge(start: tuple[str, int], end: tuple[str, int]) -> None:
        (x1, y1), (x2, y2) = centre[start], centre[end]
        x1 += size[start][0] / 2
        x2 -= size[end][0] / 2
        # level with the source until just before the target, then an S-bend into it: an arrow
        # that skips columns runs beside the boxes between rather than through them
        bend = min(x2 - x1, 40.0)
        parts.append(
            f'<path d="M{x1:.1f},{y1:.1f} L{x2 - bend:.1f},{y1:.1f} C{x2 - bend / 2:.1f},{y1:.1f} '
            f'{x2 - bend / 2:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" fill="none" stroke="#555" '
            'marker-end="url(#autodiff-arrow)"/>'
        )

    for kind, node, _ in items:
        if kind == "op":
            for parent in node._parents:
                edge(("tensor", id(parent)), ("op", id(node)))
            edge(("op", id(node)), ("tensor", id(node)))
    for kind, node, _ in items:
        key = (kind, id(node))
        (cx, cy), (w, h) = centre[key], size[key]
        if kind == "op":
            parts.append(f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" '
                         'fill="#fff3d6" stroke="#b07d00"/>')
            label = escape(_OP_LABELS.get(node._op, node._op))
            parts.append(f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle">{label}</text>')
            continue
        if node.is_leaf and node.requires_grad:
            style = 'fill="#e3edff" stroke="#2b5cd6" stroke-width="2"'
        elif node.is_leaf:
            style = 'fill="#f2f2f2" stroke="#888" stroke-dasharray="4 3"'
        else:
            style = 'fill="#ffffff" stroke="#333"'
        parts.append(f'<rect x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" '
                     f'rx="5" {style}/>')
        lines = _box_lines(node)
        top = cy - h / 2 + _PAD / 2 + _LINE - 4
        for k, line in enumerate(lines):
            weight = ' font-weight="bold"' if k == 0 and node.name is not None else ""
            parts.append(f'<text x="{cx:.1f}" y="{top + k * _LINE:.1f}" text-anchor="middle"{weight}>'
                         f"{escape(line)}</text>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
