"""CSV export: one row per record with the evidence columns; spreadsheet formulas neutralized.

Golden tests/golden/export/five.csv was read by eye: header row, 5 data rows, "; "-joined authors/topics,
design/level/relevance/verification/cited_in columns filled from the records, CRLF line ends, quoting only
where needed (commas, quotes).
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from library.export import export_records, to_csv
from library.export.csv import CSV_COLUMNS, neutralize
from tests.fixtures.export_records import check_golden, dreyer2017oil, five_records, hostile_record


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_golden_csv() -> None:
    check_golden("five.csv", to_csv(five_records()))


def test_one_row_per_record_with_evidence_columns() -> None:
    text = to_csv(five_records())
    got = rows(text)
    assert [r["key"] for r in got] == [r.key for r in five_records()]
    assert list(got[0]) == list(CSV_COLUMNS)
    dreyer = got[0]
    assert dreyer["design"] == "rct" and dreyer["level"] == "OCEBM2011 therapy 2" and dreyer["relevance"] == "5"
    assert dreyer["topics"] == "Diagnostics > Tubal patency > HSG > Contrast media"
    assert dreyer["verification"] == "unverified" and dreyer["discussed_in"] == "hysterosalpingogram"
    assert dreyer["authors"].startswith("Dreyer, Kim; van Rijswijk, Joukje; ") and dreyer["authors"].count(";") == 31
    assert dreyer["pmid"] == "28520519" and dreyer["pages"] == "2043–2052"
    assert got[1]["cited_in"] == "hysterosalpingogram" and got[1]["verification"] == "verified"
    assert text.endswith("\r\n")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert len(frame) == 5 and frame.loc[0, "tldr"].startswith("Oil-based contrast")


def test_formula_injection_is_neutralized() -> None:
    got = rows(to_csv([hostile_record()]))[0]
    assert got["authors"].startswith("'=cmd|")
    assert got["abstract"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert got["note"] == "'+1 555 0100"
    assert got["keywords"] == "'-2+3; normal"
    for cell in got.values():
        assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert neutralize("\tx") == "'\tx" and neutralize(" =1") == "' =1" and neutralize("plain") == "plain"


def test_multiline_abstract_stays_one_record() -> None:
    record = dreyer2017oil()
    record.abstract = 'BACKGROUND: "Oil", water.\n\nRESULTS: more, lines'
    got = rows(to_csv([record]))
    assert len(got) == 1 and got[0]["abstract"] == record.abstract


def test_csv_export_result() -> None:
    result = export_records(five_records(), "csv")
    assert result.mime == "text/csv" and result.extension == "csv" and result.warnings == []
