"""Shared test set-up.

Keras 3 must run on the torch backend (no TensorFlow here), and that choice
has to be made before keras is first imported anywhere in the session.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

FLOAT_DTYPES = [np.float64, np.float32]
SEEDS = [0, 1, 2]


@pytest.fixture(params=FLOAT_DTYPES, ids=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def rng(request):
    return np.random.default_rng(request.param)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The built site: the one scripts/test.sh just built, or a fresh strict build."""
    given = os.environ.get("GLOSSARY_SITE_DIR")
    if given and (Path(given) / "index.html").is_file():
        return Path(given)
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT, check=True, capture_output=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return target


# ---------------------------------------------------------------- verification record (plugin)
# The ``verifies`` marker, docs/_registry/verification.json and the session summary of the
# hostile-input cases live in tests/verification_record.py; its hooks are registered here.
from verification_record import (  # noqa: E402,F401
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
