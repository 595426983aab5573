"""The committed never-merge bibliographies (benchmarks/data/never-merge): documented, readable, and the DBLP
export's conference papers, journal versions and preprints of one work are linked, never merged."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ingest.importer import import_records
from ingest.readers import read_file
from library.dedupe import find_duplicates
from library.dedupe.comparison_keys import fold
from library.store import Library

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "never-merge"


def test_every_committed_file_has_its_provenance_row():
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in DATA.glob("*.gz"))
    assert len(files) >= 9
    assert [name for name in files if f"`{name}`" not in provenance] == []


def test_dblp_versions_of_one_work_are_linked_never_merged(tmp_path):
    records = read_file(DATA / "dblp-limaye.bib.gz").records
    titles = Counter(fold(r.title) for r in records)
    repeated = {title for title, n in titles.items() if n > 1}
    assert len(records) == 118 and len(repeated) >= 30  # conference paper + journal version + preprint
    result = find_duplicates(records)
    assert result.clusters == []
    versions = [link for link in result.related if link.kind == "version-of"]
    assert len(versions) >= 20
    by_key = {r.key: r for r in records}
    # each link joins a conference paper and a journal article (or preprint) of the work, never two of one kind
    assert all({by_key[link.a].entry_type, by_key[link.b].entry_type} == {"inproceedings", "article"}
               for link in versions)
    report = import_records(Library.create(tmp_path / "lib.bib"), records, source="dblp", dry_run=True)
    assert report.merged == [] and len(report.added) == len(records)
