"""The ``reflib`` command line: argument parsing, library resolution, error reporting, exit codes.

Exit codes: 0 ok; 1 findings or errors the user must act on; 2 usage errors and unreadable library files (the
table is in :mod:`library.errors`). Each command group is one module of this package exposing
``register(subparsers)``, listed in :data:`COMMAND_GROUPS` (imported directly: a broken install fails loudly
instead of silently losing commands). The modules are thin shells: they parse options, call the services
(:mod:`library.services`, :mod:`ingest.services`) or the core, and print. This package is the one part of
``library`` that imports ``ingest`` (it is the top layer; see ARCHITECTURE.md).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import LibraryError, exit_code
from . import core, dedupe, enrich, entry, evidence, export, imports, ingest, publish, screen, watch
from .terminal import EscapingStream

__all__ = ["COMMAND_GROUPS", "EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# in the order of `reflib --help`
COMMAND_GROUPS = (core, evidence, entry, export, dedupe, imports, ingest, watch, enrich, publish, screen)

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
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The parser, built once per process: building it costs ~20 ms (230 options), parsing leaves it unchanged,
    and nothing in it depends on the environment (defaults that do are resolved when a command runs)."""
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; what it prints goes through :mod:`library.cli.terminal` (no raw control characters)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(out), EscapingStream(err)  # type: ignore[assignment]
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    for name, value in vars(args).items():  # a list default (action="append") is the parser's own object
        if isinstance(value, list):
            setattr(args, name, list(value))
    if args.bib is None:
        args.bib = default_bib()
    handler: Handler = args.handler
    try:
        return handler(args)
    except LibraryError as exc:  # one line; the exit code by the table in library.errors
        print(f"reflib: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("reflib: interrupted; nothing was saved", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except (RecursionError, MemoryError) as exc:
        print(f"reflib: input too large or too deeply nested ({type(exc).__name__}); nothing was saved",
              file=sys.stderr)
        return EXIT_FINDINGS
    except Exception as exc:  # never a traceback for a user: one line, and how to see more
        if os.environ.get("REFLIB_DEBUG"):
            raise
        print(f"reflib: unexpected error: {type(exc).__name__}: {exc} (set REFLIB_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_FINDINGS
