"""The reader's path: the wheel the site serves, installed alone in a fresh environment outside the
repository, runs every page block from an empty folder and prints what the page shows.

1. The package alone: every block without a "Needs …" line runs as a script.
2. Then the light extras: every term page's notebook, made by the site's own generator, runs in
   a kernel of that environment, and each cell prints what its block's page shows.

A block whose "Needs" line does not match its imports fails here (it cannot run with the package
alone), and so does a block whose imports no light extra provides (the site build refuses it too).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))
from glossary_site.page_blocks import NeedsError, blocks_of_text, light_extras, needs_of, page_blocks, site_pages  # noqa: E402
from glossary_site.page_notebooks import page_notebook  # noqa: E402

pytestmark = pytest.mark.reader_path

SITE_URL = "http://127.0.0.1:8000/"
WHEEL_URL = SITE_URL + "downloads/glossary_dl-0.1.0-py3-none-any.whl"
# Variables of the test run that a reader's shell does not have.
NOT_THE_READERS = ("PYTHONPATH", "KERAS_BACKEND", "VIRTUAL_ENV", "NUMBA_DISABLE_JIT", "PYTEST_CURRENT_TEST",
                   "COVERAGE_PROCESS_START", "GLOSSARY_SITE_DIR")


def all_blocks():
    return [block for page in site_pages(DOCS) for block in page_blocks(page, DOCS)]


def as_reader(environment, home: Path) -> dict:
    """How a reader's shell runs ``environment`` (a tests/wheel_env.py WheelEnv): its python first
    on PATH, a home of its own, none of the test run's variables."""
    env = {key: value for key, value in environment.environ(HOME=str(home), MPLBACKEND="Agg").items()
           if key not in NOT_THE_READERS}
    return {"python": environment.python, "wheel": environment.wheel, "env": env, "home": home}


@pytest.fixture(scope="module")
def reader_env(wheel_env, tmp_path_factory):
    """The site's wheel installed alone in a fresh virtual environment outside the repository."""
    return as_reader(wheel_env, tmp_path_factory.mktemp("reader-home"))


@pytest.fixture(scope="module")
def reader_env_with_extras(wheel_env_factory, tmp_path_factory):
    """The same wheel with the light extras, in a fresh environment of its own."""
    return as_reader(wheel_env_factory("oracles", "notebooks"), tmp_path_factory.mktemp("reader-home"))


# Runs one page's blocks in the reader's interpreter: each block in a fresh namespace, from a fresh
# empty folder, its stdout captured, as pytest-codeblocks runs a block. One process per page, not
# per block: a block still sees nothing another defined, and the interpreter starts 40 times, not 105.
RUNNER = r"""
import contextlib, io, json, os, sys, tempfile, traceback
results = []
for code in json.load(sys.stdin):
    os.chdir(tempfile.mkdtemp(prefix="block-"))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<block>", "exec"), {"__name__": "__main__"})
        results.append({"stdout": out.getvalue(), "error": None})
    except BaseException:
        results.append({"stdout": out.getvalue(), "error": traceback.format_exc()[-1500:]})
json.dump(results, sys.__stdout__)
"""


def _run_page_blocks(blocks, reader_env, folder: Path) -> list[str]:
    """Run one page's blocks as a reader pastes them; the problems found."""
    python = [b for b in blocks if b.language == "python"]
    run = subprocess.run([str(reader_env["python"]), "-c", RUNNER], input=json.dumps([b.code for b in python]),
                         cwd=folder, env=reader_env["env"], capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        return [f"{python[0].page}: the block runner failed\n{run.stderr[-2000:]}"]
    problems = []
    for block, result in zip(python, json.loads(run.stdout)):
        if result["error"]:
            problems.append(f"{block.where}: {result['error']}")
        elif block.expected_output is not None and result["stdout"] != block.expected_output:
            problems.append(f"{block.where}: printed\n{result['stdout']}\nbut the page shows\n{block.expected_output}")
    for block in (b for b in blocks if b.language != "python"):
        shell = subprocess.run(["bash", "-c", block.code], cwd=folder, env=reader_env["env"],
                               capture_output=True, text=True, timeout=600)
        if shell.returncode != 0:
            problems.append(f"{block.where}: exit status {shell.returncode}\n{shell.stderr[-1500:]}")
        elif block.expected_output is not None and shell.stdout != block.expected_output:
            problems.append(f"{block.where}: printed\n{shell.stdout}\nbut the page shows\n{block.expected_output}")
    return problems


def test_every_block_without_a_needs_line_runs_with_the_package_alone(reader_env, tmp_path):
    installed = subprocess.run([str(reader_env["python"]), "-m", "pip", "list", "--format=json"],
                               capture_output=True, text=True, check=True)
    names = {package["name"].lower() for package in json.loads(installed.stdout)}
    assert {"glossary-dl", "numpy", "numba"} <= names and not names & {"torch", "keras", "scikit-learn", "matplotlib"}

    extras = light_extras()
    plain = [b for b in all_blocks() if not b.skip_reason and not needs_of(b, extras)]
    by_page = {}
    for block in plain:
        by_page.setdefault(block.page, []).append(block)
    folders = [tmp_path / f"page{i}" for i in range(len(by_page))]
    for folder in folders:
        folder.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for found in pool.map(lambda args: _run_page_blocks(*args), 
                                            [(blocks, reader_env, folder) for blocks, folder in zip(by_page.values(), folders)])
                    for p in found]
    print(f"reader's path, package alone: {len(plain)} blocks of {len(by_page)} pages run, {len(problems)} failed")
    assert not problems, "\n\n".join(problems)


def test_every_term_page_notebook_runs_with_the_extras_and_prints_the_page_output(reader_env_with_extras, tmp_path):
    import nbclient
    import nbformat

    reader_env = reader_env_with_extras
    kernels = tmp_path / "jupyter" / "kernels" / "reader"
    kernels.mkdir(parents=True)
    argv = ["env", *(f"--unset={name}" for name in NOT_THE_READERS), f"HOME={reader_env['home']}", "MPLBACKEND=Agg",
            str(reader_env["python"]), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kernels / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "reader", "language": "python"}))
    os.environ["JUPYTER_PATH"] = str(tmp_path / "jupyter")

    extras = light_extras()
    pages = sorted((DOCS / "terms").glob("*.md"))
    counts = {"cells": 0, "with_needs": 0}
    needing = {(b.page, b.line) for b in all_blocks() if not b.skip_reason and needs_of(b, extras)}

    def run(page: Path) -> list[str]:
        src = page.relative_to(DOCS).as_posix()
        notebook = page_notebook(page.read_text(encoding="utf-8"), src, SITE_URL, WHEEL_URL, extras)
        folder = tmp_path / page.stem
        folder.mkdir()
        client = nbclient.NotebookClient(notebook, kernel_name="reader", timeout=600,
                                         resources={"metadata": {"path": str(folder)}})
        try:
            asyncio.run(client.async_execute())  # its own event loop, closed when done
        except nbclient.exceptions.CellExecutionError as error:
            return [f"docs/{src}: {str(error)[-1500:]}"]
        problems = []
        for cell in notebook.cells:
            record = cell.metadata.get("glossary") if cell.cell_type == "code" else None
            if record is None:
                continue
            counts["cells"] += 1
            counts["with_needs"] += (src, record["page_line"]) in needing
            printed = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            expected = record["expected_output"]
            if expected is not None and printed != expected:
                problems.append(f"docs/{src}:{record['page_line']}: printed\n{printed}\nbut the page shows\n{expected}")
        nbformat.validate(notebook)
        return problems

    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for found in pool.map(run, pages) for p in found]
    print(f"reader's path, with the extras: {len(pages)} notebooks, {counts['cells']} cells run "
          f"({counts['with_needs']} need an extra), {len(problems)} failed")
    assert counts["with_needs"] == len(needing)
    assert not problems, "\n\n".join(problems)


# ---------------------------------------------------------------- the rules themselves
def test_a_block_is_read_as_pytest_codeblocks_reads_it():
    text = ('Prose.\n\n<!--pytest.mark.skip(reason="needs a GPU")-->\n```python\nimport torch\n```\n\n'
            '```python\nimport numpy as np\nfrom sklearn.svm import SVC\nprint(1)\n```\n'
            '<!--pytest-codeblocks:expected-output-->\n```text\n1\n```\n\n```python linenums="1"\nlisting\n```\n')
    skipped, compared = blocks_of_text(text, "terms/x.md")
    assert (skipped.line, skipped.skip_reason, skipped.modules) == (4, "needs a GPU", ("torch",))
    assert (compared.line, compared.expected_output, compared.modules) == (8, "1\n", ("numpy", "sklearn"))
    assert compared.where == "docs/terms/x.md:8"


def test_needs_come_from_the_imports_and_name_the_extra():
    extras = {"oracles": ("torch", "keras", "scikit-learn"), "notebooks": ("matplotlib",)}
    block, = blocks_of_text("```python\nimport os, math\nimport numpy as np\nimport glossary_dl.losses\n```\n")
    assert not needs_of(block, extras)
    block, = blocks_of_text("```python\nimport matplotlib.pyplot as plt\nimport torch\nfrom sklearn import svm\n```\n")
    needs = needs_of(block, extras)
    assert needs.labels == "Matplotlib, PyTorch and scikit-learn"
    assert needs.requirement() == "glossary-dl[oracles,notebooks]"


def test_a_block_that_no_light_extra_covers_is_refused_with_its_page_and_line():
    block, = blocks_of_text("Text.\n\n```python\nimport pandas\n```\n", "terms/x.md")
    with pytest.raises(NeedsError, match=r"docs/terms/x\.md:3: .*'pandas'"):
        needs_of(block, light_extras())


def test_the_light_extras_cover_every_page_block():
    extras = light_extras()
    for block in all_blocks():
        needs_of(block, extras)  # raises NeedsError naming the page and line


def test_a_notebook_keeps_the_prose_and_runs_the_blocks_in_order():
    text = ("# Term\n\n<!-- glossary:card -->\n\nSee [the optimizer](optimizer.md#sgd) and "
            "![a figure](../figures/x.svg).\n\n```python\nprint(2)\n```\n"
            "<!--pytest-codeblocks:expected-output-->\n```text\n2\n```\n\n## Next { #next }\n\n"
            '```python linenums="1"\n--8<-- "src/glossary_dl/losses.py:bce_loop"\n```\n\n'
            "```python\nimport torch\nprint(torch.__name__)\n```\n")
    notebook = page_notebook(text, "terms/term.md", SITE_URL, WHEEL_URL, light_extras())
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds == ["markdown", "markdown", "code", "markdown", "code"]
    install, prose, first, between, second = notebook.cells
    assert 'pip install "glossary-dl[oracles] @ ' + WHEEL_URL in install.source
    assert "glossary:card" not in prose.source
    assert f"({SITE_URL}terms/optimizer/#sgd)" in prose.source and f"({SITE_URL}figures/x.svg)" in prose.source
    assert first.source == "print(2)" and first.metadata["glossary"] == {"page_line": 7, "expected_output": "2\n"}
    assert "```text" not in between.source and between.source.startswith("## Next\n")
    assert "--8<--" not in between.source and f"]({SITE_URL}terms/term/)" in between.source
    assert second.metadata["glossary"]["expected_output"] is None


# ---------------------------------------------------------------- the build refuses
def test_the_build_refuses_a_block_no_light_extra_covers_naming_its_page_and_line(tmp_path):
    from mkdocs.exceptions import PluginError
    from reader import _check_needs

    (tmp_path / "terms").mkdir()
    (tmp_path / "terms" / "x.md").write_text("# X\n\n```python\nimport numpy\n```\n\n```python\nimport pandas\n```\n")
    (tmp_path / "_hooks").mkdir()
    (tmp_path / "_hooks" / "ignored.md").write_text("```python\nimport polars\n```\n")
    with pytest.raises(PluginError, match=r"^docs/terms/x\.md:7: the block imports 'pandas'[^\n]*$"):
        _check_needs(tmp_path, light_extras())


def test_the_build_fails_when_the_package_build_makes_no_wheel(tmp_path, monkeypatch):
    import reader
    from mkdocs.exceptions import PluginError

    monkeypatch.setattr(reader, "DIST_CACHE", tmp_path)
    monkeypatch.setattr(reader.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, "", ""))
    with pytest.raises(PluginError, match=r"the package build made no glossary_dl-0\.1\.0-py3-none-any\.whl"):
        reader.built_distributions(("glossary_dl-0.1.0-py3-none-any.whl",))
    monkeypatch.setattr(reader.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 1, "", "no setuptools"))
    with pytest.raises(PluginError, match="(?s)building the package failed:.*no setuptools"):
        reader.built_distributions(("glossary_dl-0.1.0-py3-none-any.whl",))
