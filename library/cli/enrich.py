"""``reflib enrich``: fill missing fields from PubMed/Crossref and flag retractions (never silently replacing an
author or title: ``--force`` does, with the old values kept in provenance; ``protect`` fields are left alone)."""

from __future__ import annotations

import argparse

from ingest.crossref import Crossref
from ingest.enrich import enrich_record, fetch_enrichment
from ingest.http import HttpClient, Settings, SourceError
from ingest.pubmed import PubMed

from ..errors import UnknownKeyError
from .shell import fail, open_library, print_json, progress_bar

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    enrich = sub.add_parser("enrich", help="fill missing fields from PubMed/Crossref; flag retractions")
    enrich.add_argument("keys", nargs="*", metavar="KEY", help="records to enrich (default: all with a PMID or DOI)")
    enrich.add_argument("--force", action="store_true", help="also replace differing titles, authors and other "
                        "bibliographic fields (old values kept in provenance)")
    enrich.add_argument("--no-crossref", action="store_true", help="ask PubMed only")
    enrich.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    enrich.add_argument("--json", action="store_true")
    enrich.set_defaults(handler=cmd_enrich)


def cmd_enrich(args: argparse.Namespace) -> int:
    lib = open_library(args)
    try:
        records = [lib.get(k) for k in args.keys] if args.keys else list(lib.records())
    except UnknownKeyError as exc:
        return fail("enrich", str(exc))
    records = [r for r in records if r.pmid or r.doi_key]
    bar = progress_bar("enrich")
    bar.total = len(records)
    try:
        with HttpClient(Settings.from_env()) as http:
            crossref = None if args.no_crossref else Crossref(http)
            found = fetch_enrichment(records, PubMed(http), crossref, progress=bar.update)
    except SourceError as exc:
        return fail("enrich", f"{exc}; the library is unchanged")
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
