"""Shared test set-up.

Keras 3 must run on the torch backend (no TensorFlow here), and that choice
has to be made before keras is first imported anywhere in the session.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# The wheel of this checkout in fresh virtual environments (tests/wheel_env.py): defined once here,
# so that every module shares one wheel and one environment per set of extras.
from wheel_env import wheel, wheel_env, wheel_env_factory  # noqa: E402,F401

FLOAT_DTYPES = [np.float64, np.float32]
SEEDS = [0, 1, 2]


@pytest.fixture(params=FLOAT_DTYPES, ids=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def rng(request):
    return np.random.default_rng(request.param)


def _wait_for_site_build(status_file: Path, timeout_s: float = 1800.0) -> None:
    """Wait for scripts/test.sh's strict build (run beside the tests) to end; fail if it failed."""
    deadline = time.monotonic() + timeout_s
    while not status_file.is_file():  # test.sh moves the exit status into place when mkdocs ends
        if time.monotonic() > deadline:
            pytest.fail(f"the site build did not end within {timeout_s:.0f} s", pytrace=False)
        time.sleep(0.5)
    status = status_file.read_text(encoding="utf-8").strip()
    if status != "0":
        log = os.environ.get("GLOSSARY_SITE_BUILD_LOG", "the build log")
        pytest.fail(f"mkdocs build --strict failed (exit status {status}): see {log}", pytrace=False)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The built site: the one scripts/test.sh builds beside the tests, or a fresh strict build."""
    given = os.environ.get("GLOSSARY_SITE_DIR")
    status_file = os.environ.get("GLOSSARY_SITE_BUILD_STATUS")
    if given and status_file:
        _wait_for_site_build(Path(status_file))
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
    pytest_collection_modifyitems as _record_collected_items,
    pytest_configure,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)


# Modules that scripts/test.sh runs in the built site's process, after its tests (marked
# ``after_site``): the browser tests end before the other process, and these fill the gap.
AFTER_SITE_MODULES = {"test_convolutions", "test_autodiff"}


@pytest.hookimpl(tryfirst=True)  # the record is made before -k/-m deselect (see the plugin)
def pytest_collection_modifyitems(session, config, items):
    _record_collected_items(session, config, items)
    # The modules that use the built site run last, each in its own order: scripts/test.sh
    # builds the site while the other tests run, and site_dir waits for that build.
    # Each of their tests is marked ``built_site``: scripts/test.sh runs them in a process of their
    # own (``-m built_site``), beside the rest (``-m "not built_site"``).
    site_modules = {item.module for item in items
                    if "site_dir" in getattr(item, "fixturenames", ()) and getattr(item, "module", None)}
    for item in items:
        module = getattr(item, "module", None)
        if module in site_modules:
            item.add_marker(pytest.mark.built_site)
        elif module is not None and module.__name__.rsplit(".", 1)[-1] in AFTER_SITE_MODULES:
            item.add_marker(pytest.mark.after_site)
    items.sort(key=lambda item: getattr(item, "module", None) in site_modules)  # stable sort
