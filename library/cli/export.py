"""``reflib export``: a filtered subset of the library as BibTeX/BibLaTeX, RIS, CSL-JSON, CSV or formatted text.

The records are selected with the same filters as ``reflib search`` and exported in the frame's order (file
order). Output goes to stdout, or with ``-o FILE`` into a file written atomically; an existing file is replaced
only with ``--force``. Warnings (fields a style needed, ...) go to stderr and do not change the exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..atomic import atomic_write
from ..export import FORMATS, OUTPUTS, UnknownFormatError, export_records, format_name
from ..frame import filter_frame
from .shell import add_filter_arguments, open_library, query_from_args
from .terminal import write_data

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "export", help="export matching records (bibtex, biblatex, ris, csl-json, csv, ama, vancouver, apa, mla)",
        description="Export the records matching the filters. Formats: " + ", ".join(FORMATS) + ".")
    add_filter_arguments(parser)
    parser.add_argument("--key", action="append", default=[],
                        help="export this record (repeatable); combines with the filters")
    parser.add_argument("--format", "-f", dest="fmt", default="bibtex", metavar="FORMAT",
                        help=f"one of: {', '.join(FORMATS)} (default: bibtex)")
    parser.add_argument("--output", dest="output", default="text", metavar="KIND",
                        help=f"for ama/vancouver/apa/mla: {', '.join(OUTPUTS)} (default: text)")
    parser.add_argument("-o", dest="path", type=Path, default=None, metavar="FILE",
                        help="write to FILE instead of stdout")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument("--keep-custom", action="store_true",
                        help="keep reflib's evidence fields (BibTeX/BibLaTeX fields, CSL-JSON 'custom')")
    parser.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    try:  # before reading the library: a typo in --format should not cost a load
        fmt = format_name(args.fmt)
        if args.output not in OUTPUTS:
            raise UnknownFormatError("output", args.output, OUTPUTS)
    except UnknownFormatError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.path is not None and args.path.exists() and not args.force:
        print(f"reflib: {args.path} exists; use --force to replace it", file=sys.stderr)
        return EXIT_FINDINGS
    if args.path is not None and args.path.is_dir():
        print(f"reflib: {args.path} is a directory", file=sys.stderr)
        return EXIT_FINDINGS
    lib = open_library(args)
    keys = filter_frame(lib.frame(), query_from_args(args, lib))["key"].tolist()
    if args.key:
        wanted = set(args.key)
        missing = [k for k in args.key if k not in lib]
        if missing:
            print(f"reflib: no record with key {', '.join(missing)}", file=sys.stderr)
            return EXIT_FINDINGS
        keys = [k for k in keys if k in wanted]
    records = [lib.get(key) for key in keys]
    result = export_records(records, fmt, output=args.output, keep_custom=args.keep_custom)
    if not records:
        print("reflib: no records match the filters; the export is empty", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.path is None:
        write_data(result.text)
        sys.stdout.flush()
    else:
        atomic_write(args.path, [result.text.encode("utf-8")])
        print(f"{len(records)} record(s) written to {args.path}", file=sys.stderr)
    return EXIT_OK
