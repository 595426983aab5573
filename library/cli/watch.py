"""``reflib watch add|run|list|remove``: saved searches that import the studies new since the last run.

Each run takes the path of ``reflib ingest`` (fetch -> import -> save once, at the end); the searches live in
``<library>.watch.json`` beside the library (:mod:`ingest.watch`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ingest.crossref import Crossref, collect_search
from ingest.fetchstate import Fetched, FetchedParts
from ingest.http import HttpClient, Settings, SourceError
from ingest.importer import ImportReport
from ingest.pubmed import PubMed, collect
from ingest.screening import IntakeReport, load_config, open_inbox, screen_records
from ingest.services import ImportOptions, import_file, preview_import
from ingest.watch import SavedSearch, WatchFile, new_identifiers, now_iso, watch_path

from .shell import fail, open_or_create, print_json

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    watch = sub.add_parser("watch", help="saved searches that report the studies new since the last run")
    actions = watch.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    add = actions.add_parser("add", help="save a search")
    add.add_argument("name")
    add.add_argument("query")
    add.add_argument("--source", choices=["pubmed", "crossref"], default="pubmed")
    add.add_argument("--topic", action="append", default=[])
    add.add_argument("--entry", default=None, metavar="SLUG")
    add.add_argument("--as", dest="link_kind", choices=["cited", "discussed"], default=None)
    add.add_argument("--replace", action="store_true", help="overwrite a search of the same name")
    add.set_defaults(handler=cmd_watch_add)
    run = actions.add_parser("run", help="re-run saved searches and import what is new")
    run.add_argument("names", nargs="*", metavar="NAME", help="searches to run (default: all)")
    run.add_argument("--max", type=int, default=200, metavar="N", help="import at most N new records per search")
    run.add_argument("--dry-run", action="store_true", help="report what is new; import and remember nothing")
    run.add_argument("--screen", dest="screen", action="store_true", default=True,
                     help="put new records into the screening inbox (the default)")
    run.add_argument("--no-screen", dest="screen", action="store_false",
                     help="import new records straight into the library (with the search's topics)")
    run.add_argument("--json", action="store_true")
    run.set_defaults(handler=cmd_watch_run)
    listing = actions.add_parser("list", help="show the saved searches")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_watch_list)
    remove = actions.add_parser("remove", help="delete a saved search")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_watch_remove)


def cmd_watch_add(args: argparse.Namespace) -> int:
    watch = WatchFile.load(watch_path(args.bib))
    search = SavedSearch(args.name, args.query, args.source, list(args.topic), args.entry, args.link_kind)
    watch.add(search, replace=args.replace)
    watch.save()
    print(f"saved search {args.name!r} in {watch.path}; run it with: reflib watch run {args.name}")
    return 0


def cmd_watch_list(args: argparse.Namespace) -> int:
    watch = WatchFile.load(watch_path(args.bib))
    if args.json:
        print_json({name: {k: v for k, v in s.to_json().items() if k != "seen"} | {"seen": len(s.seen)}
                    for name, s in sorted(watch.searches.items())})
        return 0
    for name, s in sorted(watch.searches.items()):
        last = f"last run {s.last_run} ({s.last_count} matched)" if s.last_run else "never run"
        topics = f" topics: {', '.join(s.topics)};" if s.topics else ""
        print(f"{name}  [{s.source}] {s.query!r};{topics} {last}")
    if not watch.searches:
        print(f"no saved searches ({watch.path}); add one with: reflib watch add NAME QUERY")
    return 0


def cmd_watch_remove(args: argparse.Namespace) -> int:
    watch = WatchFile.load(watch_path(args.bib))
    watch.remove(args.name)
    watch.save()
    print(f"removed saved search {args.name!r}")
    return 0


BACKLOG = 5000  # Crossref works a saved search reads past those it has seen (a search may match millions)


def _watch_fetch(search: SavedSearch, spool: FetchedParts, http: HttpClient, limit: int) -> tuple[Fetched, int]:
    """(records of the identifiers not seen before, how many records the source matches now)."""
    if search.source == "pubmed":
        pubmed = PubMed(http)
        found = pubmed.search(search.query)
        new = new_identifiers(search, found.ids)[:limit]
        return collect(pubmed, spool, new), found.count
    # newest first: the works seen before come first, so the pages read go past them to what is new (the backlog
    # a first run left beyond --max included), at most BACKLOG works further than the last run reached
    reach = limit + min(len(search.seen), BACKLOG)
    fetched = collect_search(Crossref(http), spool, search.query, max_results=reach, sort="created")
    ids = [r.doi_key for r in fetched.records if r.doi_key]
    fresh = set(new_identifiers(search, ids))
    fetched.records = [r for r in fetched.records if r.doi_key in fresh][:limit]
    return fetched, fetched.total


def cmd_watch_run(args: argparse.Namespace) -> int:
    watch = WatchFile.load(watch_path(args.bib))
    names = args.names or sorted(watch.searches)
    searches = [watch.get(n) for n in names]
    if not searches:
        return fail("watch run", f"no saved searches in {watch.path}; add one with: reflib watch add NAME QUERY")
    lib = open_or_create(args.bib, args)
    reviewers = load_config(args.bib).reviewers if args.screen else 1
    results: list[dict[str, Any]] = []
    spools: list[FetchedParts] = []
    with HttpClient(Settings.from_env()) as http:
        for number, search in enumerate(searches):
            spool = FetchedParts.open(args.bib, {"source": "watch", "name": search.name, "query": search.query,
                                          "seen": len(search.seen)})
            spools.append(spool)
            try:
                fetched, count = _watch_fetch(search, spool, http, args.max)
            except (SourceError, ValueError) as exc:
                earlier = [s.name for s in searches[:number]] if args.screen and not args.dry_run else []
                if not earlier:
                    return fail("watch run", f"{search.name}: {exc}; the library and the saved searches are unchanged")
                return fail("watch run", f"{search.name}: {exc}; the library and this saved search are unchanged; "
                            f"{', '.join(earlier)} ran before it: their new records are in the screening inbox "
                            "and remembered as seen")
            problems = fetched.all_problems(f"watch {search.name}")
            for problem in problems:  # as import and ingest report them
                print(f"{problem.severity}: {problem}", file=sys.stderr)
            report: ImportReport | IntakeReport
            if args.screen:
                with open_inbox(args.bib) as inbox:
                    report = screen_records(lib, inbox, fetched.records, source=search.name, query=search.query,
                                            topics=search.topics, entry=search.entry, link_kind=search.link_kind,
                                            reviewers=reviewers, dry_run=args.dry_run)
            else:
                options = ImportOptions(topics=search.topics, entry=search.entry, link_kind=search.link_kind)
                report = (preview_import if args.dry_run else import_file)(
                    lib, fetched.records, f"watch {search.name}", options)
            results.append({"name": search.name, "matched": count, "new": len(fetched.records),
                            "previous_run": search.last_run, "report": report,
                            "problems": [str(p) for p in problems]})
            if not args.dry_run:
                search.seen = list(dict.fromkeys([*search.seen, *(r.pmid if search.source == "pubmed" else r.doi_key
                                                                 for r in fetched.records)]))
                search.last_run, search.last_count = now_iso(), count  # beyond --max stays new for next time
                if args.screen:  # the inbox has them: remember at once, so an interrupted run resumes after it
                    watch.save()
                    spool.discard()
    if args.json:
        print_json([{k: (v.to_json() if isinstance(v, ImportReport | IntakeReport) else v) for k, v in r.items()}
                    for r in results])
    for r in results if not args.json else []:
        since = f" since {r['previous_run']}" if r["previous_run"] else " (first run: everything is new)"
        print(f"{r['name']}: {r['new']} new{since}; {r['matched']} match now")
        if isinstance(r["report"], IntakeReport):
            print("  " + r["report"].summary().replace("\n", "\n  "))
            continue
        done: ImportReport = r["report"]
        for added in done.added:
            print(f"  + {added.key}: {added.title[:100]}")
        for merged in done.merged:
            print(f"  = {merged.key} (already in the library)")
    if not args.dry_run:
        if lib.dirty:
            lib.save()
        watch.save()
        for spool in spools:
            spool.discard()
    return 0
