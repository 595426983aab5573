"""Before/after differential for the citation engine: dump every string :func:`library.export.cite_many` gives
(HTML and text, the four styles) for a fixed set of records, or compare a fresh run with an earlier dump.

``python -m benchmarks.cite_dump dump OUT.json.gz`` with the code before a change, ``python -m
benchmarks.cite_dump compare OUT.json.gz`` after it: any string that differs is printed (a bug in the change,
never an accepted difference). Records:

* ``corpus``: every record ``ingest.readers.read_file`` reads from every file of ../shared/corpus (titled or not;
  the CSL test suite's items are rendered as they are through ``format_csl_items``, see ``csl-suite``), journal
  abbreviations filled in as ``reflib import`` does, plus the bundled references.bib;
* ``seed``: ../shared/data/seed-studies.bib;
* ``synth``: 4 x 5,000 synthetic records of :func:`benchmarks.synth.write_library` (seeds 101-104);
* ``csl-suite``: the CSL-JSON ``input`` items of the CSL processor test suite through ``format_csl_items``
  (compiled engine), in each style.

Records go through ``cite_many`` in batches of 500 with the items the site makes (``csl_item(record,
keep_custom=True)``), and the corpus records once more without items (``cite_many`` makes them).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REFLIB_SHARED", ROOT.parent / "shared"))  # ../shared, or a copy's
CORPUS = SHARED / "corpus"
BATCH = 500


def corpus_records() -> list:
    """Every record the readers take from the corpus (unreadable files skipped) and the bundled library."""
    from ingest.readers import read_file
    from library.journals import fill_journal_abbrev
    from library.store import Library

    records = list(Library.load(ROOT / "references.bib", use_cache=False).records())
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or "citation-style-language-test-suite" in str(path):
            continue
        try:
            records.extend(read_file(path).records)
        except Exception:  # not a bibliography, or unreadable: skipped
            continue
    for record in records:
        fill_journal_abbrev(record)
    return records


def seed_records() -> list:
    from library.store import Library

    return list(Library.load(SHARED / "data" / "seed-studies.bib", use_cache=False).records())


def synth_records() -> list:
    from benchmarks.synth import write_library
    from library.store import Library

    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (101, 102, 103, 104):
            path = write_library(Path(tmp) / f"synth-{seed}.bib", 5000, seed=seed)
            records.extend(Library.load(path, use_cache=False).records())
    return records


def suite_items() -> list[dict]:
    from benchmarks.citation_differential import csl_suite_items

    return csl_suite_items(CORPUS)


def _batches(records: list, with_items: bool) -> Iterator[list[dict[str, str]]]:
    from library.export import cite_many
    from library.export.csljson import csl_item

    for start in range(0, len(records), BATCH):
        batch = records[start:start + BATCH]
        items = [csl_item(r, keep_custom=True) for r in batch] if with_items else None
        for fmt in ("html", "text"):
            yield cite_many(batch, fmt, items=items)


def outputs() -> dict[str, list]:
    """Set name -> list of strings (per record, per format, per style), in a fixed order."""
    from library.export import STYLE_FORMATS, format_csl_items

    sets: dict[str, list] = {}
    loaders = {"corpus": corpus_records, "seed": seed_records, "synth": synth_records}
    for name, load in loaders.items():
        records = load()
        started = time.perf_counter()
        strings: list = []
        for batch in _batches(records, with_items=True):
            strings.extend(json.dumps(out, sort_keys=True, ensure_ascii=False) for out in batch)
        if name == "corpus":
            for batch in _batches(records, with_items=False):
                strings.extend(json.dumps(out, sort_keys=True, ensure_ascii=False) for out in batch)
        sets[name] = strings
        print(f"{name}: {len(records)} records, {len(strings)} outputs ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr, flush=True)
    items = suite_items()
    strings = []
    for style in STYLE_FORMATS:
        for fmt in ("html", "text"):
            strings.extend(format_csl_items(items, style, fmt))
    sets["csl-suite"] = strings
    print(f"csl-suite: {len(items)} items, {len(strings)} outputs", file=sys.stderr, flush=True)
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("dump", "compare"))
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    current = outputs()
    if args.action == "dump":
        with gzip.open(args.path, "wt", encoding="utf-8") as handle:
            json.dump(current, handle, ensure_ascii=False)
        return 0
    with gzip.open(args.path, "rt", encoding="utf-8") as handle:
        before = json.load(handle)
    failures = 0
    for name, strings in before.items():
        now = current.get(name, [])
        differ = [i for i, (a, b) in enumerate(zip(strings, now, strict=False)) if a != b]
        if len(now) != len(strings):
            print(f"{name}: {len(strings)} outputs before, {len(now)} now")
            failures += 1
        for i in differ[:10]:
            print(f"{name} #{i}\n  before: {strings[i]}\n  now:    {now[i]}")
        failures += len(differ)
        # each output holds 4 styles (cite_many) or is one string (csl-suite)
        print(f"{name}: {len(strings)} outputs compared, {len(differ)} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
