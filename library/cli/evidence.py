"""``reflib tag|untag|classify|suggestions|accept|reject|set|link|unlink|topics``: evidence and encyclopedia links.

Every command that changes the library saves it once at the end (atomic, refused if the file changed on disk).
The taxonomy and entries files are found beside the library (or given with ``--taxonomy`` / ``--entries``, or
``$REFLIB_TAXONOMY`` / ``$REFLIB_ENCYCLOPEDIA``); their mistakes are reported with file and line.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..evidence.classify import classify_record, explain
from ..evidence.editor import EDITOR_FIELDS, accept_topic, level_warning, reject_topic, set_field, tag, untag
from ..evidence.encyclopedia import Encyclopedia, entries_for, load_entries
from ..evidence.links import KINDS, link_study, unlink_study
from ..evidence.reasons import parse_reasons
from ..evidence.taxonomy import Taxonomy, load_taxonomy, taxonomy_for
from ..model import Record
from .shell import open_library, print_json

__all__ = ["add_file_options", "entries_from_args", "register"]


def _taxonomy(args: argparse.Namespace) -> Taxonomy:
    path = getattr(args, "taxonomy", None)
    return load_taxonomy(path) if path else taxonomy_for(args.bib)


def entries_from_args(args: argparse.Namespace) -> Encyclopedia:
    path = getattr(args, "entries", None)
    return load_entries(path) if path else entries_for(args.bib)


def add_file_options(parser: argparse.ArgumentParser, taxonomy: bool = False, entries: bool = False) -> None:
    if taxonomy:
        parser.add_argument("--taxonomy", type=Path, default=None,
                            help="taxonomy file (default: taxonomy.toml beside the library, or $REFLIB_TAXONOMY)")
    if entries:
        parser.add_argument("--entries", type=Path, default=None,
                            help="entries file (default: encyclopedia.toml beside the library, or "
                                 "$REFLIB_ENCYCLOPEDIA)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tag", help="add manual topics to a study (never touched by classify)")
    p.add_argument("key")
    p.add_argument("topics", nargs="+", metavar="TOPIC", help="full path, topic id, or a name only one topic has")
    add_file_options(p, taxonomy=True)
    p.set_defaults(handler=cmd_tag)

    p = sub.add_parser("untag", help="remove manual topics from a study")
    p.add_argument("key")
    p.add_argument("topics", nargs="+", metavar="TOPIC")
    add_file_options(p, taxonomy=True)
    p.set_defaults(handler=cmd_untag)

    p = sub.add_parser("classify", help="recompute automatic topics, suggestions, design and level, with reasons")
    p.add_argument("keys", nargs="*", metavar="KEY", help="only these studies (default: all)")
    p.add_argument("--dry-run", action="store_true", help="show what would change, save nothing")
    p.add_argument("--json", action="store_true", help="print every study's result as JSON")
    p.add_argument("--explain", action="store_true",
                   help="print why each value is what it is (and why topics whose terms occur did not fire); "
                        "saves nothing")
    add_file_options(p, taxonomy=True)
    p.set_defaults(handler=cmd_classify)

    p = sub.add_parser("suggestions", help="suggested topics (low-confidence rule results) with their reasons")
    p.add_argument("keys", nargs="*", metavar="KEY", help="only these studies (default: every study with some)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_suggestions)

    p = sub.add_parser("accept", help="accept suggested topics: they become manual topics")
    p.add_argument("key")
    p.add_argument("topics", nargs="+", metavar="TOPIC", help="full path, topic id, or a name only one topic has")
    add_file_options(p, taxonomy=True)
    p.set_defaults(handler=cmd_accept)

    p = sub.add_parser("reject", help="reject automatic or suggested topics: never assigned or suggested again")
    p.add_argument("key")
    p.add_argument("topics", nargs="+", metavar="TOPIC", help="full path, topic id, or a name only one topic has")
    add_file_options(p, taxonomy=True)
    p.set_defaults(handler=cmd_reject)

    p = sub.add_parser("set", help="set an editor field of a study (empty value clears it)",
                       description="Fields: " + "; ".join(f"{k}: {v}" for k, v in EDITOR_FIELDS.items()))
    p.add_argument("key")
    p.add_argument("field", choices=list(EDITOR_FIELDS))
    p.add_argument("value")
    p.set_defaults(handler=cmd_set)

    p = sub.add_parser("link", help="link a study to an encyclopedia entry as cited (numbered) or discussed")
    p.add_argument("key")
    p.add_argument("slug")
    p.add_argument("--as", dest="kind", choices=KINDS, required=True)
    p.add_argument("--number", type=int, default=None, help="citation number (default: the next free one)")
    add_file_options(p, entries=True)
    p.set_defaults(handler=cmd_link)

    p = sub.add_parser("unlink", help="remove a study's links to an entry (other citations keep their numbers)")
    p.add_argument("key")
    p.add_argument("slug")
    p.add_argument("--as", dest="kind", choices=KINDS, default=None, help="only this kind of link")
    p.set_defaults(handler=cmd_unlink)

    p = sub.add_parser("topics", help="the topic taxonomy as a tree, with the number of studies under each topic")
    p.add_argument("--json", action="store_true")
    add_file_options(p, taxonomy=True)
    p.set_defaults(handler=cmd_topics)


def _edit_topics(args: argparse.Namespace, edit: Callable[[Record, Taxonomy, str], Record], shown: str) -> int:
    """Apply ``edit`` for each TOPIC argument to the study KEY, save once, and print the resulting list."""
    taxonomy = _taxonomy(args)
    lib = open_library(args)
    record = lib.get(args.key)
    for topic in args.topics:
        record = edit(record, taxonomy, topic)
    lib.update(record)
    lib.save()
    label = "rejected topics" if shown == "topics_rejected" else "manual topics"
    print(f"{args.key}: {label}: {'; '.join(getattr(record, shown)) or '(none)'}")
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    return _edit_topics(args, tag, "topics")


def cmd_untag(args: argparse.Namespace) -> int:
    return _edit_topics(args, lambda record, taxonomy, topic: untag(record, topic, taxonomy), "topics")


def cmd_accept(args: argparse.Namespace) -> int:
    def accept(record: Record, taxonomy: Taxonomy, topic: str) -> Record:
        out = accept_topic(record, taxonomy, topic)
        offered = {t.casefold() for t in (*record.topics_suggested, *record.topics_auto)}  # what classification offered
        added = [t for t in out.topics if t not in record.topics]
        if added and all(t.casefold() not in offered for t in added):
            print(f"note: {'; '.join(added)} was not suggested for {record.key}: added as a manual topic, as "
                  "`reflib tag` adds one", file=sys.stderr)
        return out
    return _edit_topics(args, accept, "topics")


def cmd_reject(args: argparse.Namespace) -> int:
    return _edit_topics(args, reject_topic, "topics_rejected")


_AUTO_FIELDS = ("topics_auto", "topics_suggested", "design_auto", "level_auto")


def _changes(old: Any, new: Any) -> list[str]:
    out = []
    for name in _AUTO_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            show = "; ".join if isinstance(after, list) else str
            out.append(f"{name}: {show(before) or '-'} -> {show(after) or '-'}")
    return out


def _result(record: Any) -> dict[str, Any]:
    reasons = parse_reasons(record.reasons_auto, [*record.topics_auto, *record.topics_suggested])
    return {"key": record.key, "topics_auto": record.topics_auto, "topics_suggested": record.topics_suggested,
            "topics_rejected": record.topics_rejected, "design_auto": record.design_auto,
            "design_reason": reasons.design.partition(": ")[2], "level_auto": record.level_auto,
            "reasons": reasons.as_dict()}


def cmd_classify(args: argparse.Namespace) -> int:
    taxonomy = _taxonomy(args)
    lib = open_library(args)
    keys = args.keys or lib.keys()
    if args.explain:
        for key in keys:
            print(f"{key}:")
            for line in explain(lib.get(key), taxonomy):
                print(f"  {line}")
        return 0
    results: list[dict[str, Any]] = []
    changed = touched = 0
    for key in keys:
        record = lib.get(key)
        new = classify_record(record, taxonomy)
        diff = _changes(record, new)
        changed += bool(diff)
        if diff or new.reasons_auto != record.reasons_auto:
            touched += 1
            if not args.dry_run:
                lib.update(new)
        results.append({**_result(new), "changed": bool(diff)})
        if diff and not args.json:
            print(f"{key}: " + "; ".join(diff))
    if not args.dry_run and touched:
        lib.save()
    if args.json:
        print_json(results)
    else:
        verb = "would change" if args.dry_run else "changed"
        reasons = touched - changed
        extra = f" (and the stored reasons of {reasons} more)" if reasons else ""
        print(f"classified {len(keys)} record(s); {verb} {changed}{extra}", file=sys.stderr)
    return 0


def cmd_suggestions(args: argparse.Namespace) -> int:
    lib = open_library(args)
    records = [lib.get(key) for key in (args.keys or lib.keys())]
    found = [_result(r) for r in records if r.topics_suggested or args.keys]
    if args.json:
        print_json([{"key": r["key"], "topics_suggested": r["topics_suggested"],
                     "reasons": r["reasons"]["suggested"]} for r in found])
        return 0
    for result in found:
        for path in result["topics_suggested"]:
            print(f"{result['key']}: {path}  ({result['reasons']['suggested'].get(path, '')})")
    print(f"{sum(len(r['topics_suggested']) for r in found)} suggestion(s); accept with `reflib accept KEY TOPIC`, "
          "reject with `reflib reject KEY TOPIC`", file=sys.stderr)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    lib = open_library(args)
    before = lib.get(args.key)
    record = set_field(before, args.field, args.value)
    lib.update(record)
    lib.save()
    print(f"{args.key}: {args.field} set" if args.value.strip() else f"{args.key}: {args.field} cleared")
    warning = level_warning(before, record)
    if warning:  # the design or level_reason changed under a stored level: `check` would report it
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    entries = entries_from_args(args)
    lib = open_library(args)
    link = link_study(lib, args.key, args.slug, args.kind, args.number, entries)
    lib.save()
    number = f" as #{link.number}" if link.number else ""
    print(f"{args.key}: {link.kind} in {link.slug}{number}")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    lib = open_library(args)
    removed = unlink_study(lib, args.key, args.slug, args.kind)
    lib.save()
    for link in removed:
        print(f"{args.key}: no longer {link.kind} in {link.slug}" + (f" (was #{link.number})" if link.number else ""))
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    taxonomy = _taxonomy(args)
    lib = open_library(args)
    counts: Counter[str] = Counter()
    for topics in lib.frame()["topics"]:
        under = {a.casefold() for t in topics for a in [*taxonomy.ancestors(t), t]}
        counts.update(under)
    if args.json:
        def add_counts(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{**n, "studies": counts[n["path"].casefold()], "children": add_counts(n["children"])}
                    for n in nodes]
        print_json(add_counts(taxonomy.tree()))
        return 0
    for topic in taxonomy:
        question = f"  [{topic.question}]" if topic.question else ""
        print(f"{'  ' * topic.depth}{topic.name}  ({counts[topic.path.casefold()]}){question}")
    return 0
