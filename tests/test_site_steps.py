"""The site's steps before and after the generator (``python -m glossary_site``), on their own.

- figures: each ``_figures/<name>.py`` drawn into ``figures/<name>.svg``, again only when its
  script (or the library) changed, and removed with its script;
- the built-site check: exit status 1 and the page named when a page loads from another host.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from glossary_site import __main__ as steps
from glossary_site.figures import FigureError, draw_figures

FIGURE = """
import matplotlib.pyplot as plt

def make_figure():
    figure, axes = plt.subplots(figsize=(2, 1))
    axes.plot([0, 1], [0, {top}])
    return figure
"""


def _docs(tmp_path, **scripts):
    (tmp_path / "_figures").mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        (tmp_path / "_figures" / f"{name}.py").write_text(text)
    return tmp_path


def test_figures_are_drawn_once_per_state_of_their_script(tmp_path):
    docs = _docs(tmp_path, line=FIGURE.format(top=1), other=FIGURE.format(top=2))
    line, other = draw_figures(docs)
    assert line == docs / "figures" / "line.svg" and line.read_bytes().startswith(b"<?xml")
    assert b"<text" not in line.read_bytes()  # text drawn as paths: the SVG needs no font
    before = {path: path.stat().st_mtime_ns for path in (line, other)}
    drawn = line.read_bytes()
    draw_figures(docs)
    assert {path: path.stat().st_mtime_ns for path in (line, other)} == before
    _docs(docs, line=FIGURE.format(top=3))
    draw_figures(docs)
    assert line.read_bytes() != drawn and other.stat().st_mtime_ns == before[other]
    (docs / "_figures" / "other.py").unlink()
    assert draw_figures(docs) == [line] and not other.exists()


def test_a_figure_script_without_make_figure_is_refused(tmp_path):
    docs = _docs(tmp_path, broken="x = 1\n")
    with pytest.raises(FigureError, match="broken.py: a figure script must define make_figure"):
        draw_figures(docs)


def test_the_check_step_names_the_page_that_loads_from_another_host(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<p>fine</p><img src="https://example.org/x.png">')
    (tmp_path / "b.html").write_text("<p>fine</p>")
    assert steps.main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == 'a/index.html: loads an asset from another host: <img src="https://example.org/x.png">'
    (tmp_path / "a" / "index.html").write_text("<p>fine</p>")
    assert steps.main(["check", str(tmp_path)]) == 0


def test_the_steps_run_as_a_module(tmp_path):
    docs = _docs(tmp_path / "docs", line=FIGURE.format(top=1))
    run = subprocess.run([sys.executable, "-m", "glossary_site", "figures", str(docs)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"1 figures in {docs / 'figures'}"
    missing = subprocess.run([sys.executable, "-m", "glossary_site", "check", str(tmp_path / "site")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no such folder" in missing.stderr
