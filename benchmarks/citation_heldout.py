"""A held-out set of real records for the citation conformance check, frozen before the issue-16 fixes.

The 1,023-record set of :mod:`benchmarks.citation_corpus` (per_mille=150) has a tune part and a report part, and the
report part's APA misses were read in an earlier session, so it no longer measures honestly. This set is new: real
biomedical records of ../shared/corpus that are not in that set and share no study with it:

* CoLRev bib-dedupe medical review sets (cytology, haematology, respiratory, stroke): rows whose duplicate group
  (``merged_record_ids.csv``) has no member in the 1,023 set and whose normalized title is not in it; one row per
  duplicate group; chosen by a salted hash of the row ID (not by anything the rules print);
* asreview systematic-review datasets (Cohen 2006 drug-class reviews, Bannach-Brown 2019): PubMed records whose
  PMID and normalized title are not in the 1,023 set, chosen by the same salted hash.

Membership (source path, row ID, title digest) is frozen in ``benchmarks/data/citation-heldout-16.csv``; the note
beside it (``citation-heldout-16.md``) gives the date and the before/after figures. ``python -m
benchmarks.citation_heldout --freeze`` wrote it once; :func:`heldout_records` reads the frozen rows back through
the importer (``read_data``, one row at a time), so the set cannot drift when the selection code changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from ingest.readers import read_data
from library.journals import fill_journal_abbrev
from library.model import Record

__all__ = ["FROZEN", "heldout_records"]

ROOT = Path(__file__).resolve().parents[1]
FROZEN = ROOT / "benchmarks" / "data" / "citation-heldout-16.csv"
_COLREV = "github/CoLRev-Environment-bib-dedupe/data/{name}/records_pre_merged.csv"
_COLREV_SETS = ("cytology_screening", "haematology", "respiratory", "stroke")
_ASREVIEW = "github/asreview-systematic-review-datasets/{name}.csv"
_ASREVIEW_SETS = ("Cohen_2006_ADHD", "Cohen_2006_Antihistamines", "Cohen_2006_Estrogens", "Cohen_2006_NSAIDS",
                  "Cohen_2006_Triptans", "Cohen_2006_UrinaryIncontinence", "Bannach-Brown_2019")
_SALT = "heldout-16:"
_WORD = re.compile(r"[^0-9a-z]+")
_ID_COLUMN = {"colrev": "ID", "asreview": "record_id"}


def _title_key(title: str) -> str:
    return _WORD.sub("", title.lower())


def _digest(title: str) -> str:
    return hashlib.sha1(_title_key(title).encode()).hexdigest()[:12]


def _rank(source: str, row_id: str) -> int:
    return int(hashlib.sha1(f"{_SALT}{source}:{row_id}".encode()).hexdigest(), 16) % 10_000


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _row_record(header: list[str], row: dict[str, str], source: str) -> Record | None:
    """One CSV row read the way ``reflib import`` reads the whole file (None when the importer keeps nothing)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    writer.writerow(row)
    records = read_data(buffer.getvalue().encode(), source, "csv").records
    return records[0] if records and records[0].title else None


def heldout_records(corpus: Path) -> list[Record]:
    """The frozen held-out records, in the frozen order, journal abbreviations filled as import does; keys
    ``ho-<n>``. Rows whose file or title changed are left out (a changed corpus shows as a smaller total)."""
    with FROZEN.open(encoding="utf-8", newline="") as handle:
        frozen = list(csv.DictReader(handle))
    by_source: dict[str, dict[str, str]] = {}
    for entry in frozen:
        by_source.setdefault(entry["source"], {})[entry["row_id"]] = entry["title_sha1"]
    loaded: dict[tuple[str, str], Record] = {}
    for source, wanted in by_source.items():
        path = corpus / source
        if not path.is_file():
            continue
        kind = "colrev" if "CoLRev" in source else "asreview"
        header, rows = _rows(path)
        for row in rows:
            row_id = row[_ID_COLUMN[kind]]
            if row_id in wanted:
                record = _row_record(header, row, source)
                if record is not None and _digest(record.title) == wanted[row_id]:
                    loaded[(source, row_id)] = record
    out = []
    for n, entry in enumerate(frozen):
        record = loaded.get((entry["source"], entry["row_id"]))
        if record is not None:
            record.key = f"ho-{n}"
            fill_journal_abbrev(record)
            out.append(record)
    return out


# --- freezing (run once, before the fixes) -----------------------------------------------------------------------
def _excluded(corpus: Path) -> tuple[set[str], set[str], set[str]]:
    """Normalized titles, PMIDs and DOIs of the 1,023-record set (every part of it)."""
    from benchmarks.citation_corpus import citation_records

    records = citation_records(corpus, per_mille=150)
    return ({_title_key(r.title) for r in records if r.title}, {r.pmid for r in records if r.pmid},
            {r.doi.lower() for r in records if r.doi})


def _groups(folder: Path) -> dict[str, str]:
    """Row ID -> its duplicate group's first ID (rows in no group map to themselves)."""
    out: dict[str, str] = {}
    path = folder / "merged_record_ids.csv"
    if path.is_file():
        for row in _rows(path)[1]:
            ids = row["merged_ids"].split(";")
            for one in ids:
                out[one] = ids[0]
    return out


def _candidates(corpus: Path, per_set: int) -> Iterator[tuple[str, str, str]]:
    from benchmarks.citation_corpus import _pick

    titles, pmids, dois = _excluded(corpus)

    def fresh(record: Record) -> bool:
        return (_title_key(record.title) not in titles and record.pmid not in pmids
                and record.doi.lower() not in dois)

    for name in _COLREV_SETS:
        source = _COLREV.format(name=name)
        path = corpus / source
        header, rows = _rows(path)
        groups = _groups(path.parent)
        by_group: dict[str, list[tuple[dict[str, str], Record]]] = {}
        for row in rows:
            record = _row_record(header, row, source)
            if record is not None:
                by_group.setdefault(groups.get(row["ID"], row["ID"]), []).append((row, record))
        chosen = []
        for members in by_group.values():
            if all(fresh(record) and not _pick(record, 150) for _, record in members):
                row, record = min(members, key=lambda m: _rank(source, m[0]["ID"]))
                chosen.append((_rank(source, row["ID"]), row["ID"], record))
        for _, row_id, record in sorted(chosen, key=lambda c: (c[0], c[1]))[:per_set]:
            yield source, row_id, _digest(record.title)
    seen_titles: set[str] = set()
    for name in _ASREVIEW_SETS:
        source = _ASREVIEW.format(name=name)
        header, rows = _rows(corpus / source)
        picks = []
        for row in rows:
            record = _row_record(header, row, source)
            if record is not None and fresh(record) and _title_key(record.title) not in seen_titles:
                picks.append((_rank(source, row["record_id"]), row["record_id"], record))
        picks.sort(key=lambda c: (c[0], c[1]))
        for _, row_id, record in picks[: per_set // 3]:
            seen_titles.add(_title_key(record.title))
            yield source, row_id, _digest(record.title)


def freeze(corpus: Path, per_set: int = 110) -> int:
    rows = list(_candidates(corpus, per_set))
    FROZEN.parent.mkdir(parents=True, exist_ok=True)
    with FROZEN.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "row_id", "title_sha1"])
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    if sys.argv[1:] == ["--freeze"]:
        print(freeze(ROOT.parent / "shared" / "corpus"), "records frozen into", FROZEN)
    else:
        print("usage: python -m benchmarks.citation_heldout --freeze (run once; the set is committed)")


def second_tune_records(corpus: Path, limit: int = 150) -> list[Record]:
    """More tuning records after the held-out set was frozen: CoLRev medical review rows in no duplicate group and
    with no title shared with the 1,023-record set or the held-out set, ``limit`` per review set (by a salted hash).
    Rules written after the freeze were written against these, never against the held-out set's misses."""
    from benchmarks.citation_corpus import _pick

    held = {(entry["source"], entry["row_id"]) for entry in csv.DictReader(FROZEN.open(encoding="utf-8"))}
    titles, pmids, dois = _excluded(corpus)
    out: list[Record] = []
    for name in _COLREV_SETS:
        source = _COLREV.format(name=name)
        path = corpus / source
        if not path.is_file():
            continue
        header, rows = _rows(path)
        groups = _groups(path.parent)
        members: dict[str, list[tuple[str, Record]]] = {}
        for row in rows:
            record = _row_record(header, row, source)
            if record is not None:
                members.setdefault(groups.get(row["ID"], row["ID"]), []).append((row["ID"], record))
        held_titles = {_title_key(r.title) for group in members.values() for row_id, r in group
                       if (source, row_id) in held}
        chosen = []
        for group in members.values():
            if any((source, row_id) in held or _pick(r, 150) or _title_key(r.title) in titles | held_titles
                   or r.pmid in pmids or (r.doi and r.doi.lower() in dois) for row_id, r in group):
                continue
            row_id, record = min(group, key=lambda m: _rank("tune2:" + source, m[0]))
            chosen.append((_rank("tune2:" + source, row_id), record))
        out.extend(record for _, record in sorted(chosen, key=lambda c: c[0])[:limit])
    for n, record in enumerate(out):
        record.key = f"t2-{n}"
        fill_journal_abbrev(record)
    return out
