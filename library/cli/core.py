"""``reflib check``, ``stats`` and ``search``/``list``."""

from __future__ import annotations

import argparse
from collections import Counter

import pandas as pd

from ..evidence.checks import evidence_problems
from ..evidence.reasons import parse_reasons
from ..frame import filter_positions
from ..journals import fill_journal_abbrev, missing_abbreviations
from ..search import parse_search, rank_positions
from ..store import Library
from .shell import add_filter_arguments, frame_records_json, open_library, print_json, print_rows, query_from_args

SEARCH_COLUMNS = ("key", "year", "first_author", "title", "journal", "doi", "pmid", "design", "level", "topics",
                  "entries", "topics_suggested", "reasons", "verification", "unverified")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = sub.add_parser("check", help="report problems in the library (exit 1 when there are any)")
    check.add_argument("--json", action="store_true", help="print the problems as JSON")
    check.add_argument("--fix", action="store_true",
                       help="fill missing journal abbreviations from the NLM journal list and save")
    check.set_defaults(handler=cmd_check)

    stats = sub.add_parser("stats", help="counts by year, type, design, topic and verification")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    for name in ("search", "list"):
        search = sub.add_parser(name, help="filter the library and list the matching records")
        add_filter_arguments(search)
        search.add_argument("--json", action="store_true", help="print matching records as JSON")
        search.add_argument("--limit", type=int, default=None, help="print at most N records")
        search.set_defaults(handler=cmd_search)


def collect_problems(args: argparse.Namespace, lib: Library | None = None) -> list[dict[str, object]]:
    """Every problem ``check`` reports (the store's and the evidence checks'); ``stats`` counts the same list."""
    lib = lib if lib is not None else open_library(args)
    problems: list[dict[str, object]] = [
        {"line": p.line, "kind": p.kind, "key": p.key, "message": p.message} for p in lib.problems()]
    problems.extend(evidence_problems(lib))
    return problems


def fix_journal_abbreviations(args: argparse.Namespace) -> list[str]:
    """Fill empty ``journal_abbrev`` fields from the NLM list and save; one line per filled record."""
    lib = open_library(args)
    filled = []
    for record in list(lib.records()):
        reason = fill_journal_abbrev(record)
        if reason:
            lib.update(record)
            filled.append(f"{record.key}: journal_abbrev = {record.journal_abbrev} ({reason})")
    if filled:
        lib.save()
    return filled


def journal_notes(args: argparse.Namespace) -> list[str]:
    """Journals of articles with no abbreviation that the NLM list does not know (AMA/Vancouver print them
    in full): a note, never a problem."""
    missing = missing_abbreviations(list(open_library(args).records()))
    return [f"no known NLM abbreviation for {journal!r} [{', '.join(keys[:5])}"
            + (f" and {len(keys) - 5} more" if len(keys) > 5 else "") + "]"
            for journal, keys in sorted(missing.items())]


def cmd_check(args: argparse.Namespace) -> int:
    filled = fix_journal_abbreviations(args) if args.fix else []
    problems = collect_problems(args)
    if args.json:
        print_json(problems)
    else:
        for line in filled:
            print(f"fixed: {line}")
        for p in problems:
            where = f"{args.bib}:{p['line']}" if p.get("line") else str(args.bib)
            key = f" [{p['key']}]" if p.get("key") else ""
            print(f"{where}{key}: {p['kind']}: {p['message']}")
        for note in journal_notes(args):
            print(f"note: {note}")
        print(f"{len(problems)} problem(s)" if problems else "no problems found")
    return 1 if problems else 0


def cmd_stats(args: argparse.Namespace) -> int:
    lib = open_library(args)
    frame = lib.frame()
    years = frame["year"].dropna()
    topics: Counter[str] = Counter(t for ts in frame["topics"] for t in ts)
    data = {
        "records": len(frame),
        "years": [int(years.min()), int(years.max())] if len(years) else None,
        "entry_types": dict(Counter(frame["entry_type"]).most_common()),
        "designs": dict(Counter(d or "(none)" for d in frame["design"]).most_common()),
        "verification": dict(Counter(v or "(unknown)" for v in frame["verification"]).most_common()),
        "with_doi": int((frame["doi"] != "").sum()),
        "with_pmid": int((frame["pmid"] != "").sum()),
        "topics": dict(topics.most_common()),
        "problems": len(collect_problems(args, lib)),  # the same list `reflib check` prints
    }
    if args.json:
        print_json(data)
        return 0
    print(f"{data['records']} records in {args.bib}")
    if data["years"]:
        print(f"years: {data['years'][0]}-{data['years'][1]}")  # type: ignore[index]
    print(f"with DOI: {data['with_doi']}   with PMID: {data['with_pmid']}   problems: {data['problems']}")
    for title in ("entry_types", "designs", "verification", "topics"):
        counts = data[title]
        assert isinstance(counts, dict)
        print(f"{title.replace('_', ' ')}:")
        for name, count in list(counts.items())[:25]:
            print(f"  {count:6d}  {name}")
    return 0


def _missing(value: object) -> bool:
    """A frame cell with no value: None, NaN or pandas' NA (the nullable year column holds NA)."""
    return value is None or value is pd.NA or value != value


def cmd_search(args: argparse.Namespace) -> int:
    lib = open_library(args)
    frame = lib.frame()
    query = query_from_args(args, lib)
    positions = filter_positions(frame, query)
    terms = parse_search(query.query, query.vocabulary)
    if terms:  # best match first (title, abstract, elsewhere; newest breaks ties), as the dashboard lists them
        positions = rank_positions(frame, positions, terms)
    found = frame.take(positions)
    if args.limit is not None:
        found = found.head(args.limit)
    if args.json:
        records = frame_records_json(found, SEARCH_COLUMNS)
        for item in records:  # the reasons of automatic values, read back by kind (see library.evidence.reasons)
            item["reasons"] = parse_reasons(item["reasons"], [*item["topics"], *item["topics_suggested"]]).as_dict()
        print_json(records)
        return 0
    rows = [(r.key, "" if _missing(r.year) else r.year, r.first_author, r.title) for r in found.itertuples()]
    print_rows(rows, (28, 4, 18, 0))
    print(f"{len(found)} record(s)")
    return 0
