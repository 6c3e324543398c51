"""The package as a reader gets it: this checkout's wheel, installed alone in a fresh virtual
environment outside the repository.

Use it from a test module with ``from wheel_env import wheel_env  # noqa: F401``; the fixture is
session-scoped, so the wheel is built and the environment made once per test run::

    def test_something(wheel_env, tmp_path):
        done = wheel_env.run(["-m", "glossary_dl", "list"], cwd=tmp_path)  # its python, in tmp_path
        wheel_env.install("oracles")       # pip-install extras of the same wheel into it
        wheel_env.python, wheel_env.wheel  # the environment's interpreter, the wheel file

The wheel is built with ``pip wheel . --no-deps``; everything is installed with
``-c requirements/constraints.txt`` (the pinned versions, pip's cache warm). ``bin`` holds the
console scripts (``wheel_env.bin / "glossary-dl"``).
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
        _check([str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "-c", str(CONSTRAINTS), *args])

    def install(self, *extras: str) -> None:
        """Install the wheel's extras (``install("oracles")``) into this environment."""
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


def build_wheel(out: Path) -> Path:
    _check([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
            "-w", str(out), str(ROOT)])
    (wheel,) = out.glob("glossary_dl-*.whl")
    return wheel


def make_env(folder: Path, wheel: Path) -> WheelEnv:
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    env = WheelEnv(venv=folder, wheel=wheel)
    env.pip(str(wheel))
    return env


@pytest.fixture(scope="session")
def wheel_env(tmp_path_factory) -> WheelEnv:
    """This checkout's wheel installed alone (numpy and numba its only dependencies)."""
    base = tmp_path_factory.mktemp("wheel-env")
    return make_env(base / "venv", build_wheel(base / "dist"))


def _check(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path.home())
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
