"""``reflib dedupe``: find duplicate studies, merge the clear cases, let an editor decide the rest.

Without ``--apply`` nothing is changed: the report shows what would be merged (and which copy would be kept)
and which pairs need an editor. ``--apply`` merges the automatic clusters and the pairs an editor accepted,
then saves. ``--review`` asks about each uncertain pair on the terminal; ``--accept``/``--reject`` record one
decision without asking. Decisions live in ``<library>.dedupe.json`` beside the library (see
:mod:`library.dedupe.decisions`), so a rejected pair is never proposed again.

Related records are listed too ("related: A erratum-of B"; ``--json``: ``"related"``): errata, retractions,
comments, replies, protocols and meeting abstracts of a paper. They are never merged (see
:mod:`library.dedupe.notices`) and do not change the exit code. ``--apply`` also stores each of them in the
source record's ``relations`` field (``erratum-of B``, naming the kept key after merges; an item already there
is not repeated), so the study pages show them; the dry run says how many it would store (``--json``:
``"relations"``, the ``"A kind B"`` items stored or to store).

Every merge ``--apply`` saves is also kept in ``<library>.merges.json`` (see :mod:`library.dedupe.undo_log`),
written before the library so that a crash at any instant leaves the two consistent (:mod:`library.dedupe.commit`;
every run settles what an interrupted one left); ``--undo KEY`` puts back the copies of the newest saved merge
into (or of) KEY and saves, unless the merged record was edited since.

Exit codes: 0 no duplicates (or all merged and nothing left to review; a merge undone); 1 duplicates found or
pairs awaiting review, or an undo refused; 2 usage errors (unknown key, ``--review`` without a terminal).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace

from ..dedupe import (
    DedupeResult,
    MergeResult,
    PairEvidence,
    Related,
    choose_keeper,
    decisions_path,
    find_duplicates,
    save_decisions,
    store_relations,
)
from ..dedupe.decisions import Decisions
from ..dedupe.undo_log import journal_path
from ..errors import LibraryError
from ..model import Record
from ..services import decisions_of, merge_clusters, save_merged, settle_undo_log, undo_merge
from ..store import Library
from .shell import open_library, print_json

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "dedupe", help="find duplicate studies; --apply merges the clear cases (exit 1 when duplicates remain)",
        description="Report duplicate clusters (dry run), merge them with --apply, review uncertain pairs.")
    parser.add_argument("--apply", action="store_true",
                        help="merge the automatic clusters and editor-accepted pairs, store the related-record "
                             "links (relations field), then save the library")
    parser.add_argument("--review", action="store_true", help="accept or reject each uncertain pair interactively")
    parser.add_argument("--accept", nargs=2, action="append", default=[], metavar=("KEY1", "KEY2"),
                        help="record that KEY1 and KEY2 are the same study (merged by --apply)")
    parser.add_argument("--reject", nargs=2, action="append", default=[], metavar=("KEY1", "KEY2"),
                        help="record that KEY1 and KEY2 are different studies (never proposed again)")
    parser.add_argument("--json", action="store_true", help="print clusters, review pairs and merges as JSON")
    parser.add_argument("--undo", metavar="KEY",
                        help="put back the copies of the newest saved merge into (or of) KEY, then save "
                             "(merges are kept in <library>.merges.json)")
    parser.set_defaults(handler=cmd_dedupe)


def _record_decisions(args: argparse.Namespace, lib: Library, decisions: Decisions) -> str | None:
    """Apply --accept/--reject; returns an error message for an unknown or repeated key."""
    for pairs, decide in ((args.accept, decisions.accept), (args.reject, decisions.reject)):
        for a, b in pairs:
            missing = [k for k in (a, b) if k not in lib]
            if missing:
                return f"no record with key {', '.join(map(repr, missing))} in {lib.path}"
            if a == b:
                return f"--accept/--reject need two different keys, got {a!r} twice"
            decide(a, b)
    return None


def _line(record: Record) -> str:
    first = record.first_author_family() or "(no author)"
    where = " ".join(p for p in (record.journal or record.journal_abbrev, record.volume,
                                 record.pages.replace("--", "-")) if p)
    ids = " ".join(f"{n}:{v}" for n, v in (("doi", record.doi), ("pmid", record.pmid)) if v)
    title = record.title.rstrip(".") or "(no title)"
    return f"{record.key}: {first} ({record.year or 'n.d.'}) {title}. {where} {ids}".strip()


def _print_report(result: DedupeResult, records: dict[str, Record]) -> None:
    for n, cluster in enumerate(result.clusters, 1):
        keeper = choose_keeper([records[k] for k in cluster.keys])
        print(f"cluster {n}: keep {keeper.key}, merge {', '.join(k for k in cluster.keys if k != keeper.key)}")
        for key in cluster.keys:
            print(f"    {_line(records[key])}")
        best = max(cluster.pairs, key=lambda p: p.score, default=None)
        if best is not None:
            print(f"    evidence ({best.tier}, {best.score:.2f}): {'; '.join(best.reasons)}")
    for pair in result.review:
        print(f"review: {pair.a} ~ {pair.b} ({pair.score:.2f}): {'; '.join(pair.reasons)}")
    for link in result.related:  # found, never merged: an erratum, comment, reply, protocol or abstract of a paper
        print(f"related: {link.a} {link.kind} {link.b}: {'; '.join(link.reasons)}")
        for key in (link.a, link.b):
            if key in records:
                print(f"    {_line(records[key])}")
    print(f"{len(result.clusters)} cluster(s) to merge, {len(result.review)} pair(s) to review, "
          f"{len(result.related)} related record(s) kept apart ({result.records} records, "
          f"{result.candidates} candidate pairs)")


def _print_merge(merge: MergeResult) -> None:
    print(f"merged {', '.join(merge.removed)} into {merge.keeper}")
    for conflict in merge.conflicts:
        print(f"    kept in provenance: {conflict}")


def _ask(pair: PairEvidence, records: dict[str, Record], prompt: Callable[[str], str]) -> str:
    print(f"\n  {_line(records[pair.a])}\n  {_line(records[pair.b])}\n  why: {'; '.join(pair.reasons)}")
    while True:
        answer = prompt("same study? [a]ccept / [r]eject / [s]kip / [q]uit: ").strip().lower()[:1]
        if answer in ("a", "r", "s", "q"):
            return answer


def _review(result: DedupeResult, records: dict[str, Record], decisions: Decisions,
            prompt: Callable[[str], str] | None = None) -> int:
    """Ask about each review pair; returns how many decisions were recorded."""
    prompt = prompt or input  # looked up at call time, so tests and wrappers can replace input()
    recorded = 0
    for n, pair in enumerate(result.review, 1):
        print(f"\n[{n}/{len(result.review)}]", end="")
        try:
            answer = _ask(pair, records, prompt)
        except EOFError:
            break
        if answer == "q":
            break
        if answer == "a":
            decisions.accept(pair.a, pair.b)
            recorded += 1
        elif answer == "r":
            decisions.reject(pair.a, pair.b)
            recorded += 1
    return recorded


def _follow_merges(result: DedupeResult, merges: list[MergeResult]) -> None:
    """After merging, related links name the kept records (a removed copy's links move to its keeper)."""
    kept = {removed: merge.keeper for merge in merges for removed in merge.removed}
    links: dict[tuple[str, str, str], Related] = {}
    for link in result.related:
        moved = replace(link, a=kept.get(link.a, link.a), b=kept.get(link.b, link.b))
        links.setdefault((moved.a, moved.b, moved.kind), moved)
    result.related = list(links.values())


def _involved(lib: Library, result: DedupeResult) -> dict[str, Record]:
    """The records the report shows: members of clusters and review pairs only."""
    keys = {k for c in result.clusters for k in c.keys} | {k for p in result.review for k in (p.a, p.b)}
    keys |= {k for link in result.related for k in (link.a, link.b)}
    return {key: lib.get(key) for key in sorted(keys)}


def _recover(lib: Library) -> bool:
    """Settle what an interrupted merge or undo left in the journal; False when the journal cannot be read."""
    try:
        for note in settle_undo_log(lib):
            print(f"reflib: merge journal: {note}", file=sys.stderr)
    except LibraryError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        return False
    return True


def _undo(args: argparse.Namespace) -> int:
    lib = open_library(args)
    if not _recover(lib):
        return EXIT_FINDINGS
    try:
        entry, _saved = undo_merge(lib, args.undo)
    except LibraryError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"undone: {entry.describe()}; {', '.join(entry.removed)} restored, {entry.keeper} as before the merge")
    print(f"saved {lib.path}")
    return EXIT_OK


def cmd_dedupe(args: argparse.Namespace) -> int:
    if args.undo:
        if args.apply or args.review or args.accept or args.reject:
            print("reflib: --undo cannot be combined with --apply, --review, --accept or --reject", file=sys.stderr)
            return EXIT_USAGE
        return _undo(args)
    if args.review and args.json:
        print("reflib: --review is interactive; it cannot be combined with --json", file=sys.stderr)
        return EXIT_USAGE
    if args.review and not sys.stdin.isatty():
        print("reflib: --review needs a terminal; use --accept KEY1 KEY2 / --reject KEY1 KEY2", file=sys.stderr)
        return EXIT_USAGE
    lib = open_library(args)
    journal_ok = _recover(lib)
    if args.apply and not journal_ok:
        print("reflib: nothing merged: the merge journal must be readable to keep the merges undoable",
              file=sys.stderr)
        return EXIT_FINDINGS
    path = decisions_path(args.bib)
    decisions = decisions_of(lib)
    error = _record_decisions(args, lib, decisions)
    if error:
        print(f"reflib: {error}", file=sys.stderr)
        return EXIT_USAGE
    changed_decisions = bool(args.accept or args.reject)
    frame = lib.frame()  # the cached pandas view: no Record objects for a 100k-record library
    result = find_duplicates(frame, decisions)
    records = _involved(lib, result)
    if args.review:
        changed_decisions |= _review(result, records, decisions) > 0
        result = find_duplicates(frame, decisions)
        records = _involved(lib, result)
    if changed_decisions:
        save_decisions(decisions, path)
    merges: list[MergeResult] = []
    if args.apply and result.clusters:
        merges = merge_clusters(lib, [cluster.keys for cluster in result.clusters])
        _follow_merges(result, merges)
    relations = store_relations(lib, ((link.a, link.kind, link.b) for link in result.related), write=args.apply)
    if args.apply and (merges or relations):
        save_merged(lib, merges)  # the undo log first, then the library (crash-consistent: see dedupe.commit)
    if args.json:
        data = result.to_json()
        data["clusters"] = [{**c.to_json(), "keeper": choose_keeper([records[k] for k in c.keys]).key}
                            for c in result.clusters]
        data["merged"] = [m.to_json() for m in merges]
        data["relations"] = relations
        print_json(data)
    else:
        _print_report(result, records)
        for merge in merges:
            _print_merge(merge)
        if args.apply:
            for item in relations:
                print(f"stored relation: {item}")
            if merges or relations:
                print(f"saved {lib.path} ({len(merges)} merge(s), {len(relations)} relation(s))")
            if merges:
                print(f"merges kept in {journal_path(lib.path).name}; undo one with: reflib dedupe --undo KEY")
        elif relations:
            print(f"{len(relations)} relation(s) to store in the relations field (--apply stores them)")
        if changed_decisions:
            print(f"decisions saved in {path}")
    remaining = result.review if merges else [*result.clusters, *result.review]
    return EXIT_FINDINGS if remaining else EXIT_OK
