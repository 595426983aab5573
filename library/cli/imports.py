"""``reflib import FILE...``: read files in any supported format into the library, with a report.

Behaviour (all-or-nothing unless asked otherwise):

* Every file is read before the library is touched. A file that cannot be read at all (missing, binary, not
  UTF-8, unknown format, wrong CSV header) stops the import: one line naming the file, exit 1, nothing written.
* Warnings are not errors. An odd identifier (a DOI without ``10.``, a PMID with letters), a ``crossref`` to an
  entry not in the file, a stray line in a MEDLINE file: reported as ``warning: file (line N, record K): what``,
  the value kept as given, and the import goes ahead (exit 0). Versioned PMCIDs (``PMC6134338.4``) and PubMed's
  version records are valid: a PubMed baseline file imports with the default options.
* Records that cannot be read are errors (an entry with unbalanced braces, a RIS record without ``ER  -``, a
  truncated file ...): each is reported as ``file (line N, record K): what`` and, by default, nothing is imported
  (exit 1): re-run with ``--keep-going`` to import the good records and skip the bad ones; the errors are still
  reported and the exit status is still 1.
* ``--dry-run`` prints the same report and writes nothing (with several files, each is matched against the
  ones before it, as the import would). Otherwise the library is saved once, atomically, at
  the end; Ctrl-C or any failure before that leaves the file on disk as it was.
* A library file that does not exist yet is created.
* Gzip-compressed files (PubMed's ``pubmed26n0001.xml.gz`` baseline files) are recognized by content and
  decompressed as they are read; a gzip file that ends early is a problem of that file (the records before the
  break are offered). Bounded input: a file read into memory (every format but PubMed XML) may hold 256 MB
  (decompressed), 100,000 records and 1 MB of text per record (PubMed XML: 4 GB decompressed); beyond, the file
  (or the record) is refused as soon as it is seen, in one line. ``REFLIB_MAX_INPUT_MB``, ``REFLIB_MAX_RECORDS``
  and ``REFLIB_MAX_RECORD_KB`` raise the limits (records are held packed: a million title-only one-line
  entries import in under 1 GB of memory, in minutes; a million with author, year and journal peak near
  1.5 GB, mostly in the duplicate check).
* ``-`` as a FILE reads standard input (``efetch ... | reflib import -``), its format detected by content like a
  file's; it is named ``<stdin>`` in the report.
"""

from __future__ import annotations

import argparse
import sys

from ingest.base import ReadError, ReadProblem, ReadResult
from ingest.importer import ImportReport
from ingest.readers import FORMATS
from ingest.screening import IntakeReport, load_config, open_inbox, screen_records
from ingest.services import ImportOptions, import_file, preview_import, read_import

from ..json_out import JsonArray, write_json
from ..store import Library
from .shell import open_library, print_json

__all__ = ["cmd_import", "register"]

STDIN = "<stdin>"


def _mapping(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise argparse.ArgumentTypeError(f"--map expects FIELD=COLUMN, got {item!r}")
        mapping[name.strip()] = column.strip()
    return mapping


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "import", help="import studies from BibTeX, RIS, MEDLINE, Web of Science, CSL-JSON, PubMed XML or CSV files",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="files to import (format detected by content); - reads standard input")
    parser.add_argument("--format", default="auto", choices=["auto", *FORMATS],
                        help="read every FILE in this format instead of detecting it")
    parser.add_argument("--encoding", default=None, help="text encoding of the files when not UTF-8 (e.g. latin-1)")
    parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                        help="CSV: read FIELD (title, author, year, doi ...) from COLUMN; repeatable")
    parser.add_argument("--topic", action="append", default=[], help="add this manual topic to every record")
    parser.add_argument("--entry", default=None, metavar="SLUG", help="link every record to this encyclopedia entry")
    parser.add_argument("--as", dest="link_kind", choices=["cited", "discussed"], default=None,
                        help="how --entry links the records (cited records are numbered after the entry's last)")
    parser.add_argument("--dry-run", action="store_true", help="show the report, write nothing")
    parser.add_argument("--keep-going", action="store_true",
                        help="import the good records even when some cannot be read (those are skipped; warnings "
                             "never block)")
    parser.add_argument("--screen", action="store_true",
                        help="put the new records into the screening inbox instead of the library")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=cmd_import)


def _open(args: argparse.Namespace) -> Library:
    if not args.bib.exists():
        return Library.create(args.bib)
    return open_library(args)


def cmd_import(args: argparse.Namespace) -> int:
    if (args.entry is None) != (args.link_kind is None):
        print("reflib import: --entry SLUG and --as cited|discussed go together", file=sys.stderr)
        return 2
    try:
        columns = _mapping(args.map)
    except argparse.ArgumentTypeError as exc:
        print(f"reflib import: {exc}", file=sys.stderr)
        return 2
    if args.files.count("-") > 1:
        print("reflib import: standard input (-) can be read only once", file=sys.stderr)
        return 2
    results: list[tuple[str, ReadResult]] = []
    for name in args.files:
        try:
            if name == "-":
                name = STDIN
                result = read_import(sys.stdin.buffer, name, args.format, args.encoding, columns)
            else:
                result = read_import(name, name, args.format, args.encoding, columns)
            results.append((name, result))
        except ReadError as exc:
            print(f"reflib import: {exc}; nothing imported", file=sys.stderr)
            return 1
    errors: list[ReadProblem] = [p for _, result in results for p in result.problems if p.severity == "error"]
    lib = _open(args)
    blocked = bool(errors) and not args.keep_going
    if args.screen:
        return _screen(args, lib, results, blocked, len(errors))
    reports: list[ImportReport] = []
    preview = args.dry_run or blocked
    for number, (name, result) in enumerate(results, 1):
        # in a preview, every file but the last still goes into the library in memory (never saved), so that
        # the report of each file is what the real import would say: later files matched against earlier ones
        # (a preview of the last file; the earlier ones imported in memory, never saved)
        options = ImportOptions(topics=args.topic, entry=args.entry, link_kind=args.link_kind)
        # consume: each file's records are read once; not holding them through the import keeps a large file
        # within memory
        report = (preview_import(lib, result.records, name, options, consume=True)
                  if preview and number == len(results) else import_file(lib, result.records, name, options,
                                                                          consume=True))
        report.dry_run = preview
        report.problems.extend(result.problems)
        reports.append(report)
    written = not preview and lib.dirty
    if written:  # saved before the report is printed: a report says what is on disk
        lib.save()
    if args.json:  # written as it is made: a million records' report is never held as JSON data
        write_json({"library": str(args.bib), "written": written, "blocked_by_problems": blocked,
                    "files": JsonArray(r.to_json(stream=True) for r in reports)}, sys.stdout)
    else:
        for report in reports:
            print(report.summary())
    if blocked:
        print(f"reflib import: {len(errors)} record(s) could not be read; nothing imported. Fix them, or re-run "
              "with --keep-going to import the good records and skip the bad ones.", file=sys.stderr)
        return 1
    if written and not args.json:
        print(f"saved {args.bib}")
    return 1 if errors else 0


def _screen(args: argparse.Namespace, lib: Library, results: list[tuple[str, ReadResult]], blocked: bool,
            errors: int) -> int:
    """``import --screen``: the records go to the screening inbox (after the duplicate checks), not the library."""
    reports: list[IntakeReport] = []
    reviewers = load_config(args.bib).reviewers
    if not blocked:
        with open_inbox(args.bib) as inbox:
            for name, result in results:
                reports.append(screen_records(lib, inbox, result.records, source=name, topics=args.topic,
                                              entry=args.entry, link_kind=args.link_kind, reviewers=reviewers,
                                              dry_run=args.dry_run))
    for _, result in results:
        for problem in result.problems:
            print(f"{problem.severity}: {problem}", file=sys.stderr)
    if args.json:
        print_json({"library": str(args.bib), "screening": True, "blocked_by_problems": blocked,
                    "files": [r.to_json() for r in reports]})
    else:
        for report in reports:
            print(report.summary())
    if blocked:
        print(f"reflib import: {errors} record(s) could not be read; nothing added to the inbox. Fix them, or "
              "re-run with --keep-going.", file=sys.stderr)
        return 1
    return 1 if errors else 0
