"""Shared test set-up.

Keras 3 must run on the torch backend (no TensorFlow here), and that choice
has to be made before keras is first imported anywhere in the session.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

FLOAT_DTYPES = [np.float64, np.float32]
SEEDS = [0, 1, 2]


@pytest.fixture(params=FLOAT_DTYPES, ids=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def rng(request):
    return np.random.default_rng(request.param)
