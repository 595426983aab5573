"""Issue 14 figures: false merges on "never merge" sets built from real files, for ``reflib import`` and for
``reflib dedupe``, beside precision/recall of the labelled sets - each on its tune and its report part.

Never-merge sets (every record is a different publication, so every merge is a false merge), whichever are
present, in this order:

* Committed bibliographies, ``benchmarks/data/never-merge/*.bib.gz`` (see its PROVENANCE.md: TeX Live's copies
  of Beebe's TUGboat, font, TeX-book, typesetting and printing-history bibliographies, and a DBLP export with
  conference paper, journal version and CoRR preprint of one work): a journal's own bibliography with a column in
  every issue ("Editorial comments", "Calendar"), book bibliographies with many editions and translations of one
  title. Parts by ``sha1(folded title) % 2 == 0`` (tune), so that every group of same-titled records stays in one
  part.
* ``../shared/corpus``: biber's TUGboat copy (used whole while the rules were written: reported as tune only), and
  the PubMed records of the Cohen 2006 screening sets (PMID, title, authors, year) without their PMIDs; distinct
  PMIDs are distinct publications. Parts by the shared rule: ``sha1(pmid) % 2 == 0`` is tune. The other eight
  Cohen 2006 reviews (11,029 more PMIDs) are committed as ``never-merge/cohen2006-more.csv.gz``.
* ``$REFLIB_BENCH_DATA`` (default ``/work/bench-data``; lost between sessions, read when restored): real PubMed
  files with DOI, PMID and PMCID removed (``pubmed-random/*.xml.gz``), and ``never-merge/{journal-bibs,
  conference-journal}/*.bib`` (DBLP and CryptoBib files).

``benchmarks/data/never-merge-audit.csv`` lists pairs of a "never merge" file that are in fact one item listed
twice (same journal, volume, issue and page, or the same PubMed article under two PMIDs), each with its evidence;
false merges are printed as given and without those pairs. Rules were written against the tune parts; the report
parts were only run for these figures (their merges were audited, never used to write a rule).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from benchmarks.bench_dedupe import BIOMEDICAL, PRECISION_TARGET, RECALL_TARGET, evaluate, labelled_sets
from benchmarks.label_audit import audited_clusters
from benchmarks.label_audit import load_audit as load_label_audit
from benchmarks.realdata import BENCH_DATA
from benchmarks.run import Report
from ingest.importer import import_records
from ingest.readers import read_file
from library.dedupe import find_duplicates
from library.dedupe.comparison_keys import fold
from library.model import Author, Record
from library.normalize import normalize_record
from library.store import Library

ROOT = Path(__file__).resolve().parent.parent
DATA = BENCH_DATA
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "github"
SHARED_TUGBOAT = SHARED_CORPUS / "plk-biber" / "etc" / "tugboat.bib"
COHEN = SHARED_CORPUS / "asreview-systematic-review-datasets"
COMMITTED = Path(__file__).resolve().parent / "data" / "never-merge"  # see its PROVENANCE.md
COHEN_MORE = COMMITTED / "cohen2006-more.csv.gz"  # the other eight Cohen 2006 reviews (see its PROVENANCE.md)
AUDIT = Path(__file__).resolve().parent / "data" / "never-merge-audit.csv"
PARTS = ("tune", "report")

Pair = frozenset[str]


def part_of(text: str) -> str:
    """The shared split rule: tune when ``int(sha1(text), 16) % 2 == 0``."""
    return "tune" if int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2 == 0 else "report"


def pubmed_set(path: Path) -> dict[str, list[Record]]:
    """Records of a PubMed file without identifiers, one per PMID, by part (keys ``pm<PMID>``)."""
    parts: dict[str, list[Record]] = {name: [] for name in PARTS}
    seen: set[str] = set()
    for record in read_file(path).records:
        if not record.pmid or record.pmid in seen:
            continue
        seen.add(record.pmid)
        copy = record.copy()
        copy.key = f"pm{record.pmid}"
        copy.doi = copy.pmid = copy.pmcid = ""
        parts[part_of(record.pmid)].append(copy)
    return parts


def bibliography_set(path: Path, whole_tune: bool = False) -> dict[str, list[Record]]:
    """Records of a bibliography, keyed by their own keys, by part (the part of their folded title)."""
    parts: dict[str, list[Record]] = {name: [] for name in PARTS}
    for n, record in enumerate(read_file(path).records):
        copy = record.copy()
        copy.key = record.key or f"r{n}"
        parts["tune" if whole_tune else part_of(fold(record.title))].append(copy)
    return parts


def _cohen_authors(text: str) -> list[Author]:
    """'E J Reimer; G S Dunn' (given names first, no commas) as authors."""
    out = []
    for name in (part.strip() for part in text.split(";")):
        if name:
            given, _, family = name.rpartition(" ")
            out.append(Author(family=family, given=given))
    return out


def _cohen_rows(folder: Path) -> Iterator[dict[str, str]]:
    for path in sorted(folder.glob("Cohen_2006_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)


def _committed_cohen_rows(path: Path = COHEN_MORE) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def cohen_set(rows: Iterable[dict[str, str]] | None = None) -> dict[str, list[Record]]:
    """PubMed records of Cohen 2006 screening sets (PMID, title, authors, year), one per PMID, identifiers
    removed, by part (``sha1(pmid) % 2``). A PMID listed by two reviews is one record. Default: ../shared's six."""
    parts: dict[str, list[Record]] = {name: [] for name in PARTS}
    seen: set[str] = set()
    for row in _cohen_rows(COHEN) if rows is None else rows:
        pmid = (row.get("pubmedID") or "").strip()
        if not pmid or pmid in seen:
            continue
        seen.add(pmid)
        year = (row.get("year") or "").strip()
        record = Record(key=f"pm{pmid}", title=(row.get("title") or "").strip(),
                        authors=_cohen_authors(row.get("authors") or ""),
                        year=int(year) if year.isdigit() else None)
        parts[part_of(pmid)].append(record)
    return parts


def never_merge_sets() -> Iterator[tuple[str, dict[str, list[Record]]]]:
    """Every never-merge set that is present: committed files first, then ../shared, then $REFLIB_BENCH_DATA."""
    for path in sorted(COMMITTED.glob("*.bib.gz")):
        yield path.name.removesuffix(".bib.gz"), bibliography_set(path)
    if SHARED_TUGBOAT.exists():
        yield "TUGboat (shared corpus; tuned on whole)", bibliography_set(SHARED_TUGBOAT, whole_tune=True)
    if any(COHEN.glob("Cohen_2006_*.csv")):
        yield "pubmed Cohen 2006 sets (shared corpus; ids stripped)", cohen_set()
    if COHEN_MORE.exists():
        yield "pubmed Cohen 2006, 8 more reviews (committed; ids stripped)", cohen_set(_committed_cohen_rows())
    for path in sorted((DATA / "pubmed-random").glob("*.xml.gz")):
        yield f"pubmed {path.name.removesuffix('.xml.gz')} (ids stripped)", pubmed_set(path)
    for folder in ("journal-bibs", "conference-journal"):
        for path in sorted((DATA / "never-merge" / folder).glob("*.bib")):
            yield path.name.removesuffix(".bib"), bibliography_set(path)


def load_audit(path: Path = AUDIT) -> set[Pair]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {frozenset((row["key_a"], row["key_b"])) for row in csv.DictReader(handle)}


def import_merges(records: list[Record]) -> tuple[list[Pair], float]:
    """Pairs (kept record, merged record) that ``reflib import`` of the records into an empty library merges;
    CPU seconds (a dry run: the same decisions, nothing written)."""
    with tempfile.TemporaryDirectory() as folder:
        lib = Library.create(Path(folder) / "empty.bib")
        started = time.process_time()
        report = import_records(lib, [r.copy() for r in records], source="bench", dry_run=True)
        elapsed = time.process_time() - started
    source_of = {added.key: added.source_key for added in report.added}
    return [frozenset((source_of.get(m.key, m.key), m.incoming)) for m in report.merged], elapsed


def dedupe_merges(records: list[Record]) -> tuple[list[Pair], float]:
    """Pairs ``reflib dedupe --apply`` would merge (every pair inside an auto cluster); CPU seconds."""
    started = time.process_time()
    result = find_duplicates([normalize_record(r) for r in records])
    elapsed = time.process_time() - started
    return [frozenset(pair) for pair in result.auto_pairs()], elapsed


def _never_merge(report: Report) -> None:
    audit = load_audit()
    totals = {part: [0, 0, 0, 0] for part in PARTS}  # records, import false, dedupe false (audited)
    found = False
    for name, parts in never_merge_sets():
        found = True
        for part in PARTS:
            records = parts[part]
            if not records:
                continue
            imported, import_time = import_merges(records)
            deduped, dedupe_time = dedupe_merges(records)
            bad_import = [p for p in imported if p not in audit]
            bad_dedupe = [p for p in deduped if p not in audit]
            per = 10_000 / len(records)
            report.add("merges", f"{name} [{part}] {len(records):,} rec: import false merges",
                       f"{len(bad_import)} ({len(bad_import) * per:.1f}/10k)",
                       f"target 0; as given {len(imported)}; {import_time:.1f} s")
            report.add("merges", f"{name} [{part}]: dedupe false merges (pairs)",
                       f"{len(bad_dedupe)} ({len(bad_dedupe) * per:.1f}/10k)",
                       f"target 0; as given {len(deduped)}; {dedupe_time:.1f} s")
            totals[part][0] += len(records)
            totals[part][1] += len(bad_import)
            totals[part][2] += len(bad_dedupe)
    if not found:
        report.add("merges", "never-merge sets", "data absent", f"expected in {COMMITTED}")
        return
    for part in PARTS:
        records, bad_import, bad_dedupe, _ = totals[part]
        if records:
            report.add("merges", f"ALL never-merge sets [{part}] {records:,} rec: import / dedupe false merges",
                       f"{bad_import} / {bad_dedupe}",
                       f"per 10k: {bad_import * 10_000 / records:.2f} / {bad_dedupe * 10_000 / records:.2f}")


def labelled_parts(records: list[Record], clusters: list[list[str]]) -> dict[str, tuple[list[Record],
                                                                                         list[list[str]]]]:
    """A labelled set split by cluster (the part of the cluster's smallest ID), so no true pair crosses parts."""
    anchor = {key: min(cluster) for cluster in clusters for key in cluster}
    out = {}
    for part in PARTS:
        keep = [r for r in records if part_of(anchor.get(r.key, r.key)) == part]
        keys = {r.key for r in keep}
        out[part] = (keep, [[k for k in c if k in keys] for c in clusters if part_of(min(c)) == part])
    return out


def _labelled(report: Report) -> None:
    sets = labelled_sets()
    label_audit = load_label_audit()
    if not sets:
        report.add("merges", "labelled sets", "data absent", "../shared/corpus")
    for name, (records, clusters) in sets.items():
        target = (f"target >= {PRECISION_TARGET} / {RECALL_TARGET}" if name in BIOMEDICAL else "(not biomedical)")
        for part, (subset, subclusters) in labelled_parts(records, clusters).items():
            m = evaluate(subset, subclusters)
            report.add("merges", f"{name} [{part}] {len(subset)} rec, {m['true_pairs']} true pairs: P / R",
                       f"{m['precision']:.4f} / {m['recall']:.4f}", f"{target}; false pairs {m['false_pairs']}")
            if name in label_audit:
                fixed = evaluate(subset, audited_clusters(subclusters, label_audit[name]))
                report.add("merges", f"{name} [{part}] on the audited labels ({fixed['true_pairs']} true pairs)",
                           f"{fixed['precision']:.4f} / {fixed['recall']:.4f}", target)


def corrections(n: int, author: bool) -> list[Record]:
    """The issue's bad input: ``n`` records titled "Correction", one journal, one year (with one corporate author
    or none), nothing else to tell them apart."""
    people = [Author(literal="Editorial Office")] if author else []
    return [Record(key=f"c{k}", title="Correction", year=2020, journal="Some Journal", authors=list(people))
            for k in range(n)]


def _bad_input(report: Report) -> None:
    per_k = []
    for n in (1_000, 10_000):
        for author in (False, True):
            records = corrections(n, author)
            pairs, dedupe_time = dedupe_merges(records)
            imported, import_time = import_merges(records)
            label = f"{n:,} x 'Correction', one journal and year" + (", one author" if author else "")
            report.add("merges", f"{label}: import / dedupe merges", f"{len(imported)} / {len(pairs)}",
                       f"target 0 / 0; {import_time:.2f} s / {dedupe_time:.2f} s")
            if author:
                per_k.append((import_time + dedupe_time) / n * 1000)
    report.add("merges", "  'Correction' sets: import + dedupe time per 1k records at 1k, 10k",
               " / ".join(f"{t:.2f}" for t in per_k) + " s", "flat = linear (quadratic would grow x10)")


def _reimport(report: Report) -> None:
    """A real file imported, saved, and imported again: nothing added or changed. The PubMed update file when
    present, else the committed TUGboat bibliography."""
    path = DATA / "pubmed-random" / "pubmed21n1298.xml.gz"
    if not path.exists():
        path = COMMITTED / "tugboat-texlive2022.bib.gz"
    if not path.exists():
        report.add("merges", "re-import of a real file", "data absent", str(path))
        return
    records = read_file(path).records
    with tempfile.TemporaryDirectory() as folder:
        bib = Path(folder) / "lib.bib"
        lib = Library.create(bib)
        first = import_records(lib, [r.copy() for r in records], source=path.name)
        lib.save()
        lib = Library.load(bib)
        started = time.process_time()
        again = import_records(lib, [r.copy() for r in records], source=path.name)
        elapsed = time.process_time() - started
        changed = sum(1 for m in again.merged if m.changed)
        report.add("merges", f"re-import {path.name} ({len(first.added):,} records) into the library it made",
                   f"{len(again.added)} added, {changed} changed", f"target 0 / 0; {elapsed:.1f} s CPU")


def run(report: Report) -> None:
    _never_merge(report)
    _labelled(report)
    _bad_input(report)
    _reimport(report)
