"""``reflib export``: a filtered subset of the library as BibTeX/BibLaTeX, RIS, CSL-JSON, CSV or formatted text.

The records are selected with the same filters as ``reflib search`` and exported in the frame's order (file
order). Output goes to stdout, or with ``-o FILE`` into a file written atomically (through a symlink, into the
file it names); an existing file is replaced only with ``--force``, never by an empty result, and never when it
is not a regular file. Without ``--format`` the file's extension picks the format (.bib .ris .json .csv).
Warnings (fields a style needed, ...) go to stderr and do not change the exit code.
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--format", "-f", dest="fmt", default=None, metavar="FORMAT",
                        help=f"one of: {', '.join(FORMATS)} (default: from the -o file's extension "
                             "(.bib .ris .json .csv), else bibtex)")
    parser.add_argument("--output", dest="output", default="text", metavar="KIND",
                        help=f"for ama/vancouver/apa/mla: {', '.join(OUTPUTS)} (default: text)")
    parser.add_argument("-o", dest="path", type=Path, default=None, metavar="FILE",
                        help="write to FILE instead of stdout")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument("--keep-custom", action="store_true",
                        help="keep reflib's evidence fields (BibTeX/BibLaTeX fields, CSL-JSON 'custom')")
    parser.set_defaults(handler=cmd_export)


# what an output file's extension says it holds, when --format is not given
BY_EXTENSION = {".bib": "bibtex", ".ris": "ris", ".json": "csl-json", ".csv": "csv"}


def output_format(fmt: str | None, path: Path | None) -> tuple[str, str]:
    """The export format and a warning ('' if none): ``--format`` when given, else the -o file's extension, else
    BibTeX. A format that contradicts a known extension is kept (the user said so) but warned about."""
    by_extension = BY_EXTENSION.get(path.suffix.lower(), "") if path is not None else ""
    if fmt is None:
        return by_extension or "bibtex", ""
    name = format_name(fmt)
    if by_extension and name != by_extension and not (by_extension == "bibtex" and name == "biblatex"):
        return name, f"writing {name} into {path}, whose extension says {by_extension}"
    return name, ""


def _target_problem(path: Path, force: bool) -> str:
    """Why the export must not write to ``path`` ('' when it may)."""
    if path.is_dir():
        return f"{path} is a directory"
    if path.exists() and not force:
        return f"{path} exists; use --force to replace it"
    if path.exists() and not path.is_file():
        return f"{path} is not a regular file (a device or a pipe): not replaced"
    if not path.parent.is_dir():
        return f"cannot write {path}: the folder {path.parent} does not exist"
    return ""


def cmd_export(args: argparse.Namespace) -> int:
    try:  # before reading the library: a typo in --format should not cost a load
        fmt, mismatch = output_format(args.fmt, args.path)
        if args.output not in OUTPUTS:
            raise UnknownFormatError("output", args.output, OUTPUTS)
    except UnknownFormatError as exc:  # a usage error, as an unknown --topic or --design is (README: exit 2)
        print(f"reflib: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if mismatch:
        print(f"warning: {mismatch}", file=sys.stderr)
    if args.path is not None:
        args.path = Path(os.path.realpath(args.path))  # through a symlink, to the file it names (not over the link)
        problem = _target_problem(args.path, args.force)
        if problem:
            print(f"reflib: {problem}", file=sys.stderr)
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
    if not records and args.path is not None:  # an empty result never replaces a file (a filter typo with --force)
        print(f"reflib: no records match the filters; {args.path} not written", file=sys.stderr)
        return EXIT_FINDINGS
    result = export_records(records, fmt, output=args.output, keep_custom=args.keep_custom)
    if not records:
        print("reflib: no records match the filters; the export is empty", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.path is None:
        write_data(result.text)
        sys.stdout.flush()
        return EXIT_OK
    try:
        atomic_write(args.path, [result.text.encode("utf-8")])
    except OSError as exc:
        print(f"reflib: cannot write {args.path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"{len(records)} record(s) written to {args.path}", file=sys.stderr)
    return EXIT_OK
