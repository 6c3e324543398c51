"""The package as a reader gets it: this checkout's wheel, installed alone in a fresh virtual
environment outside the repository.

The fixtures are registered in ``tests/conftest.py``, so any test can ask for them. All are
session-scoped: the wheel is built once per test run, and each environment made once::

    def test_bare(wheel_env, tmp_path):          # the wheel alone: numpy and numba its only deps
        done = wheel_env.run(["-m", "glossary_dl", "list"], cwd=tmp_path)  # its python, in tmp_path
        wheel_env.python, wheel_env.bin, wheel_env.wheel  # interpreter, console scripts, the wheel

    def test_with_extras(wheel_env_factory):     # the same wheel with extras, in its own venv
        env = wheel_env_factory("oracles", "notebooks")

Never install into ``wheel_env`` itself: other tests rely on it holding the package alone; ask
the factory for an environment with the extras instead (one venv per set of extras, cached).
The wheel is the one the site serves (``python -m build`` in the site's hook); everything is installed with
``-c requirements/constraints.txt`` (the pinned versions, pip's cache warm).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"


@dataclass(frozen=True)
class WheelEnv:
    venv: Path
    wheel: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def pip(self, *args: str) -> None:
        # pip's default byte-compiling, as a reader's install does: with PYTHONDONTWRITEBYTECODE
        # set (some machines set it) an install without it compiles every module at every import
        _check([str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "-c", str(CONSTRAINTS), *args])

    def install(self, *extras: str) -> None:
        """Install the wheel with ``extras`` (``install("oracles")``) into this environment."""
        self.pip(f"glossary-dl[{','.join(extras)}] @ {self.wheel.as_uri()}")

    def environ(self, **extra: str) -> dict[str, str]:
        """A clean environment for a child: this venv first on PATH, nothing of the checkout."""
        env = {key: value for key, value in os.environ.items()
               if key not in ("PYTHONPATH", "VIRTUAL_ENV", "NO_COLOR", "PYTHONHOME")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return {**env, **extra}

    def run(self, args: list[str], cwd: Path, *, timeout: float = 600, env: dict | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
        """Run this environment's python with ``args`` in ``cwd``; text output captured."""
        return subprocess.run([str(self.python), *args], cwd=cwd, env=env or self.environ(), input=input,
                              capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def build_wheel() -> Path:
    """The wheel the site serves: the site's build hook makes it (``python -m build``), once per
    state of the source (docs/_hooks/reader.py)."""
    sys.path.insert(0, str(ROOT / "docs" / "_hooks"))
    from reader import built_distributions, wheel_name

    (wheel,) = built_distributions((wheel_name(),))
    return wheel


def make_env(folder: Path, wheel: Path, extras: tuple[str, ...] = ()) -> WheelEnv:
    """A fresh virtual environment in ``folder`` with ``wheel`` (and its ``extras``) installed."""
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    env = WheelEnv(venv=folder, wheel=wheel)
    env.install(*extras) if extras else env.pip(str(wheel))
    return env


@pytest.fixture(scope="session")
def wheel() -> Path:
    """This checkout's wheel, the one the site serves."""
    return build_wheel()


@pytest.fixture(scope="session")
def wheel_env_factory(tmp_path_factory, wheel):
    """``factory(*extras)``: the wheel with those extras in a venv of its own, made once per set."""
    made: dict[tuple[str, ...], WheelEnv] = {}

    def factory(*extras: str) -> WheelEnv:
        key = tuple(sorted(set(extras)))
        if key not in made:
            folder = tmp_path_factory.mktemp("venv-" + ("-".join(key) or "bare"))
            made[key] = make_env(folder, wheel, key)
        return made[key]

    return factory


@pytest.fixture(scope="session")
def wheel_env(wheel_env_factory) -> WheelEnv:
    """This checkout's wheel installed alone (numpy and numba its only dependencies)."""
    return wheel_env_factory()


def _check(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path.home())
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
