"""The figures, drawn before a build: ``docs/_figures/<name>.py`` → ``docs/figures/<name>.svg``.

Each script defines ``make_figure()``, returning a matplotlib figure computed with the library's
own code (no network, fixed seeds). The SVGs are generated, not committed (``.gitignore``); one is
drawn again only when its script or the library's source changed (the digest of both is kept
beside the SVGs in ``.digests.json``), and an SVG whose script is gone is removed.

Run ``python -m glossary_site figures docs`` before a build; the MkDocs hook calls
``draw_figures`` too, so ``mkdocs build`` alone draws them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
from pathlib import Path

import glossary_dl

DIGESTS = ".digests.json"


class FigureError(ValueError):
    """A figure script that cannot be drawn."""


def draw_figures(docs_dir: Path) -> list[Path]:
    """Draw every figure script of ``docs_dir/_figures`` whose SVG is missing or stale; the SVGs."""
    scripts = sorted((Path(docs_dir) / "_figures").glob("*.py"))
    out = Path(docs_dir) / "figures"
    out.mkdir(exist_ok=True)
    known = _read_digests(out)
    library = _library_digest()
    digests = {}
    for script in scripts:
        digest = hashlib.sha256(library.encode() + script.read_bytes()).hexdigest()[:16]
        svg = out / f"{script.stem}.svg"
        if known.get(script.stem) != digest or not svg.is_file():
            svg.write_bytes(draw(script))
        digests[script.stem] = digest
    for svg in out.glob("*.svg"):
        if svg.stem not in digests:
            svg.unlink()
    (out / DIGESTS).write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return [out / f"{script.stem}.svg" for script in scripts]


def _read_digests(out: Path) -> dict[str, str]:
    try:
        return json.loads((out / DIGESTS).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _library_digest() -> str:
    """The library's source: a figure is computed with it, so a change redraws every figure."""
    package = Path(glossary_dl.__file__).parent
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*.py")):
        digest.update(file.relative_to(package).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def draw(script: Path) -> bytes:
    """The SVG of one figure script."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = importlib.util.spec_from_file_location(f"_figure_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "make_figure"):
        raise FigureError(f"{script}: a figure script must define make_figure()")
    # Text as paths: the SVG needs no font from anywhere. A fixed hash salt
    # keeps the output byte-identical from build to build.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": script.stem}):
        figure = module.make_figure()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()
