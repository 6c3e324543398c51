"""``glossary-dl``: the glossary in a terminal, from the installed package, offline.

Exit status: 0 on success, 1 on a failed check or an unknown term, 2 on a usage error; 130 after
Ctrl-C and 141 when the reader of the output closes the pipe (``| head``), as a shell reports a
command stopped by those signals. No traceback for any of them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from glossary_dl.cli.catalogue import Catalogue
from glossary_dl.cli.terminal import Output, fold, truncate

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 130, 141


def main(argv: list[str] | None = None) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    try:
        args = _parser().parse_args(argv)
        return args.handler(args, Catalogue(), Output())
    except UnknownTerm as error:
        print(f"glossary-dl: {error}", file=sys.stderr)
        return EXIT_FAILED
    except SystemExit as stop:  # argparse: --help (0) and usage errors (2)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        _quiet_stdout()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glossary-dl",
        description="The deep-learning glossary in a terminal: definitions, formulas, examples "
                    "and self-checks, from the installed package, offline.",
        epilog="Exit status: 0 success, 1 failed check or unknown term, 2 usage error. "
               "Colour only on a terminal, never with NO_COLOR set.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    listing = command("list", _list, "Every term grouped by family, with a one-line definition.")
    listing.add_argument("--json", action="store_true", help="print the terms as JSON, for scripts")
    show = command("show", _show, "A term's definition, synonyms, formula, related terms, "
                                  "implementations, first example and page.")
    show.add_argument("term", nargs="+", help="a name or synonym, any case, singular or plural")
    search = command("search", _search, "Terms matching the words, ranked as the site's search ranks them.")
    search.add_argument("words", nargs="+", help="words to look for in names, synonyms and definitions")
    run = command("run", _run, "Run a term's examples and show each output beside the page's.")
    run.add_argument("term", nargs="+", help="a name or synonym")
    verify = command("verify", _verify, "Self-test: gradient checks, the examples, and the oracle "
                                        "comparisons where PyTorch, Keras or scikit-learn are installed.")
    verify.add_argument("term", nargs="*", help="check this term only (default: everything)")
    docs = command("docs", _docs, "The address of the term's page (or of the site).")
    docs.add_argument("term", nargs="*", help="a name or synonym (default: the site's home)")
    docs.add_argument("--open", action="store_true", help="also open it in the web browser")
    return parser


def _version() -> str:
    from glossary_dl import __version__

    return __version__


class UnknownTerm(LookupError):
    """No term has that name; the message names the nearest ones."""


def _term(words: list[str], catalogue: Catalogue):
    """The term the words name (None for no words); UnknownTerm when no term has that name."""
    if not words:
        return None
    query = " ".join(words)
    term = catalogue.find(query)
    if term is None:
        hints = catalogue.near_misses(query)
        hint = f" Did you mean: {', '.join(hints)}?" if hints else " Try: glossary-dl search WORDS"
        raise UnknownTerm(f"no term named {query!r}.{hint}")
    return term


# ---------------------------------------------------------------- list
def _list(args, catalogue: Catalogue, out: Output) -> int:
    if args.json:
        records = [{"name": t.name, "slug": t.slug, "family": t.family, "synonyms": list(t.synonyms),
                    "definition": t.definition, "implementations": list(t.implementations),
                    "url": catalogue.url(t)} for t in catalogue.terms]
        out.line(json.dumps(records, indent=1, ensure_ascii=False))
        return EXIT_OK
    name_width = 26
    family = None
    for term in catalogue.terms:
        if term.family != family:
            if family is not None:
                out.line()
            family = term.family
            out.line(family, "bold")
        name = truncate(term.name, name_width - 1).ljust(name_width)
        definition = truncate(term.definition, out.width - 2 - name_width)
        out.line("  " + out.style(name, "cyan") + definition)
    return EXIT_OK


# ---------------------------------------------------------------- show
def _show(args, catalogue: Catalogue, out: Output) -> int:
    term = _term(args.term, catalogue)
    out.line(term.name, "bold")
    out.line(term.family, "dim")
    out.paragraph(term.definition)
    if term.synonyms:
        out.line()
        out.paragraph("Synonyms: " + ", ".join(term.synonyms))
    formula = catalogue.formula(term)
    if formula:
        out.line()
        out.line("Formula", "bold")
        out.prose_with_math(formula, indent=2)
    if term.related:
        out.line()
        out.paragraph("Related: " + ", ".join(catalogue.by_slug[s].name for s in term.related))
    if term.implementations:
        out.line()
        out.line("Implemented by", "bold")
        for dotted in term.implementations:
            out.verbatim(dotted, indent=2)
    examples = [e for e in catalogue.examples(term) if e.syntax == "python"]
    if examples:
        first = examples[0]
        out.line()
        out.line(f"Example (1 of {len(examples)}, {first.where})", "bold")
        out.verbatim(first.code, indent=2)
        if first.expected is not None:
            out.line("Output", "dim")
            out.verbatim(first.expected, 2, "dim")
        out.line(f"Run them all: glossary-dl run {term.slug}")
    out.line()
    out.line("Page", "bold")
    out.line(catalogue.url(term))  # whole, even past 80 columns: a broken address cannot be opened
    return EXIT_OK


# ---------------------------------------------------------------- search
def _search(args, catalogue: Catalogue, out: Output) -> int:
    matches = catalogue.search(" ".join(args.words))
    if not matches:
        print(f"glossary-dl: no term matches {' '.join(args.words)!r}", file=sys.stderr)
        return EXIT_FAILED
    for term in matches:
        name = truncate(term.name, 25).ljust(26)
        out.line(out.style(name, "cyan") + truncate(term.definition, out.width - 26))
    return EXIT_OK


# ---------------------------------------------------------------- run
def _run(args, catalogue: Catalogue, out: Output) -> int:
    # every term has examples (tests/test_cli_data.py checks it)
    return _summary(_run_examples(catalogue.examples(_term(args.term, catalogue)), out), out)


def _run_examples(examples, out: Output, show_output: bool = True):
    from glossary_dl.cli.examples import run_example

    outcomes = []
    for example in examples:
        outcome = run_example(example)
        outcomes.append(outcome)
        colour = {"ok": "green", "skipped": "yellow"}.get(outcome.status, "red")
        out.line(f"{out.style(outcome.status.ljust(7), colour)} {example.where}")
        if outcome.note:
            out.paragraph(outcome.note, 8)
        if show_output and outcome.status in ("ok", "differs") and example.expected is not None:
            _beside(outcome.output, example.expected, out)
        elif outcome.status == "differs":
            _beside(outcome.output, example.expected or "", out)
    return outcomes


def _beside(got: str, expected: str, out: Output) -> None:
    """The printed output beside the page's (one above the other when a line is too wide).

    A line that differs from the page's is marked with ≠.
    """
    column = (out.width - 4) // 2
    left, right = got.rstrip("\n").splitlines(), expected.rstrip("\n").splitlines()
    rows = range(max(len(left), len(right)))
    pairs = [(left[i] if i < len(left) else "", right[i] if i < len(right) else "") for i in rows]
    mark = lambda a, b: " " if a == b else out.style("≠", "red")  # noqa: E731
    if all(len(a) <= column and len(b) <= column for a, b in pairs):
        out.line("  " + "printed".ljust(column) + "  " + "the page shows", "dim")
        for a, b in pairs:
            out.line(f"{mark(a, b)} {a.ljust(column)} {mark(a, b)}{b}".rstrip())
        return
    for label, lines in (("printed", left), ("the page shows", right)):
        out.line("  " + label, "dim")
        for text, (a, b) in zip(lines, pairs):
            for piece in fold(text, out.width - 2):
                out.line(f"{mark(a, b)} {piece}".rstrip())


def _summary(outcomes, out: Output) -> int:
    counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "differs", "failed", "skipped")}
    out.line(", ".join(f"{n} {status}" for status, n in counts.items() if n))
    return EXIT_FAILED if counts["differs"] or counts["failed"] else EXIT_OK


# ---------------------------------------------------------------- verify
def _verify(args, catalogue: Catalogue, out: Output) -> int:
    from glossary_dl.cli.selfcheck import GRADIENT_CHECKS, ORACLE_CHECKS

    term = _term(args.term, catalogue)
    implementations = term.implementations if term else None
    examples = (catalogue.examples(term) if term
                else [e for page in catalogue.term_pages for e in catalogue.page_examples(page)])
    failed = False
    out.line("Gradient checks (central differences, float64)", "bold")
    failed |= _checks([c for c in GRADIENT_CHECKS if c.applies_to(implementations)], out)
    out.line("Oracle comparisons", "bold")
    failed |= _checks([c for c in ORACLE_CHECKS if c.applies_to(implementations)], out)
    out.line(f"Examples ({len(examples)})", "bold")
    failed |= _summary(_run_examples(examples, out, show_output=False), out) != EXIT_OK
    out.line("verify: " + ("FAILED" if failed else "passed"), "bold", "red" if failed else "green")
    return EXIT_FAILED if failed else EXIT_OK


def _checks(checks, out: Output) -> bool:
    if not checks:
        out.line("  none for this term")
        return False
    failed = False
    for check in checks:
        reason = check.skip_reason()
        if reason:
            out.line(f"{out.style('skipped', 'yellow')} {check.name}")
            out.paragraph(reason, 8)
            continue
        try:
            ok, gap, rtol = check.error()
            detail = f"within rtol {rtol:.0e}" if ok else f"largest gap {gap:.1e} > rtol {rtol:.0e}"
        except Exception as error:  # a check that cannot run is a failed check, said in one line
            ok, detail = False, f"{type(error).__name__}: {error}"
        failed |= not ok
        status = out.style("ok".ljust(7), "green") if ok else out.style("FAILED ", "red")
        if ok:
            out.line(f"{status} {truncate(f'{check.name} ({detail})', out.width - 8)}")
        else:
            out.line(f"{status} {check.name}")
            out.paragraph(detail, 8)
    return failed


# ---------------------------------------------------------------- docs
def _docs(args, catalogue: Catalogue, out: Output) -> int:
    url = catalogue.url(_term(args.term, catalogue))
    out.line(url)
    if args.open:
        import webbrowser

        if not webbrowser.open(url):
            print("glossary-dl: no web browser could be started", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK
