"""``reflib ingest pubmed|pmid|doi|crossref``: add studies straight from PubMed or Crossref.

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
from typing import Any

from ingest.crossref import Crossref, collect_search, collect_works
from ingest.fetchstate import Fetched, FetchedParts
from ingest.http import HttpClient, NotFound, Settings, SourceError
from ingest.importer import ImportReport
from ingest.pubmed import PubMed, SearchResult, collect, parse_date_limit
from ingest.screening import load_config, open_inbox, screen_records
from ingest.services import ImportOptions, import_file, preview_import

from ..errors import InputError
from ..identifiers import InvalidIdentifier, normalize_doi, normalize_pmid
from .shell import fail, open_or_create, print_json, progress_bar

__all__ = ["register"]

Fetcher = Callable[[FetchedParts, HttpClient, Any], Fetched]


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
        return fail(command, "--entry SLUG and --as cited|discussed go together", 2)
    lib = open_or_create(args.bib, args)
    reviewers = load_config(args.bib).reviewers if getattr(args, "screen", False) else 1  # read before fetching
    spool = FetchedParts.open(args.bib, identity, restart=args.restart)
    if spool.resumed and not args.json:
        print(f"resuming the fetch started {spool.created} ({len(spool.part_names())} part(s) kept)",
              file=sys.stderr)
    settings = Settings.from_env()
    if not settings.email and not args.json:
        print("tip: set REFLIB_EMAIL=you@example.org to identify yourself to NCBI and use Crossref's polite pool",
              file=sys.stderr)
    bar = progress_bar(label)
    try:
        with HttpClient(settings) as http:
            fetched = fetcher(spool, http, bar)
    except (InputError, ValueError) as exc:
        return fail(command, f"{exc}; nothing imported")
    except NotFound as exc:  # running the same command again would meet the same answer
        return fail(command, f"{exc}; nothing imported, the library is unchanged")
    except SourceError as exc:
        kept = f"; {len(spool.part_names())} fetched part(s) are kept - run the same command again to continue" \
            if spool.part_names() else ""
        return fail(command, f"{exc}{kept}; the library is unchanged")
    except KeyboardInterrupt:
        return fail(command, f"interrupted; the library is unchanged, {len(spool.part_names())} fetched part(s) "
                     "are kept - run the same command again to continue", 130)
    finally:
        bar.close()
    if require_all and fetched.missing:
        return fail(command, f"{label} has no record for {', '.join(fetched.missing)}; nothing imported "
                     "(check the identifiers)")
    problems = fetched.all_problems(label)
    if getattr(args, "screen", False):
        with open_inbox(args.bib) as inbox:
            intake = screen_records(lib, inbox, fetched.records, source=f"{label}: {args.query}",
                                    query=args.query, topics=args.topic, entry=args.entry,
                                    link_kind=args.link_kind, reviewers=reviewers, dry_run=args.dry_run)
        for problem in problems:  # as import --screen reports them
            print(f"{problem.severity}: {problem}", file=sys.stderr)
        print_json(intake.to_json()) if args.json else print(intake.summary())
        spool.discard()
        return 0
    options = ImportOptions(topics=args.topic, entry=args.entry, link_kind=args.link_kind)
    report = (preview_import if args.dry_run else import_file)(lib, fetched.records, label, options)
    report.problems.extend(problems)
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
    returned = len(fetched.records) + len(fetched.missing)
    if fetched.total > returned:
        limit = getattr(args, "max", None)  # else the rest were skipped as unreadable (listed in the report)
        hint = " (raise --max for more)" if limit is not None and returned >= limit else ""
        print(f"{fetched.total} records match; fetched {len(fetched.records)}{hint}")
    print(report.summary())


# --- ingest ---------------------------------------------------------------------------------------------------
def cmd_ingest_pubmed(args: argparse.Namespace) -> int:
    if not args.query.strip():
        return fail("ingest pubmed", "the query is empty; give PubMed search terms")
    try:
        since = parse_date_limit(args.since) if args.since else None
    except ValueError as exc:
        return fail("ingest pubmed", str(exc))
    identity = {"source": "pubmed", "query": args.query, "max": args.max, "since": since, "date": args.date}

    def fetch(spool: FetchedParts, http: HttpClient, bar: Any) -> Fetched:
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
        return fail("ingest pmid", f"{exc}; nothing imported")

    def fetch(spool: FetchedParts, http: HttpClient, bar: Any) -> Fetched:
        bar.total = len(ids)
        return collect(PubMed(http), spool, ids, progress=bar.update)

    return _run_ingest(args, "PubMed", {"source": "pmid", "ids": ids}, fetch, require_all=True)


def cmd_ingest_doi(args: argparse.Namespace) -> int:
    try:
        dois = _dois(args.ids)
    except InputError as exc:
        return fail("ingest doi", f"{exc}; nothing imported")

    def fetch(spool: FetchedParts, http: HttpClient, bar: Any) -> Fetched:
        bar.total = len(dois)
        return collect_works(Crossref(http), spool, dois, progress=bar.update)

    return _run_ingest(args, "Crossref", {"source": "doi", "ids": [d.lower() for d in dois]}, fetch)


def cmd_ingest_crossref(args: argparse.Namespace) -> int:
    if not args.query.strip():
        return fail("ingest crossref", "the query is empty; give search terms")
    try:
        since = parse_date_limit(args.since) if args.since else None
    except ValueError as exc:
        return fail("ingest crossref", str(exc))

    def fetch(spool: FetchedParts, http: HttpClient, bar: Any) -> Fetched:
        bar.total = args.max
        return collect_search(Crossref(http), spool, args.query, max_results=args.max, since=since,
                              progress=bar.update)

    identity = {"source": "crossref", "query": args.query, "max": args.max, "since": since}
    return _run_ingest(args, "Crossref", identity, fetch)
