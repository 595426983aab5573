"""Helpers shared by subcommands: opening the library with a progress bar, printing tables and JSON."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.compute as pc

from ..frame import FrameQuery
from ..search import UnknownFilterError, Vocabulary, resolve_entry, resolve_topic
from ..store import Library

__all__ = ["add_filter_arguments", "frame_records_json", "open_library", "print_json", "query_from_args"]

PROGRESS_MIN_BYTES = 5_000_000  # about 3,000 records: parsing that without a cache takes a second or more


def open_library(args: argparse.Namespace) -> Library:
    """Load ``--bib``; shows a progress bar when parsing a large file from scratch."""
    path = args.bib
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="B", unit_scale=True, desc=f"indexing {path.name}", file=sys.stderr,
                       disable=total < PROGRESS_MIN_BYTES or None)
        bar.n = done
        bar.refresh()

    try:
        return Library.load(path, use_cache=not getattr(args, "no_cache", False), progress=progress)
    finally:
        if bar is not None:
            bar.close()


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", "-q", default="",
                        help="words that must all occur in title, abstract or authors; topic names and "
                             "their synonyms from the taxonomy also find the topic (HSG finds "
                             "hysterosalpingography); best matches first")
    parser.add_argument("--year-from", type=int, default=None, help="first publication year (inclusive)")
    parser.add_argument("--year-to", type=int, default=None, help="last publication year (inclusive)")
    parser.add_argument("--topic", action="append", default=[],
                        help="topic: full path, id or last segment (a parent topic matches its children); "
                             "repeat for OR")
    parser.add_argument("--entry", action="append", default=[], help="encyclopedia entry slug or title; repeat for OR")
    parser.add_argument("--design", action="append", default=[], help="study design; repeat for OR")
    parser.add_argument("--level", action="append", default=[], help="evidence level; repeat for OR")


def _taxonomy_and_entries(bib: Path) -> tuple[Any, dict[str, str]]:
    """The taxonomy and entry titles that apply to the library, or (None, {}) when a file is missing or broken
    (``reflib check`` reports those; a search still works on what the records hold)."""
    from ..evidence.encyclopedia import entries_for
    from ..evidence.taxonomy import taxonomy_for
    from ..evidence.tomlfile import EvidenceFileError

    try:
        taxonomy: Any = taxonomy_for(bib)
    except EvidenceFileError:
        taxonomy = None
    try:
        titles = {e.slug: e.title for e in entries_for(bib)}
    except EvidenceFileError:
        titles = {}
    return taxonomy, titles


def query_from_args(args: argparse.Namespace, lib: Library | None = None) -> FrameQuery:
    """The filters of ``search``/``export``: topics by path, id, last segment or synonym, entries by slug or
    title, the query widened by the taxonomy (library.search). A name nothing knows is a usage error (exit 2)
    listing the close matches, never a silent empty result."""
    if args.year_from is not None and args.year_to is not None and args.year_from > args.year_to:
        raise SystemExit(f"reflib: --year-from {args.year_from} is after --year-to {args.year_to}")
    taxonomy, titles = _taxonomy_and_entries(args.bib)
    vocabulary = Vocabulary.from_taxonomy(taxonomy) if taxonomy is not None else None
    topics, entries = list(args.topic), list(args.entry)
    if lib is not None and (topics or entries):
        frame = lib.frame()
        try:
            topics = [resolve_topic(t, taxonomy, _flat(frame["topics"]), vocabulary) for t in topics]
            entries = [resolve_entry(e, titles, _flat(frame["entries"])) for e in entries]
        except UnknownFilterError as exc:
            print(f"reflib: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
    try:
        designs = [resolve_design(d) for d in args.design]
        levels = [check_level_filter(level) for level in args.level]
    except ValueError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    return FrameQuery(
        query=args.query, topics=tuple(topics), entries=tuple(entries), designs=tuple(designs),
        levels=tuple(levels), year_from=args.year_from, year_to=args.year_to, vocabulary=vocabulary)


def resolve_design(name: str) -> str:
    """A design filter by id ('rct') or label ('Randomized controlled trial'), any case; ValueError naming the
    designs (closest first) for anything else: a filter nothing can match is never a silent empty result."""
    from ..evidence.design import DESIGN_LABELS

    wanted = " ".join(name.split()).casefold()
    for design, label in DESIGN_LABELS.items():
        if wanted in (design, label.casefold()):
            return design
    names = [*DESIGN_LABELS, *(label.casefold() for label in DESIGN_LABELS.values())]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown study design {name!r}{hint} Designs: {', '.join(DESIGN_LABELS)}")


def check_level_filter(text: str) -> str:
    """A level filter must match some level as the library's filter matches them (:func:`library.frame.
    level_matches`: the level or its last words, '1', 'therapy 1', 'OCEBM2011 therapy 1', any case)."""
    from ..evidence.level import QUESTIONS, SCHEME, format_level
    from ..frame import level_matches

    wanted = {text.casefold().strip()}
    if not any(level_matches(format_level(q, n).casefold(), wanted) for q in QUESTIONS for n in range(1, 6)):
        raise ValueError(f"evidence level filter {text!r} must be a level or its last words: '1'..'5', "
                         f"'therapy 1' or '{SCHEME} therapy 1' (questions: {', '.join(QUESTIONS)})")
    return text


def _flat(series: pd.Series) -> list[str]:
    from ..columns import list_column

    return [str(v) for v in pc.unique(pc.list_flatten(list_column(series))).to_pylist() if v]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return value


def frame_records_json(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for row in frame[list(columns)].itertuples(index=False, name=None):
        out.append({c: _plain(v) for c, v in zip(columns, row, strict=True)})
    return out


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def print_rows(rows: Iterable[Sequence[str]], widths: Sequence[int]) -> None:
    for row in rows:
        cells = [str(c)[:w].ljust(w) if w else str(c) for c, w in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())


def fail(command: str, message: str, code: int = 1) -> int:
    """Print ``reflib COMMAND: message`` on stderr; returns the exit code."""
    print(f"reflib {command}: {message}", file=sys.stderr)
    return code


def open_or_create(bib: Path, args: argparse.Namespace) -> Library:
    """The library, or a new empty one when the file does not exist yet (imports may start a library)."""
    return open_library(args) if bib.exists() else Library.create(bib)


def progress_bar(desc: str) -> Any:
    """A progress bar on stderr (silent when stderr is not a terminal)."""
    from tqdm import tqdm

    return tqdm(total=0, unit="rec", desc=desc, file=sys.stderr, disable=None, dynamic_ncols=True)
