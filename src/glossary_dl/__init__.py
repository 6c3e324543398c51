"""glossary-dl: deep-learning terms with numba-jitted reference implementations.

Each concept family is one module::

    from glossary_dl import losses, optimizers, kernels, backprop

Submodules are not imported here, so ``import glossary_dl`` stays cheap.
"""

__version__ = "0.1.0"

__all__ = ["activations", "autodiff", "backprop", "calculus", "convolutions", "datasets", "hardware", "initializers", "kernels", "layers", "losses", "models", "normalization", "optimizers", "residual", "tensors", "training", "trees"]
