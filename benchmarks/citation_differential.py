"""The compiled styles (library.export.csl_compiled) against citeproc-py on every record of the real corpus that
reflib can read, and on every CSL-JSON item of the CSL processor test suite: ``python -m
benchmarks.citation_differential [--limit N]``. Prints, per style, how many records took the compiled path and
how many entries differ (must be 0), and the CPU time per record of both engines.

Records: every file under ../shared/corpus that ``ingest.readers.read_file`` reads (BibTeX, RIS, PubMed XML,
MEDLINE, CSL-JSON, CSV, WoS ...), plus the bundled references.bib, journal abbreviations filled in as ``reflib
import`` does; compared in text and HTML through :func:`library.export.format_bibliography` (both engines, so the
APA/MLA order is compared too) and :func:`library.export.cite_many`. CSL-JSON items: the ``input`` of each
machine-readable test of citation-style-language/test-suite, rendered as they are (``format_csl_items``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
_SUFFIXES = (".bib", ".ris", ".nbib", ".xml", ".txt", ".json", ".csv", ".ciw", ".enw", ".tsv")


def corpus_files(corpus: Path = CORPUS) -> Iterator[Path]:
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.suffix.lower() in _SUFFIXES \
                and "citation-style-language-test-suite" not in str(path):
            yield path


def corpus_records(corpus: Path = CORPUS, limit_per_file: int | None = None) -> list:
    """Every record reflib reads from the corpus files (unreadable files skipped), titled ones only."""
    from ingest.readers import read_file
    from library.journals import fill_journal_abbrev
    from library.store import Library

    records = list(Library.load(ROOT / "references.bib", use_cache=False).records())
    for path in corpus_files(corpus):
        try:
            found = [r for r in read_file(path).records if r.title]
        except Exception:  # not a bibliography, or unreadable: skipped
            continue
        records.extend(found[:limit_per_file] if limit_per_file else found)
    for record in records:
        fill_journal_abbrev(record)
    return records


def csl_suite_items(corpus: Path = CORPUS) -> list[dict]:
    items = []
    for path in sorted((corpus / "github/citation-style-language-test-suite").rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for item in data.get("input") or []:
            if isinstance(item, dict):
                items.append(item)
    return items


def main(argv: list[str] | None = None) -> int:
    from library.export import STYLE_FORMATS, cite_many, compiled_coverage, format_bibliography, format_csl_items

    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="records per corpus file (default: all)")
    parser.add_argument("--csl-only", action="store_true", help="only the CSL test-suite items")
    args = parser.parse_args(argv)
    records = [] if args.csl_only else corpus_records(limit_per_file=args.limit)
    print(f"{len(records)} corpus records", flush=True)
    differences = 0
    for style in STYLE_FORMATS if records else ():
        covered = compiled_coverage(records, style)
        print(f"{style}: compiled path {sum(covered)}/{len(covered)} ({sum(covered) / len(covered):.1%})", flush=True)
        for fmt in ("text", "html"):
            started = time.process_time()
            fast = format_bibliography(records, style, fmt)
            fast_time = time.process_time() - started
            started = time.process_time()
            slow = format_bibliography(records, style, fmt, engine="citeproc")
            slow_time = time.process_time() - started
            bad = [(a, b) for a, b in zip(fast, slow, strict=True) if a != b]
            differences += len(bad)
            print(f"  {fmt}: {len(bad)} differences; {fast_time / len(records) * 1000:.2f} ms vs "
                  f"{slow_time / len(records) * 1000:.2f} ms per record", flush=True)
            for a, b in bad[:3]:
                print(f"    compiled: {a}\n    citeproc: {b}")
    # the entries above, per record and unsorted (as the site uses them)
    fast_many = cite_many(records, "html") if records else []
    slow_many = cite_many(records, "html", engine="citeproc") if records else []
    bad_many = sum(a != b for a, b in zip(fast_many, slow_many, strict=True))
    differences += bad_many
    print(f"cite_many html: {bad_many} records differ", flush=True)
    items = csl_suite_items()
    print(f"{len(items)} CSL test-suite items", flush=True)
    for style in STYLE_FORMATS:
        for fmt in ("text", "html"):
            fast_items = format_csl_items(items, style, fmt)
            slow_items = format_csl_items(items, style, fmt, engine="citeproc")
            bad_items = [(i, a, b) for i, (a, b) in enumerate(zip(fast_items, slow_items, strict=True)) if a != b]
            differences += len(bad_items)
            print(f"  {style} {fmt}: {len(bad_items)} differences", flush=True)
            for i, a, b in bad_items[:3]:
                print(f"    item {json.dumps(items[i])[:300]}\n    compiled: {a}\n    citeproc: {b}")
    print(f"total differences: {differences}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
