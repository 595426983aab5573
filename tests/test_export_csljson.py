"""CSL-JSON export: valid against the CSL 1.0.2 data schema and rendered by pandoc's citeproc without warnings.

The schema (library/export/data/csl-data.json) is the CSL project's csl-data.json transcribed; the tests below
also show that the check rejects what the schema forbids. Golden tests/golden/export/five.json was read by eye:
types article-journal/chapter/webpage, particles as non-dropping-particle, literal collective authors,
issued date-parts with month, accessed for the web page, number for the Cochrane article number, page with a
hyphen, DOI/PMID/ISSN/ISBN/URL variables, container-title-short.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from library.export import export_records, to_csl_json, validate_csl_json
from library.model import Record
from tests.conftest import REFERENCES
from tests.fixtures.export_records import (
    check_golden,
    dreyer2017oil,
    every_record,
    five_records,
    lindqvist2019chapter,
    wang2020cochrane,
)


def all_records() -> list[Record]:
    return every_record(REFERENCES)


def test_golden_csl_json() -> None:
    check_golden("five.json", export_records(five_records(), "csl-json").text)


def test_csl_item_mapping() -> None:
    dreyer, acog, cochrane, chapter, web = to_csl_json(five_records())
    assert dreyer["type"] == "article-journal" and dreyer["id"] == "dreyer2017oil"
    assert dreyer["author"][1] == {"non-dropping-particle": "van", "family": "Rijswijk", "given": "Joukje"}
    assert dreyer["issued"] == {"date-parts": [[2017, 5]]} and dreyer["page"] == "2043-2052"
    assert dreyer["PMID"] == "28520519" and dreyer["DOI"] == "10.1056/NEJMoa1612337"
    assert dreyer["container-title-short"] == "N Engl J Med"
    assert acog["author"] == [{"literal": "American College of Obstetricians and Gynecologists' Committee on "
                                          "Gynecologic Practice"}]
    assert cochrane["number"] == "CD003718" and "page" not in cochrane
    assert chapter["type"] == "chapter" and chapter["container-title"] == "Imaging in Reproductive Medicine"
    assert chapter["editor"][0] == {"family": "Moreau", "given": "Hélène"} and chapter["publisher-place"] == "Cham"
    assert web["type"] == "webpage" and web["accessed"] == {"date-parts": [[2025, 1, 15]]}
    assert "custom" not in dreyer


def test_keep_custom_goes_under_custom() -> None:
    item = to_csl_json([dreyer2017oil()], keep_custom=True)[0]
    assert item["custom"]["design"] == "rct" and item["custom"]["relevance"] == 5
    assert item["custom"]["topics"] == ["Diagnostics > Tubal patency > HSG > Contrast media"]
    assert validate_csl_json([item]) == []


def test_every_export_is_valid_against_the_csl_schema() -> None:
    records = all_records()
    for keep in (False, True):
        items = to_csl_json(records, keep_custom=keep)
        assert len(items) == len(records)
        assert validate_csl_json(items) == []


def test_the_schema_check_rejects_invalid_items() -> None:
    good = to_csl_json([wang2020cochrane()])[0]
    problems = validate_csl_json([
        {**good, "type": "journal-article"},
        {**good, "journal": "not a CSL variable"},
        {k: v for k, v in good.items() if k != "id"},
        {**good, "author": [{"family": "Roe", "initials": "J"}]},
        {**good, "issued": {"date-parts": [[2020, 1, 2, 3]]}},
    ])
    assert len(problems) == 5, problems
    assert problems[0].startswith("wang2020cochrane: type:")


def test_language_is_bcp47() -> None:
    record = lindqvist2019chapter()
    record.language = "eng"
    assert to_csl_json([record])[0]["language"] == "en"
    record.language = "not a language code"
    assert "language" not in to_csl_json([record])[0]


@pytest.mark.slow
def test_pandoc_citeproc_renders_every_record_without_warnings(tmp_path: Path) -> None:
    if shutil.which("pandoc") is None:
        pytest.skip("pandoc not installed (Debian pandoc; `make system-deps` installs it)")
    records = all_records()
    (tmp_path / "refs.json").write_text(json.dumps(to_csl_json(records, keep_custom=True), ensure_ascii=False),
                                        encoding="utf-8")
    (tmp_path / "doc.md").write_text('---\nnocite: "@*"\n---\n\nReferences:\n', encoding="utf-8")
    run = subprocess.run(
        ["pandoc", "doc.md", "--citeproc", "--bibliography", "refs.json", "--fail-if-warnings", "-t", "html"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "[WARNING]" not in run.stderr, run.stderr
    for record in records:
        assert f'id="ref-{record.key}"' in run.stdout, record.key
    assert run.stdout.count('class="csl-entry"') == len(records)
    html = run.stdout.lower()  # pandoc title-cases "<script>" to "<Script>"
    assert "&lt;script&gt;" in html and "<script" not in html
