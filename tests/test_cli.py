"""``glossary-dl`` end to end: the wheel installed alone in a fresh environment, run from an empty
folder, in a pipe and in a pseudo-terminal, bad input included."""

import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from glossary_dl._registry import load_terms
from glossary_dl.cli import _beside, _checks, main
from glossary_dl.cli.selfcheck import GRADIENT_CHECKS, ORACLE_CHECKS, Check
from glossary_dl.cli.terminal import Output
from glossary_dl.cli.catalogue import Catalogue, Example
from glossary_dl.cli.examples import run_example

TERMS = load_terms()
ESCAPE = re.compile(r"\x1b\[")
URL = re.compile(r"https?://\S+")  # an address stays whole, even past 80 columns


def too_wide(lines):
    return [line for line in lines if len(line) > 80 and not URL.fullmatch(line)]
SUBCOMMANDS = ("list", "show", "search", "run", "verify", "docs")


@pytest.fixture()
def cli(wheel_env, tmp_path):
    """Run the installed ``glossary-dl`` (its console script) in an empty folder."""
    def run(*args, env=None, timeout=600):
        return subprocess.run([str(wheel_env.bin / "glossary-dl"), *args], cwd=tmp_path, capture_output=True,
                              text=True, encoding="utf-8", env=env or wheel_env.environ(), timeout=timeout)
    return run


def assert_clean(done, status, *, fits=True):
    assert done.returncode == status, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert not ESCAPE.search(done.stdout), "colour in a pipe"
    assert not fits or not too_wide(done.stdout.splitlines()), too_wide(done.stdout.splitlines())


# ---------------------------------------------------------------- the installed package
def test_wheel_env_holds_only_the_package_numpy_and_numba(wheel_env, tmp_path):
    done = wheel_env.run(["-m", "pip", "list", "--format=json"], cwd=tmp_path)
    names = {entry["name"].lower() for entry in json.loads(done.stdout)}
    assert names - {"pip", "setuptools"} == {"glossary-dl", "numpy", "numba", "llvmlite"}
    where = wheel_env.run(["-c", "import glossary_dl; print(glossary_dl.__file__)"], cwd=tmp_path).stdout
    assert str(wheel_env.venv) in where and "site-packages" in where


def test_python_dash_m_is_the_same_command(wheel_env, tmp_path, cli):
    done = wheel_env.run(["-m", "glossary_dl", "docs", "momentum"], cwd=tmp_path)
    assert_clean(done, 0)
    assert done.stdout == cli("docs", "momentum").stdout


def test_list_groups_every_term_by_family(cli):
    done = cli("list")
    assert_clean(done, 0)
    lines = done.stdout.splitlines()
    families = list(dict.fromkeys(term.family for term in TERMS))
    assert [line for line in lines if line and not line.startswith(" ")] == families
    for term in TERMS:
        assert any(line.startswith("  " + term.name[:24]) for line in lines), term.name


def test_list_json_for_scripts(cli):
    done = cli("list", "--json")
    assert_clean(done, 0, fits=False)  # JSON for a program: one record per term, not for a screen
    records = json.loads(done.stdout)
    assert [r["slug"] for r in records] == [t.slug for t in TERMS]
    momentum = next(r for r in records if r["slug"] == "momentum")
    assert momentum["implementations"] == ["glossary_dl.optimizers.SGD"]
    assert momentum["url"].endswith("/terms/momentum/")


def test_show_gives_every_part_of_a_term(cli):
    done = cli("show", "momentum")
    assert_clean(done, 0)
    out = done.stdout
    for part in ("Momentum", "running velocity", "Synonyms: SGD with momentum, heavy ball method",
                 "Formula", "m ←μ  m - η  g_t", "Related: Optimizer", "glossary_dl.optimizers.SGD",
                 "from glossary_dl.optimizers import SGD", "momentum 0.9: ends at x = -2.0000",
                 "Page\nhttp://"):
        assert part in out, part
    assert "\\" not in out.split("Formula")[1].split("Related")[0]  # no LaTeX left


@pytest.mark.parametrize("query", ["HEAVY BALL METHOD", "Heavy  ball method", "momentum", "Momentums"])
def test_show_accepts_synonyms_any_case_singular_or_plural(cli, query):
    done = cli("show", *query.split())
    assert_clean(done, 0)
    assert done.stdout.splitlines()[0] == "Momentum"


@pytest.mark.parametrize(("query", "first"), [("tensors", "Tensor"), ("neural networks", "Neural network"),
                                              ("leaky-relu", "Leaky ReLU"), ("matrices", "Matrix")])
def test_show_finds_plurals_and_slugs(cli, query, first):
    done = cli("show", query)
    assert_clean(done, 0)
    assert done.stdout.splitlines()[0] == first


def test_show_near_miss_says_did_you_mean(cli):
    done = cli("show", "momentun")
    assert_clean(done, 1)
    assert done.stdout == ""
    assert "Did you mean: Momentum?" in done.stderr


def test_unknown_term_exits_one_without_traceback(cli):
    for command in ("show", "run", "verify", "docs"):
        done = cli(command, "qqqqqq")
        assert_clean(done, 1)
        assert "no term named 'qqqqqq'" in done.stderr


def test_search_ranks_an_exact_name_first(cli):
    done = cli("search", "gradient")
    assert_clean(done, 0)
    assert done.stdout.splitlines()[0].startswith("Gradient ")
    done = cli("search", "no-such-word-anywhere")
    assert_clean(done, 1)


def test_run_shows_output_beside_the_page_and_skips_what_needs_an_extra(cli):
    done = cli("run", "momentum")
    assert_clean(done, 0)
    out = done.stdout
    assert out.count("ok      terms/momentum.md") == 2
    assert "printed" in out and "the page shows" in out
    # the third example compares with PyTorch, which the bare environment lacks
    assert 'skipped terms/momentum.md, line 141' in out
    assert 'needs torch: pip install "glossary-dl[oracles]"' in out
    assert out.splitlines()[-1] == "2 ok, 1 skipped"


def test_verify_says_what_it_skipped_and_why(cli):
    done = cli("verify", "relu")
    assert_clean(done, 0)
    assert "ok      relu vector-Jacobian product (within rtol 1e-06)" in done.stdout
    assert "skipped relu against PyTorch" in done.stdout
    assert 'torch is not installed (pip install "glossary-dl[oracles]")' in done.stdout
    assert done.stdout.splitlines()[-1] == "verify: passed"


@pytest.mark.slow  # installs PyTorch, Keras and scikit-learn into a second environment (minutes)
def test_with_the_oracles_extra_verify_compares_and_run_runs_everything(wheel_env_factory, tmp_path):
    env = wheel_env_factory("oracles", "notebooks")  # the reader's path uses the same environment
    command = [str(env.bin / "glossary-dl")]
    done = subprocess.run([*command, "verify", "relu"], cwd=tmp_path, capture_output=True, text=True,
                          encoding="utf-8", env=env.environ(), timeout=600)
    assert_clean(done, 0)
    assert "ok      relu against PyTorch (within rtol 1e-12)" in done.stdout
    assert "ok      relu against Keras (within rtol 1e-12)" in done.stdout
    assert "skipped" not in done.stdout
    done = subprocess.run([*command, "run", "momentum"], cwd=tmp_path, capture_output=True, text=True,
                          encoding="utf-8", env=env.environ(), timeout=600)
    assert_clean(done, 0)
    assert done.stdout.splitlines()[-1] == "3 ok"


def test_docs_prints_the_address_and_opens_it(cli, wheel_env, tmp_path):
    assert_clean(done := cli("docs"), 0)
    site = done.stdout.strip()
    assert re.fullmatch(r"https?://\S+/", site)
    assert cli("docs", "relu").stdout.strip() == site + "terms/activation-function/#relu"
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n')
    browser.chmod(0o755)
    done = cli("docs", "momentum", "--open", env=wheel_env.environ(BROWSER=str(browser)))
    assert_clean(done, 0)
    for _ in range(50):  # webbrowser may start the browser in the background
        if opened.exists():
            break
        time.sleep(0.1)
    assert opened.read_text().strip() == site + "terms/momentum/"


# ---------------------------------------------------------------- a good citizen of the terminal
@pytest.mark.parametrize("command", [(), *((c,) for c in SUBCOMMANDS)])
def test_help_on_every_subcommand(cli, command):
    done = cli(*command, "--help")
    assert_clean(done, 0)
    assert done.stdout.startswith("usage: glossary-dl")


@pytest.mark.parametrize("args", [(), ("bogus",), ("show",), ("run",), ("list", "--nope"), ("search",)])
def test_usage_errors_exit_two_without_traceback(cli, args):
    done = cli(*args)
    assert_clean(done, 2)
    assert "usage: glossary-dl" in done.stderr


def _in_pty(wheel_env, cwd, args, **env):
    """Run the command on a pseudo-terminal; return (exit status, everything it wrote)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([str(wheel_env.bin / "glossary-dl"), *args], cwd=cwd, stdin=follower,
                               stdout=follower, stderr=follower, env=wheel_env.environ(**env), close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8")


def test_colour_on_a_terminal_and_never_with_no_color(wheel_env, tmp_path):
    status, text = _in_pty(wheel_env, tmp_path, ["show", "momentum"], COLUMNS="80")
    assert status == 0 and ESCAPE.search(text) and "Momentum" in text
    status, text = _in_pty(wheel_env, tmp_path, ["show", "momentum"], NO_COLOR="1")
    assert status == 0 and not ESCAPE.search(text) and "Momentum" in text
    visible = [ESCAPE.sub("", re.sub(r"\x1b\[[\d;]*m", "", line)) for line in text.splitlines()]
    assert not too_wide([line.rstrip("\r") for line in visible])


def test_closed_pipe_is_no_error(wheel_env, tmp_path):
    """``glossary-dl verify | head -n 1``: the command stops quietly when its reader goes away."""
    with subprocess.Popen([str(wheel_env.bin / "glossary-dl"), "verify"], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=wheel_env.environ()) as process:
        first = process.stdout.readline()
        process.stdout.close()
        status = process.wait(timeout=600)
        stderr = process.stderr.read().decode()
    assert first.startswith(b"Gradient checks")
    assert status == 141 and stderr == "", (status, stderr)


def test_ctrl_c_is_no_traceback(wheel_env, tmp_path):
    # a reader's terminal delivers Ctrl-C to a command whose SIGINT is at its default; a suite started
    # in the background (`cmd &` in a script) would pass SIGINT on ignored, and Python keeps it so
    process = subprocess.Popen([str(wheel_env.bin / "glossary-dl"), "verify"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=wheel_env.environ(),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stdout.readline().startswith(b"Gradient checks")  # running, not starting
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and b"Traceback" not in stderr, stderr.decode()


def test_bash_blocks_of_the_command_line_page_hold_for_the_wheel(wheel_env, tmp_path):
    """The Command line page's blocks, run in the wheel's environment, print what the page shows."""
    blocks = [e for e in Catalogue().page_examples("command-line.md") if e.syntax == "bash"]
    assert len(blocks) >= 6
    for block in blocks:
        done = subprocess.run(["bash", "-c", block.code], cwd=tmp_path, capture_output=True, text=True,
                              encoding="utf-8", env=wheel_env.environ())
        assert done.stdout == block.expected, (block.where, done.stdout, done.stderr)


# ---------------------------------------------------------------- in this process: every term
@pytest.mark.parametrize("term", TERMS, ids=[t.slug for t in TERMS])
def test_show_fits_80_columns_for_every_term(term):
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert main(["show", term.slug]) == 0
    lines = buffer.getvalue().splitlines()
    assert lines[0] == term.name
    assert not too_wide(lines), too_wide(lines)


def test_every_name_and_synonym_finds_its_term_first():
    """As on the site (tests/test_site_browser.py): an exact name or synonym lists its term first."""
    catalogue = Catalogue()
    for term in TERMS:
        for label in (term.name, *term.synonyms):
            assert catalogue.find(label) == term, label
            assert catalogue.search(label)[0] == term, label
            assert catalogue.search(label.upper())[0] == term, label


def test_an_example_that_differs_or_fails_is_reported():
    base = dict(page="terms/x.md", line=1, syntax="python", skip=None, needs=())
    assert run_example(Example(code="print(1)", expected="1\n", **base)).status == "ok"
    differs = run_example(Example(code="print(2)", expected="1\n", **base))
    assert (differs.status, differs.output) == ("differs", "2\n")
    failed = run_example(Example(code="raise ValueError('x must be finite')", expected=None, **base))
    assert failed.status == "failed" and "ValueError: x must be finite" in failed.note


def test_examples_run_outside_any_checkout():
    base = dict(page="terms/x.md", line=1, syntax="python", skip=None, needs=())
    code = "import os, glossary_dl; print(os.listdir('.'), 'site-packages' in glossary_dl.__file__ or 'src' in glossary_dl.__file__)"
    outcome = run_example(Example(code=code, expected=None, **base))
    assert outcome.output.startswith("[] True"), outcome.output
    assert Path(sys.executable).exists()


def _main(*args):
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        status = main(list(args))
    return status, buffer.getvalue()


@pytest.mark.parametrize("check", [*GRADIENT_CHECKS, *ORACLE_CHECKS], ids=lambda c: c.name)
def test_every_self_check_passes_here(check):
    """The checks `verify` runs hold in the test environment, where every oracle is installed."""
    assert check.skip_reason() == ""
    ok, gap, rtol = check.error()
    assert ok and gap <= rtol, (gap, rtol)


def test_self_checks_cover_every_finite_difference_record():
    """Every gradient the suite checks by finite differences has a self-check (or its layer does)."""
    record = json.loads((Path(__file__).parent.parent / "docs/_registry/verification.json").read_text())
    checked = {name for name, entries in record.items()
               if any(e["oracle"] == "finite differences" for e in entries)}
    covered = {name for check in GRADIENT_CHECKS for name in check.covers}
    # the autodiff engine and the layer/model classes are checked through the functions they call
    composite = {n for n in checked if n.startswith(("glossary_dl.autodiff.", "glossary_dl.layers.",
                                                     "glossary_dl.models."))}
    assert checked - composite <= covered, sorted(checked - composite - covered)


def test_a_check_that_fails_is_reported():
    bad = Check("wrong on purpose", ("glossary_dl.x",), lambda rng: (np.ones(3), np.zeros(3) + 2.0, 1e-6, 1e-8))
    ok, gap, _ = bad.error()
    assert not ok and gap == pytest.approx(0.5)
    out = Output(io.StringIO())
    assert _checks([bad], out) is True
    assert "FAILED  wrong on purpose" in out.stream.getvalue()
    assert "largest gap 5.0e-01 > rtol 1e-06" in out.stream.getvalue()


def test_commands_in_this_process():
    status, text = _main("list")
    assert status == 0 and text.splitlines()[0] == TERMS[0].family
    status, text = _main("search", "tensors")
    assert status == 0 and text.startswith("Tensor ")
    status, text = _main("docs", "relu")
    assert status == 0 and text.strip().endswith("/terms/activation-function/#relu")
    status, text = _main("run", "relu")
    assert status == 0 and text.splitlines()[-1] == "1 ok"
    status, text = _main("verify", "relu")
    assert status == 0 and "ok      relu against PyTorch (within rtol 1e-12)" in text
    assert text.splitlines()[-1] == "verify: passed"
    assert _main("show", "qqqq")[0] == 1
    assert _main("show")[0] == 2


def test_differing_output_is_marked_line_by_line():
    out = Output(io.StringIO())
    _beside("a\nb\n", "a\nc\n", out)
    lines = out.stream.getvalue().splitlines()
    assert lines[1].startswith("  a") and lines[2].startswith("≠ b") and lines[2].endswith("≠c")
    out = Output(io.StringIO())
    _beside("x" * 60 + "\n", "y" * 60 + "\n", out)  # too wide for two columns: one above the other
    assert out.stream.getvalue().splitlines() == ["  printed", "≠ " + "x" * 60, "  the page shows", "≠ " + "y" * 60]


def test_verify_everything_means_every_term_page():
    catalogue = Catalogue()
    assert catalogue.term_pages == list(dict.fromkeys(term.page for term in TERMS))
    assert "command-line.md" not in catalogue.term_pages


@pytest.mark.parametrize(("error", "status"), [(KeyboardInterrupt, 130), (BrokenPipeError, 141)])
def test_interrupt_and_closed_pipe_end_quietly(monkeypatch, error, status):
    def stop(*args, **kwargs):
        raise error
    monkeypatch.setattr("glossary_dl.cli.Catalogue", stop)
    assert _main("list")[0] == status


@pytest.mark.parametrize(("opened", "status"), [(True, 0), (False, 1)])
def test_docs_open_says_when_no_browser_starts(monkeypatch, capsys, opened, status):
    seen = []
    monkeypatch.setattr("webbrowser.open", lambda url: seen.append(url) or opened)
    assert main(["docs", "momentum", "--open"]) == status
    assert seen == [capsys.readouterr().out.strip()]


def test_examples_that_cannot_run_here_are_skipped_with_the_reason():
    base = dict(page="terms/x.md", line=1, code="print(1)", expected="1\n", needs=())
    on_page = run_example(Example(syntax="python", skip="needs a GPU", **base))
    shell = run_example(Example(syntax="bash", skip=None, **base))
    extra = run_example(Example(syntax="python", skip=None, **{**base, "needs": ("oracles",)},
                                modules=("no_such_module_here",)))
    assert [o.status for o in (on_page, shell, extra)] == ["skipped"] * 3
    assert on_page.note == "skipped on the page: needs a GPU"
    assert extra.note == 'needs no_such_module_here: pip install "glossary-dl[oracles]"'
