"""``reflib ingest pubmed|pmid|doi|crossref``, ``reflib watch add|run|list|remove`` and ``reflib enrich``.

Online records take the same path as file imports (normalize -> match/merge -> key -> tag/link -> save), and the
library file is written once, at the end, only when everything was fetched:

* Bad input (an empty query, a malformed PMID or DOI, a bad ``--since``), a DOI Crossref does not know, a PMID
  PubMed has no record for, an NCBI error document, a service that keeps failing: one clear message, exit 1,
  the library unchanged.
* Fetched batches are kept beside the library (:mod:`ingest.fetchstate`) until the library is saved: after
  Ctrl-C, a crash or a failing server, re-running the same command continues without fetching them again and
  without duplicates (records are matched on PMID/DOI). ``--restart`` starts the fetch over.
* Settings come from the environment (:class:`ingest.http.Settings`): ``REFLIB_EMAIL`` (identifies you to NCBI
  and puts Crossref requests in its polite pool), ``NCBI_API_KEY`` (10 instead of 3 requests/s),
  ``REFLIB_EUTILS_URL`` / ``REFLIB_CROSSREF_URL`` (mirrors, tests).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from library.commands.common import open_library, print_json
from library.errors import UnknownKeyError
from library.identifiers import InvalidIdentifier, normalize_doi, normalize_pmid
from library.store import Library

from .base import ReadProblem
from .crossref import Crossref, collect_search, collect_works
from .enrich import enrich_record, fetch_enrichment
from .fetchstate import Fetched, Spool
from .http import HttpClient, Settings, SourceError
from .importer import ImportReport, import_records
from .pubmed import PubMed, SearchResult, collect, parse_date_limit
from .screening import IntakeReport, open_inbox, screen_records
from .watch import SavedSearch, WatchFile, new_identifiers, now_iso, watch_path

__all__ = ["register"]

Fetcher = Callable[[Spool, HttpClient, Any], Fetched]


class InputError(ValueError):
    """Bad input found before anything is fetched."""


def _bar(desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=0, unit="rec", desc=desc, file=sys.stderr, disable=None, dynamic_ncols=True)


def _common(parser: argparse.ArgumentParser, *, max_default: int | None = None) -> None:
    if max_default is not None:
        parser.add_argument("--max", type=int, default=max_default, metavar="N",
                            help=f"fetch at most N records (default {max_default})")
        parser.add_argument("--since", default=None, metavar="DATE", help="only records from DATE on (YYYY[-MM[-DD]])")
    parser.add_argument("--topic", action="append", default=[], help="add this manual topic to every record")
    parser.add_argument("--entry", default=None, metavar="SLUG", help="link every record to this encyclopedia entry")
    parser.add_argument("--as", dest="link_kind", choices=["cited", "discussed"], default=None,
                        help="how --entry links the records")
    parser.add_argument("--dry-run", action="store_true", help="fetch and show the report, write nothing")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--restart", action="store_true", help="discard an interrupted fetch of this command")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ingest = sub.add_parser("ingest", help="add studies straight from PubMed or Crossref",
                            description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    sources = ingest.add_subparsers(dest="source", metavar="SOURCE")
    sources.required = True
    pubmed = sources.add_parser("pubmed", help="search PubMed and import the results")
    pubmed.add_argument("query", help='PubMed query, e.g. "hysterosalpingography AND radiation dose"')
    _common(pubmed, max_default=1000)
    pubmed.add_argument("--date", choices=["publication", "entry"], default="publication",
                        help="which date --since applies to (default: publication)")
    pubmed.set_defaults(handler=cmd_ingest_pubmed)
    pmid = sources.add_parser("pmid", help="import PubMed records by PMID")
    pmid.add_argument("ids", nargs="+", metavar="PMID")
    _common(pmid)
    pmid.set_defaults(handler=cmd_ingest_pmid)
    doi = sources.add_parser("doi", help="import Crossref records by DOI")
    doi.add_argument("ids", nargs="+", metavar="DOI")
    _common(doi)
    doi.set_defaults(handler=cmd_ingest_doi)
    crossref = sources.add_parser("crossref", help="search Crossref and import the results")
    crossref.add_argument("query")
    _common(crossref, max_default=100)
    for parser in (pubmed, crossref):
        parser.add_argument("--screen", action="store_true",
                            help="put the new records into the screening inbox instead of the library")
    crossref.set_defaults(handler=cmd_ingest_crossref)
    _register_watch(sub)
    enrich = sub.add_parser("enrich", help="fill missing fields from PubMed/Crossref; flag retractions")
    enrich.add_argument("keys", nargs="*", metavar="KEY", help="records to enrich (default: all with a PMID or DOI)")
    enrich.add_argument("--force", action="store_true", help="also replace differing titles, authors and other "
                        "bibliographic fields (old values kept in provenance)")
    enrich.add_argument("--no-crossref", action="store_true", help="ask PubMed only")
    enrich.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    enrich.add_argument("--json", action="store_true")
    enrich.set_defaults(handler=cmd_enrich)


def _register_watch(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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


# --- shared ---------------------------------------------------------------------------------------------------
def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"reflib {command}: {message}", file=sys.stderr)
    return code


def _open(bib: Path, args: argparse.Namespace) -> Library:
    return open_library(args) if bib.exists() else Library.create(bib)


def _pmids(values: list[str]) -> list[str]:
    try:
        return list(dict.fromkeys(normalize_pmid(v) for v in values))
    except InvalidIdentifier as exc:
        raise InputError(str(exc)) from exc


def _dois(values: list[str]) -> list[str]:
    try:
        return list(dict.fromkeys(normalize_doi(v) for v in values))
    except InvalidIdentifier as exc:
        raise InputError(str(exc)) from exc


def _run_ingest(args: argparse.Namespace, label: str, identity: dict[str, Any], fetcher: Fetcher,
                require_all: bool = False) -> int:
    command = f"ingest {args.source}"
    if (args.entry is None) != (args.link_kind is None):
        return _fail(command, "--entry SLUG and --as cited|discussed go together", 2)
    lib = _open(args.bib, args)
    spool = Spool.open(args.bib, identity, restart=args.restart)
    if spool.resumed and not args.json:
        print(f"resuming the fetch started {spool.created} ({len(spool.part_names())} part(s) kept)",
              file=sys.stderr)
    settings = Settings.from_env()
    if not settings.email and not args.json:
        print("tip: set REFLIB_EMAIL=you@example.org to identify yourself to NCBI and use Crossref's polite pool",
              file=sys.stderr)
    bar = _bar(label)
    try:
        with HttpClient(settings) as http:
            fetched = fetcher(spool, http, bar)
    except (InputError, ValueError) as exc:
        return _fail(command, f"{exc}; nothing imported")
    except SourceError as exc:
        kept = f"; {len(spool.part_names())} fetched part(s) are kept - run the same command again to continue" \
            if spool.part_names() else ""
        return _fail(command, f"{exc}{kept}; the library is unchanged")
    except KeyboardInterrupt:
        return _fail(command, f"interrupted; the library is unchanged, {len(spool.part_names())} fetched part(s) "
                     "are kept - run the same command again to continue", 130)
    finally:
        bar.close()
    if require_all and fetched.missing:
        return _fail(command, f"{label} has no record for {', '.join(fetched.missing)}; nothing imported "
                     "(check the identifiers)")
    if getattr(args, "screen", False):
        with open_inbox(args.bib) as inbox:
            intake = screen_records(lib, inbox, fetched.records, source=f"{label}: {args.query}",
                                    query=args.query, topics=args.topic, entry=args.entry,
                                    link_kind=args.link_kind, dry_run=args.dry_run)
        print_json(intake.to_json()) if args.json else print(intake.summary())
        spool.discard()
        return 0
    report = import_records(lib, fetched.records, source=label, topics=args.topic, entry=args.entry,
                            link_kind=args.link_kind, dry_run=args.dry_run)
    report.problems.extend(fetched.problems)
    report.problems.extend(ReadProblem(label, f"PMID {m}: no record returned (deleted or not yet available)")
                           for m in fetched.missing)
    _print_report(args, report, fetched)
    if not args.dry_run and lib.dirty:
        lib.save()
        if not args.json:
            print(f"saved {args.bib}")
    spool.discard()  # saved (or a dry run): the next run fetches afresh
    return 0


def _print_report(args: argparse.Namespace, report: ImportReport, fetched: Fetched) -> None:
    if args.json:
        data = report.to_json()
        data.update(matched=fetched.total, fetched=len(fetched.records), resumed_parts=fetched.resumed_parts)
        print_json(data)
        return
    if fetched.total > len(fetched.records) + len(fetched.missing):
        print(f"{fetched.total} records match; fetched {len(fetched.records)} (raise --max for more)")
    print(report.summary())


# --- ingest ---------------------------------------------------------------------------------------------------
def cmd_ingest_pubmed(args: argparse.Namespace) -> int:
    if not args.query.strip():
        return _fail("ingest pubmed", "the query is empty; give PubMed search terms")
    try:
        since = parse_date_limit(args.since) if args.since else None
    except ValueError as exc:
        return _fail("ingest pubmed", str(exc))
    identity = {"source": "pubmed", "query": args.query, "max": args.max, "since": since, "date": args.date}

    def fetch(spool: Spool, http: HttpClient, bar: Any) -> Fetched:
        pubmed = PubMed(http)
        plan = spool.plan
        if plan is None:
            found = pubmed.search(args.query, max_results=args.max, since=since, date_field=args.date)
            for warning in found.warnings:
                print(f"PubMed: {warning}", file=sys.stderr)
            spool.set_plan({"ids": found.ids, "count": found.count, "webenv": found.webenv,
                            "query_key": found.query_key})
        else:
            found = SearchResult(int(plan["count"]), list(plan["ids"]), str(plan.get("webenv", "")),
                                 str(plan.get("query_key", "")))
        bar.total = len(found.ids)
        return collect(pubmed, spool, found.ids, search=found, progress=bar.update)

    return _run_ingest(args, "PubMed", identity, fetch)


def cmd_ingest_pmid(args: argparse.Namespace) -> int:
    try:
        ids = _pmids(args.ids)
    except InputError as exc:
        return _fail("ingest pmid", f"{exc}; nothing imported")

    def fetch(spool: Spool, http: HttpClient, bar: Any) -> Fetched:
        bar.total = len(ids)
        return collect(PubMed(http), spool, ids, progress=bar.update)

    return _run_ingest(args, "PubMed", {"source": "pmid", "ids": ids}, fetch, require_all=True)


def cmd_ingest_doi(args: argparse.Namespace) -> int:
    try:
        dois = _dois(args.ids)
    except InputError as exc:
        return _fail("ingest doi", f"{exc}; nothing imported")

    def fetch(spool: Spool, http: HttpClient, bar: Any) -> Fetched:
        bar.total = len(dois)
        return collect_works(Crossref(http), spool, dois, progress=bar.update)

    return _run_ingest(args, "Crossref", {"source": "doi", "ids": [d.lower() for d in dois]}, fetch)


def cmd_ingest_crossref(args: argparse.Namespace) -> int:
    if not args.query.strip():
        return _fail("ingest crossref", "the query is empty; give search terms")
    try:
        since = parse_date_limit(args.since) if args.since else None
    except ValueError as exc:
        return _fail("ingest crossref", str(exc))

    def fetch(spool: Spool, http: HttpClient, bar: Any) -> Fetched:
        bar.total = args.max
        return collect_search(Crossref(http), spool, args.query, max_results=args.max, since=since,
                              progress=bar.update)

    identity = {"source": "crossref", "query": args.query, "max": args.max, "since": since}
    return _run_ingest(args, "Crossref", identity, fetch)



# --- watch ----------------------------------------------------------------------------------------------------
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


def _watch_fetch(search: SavedSearch, spool: Spool, http: HttpClient, limit: int) -> tuple[Fetched, int]:
    """(records of the identifiers not seen before, how many records the source matches now)."""
    if search.source == "pubmed":
        pubmed = PubMed(http)
        found = pubmed.search(search.query)
        new = new_identifiers(search, found.ids)[:limit]
        return collect(pubmed, spool, new), found.count
    fetched = collect_search(Crossref(http), spool, search.query, max_results=limit, sort="created")
    ids = [r.doi_key for r in fetched.records if r.doi_key]
    fresh = set(new_identifiers(search, ids))
    fetched.records = [r for r in fetched.records if r.doi_key in fresh]
    return fetched, fetched.total


def cmd_watch_run(args: argparse.Namespace) -> int:
    watch = WatchFile.load(watch_path(args.bib))
    names = args.names or sorted(watch.searches)
    searches = [watch.get(n) for n in names]
    if not searches:
        return _fail("watch run", f"no saved searches in {watch.path}; add one with: reflib watch add NAME QUERY")
    lib = _open(args.bib, args)
    results: list[dict[str, Any]] = []
    spools: list[Spool] = []
    with HttpClient(Settings.from_env()) as http:
        for search in searches:
            spool = Spool.open(args.bib, {"source": "watch", "name": search.name, "query": search.query,
                                          "seen": len(search.seen)})
            spools.append(spool)
            try:
                fetched, count = _watch_fetch(search, spool, http, args.max)
            except (SourceError, ValueError) as exc:
                return _fail("watch run", f"{search.name}: {exc}; the library and the saved searches are unchanged")
            report: ImportReport | IntakeReport
            if args.screen:
                with open_inbox(args.bib) as inbox:
                    report = screen_records(lib, inbox, fetched.records, source=search.name, query=search.query,
                                            topics=search.topics, entry=search.entry, link_kind=search.link_kind,
                                            dry_run=args.dry_run)
            else:
                report = import_records(lib, fetched.records, source=f"watch {search.name}",
                                        topics=search.topics, entry=search.entry, link_kind=search.link_kind,
                                        dry_run=args.dry_run)
            results.append({"name": search.name, "matched": count, "new": len(fetched.records),
                            "previous_run": search.last_run, "report": report})
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


# --- enrich ---------------------------------------------------------------------------------------------------
def cmd_enrich(args: argparse.Namespace) -> int:
    lib = open_library(args)
    try:
        records = [lib.get(k) for k in args.keys] if args.keys else list(lib.records())
    except UnknownKeyError as exc:
        return _fail("enrich", str(exc))
    records = [r for r in records if r.pmid or r.doi_key]
    bar = _bar("enrich")
    bar.total = len(records)
    try:
        with HttpClient(Settings.from_env()) as http:
            crossref = None if args.no_crossref else Crossref(http)
            found = fetch_enrichment(records, PubMed(http), crossref, progress=bar.update)
    except SourceError as exc:
        return _fail("enrich", f"{exc}; the library is unchanged")
    finally:
        bar.close()
    changes = []
    for record in records:
        if record.key not in found:
            continue
        source, fetched = found[record.key]
        updated, change = enrich_record(record, fetched, source=source, force=args.force)
        changes.append(change)
        if change.changed and not args.dry_run:
            lib.update(updated)
    if args.json:
        print_json([{"key": c.key, "source": c.source, "filled": c.filled, "replaced": c.replaced,
                     "differing": c.differing, "retracted": c.retracted, "note": c.note} for c in changes])
    else:
        for c in changes:
            parts = [f"filled {', '.join(c.filled)}" if c.filled else "", f"replaced {', '.join(c.replaced)}"
                     if c.replaced else "", "RETRACTED - flagged" if c.retracted else "",
                     f"differs, kept ({', '.join(c.differing)}; --force replaces)" if c.differing else "", c.note]
            print(f"{c.key} [{c.source}]: {'; '.join(p for p in parts if p) or 'nothing to add'}")
        unknown = len(records) - len(changes)
        print(f"{sum(c.changed for c in changes)} record(s) enriched, {unknown} not found at the sources"
              + (" - dry run, nothing written" if args.dry_run else ""))
    if not args.dry_run and lib.dirty:
        lib.save()
    return 0
