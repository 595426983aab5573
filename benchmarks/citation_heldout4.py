"""Held-out set #4 for the citation conformance check: real records of many databases no rule was written against.

Sets 1-3 (:mod:`benchmarks.citation_corpus`, :mod:`benchmarks.citation_heldout`, :mod:`benchmarks.citation_heldout3`)
are biomedical. This set takes the files an auditor imported from public GitHub repositories (RIS exports of Web of
Science, Scopus, Dimensions, Lens, PsycINFO, EconLit, AGRIS, PubMed and Ovid MEDLINE; Web of Science tagged files;
MEDLINE/nbib; BibTeX; CSL-JSON; PubMed XML), many of them ecology, economics, physics or gambling research.

The files are NOT in the repository (GPL and other licences): ``benchmarks/data/citation-heldout-4.md`` gives the
repository @ commit and path of each, so the set can be rebuilt. Everything here needs that folder, by default
``/work/imp-audit`` (or ``$REFLIB_HELDOUT4_DIR``, or the path argument of the command line); without it
:func:`heldout4_records` returns no record and the command says so and exits 0. A file whose sha256 differs from
the one frozen in :data:`SOURCES` is not read (its records are missing from the total, said on stderr).

Each file is read with reflib's readers as ``reflib import`` reads it (:func:`ingest.readers.read_file`, then
:func:`library.normalize.normalize_record` and the NLM journal abbreviation of :func:`library.journals.
fill_journal_abbrev`); records without a title are dropped. A record is left out when its normalized title, PMID
or DOI occurs in an earlier set (the 1,023-record tune/report set, set #2, set #2's second tune set, set #3, tune
set 3); titles are unique within the set (a record in two files goes to the first file in :data:`SOURCES` order).
Among the eligible records of each file a salted hash (``sha1("heldout-4:<file>:<ident>")``, ident = PMID, else
DOI, else ``#<position in the file>``) orders them, and each file gives at most ``cap`` records, ``cap`` the
smallest number that makes the set reach :data:`TARGET` — never chosen by anything the engines print.
``python -m benchmarks.citation_heldout4 --freeze`` wrote ``benchmarks/data/citation-heldout-4.csv`` once (source
file, identifier, sha1 prefix of the normalized title); ``--measure`` compares reflib with citeproc-js on it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.citation_heldout import _digest, _title_key
from benchmarks.citation_heldout3 import ROOT
from ingest.readers import read_file
from library.journals import fill_journal_abbrev
from library.model import Record
from library.normalize import normalize_record

__all__ = ["DEFAULT_DIR", "FROZEN4", "SOURCES", "heldout4_records", "source_of"]

DEFAULT_DIR = Path(os.environ.get("REFLIB_HELDOUT4_DIR") or "/work/imp-audit")
FROZEN4 = ROOT / "benchmarks" / "data" / "citation-heldout-4.csv"
TARGET = 800
_SALT = "heldout-4:"

# local file name -> sha256 of the bytes read (provenance: repo @ commit and path in citation-heldout-4.md)
SOURCES: dict[str, str] = {
    "cs_1_WoS.ris": "21a71a5d4ccec4de43af28b5f9ca4abb8ea6f0317b6dd6e0bc90ec8fad1503aa",
    "cs_AGRIS.ris": "f2de9b3605b1f8b106973ead0636f76b01645b5330a4d182ca208960b2351d79",
    "cs_Dimensions_246.ris": "c6ac9de5e576fc1d550fa9e18f1e8f9f75553205f3e86bb13ec0f06496e32467",
    "cs_econlit_3.ris": "48aeed889c31ec5e82d06ac38984bef9524532c8439f892ec8ea6d7575dd7f8a",
    "cs_lens_343.ris": "1d93e82eec22af8d5391514a0183c352e02d8af2cb3b4c59bd6e933b79865cb5",
    "cs_medline_84.ris": "3e35f70adad0aafe3b7526934b4e19111a2630e29738eb67c0004a8603327b2c",
    "cs_psycinfo_124.ris": "045981aad51f16c10c0f6add034b562599ef263283129ba2d8071bc35a88a7b2",
    "cs_pubmed_176.ris": "005d2ebf1c19378b8d6e3d123708d3dddbd685ad5720fdbbd111bdda4978cd05",
    "cs_scopus_255.ris": "c6068e9a5e37f7e17c7b19f51bd258114627121e68bb572a545e9d486e4a3451",
    "revtools_restoration_WoS.ciw": "c0b9791bed9b6e39f10393df335093995def7dff07b371eb888da627f406a1f7",
    "revtools_restoration_pubmed.nbib": "6bb60aa548645f222e468ea1260ca8f83312676df78f0587e9e4da100e4fdb69",
    "revtools_restoration_scopus.ris": "4c9ccbc2055162747bb050a43a679f76323ca492368e2026fa2088c7648b2b8a",
    "revtools_avian.ris": "8f05cd8870ab88b02168e663863f297bbe079b7b5486aa172dd1422c06896104",
    "mk_medline_test.medline": "c5f22b5344d353ae2e90576a5568382d8b7317f2f12d05bd324e0b5267f5dc1d",
    "mk_savedrecs.txt": "ba5c362c05cd45ed390daa3d142f46beaea18804cd1ca4edf6eaa09498f9abc8",
    "mk_testFile.isi": "e24a6dfb7b8257f4128f6fceb2d4d3bafa61b7f24475fb054f29ae475248e719",
    "mk_badFile.isi": "023d9fe130c9b0cb4ee229ff1e8eb4b59790601992c9b7f4e2cdcc8686105f0b",
    "rmr_RJC.bib": "20a18cbbd67532628ff83c84e4e9098feddbc544932d746a84675d895720f8cd",
    "nbib_pubmed.nbib": "8e463ce61cf895ed866d515336ae698db984abf20d651d8f627592fd7038b03e",
    "mr_manual-references.json": "171b605d0a9e9cc316a71481e088eebdaa6c7bf76011813ed2a932eee702567e",
    "mr_manual-references-2019-06-11.json": "0cb687bf99563f2980c06c81af3968e128122f9cd24787b269631cd0847c1d35",
    "pp_pubmed-29768149.xml": "3a2fe76981aa2dfb39d087b10b519e3a8ffb1791c76d58cbd7f7c53ee9e4e9bf",
}


def _file_ok(folder: Path, name: str) -> bool:
    path = folder / name
    if not path.is_file():
        print(f"heldout-4: {path} is missing; its records are left out", file=sys.stderr)
        return False
    if hashlib.sha256(path.read_bytes()).hexdigest() != SOURCES[name]:
        print(f"heldout-4: {path} is not the frozen file (sha256 differs); its records are left out",
              file=sys.stderr)
        return False
    return True


def _ident(record: Record, position: int) -> str:
    return record.pmid or record.doi.lower() or f"#{position}"


def _source_records(folder: Path, name: str) -> Iterator[tuple[str, Record]]:
    """(identifier, record) of one file, read as ``reflib import`` reads it (records with a title)."""
    for position, raw in enumerate(read_file(folder / name).records):
        record = normalize_record(raw)
        if record.title:
            fill_journal_abbrev(record)
            yield _ident(record, position), record


def source_of(key: str, frozen: list[dict[str, str]] | None = None) -> str:
    """The source file of a set-#4 record key ``h4-<n>``."""
    rows = frozen if frozen is not None else _frozen()
    return rows[int(key.removeprefix("h4-"))]["source"]


def _frozen() -> list[dict[str, str]]:
    with FROZEN4.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def heldout4_records(folder: Path = DEFAULT_DIR) -> list[Record]:
    """The frozen set #4, in the frozen order; keys ``h4-<n>`` (n = row of the csv). Empty without the folder; a
    record whose title changed, or whose file differs from the frozen one, is left out (a smaller total)."""
    if not folder.is_dir():
        return []
    frozen = _frozen()
    loaded: dict[tuple[str, str], Record] = {}
    for name in {row["source"] for row in frozen}:
        if _file_ok(folder, name):
            for ident, read in _source_records(folder, name):
                loaded.setdefault((name, ident), read)
    out = []
    for n, entry in enumerate(frozen):
        record = loaded.get((entry["source"], entry["ident"]))
        if record is not None and _digest(record.title) == entry["title_sha1"]:
            record.key = f"h4-{n}"
            out.append(record)
    return out


# --- freezing (run once, before either engine saw these records) -------------------------------------------------
def _rank(name: str, ident: str) -> int:
    return int(hashlib.sha1(f"{_SALT}{name}:{ident}".encode()).hexdigest(), 16)


def _excluded(corpus: Path) -> tuple[set[str], set[str], set[str]]:
    """Normalized titles, PMIDs and DOIs of every earlier set: sets 1 and 2 and set 2's tune set (through set #3's
    own exclusion), set #3 and tune set 3."""
    from benchmarks.citation_heldout3 import _excluded as excluded3
    from benchmarks.citation_heldout3 import heldout3_records, tune3_records

    titles, pmids, dois = excluded3(corpus)
    for record in heldout3_records() + tune3_records():
        titles.add(_title_key(record.title))
        if record.pmid:
            pmids.add(record.pmid)
        if record.doi:
            dois.add(record.doi.lower())
    return titles, pmids, dois


def _select(candidates: dict[str, list[tuple[str, str]]], cap: int) -> list[tuple[str, str, str]]:
    """(file, ident, title digest) of at most ``cap`` records per file, in file order then hash order, titles
    unique within the set."""
    seen: set[str] = set()
    rows = []
    for name, picks in candidates.items():
        taken = 0
        for ident, title in picks:
            key = _title_key(title)
            if taken == cap:
                break
            if key in seen:
                continue
            seen.add(key)
            rows.append((name, ident, _digest(title)))
            taken += 1
    return rows


def freeze(folder: Path, corpus: Path) -> dict[str, tuple[int, int, int]]:
    """Write the frozen csv; per file (records with a title, eligible, taken)."""
    titles, pmids, dois = _excluded(corpus)
    candidates: dict[str, list[tuple[str, str]]] = {}
    read: dict[str, int] = {}
    for name in SOURCES:
        if not _file_ok(folder, name):
            raise SystemExit(f"cannot freeze without {folder / name} as recorded")
        picks, idents = [], set()
        records = list(_source_records(folder, name))
        read[name] = len(records)
        for ident, record in records:
            if (_title_key(record.title) in titles or (record.pmid and record.pmid in pmids)
                    or (record.doi and record.doi.lower() in dois) or ident in idents):
                continue
            idents.add(ident)
            picks.append((_rank(name, ident), ident, record.title))
        picks.sort()
        candidates[name] = [(ident, title) for _, ident, title in picks]
    cap = 1
    while len(_select(candidates, cap)) < TARGET and cap < max(map(len, candidates.values())):
        cap += 1
    rows = _select(candidates, cap)
    with FROZEN4.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "ident", "title_sha1"])
        writer.writerows(rows)
    taken = {name: sum(1 for row in rows if row[0] == name) for name in SOURCES}
    print(f"cap {cap} per file, {len(rows)} records")
    return {name: (read[name], len(candidates[name]), taken[name]) for name in SOURCES}


# --- the measurement (run once; the set is spent when its misses are read) ----------------------------------------
def measure(folder: Path, dump: Path | None = None) -> int:
    from library.export.conformance import citeproc_js_available, compare_styles

    records = heldout4_records(folder)
    if not records:
        print(f"set #4 skipped: needs the source files in {folder} (see benchmarks/data/citation-heldout-4.md)")
        return 0
    if not citeproc_js_available():
        print("set #4 skipped: needs Node and the citeproc npm package (make node-deps)")
        return 0
    frozen = _frozen()
    started = time.time()
    result = compare_styles(records)
    seconds = time.time() - started
    totals: dict[str, int] = {}
    for record in records:
        totals[source_of(record.key, frozen)] = totals.get(source_of(record.key, frozen), 0) + 1
    report: dict[str, object] = {"records": len(records), "seconds": round(seconds), "styles": {}}
    for style, agreement in result.items():
        missed: dict[str, int] = {}
        for key, _, _ in agreement.differences:
            missed[source_of(key, frozen)] = missed.get(source_of(key, frozen), 0) + 1
        per_source = {name: [total - missed.get(name, 0), total] for name, total in totals.items()}
        print(f"{style}: {agreement.same}/{agreement.total} ({agreement.share:.1%}); page ranges with a changed "
              f"number {len(agreement.changed_pages)}; 'others' {len(agreement.others)}")
        for name, (same, total) in per_source.items():
            print(f"    {name}: {same}/{total}")
        report["styles"][style] = {  # type: ignore[index]
            "same": agreement.same, "total": agreement.total, "per_source": per_source,
            "changed_pages": agreement.changed_pages, "others": agreement.others,
            "differences": [[key, source_of(key, frozen), ours, theirs]
                            for key, ours, theirs in agreement.differences]}
    print(f"{len(records)} records, {seconds:.0f} s")
    if dump is not None:
        dump.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    where = Path(args[1]) if len(args) > 1 else DEFAULT_DIR
    if args[:1] == ["--freeze"]:
        if not where.is_dir():
            sys.exit(f"needs the source files in {where} (see benchmarks/data/citation-heldout-4.md)")
        for name, counts in freeze(where, ROOT.parent / "shared" / "corpus").items():
            print(f"{name}: read {counts[0]}, eligible {counts[1]}, taken {counts[2]}")
    elif args[:1] == ["--measure"]:
        sys.exit(measure(where, Path(os.environ["HELDOUT4_DUMP"]) if os.environ.get("HELDOUT4_DUMP") else None))
    else:
        print("usage: python -m benchmarks.citation_heldout4 --freeze|--measure [FOLDER] (default /work/imp-audit; "
              "--freeze was run once, the set is committed)")
