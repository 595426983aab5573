"""RIS export: reference-manager conventions and round trips through rispy and reflib's own RIS reader.

Golden tests/golden/export/five.ris was read by eye: TY JOUR/CHAP/ELEC, one AU line per author (collective
authors whole), A2 editors for the chapter, T2 journal / book title, J2 abbreviation, PY + DA (2017/05), SP/EP
(article number in SP only), SN ISSN or ISBN, DO, AN (PMID) with DB PubMed, UR + Y2 access date for the web page.
"""

from __future__ import annotations

import rispy

from library.export import export_records, to_ris
from library.model import Record
from tests.fixtures.export_records import (
    asrm2003factsheet,
    check_golden,
    dreyer2017oil,
    five_records,
    hostile_record,
    lindqvist2019chapter,
)


def with_pmcid() -> list[Record]:
    """The five records plus identifiers the fixtures lack (a PMCID, a URL beside a DOI)."""
    records = five_records()
    records[0].pmcid = "PMC5432100"
    records[2].url = "https://www.cochranelibrary.com/cdsr/doi/10.1002/14651858.CD003718.pub5/full"
    return [*records, asrm2003factsheet(), hostile_record()]


def test_golden_ris() -> None:
    check_golden("five.ris", to_ris(five_records()))


def test_ris_conventions() -> None:
    text = to_ris([dreyer2017oil()])
    lines = text.splitlines()
    assert lines[0] == "TY  - JOUR" and lines[1] == "ID  - dreyer2017oil"
    assert lines[-1] == "ER  - " and text.endswith("ER  - \n")
    assert sum(1 for line in lines if line.startswith("AU  - ")) == 32
    for line in ("AU  - van Rijswijk, Joukje", "T2  - New England Journal of Medicine", "J2  - N Engl J Med",
                 "PY  - 2017", "DA  - 2017/05", "SP  - 2043", "EP  - 2052", "DO  - 10.1056/NEJMoa1612337",
                 "AN  - 28520519", "DB  - PubMed", "SN  - 0028-4793"):
        assert line in lines, line
    assert all(len(line) >= 6 and line[2:6] == "  - " for line in lines)


def test_ris_chapter_web_page_and_article_number() -> None:
    chapter = to_ris([lindqvist2019chapter()]).splitlines()
    assert chapter[0] == "TY  - CHAP" and "A2  - Moreau, Hélène" in chapter
    assert "T2  - Imaging in Reproductive Medicine" in chapter and "SN  - 978-3-030-00000-4" in chapter
    assert "CY  - Cham" in chapter and "ET  - 2" in chapter
    web = to_ris([asrm2003factsheet()]).splitlines()
    assert web[0] == "TY  - ELEC" and "Y2  - 2007/11/30" in web
    assert "AU  - American Society for Reproductive Medicine" in web
    cochrane = to_ris([five_records()[2]]).splitlines()
    assert "SP  - CD003718" in cochrane and not any(line.startswith("EP  - ") for line in cochrane)


def test_ris_values_stay_on_one_line() -> None:
    record = dreyer2017oil()
    record.abstract = "BACKGROUND: One.\n\nMETHODS: Two\nlines."
    lines = to_ris([record]).splitlines()
    assert "AB  - BACKGROUND: One. METHODS: Two lines." in lines


def test_round_trip_through_rispy_keeps_every_identifier() -> None:
    records = with_pmcid()
    parsed = rispy.loads(to_ris(records))
    assert len(parsed) == len(records)
    for record, entry in zip(records, parsed, strict=True):
        assert entry["id"] == record.key
        assert entry.get("doi", "") == record.doi
        assert entry.get("accession_number", "") == record.pmid
        assert entry.get("custom2", "") == record.pmcid
        assert entry.get("issn", "") == (record.isbn or record.issn)
        assert entry.get("urls", [""])[0] == record.url
        assert entry["title"] == record.title
        assert len(entry.get("authors", [])) == len(record.authors)


def test_round_trip_through_reflibs_own_reader() -> None:
    from ingest.readers.ris import read_ris  # the project's reader (ingest/readers/ris.py)

    records = with_pmcid()
    result = read_ris(to_ris(records).encode("utf-8"), "export.ris")
    assert result.problems == []
    assert len(result.records) == len(records)
    for original, back in zip(records, result.records, strict=True):
        for field in ("doi", "pmid", "pmcid", "issn", "isbn", "url", "title", "volume", "issue", "year"):
            assert getattr(back, field) == getattr(original, field), (original.key, field)
        assert back.entry_type == original.entry_type
        assert [a.display() for a in back.authors] == [a.display() for a in original.authors]
        assert back.pages.replace("--", "-") == original.pages.replace("--", "-")
    web = result.records[5]
    assert web.urldate in ("2007-11-30", "2007/11/30")


def test_ris_export_result_metadata() -> None:
    result = export_records(five_records(), "ris")
    assert result.mime == "application/x-research-info-systems" and result.extension == "ris"
    assert result.text.count("TY  - ") == 5 and result.warnings == []
