"""pytest plugin: the record of what each implementation is verified against.

A test that compares an implementation with an oracle (or checks its gradient by finite
differences) carries a marker::

    @pytest.mark.verifies("glossary_dl.losses.binary_crossentropy", oracle="torch",
                          dtypes=("float64", "float32"), rtol=1e-12)

``oracle`` is one of ``ORACLES`` (``"finite differences"`` marks a gradient check). Every
collected item (each parametrisation) with the marker is one case. The record,
``docs/_registry/verification.json``, is built from the collected items: per implementation,
per oracle, the tests, number of cases, dtypes, the loosest tolerance, and the oracle's
installed version. ``site_machinery/glossary_site/verified.py`` renders it on every page. When one test covers several
implementations through a parametrisation, ``param="name", names={"mse": (...), ...}`` maps the
parameter's value (a string, or a class/function by its ``__name__``) to the implementations;
dtypes come from ``dtypes=`` or from a ``dtype`` parameter/fixture.

- ``GLOSSARY_WRITE_VERIFICATION=1 python -m pytest tests --collect-only -q`` rewrites the file;
- ``tests/test_hostile.py::test_verification_record_is_current`` fails when the committed file
  differs from what this session collected (for the test files the session collected), so the
  file cannot go stale; the session summary lists any failed verifying test.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "docs" / "_registry" / "verification.json"
# oracle name -> the distribution whose version is recorded (None: no library)
ORACLES = {
    "torch": "torch",
    "keras": "keras",
    "sklearn": "scikit-learn",
    "numpy": "numpy",
    "numba": "numba",
    "finite differences": None,
}
_STATE: dict = {"record": None, "files": set(), "failed": []}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "verifies(*names, oracle, dtypes=(), rtol=None, atol=None): this test checks the named "
        "implementations against an oracle; recorded in docs/_registry/verification.json",
    )


def _version(oracle: str) -> str | None:
    dist = ORACLES[oracle]
    return None if dist is None else metadata.version(dist)


def build_record(items) -> tuple[dict, set[str]]:
    """The record for these items, and the set of test files they come from."""
    record: dict = {}
    files: set[str] = set()
    for item in items:
        path = Path(str(item.fspath)).resolve()
        try:
            rel = path.relative_to(ROOT).as_posix()
        except ValueError:
            continue
        if not rel.startswith("tests/test_"):
            continue
        files.add(rel)
        for mark in item.iter_markers("verifies"):
            oracle = mark.kwargs.get("oracle")
            if oracle not in ORACLES:
                raise pytest.UsageError(f"{item.nodeid}: verifies(oracle=...) must be one of {sorted(ORACLES)}")
            params = getattr(getattr(item, "callspec", None), "params", {})
            names = list(mark.args)
            if "param" in mark.kwargs:  # the implementation is chosen by a parametrisation
                value = params[mark.kwargs["param"]]
                key = value if isinstance(value, str) else getattr(value, "__name__", type(value).__name__)
                names += list(mark.kwargs["names"].get(key, ()))
            if not names:
                if "param" in mark.kwargs:
                    continue
                raise pytest.UsageError(f"{item.nodeid}: verifies() needs the implementation names")
            dtypes = [str(d) for d in mark.kwargs.get("dtypes", ())]
            if not dtypes and "dtype" in params:
                dtypes = [np.dtype(params["dtype"]).name]
            test = f"{rel}::{item.originalname or item.name}"
            for name in names:
                check = record.setdefault(name, {}).setdefault(oracle, {
                    "oracle": oracle, "version": _version(oracle), "tests": [], "cases": 0,
                    "dtypes": [], "rtol": None, "atol": None, "files": [],
                })
                check["cases"] += 1
                if test not in check["tests"]:
                    check["tests"].append(test)
                if rel not in check["files"]:
                    check["files"].append(rel)
                for dtype in dtypes:
                    if dtype not in check["dtypes"]:
                        check["dtypes"].append(dtype)
                for key in ("rtol", "atol"):  # a number, or {dtype: number}; the loosest is kept
                    value = mark.kwargs.get(key)
                    if value is None:
                        continue
                    value = dict(value) if isinstance(value, dict) else {d: value for d in (dtypes or ["all"])}
                    merged = dict(check[key] or {})
                    for d, v in value.items():
                        merged[d] = max(merged.get(d, v), v)
                    check[key] = merged
    for checks in record.values():
        for check in checks.values():
            check["tests"].sort()
            check["files"].sort()
            check["dtypes"].sort(reverse=True)  # float64 before float32
    return {name: [checks[o] for o in sorted(checks)] for name, checks in sorted(record.items())}, files


def dump(record: dict) -> str:
    return json.dumps(record, indent=1, sort_keys=True) + "\n"


def restrict(record: dict, files: set[str]) -> dict:
    """The part of a record made by tests in these files."""
    out = {}
    for name, checks in record.items():
        kept = [c for c in checks if set(c["files"]) <= files]
        if kept:
            out[name] = kept
    return out


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect: the record is about what exists
def pytest_collection_modifyitems(session, config, items):
    record, files = build_record(items)
    _STATE["record"], _STATE["files"] = record, files


def pytest_runtest_logreport(report):
    if report.failed and report.when == "call" and "verifies" in report.keywords:
        _STATE["failed"].append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("GLOSSARY_WRITE_VERIFICATION") == "1" and _STATE["record"] is not None:
        RECORD.write_text(dump(_STATE["record"]), encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    import sys

    hostile = sys.modules.get("test_hostile")  # only when the hostile tests were collected
    CASES = hostile.CASES if hostile else {"count": 0}
    if CASES["count"]:
        terminalreporter.write_line(f"hostile input: {CASES['count']} generated cases run")
    if _STATE["failed"]:
        terminalreporter.write_line(
            "verification record: these verifying tests FAILED, the record claims checks that do not pass: "
            + ", ".join(_STATE["failed"])
        )


def current() -> tuple[dict | None, set[str]]:
    return _STATE["record"], _STATE["files"]
