"""``python -m glossary_site figures DOCS_DIR`` (before a build), ``python -m glossary_site check SITE_DIR`` (after)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .built_site import SiteError, check_offline, share_stylesheets
from .figures import draw_figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glossary_site", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("figures", help="draw DOCS_DIR/_figures/*.py into DOCS_DIR/figures/*.svg").add_argument("folder", type=Path)
    steps.add_parser("check", help="share and purge stylesheets, then check SITE_DIR loads nothing from another host").add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder}: no such folder")
    if args.step == "figures":
        print(f"{len(draw_figures(args.folder))} figures in {args.folder / 'figures'}")
        return 0
    share_stylesheets(args.folder)
    try:
        check_offline(args.folder)
    except SiteError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
