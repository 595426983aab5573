"""CSL-JSON reader, including Crossref's array-valued variant."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.readers.csljson import read_csl_json
from library.model import Author

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_fixture() -> None:
    result = read_csl_json((FIXTURES / "hsg.csl.json").read_bytes(), "hsg.csl.json")
    dreyer, fang = result.records
    assert dreyer.key == "dreyer2017"
    assert dreyer.authors == [Author("Dreyer", "Kim"), Author("van Rijswijk", "Joukje"),
                              Author(literal="H2Oil Study Group")]  # non-dropping particle kept in family
    assert (dreyer.year, dreyer.month, dreyer.pages, dreyer.pmid, dreyer.language) == (
        2017, "May", "2043--2052", "28520519", "en")  # PMID from Zotero-style note
    assert "annote" not in dreyer.extra
    # Crossref variant: arrays instead of strings, numbers as strings, JATS abstract
    assert fang.title.startswith("Oil-based versus water-based contrast")
    assert (fang.journal, fang.journal_abbrev, fang.volume, fang.year, fang.month) == (
        "Fertility and Sterility", "", "110", 2018, "July")
    assert fang.authors[0].orcid == "0000-0001-2345-6789"
    assert fang.issn == "0015-0282"
    assert fang.abstract == "Objective: To compare oil-based and water-based contrast.\n\nDesign: Systematic review."
    assert [(p.record, "not a CSL object" in p.message) for p in result.problems] == [(3, True)]


def test_single_object_and_raw_dates() -> None:
    item = {"type": "webpage", "title": "HSG", "URL": "https://example.org/hsg", "issued": {"raw": "2019-05"},
            "accessed": {"date-parts": [[2020, 1, 2]]}, "author": [{"literal": "ACOG"}]}
    record = read_csl_json(json.dumps(item).encode(), "one.json").records[0]
    assert (record.entry_type, record.year, record.month, record.urldate) == ("online", 2019, "May", "2020-01-02")


def test_invalid_json_is_fatal() -> None:
    result = read_csl_json(b"[{\"title\": ", "broken.json")
    assert result.records == [] and result.problems[0].fatal
