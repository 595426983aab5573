"""Conformance with citeproc-js (the CSL engine of Zotero and Mendeley), run under Node.

``make test`` installs Node and the ``citeproc`` npm package into ~/.cache/reflib/citeproc-js first
(``make node-deps``); a bare ``pytest`` without them skips these tests and says why. The records are real: the
bundled library, the small PubMed / MEDLINE / RIS / WoS / Scopus files of ../shared/corpus and a hashed sample of
the CoLRev medical review sets (benchmarks/citation_corpus.py), with journal abbreviations filled as import does.
The one normalization before comparing is library.export.conformance.normalize_typography (quotes, dashes, spaces).
"""

from __future__ import annotations

import pytest

from benchmarks.citation_corpus import citation_records
from library.export import format_citation
from library.export.conformance import (
    citeproc_js_available,
    compare_styles,
    normalize_typography,
    page_numbers_changed,
    prints_others,
)
from library.model import Author, Record
from tests.conftest import CORPUS, needs_shared
from tests.fixtures.export_records import five_records

needs_node = pytest.mark.skipif(not citeproc_js_available(),
                                reason="Node or the citeproc npm package is missing: run `make node-deps`")


def test_normalization_forgives_typography_only() -> None:
    assert normalize_typography("“Oil‑based”\u00a0versus  ‘water’ 2043–52") == '"Oil-based" versus \'water\' 2043-52'
    assert normalize_typography("1-17") != normalize_typography("1-7")


def test_page_and_others_checks() -> None:
    record = Record(key="p", pages="1--17", authors=[Author("Roe", "J")], title="T")
    assert page_numbers_changed(record, "Roe J. T. 2001;3:1-7.")
    assert not page_numbers_changed(record, "Roe J. T. 2001;3:1-17.")
    assert not page_numbers_changed(Record(key="q", pages="768--782"), "5:768-82.")
    assert not page_numbers_changed(Record(key="q", pages="1305-11"), "113:1305-1311.")
    assert page_numbers_changed(Record(key="q", pages="1305-11"), "113:1305-1312.")
    assert prints_others(record, "Roe J, others. T.")
    assert not prints_others(Record(key="r", title="Others and us"), "Roe J. Others and us.")
    # a title ending in "others" and a journal: MLA recases the title, so it is not found verbatim
    ending = Record(key="e", title="Heeding the advice of others", journal="American journal of orthodontics")
    assert not prints_others(ending, "Jerrold, L. “Heeding the Advice of Others.” American Journal of Orthodontics.")


@pytest.mark.slow  # about a second or more: run by make test, not make unit
@needs_node
def test_bundled_style_fixtures_agree_with_citeproc_js() -> None:
    result = compare_styles(five_records())
    for style, agreement in result.items():
        assert agreement.same == agreement.total, (style, agreement.differences)


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
@needs_node
@needs_shared
def test_real_records_agree_with_citeproc_js() -> None:
    records = citation_records(CORPUS)
    assert len(records) >= 300
    result = compare_styles(records)
    for style, agreement in result.items():
        shown = "\n".join(f"{key}\n  reflib:      {ours}\n  citeproc-js: {theirs}"
                          for key, ours, theirs in agreement.differences[:5])
        assert agreement.share >= 0.99, f"{style}: {agreement.same}/{agreement.total}\n{shown}"
        assert agreement.part_share("report") >= 0.99, (style, agreement.by_part)
        assert agreement.changed_pages == [], agreement.changed_pages[:5]
        assert agreement.others == [], agreement.others[:5]


def _quoted_and_named_records() -> list[Record]:
    """Titles with single and nested quotes, hyphenated given names, particles and generational suffixes."""
    titles = ["Patients' views on 'shared' care", "Ending with 'closed'", "Rock 'n' roll and women's 'health'",
              "Nested \"outer 'inner' text\" here", "Single 'outer \"inner\" text' here", "The '90s and 'TiN'",
              "'Living on the edge': a study", "TiN and ZrO2 implants: the McGill experience with eHealth"]
    names = [[Author("Kim", "Min-jun"), Author("Lee", "Ji-Hoon"), Author("Park", "Seo-yeon K.")],
             [Author("van der Berg", "Jan"), Author("de la Cruz", "Maria"), Author("Beethoven", "Ludwig van")],
             [Author("Smith", "John 3rd"), Author("Jones", "Robert Jr"), Author("Poe", "E. A., III")],
             [Author("Fox", "M J, 2nd"), Author("di Renzo", "G C"), Author("van 't Hoff", "J")]]
    return [Record(key=f"q{i}", entry_type="article", title=title, authors=names[i % len(names)],
                   journal="Human Reproduction", year=2019, volume="3", issue="2", pages="5--9")
            for i, title in enumerate(titles)]


@pytest.mark.slow  # about a second or more: run by make test, not make unit
@needs_node
def test_quotes_names_particles_suffixes_agree_with_citeproc_js() -> None:
    """citeproc-js gets the plain CSL-JSON export (straight quotes as typed), reflib the record: the quotes in
    titles, "Min-jun" -> "M.", particles and suffixes ("3rd", "Jr") print the same in all four styles."""
    from library.export.citeproc import citeproc_name
    from library.export.conformance import render_citeproc_js_items
    from library.export.csljson import csl_item

    records = _quoted_and_named_records()
    items = []
    for i, record in enumerate(records):
        item = dict(csl_item(record), id=f"r{i}")
        item["author"] = [citeproc_name(name) for name in item["author"]]  # the suffix as CSL-JSON carries it
        items.append(item)
    for style in ("ama", "vancouver", "apa", "mla"):
        theirs = render_citeproc_js_items(items, style)
        for record, other in zip(records, theirs, strict=True):
            ours = format_citation(record, style)
            assert normalize_typography(ours) == normalize_typography(other), (style, ours, other)
    assert format_citation(records[0], "apa").startswith("Kim, M., Lee, J.-H., & Park, S. K. (2019).")
    assert "Smith J 3rd, Jones R Jr, Poe EA III." in format_citation(records[2], "ama")


@pytest.mark.slow  # about a second or more: run by make test, not make unit
@needs_node
def test_pages_volumes_particles_and_periods_agree_with_citeproc_js() -> None:
    """Rules found on the second tune set (benchmarks.citation_heldout.second_tune_records): pages ending in a
    capital are no range, "vols. 77-78" in MLA, a lower-case particle opening the given name, strip-periods."""
    def record(key: str, **fields: object) -> Record:
        values: dict = {"entry_type": "article", "title": "A title", "journal": "Lab Invest", "year": 2010,
                        "volume": "90", "pages": "5-22", "authors": [Author("Roe", "J")], **fields}
        return Record(key=key, **values)

    records = [record("p1", pages="259A-260A"), record("p2", pages="259a-260a"),
               record("p3", volume="77-78", issue="1-2"), record("p4", volume="7 & 8", issue="3, 4"),
               record("p5", volume="7 Suppl 2", issue="S1", pages="S5-S22"),
               record("n1", authors=[Author("Ma", "de Q. M. F."), Author("van", "der V."), Author("Boon", "M. E.")]),
               record("s1", journal="J. Head Trauma Rehabil. Conference Publication: (var.pagings)",
                      journal_abbrev="J. Head Trauma Rehabil. (var.pagings)"),
               # set #2 / CSL-JSON tune set: Unicode hyphens in given names, a bracketed abstract number
               record("h1", authors=[Author("Maurage", "C.\u2010A."), Author("Roe", "Claude\u2011Alain")]),
               record("b1", pages="A125 [015-02]"), record("d1", pages="1788; discussion 1791")]
    for style, agreement in compare_styles(records).items():
        assert agreement.same == agreement.total, (style, agreement.differences)
    assert "vols. 77-78, nos. 1-2" in normalize_typography(format_citation(records[2], "mla"))
    assert "(var.pagings)" in format_citation(records[6], "ama")
