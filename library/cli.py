"""The ``reflib`` command line: argument parsing, library resolution, error reporting, exit codes.

Exit codes: 0 ok; 1 findings or errors the user must act on; 2 usage errors and unreadable library files.
Subcommands live in small modules that each expose ``register(subparsers)``; a module that cannot be imported
(an optional part missing) is skipped so the rest of the CLI still works.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import BibFileError, LibraryError

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

COMMAND_MODULES = (
    "library.commands.core",
    "library.commands.evidence",
    "library.commands.export",
    "library.commands.dedupe",
    "ingest.commands",
    "ingest.commands_net",
    "ingest.commands_screen",
)

Handler = Callable[[argparse.Namespace], int]


def default_bib() -> Path:
    return Path(os.environ.get("REFLIB_BIB") or "references.bib")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reflib", description="Research library and evidence tracker (BibTeX-backed).")
    parser.add_argument("--bib", type=Path, default=None,
                        help="library file (default: $REFLIB_BIB or ./references.bib)")
    parser.add_argument("--no-cache", action="store_true", help="ignore the on-disk index cache")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # that part is not installed in this build
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.bib is None:
        args.bib = default_bib()
    handler: Handler = args.handler
    try:
        return handler(args)
    except BibFileError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LibraryError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("reflib: interrupted; nothing was saved", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
