"""``reflib entry list|show``: the encyclopedia's entries and the reference block of one (cited studies numbered,
then the discussed ones), in Markdown, HTML, JSON or text."""

from __future__ import annotations

import argparse
import os
from collections import Counter

from ..evidence.links import entry_references
from ..evidence.render import FORMATS, render_references
from ..export.citeproc import STYLES
from .evidence import add_file_options, entries_from_args
from .shell import open_library, print_json, print_rows
from .terminal import write_data

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    entry = sub.add_parser("entry", help="encyclopedia entries: list, show the reference block")
    entry_sub = entry.add_subparsers(dest="entry_command", metavar="ACTION")
    entry_sub.required = True
    p = entry_sub.add_parser("list", help="every entry with its numbers of cited and discussed studies")
    p.add_argument("--json", action="store_true")
    add_file_options(p, entries=True)
    p.set_defaults(handler=cmd_entry_list)
    p = entry_sub.add_parser("show", help="an entry's reference block: cited (numbered) and discussed studies")
    p.add_argument("slug")
    p.add_argument("--format", choices=FORMATS, default="md")
    p.add_argument("--style", choices=list(STYLES), default="vancouver", help="citation style (default vancouver)")
    p.add_argument("--library-url", default=None,
                   help="the dashboard's address (default $REFLIB_LIBRARY_URL): html links each study to its page")
    add_file_options(p, entries=True)
    p.set_defaults(handler=cmd_entry_show)


def cmd_entry_list(args: argparse.Namespace) -> int:
    entries = entries_from_args(args)
    lib = open_library(args)
    frame = lib.frame()
    cited: Counter[str] = Counter(s for slugs in frame["cited_in"] for s in slugs)
    discussed: Counter[str] = Counter(s for slugs in frame["discussed_in"] for s in slugs)
    rows = [{"slug": e.slug, "title": e.title, "status": e.status, "url": e.url, "cited": cited[e.slug],
             "discussed": discussed[e.slug], "pending": len(e.pending)} for e in entries]
    if args.json:
        print_json(rows)
        return 0
    table = [("slug", "status", "cited", "discussed", "title")]
    table += [(str(r["slug"]), str(r["status"]), str(r["cited"]), str(r["discussed"]), str(r["title"])) for r in rows]
    print_rows(table, (28, 9, 5, 9, 0))
    print(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")
    return 0


def cmd_entry_show(args: argparse.Namespace) -> int:
    entries = entries_from_args(args)
    lib = open_library(args)
    refs = entry_references(lib, args.slug, entries)
    library_url = os.environ.get("REFLIB_LIBRARY_URL", "") if args.library_url is None else args.library_url
    write_data(render_references(refs, args.format, args.style, library_url))
    return 0
